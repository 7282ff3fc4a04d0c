"""Powers-of-tau ceremonies (snarkjs) and their transcripts as EZKL SRS files.

A development SRS (EZKL's ``gen_srs``) is as trustworthy as the one machine that made it: that
machine knew τ. In a ceremony each party in turn multiplies τ by a secret of its own and throws
the secret away; nobody learns τ unless *every* contributor kept theirs and they pool them.
snarkjs 0.7.6 runs such a ceremony on BN254 (snarkjs's ``bn128``) in the format of the Perpetual
Powers of Tau and Hermez transcripts (``.ptau``); EZKL's KZG needs its powers of τ::

    new -> contribute (utility) -> contribute (regulator) -> beacon -> verify -> import

(``prepare phase2`` is optional: the import computes the one size of Lagrange points it needs
with the same ffjavascript code, see ``lagrange.cjs``.)

The transcript (snarkjs's binary file format): ``ptau``, u32 version, u32 section count, then
per section u32 type, u64 size and the data. Section 1 is the header (u32 n8, the base field q
in n8 bytes little-endian, u32 power, u32 ceremony power); 2 holds [τ^i]G1 for i < 2^(power+1)-1,
3 [τ^i]G2 for i < 2^power, 4-6 the alpha and beta powers, 7 the contributions. ``prepare phase2``
adds 12-15, the Lagrange bases: section 12 holds, for every size 2^p, p = 0 .. power + 1, the
2^p G1 Lagrange points of that size, one size after the other (snarkjs's
``powersoftau_preparephase2.js``). Points are raw: coordinates little-endian in Montgomery form,
byte for byte halo2's raw encoding.

An EZKL SRS file for logrows k is k (u32 LE), [τ^i]G1 for i < 2^k, the 2^k Lagrange points, the
G2 generator and [τ]G2. EZKL uses the file's Lagrange points when k equals the circuit's logrows,
so they must be halo2's: the Lagrange point i is 1 at ω^i, and the two libraries take different
roots of unity. ffjavascript's FFT uses the smallest non-residue, ω_s = 5^((r-1)/2^28) (squared
down to size 2^k), halo2curves ω_h = 7^((r-1)/2^28). Both generate the group of 2^k-th roots,
ω_s = ω_h^J with J odd, so snarkjs's point m is halo2's point J·m mod 2^k (J ≡ 1 mod 32: the
two orders agree up to k = 5 and differ above).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from zkalert.config import StrPath, srs_dir
from zkalert.errors import CeremonyError, CircuitError, ToolchainError
from zkalert.toolchain import snarkjs
from zkalert.zk.srsid import FQ_MODULUS, G2_GENERATOR, G2Point, decode_g1, decode_g2

__all__ = [
    "BEACON_ITERATIONS",
    "Contribution",
    "ImportedSrs",
    "Transcript",
    "Verification",
    "beacon",
    "cache_folder",
    "check_published_hash",
    "contribute",
    "halo2_order",
    "import_transcript",
    "is_transcript",
    "new",
    "prepare",
    "read_transcript",
    "run_snarkjs",
    "snarkjs_to_halo2_exponent",
    "transcript_hash",
    "verify",
]

Echo = Callable[[str], Any]

MAGIC = b"ptau"
#: The scalar field r of BN254 and its 2-adicity: roots of unity of order up to 2^28.
_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
_TWO_ADICITY = 28
#: The generators of the 2^28-th roots of unity: ffjavascript's (its smallest non-residue) and
#: halo2curves' (its multiplicative generator, ``ROOT_OF_UNITY`` = 7^((r-1)/2^28)).
_SNARKJS_GENERATOR, _HALO2_GENERATOR = 5, 7
#: snarkjs's beacon: 2^iterations SHA-256 rounds of the beacon value, between 10 and 63.
BEACON_ITERATIONS = 10
#: The record a verified transcript leaves in its cache folder.
RECORD = "transcript.json"

_G1_BYTES, _G2_BYTES = 64, 128
_G1_GENERATOR = (1, 2)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ---------------------------------------------------------------------------------------------
# The transcript file


@dataclass(frozen=True)
class Transcript:
    """A structurally sound BN254 ``.ptau`` file: its header and where its sections are."""

    path: Path
    version: int
    power: int
    ceremony_power: int
    sections: dict[int, tuple[int, int]]  # type -> (offset of the data, size)
    contributions: int

    @property
    def prepared(self) -> bool:
        """Whether ``prepare phase2`` added the Lagrange sections."""
        return all(t in self.sections for t in (12, 13, 14, 15))

    @property
    def reduced(self) -> bool:
        """A transcript cut down from a larger ceremony (it takes no more contributions)."""
        return self.power != self.ceremony_power

    def read(self, section: int, start: int, size: int) -> bytes:
        offset, length = self.sections[section]
        if start + size > length:
            raise CeremonyError(f"{self.path}: section {section} is shorter than its header says")
        with self.path.open("rb") as f:
            f.seek(offset + start)
            return f.read(size)

    def tau_g1(self, index: int) -> tuple[int, int]:
        return decode_g1(self.read(2, index * _G1_BYTES, _G1_BYTES))

    def tau_g2(self, index: int) -> G2Point:
        return decode_g2(self.read(3, index * _G2_BYTES, _G2_BYTES))


def is_transcript(path: StrPath) -> bool:
    """Whether the file starts with the ``.ptau`` magic (an EZKL SRS file starts with its k)."""
    try:
        with Path(path).open("rb") as f:
            return f.read(4) == MAGIC
    except OSError:
        return False


def read_transcript(path: StrPath) -> Transcript:
    """Read and check a transcript's structure: magic, every section complete, BN254, the sizes
    of the powers' sections (and of the Lagrange section when there is one)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != MAGIC:
                raise CeremonyError(f"{path}: not a powers-of-tau transcript (no `ptau` header)")
            version = int.from_bytes(head[4:8], "little")
            count = int.from_bytes(head[8:12], "little")
            sections: dict[int, tuple[int, int]] = {}
            offset = 12
            for _ in range(count):
                f.seek(offset)
                entry = f.read(12)
                if len(entry) < 12:
                    raise CeremonyError(_truncated(path, size, offset + 12))
                kind = int.from_bytes(entry[:4], "little")
                length = int.from_bytes(entry[4:], "little")
                if offset + 12 + length > size:
                    raise CeremonyError(_truncated(path, size, offset + 12 + length))
                if kind in sections:
                    raise CeremonyError(f"{path}: section {kind} appears twice; not a transcript")
                sections[kind] = (offset + 12, length)
                offset += 12 + length
            f.seek(sections[1][0] if 1 in sections else 0)
            header = f.read(sections[1][1]) if 1 in sections else b""
            contributions = b""
            if 7 in sections and sections[7][1] >= 4:
                f.seek(sections[7][0])
                contributions = f.read(4)
    except OSError as exc:
        raise CeremonyError(f"{path}: cannot read the transcript ({exc.strerror})") from exc
    if offset != size:
        raise CeremonyError(f"{path}: {size - offset:,} bytes after its last section")
    for needed in (1, 2, 3, 7):
        if needed not in sections:
            raise CeremonyError(f"{path}: no section {needed}; not a complete transcript")
    n8 = int.from_bytes(header[:4], "little")
    if len(header) != 4 + n8 + 8:
        raise CeremonyError(f"{path}: its header section has the wrong size")
    q = int.from_bytes(header[4 : 4 + n8], "little")
    if q != FQ_MODULUS:
        raise CeremonyError(
            f"{path}: a transcript of another curve ({n8 * 8}-bit base field"
            f"{', BLS12-381' if n8 == 48 else ''}); EZKL's circuits need a BN254 (bn128) one"
        )
    power = int.from_bytes(header[4 + n8 : 8 + n8], "little")
    ceremony_power = int.from_bytes(header[8 + n8 : 12 + n8], "little")
    if not 1 <= power <= _TWO_ADICITY or power > ceremony_power:
        raise CeremonyError(f"{path}: power {power} (ceremony power {ceremony_power}) is invalid")
    expected = {
        2: ((1 << (power + 1)) - 1) * _G1_BYTES,
        3: (1 << power) * _G2_BYTES,
        12: ((1 << (power + 2)) - 1) * _G1_BYTES,
    }
    for kind, length in expected.items():
        if kind in sections and sections[kind][1] != length:
            raise CeremonyError(
                f"{path}: section {kind} holds {sections[kind][1]:,} bytes, power {power} "
                f"needs {length:,}"
            )
    return Transcript(
        path=path,
        version=version,
        power=power,
        ceremony_power=ceremony_power,
        sections=sections,
        contributions=int.from_bytes(contributions, "little"),
    )


