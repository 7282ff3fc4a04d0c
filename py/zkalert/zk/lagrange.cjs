// The size-2^k Lagrange basis of a powers-of-tau transcript's [τ^i]G1, computed as snarkjs's
// `powersoftau prepare phase2` computes it (ffjavascript's G1.lagrangeEvaluations), for one size
// only. Usage: node lagrange.cjs FFJAVASCRIPT_DIR IN OUT. IN holds 2^k raw G1 points (64 bytes
// each, little-endian Montgomery form, as in .ptau files); OUT receives the 2^k Lagrange points
// in the same encoding, in ffjavascript's order of the roots of unity.
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
    const [ffDir, input, output] = process.argv.slice(2);
    const ff = require(path.resolve(ffDir));
    const points = fs.readFileSync(input);
    const n = points.length / 64;
    if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) {
        throw new Error(`${input}: ${points.length} bytes is not a power of two of G1 points`);
    }
    const curve = await ff.buildBn128(true);
    try {
        const out = await curve.G1.lagrangeEvaluations(new Uint8Array(points), "affine", "affine");
        fs.writeFileSync(output, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    } finally {
        await curve.terminate();
    }
}

main().catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
});
