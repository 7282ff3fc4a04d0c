"""The chain stage against a real anvil, with the committed real EZKL proofs (test/fixtures/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import OTHER_KEY, OWNER_KEY
from web3 import Web3

from zkalert.config import BN254_R, PROJECT_ROOT
from zkalert.errors import ChainError
from zkalert.evm import registry as chain
from zkalert.evm import rpc
from zkalert.evm.ids import stream_id
from zkalert.evm.log import ZERO32, alert_hash, check_chain, fetch_alerts
from zkalert.evm.registry import Deployment, Gateway, ModelSpec, deploy
from zkalert.evm.rpc import RevertedError, connect, verifier_eth_call
from zkalert.zk.prover import ProvenWindow
from zkalert.zk.statement import Binding

pytestmark = [pytest.mark.anvil]


@pytest.fixture(scope="module")
def deployment(anvil_url, alert_fixture) -> Deployment:
    spec = ModelSpec(
        "FixtureVerifier", alert_fixture["model_id"], int(alert_fixture["threshold"]), 1
    )
    return deploy(spec, anvil_url, key=OWNER_KEY)


@pytest.fixture
def gateway(w3, deployment) -> Gateway:
    """Anvil's account 0: the registry's owner and the gateway the fixture proofs are bound to
    (function-scoped: it remembers open streams, which each test's snapshot revert closes)."""
    return Gateway(w3, deployment, key=OWNER_KEY)


@pytest.fixture(scope="module")
def alert(fixture_proof_paths, alert_fixture) -> ProvenWindow:
    return ProvenWindow.from_proof_file(
        fixture_proof_paths["alert"], binding=Binding.from_json(alert_fixture["binding"])
    )


@pytest.fixture(scope="module")
def normal(fixture_proof_paths, normal_fixture) -> ProvenWindow:
    return ProvenWindow.from_proof_file(
        fixture_proof_paths["normal"], binding=Binding.from_json(normal_fixture["binding"])
    )


@pytest.fixture(scope="module")
def stream(alert_fixture) -> bytes:
    """The stream the fixture proofs are bound to (alert at index 0, normal at index 1)."""
    return stream_id(alert_fixture["binding"]["stream"])


def _tampered(
    proven: ProvenWindow, proof: bytes | None = None, instances: tuple[int, ...] | None = None
) -> ProvenWindow:
    return replace(proven, proof=proof or proven.proof, instances=instances or proven.instances)


def test_fixture_instances_parse_to_the_committed_values(alert, alert_fixture):
    assert alert.instances == tuple(int(v, 16) for v in alert_fixture["instances"])
    assert alert.score_felt == int(alert_fixture["score"])
    assert all(v < BN254_R for v in alert.instances)


def test_deploy_records_addresses_and_is_idempotent(anvil_url, deployment, alert_fixture, w3):
    folder = PROJECT_ROOT / "deployments" / str(deployment.chain_id)
    record = json.loads((folder / "AlertRegistry.json").read_text())
    assert Web3.to_checksum_address(record["address"]) == deployment.registry_address
    model = deployment.model(alert_fixture["model_id"])
    assert w3.eth.get_code(model.verifier)
    assert model.threshold == int(alert_fixture["threshold"])
    again = deploy(
        ModelSpec("FixtureVerifier", alert_fixture["model_id"], int(alert_fixture["threshold"])),
        anvil_url,
        key=OWNER_KEY,
    )
    assert again.registry_address == deployment.registry_address
    assert again.model(alert_fixture["model_id"]).verifier == model.verifier
    assert deployment.registry(w3).functions.version().call() == chain.REGISTRY_VERSION


def test_registering_a_registered_model_on_other_terms_is_refused_by_name(
    anvil_url, deployment, alert_fixture, w3
):
    """A careless owner who recompiles with a new threshold (or batch size, commitment, verifier
    kind) but keeps the model id is told the registration stands, not handed the old record as if
    the new terms had been registered."""
    model_id, threshold = alert_fixture["model_id"], int(alert_fixture["threshold"])
    before = deployment.model(model_id)
    asks = {
        r"threshold \d+ \(asked: \d+\)": ModelSpec("FixtureVerifier", model_id, threshold + 1),
        r"windows per proof 1 \(asked: 8\)": ModelSpec("FixtureVerifier", model_id, threshold, 8),
        r"commitment poseidon \(asked: kzg\)": ModelSpec(
            "FixtureVerifier", model_id, threshold, 1, "kzg"
        ),
        r"verifier its own verifier \(asked: a VKA verifier\)": ModelSpec(
            "FixtureVerifier", model_id, threshold, vka_words=("0x" + "00" * 32,)
        ),
    }
    for message, spec in asks.items():
        with pytest.raises(ChainError, match=rf"already registered on chain \d+ with {message}"):
            deploy(spec, anvil_url, key=OWNER_KEY)
    after = Deployment.load(deployment.chain_id).model(model_id)
    assert after == before
    on_chain = deployment.registry(w3).functions.model(bytes.fromhex(model_id[2:])).call()
    assert (on_chain[0], int(on_chain[1])) == (before.verifier, threshold)


def test_a_registry_of_another_version_is_refused_in_one_line(w3, deployment, monkeypatch):
    """A deployment record left from an older zkalert (other statements, events and alert hashes)
    is refused by name instead of failing later with a decoding error."""
    monkeypatch.setattr(chain, "REGISTRY_VERSION", "9.9.9")
    with pytest.raises(
        ChainError,
        match=r"is version 0\.9\.0; this zkalert speaks 9\.9\.9 .*run `zkalert deploy` for a new registry",
    ):
        deployment.registry(w3)


def test_verifier_eth_call_accepts_the_real_proof_and_rejects_a_flipped_byte(
    w3, deployment, alert, alert_fixture
):
    verifier = deployment.model(alert_fixture["model_id"]).verifier
    calldata = chain.ezkl_calldata(alert)
    ok, seconds = verifier_eth_call(w3, verifier, calldata)
    assert ok and seconds > 0
    forged = bytearray(calldata)
    forged[-200] ^= 0x01
    assert verifier_eth_call(w3, verifier, bytes(forged))[0] is False


def test_submit_records_alert_and_the_log_refolds_to_the_head(
    isolated, gateway, deployment, stream, alert, normal, alert_fixture
):
    model_id = alert_fixture["model_id"]
    first = gateway.submit(stream, model_id, alert)
    assert first.gas_used > 0 and first.calldata_bytes > len(alert.proof)
    expected = alert_hash(
        ZERO32,
        stream,
        0,
        0,
        bytes.fromhex(model_id[2:]),
        gateway.account.address,
        alert.instances[0],
        alert.instances[1],
        True,
    )
    assert first.head == "0x" + expected.hex()
    second = gateway.submit(stream, model_id, normal)
    assert gateway.registry.functions.count(stream).call() == 2
    assert gateway.registry.functions.nextIndex(stream).call() == 2
    assert (
        gateway.registry.functions.bindingOf(gateway.account.address, stream, 1).call()
        == normal.bindings[0]
    )

    entries = [
        e
        for e in fetch_alerts(gateway.registry, deployment.block)
        if e.stream_id == "0x" + stream.hex()
    ]
    assert [e.seq for e in entries] == [0, 1]
    assert [e.window_index for e in entries] == [0, 1]
    assert [e.alarm for e in entries] == [
        True,
        False,
    ]  # the registry decides the alarm from the proven score
    assert entries[1].prev_hash == first.head and entries[1].alert_hash == second.head
    (check,) = check_chain(gateway.registry, entries)
    assert check.ok, check.problems

    # A node whose event index disagrees with its state (anvil was seen to do this after a restore
    # from a dump) serves an extra event at seq 1 and one past the count. The registry's storage
    # decides: both are set aside as orphans, reported, and the chain still folds to the head.
    phantom = replace(entries[1], score=entries[1].score + 1, tx_hash="0x" + "ab" * 32)
    phantom = replace(phantom, alert_hash=phantom.recomputed_hash())
    beyond = replace(
        entries[1],
        seq=2,
        prev_hash=entries[1].alert_hash,
        tx_hash="0x" + "cd" * 32,
        block=entries[1].block + 1,
    )
    beyond = replace(beyond, alert_hash=beyond.recomputed_hash())
    (check,) = check_chain(gateway.registry, [entries[0], phantom, entries[1], beyond])
    assert check.ok, check.problems
    assert [o.tx_hash for o in check.orphans] == [phantom.tx_hash, beyond.tx_hash]
    assert check.records == 2 and check.folded_head == second.head

    # Without the real record only a contested seq remains: the break is reported, nothing is hidden.
    (check,) = check_chain(gateway.registry, [entries[0], phantom])
    assert not check.ok and not check.orphans
    assert any("head" in p for p in check.problems)


def test_tampered_proof_is_refused_and_nothing_recorded(
    isolated, gateway, stream, alert, alert_fixture
):
    forged = bytearray(alert.proof)
    forged[64] ^= 0x01
    with pytest.raises(RevertedError, match="AlertRegistryInvalidProof"):
        gateway.submit(stream, alert_fixture["model_id"], _tampered(alert, proof=bytes(forged)))
    assert gateway.registry.functions.count(stream).call() == 0


@pytest.mark.parametrize(
    "index, delta, error",
    [
        (0, 1, "AlertRegistryInvalidProof"),
        (1, 1, "AlertRegistryInvalidProof"),
        (1, -1, "AlertRegistryInvalidProof"),
        (2, 1, "AlertRegistryBindingMismatch"),
    ],
)
def test_tampered_instance_is_refused(
    isolated, gateway, stream, alert, alert_fixture, index, delta, error
):
    instances = list(alert.instances)
    instances[index] += delta
    with pytest.raises(RevertedError, match=error):
        gateway.submit(
            stream,
            alert_fixture["model_id"],
            _tampered(alert, instances=tuple(instances)),
            check=False,
        )
    assert gateway.registry.functions.count(stream).call() == 0


def test_instance_outside_the_field_is_refused(isolated, gateway, stream, alert, alert_fixture):
    with pytest.raises(RevertedError, match="AlertRegistryInstanceOutOfField"):
        gateway.submit(
            stream,
            alert_fixture["model_id"],
            _tampered(alert, instances=(alert.instances[0] + BN254_R, *alert.instances[1:])),
        )


def test_replay_copy_and_move_are_refused(isolated, gateway, stream, alert, normal, alert_fixture):
    """A recorded proof again, the same proof in another stream of the same gateway, a proof at
    another index: each refused by the registry (and by the gateway's own check before sending)."""
    model_id = alert_fixture["model_id"]
    gateway.submit(stream, model_id, alert)
    head = gateway.head(stream)
    other = stream_id("pytest/another-stream")
    gateway.ensure_stream(other)
    with pytest.raises(
        RevertedError, match=r"AlertRegistryIndexNotIncreasing\(.*nextIndex=1, got=0\)"
    ):
        gateway.submit(stream, model_id, alert)
    with pytest.raises(RevertedError, match="AlertRegistryBindingMismatch"):
        gateway.submit(other, model_id, alert, check=False)
    with pytest.raises(ChainError, match="bound to another gateway, stream or index"):
        gateway.submit(other, model_id, alert)
    with pytest.raises(RevertedError, match=r"AlertRegistryBindingMismatch\(window=0, "):
        gateway.submit(
            stream, model_id, normal, index=5, check=False
        )  # a gap is fine, this proof is for index 1
    assert gateway.head(stream) == head
    assert gateway.registry.functions.count(other).call() == 0
    gateway.submit(stream, model_id, normal)
    assert gateway.registry.functions.count(stream).call() == 2


def test_stale_prev_hash_is_refused(isolated, gateway, stream, alert, normal, alert_fixture):
    gateway.submit(stream, alert_fixture["model_id"], alert)
    with pytest.raises(RevertedError, match="AlertRegistryStalePrevHash"):
        gateway.submit(stream, alert_fixture["model_id"], normal, prev_hash=ZERO32)


def test_unregistered_gateway_is_refused(isolated, w3, deployment, stream, normal, alert_fixture):
    w3.provider.make_request(
        "anvil_setBalance",
        [Web3.to_checksum_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), hex(10**20)],
    )
    stranger = Gateway(w3, deployment, key=OTHER_KEY)
    with pytest.raises(RevertedError, match="AlertRegistryUnknownGateway"):
        stranger.submit(stream, alert_fixture["model_id"], normal, check=False)