def _truncated(path: Path, size: int, needed: int) -> str:
    return (
        f"{path}: truncated ({size:,} bytes, its sections need at least {needed:,}): "
        "copy the transcript again"
    )


def transcript_hash(path: StrPath) -> str:
    """blake2b-512 of the whole file, hex: the hash published for the Perpetual Powers of Tau
    and Hermez transcripts (``b2sum``)."""
    return _file_hash(Path(path), hashlib.blake2b())


def _file_hash(path: Path, hasher: Any) -> str:
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            hasher.update(chunk)
    return str(hasher.hexdigest())


def check_published_hash(path: Path, published: str, blake2b: str | None = None) -> None:
    """Refuse a file whose hash is not the published one: blake2b-512 (128 hex digits) or
    SHA-256 (64)."""
    wanted = "".join(published.split()).lower().removeprefix("0x")
    if not re.fullmatch(r"[0-9a-f]{128}|[0-9a-f]{64}", wanted):
        raise CeremonyError(
            f"published hash {published!r}: expected 128 hex digits (blake2b-512) or 64 (SHA-256)"
        )
    if len(wanted) == 128:
        name, actual = "blake2b-512", blake2b or transcript_hash(path)
    else:
        name, actual = "SHA-256", _file_hash(path, hashlib.sha256())
    if actual != wanted:
        raise CeremonyError(
            f"{path}: its {name} is {actual[:16]}…, not the published {wanted[:16]}…: "
            "a different or damaged file"
        )


