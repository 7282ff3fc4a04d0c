"""Batched proofs (B windows, one commitment and one score each), tuning, and batched proofs on an
embedded proving cluster.

Real EZKL: a B=2 circuit (logrows 15) is set up once for the module.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import OWNER_KEY
from eth_account import Account

from zkalert.cluster.backend import ProvingCluster
from zkalert.cluster.sizing import TaskNeeds, plan_workers
from zkalert.cluster.worker import ProofJob
from zkalert.config import TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import load_tennessee_eastman
from zkalert.detector.model import TrainConfig, train
from zkalert.errors import ZkAlertError
from zkalert.evm.ids import stream_id
from zkalert.evm.log import check_chain, fetch_alerts
from zkalert.evm.registry import Gateway, ModelSpec, deploy
from zkalert.zk.circuit import CircuitConfig, CircuitInfo, compile_circuit
from zkalert.zk.prover import Prover, StreamWindow, assemble_batch
from zkalert.zk.statement import Binding
from zkalert.zk.tuning import tune, tuned_config

pytestmark = [pytest.mark.anvil, pytest.mark.ezkl, pytest.mark.slow]


@pytest.fixture(scope="module")
def te():
    return load_tennessee_eastman()


@pytest.fixture(scope="module")
def detector(te):
    return train(
        te.train,
        te.validation.windows,
        te.validation.labels,
        TrainConfig(epochs=30),
        progress=False,
    )


@pytest.fixture(scope="module")
def batch_workspace(tmp_path_factory, detector, te):
    workspace = Workspace.at(tmp_path_factory.mktemp("batch2"))
    detector.save(workspace)
    compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig(),
        "PytestBatchVerifier",
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
        windows_per_proof=2,
    )
    yield workspace
    (TEST_GENERATED_DIR / "PytestBatchVerifier.sol").unlink(missing_ok=True)


def _windows(te, fault, start, n, stream="s"):
    rows = np.flatnonzero(te.test.fault_ids == fault)[start : start + n]
    return [StreamWindow(stream, start + k, te.test.windows[r]) for k, r in enumerate(rows)]


def test_assemble_batch_refuses_mixed_streams_disorder_and_bad_width(te):
    good = _windows(te, 1, 200, 2)
    assert assemble_batch(good, 52, 2).shape == (2, 52)
    with pytest.raises(ZkAlertError, match=r"batch window 1 \(t #201\): belongs to stream 't'"):
        assemble_batch([good[0], StreamWindow("t", 201, good[1].values)], 52, 2)
    with pytest.raises(
        ZkAlertError, match=r"batch window 1 \(s #205\): out of order, expected #201"
    ):
        assemble_batch([good[0], StreamWindow("s", 205, good[1].values)], 52, 2)
    with pytest.raises(
        ZkAlertError, match=r"batch window 1 \(s #201\): each window must have 52 values, got 51"
    ):
        assemble_batch([good[0], StreamWindow("s", 201, good[1].values[:51])], 52, 2)
    with pytest.raises(ZkAlertError, match="a batch holds 2 windows, got 1"):
        assemble_batch(good[:1], 52, 2)


def test_batched_proof_records_each_window_in_order(
    batch_workspace, detector, te, anvil_url, w3, isolated
):
    info = CircuitInfo.load(batch_workspace)
    assert (
        info.windows_per_proof == 2 and info.instance_count == 14
    )  # c, s and five binding limbs per window
    # a circuit whose own verifier is past EIP-170 deploys through EZKL's reusable verifier
    assert info.verifier_runtime_bytes <= 24_576 or info.verifier_kind == "vka"
    prover = Prover(batch_workspace)
    windows = _windows(te, 1, 300, 2)
    batch = assemble_batch(windows, detector.width, 2)
    scaled = detector.scale(batch)
    stream = stream_id("pytest/batch")
    binding = Binding(Account.from_key(OWNER_KEY).address, stream, windows[0].index)
    proven = prover.prove(scaled, "batch-0", binding)
    assert proven.windows == 2 and len(proven.input_commitments) == 2
    assert proven.bindings == binding.tags(2)
    assert proven.input_commitments[0] != proven.input_commitments[1]
    # each window's proven score is the float model's, window by window
    float_scores = detector.score_scaled(scaled)
    for felt, expected in zip(proven.score_felts, float_scores):
        assert info.felt_to_score(felt) == pytest.approx(expected, rel=0.01, abs=0.01)
    # a single-window circuit commits a window to the same Poseidon hash
    assert prover.verify_offchain(proven)

    deployment = deploy(ModelSpec.of(info), anvil_url, key=OWNER_KEY)
    gateway = Gateway(w3, deployment, key=OWNER_KEY)
    submission = gateway.submit(stream, info.model_id, proven)
    entries = fetch_alerts(gateway.registry, deployment.block, stream=stream)
    assert [e.seq for e in entries] == [0, 1]
    assert [e.window_index for e in entries] == [300, 301]
    assert [int(e.input_commitment, 16) for e in entries] == list(proven.input_commitments)
    assert [e.score for e in entries] == list(proven.score_felts)
    assert (
        entries[1].prev_hash == entries[0].alert_hash and entries[1].alert_hash == submission.head
    )
    assert all(c.ok for c in check_chain(gateway.registry, entries))


def test_prover_refuses_a_batch_of_the_wrong_size(batch_workspace, detector, te):
    prover = Prover(batch_workspace)
    with pytest.raises(ZkAlertError, match="proves 2 window"):
        prover.prove(
            detector.scale(te.test.windows[:3]),
            "wrong-size",
            Binding(Account.from_key(OWNER_KEY).address, stream_id("s"), 0),
        )


def test_embedded_cluster_proves_batched_jobs_and_refuses_an_impossible_budget(
    batch_workspace, detector, te
):
    needs = TaskNeeds.of(batch_workspace)
    with pytest.raises(
        ZkAlertError, match=r"needs about [0-9.]+ GB, over the memory budget of 0.1 GB"
    ):
        plan_workers(needs, 100_000_000)
    assert plan_workers(needs, 10**12) >= 1
    scaled = detector.scale(te.test.windows[:4])
    gateway = Account.from_key(OWNER_KEY).address
    jobs = [
        ProofJob(scaled[0:2], "pool-a", Binding(gateway, stream_id("s"), 0)),
        ProofJob(scaled[2:4], "pool-b", Binding(gateway, stream_id("s"), 2)),
    ]
    with ProvingCluster.open(
        workspace=batch_workspace, workers=2, memory_budget_bytes=8_000_000_000
    ) as cluster:
        assert cluster.plan["workers"] == 2
        results = cluster.prove_all(batch_workspace, jobs)
    assert [r.proven.proof_path.name for r in results] == ["pool-a.proof.json", "pool-b.proof.json"]
    assert all(r.proven.proof_path.parent == batch_workspace.proofs for r in results)
    assert all(0 < r.peak_rss_bytes < 8_000_000_000 for r in results)
    assert all(r.worker.startswith("tcp://127.0.0.1:") and r.prove_s > 0 for r in results)
    direct = Prover(batch_workspace).statement_instances(scaled[2:4], "pool-check", jobs[1].binding)
    assert results[1].proven.statement == direct
    # the workers' measured peak now sizes this circuit's tasks, instead of the logrows estimate
    measured = TaskNeeds.of(batch_workspace)
    assert measured.measured and measured.memory_bytes >= max(r.peak_rss_bytes for r in results)


def test_tune_keeps_every_decision_and_records_the_choice(tmp_path, detector, te):
    workspace = Workspace.at(tmp_path)
    windows = te.validation.windows[::10]
    report = tune(
        detector,
        workspace,
        windows,
        scales=(6, 10),
        decompositions=((1024, 3),),
        echo=lambda _m: None,
    )
    chosen = report["chosen"]
    assert chosen["disagreements"] == 0 and chosen["agreement"] == 1.0
    assert {c["input_scale"] for c in report["candidates"]} == {6, 10}
    config = tuned_config(workspace)
    assert (config.input_scale, config.decomp_base, config.decomp_legs) == (
        chosen["input_scale"],
        1024,
        3,
    )


def test_tuned_config_without_tuning_says_what_to_run(tmp_path):
    with pytest.raises(ZkAlertError, match="run `zkalert tune` first"):
        tuned_config(Workspace.at(tmp_path))


@pytest.fixture(scope="module")
def kzg_batch_workspace(tmp_path_factory, detector, te):
    workspace = Workspace.at(tmp_path_factory.mktemp("kzg2"))
    detector.save(workspace)
    compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig().with_commitment("kzg"),
        "PytestKzgBatchVerifier",
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
        windows_per_proof=2,
    )
    yield workspace
    (TEST_GENERATED_DIR / "PytestKzgBatchVerifier.sol").unlink(missing_ok=True)


def test_kzg_batch_commits_each_window_in_the_proof_and_is_recorded_in_order(
    kzg_batch_workspace, detector, te, anvil_url, w3, isolated, tmp_path
):
    info = CircuitInfo.load(kzg_batch_workspace)
    assert info.commitment == "kzg" and info.windows_per_proof == 2 and info.instance_count == 12
    prover = Prover(kzg_batch_workspace)
    scaled = detector.scale(assemble_batch(_windows(te, 1, 320, 2), detector.width, 2))
    stream = stream_id("pytest/kzg-batch")
    binding = Binding(Account.from_key(OWNER_KEY).address, stream, 320)
    proven = prover.prove(scaled, "kzg-batch-0", binding)
    assert (
        proven.commitment == "kzg" and proven.windows == 2 and len(proven.instances) == 12
    )  # scores and binding limbs
    # the commitments the registry will read from the proof are the ones EZKL computes from the windows
    assert proven.statement == prover.statement_instances(scaled, "kzg-batch-statement", binding)
    assert proven.input_commitments[0] != proven.input_commitments[1]
    # a different window gives a different commitment; the same windows at other indexes too (the
    # commitment covers the binding)
    other = prover.statement_instances(detector.scale(te.test.windows[:2]), "kzg-other", binding)
    assert set(other[:2]).isdisjoint(proven.input_commitments)
    moved = prover.statement_instances(scaled, "kzg-moved", Binding(binding.gateway, stream, 330))
    assert set(moved[:2]).isdisjoint(proven.input_commitments) and moved[2:] == proven.statement[2:]
    assert prover.verify_offchain(proven)

    deployment = deploy(ModelSpec.of(info), anvil_url, key=OWNER_KEY)
    assert deployment.model(info.model_id).commitment == "kzg"
    registry = Gateway(w3, deployment, key=OWNER_KEY).registry
    assert registry.functions.model(info.model_id).call()[4] == 1  # CommitmentScheme.Kzg
    gateway = Gateway(w3, deployment, key=OWNER_KEY)
    submission = gateway.submit(stream, info.model_id, proven)
    entries = fetch_alerts(gateway.registry, deployment.block, stream=stream)
    assert [int(e.input_commitment, 16) for e in entries] == list(proven.input_commitments)
    assert [e.score for e in entries] == list(proven.score_felts)
    assert entries[1].alert_hash == submission.head and all(
        c.ok for c in check_chain(gateway.registry, entries)
    )

    # receipts of KZG alerts check offline: commitment read from the proof's point, proof verified by EZKL
    from zkalert.evm.receipts import build_receipts, check_receipt, write_receipts

    paths = write_receipts(
        build_receipts(
            w3, gateway.registry, deployment.chain_id, entries, {entries[0].stream_id: entries}
        ),
        tmp_path,
    )
    for path in paths:
        result = check_receipt(
            path, kzg_batch_workspace.vk, kzg_batch_workspace.settings, info.srs_path
        )
        assert (
            result.checks["instances"] is True
            and result.checks["proof"] is True
            and not result.problems
        ), result.problems
    data = json.loads(paths[1].read_text())
    data["alert"]["input_commitment"] = data["alert"]["input_commitment"][:-1] + (
        "0" if data["alert"]["input_commitment"][-1] != "0" else "1"
    )
    paths[1].write_text(json.dumps(data))
    assert check_receipt(paths[1]).checks["instances"] is False


def test_poseidon_only_paths_refuse_kzg_circuits_by_name(kzg_batch_workspace):
    info = CircuitInfo.load(kzg_batch_workspace)
    with pytest.raises(
        ZkAlertError,
        match=r"the soak supports circuits with Poseidon input commitments only; this circuit commits with 'kzg'",
    ):
        info.require_poseidon("the soak")
