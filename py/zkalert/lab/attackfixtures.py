"""Real proofs for the attack suite and the fault-injection tests (run by ``make fixtures``).

Run after :mod:`zkalert.lab.fixtures`, whose workspace (``build/fixture``) holds the
proving key behind ``test/generated/FixtureVerifier.sol``. Writes:

- ``test/fixtures/alert_proof_rerandomised.json``: a second, independently
  randomised proof of the *same* statement as ``alert_proof.json`` (Halo2
  blinds every proof), so the registry's refusal of a replay is tested against
  different proof bytes, not just a resubmission;
- ``test/fixtures/stream_proofs.json``: more real proofs of distinct TE fault
  windows under the fixture circuit, bound to anvil's account 2 and windows
  0..3 of the streams ``plant/a`` and ``plant/b``, so pytest can put whole
  streams on-chain without proving anything;
- ``test/generated/ForeignVerifier.sol`` and ``test/fixtures/foreign_proof.json``:
  a second circuit (another briefly trained detector, so another verifying key)
  and a valid proof under it: "a proof for a different model".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import TE_FAULT_START_ROW, load_te_file, load_tennessee_eastman
from zkalert.detector.model import Detector, TrainConfig, train
from zkalert.errors import ConfigError, ProofError
from zkalert.lab.fixtures import FIXTURE_STREAM, fixture_binding
from zkalert.zk.circuit import CircuitConfig, compile_circuit
from zkalert.zk.prover import ProvenWindow, Prover
from zkalert.zk.statement import BINDING_LIMBS, Binding

FIXTURE_DIR = PROJECT_ROOT / "test" / "fixtures"
FIXTURE_WORKSPACE = PROJECT_ROOT / "build" / "fixture"
FOREIGN_WORKSPACE = PROJECT_ROOT / "build" / "fixture-foreign"
#: Windows of the fault-1 test run proven for stream_proofs.json (after the fault onset).
STREAM_ROWS = tuple(range(TE_FAULT_START_ROW + 40, TE_FAULT_START_ROW + 48))
#: anvil's account 2: the gateway of the outbox and fault-injection tests.
STREAM_GATEWAY = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#: stream_proofs.json: the streams, each with windows 0..STREAM_WINDOWS-1.
STREAM_NAMES = ("plant/a", "plant/b")
STREAM_WINDOWS = 4


def _fixture_record(
    proven: ProvenWindow,
    model_id: str,
    threshold_felt: int,
    source: dict[str, object],
    binding: Binding,
) -> dict[str, object]:
    return {
        "proof": "0x" + proven.proof.hex(),
        "instances": [f"0x{v:064x}" for v in proven.instances],
        "model_id": model_id,
        "threshold": str(threshold_felt),
        "windows_per_proof": 1,
        "score": str(proven.score_felt),
        "input_commitment": f"0x{proven.input_commitment:064x}",
        "alarm": proven.score_felt >= threshold_felt,
        "binding": {**binding.to_json(), "stream": FIXTURE_STREAM},
        "binding_value": f"0x{proven.bindings[0]:064x}",
        "source": source,
    }


def _write(name: str, record: dict[str, object]) -> Path:
    path = FIXTURE_DIR / name
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def rerandomised_alert() -> Path:
    workspace = Workspace.at(FIXTURE_WORKSPACE)
    prover = Prover(workspace)
    original = json.loads((FIXTURE_DIR / "alert_proof.json").read_text())
    if original["model_id"] != prover.info.model_id:
        raise ConfigError(
            f"{FIXTURE_WORKSPACE} does not hold the circuit of test/fixtures/alert_proof.json: run `make fixtures`"
        )
    rows = json.loads((workspace.proofs / "alert_proof.input.json").read_text())["input_data"]
    window = np.asarray(
        [row[:-BINDING_LIMBS] for row in rows], dtype=np.float64
    )  # the binding's limbs end each row
    binding = fixture_binding(FIXTURE_STREAM, int(original["binding"]["index"]))
    proven = prover.prove(window, "alert_proof_rerandomised", binding)
    if proven.instances != tuple(int(v, 16) for v in original["instances"]):
        raise ProofError("the re-proven alert window has other instances than alert_proof.json")
    if proven.proof.hex() == original["proof"].removeprefix("0x"):
        raise ProofError("EZKL produced identical proof bytes: the proof was not re-randomised")
    if not prover.verify_offchain(proven):
        raise ProofError("EZKL rejected the re-randomised proof")
    record = _fixture_record(
        proven,
        prover.info.model_id,
        prover.info.threshold_felt,
        {**original["source"], "note": "same window as alert_proof.json, proven again"},
        binding,
    )
    return _write("alert_proof_rerandomised.json", record)


def stream_proofs() -> Path:
    workspace = Workspace.at(FIXTURE_WORKSPACE)
    prover = Prover(workspace)
    detector = Detector.load(workspace)
    rows = load_te_file("d01_te.dat")
    proofs = []
    slots = [(stream, index) for stream in STREAM_NAMES for index in range(STREAM_WINDOWS)]
    for row, (stream, index) in zip(STREAM_ROWS, slots, strict=True):
        scaled = detector.scale(rows[row : row + 1])
        binding = fixture_binding(stream, index, STREAM_GATEWAY)
        proven = prover.prove(scaled, f"stream-d01-row{row}", binding)
        if not prover.verify_offchain(proven):
            raise ProofError(f"EZKL rejected its own proof of d01_te row {row}")
        proofs.append(
            {
                "key": f"te/d01_te/row{row}",
                "stream": stream,
                "index": index,
                "proof": "0x" + proven.proof.hex(),
                "instances": [f"0x{v:064x}" for v in proven.instances],
            }
        )
    record = {
        "model_id": prover.info.model_id,
        "threshold": str(prover.info.threshold_felt),
        "windows_per_proof": 1,
        "gateway": STREAM_GATEWAY,
        "proofs": proofs,
    }
    return _write("stream_proofs.json", record)


def foreign_circuit() -> Path:
    workspace = Workspace.at(FOREIGN_WORKSPACE)
    te = load_tennessee_eastman(seed=1)
    detector = train(
        te.train, te.validation.windows, te.validation.labels, TrainConfig(epochs=5, seed=1)
    )
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig(),
        contract_name="ForeignVerifier",
        verifier_dir=TEST_GENERATED_DIR,
    )
    prover = Prover(workspace)
    index = int(np.flatnonzero(te.test.fault_ids == 1)[TE_FAULT_START_ROW])
    binding = fixture_binding(FIXTURE_STREAM, 0)
    proven = prover.prove(
        detector.scale(te.test.windows[index : index + 1]), "foreign_proof", binding
    )
    if not prover.verify_offchain(proven):
        raise ProofError("EZKL rejected its own foreign-circuit proof")
    record = _fixture_record(
        proven,
        info.model_id,
        info.threshold_felt,
        {
            "data": "Tennessee Eastman d01_te",
            "row": int(te.test.rows[index]),
            "circuit": "ForeignVerifier (5 epochs, seed 1)",
        },
        binding,
    )
    return _write("foreign_proof.json", record)


def main() -> None:
    for make in (rerandomised_alert, stream_proofs, foreign_circuit):
        print(f"wrote {make()}")


if __name__ == "__main__":
    main()
