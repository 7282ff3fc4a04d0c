"""The whole path with a freshly trained detector: train -> compile -> prove -> deploy -> submit -> log.

Real EZKL (logrows 13 circuit, a few seconds per proof) and a real anvil. The
verifier is generated into test/generated/PytestVerifier.sol (ignored
by git) and removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import OWNER_KEY
from eth_account import Account

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import load_tennessee_eastman
from zkalert.detector.model import TrainConfig, train
from zkalert.evm.ids import stream_id
from zkalert.evm.log import check_chain, fetch_alerts
from zkalert.evm.registry import Gateway, ModelSpec, deploy, ezkl_calldata
from zkalert.evm.rpc import verifier_eth_call
from zkalert.zk.circuit import CircuitConfig, CircuitInfo, compile_circuit
from zkalert.zk.prover import Prover
from zkalert.zk.statement import Binding

pytestmark = [pytest.mark.anvil, pytest.mark.ezkl, pytest.mark.slow]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    workspace = Workspace.at(tmp_path_factory.mktemp("pipeline"))
    te = load_tennessee_eastman()
    detector = train(
        te.train,
        te.validation.windows,
        te.validation.labels,
        TrainConfig(epochs=40),
        progress=False,
    )
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig(),
        contract_name="PytestVerifier",
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
    )
    yield workspace, detector, info, te
    (TEST_GENERATED_DIR / "PytestVerifier.sol").unlink(missing_ok=True)


def test_compile_binds_model_and_threshold(compiled):
    workspace, detector, info, _ = compiled
    assert info.logrows <= 14
    assert info.srs_development_only is True
    assert info.threshold_felt == round(detector.threshold * detector.width * 2**info.output_scale)
    assert info.score_divisor == detector.width
    assert CircuitInfo.load(workspace) == info
    source = (TEST_GENERATED_DIR / "PytestVerifier.sol").read_text()
    assert "contract PytestVerifier" in source and "Do not edit" in source


def test_proven_score_matches_the_float_detector_and_decisions_agree(compiled):
    workspace, detector, info, te = compiled
    prover = Prover(workspace)
    rows = np.r_[
        np.flatnonzero(te.test.fault_ids == 0)[:3],
        np.flatnonzero((te.test.fault_ids == 1) & (te.test.labels == 1))[:3],
    ]
    for k, row in enumerate(rows):
        window = detector.scale(te.test.windows[row : row + 1])
        float_score = float(detector.score_scaled(window)[0])
        instances = prover.statement_instances(window, f"parity-{k}")
        proven_score = info.felt_to_score(instances[1])
        assert proven_score == pytest.approx(float_score, abs=0.05 * max(1.0, float_score))
        if abs(float_score - detector.threshold) > 0.05:
            assert (instances[1] >= info.threshold_felt) == (float_score >= detector.threshold)


def test_fresh_proof_verifies_offchain_by_eth_call_and_through_the_registry(
    compiled, anvil_url, w3, isolated
):
    # isolated: the registration is undone, so a later module on this worker that registers the
    # same model id (test_vka.py compiles the same detector with a VKA verifier) registers its own
    workspace, detector, info, te = compiled
    prover = Prover(workspace)
    row = int(np.flatnonzero((te.test.fault_ids == 2) & (te.test.labels == 1))[50])
    window = detector.scale(te.test.windows[row : row + 1])
    stream = stream_id("pytest/pipeline")
    binding = Binding(Account.from_key(OWNER_KEY).address, stream, row)
    proven = prover.prove(window, "fresh", binding, float(detector.score_scaled(window)[0]))
    assert prover.verify_offchain(proven)
    assert proven.prove_s > 0 and proven.witness_s > 0

    deployment = deploy(ModelSpec.of(info), anvil_url, key=OWNER_KEY)
    verifier = deployment.model(info.model_id).verifier
    assert verifier_eth_call(w3, verifier, ezkl_calldata(proven))[0]

    gateway = Gateway(w3, deployment, key=OWNER_KEY)
    before = gateway.registry.functions.count(stream).call()
    gateway.submit(stream, info.model_id, proven)
    entries = fetch_alerts(gateway.registry, deployment.block, stream=stream)
    assert len(entries) == before + 1
    assert entries[-1].score == proven.score_felt
    assert entries[-1].alarm == (proven.score_felt >= info.threshold_felt)
    assert all(c.ok for c in check_chain(gateway.registry, entries))


def test_prove_cli_refuses_bad_windows_and_writes_nothing(compiled, tmp_path):
    workspace, *_ = compiled
    env = dict(os.environ, ZKALERT_HOME=str(workspace.root))
    before = sorted(p.name for p in workspace.proofs.iterdir())
    bad_width = tmp_path / "narrow.csv"
    bad_width.write_text(
        ",".join(f"v{i}" for i in range(51)) + "\n" + ",".join("0" for _ in range(51)) + "\n"
    )
    nan_row = tmp_path / "nan.csv"
    nan_row.write_text(
        ",".join(f"v{i}" for i in range(52)) + "\n" + ",".join(["1"] * 51 + ["nan"]) + "\n"
    )
    for path, message in (
        (bad_width, "must have 52 values, got 51"),
        (nan_row, "NaN (an empty cell?) at row 0, column 'v51'"),
    ):
        out = subprocess.run(
            [sys.executable, "-m", "zkalert", "prove", str(path), "--stream", "s"],
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
            check=False,
        )
        assert out.returncode == 1
        assert message in out.stderr and "Traceback" not in out.stderr
    assert sorted(p.name for p in workspace.proofs.iterdir()) == before


def test_prove_cli_proves_a_csv_window_that_submit_records_at_its_index_only(
    compiled, tmp_path, anvil_url, w3, isolated
):
    workspace, _, info, te = compiled
    deployment = deploy(ModelSpec.of(info), anvil_url, key=OWNER_KEY)
    env = dict(
        os.environ, ZKALERT_HOME=str(workspace.root), RPC_URL=anvil_url, PRIVATE_KEY=OWNER_KEY
    )
    csv = tmp_path / "one.csv"
    row = te.test.windows[int(np.flatnonzero(te.test.fault_ids == 6)[300])]
    csv.write_text(
        ",".join(f"v{i}" for i in range(52)) + "\n" + ",".join(repr(float(v)) for v in row) + "\n"
    )
    zkalert = [sys.executable, "-m", "zkalert"]
    out = subprocess.run(
        [
            *zkalert,
            "prove",
            str(csv),
            "--stream",
            "pytest/cli-prove",
            "--first-index",
            "7",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    (result,) = json.loads(out.stdout)
    assert os.path.isfile(result["proof"]) and result["index"] == 7
    assert result["alarm"] == (result["score"] >= info.felt_to_score(info.threshold_felt))

    # submitted under another stream name: refused before sending, one line
    out = subprocess.run(
        [*zkalert, "submit", result["proof"], "--stream", "pytest/elsewhere"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert (
        out.returncode == 1
        and "bound to another gateway, stream or index" in out.stderr
        and "Traceback" not in out.stderr
    )
    out = subprocess.run(
        [*zkalert, "submit", result["proof"], "--stream", "pytest/cli-prove"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    registry = deployment.registry(w3)
    (entry,) = fetch_alerts(registry, deployment.block, stream=stream_id("pytest/cli-prove"))
    assert (
        entry.window_index == 7
        and registry.functions.nextIndex(stream_id("pytest/cli-prove")).call() == 8
    )
