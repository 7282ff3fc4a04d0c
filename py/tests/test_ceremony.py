"""A two-party powers-of-tau ceremony with the real snarkjs, imported as an EZKL SRS file.

One ceremony for the module (power 7, through the CLI as two parties would run it: new, the
utility's contribution, the regulator's, a beacon, prepare), then: its verification lists both
contributors; the SRS file imported at logrows 7 (the transcript's full size, where EZKL uses the
file's Lagrange points, and above k = 5, where halo2's and snarkjs's orders differ) sets up,
proves and verifies a small circuit with EZKL, and the verifier EZKL generates from it embeds the
ceremony's [τ]G2; bad transcripts are refused with one line and leave nothing in the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from zkalert.config import configured
from zkalert.errors import CeremonyError, CircuitError, ToolchainError
from zkalert.toolchain import SNARKJS_CLI, link_solc_for_consumers
from zkalert.zk import ceremony
from zkalert.zk.srsid import ezkl_srs_logrows, ezkl_srs_tau_g2, verifier_tau_g2

ZKALERT = [str(Path(sys.executable).parent / "zkalert")]
POWER = 7
BEACON = "5f" * 32
#: Seconds each ceremony step took in this run (printed with -s; the report quotes them).
TIMINGS: dict[str, float] = {}


def zkalert(*args: str, srs_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZKALERT_SRS_DIR": str(srs_dir)}
    started = time.perf_counter()
    proc = subprocess.run([*ZKALERT, *args], capture_output=True, text=True, check=False, env=env)
    TIMINGS[" ".join(args[:2])] = round(time.perf_counter() - started, 1)
    return proc


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def hash_line(stdout: str, label: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith(label)).split()[-1]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path | str]]:
    """The ceremony, step by step through the CLI: each party hands the file to the next."""
    folder = tmp_path_factory.mktemp("ceremony")
    srs_dir = folder / "srs"
    files = {name: folder / f"{name}.ptau" for name in ("new", "utility", "regulator", "beacon")}
    final = folder / "final.ptau"
    ok(zkalert("srs", "new", str(POWER), "--out", str(files["new"]), srs_dir=srs_dir))
    utility = ok(
        zkalert("srs", "contribute", str(files["new"]), "--out", str(files["utility"]),
                "--name", "Utility", srs_dir=srs_dir)
    )  # fmt: skip
    regulator = ok(
        zkalert("srs", "contribute", str(files["utility"]), "--out", str(files["regulator"]),
                "--name", "Regulator", srs_dir=srs_dir)
    )  # fmt: skip
    ok(
        zkalert("srs", "beacon", str(files["regulator"]), "--out", str(files["beacon"]),
                "--beacon", BEACON, srs_dir=srs_dir)
    )  # fmt: skip
    ok(zkalert("srs", "prepare", str(files["beacon"]), "--out", str(final), srs_dir=srs_dir))
    yield {
        **files,
        "final": final,
        "srs_dir": srs_dir,
        "folder": folder,
        "utility_hash": hash_line(utility, "contribution hash"),
        "regulator_hash": hash_line(regulator, "contribution hash"),
    }
    print("\nceremony steps, seconds (pytest -s shows them):", json.dumps(TIMINGS))


def cache_listing(srs_dir: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(srs_dir)) for p in srs_dir.rglob("*")) if srs_dir.exists() else []
    )


@pytest.mark.slow
def test_the_verified_transcript_lists_both_parties_and_the_beacon(run) -> None:
    final = Path(run["final"])
    # its published hash given as SHA-256, upper case with 0x (blake2b-512 is the usual form)
    published = "0x" + hashlib.sha256(final.read_bytes()).hexdigest().upper()
    out = ok(
        zkalert("srs", "verify", str(final), "--hash", published, srs_dir=Path(run["srs_dir"]))
    )
    assert f"power: {POWER} (serves circuits up to logrows {POWER})" in out
    assert "contributions: 3" in out
    assert f"#1 Utility: {run['utility_hash']}" in out
    assert f"#2 Regulator: {run['regulator_hash']}" in out
    assert f"(beacon {BEACON}, 2^10 rounds)" in out
    assert hash_line(out, "transcript hash") == hashlib.blake2b(final.read_bytes()).hexdigest()
    # [τ]G2, read back from the transcript's tauG2 section: what the SRS id names
    tau_g2 = ceremony.read_transcript(final).tau_g2(1)
    assert hash_line(out, "SRS id") == tau_g2.srs_id_hex


@pytest.mark.slow
@pytest.mark.ezkl
def test_the_imported_srs_proves_and_verifies_with_ezkl_at_its_full_size(run, tmp_path) -> None:
    import ezkl
    import torch

    from zkalert.zk.circuit import compile_runtime, ezkl_verifier_source

    srs_dir = Path(run["srs_dir"])
    started = time.perf_counter()
    proc = zkalert("srs", "import", str(run["final"]), "--logrows", str(POWER), srs_dir=srs_dir)
    TIMINGS["import (first)"] = round(time.perf_counter() - started, 1)
    srs = Path(ok(proc).strip())
    assert srs.parent.parent == srs_dir / "ceremony" and srs.name == f"kzg{POWER}.srs"
    assert ezkl_srs_logrows(srs) == POWER
    transcript = ceremony.read_transcript(Path(run["final"]))
    assert ezkl_srs_tau_g2(srs) == transcript.tau_g2(1)

    # a small circuit: 4 inputs, a fixed 4x2 linear layer, public inputs and outputs
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2).eval()
    x = torch.rand(1, 4)
    onnx, settings, compiled = tmp_path / "m.onnx", tmp_path / "settings.json", tmp_path / "c"
    with warnings.catch_warnings():  # the TorchScript exporter's notice, as in zk.circuit
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (x,), str(onnx), input_names=["x"], output_names=["y"],
                          opset_version=17, dynamo=False)  # fmt: skip
    (tmp_path / "input.json").write_text(json.dumps({"input_data": [x.flatten().tolist()]}))
    args = ezkl.PyRunArgs()
    args.input_visibility, args.param_visibility, args.output_visibility = (
        "public",
        "fixed",
        "public",
    )
    args.input_scale = args.param_scale = 4
    args.decomp_base, args.decomp_legs, args.logrows = 16, 2, POWER
    assert ezkl.gen_settings(str(onnx), str(settings), py_run_args=args)
    assert ezkl.compile_circuit(str(onnx), str(compiled), str(settings))
    witness, vk, pk = tmp_path / "witness.json", tmp_path / "vk.key", tmp_path / "pk.key"
    ezkl.gen_witness(str(tmp_path / "input.json"), str(compiled), str(witness))

    def proves_and_verifies(srs_path: Path) -> bool:
        proof = tmp_path / "proof.json"
        assert ezkl.setup(str(compiled), str(vk), str(pk), srs_path=str(srs_path))
        ezkl.prove(str(witness), str(compiled), str(pk), str(proof), srs_path=str(srs_path))
        try:
            return bool(ezkl.verify(str(proof), str(settings), str(vk), srs_path=str(srs_path)))
        except RuntimeError:  # EZKL raises "the constraint system is not satisfied"
            return False

    assert proves_and_verifies(srs)
    # the control: the same points in snarkjs's order do not verify (so the order was needed)
    n = 1 << POWER
    raw = srs.read_bytes()
    points = np.frombuffer(raw[4 + 64 * n : 4 + 128 * n], dtype=np.uint8).reshape(n, 64)
    unordered = np.empty_like(points)
    unordered[ceremony.halo2_order(POWER)] = points
    assert not np.array_equal(unordered, points)
    snarkjs_order = tmp_path / "snarkjs-order.srs"
    snarkjs_order.write_bytes(raw[: 4 + 64 * n] + unordered.tobytes() + raw[4 + 128 * n :])
    assert not proves_and_verifies(snarkjs_order)

    # the verifier EZKL generates with the imported SRS embeds the ceremony's [τ]G2
    assert ezkl.setup(str(compiled), str(vk), str(pk), srs_path=str(srs))
    link_solc_for_consumers()
    source = ezkl_verifier_source(vk, settings, srs, tmp_path / "V.sol", tmp_path / "V.abi")
    code = compile_runtime(source, "V.sol", "Halo2Verifier")
    assert verifier_tau_g2(code) == transcript.tau_g2(1)


@pytest.mark.slow
def test_a_second_import_reuses_the_verification_without_snarkjs(run, monkeypatch) -> None:
    srs_dir = Path(run["srs_dir"])
    with configured(srs_dir=srs_dir):
        first = ceremony.import_transcript(Path(run["final"]), POWER, echo=lambda _m: None)
        record = (first.path.parent / ceremony.RECORD).read_text()
        # without node on PATH snarkjs cannot run: the import must not need it
        monkeypatch.setenv("PATH", str(Path(run["folder"])))
        with pytest.raises(ToolchainError):
            ceremony.verify(Path(run["final"]), echo=lambda _m: None)
        started = time.perf_counter()
        again = ceremony.import_transcript(Path(run["final"]), POWER, echo=lambda _m: None)
        smaller = ceremony.import_transcript(Path(run["final"]), 6, echo=lambda _m: None)
        TIMINGS["import (cached, two sizes)"] = round(time.perf_counter() - started, 2)
    assert again.reused and again.path == first.path and again.srs_id == first.srs_id
    assert smaller.reused and ezkl_srs_logrows(smaller.path) == 6
    assert ezkl_srs_tau_g2(smaller.path).srs_id_hex == first.srs_id
    after = json.loads((first.path.parent / ceremony.RECORD).read_text())
    assert after["verified_at"] == json.loads(record)["verified_at"]
    assert after["files"] == {str(POWER): f"kzg{POWER}.srs", "6": "kzg6.srs"}
    assert [c["name"] for c in after["contributions"]] == ["Utility", "Regulator", "beacon"]
    assert after["beacon"]["beacon"] == BEACON


@pytest.mark.slow
def test_an_unprepared_transcript_imports_to_the_same_file_as_its_prepared_form(
    run, tmp_path
) -> None:
    """Without prepare, the import computes the one size's Lagrange points itself (ffjavascript,
    as prepare does): byte for byte the file the prepared transcript gives."""
    srs_dir = Path(run["srs_dir"])
    with configured(srs_dir=tmp_path / "unprepared"):
        beacon = ceremony.import_transcript(Path(run["beacon"]), POWER, echo=lambda _m: None)
    with configured(srs_dir=srs_dir):
        final = ceremony.import_transcript(Path(run["final"]), POWER, echo=lambda _m: None)
    assert not ceremony.read_transcript(Path(run["beacon"])).prepared
    assert beacon.srs_id == final.srs_id
    assert beacon.path.read_bytes() == final.path.read_bytes()


def _tampered(run, path: Path) -> Path:
    """tauG1[3] replaced by tauG1[2]: still points of the curve, no longer powers of one τ."""
    final = ceremony.read_transcript(Path(run["final"]))
    offset, _ = final.sections[2]
    data = bytearray(final.path.read_bytes())
    data[offset + 3 * 64 : offset + 4 * 64] = data[offset + 2 * 64 : offset + 3 * 64]
    path.write_bytes(data)
    return path


def _bls12_381(run, path: Path) -> Path:
    subprocess.run(
        ["node", str(SNARKJS_CLI), "powersoftau", "new", "bls12381", "2", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def _truncated(run, path: Path) -> Path:
    path.write_bytes(Path(run["final"]).read_bytes()[:100_000])
    return path


BAD = {
    "tampered": (_tampered, [], "does not verify (snarkjs powersoftau verify: tauG1 section"),
    "wrong hash": (lambda run, _p: Path(run["final"]), ["--hash", "ab" * 64],
                   "its blake2b-512 is"),
    "too small": (lambda run, _p: Path(run["final"]), ["--logrows", str(POWER + 1)],
                  f"a transcript of power {POWER} serves circuits up to logrows {POWER}"),
    "bls12-381": (_bls12_381, ["--logrows", "2"], "BLS12-381); EZKL's circuits need a BN254"),
    "truncated": (_truncated, [], "truncated (100,000 bytes"),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_transcript_is_one_line_exit_1_and_nothing_cached(run, tmp_path, case) -> None:
    make, extra, message = BAD[case]
    transcript = make(run, tmp_path / f"{case}.ptau")
    srs_dir = Path(run["srs_dir"])
    before = cache_listing(srs_dir)
    args = ["srs", "import", str(transcript), *extra]
    if "--logrows" not in extra:
        args += ["--logrows", str(POWER)]
    proc = zkalert(*args, srs_dir=srs_dir)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert cache_listing(srs_dir) == before


@pytest.mark.slow
def test_compile_takes_a_transcript_or_an_srs_file_and_records_which(run, tmp_path) -> None:
    from zkalert.zk.circuit import srs_file

    final = Path(run["final"])
    digest = hashlib.blake2b(final.read_bytes()).hexdigest()
    with configured(srs_dir=Path(run["srs_dir"])):
        from_transcript = srs_file(POWER, final, digest, echo=lambda _m: None)
        assert from_transcript.kind == "ceremony" and not from_transcript.development
        assert from_transcript.transcript_hash == digest
        assert from_transcript.srs_id == ceremony.read_transcript(final).tau_g2(1).srs_id_hex
        # the imported file, given as an EZKL SRS file: same SRS, kind "file"
        as_file = srs_file(6, from_transcript.path, echo=lambda _m: None)
        assert (as_file.kind, as_file.srs_id) == ("file", from_transcript.srs_id)
        with pytest.raises(CircuitError, match="an SRS file for logrows 7; this circuit needs"):
            srs_file(8, from_transcript.path)
        with pytest.raises(CeremonyError, match="its SHA-256 is"):
            srs_file(6, from_transcript.path, "00" * 32)
        not_srs = tmp_path / "notes.txt"
        not_srs.write_text("not an SRS")
        with pytest.raises(CircuitError, match="neither a powers-of-tau transcript"):
            srs_file(6, not_srs)


@pytest.mark.slow
@pytest.mark.ezkl
def test_the_doctor_reports_the_ceremony_and_a_swapped_srs_file(run, tmp_path) -> None:
    from dataclasses import replace

    from zkalert.gateway.doctor import Doctor, DoctorOptions, check_srs
    from zkalert.zk.circuit import CircuitInfo, srs_file

    with configured(srs_dir=Path(run["srs_dir"])):
        srs = srs_file(POWER, Path(run["final"]), echo=lambda _m: None)
    info = CircuitInfo(
        model_id="0x" + "00" * 32, logrows=POWER, input_scale=4, output_scale=4, threshold=1.0,
        threshold_felt=16, width=4, windows_per_proof=1, verifier_contract="V",
        verifier_source="V.sol", srs_path=str(srs.path), srs_development_only=False, setup_s=0.0,
        pk_bytes=0, vk_bytes=0, srs_kind=srs.kind, srs_id=srs.srs_id,
        srs_transcript_hash=srs.transcript_hash,
    )  # fmt: skip
    doctor = Doctor(DoctorOptions(workdir=tmp_path))
    doctor.info = info
    result = check_srs(doctor)
    assert result.status == "ok"
    assert (
        f"detector: ceremony (transcript {srs.transcript_hash[:16]}…, SRS id {srs.srs_id[:18]}…)"
        in result.detail
    )
    # another SRS at the recorded path: the id no longer matches
    other = tmp_path / "other.srs"
    import ezkl

    ezkl.gen_srs(str(other), 6)
    doctor.info = replace(info, srs_path=str(other))
    with pytest.raises(Exception, match="is not the one it was compiled with"):
        check_srs(doctor)


@pytest.mark.slow
def test_a_snarkjs_error_with_exit_status_0_is_still_a_failure(run, tmp_path) -> None:
    """snarkjs's beacon logs "[ERROR] Invalid numIterationsExp" and exits 0: the log line counts."""
    out = tmp_path / "beacon.ptau"
    args = ["powersoftau", "beacon", str(run["regulator"]), str(out), BEACON, "5"]
    status = subprocess.run(["node", str(SNARKJS_CLI), *args], capture_output=True, check=False)
    assert status.returncode == 0 and not out.exists()  # the quirk, as snarkjs 0.7.6 has it
    with pytest.raises(CeremonyError, match="Invalid numIterationsExp"):
        ceremony.run_snarkjs(args, "powersoftau beacon")


