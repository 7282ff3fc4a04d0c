// A native-solc-compatible CLI over solcjs (the npm `solc` package).
//
// Why: no native solc can be downloaded on closed networks (svm, foundryup and
// py-solc-x all fetch binaries), but solcjs ships inside an npm package. forge,
// ezkl and py-solc-x only need `--version` and `--standard-json`.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require(path.join(path.dirname(new URL(import.meta.url).pathname), "..", ".tools", "node_modules", "solc"));

function writeAll(fd, text) {
  // Blocking write: process.stdout.write is async for pipes and output past
  // 64 KB is lost if the process exits first (forge then fails with "EOF").
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
    }
  }
}

function nativeVersion() {
  // solcjs reports e.g. "0.8.30+commit.73712a01.Emscripten.clang"; native solc
  // prints "...Linux.g++" and some parsers expect that platform suffix.
  return solc.version().replace(/\.Emscripten\.clang$/, ".Linux.g++");
}

function readImport(importPath, basePaths) {
  const candidates = [importPath, ...basePaths.map((base) => path.join(base, importPath))];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
      return { contents: fs.readFileSync(candidate, "utf8") };
    }
  }
  return { error: `File not found: ${importPath}` };
}

const args = process.argv.slice(2);
if (args.includes("--version") || args.includes("-v")) {
  writeAll(1, `solc, the solidity compiler commandline interface\nVersion: ${nativeVersion()}\n`);
  process.exit(0);
}
if (args.includes("--standard-json")) {
  const basePaths = [process.cwd()];
  for (let i = 0; i < args.length; i++) {
    if ((args[i] === "--base-path" || args[i] === "--include-path" || args[i] === "--allow-paths") && args[i + 1]) {
      basePaths.push(...args[i + 1].split(","));
    }
  }
  const input = fs.readFileSync(0, "utf8");
  const output = solc.compile(input, { import: (p) => readImport(p, basePaths) });
  writeAll(1, output);
  process.exit(0);
}
writeAll(2, "zkalert solc adapter: only --version and --standard-json are supported (solcjs backend)\n");
process.exit(1);
