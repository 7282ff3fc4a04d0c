"""Regenerate the committed time-series proof fixtures for ``forge test`` (``make fixtures-ts``).

Writes ``test/generated/TsFixture{Tc,Sc,OtherTc}Verifier.sol`` and
``test/fixtures/ts/*.json``: real EZKL proofs of a small EKF detector (reactor
subsystem, D = 1 step per interval, windows of W = 2 intervals) on Tennessee
Eastman fault 4 data, made under a development SRS:

* ``tc0`` … ``tc3``, ``sc0``, ``sc1``: an honest stream of two windows;
* ``tc0_fork``: interval 0 again from the same genesis with other nonces (a stale start once tc0 is recorded);
* ``tcb0``: interval 0 of another stream (another genesis: a forged state for stream A);
* ``tc2_badgain``: interval 2 with the Kalman gains doubled (its KRC verdict is "failed");
* ``tc0_otherkey``: interval 0 proven under another TC circuit's key (never registered);
* ``tcb0_otherkey``: interval 0 from stream B's genesis under that other key: the first proof after
  an approved rotation to the other model with genesis B.

Verifiers and proofs must be regenerated together (the verifiers embed the keys).
"""

from __future__ import annotations

import json
import shutil

from eth_utils import keccak

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import load_te_file
from zkalert.timeseries.circuits import (
    CircuitDir,
    Precision,
    Proof,
    compile_circuit,
    prove,
    run_witness,
    svd_advice,
    tc_block,
    verify,
)
from zkalert.timeseries.ekf import Detector, EKFConfig, train
from zkalert.timeseries.stream import fresh_nonce, tensor_commitment

FIXTURE_DIR = PROJECT_ROOT / "test" / "fixtures" / "ts"
STEPS = 1
WINDOW_STEPS = 2
START_ROW = 158  # window 0: rows 158-159 (normal), window 1: rows 160-161 (fault 4 starts at 160)


def _hex(value: int) -> str:
    return f"0x{value:064x}"


