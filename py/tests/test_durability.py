"""Durable submission under real faults, on real anvils with the committed real proofs.

Every test ends with the same check: each alert of the outbox is on-chain exactly
once, in outbox order, and every stream's hash chain refolds to the registry's head.
Faults are real: the gateway process is SIGKILLed, anvil is SIGKILLed and restarted
from its periodic state dump, ``anvil_reorg`` / ``anvil_dropTransaction`` remove
transactions, the base fee spikes, two gateway processes race, and a TCP proxy
takes the RPC away.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, OWNER_KEY
from eth_account import Account
from eth_utils import keccak

from zkalert.config import PROJECT_ROOT
from zkalert.errors import ChainError
from zkalert.evm.ids import stream_id
from zkalert.evm.localnode import free_port, kill_process
from zkalert.evm.log import check_chain, fetch_alerts
from zkalert.evm.registry import Deployment, Gateway, ModelSpec, deploy
from zkalert.evm.rpc import connect
from zkalert.gateway.networks import (
    Network,
    NetworkConfigError,
    connect_checked,
    load_network,
    web3_for,
)
from zkalert.gateway.outbox import Outbox, OutboxError, statement_of, statements_of
from zkalert.gateway.sender import Sender, SenderStopped
from zkalert.lab.faults import FaultyAnvil, RpcProxy

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

#: This session's chain id, claimed in base_state: a free one in 32100-32179 (its deployments/<id>/
#: folder is created as the claim and removed at the end), so concurrent test runs in one tree
#: never share or delete each other's deployment records.
FAULT_CHAIN_ID = 0
GATEWAY_KEY = (
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # anvil account 2
)
RIVAL_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"  # anvil account 3
GATEWAY = Account.from_key(GATEWAY_KEY).address


# ---------------------------------------------------------------------- fixtures


def _load_proofs() -> tuple[str, int, dict[tuple[str, int], tuple[str, bytes, tuple[int, ...]]]]:
    """The committed proofs bound to GATEWAY, by (stream, window index)."""
    stream = json.loads((FIXTURES / "stream_proofs.json").read_text())
    assert stream["gateway"] == GATEWAY
    proofs = {
        (entry["stream"], int(entry["index"])): (
            entry["key"],
            bytes.fromhex(entry["proof"][2:]),
            tuple(int(v, 16) for v in entry["instances"]),
        )
        for entry in stream["proofs"]
    }
    return stream["model_id"], int(stream["threshold"]), proofs


MODEL_ID, THRESHOLD, PROOFS = _load_proofs()  # 8 real proofs: windows 0..3 of plant/a and plant/b
STREAMS = ("plant/a", "plant/b")


def _claim_chain_id() -> int:
    root = PROJECT_ROOT / "deployments"
    root.mkdir(exist_ok=True)
    for chain_id in range(32100, 32180):
        try:
            (root / str(chain_id)).mkdir()
        except FileExistsError:
            continue
        return chain_id
    raise RuntimeError("no free chain id in 32100-32179 (stale deployments/321xx folders?)")


@pytest.fixture(scope="module")
def base_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Deployment]]:
    """A chain with the registry and FixtureVerifier deployed, saved once as an anvil state file."""
    global FAULT_CHAIN_ID
    FAULT_CHAIN_ID = _claim_chain_id()
    folder = tmp_path_factory.mktemp("base-chain")
    state = folder / "state.json"
    anvil = FaultyAnvil(free_port(), FAULT_CHAIN_ID, state_file=state).start()
    try:
        deployment = deploy(
            ModelSpec("FixtureVerifier", MODEL_ID, THRESHOLD, 1),
            anvil.url,
            key=OWNER_KEY,
            gateway=GATEWAY,
        )
        owner = Gateway(connect(anvil.url), deployment, OWNER_KEY)
        for name in STREAMS:  # the owner opens the tests' streams for the gateway
            owner.open_stream(stream_id(name), GATEWAY)
    finally:
        anvil.stop()  # SIGINT: anvil writes the state file
    assert state.is_file()
    try:
        yield state, deployment
    finally:
        shutil.rmtree(PROJECT_ROOT / "deployments" / str(FAULT_CHAIN_ID), ignore_errors=True)


@pytest.fixture
def chain(base_state: tuple[Path, Deployment], tmp_path: Path) -> Iterator[FaultyAnvil]:
    """A fresh anvil from the base state (auto-mining), dumping its state every second."""
    state, _ = base_state
    anvil = FaultyAnvil(
        free_port(),
        FAULT_CHAIN_ID,
        load_state=state,
        state_file=tmp_path / "anvil-state.json",
        state_interval_s=1,
    )
    anvil.start()
    try:
        yield anvil
    finally:
        anvil.kill()


@pytest.fixture
def deployment(base_state: tuple[Path, Deployment]) -> Deployment:
    return base_state[1]


def _network(url: str, **overrides: object) -> Network:
    settings: dict[str, object] = {
        "name": "fault-test",
        "rpc_url": url,
        "chain_id": FAULT_CHAIN_ID,
        "confirmations": 1,
        "poll_s": 0.05,
        "stuck_after_s": 2.0,
        "rpc_timeout_s": 2.0,
        "outage_budget_s": 60.0,
    }
    settings.update(overrides)
    return Network(**settings)  # type: ignore[arg-type]


def _fill(outbox: Outbox, streams: dict[str, list[int]]) -> dict[str, list[bytes]]:
    """Put proven windows (by window index, each stream's own proofs) into the outbox, streams
    interleaved; returns each stream's expected statements."""
    expected: dict[str, list[bytes]] = {}
    order = [
        (stream, index)
        for position in range(max(len(v) for v in streams.values()))
        for stream, v in streams.items()
        if position < len(v)
        for index in [v[position]]
    ]
    for stream, index in order:
        key, proof, instances = PROOFS[(stream, index)]
        outbox.enqueue_proven(stream, f"{stream}/{key}", MODEL_ID, proof, instances, index=index)
        expected.setdefault(stream, []).extend(statements_of(MODEL_ID, instances))
    return expected


def _open(path: Path, deployment: Deployment) -> Outbox:
    return Outbox.open(
        path, chain_id=FAULT_CHAIN_ID, registry=deployment.registry_address, gateway=GATEWAY
    )


def _sender(
    outbox: Outbox, network: Network, deployment: Deployment, key: str = GATEWAY_KEY
) -> Sender:
    return Sender(outbox, network, deployment, key, w3=web3_for(network))


def assert_exactly_once_in_order(
    anvil: FaultyAnvil, deployment: Deployment, expected: dict[str, list[bytes]]
) -> None:
    registry = anvil.w3.eth.contract(
        address=deployment.registry_address, abi=deployment.registry_abi
    )
    entries = fetch_alerts(registry, deployment.block)
    by_stream: dict[str, list[bytes]] = {}
    for e in entries:
        by_stream.setdefault(e.stream_id, []).append(
            statement_of(e.model_id, int(e.input_commitment, 16), e.score)
        )
    for stream, statements in expected.items():
        sid = "0x" + keccak(text=stream).hex()
        assert by_stream.get(sid, []) == statements, (
            f"stream {stream}: on-chain statements differ from the outbox order"
        )
    all_statements = [s for v in by_stream.values() for s in v]
    assert len(all_statements) == len(set(all_statements)), "a statement is on-chain twice"
    checks = check_chain(registry, entries)
    assert checks and all(c.ok for c in checks), [c.problems for c in checks]


def _wait(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _states(path: Path) -> dict[str, int]:
    with Outbox.open(path, readonly=True) as box:
        return box.counts()


# ---------------------------------------------------------------------- the happy path


def test_outbox_drains_in_order_and_skips_recorded_statements(chain, deployment, tmp_path):
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    expected = _fill(outbox, {"plant/a": [0, 2, 3], "plant/b": [1, 3]})
    sender = _sender(outbox, _network(chain.url), deployment)
    stats = sender.run(timeout_s=60)
    assert outbox.counts()["confirmed"] == 5 and stats.sent == 5 and stats.reverted == 0
    assert_exactly_once_in_order(chain, deployment, expected)

    # a second outbox holding the same alerts sends nothing: the registry says they are recorded
    again = _open(tmp_path / "again.sqlite", deployment)
    _fill(again, {"plant/a": [0, 2, 3], "plant/b": [1, 3]})
    stats = _sender(again, _network(chain.url), deployment).run(timeout_s=30)
    assert stats.sent == 0 and stats.confirmed_without_tx == 5
    assert_exactly_once_in_order(chain, deployment, expected)


# ---------------------------------------------------------------------- crashes


def _worker(
    outbox: Path,
    url: str,
    tmp_path: Path,
    *extra: str,
    key: str = GATEWAY_KEY,
    confirmations: int = 1,
) -> subprocess.Popen[str]:
    networks = tmp_path / "networks.toml"
    networks.write_text(
        "[networks.fault-test]\n"
        f'rpc_url = "{url}"\nchain_id = {FAULT_CHAIN_ID}\nconfirmations = {confirmations}\npoll_s = 0.05\n'
        "stuck_after_s = 2\nrpc_timeout_s = 2\noutage_budget_s = 60\n"
    )
    env = dict(os.environ, ZKALERT_NETWORKS=str(networks), PRIVATE_KEY=key)
    env.pop("RPC_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zkalert",
            "outbox",
            "run",
            "--network",
            "fault-test",
            "--outbox",
            str(outbox),
            "--no-prove",
            *extra,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_gateway_killed_between_send_and_receipt_resumes_without_loss_or_duplicate(
    chain, deployment, tmp_path
):
    path = tmp_path / "outbox.sqlite"
    with _open(path, deployment) as outbox:
        expected = _fill(outbox, {"plant/a": [0, 1, 2, 3]})
    chain.set_automine(False)  # transactions wait in the mempool until the test mines

    worker = _worker(path, chain.url, tmp_path, confirmations=2)
    try:
        # the row is marked sent before its transaction is broadcast (write-ahead): wait for both
        _wait(
            lambda: _states(path)["sent"] == 1 and len(chain.pending_hashes()) == 1,
            what="the first transaction to be sent and in the node's mempool",
        )
    finally:
        kill_process(worker)  # SIGKILL after the send, before any receipt
    assert len(chain.pending_hashes()) == 1
    chain.mine(1)  # mined, but not yet at depth 2: the restarted worker must wait, not resend

    worker = _worker(path, chain.url, tmp_path, confirmations=2)
    try:
        chain.set_automine(True)
        deadline = time.monotonic() + 60
        while worker.poll() is None and time.monotonic() < deadline:
            chain.mine(1)  # keep blocks coming so receipts reach depth 2
            time.sleep(0.2)
        _, err = worker.communicate(timeout=10)
    finally:
        kill_process(worker)
    assert worker.returncode == 0, err
    with Outbox.open(path, readonly=True) as outbox:
        assert outbox.counts()["confirmed"] == 4
        assert sum(r.sends for r in outbox.rows()) == 4, "a transaction was sent twice"
    assert_exactly_once_in_order(chain, deployment, expected)
    assert chain.w3.eth.get_transaction_count(GATEWAY) == 4


def test_crash_after_recording_a_transaction_before_broadcasting_it(chain, deployment, tmp_path):
    """The outbox writes a signed transaction before broadcasting it; a crash in between leaves a
    transaction the node never saw, which the restarted sender rebroadcasts (same hash, same nonce)."""
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    expected = _fill(outbox, {"plant/a": [2, 3]})
    network = _network(chain.url)
    sender = _sender(outbox, network, deployment)
    row = outbox.rows("proven")[0]
    # exactly what _send does up to the broadcast
    head = bytes(sender.registry.functions.head(row.stream_id).call())
    tx = sender._tx_fields(row, head)
    gas = int(sender.w3.eth.estimate_gas(tx) * 1.25)
    fees = sender._fees()
    signed = sender.account.sign_transaction(
        {**tx, "gas": gas, "nonce": sender._next_nonce(), **fees}
    )
    tx_hash = "0x" + bytes(signed.hash).hex()
    outbox.record_attempt(
        row.id,
        0,
        tx_hash,
        bytes(signed.raw_transaction),
        gas,
        head,
        sender._predicted_hashes(row, head, 0),
        fees["maxFeePerGas"],
        fees["maxPriorityFeePerGas"],
        None,
    )
    outbox.close()  # "crash"

    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    stats = _sender(outbox, network, deployment).run(timeout_s=60)
    assert stats.rebroadcast == 1 and stats.sent == 1
    assert outbox.get(row.id).tx_hash == tx_hash
    assert_exactly_once_in_order(chain, deployment, expected)


# ---------------------------------------------------------------------- the node


def test_anvil_restarted_from_an_older_state_dump_loses_blocks_and_they_are_resent(
    chain, deployment, tmp_path
):
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    expected = _fill(outbox, {"plant/a": [0, 1, 2, 3], "plant/b": [0, 1]})
    network = _network(chain.url)
    sender = _sender(outbox, network, deployment)
    registry = chain.w3.eth.contract(
        address=deployment.registry_address, abi=deployment.registry_abi
    )

    def recorded() -> int:
        return sum(registry.functions.count(keccak(text=s)).call() for s in ("plant/a", "plant/b"))

    while outbox.counts()["confirmed"] < 2:
        sender.step()
        time.sleep(0.05)
    dump = chain.checkpoint(tmp_path / "dump.json")
    at_dump = recorded()
    while outbox.counts()["confirmed"] < 6:
        sender.step()
        time.sleep(0.05)
    assert at_dump < 6 and recorded() == 6
    chain.crash_and_restore(dump)  # SIGKILL; the blocks mined after the dump are gone
    assert recorded() == at_dump
    stats = sender.run(timeout_s=90)
    assert stats.reorgs_seen >= 1 and stats.rolled_back == 6 - at_dump
    assert_exactly_once_in_order(chain, deployment, expected)


def test_reorg_removes_mined_alerts_and_they_are_resent(chain, deployment, tmp_path):
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    expected = _fill(outbox, {"plant/a": [0, 1, 2], "plant/b": [0, 1]})
    network = _network(chain.url, confirmations=1)
    sender = _sender(outbox, network, deployment)
    while outbox.counts()["confirmed"] < 5:
        sender.step()
        time.sleep(0.05)
    chain.reorg(3)  # deeper than the confirmation depth: confirmed records vanish
    stats = sender.run(timeout_s=90)
    assert stats.reorgs_seen >= 1 and stats.rolled_back >= 1
    assert_exactly_once_in_order(chain, deployment, expected)


def test_reorg_of_unconfirmed_alerts_with_confirmation_depth(chain, deployment, tmp_path):
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    expected = _fill(outbox, {"plant/a": [0, 1, 2]})
    network = _network(chain.url, confirmations=4)
    sender = _sender(outbox, network, deployment)
    while not any(r.block is not None for r in outbox.rows("sent")):
        sender.step()
        time.sleep(0.05)
    chain.reorg(1)  # the mined, not yet confirmed transaction is gone

    def drain() -> None:
        sender.run(timeout_s=90)

    runner = threading.Thread(target=drain)
    runner.start()
    while runner.is_alive():
        chain.mine(1)
        time.sleep(0.1)
    runner.join()
    assert outbox.counts()["confirmed"] == 3
    assert sender.stats.rebroadcast + sender.stats.requeued >= 1
    assert_exactly_once_in_order(chain, deployment, expected)


def test_dropped_transactions_are_rebroadcast(chain, deployment, tmp_path):
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    expected = _fill(outbox, {"plant/a": [0, 1], "plant/b": [2, 3]})
    chain.set_automine(False)
    sender = _sender(outbox, _network(chain.url), deployment)
    sender.step()
    pending = chain.pending_hashes()
    assert len(pending) == 2
    for tx_hash in pending:
        chain.drop(tx_hash)
    assert chain.pending_hashes() == []
    sender.step()  # unknown to the node, nonce unused: rebroadcast from the outbox's signed bytes
    assert sorted(chain.pending_hashes()) == sorted(pending)
    chain.set_automine(True)
    chain.mine(1)
    stats = sender.run(timeout_s=60)
    assert stats.rebroadcast == 2
    assert_exactly_once_in_order(chain, deployment, expected)


def test_stuck_transaction_is_replaced_with_the_same_nonce_and_higher_fees(
    chain, deployment, tmp_path
):
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    expected = _fill(outbox, {"plant/a": [0]})
    chain.set_automine(False)
    network = _network(chain.url, stuck_after_s=1.0)
    sender = _sender(outbox, network, deployment)
    sender.step()
    (row,) = outbox.rows("sent")
    (first,) = outbox.live_attempts(row.id)

    # 1. pending and not mined for longer than stuck_after_s: replaced, same nonce, fees x 1.25
    time.sleep(1.2)
    sender.step()
    attempts = outbox.live_attempts(row.id)
    assert len(attempts) == 2 and attempts[1].nonce == first.nonce
    assert (
        attempts[1].max_fee >= first.max_fee * 1.25
        and attempts[1].priority_fee >= first.priority_fee * 1.25
    )
    assert chain.pending_hashes() == [attempts[1].tx_hash]  # the node swapped it in

    # 2. the base fee jumps far above the bid: anvil evicts the transaction when it builds the
    # block, the rebroadcast is refused as underpriced, and a replacement outbids the new base fee
    chain.spike_base_fee(attempts[1].max_fee * 20)
    chain.mine(1)
    assert chain.pending_hashes() == []
    sender.step()
    attempts = outbox.live_attempts(row.id)
    assert len(attempts) == 3 and attempts[2].nonce == first.nonce
    assert attempts[2].max_fee > attempts[1].max_fee * 20
    chain.set_automine(True)
    chain.mine(1)
    stats = sender.run(timeout_s=30)
    assert stats.replaced == 2
    assert outbox.get(row.id).tx_hash == attempts[2].tx_hash
    assert chain.w3.eth.get_transaction_count(GATEWAY) == 1  # one nonce used, whatever the attempts
    assert_exactly_once_in_order(chain, deployment, expected)


# ---------------------------------------------------------------------- two gateways


def test_two_gateway_processes_with_the_same_alerts_record_each_once(
    base_state, deployment, tmp_path
):
    state, _ = base_state
    anvil = FaultyAnvil(
        free_port(), FAULT_CHAIN_ID, load_state=state, block_time_s=1
    ).start()  # interval mining
    try:
        paths = [tmp_path / "a.sqlite", tmp_path / "b.sqlite"]
        for path in paths:
            with _open(path, deployment) as outbox:
                expected = _fill(outbox, {"plant/a": [0, 1, 2, 3], "plant/b": [0, 1, 2, 3]})
        for folder in ("wa", "wb"):
            (tmp_path / folder).mkdir()
        workers = [
            _worker(path, anvil.url, tmp_path / name) for path, name in zip(paths, ("wa", "wb"))
        ]
        try:
            results = [w.communicate(timeout=120) for w in workers]
        finally:
            for w in workers:
                kill_process(w)
        for w, (_, err) in zip(workers, results):
            assert w.returncode == 0, err
        for path in paths:
            assert _states(path)["confirmed"] == 8
        assert_exactly_once_in_order(anvil, deployment, expected)
    finally:
        anvil.kill()


# ---------------------------------------------------------------------- the RPC goes away


def test_rpc_outage_and_hung_node_are_ridden_out(chain, deployment, tmp_path):
    proxy = RpcProxy(chain.port, free_port(exclude={chain.port})).start()
    try:
        outbox = _open(tmp_path / "outbox.sqlite", deployment)
        expected = _fill(outbox, {"plant/a": [0, 1, 2], "plant/b": [0, 1, 2]})
        sender = _sender(outbox, _network(proxy.url, rpc_timeout_s=1.0), deployment)

        def faults() -> None:
            while outbox_confirmed() < 1:
                time.sleep(0.02)
            proxy.down()  # connection refused
            time.sleep(3)
            proxy.blackhole()  # accepted, never answered: timeouts
            time.sleep(3)
            proxy.up()

        def outbox_confirmed() -> int:
            with Outbox.open(tmp_path / "outbox.sqlite", readonly=True) as box:
                return box.counts()["confirmed"]

        injector = threading.Thread(target=faults)
        injector.start()
        stats = sender.run(timeout_s=120)
        injector.join()
        # 6 s of faults; the sender measures an outage from its first failed call, which
        # a loaded machine can reach late: require a ridden-out outage, not a stopwatch figure
        assert stats.outages >= 1 and stats.longest_outage_s >= 1
        assert_exactly_once_in_order(chain, deployment, expected)
    finally:
        proxy.close()


def test_rpc_gone_longer_than_the_budget_stops_with_one_line_and_the_outbox_intact(
    chain, deployment, tmp_path, dead_port
):
    outbox = _open(tmp_path / "outbox.sqlite", deployment)
    _fill(outbox, {"plant/a": [0, 1]})
    port = dead_port
    sender = _sender(
        outbox,
        _network(f"http://127.0.0.1:{port}", outage_budget_s=1.5, rpc_timeout_s=0.5),
        deployment,
    )
    with pytest.raises(ChainError, match=r"has not answered for .* the outbox is intact"):
        sender.run(timeout_s=30)
    assert outbox.counts()["proven"] == 2


# ---------------------------------------------------------------------- PoA network config


def test_poa_network_over_interval_mining(base_state, deployment, tmp_path):
    state, _ = base_state
    anvil = FaultyAnvil(free_port(), FAULT_CHAIN_ID, load_state=state, block_time_s=1).start()
    try:
        networks = tmp_path / "networks.toml"
        networks.write_text(
            f'[networks.poa]\nrpc_url = "{anvil.url}"\nchain_id = {FAULT_CHAIN_ID}\npoa = true\nconfirmations = 2\nblock_time_s = 1\n'
        )
        network = load_network("poa", networks)
        w3 = connect_checked(network)
        # the middleware is in place: block extraData arrives renamed, as on a Clique/IBFT chain
        assert "proofOfAuthorityData" in w3.eth.get_block("latest")
        assert "extraData" in anvil.w3.eth.get_block("latest")
        outbox = _open(tmp_path / "outbox.sqlite", deployment)
        expected = _fill(outbox, {"plant/a": [0, 1]})
        stats = Sender(outbox, network, deployment, GATEWAY_KEY, w3=w3).run(timeout_s=60)
        assert stats.confirmed == 2
        for row in outbox.rows():
            assert anvil.w3.eth.block_number - row.block + 1 >= 2
        assert_exactly_once_in_order(anvil, deployment, expected)
    finally:
        anvil.kill()


# ---------------------------------------------------------------------- bad input


def test_corrupted_outbox_row_refuses_to_start_naming_the_row(deployment, tmp_path):
    path = tmp_path / "outbox.sqlite"
    with _open(path, deployment) as outbox:
        _fill(outbox, {"plant/a": [0, 1]})
    db = sqlite3.connect(path)
    proof = bytearray(db.execute("SELECT proof FROM alerts WHERE id = 2").fetchone()[0])
    proof[100] ^= 0x01
    db.execute("UPDATE alerts SET proof = ? WHERE id = 2", (bytes(proof),))
    db.commit()
    db.close()
    with pytest.raises(
        OutboxError,
        match=rf"row 2 \(plant/a/{PROOFS[('plant/a', 1)][0]}\) is corrupted: its content does not match its digest",
    ):
        _open(path, deployment)


def test_outbox_row_with_an_unknown_state_refuses_to_start(deployment, tmp_path):
    path = tmp_path / "outbox.sqlite"
    with _open(path, deployment) as outbox:
        _fill(outbox, {"plant/a": [0]})
    db = sqlite3.connect(path)
    db.execute("UPDATE alerts SET state = 'lost' WHERE id = 1")
    db.commit()
    db.close()
    with pytest.raises(OutboxError, match="row 1 .* is corrupted"):
        _open(path, deployment)


def test_garbage_file_is_not_an_outbox(tmp_path):
    path = tmp_path / "outbox.sqlite"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(OutboxError, match="not a readable SQLite database"):
        Outbox.open(path)


def test_outbox_of_another_chain_or_gateway_refuses(deployment, tmp_path):
    path = tmp_path / "outbox.sqlite"
    _open(path, deployment).close()
    with pytest.raises(OutboxError, match=f"belongs to chain_id {FAULT_CHAIN_ID}, not 5"):
        Outbox.open(path, chain_id=5)
    with pytest.raises(OutboxError, match="belongs to gateway"):
        Outbox.open(
            path,
            chain_id=FAULT_CHAIN_ID,
            registry=deployment.registry_address,
            gateway=Account.from_key(RIVAL_KEY).address,
        )


def test_outbox_in_use_by_another_process_refuses(deployment, tmp_path):
    path = tmp_path / "outbox.sqlite"
    with (
        _open(path, deployment),
        pytest.raises(
            OutboxError, match=f"in use by another gateway process \\(pid {os.getpid()}\\)"
        ),
    ):
        _open(path, deployment)


def test_network_with_the_wrong_chain_id_refuses(chain):
    with pytest.raises(
        NetworkConfigError,
        match=f"expects chain id 1, but the node at {chain.url} is chain {FAULT_CHAIN_ID}",
    ):
        connect_checked(_network(chain.url, chain_id=1))


def test_cli_worker_refuses_a_wrong_chain_id_with_one_line(chain, tmp_path):
    networks = tmp_path / "networks.toml"
    networks.write_text(f'[networks.wrong]\nrpc_url = "{chain.url}"\nchain_id = 5\n')
    env = dict(os.environ, ZKALERT_NETWORKS=str(networks))
    env.pop("RPC_URL", None)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "zkalert",
            "outbox",
            "run",
            "--network",
            "wrong",
            "--outbox",
            str(tmp_path / "o.sqlite"),
            "--no-prove",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f"error: network 'wrong' expects chain id 5, but the node at {chain.url} is chain {FAULT_CHAIN_ID}: "
        f"wrong RPC_URL, or fix chain_id in {networks}"
    )


def test_deployment_file_that_does_not_match_the_chain_refuses(base_state, deployment, tmp_path):
    # a node of the right chain id, but without the deployment (a reset chain)
    anvil = FaultyAnvil(free_port(), FAULT_CHAIN_ID).start()
    try:
        outbox = _open(tmp_path / "outbox.sqlite", deployment)
        _fill(outbox, {"plant/a": [0]})
        sender = _sender(outbox, _network(anvil.url), deployment)
        with pytest.raises(
            SenderStopped,
            match=f"names {deployment.registry_address}, but chain {FAULT_CHAIN_ID} has no contract there",
        ):
            sender.check_setup()
    finally:
        anvil.kill()


def test_gateway_not_allowed_and_stream_of_another_gateway_stop_the_sender(
    chain, deployment, tmp_path
):
    rival = Account.from_key(RIVAL_KEY).address
    chain.set_balance(rival, 10**20)
    bound = Outbox.open(
        tmp_path / "bound.sqlite",
        chain_id=FAULT_CHAIN_ID,
        registry=deployment.registry_address,
        gateway=rival,
    )
    with pytest.raises(OutboxError, match=r"plant/a.*bound to another gateway, stream or index"):
        _fill(
            bound, {"plant/a": [0]}
        )  # an outbox of the rival's key takes no proof made for another gateway
    # an outbox not bound to a key takes it; the registry then decides
    outbox = Outbox.open(
        tmp_path / "rival.sqlite", chain_id=FAULT_CHAIN_ID, registry=deployment.registry_address
    )
    _fill(outbox, {"plant/a": [0]})
    sender = _sender(outbox, _network(chain.url), deployment, key=RIVAL_KEY)
    with pytest.raises(SenderStopped, match=f"gateway {rival} is not allowed"):
        sender.check_setup()

    # allowed, but the stream belongs to the first gateway: the registry's error, not a silent skip
    registry = chain.w3.eth.contract(
        address=deployment.registry_address, abi=deployment.registry_abi
    )
    owner = Account.from_key(OWNER_KEY)
    tx = registry.functions.setGateway(rival, True).build_transaction(
        {"from": owner.address, "nonce": chain.w3.eth.get_transaction_count(owner.address)}
    )
    chain.w3.eth.send_raw_transaction(owner.sign_transaction(tx).raw_transaction)
    own = _open(tmp_path / "own.sqlite", deployment)
    _fill(own, {"plant/a": [1]})
    _sender(own, _network(chain.url), deployment).run(timeout_s=30)
    with pytest.raises(SenderStopped, match="AlertRegistryStreamGateway"):
        sender.run(timeout_s=30)
    assert outbox.counts()["proven"] == 1


def test_reader_checks_a_consistent_snapshot_while_the_worker_writes(tmp_path):
    """`zkalert outbox status` (and the soak) open the outbox read-only while the worker commits:
    the check must see each row together with its transactions, never half a transition."""
    path = tmp_path / "outbox.sqlite"
    writer = Outbox.open(path)
    _, proof, instances = PROOFS[("plant/a", 0)]
    row_id = writer.enqueue_proven("s", "k", MODEL_ID, proof, instances, index=0)
    stop = threading.Event()

    def flip() -> None:
        nonce = 0
        while not stop.is_set():
            writer.record_attempt(
                row_id,
                nonce,
                f"0x{nonce:064x}",
                b"raw",
                21_000,
                b"\0" * 32,
                (b"\1" * 32,),
                1,
                1,
                None,
            )
            writer.requeue(row_id, "again")
            nonce += 1

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        reads = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with Outbox.open(path, readonly=True) as reader:
                reader.counts()
            reads += 1
    finally:
        stop.set()
        flipper.join()
        writer.close()
    assert reads > 10