def test_snarkjs_roots_of_unity_are_halo2s_to_an_odd_power() -> None:
    """ω_snarkjs = ω_halo2^J, J odd, J ≡ 1 mod 32: the orders agree up to size 32, not above."""
    r = 21888242871839275222246405745257275088548364400416034343698204186575808495617
    j = ceremony.snarkjs_to_halo2_exponent()
    w5, w7 = pow(5, (r - 1) >> 28, r), pow(7, (r - 1) >> 28, r)
    assert pow(w7, j, r) == w5 and j % 2 == 1 and j % 32 == 1 and j % 64 != 1
    for k in (5, 6, 13):
        order = ceremony.halo2_order(k)
        assert sorted(order.tolist()) == list(range(1 << k))  # a permutation
        assert (order.tolist() == list(range(1 << k))) == (k <= 5)


def test_a_published_hash_must_be_128_or_64_hex_digits(tmp_path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    with pytest.raises(CeremonyError, match="expected 128 hex digits"):
        ceremony.check_published_hash(path, "abc")
    ceremony.check_published_hash(path, hashlib.sha256(b"x").hexdigest())
    spaced = " ".join(hashlib.blake2b(b"x").hexdigest()[i : i + 8] for i in range(0, 128, 8))
    ceremony.check_published_hash(path, spaced)  # as b2sum's groups or snarkjs's print it
