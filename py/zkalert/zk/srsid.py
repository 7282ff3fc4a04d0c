"""Which SRS a key or a verifier was made with: its [τ]G2 point and the id derived from it.

A KZG SRS is known by τ, and the one point every verifier embeds is [τ]G2 (EZKL's Solidity
verifier keeps its negation, ``neg_s_g2``, next to the G2 generator). The *SRS id* is
``keccak256(abi.encode(x.c1, x.c0, y.c1, y.c0))`` of [τ]G2, the EIP-197 order of the
pairing precompile: computable from an EZKL SRS file, a powers-of-tau transcript and a
deployed verifier's bytecode alike, so the registry can record it and an audit can compare.

Points in files are halo2's raw encoding (also snarkjs's in ``.ptau`` files): each Fq
coordinate 32 bytes little-endian in Montgomery form, an Fq2 element as c0 then c1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.optimized_bn128.optimized_curve import b2, is_on_curve

from zkalert.errors import CircuitError

__all__ = [
    "FQ_MODULUS",
    "G2_GENERATOR",
    "G2Point",
    "decode_g1",
    "decode_g2",
    "ezkl_srs_logrows",
    "ezkl_srs_tau_g2",
    "verifier_tau_g2",
]

#: The BN254 base field modulus q.
FQ_MODULUS = 21888242871839275222246405745257275088696311157297823662689037894645226208583
_R_INV = pow(1 << 256, -1, FQ_MODULUS)


@dataclass(frozen=True)
class G2Point:
    """An affine BN254 G2 point; each coordinate an Fq2 element (c0, c1) as integers."""

    x: tuple[int, int]
    y: tuple[int, int]

    @property
    def words(self) -> tuple[int, int, int, int]:
        """The EIP-197 order: x.c1, x.c0, y.c1, y.c0."""
        return (self.x[1], self.x[0], self.y[1], self.y[0])

    @property
    def srs_id(self) -> bytes:
        """keccak256 of the point's EIP-197 encoding (32 bytes)."""
        return keccak(b"".join(w.to_bytes(32, "big") for w in self.words))

    @property
    def srs_id_hex(self) -> str:
        return "0x" + self.srs_id.hex()

    def negated(self) -> G2Point:
        return G2Point(self.x, ((-self.y[0]) % FQ_MODULUS, (-self.y[1]) % FQ_MODULUS))

    def on_curve(self) -> bool:
        if any(not 0 <= c < FQ_MODULUS for c in (*self.x, *self.y)):
            return False
        point = (FQ2(list(self.x)), FQ2(list(self.y)), FQ2.one())
        return bool(is_on_curve(point, b2))

    def describe(self) -> str:
        """Short form for messages: the first x word."""
        return f"[τ]G2 x.c1=0x{self.words[0]:064x}"[:40] + "…"


#: The BN254 G2 generator (the one EIP-197 and every EZKL verifier use).
G2_GENERATOR = G2Point(
    x=(
        0x1800DEEF121F1E76426A00665E5C4479674322D4F75EDADD46DEBD5CD992F6ED,
        0x198E9393920D483A7260BFB731FB5D25F1AA493335A9E71297E485B7AEF312C2,
    ),
    y=(
        0x12C85EA5DB8C6DEB4AAB71808DCB408FE3D1E7690C43D37B4CE6CC0166FA7DAA,
        0x090689D0585FF075EC9E99AD690C3395BC4B313370B38EF355ACDADCD122975B,
    ),
)


def _fq(raw: bytes) -> int:
    """One Fq coordinate from its raw 32 bytes (little-endian Montgomery form)."""
    return int.from_bytes(raw, "little") * _R_INV % FQ_MODULUS


def decode_g1(raw: bytes) -> tuple[int, int]:
    """A G1 point from its raw 64 bytes."""
    if len(raw) != 64:
        raise CircuitError(f"a raw G1 point is 64 bytes, got {len(raw)}")
    return _fq(raw[:32]), _fq(raw[32:])


def decode_g2(raw: bytes) -> G2Point:
    """A G2 point from its raw 128 bytes (x.c0, x.c1, y.c0, y.c1)."""
    if len(raw) != 128:
        raise CircuitError(f"a raw G2 point is 128 bytes, got {len(raw)}")
    c = [_fq(raw[i : i + 32]) for i in range(0, 128, 32)]
    return G2Point(x=(c[0], c[1]), y=(c[2], c[3]))


def ezkl_srs_logrows(path: Path) -> int:
    """The k of an EZKL SRS file, checked against the file's size."""
    with path.open("rb") as f:
        head = f.read(4)
    if len(head) < 4:
        raise CircuitError(f"{path}: not an EZKL SRS file (shorter than its header)")
    k = int.from_bytes(head, "little")
    size = path.stat().st_size
    if not 1 <= k <= 28 or size != 4 + 2 * (1 << k) * 64 + 256:
        raise CircuitError(
            f"{path}: not an EZKL SRS file ({size:,} bytes does not fit its header's k = {k})"
        )
    return k


def ezkl_srs_tau_g2(path: Path) -> G2Point:
    """[τ]G2 of an EZKL SRS file (its last point), checked to lie on the curve."""
    ezkl_srs_logrows(path)
    with path.open("rb") as f:
        f.seek(-256, 2)
        tail = f.read(256)
    if decode_g2(tail[:128]) != G2_GENERATOR:
        raise CircuitError(f"{path}: its G2 generator is not BN254's")
    point = decode_g2(tail[128:])
    if not point.on_curve():
        raise CircuitError(f"{path}: its [τ]G2 is not a point of BN254's G2")
    return point


def _pushed_words(code: bytes) -> list[int]:
    """The immediates of EVM bytecode's pushes of 3 to 32 bytes, in order. solc pushes a
    constant in as few bytes as it needs, so a field element with a leading zero byte is a
    PUSH31 (or shorter); the memory offsets between the constants are PUSH1/PUSH2 and left out
    (a field element below 2^24 has a chance of about 2^-230)."""
    values: list[int] = []
    i = 0
    while i < len(code):
        op = code[i]
        if 0x60 <= op <= 0x7F:
            width = op - 0x5F
            if width >= 3 and i + width < len(code):
                values.append(int.from_bytes(code[i + 1 : i + 1 + width], "big"))
            i += 1 + width
        else:
            i += 1
    return values


def _tau_after_generator(values: list[int]) -> G2Point | None:
    gen = list(G2_GENERATOR.words)
    for i in range(len(values) - 7):
        if values[i : i + 4] == gen:
            x1, x0, y1, y0 = values[i + 4 : i + 8]
            point = G2Point(x=(x0, x1), y=(y0, y1)).negated()
            if point.on_curve():
                return point
    return None


def vka_tau_g2(words: bytes) -> G2Point | None:
    """[τ]G2 of the SRS an EZKL verifying-key artifact (VKA, its 32-byte words) was made with:
    the reusable verifier takes G2's generator and -[τ]G2 from it, in the order the generated
    verifier pushes them."""
    return _tau_after_generator(
        [int.from_bytes(words[i : i + 32], "big") for i in range(0, len(words) - 31, 32)]
    )


def verifier_tau_g2(code: bytes) -> G2Point | None:
    """[τ]G2 of the SRS an EZKL verifier's bytecode was generated with, or None when the code
    does not embed BN254's G2 generator followed by a G2 point (not an EZKL KZG verifier)."""
    return _tau_after_generator(_pushed_words(code))