# ---------------------------------------------------------------------------------------------
# snarkjs


@dataclass(frozen=True)
class Contribution:
    """One contribution as ``snarkjs powersoftau verify`` reports it."""

    id: int
    name: str
    hash: str  # its response hash (blake2b-512, hex): what the contributor saw and can publish
    beacon: str | None = None  # a beacon: its value (hex) ...
    iterations: int | None = None  # ... and its 2-exponent of SHA-256 rounds


@dataclass(frozen=True)
class Verification:
    """What a verified transcript is: its power, contributions, hash and SRS id."""

    power: int
    ceremony_power: int
    prepared: bool
    contributions: list[Contribution]
    transcript_hash: str
    srs_id: str

    @property
    def beacon(self) -> Contribution | None:
        beacons = [c for c in self.contributions if c.beacon is not None]
        return beacons[-1] if beacons else None


def run_snarkjs(args: list[str], what: str, stdin: str | None = None) -> str:
    """Run one snarkjs command; its output without colours. Any failure is a CeremonyError: the
    exit status (1 on an error, 99 on a usage error) and, as some commands log an error and
    still exit 0, an ``[ERROR]`` line."""
    command = [*snarkjs(), *args]
    try:
        proc = subprocess.run(
            command, input=stdin, capture_output=True, text=True, check=False, timeout=24 * 3600
        )
    except OSError as exc:
        raise CeremonyError(f"snarkjs {what}: could not run node ({exc.strerror})") from exc
    output = _ANSI.sub("", proc.stdout + proc.stderr)
    errors = [line for line in output.splitlines() if "[ERROR]" in line]
    if proc.returncode != 0 or errors:
        reason = errors[0].split("snarkJS:", 1)[-1].strip() if errors else ""
        if not reason:
            lines = [line.strip() for line in output.splitlines() if line.strip()]
            reason = lines[0] if lines else f"exit status {proc.returncode}"
        raise CeremonyError(f"snarkjs {what} failed: {reason.removeprefix('Error: ')}")
    return output


@contextmanager
def _output(out: Path) -> Iterator[Path]:
    """A temporary file beside ``out``, renamed to it when the block succeeds, else removed."""
    if out.exists():
        raise CeremonyError(f"{out} exists: choose another name or remove it")
    if not out.parent.is_dir():
        raise CeremonyError(f"{out.parent} is not a folder")
    part = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        yield part
        part.replace(out)
    finally:
        part.unlink(missing_ok=True)