def test_no_node_gives_one_line_with_the_fix():
    with pytest.raises(ChainError, match=r"make anvil.*RPC_URL"):
        connect("http://127.0.0.1:9")


def test_deployment_for_another_chain_is_refused(tmp_path):
    (tmp_path / "AlertRegistry.json").write_text(
        json.dumps({"address": "0x" + "11" * 20, "abi": [], "chain_id": 5})
    )
    with pytest.raises(ChainError, match="records chain 5"):
        Deployment.load(31999, tmp_path)


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RPC_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "zkalert", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )


def test_cli_alerts_json_reports_an_intact_chain(
    isolated, anvil_url, gateway, stream, alert, normal, alert_fixture
):
    gateway.submit(stream, alert_fixture["model_id"], alert)
    gateway.submit(stream, alert_fixture["model_id"], normal)
    out = _cli("alerts", "--json", url=anvil_url)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["chain_intact"] is True
    assert len(data["alerts"]) >= 2
    assert all(s["intact"] for s in data["streams"])


def test_cli_without_a_node_prints_one_line(tmp_path):
    out = _cli("alerts", url="http://127.0.0.1:9")
    assert out.returncode == 1
    assert out.stderr.strip().startswith("error: no Ethereum node answers at http://127.0.0.1:9")
    assert "Traceback" not in out.stderr