def _write(name: str, proof: Proof, extra: dict[str, object] | None = None) -> None:
    data = {
        "proof": "0x" + proof.proof.hex(),
        "instances": [_hex(v) for v in proof.instances],
        **(extra or {}),
    }
    (FIXTURE_DIR / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")


def _genesis(detector: Detector, precision: Precision) -> tuple[list[float], list[float]]:
    m = detector.m
    state = [
        *precision.quantize(detector.x0).tolist(),
        *precision.quantize(detector.P0).ravel().tolist(),
        *fresh_nonce(),
    ]
    return state, [0.0] * (m + m * m) + fresh_nonce()


def main() -> None:
    root = PROJECT_ROOT / "build" / "ts-fixture"
    shutil.rmtree(root, ignore_errors=True)
    Workspace.at(root)  # creates the folder
    precision = Precision()
    detector = train(EKFConfig(window_steps=WINDOW_STEPS, epochs=60), progress=False)
    other = train(EKFConfig(window_steps=WINDOW_STEPS, epochs=60, seed=1), progress=False)
    tc, sc, tc_other = (
        CircuitDir(root / "tc"),
        CircuitDir(root / "sc"),
        CircuitDir(root / "tc-other"),
    )
    compile_circuit(
        detector, "tc", tc, "TsFixtureTcVerifier", STEPS, precision, verifier_dir=TEST_GENERATED_DIR
    )
    compile_circuit(
        detector, "sc", sc, "TsFixtureScVerifier", STEPS, precision, verifier_dir=TEST_GENERATED_DIR
    )
    compile_circuit(
        other,
        "tc",
        tc_other,
        "TsFixtureOtherTcVerifier",
        STEPS,
        precision,
        verifier_dir=TEST_GENERATED_DIR,
    )

    ys = precision.quantize(
        detector.measurements(load_te_file("d04_te.dat"))[START_ROW : START_ROW + 2 * WINDOW_STEPS]
    )
    proofs = root / "proofs"
    proofs.mkdir()
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)

    def tc_proof(
        folder: CircuitDir,
        det: Detector,
        name: str,
        state: list[float],
        acc: list[float],
        k: int,
        reset: bool,
        gain_factor: float = 1.0,
    ) -> tuple[Proof, list[list[float]]]:
        y = ys[k * STEPS : (k + 1) * STEPS]
        block = tc_block(det, precision, state, y, fresh_nonce() + fresh_nonce(), gain_factor)
        witness = run_witness(
            folder,
            "tc",
            [state, acc, block, [1.0 if reset else 0.0]],
            proofs / f"{name}.witness.json",
        )
        proof = prove(folder, witness.path, proofs / f"{name}.proof.json")
        assert verify(folder, proof.path), f"EZKL rejected its own fixture proof {name}"
        return proof, witness.outputs

    state_a, acc_a = _genesis(detector, precision)
    state, acc = state_a, acc_a
    outputs_by_interval = []
    for k in range(4):
        proof, outputs = tc_proof(tc, detector, f"tc{k}", state, acc, k, reset=k % 2 == 0)
        _write(f"tc{k}", proof)
        outputs_by_interval.append(outputs)
        if k == 1:  # the forged-gain proof continues from the same state as tc2
            bad, _ = tc_proof(
                tc, detector, "tc2_badgain", outputs[0], outputs[1], 2, reset=True, gain_factor=2.0
            )
            _write("tc2_badgain", bad)
        state, acc = outputs[0], outputs[1]

    alarms = []
    for j in range(2):
        acc_end = outputs_by_interval[2 * j + 1][1]
        U, s, w = svd_advice(acc_end, detector.m)
        advice = [
            *precision.quantize(U).ravel().tolist(),
            *precision.quantize(s).tolist(),
            *precision.quantize(w).tolist(),
            *fresh_nonce(),
        ]
        witness = run_witness(sc, "sc", [acc_end, advice], proofs / f"sc{j}.witness.json")
        proof = prove(sc, witness.path, proofs / f"sc{j}.proof.json")
        assert verify(sc, proof.path), "EZKL rejected its own SC fixture proof"
        alarms.append(bool(witness.outputs[1][0] > 0.5))
        _write(f"sc{j}", proof, {"t2": witness.outputs[0][0], "alarm": alarms[-1]})

    fork, _ = tc_proof(tc, detector, "tc0_fork", state_a, acc_a, 0, reset=True)
    _write("tc0_fork", fork)
    state_b, acc_b = _genesis(detector, precision)
    proof_b, _ = tc_proof(tc, detector, "tcb0", state_b, acc_b, 0, reset=True)
    _write("tcb0", proof_b)
    other_key, _ = tc_proof(tc_other, other, "tc0_otherkey", state_a, acc_a, 0, reset=True)
    _write("tc0_otherkey", other_key)
    rotated, _ = tc_proof(tc_other, other, "tcb0_otherkey", state_b, acc_b, 0, reset=True)
    _write("tcb0_otherkey", rotated)

    tc_info, sc_info = tc.info, sc.info
    model = {
        "model_id": "0x" + keccak(tc.vk.read_bytes() + sc.vk.read_bytes()).hex(),
        "other_model_id": "0x" + keccak(tc_other.vk.read_bytes() + sc.vk.read_bytes()).hex(),
        "krc_pass": _hex(tc_info.pass_commitment),
        "reset": _hex(tc_info.reset_commitment),
        "continue": _hex(tc_info.continue_commitment),
        "genesis_state": _hex(tensor_commitment(state_a, precision.psf)),
        "genesis_acc": _hex(tensor_commitment(acc_a, precision.psf)),
        "genesis_state_b": _hex(tensor_commitment(state_b, precision.psf)),
        "genesis_acc_b": _hex(tensor_commitment(acc_b, precision.psf)),
        "steps_per_interval": STEPS,
        "intervals_per_window": WINDOW_STEPS // STEPS,
        "alarms": alarms,
        "source": {
            "data": "Tennessee Eastman d04_te, reactor subsystem",
            "rows": [START_ROW, START_ROW + 2 * WINDOW_STEPS],
            "srs": "development (gen_srs)",
        },
        "circuits": {
            "tc_logrows": tc_info.logrows,
            "sc_logrows": sc_info.logrows,
            "psf": precision.psf,
        },
    }
    (FIXTURE_DIR / "model.json").write_text(json.dumps(model, indent=2) + "\n")
    print(
        f"wrote {TEST_GENERATED_DIR}/TsFixture*Verifier.sol and {FIXTURE_DIR}/*.json; alarms {alarms}"
    )


if __name__ == "__main__":
    main()