def _timed(echo: Echo, what: str) -> Callable[[], None]:
    started = time.perf_counter()
    echo(f"{what} ...")
    return lambda: echo(f"  done in {time.perf_counter() - started:.1f} s")


def new(power: int, out: StrPath, echo: Echo = print) -> Transcript:
    """Start a ceremony: a transcript of 2^power powers, no contribution yet."""
    if not 1 <= power <= _TWO_ADICITY:
        raise CeremonyError(f"power {power}: expected 1 to {_TWO_ADICITY}")
    out = Path(out)
    with _output(out) as part:
        done = _timed(echo, f"starting a BN254 transcript of power {power} (snarkjs)")
        run_snarkjs(["powersoftau", "new", "bn128", str(power), str(part)], "powersoftau new")
        read_transcript(part)
        done()
    return read_transcript(out)


def _extendable(path: Path) -> Transcript:
    transcript = read_transcript(path)
    if transcript.reduced:
        raise CeremonyError(
            f"{path}: cut down from a power-{transcript.ceremony_power} ceremony; it takes no "
            "more contributions"
        )
    return transcript


def _named(name: str) -> str:
    if not 1 <= len(name) <= 64 or not name.isprintable():
        raise CeremonyError(f"contribution name {name!r}: 1 to 64 printable characters")
    return name


def _added_one(before: Transcript, out: Path) -> Transcript:
    after = read_transcript(out)
    if after.contributions != before.contributions + 1 or after.power != before.power:
        raise CeremonyError(f"snarkjs did not add a contribution to {before.path}")
    return after


def contribute(inp: StrPath, out: StrPath, name: str, echo: Echo = print) -> str:
    """Add a contribution: fresh entropy from the operating system (os.urandom), handed to
    snarkjs on its standard input (never on its command line, never logged or stored), mixed
    by snarkjs with its own. Returns the contribution's hash (for the contributor to publish)."""
    before = _extendable(Path(inp))
    out = Path(out)
    with _output(out) as part:
        done = _timed(
            echo, f"contributing as {_named(name)!r} (power {before.power}; snarkjs, fresh entropy)"
        )
        output = run_snarkjs(
            ["powersoftau", "contribute", str(before.path), str(part), f"-n={name}"],
            "powersoftau contribute",
            stdin=os.urandom(32).hex() + "\n",
        )
        _added_one(before, part)
        done()
    return _hash_after(output, "Contribution Response Hash imported:")


def beacon(
    inp: StrPath,
    out: StrPath,
    value: str,
    iterations: int = BEACON_ITERATIONS,
    name: str = "beacon",
    echo: Echo = print,
) -> str:
    """Apply a public random beacon (a value nobody could choose in advance, e.g. a future block
    hash): the last contribution, reproducible by anyone. Returns its hash."""
    value = value.lower().removeprefix("0x")
    if not re.fullmatch(r"([0-9a-f]{2}){1,255}", value):
        raise CeremonyError(f"beacon {value!r}: expected an even number of hex digits, 2 to 510")
    if not 10 <= iterations <= 63:
        raise CeremonyError(f"beacon iterations {iterations}: expected 10 to 63 (2^N rounds)")
    before = _extendable(Path(inp))
    out = Path(out)
    with _output(out) as part:
        done = _timed(echo, f"applying the beacon (2^{iterations} SHA-256 rounds; snarkjs)")
        output = run_snarkjs(
            [
                "powersoftau",
                "beacon",
                str(before.path),
                str(part),
                value,
                str(iterations),
                f"-n={_named(name)}",
            ],
            "powersoftau beacon",
        )
        _added_one(before, part)
        done()
    return _hash_after(output, "Contribution Response Hash imported:")


def prepare(inp: StrPath, out: StrPath, echo: Echo = print) -> Transcript:
    """``prepare phase2``: add the Lagrange sections (what an import at logrows = power needs)."""
    before = read_transcript(inp)
    if before.contributions == 0:
        raise CeremonyError(f"{before.path}: no contribution yet; contribute before preparing")
    out = Path(out)
    with _output(out) as part:
        done = _timed(
            echo, f"computing the Lagrange sections of power {before.power} (snarkjs prepare)"
        )
        run_snarkjs(
            ["powersoftau", "prepare", "phase2", str(before.path), str(part)], "prepare phase2"
        )
        if not read_transcript(part).prepared:
            raise CeremonyError("snarkjs prepare phase2 wrote no Lagrange sections")
        done()
    return read_transcript(out)