def test_only_the_owner_opens_a_stream_and_nobody_else_can_take_it(
    isolated, anvil_url, w3, deployment, stream, normal, alert_fixture
):
    other_address = Web3.to_checksum_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    w3.provider.make_request("anvil_setBalance", [other_address, hex(10**20)])
    registry = deployment.registry(w3)
    owner = Gateway(w3, deployment, key=OWNER_KEY)
    registry.functions.setGateway(other_address, True).transact({"from": owner.account.address})
    other = Gateway(w3, deployment, key=OTHER_KEY)

    # an allowed gateway that does not own the registry cannot open a stream for itself
    with pytest.raises(
        ChainError, match=r"is not open: the registry owner \(0x.*\) opens it .*zkalert stream open"
    ):
        other.submit(stream, alert_fixture["model_id"], normal, check=False)
    assert registry.functions.count(stream).call() == 0

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zkalert",
            "stream",
            "open",
            alert_fixture["binding"]["stream"],
            "--gateway",
            other_address,
            "--rpc-url",
            anvil_url,
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PRIVATE_KEY": OWNER_KEY},
    )
    assert proc.returncode == 0, proc.stderr
    assert registry.functions.streamGateway(stream).call() == other_address

    # the owner's own gateway account cannot land on it first (front-running its first alert)
    with pytest.raises(ChainError, match=f"belongs to gateway {other_address}"):
        owner.submit(stream, alert_fixture["model_id"], normal)
    raw = registry.functions.submitAlert(
        stream,
        bytes.fromhex(alert_fixture["model_id"][2:]),
        ZERO32,
        1,
        normal.proof,
        list(normal.instances),
    )
    with pytest.raises(Exception) as refused:  # the contract itself, past the Python side's check
        raw.call({"from": owner.account.address})
    assert rpc.decode_revert(deployment.registry_abi, rpc.revert_data(refused.value)).startswith(
        "AlertRegistryStreamGateway("
    )
    # the gateway it was opened for cannot record the owner-gateway's proof either (a copy from the mempool)
    with pytest.raises(RevertedError, match=r"AlertRegistryBindingMismatch\(window=0, "):
        other.submit(stream, alert_fixture["model_id"], normal, check=False)
    assert registry.functions.count(stream).call() == 0
