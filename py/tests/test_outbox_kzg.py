"""KZG-committed proofs through the durable outbox and the sender, on a real anvil.

Uses the committed KZG fixtures (real EZKL proofs: `python -m zkalert.lab.fixtures kzg`), so
nothing is proven here. Under KZG the instances are the scores and the windows' bindings, and
each window's commitment is keccak256 of the proof's G1 point: the outbox's statements, the sender's
predicted alert hashes and the registry's records must all agree on that.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import FIXTURES, OWNER_KEY, TEST_CHAIN_ID
from eth_account import Account
from eth_utils import keccak

from zkalert.evm.log import check_chain, fetch_alerts
from zkalert.evm.registry import ModelSpec, deploy
from zkalert.gateway.networks import Network, web3_for
from zkalert.gateway.outbox import Outbox, OutboxError, statement_of, statements_of
from zkalert.gateway.sender import Sender

pytestmark = [pytest.mark.anvil]

GATEWAY = Account.from_key(OWNER_KEY).address
STREAM = "fixture/te-kzg"  # the KZG fixtures are bound to it: alert at index 0, normal at 1, the batch at 2 and 3


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / "kzg" / name).read_text())


def _proof(data: dict) -> tuple[bytes, tuple[int, ...]]:
    return bytes.fromhex(data["proof"][2:]), tuple(int(v, 16) for v in data["instances"])


def test_kzg_proofs_go_through_the_outbox_once_and_in_order(anvil_url, w3, isolated, tmp_path):
    single, normal, batch = (
        _fixture("alert_proof.json"),
        _fixture("normal_proof.json"),
        _fixture("batch_proof.json"),
    )
    deploy(
        ModelSpec("FixtureKzgVerifier", single["model_id"], int(single["threshold"]), 1, "kzg"),
        anvil_url,
        key=OWNER_KEY,
    )
    deployment = deploy(
        ModelSpec("FixtureKzgBatchVerifier", batch["model_id"], int(batch["threshold"]), 2, "kzg"),
        anvil_url,
        key=OWNER_KEY,
    )
    assert deployment.model(batch["model_id"]).commitment == "kzg"

    path = tmp_path / "outbox.sqlite"
    outbox = Outbox.open(
        path, chain_id=TEST_CHAIN_ID, registry=deployment.registry_address, gateway=GATEWAY
    )
    expected = []
    for key, data in (("alert", single), ("normal", normal), ("batch", batch)):
        proof, instances = _proof(data)
        outbox.enqueue_proven(
            STREAM,
            f"{STREAM}/{key}",
            data["model_id"],
            proof,
            instances,
            commitment="kzg",
            index=data["binding"]["index"],
        )
        # the outbox's statements use the commitments EZKL computed from the windows
        expected += [
            statement_of(data["model_id"], int(c, 16), int(s))
            for c, s in zip(data["input_commitments"], data["scores"])
        ]
    assert [s for row in outbox.rows() for s in row.statements] == expected
    assert [row.windows for row in outbox.rows()] == [1, 1, 2]

    network = Network(
        "kzg-test",
        anvil_url,
        TEST_CHAIN_ID,
        confirmations=1,
        poll_s=0.05,
        stuck_after_s=2.0,
        rpc_timeout_s=2.0,
        outage_budget_s=30.0,
    )
    stats = Sender(outbox, network, deployment, OWNER_KEY, w3=web3_for(network)).run(timeout_s=60)
    assert outbox.counts()["confirmed"] == 3 and stats.sent == 3 and stats.reverted == 0
    outbox.close()

    registry = w3.eth.contract(address=deployment.registry_address, abi=deployment.registry_abi)
    stream = "0x" + keccak(text=STREAM).hex()
    entries = [e for e in fetch_alerts(registry, deployment.block) if e.stream_id == stream]
    on_chain = [statement_of(e.model_id, int(e.input_commitment, 16), e.score) for e in entries]
    assert on_chain == expected
    assert [e.window_index for e in entries] == [0, 1, 2, 3]
    assert all(c.ok for c in check_chain(registry, entries))

    # reopened: the integrity check recognises KZG rows; a second outbox with the same proofs sends nothing
    with Outbox.open(
        path, chain_id=TEST_CHAIN_ID, registry=deployment.registry_address, gateway=GATEWAY
    ) as again:
        assert again.counts()["confirmed"] == 3
    twin = Outbox.open(
        tmp_path / "twin.sqlite",
        chain_id=TEST_CHAIN_ID,
        registry=deployment.registry_address,
        gateway=GATEWAY,
    )
    for key, data in (("alert", single), ("normal", normal), ("batch", batch)):
        twin.enqueue_proven(
            STREAM,
            f"{STREAM}/{key}",
            data["model_id"],
            *_proof(data),
            commitment="kzg",
            index=data["binding"]["index"],
        )
    stats = Sender(twin, network, deployment, OWNER_KEY, w3=web3_for(network)).run(timeout_s=30)
    assert stats.sent == 0 and stats.confirmed_without_tx == 3
    twin.close()


def test_outbox_refuses_kzg_rows_that_do_not_add_up(anvil_url, tmp_path):
    data = _fixture("batch_proof.json")
    proof, instances = _proof(data)
    registry = "0x" + "11" * 20
    with Outbox.open(
        tmp_path / "o.sqlite", chain_id=TEST_CHAIN_ID, registry=registry, gateway=GATEWAY
    ) as outbox:
        with pytest.raises(
            OutboxError,
            match=r"window 'k/short': a KZG-committed proof of 2 window\(s\) needs at least 128 bytes, got 100",
        ):
            outbox.enqueue_proven(
                STREAM,
                "k/short",
                data["model_id"],
                proof[:100],
                instances,
                commitment="kzg",
                index=2,
            )
        with pytest.raises(
            OutboxError,
            match=r"window 'k/odd': a poseidon-committed proof has 7\*B instances, got 1",
        ):
            outbox.enqueue_proven(
                STREAM, "k/odd", data["model_id"], proof, instances[:1], index=2
            )  # Poseidon layout needs 7 per window
        with pytest.raises(
            OutboxError, match=r"window 'k/moved': .*bound to another gateway, stream or index"
        ):
            outbox.enqueue_proven(
                STREAM, "k/moved", data["model_id"], proof, instances, commitment="kzg", index=4
            )
        outbox.enqueue_proven(
            STREAM, "k/ok", data["model_id"], proof, instances, commitment="kzg", index=2
        )
        with pytest.raises(OutboxError, match=r"index 2 does not follow index 2 already queued"):
            outbox.enqueue_proven(
                STREAM, "k/again", data["model_id"], proof, instances, commitment="kzg", index=2
            )
        assert outbox.rows()[0].statements == statements_of(
            data["model_id"], instances, proof, "kzg"
        )
    # a stored score changed behind the outbox's back: the row's statements no longer follow from it
    db = sqlite3.connect(tmp_path / "o.sqlite")
    db.execute(
        "UPDATE alerts SET instances = ? WHERE id = 1",
        (json.dumps([str(instances[0] + 1), *map(str, instances[1:])]),),
    )
    db.commit()
    db.close()
    with pytest.raises(OutboxError, match=r"row 1 \(k/ok\) is corrupted"):
        Outbox.open(
            tmp_path / "o.sqlite", chain_id=TEST_CHAIN_ID, registry=registry, gateway=GATEWAY
        )