def _hash_after(output: str, label: str) -> str:
    """The 128 hex digits snarkjs prints (in groups) on the lines after ``label``."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if label in line:
            digits = "".join(re.findall(r"[0-9a-f]{8}", " ".join(lines[i + 1 : i + 5])))
            if len(digits) == 128:
                return digits
    raise CeremonyError(f"snarkjs printed no {label.rstrip(':').lower()}")


def _contributions(output: str) -> list[Contribution]:
    """Parse ``powersoftau verify``'s report: per contribution its number and name, its response
    hash (the first ``Response Hash:`` after it), and a beacon's value and iterations."""
    found: dict[int, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    lines = output.splitlines()
    for i, line in enumerate(lines):
        text = line.split("snarkJS:", 1)[-1].strip()
        heading = re.match(r"Contribution #(\d+): ?(.*)$", text)
        if heading:
            current = {"id": int(heading.group(1)), "name": heading.group(2).strip()}
            found[current["id"]] = current
        elif current is None:
            continue
        elif text.startswith("Response Hash:") and "hash" not in current:
            current["hash"] = _hash_after("\n".join(lines[i:]), "Response Hash:")
        elif text.startswith("Beacon generator:"):
            current["beacon"] = text.split(":", 1)[1].strip()
        elif text.startswith("Beacon iterations Exp:"):
            current["iterations"] = int(text.split(":", 1)[1])
    return [Contribution(**found[key]) for key in sorted(found)]


def verify(path: StrPath, published_hash: str | None = None, echo: Echo = print) -> Verification:
    """Check a whole transcript: its structure, the published hash (when given), snarkjs's
    ``powersoftau verify`` (every contribution, the powers, the Lagrange sections) and a pairing
    check of its [τ]G1 against its [τ]G2."""
    transcript = read_transcript(path)
    digest = transcript_hash(transcript.path)
    if published_hash:
        check_published_hash(transcript.path, published_hash, digest)
    if transcript.contributions == 0:
        raise CeremonyError(f"{transcript.path}: no contribution; it cannot be used")
    done = _timed(
        echo,
        f"verifying {transcript.path.name} (power {transcript.power}, "
        f"{transcript.contributions} contributions; snarkjs powersoftau verify)",
    )
    try:
        output = run_snarkjs(["powersoftau", "verify", str(transcript.path)], "powersoftau verify")
    except CeremonyError as exc:
        reason = str(exc).removeprefix("snarkjs powersoftau verify failed: ")
        raise CeremonyError(
            f"{transcript.path}: does not verify (snarkjs powersoftau verify: {reason})"
        ) from None
    done()
    contributions = _contributions(output)
    if len(contributions) != transcript.contributions:
        raise CeremonyError(
            f"snarkjs reported {len(contributions)} contributions, the transcript holds "
            f"{transcript.contributions}"
        )
    tau_g2 = _pairing_check(transcript)
    return Verification(
        power=transcript.power,
        ceremony_power=transcript.ceremony_power,
        prepared=transcript.prepared,
        contributions=contributions,
        transcript_hash=digest,
        srs_id=tau_g2.srs_id_hex,
    )


def _pairing_check(transcript: Transcript) -> G2Point:
    """e([τ]G1, G2) == e(G1, [τ]G2) with py_ecc, the generators where they belong: the τ of the
    G1 powers EZKL commits with is the τ of the [τ]G2 its verifiers check against."""
    from py_ecc.fields import optimized_bn128_FQ as FQ
    from py_ecc.fields import optimized_bn128_FQ2 as FQ2
    from py_ecc.fields import optimized_bn128_FQ12 as FQ12
    from py_ecc.optimized_bn128.optimized_curve import b, is_on_curve, neg
    from py_ecc.optimized_bn128.optimized_pairing import final_exponentiate, pairing

    path = transcript.path
    if transcript.tau_g1(0) != _G1_GENERATOR or transcript.tau_g2(0) != G2_GENERATOR:
        raise CeremonyError(f"{path}: its first powers are not BN254's generators")
    x, y = transcript.tau_g1(1)
    tau_g1 = (FQ(x), FQ(y), FQ.one())
    tau_g2 = transcript.tau_g2(1)
    if not is_on_curve(tau_g1, b) or not tau_g2.on_curve():
        raise CeremonyError(f"{path}: its [τ]G1 or [τ]G2 is not a point of BN254")
    g1 = (FQ(1), FQ(2), FQ.one())
    g2 = tuple(FQ2(list(c)) for c in (G2_GENERATOR.x, G2_GENERATOR.y)) + (FQ2.one(),)
    t2 = tuple(FQ2(list(c)) for c in (tau_g2.x, tau_g2.y)) + (FQ2.one(),)
    product = pairing(g2, tau_g1, final_exponentiate=False) * pairing(  # type: ignore[arg-type]
        t2,  # type: ignore[arg-type]
        neg(g1),
        final_exponentiate=False,
    )
    if final_exponentiate(product) != FQ12.one():
        raise CeremonyError(f"{path}: pairing check failed: its [τ]G1 and [τ]G2 differ in τ")
    return tau_g2


# ---------------------------------------------------------------------------------------------
# Import: the transcript as an EZKL SRS file


def _two_adic_root(generator: int) -> int:
    return pow(generator, (_R - 1) >> _TWO_ADICITY, _R)


def snarkjs_to_halo2_exponent() -> int:
    """J with ω_snarkjs = ω_halo2^J for the 2^28-th roots (a discrete log in a 2-group, bit by
    bit); for size 2^k the same J mod 2^k holds, both roots being squared down alike."""
    w_s, w_h = _two_adic_root(_SNARKJS_GENERATOR), _two_adic_root(_HALO2_GENERATOR)
    j = 0
    for bit in range(_TWO_ADICITY):
        rest = w_s * pow(w_h, -j, _R) % _R
        if pow(rest, 1 << (_TWO_ADICITY - 1 - bit), _R) != 1:
            j |= 1 << bit
    if pow(w_h, j, _R) != w_s:
        raise CircuitError("the roots of unity do not relate as expected")
    return j


def halo2_order(k: int) -> Any:
    """For size 2^k: the snarkjs index of each halo2 Lagrange point (halo2's i is snarkjs's
    i·J⁻¹ mod 2^k), as a numpy index array."""
    n = 1 << k
    inverse = pow(snarkjs_to_halo2_exponent() % n, -1, n)
    return (np.arange(n, dtype=np.int64) * inverse) % n


@dataclass
class ImportedSrs:
    """An EZKL SRS file made from a verified transcript, and the transcript's record."""

    path: Path
    logrows: int
    transcript_hash: str
    srs_id: str
    record: dict[str, Any] = field(default_factory=dict)
    reused: bool = False


def cache_folder(digest: str, root: Path | None = None) -> Path:
    """``<srs_dir>/ceremony/<first 16 hex digits of the transcript hash>/``."""
    return (root or srs_dir()) / "ceremony" / digest[:16]


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _load_record(folder: Path, digest: str) -> dict[str, Any] | None:
    try:
        record: dict[str, Any] = json.loads((folder / RECORD).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return record if record.get("transcript_hash") == digest else None


def import_transcript(
    path: StrPath,
    logrows: int,
    published_hash: str | None = None,
    echo: Echo = print,
    root: Path | None = None,
) -> ImportedSrs:
    """The EZKL SRS file for circuits of ``logrows`` from a BN254 transcript, cached by
    the transcript's hash. Everything is checked before anything is written: the file complete
    and BN254's, its power at least ``logrows``, its published hash, snarkjs's
    verification and the pairing check (both skipped when this transcript was verified here
    before: its record in the cache says so)."""
    transcript = read_transcript(path)
    if not 1 <= logrows <= transcript.power:
        raise CeremonyError(
            f"{transcript.path}: a transcript of power {transcript.power} serves circuits up to "
            f"logrows {transcript.power}, this one needs {logrows}"
        )
    digest = transcript_hash(transcript.path)
    if published_hash:
        check_published_hash(transcript.path, published_hash, digest)
    folder = cache_folder(digest, root)
    target = folder / f"kzg{logrows}.srs"
    record = _load_record(folder, digest)
    reused = record is not None
    if record is None:
        verification = verify(transcript.path, echo=echo)
        record = {
            "transcript_hash": digest,
            "transcript": str(transcript.path.resolve()),
            "power": verification.power,
            "ceremony_power": verification.ceremony_power,
            "srs_id": verification.srs_id,
            "contributions": [asdict(c) for c in verification.contributions],
            "beacon": asdict(verification.beacon) if verification.beacon else None,
            "verified": "snarkjs powersoftau verify; e([τ]G1, G2) = e(G1, [τ]G2)",
            "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": {},
        }
    else:
        echo(f"transcript {digest[:16]}… verified here on {record.get('verified_at', '?')}")
    srs_id = str(record["srs_id"])
    if not _cached_file_ok(target, logrows, srs_id):
        echo(f"writing the EZKL SRS file for logrows {logrows} (halo2's Lagrange order) ...")
        data = _ezkl_srs_bytes(transcript, logrows, echo)
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)
    files = record.setdefault("files", {})
    if not reused or files.get(str(logrows)) != target.name:
        files[str(logrows)] = target.name
        _write_atomically(folder / RECORD, json.dumps(record, indent=2).encode())
    return ImportedSrs(target, logrows, digest, srs_id, record, reused)


def _cached_file_ok(path: Path, logrows: int, srs_id: str) -> bool:
    from zkalert.zk.srsid import ezkl_srs_logrows, ezkl_srs_tau_g2

    if not path.is_file():
        return False
    try:
        return ezkl_srs_logrows(path) == logrows and ezkl_srs_tau_g2(path).srs_id_hex == srs_id
    except CircuitError:
        return False


#: The node script computing one size's Lagrange points (see its header).
LAGRANGE_SCRIPT = Path(__file__).with_name("lagrange.cjs")


def lagrange_points(powers: bytes, echo: Echo = print) -> bytes:
    """The Lagrange points of the 2^k points ``powers`` ([τ^i]G1, raw), in snarkjs's order: what
    ``prepare phase2`` writes for that size, computed by the same ffjavascript code for this size
    alone (preparing a transcript computes every size of four sections)."""
    command = snarkjs()
    ffjavascript = Path(command[1]).resolve().parents[2] / "ffjavascript"
    if not ffjavascript.is_dir():
        raise ToolchainError(
            f"ffjavascript not found beside snarkjs ({ffjavascript}): run make setup"
        )
    done = _timed(echo, f"computing the {len(powers) // _G1_BYTES:,} Lagrange points")
    with tempfile.TemporaryDirectory() as folder:
        inp, out = Path(folder) / "powers", Path(folder) / "lagrange"
        inp.write_bytes(powers)
        proc = subprocess.run(
            [command[0], str(LAGRANGE_SCRIPT), str(ffjavascript), str(inp), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not out.is_file():
            reason = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            raise CeremonyError(f"computing the Lagrange points failed: {reason}")
        result = out.read_bytes()
    if len(result) != len(powers):
        raise CeremonyError("computing the Lagrange points failed: the output has the wrong size")
    done()
    return result


def _ezkl_srs_bytes(transcript: Transcript, k: int, echo: Echo = print) -> bytes:
    """k, [τ^i]G1 for i < 2^k, the size-2^k Lagrange points in halo2's order, G2 and [τ]G2. The
    Lagrange points come from a prepared transcript's section 12, else are computed here."""
    n = 1 << k
    powers = transcript.read(2, 0, n * _G1_BYTES)
    raw = (
        transcript.read(12, (n - 1) * _G1_BYTES, n * _G1_BYTES)
        if transcript.prepared
        else lagrange_points(powers, echo)
    )
    lagrange = np.frombuffer(raw, dtype=np.uint8).reshape(n, _G1_BYTES)
    g2 = transcript.read(3, 0, 2 * _G2_BYTES)
    return b"".join([k.to_bytes(4, "little"), powers, lagrange[halo2_order(k)].tobytes(), g2])
