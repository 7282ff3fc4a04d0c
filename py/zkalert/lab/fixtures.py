"""Regenerate the committed proof fixtures for ``forge test`` (``make fixtures``).

Writes ``test/generated/FixtureVerifier.sol`` (the EZKL verifier of a
detector trained briefly on Tennessee Eastman) and ``test/fixtures/alert_proof.json``
(a real proof of one fault window through it). The two must be regenerated
together: the verifier embeds the verifying key the proof was made under.

Every proof is bound to a gateway, a stream and a window index (``binding`` in
each fixture): anvil's account 0 (:data:`FIXTURE_GATEWAY`), the stream named
``fixture/te`` (``fixture/te-kzg`` for the KZG fixtures), the alert window at
index 0 and the normal one at index 1, so a test records them in that order.

``python -m zkalert.lab.fixtures vka`` writes a two-window KZG proof of a circuit
verified through EZKL's reusable verifier and the circuit's VKA (:func:`main_vka`).

``python -m zkalert.lab.fixtures kzg`` writes the KZG-commitment fixtures from the
same detector: ``FixtureKzgVerifier.sol`` with ``test/fixtures/kzg/alert_proof.json``
and ``normal_proof.json`` (one window per proof), ``FixtureKzgBatchVerifier.sol``
with ``test/fixtures/kzg/batch_proof.json`` (two windows per proof). Each
fixture's ``input_commitments`` come from EZKL's witness (the commitment of the
window computed from the window), not from the proof bytes, so the forge tests
cross-check the registry's reading of the proof against them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import FloatArray, load_tennessee_eastman
from zkalert.detector.model import Detector, TrainConfig, train
from zkalert.evm.ids import stream_id
from zkalert.zk.circuit import CircuitConfig, CircuitInfo, compile_circuit
from zkalert.zk.prover import Prover
from zkalert.zk.statement import Binding

FIXTURE_DIR = PROJECT_ROOT / "test" / "fixtures"
#: anvil's account 0: the gateway every committed fixture proof is bound to.
FIXTURE_GATEWAY = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
FIXTURE_STREAM = "fixture/te"
FIXTURE_KZG_STREAM = "fixture/te-kzg"


def fixture_binding(stream: str, index: int, gateway: str = FIXTURE_GATEWAY) -> Binding:
    return Binding(gateway, stream_id(stream), index)


def main() -> None:
    workspace = Workspace.at(PROJECT_ROOT / "build" / "fixture")
    te = load_tennessee_eastman()
    detector = train(te.train, te.validation.windows, te.validation.labels, TrainConfig(epochs=60))
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig(),
        contract_name="FixtureVerifier",
        verifier_dir=TEST_GENERATED_DIR,
    )
    scores = detector.score(te.test.windows)
    alarm_rows = np.flatnonzero(
        (te.test.fault_ids == 1) & (te.test.labels == 1) & (scores >= detector.threshold)
    )
    normal_rows = np.flatnonzero((te.test.fault_ids == 0) & (scores < detector.threshold))
    prover = Prover(workspace)
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    for position, (name, index) in enumerate(
        (("alert_proof", int(alarm_rows[0])), ("normal_proof", int(normal_rows[0])))
    ):
        binding = fixture_binding(FIXTURE_STREAM, position)
        proven = prover.prove(
            detector.scale(te.test.windows[index : index + 1]), name, binding, float(scores[index])
        )
        assert prover.verify_offchain(proven), "EZKL rejected its own fixture proof"
        fixture = {
            "proof": "0x" + proven.proof.hex(),
            "instances": [f"0x{v:064x}" for v in proven.instances],
            "model_id": info.model_id,
            "threshold": str(info.threshold_felt),
            "windows_per_proof": 1,
            "score": str(proven.score_felt),
            "input_commitment": f"0x{proven.input_commitment:064x}",
            "alarm": proven.score_felt >= info.threshold_felt,
            "binding": {**binding.to_json(), "stream": FIXTURE_STREAM},
            "binding_value": f"0x{proven.bindings[0]:064x}",
            "source": {
                "data": "Tennessee Eastman d01_te"
                if name == "alert_proof"
                else "Tennessee Eastman d00_te",
                "row": int(te.test.rows[index]),
                "float_score": float(scores[index]),
            },
            "circuit": {
                "logrows": info.logrows,
                "input_scale": info.input_scale,
                "output_scale": info.output_scale,
                "srs": "development (gen_srs)",
            },
        }
        (FIXTURE_DIR / f"{name}.json").write_text(json.dumps(fixture, indent=2) + "\n")
        shutil.copy(proven.proof_path, FIXTURE_DIR / f"{name}.ezkl.json")
    print(
        f"wrote {TEST_GENERATED_DIR / 'FixtureVerifier.sol'} and {FIXTURE_DIR}/alert_proof.json, normal_proof.json"
    )


def _kzg_fixture(
    prover: Prover,
    info: CircuitInfo,
    windows: FloatArray,
    name: str,
    source: dict[str, Any],
    index: int,
) -> dict[str, Any]:
    binding = fixture_binding(FIXTURE_KZG_STREAM, index)
    proven = prover.prove(windows, name, binding)
    assert prover.verify_offchain(proven), "EZKL rejected its own fixture proof"
    statement = prover.statement_instances(
        windows, f"{name}-statement", binding
    )  # from the windows, not the proof
    b = info.windows_per_proof
    assert statement == proven.statement, (
        "the proof's G1 points are not the windows' KZG commitments"
    )
    return {
        "proof": "0x" + proven.proof.hex(),
        "instances": [f"0x{v:064x}" for v in proven.instances],
        "model_id": info.model_id,
        "threshold": str(info.threshold_felt),
        "windows_per_proof": b,
        "commitment": "kzg",
        "scores": [str(v) for v in statement[b:]],
        "input_commitments": [f"0x{v:064x}" for v in statement[:b]],
        "binding": {**binding.to_json(), "stream": FIXTURE_KZG_STREAM},
        "bindings": [f"0x{v:064x}" for v in proven.bindings],
        "source": source,
        "circuit": {
            "logrows": info.logrows,
            "input_scale": info.input_scale,
            "output_scale": info.output_scale,
            "srs": "development (gen_srs)",
        },
    }


def main_kzg() -> None:
    """KZG-commitment fixtures from the detector of ``make fixtures`` (build/fixture)."""
    source_ws = Workspace.at(PROJECT_ROOT / "build" / "fixture")
    detector = Detector.load(source_ws)  # refuses cleanly when `make fixtures` has not run
    te = load_tennessee_eastman()
    scores = detector.score(te.test.windows)
    alarm_rows = np.flatnonzero(
        (te.test.fault_ids == 1) & (te.test.labels == 1) & (scores >= detector.threshold)
    )
    normal_rows = np.flatnonzero((te.test.fault_ids == 0) & (scores < detector.threshold))
    out = FIXTURE_DIR / "kzg"
    out.mkdir(parents=True, exist_ok=True)
    for contract, windows_per_proof in (("FixtureKzgVerifier", 1), ("FixtureKzgBatchVerifier", 2)):
        workspace = Workspace.at(PROJECT_ROOT / "build" / f"fixture-kzg-{windows_per_proof}")
        detector.save(workspace)
        info = compile_circuit(
            detector,
            workspace,
            te.train,
            CircuitConfig().with_commitment("kzg"),
            contract_name=contract,
            verifier_dir=TEST_GENERATED_DIR,
            windows_per_proof=windows_per_proof,
        )
        prover = Prover(workspace)
        if windows_per_proof == 1:
            for position, (name, index) in enumerate(
                (("alert_proof", int(alarm_rows[0])), ("normal_proof", int(normal_rows[0])))
            ):
                source = {
                    "data": "Tennessee Eastman "
                    + ("d01_te" if name == "alert_proof" else "d00_te"),
                    "row": int(te.test.rows[index]),
                    "float_score": float(scores[index]),
                }
                fixture = _kzg_fixture(
                    prover,
                    info,
                    detector.scale(te.test.windows[index : index + 1]),
                    name,
                    source,
                    position,
                )
                (out / f"{name}.json").write_text(json.dumps(fixture, indent=2) + "\n")
        else:
            index = int(alarm_rows[1])
            source = {
                "data": "Tennessee Eastman d01_te",
                "rows": [int(te.test.rows[index]), int(te.test.rows[index + 1])],
            }
            fixture = _kzg_fixture(
                prover,
                info,
                detector.scale(te.test.windows[index : index + 2]),
                "batch_proof",
                source,
                2,
            )
            (out / "batch_proof.json").write_text(json.dumps(fixture, indent=2) + "\n")
    print(
        f"wrote {TEST_GENERATED_DIR}/FixtureKzgVerifier.sol, FixtureKzgBatchVerifier.sol and {out}/*.json"
    )


def main_vka() -> None:
    """A two-window KZG proof for a circuit verified through EZKL's reusable verifier and its
    VKA (``test/fixtures/kzg/vka_batch_proof.json``, its VKA ``vka_batch.vka.json``), from the
    detector of ``make fixtures`` (build/fixture): the circuit's own verifier is not committed,
    the reusable one is ``contracts/generated/Halo2VerifierReusable.sol``."""
    from zkalert.zk.vka import vka_digest, vka_words, write_reusable_verifier

    te = load_tennessee_eastman()
    source_ws = Workspace.at(PROJECT_ROOT / "build" / "fixture")
    if source_ws.detector.is_file():
        detector = Detector.load(source_ws)
    else:  # as `make fixtures` trains it; its other fixtures are left as they are
        detector = train(
            te.train, te.validation.windows, te.validation.labels, TrainConfig(epochs=60)
        )
        detector.save(source_ws)
    scores = detector.score(te.test.windows)
    alarm_rows = np.flatnonzero(
        (te.test.fault_ids == 1) & (te.test.labels == 1) & (scores >= detector.threshold)
    )
    workspace = Workspace.at(PROJECT_ROOT / "build" / "fixture-vka-2")
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig().with_commitment("kzg"),
        contract_name="FixtureVkaOwnVerifier",
        verifier_dir=workspace.root,
        windows_per_proof=2,
    )
    srs = Path(info.srs_path)
    write_reusable_verifier(workspace.vk, workspace.settings, srs, workspace.root)
    words = vka_words(workspace.vk, workspace.settings, srs, workspace.root / "vka.bin")
    index = int(alarm_rows[2])
    source = {
        "data": "Tennessee Eastman d01_te",
        "rows": [int(te.test.rows[index]), int(te.test.rows[index + 1])],
    }
    fixture = _kzg_fixture(
        Prover(workspace),
        info,
        detector.scale(te.test.windows[index : index + 2]),
        "vka_batch_proof",
        source,
        0,
    )
    out = FIXTURE_DIR / "kzg"
    (out / "vka_batch_proof.json").write_text(json.dumps(fixture, indent=2) + "\n")
    vka = {
        "model_id": info.model_id,
        "digest": vka_digest(words),
        "words": ["0x" + w.hex() for w in words],
    }
    (out / "vka_batch.vka.json").write_text(json.dumps(vka, indent=2) + "\n")
    print(f"wrote {out}/vka_batch_proof.json and vka_batch.vka.json ({len(words)} words)")


if __name__ == "__main__":
    {"kzg": main_kzg, "vka": main_vka}.get(sys.argv[1] if sys.argv[1:] else "", main)()
