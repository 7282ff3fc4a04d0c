"""A circuit past EIP-170, verified through EZKL's reusable verifier and its VKA, on a real anvil.

A small circuit compiled with ``verifier="vka"``: deployed as a VkaVerifier model, it records a
real proof through the registry, and the regulator's checks (the verifier's code, the SRS it was
made with) and the operator's `zkalert doctor --deep` pass. Then the owner's tricks the chain cannot see: a VkaVerifier holding another
circuit's VKA, and one in front of a contract that accepts every proof (the registry then
records a forged score); the audit's code check names both.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import OWNER_KEY
from eth_account import Account
from web3 import Web3

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import load_tennessee_eastman
from zkalert.detector.model import TrainConfig, train
from zkalert.evm.ids import stream_id
from zkalert.evm.log import fetch_alerts
from zkalert.evm.registry import Gateway, ModelSpec, deploy
from zkalert.evm.srs import verifier_srs
from zkalert.evm.vkaverifier import verifier_problems
from zkalert.zk.circuit import CircuitConfig, compile_circuit
from zkalert.zk.prover import Prover
from zkalert.zk.statement import Binding
from zkalert.zk.vka import read_vka

pytestmark = [pytest.mark.anvil, pytest.mark.ezkl, pytest.mark.slow]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    workspace = Workspace.at(tmp_path_factory.mktemp("vka"))
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
        contract_name="PytestVkaOwnVerifier",
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
        verifier="vka",
    )
    return workspace, detector, info, te


def _deploy_contract(w3: Web3, artifact: str, *args: object) -> str:
    data = json.loads((PROJECT_ROOT / "out" / f"{artifact}.sol" / f"{artifact}.json").read_text())
    contract = w3.eth.contract(abi=data["abi"], bytecode=data["bytecode"]["object"])
    account = Account.from_key(OWNER_KEY).address
    tx = contract.constructor(*args).transact({"from": account})
    return str(w3.eth.wait_for_transaction_receipt(tx).contractAddress)


def test_a_vka_model_records_a_real_proof_and_the_audit_names_the_owners_tricks(
    compiled, anvil_url, w3, isolated
):
    workspace, detector, info, te = compiled
    assert info.verifier_kind == "vka" and info.verifier_contract == "VkaVerifier"
    assert Path(info.vka_path).is_file()
    assert not (TEST_GENERATED_DIR / "PytestVkaOwnVerifier.sol").exists(), "own verifier kept"

    deployment = deploy(ModelSpec.of(info), anvil_url, key=OWNER_KEY)
    model = deployment.model(info.model_id)
    assert model.reusable_verifier and w3.eth.get_code(model.reusable_verifier)
    verifier = model.verifier

    prover = Prover(workspace)
    row = int(np.flatnonzero((te.test.fault_ids == 1) & (te.test.labels == 1))[10])
    window = detector.scale(te.test.windows[row : row + 1])
    stream = stream_id(f"pytest/vka/{w3.eth.block_number}")
    owner = Account.from_key(OWNER_KEY).address
    proven = prover.prove(window, "vka", Binding(owner, stream, 0))
    gateway = Gateway(w3, deployment, key=OWNER_KEY)
    gateway.submit(stream, info.model_id, proven)
    entries = fetch_alerts(gateway.registry, deployment.block, stream=stream)
    assert [e.score for e in entries] == [proven.score_felt]

    # the regulator's checks with its own key material
    assert (
        verifier_problems(w3, verifier, workspace.vk, workspace.settings, Path(info.srs_path)) == []
    )
    assert verifier_srs(w3, verifier).srs_id == info.srs_id
    # and the operator's `zkalert doctor --deep`
    from zkalert.gateway.doctor import DoctorOptions, run

    options = DoctorOptions(workdir=workspace.root, rpc_url=anvil_url, deep=True)
    verifiers = {c.name: c for c in run(options)}["verifiers"]
    assert verifiers.status in ("ok", "warn"), verifiers.line
    assert "its verifier is EZKL's for its verifying key (reusable verifier and VKA)" in (
        verifiers.detail
    )

    # another circuit's VKA behind a VkaVerifier: the audit says so
    other_words = json.loads(
        (PROJECT_ROOT / "test" / "fixtures" / "kzg" / "vka_batch.vka.json").read_text()
    )["words"]
    other = _deploy_contract(
        w3, "VkaVerifier", model.reusable_verifier, [bytes.fromhex(w[2:]) for w in other_words]
    )
    problems = verifier_problems(w3, other, workspace.vk, workspace.settings, Path(info.srs_path))
    assert (
        len(problems) == 1
        and "not the one EZKL makes from the registered verifying key" in problems[0]
    )

    # a VkaVerifier in front of a contract that accepts everything: the chain records a forged
    # score; the audit names the contract
    fake = _deploy_contract(w3, "AcceptAllReusableVerifier")
    words = read_vka(Path(info.vka_path))
    accepting = _deploy_contract(w3, "VkaVerifier", fake, words)
    problems = verifier_problems(
        w3, accepting, workspace.vk, workspace.settings, Path(info.srs_path)
    )
    assert any(
        f"calls {Web3.to_checksum_address(fake)}" in p and "not EZKL's reusable verifier" in p
        for p in problems
    ), problems


def test_an_unknown_verifier_kind_is_one_line_before_any_work(tmp_path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zkalert",
            "compile",
            "--verifier",
            "big",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: --verifier 'big': expected one of auto, own, vka"
    ]
    assert list(tmp_path.iterdir()) == []
