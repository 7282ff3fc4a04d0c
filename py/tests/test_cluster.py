"""Proving on a Dask cluster started with Dask's own command line, and losing a worker mid-range.

Real components throughout: `dask scheduler` and three `dask worker` processes (two that can
hold this circuit's proofs, one that declares too little MEMORY for any), the utility service as
a uvicorn subprocess pointed at the scheduler with --cluster, the module's own small circuit
(logrows 13, a few seconds per proof). One worker is SIGKILLed, with its process group, while
it proves a window of the range: the window is proven again on the other worker, every window
is proven exactly once, and every proof verifies with EZKL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from test_services import _auth, _port, _service, _stop, _wait, compiled, tokens

from zkalert.config import PROJECT_ROOT, Workspace
from zkalert.data.loaders import load_te_file
from zkalert.lab.nodes import LocalNodes, kill_group
from zkalert.zk.prover import felt_hex_to_int, verify_proof

pytestmark = [pytest.mark.ezkl, pytest.mark.slow]

__all__ = ["compiled", "tokens"]  # fixtures of the services' module, used here as they are

STREAM = "plant-b/unit-7"
WINDOWS = 8


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory) -> Iterator[dict[str, object]]:
    """`dask scheduler` and three `dask worker`s: big-a and big-b hold 2 GB, small 0.1 GB."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    env = dict(
        os.environ,
        ZKALERT_WORKER_CACHE=str(folder / "cache"),
        DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="2",
    )
    # each worker: one proof at a time with one halo2 thread (two provers on two cores), memory
    # pausing off, as docs/guides/cluster.md runs them
    nodes = LocalNodes(folder, env=env)
    try:
        for name, memory in (("big-a", 2e9), ("big-b", 2e9), ("small", 1e8)):
            nodes.add_worker(name, memory_bytes=int(memory), memory_limit=int(4e9))
        with Client(nodes.address, timeout=20) as client:
            client.wait_for_workers(3, timeout=90)
            names = {
                w["name"]: a for a, w in client.scheduler_info(n_workers=-1)["workers"].items()
            }
        assert set(names) == {"big-a", "big-b", "small"}, names
        yield {"address": nodes.address, "procs": nodes.procs, "addresses": names, "folder": folder}
    finally:
        nodes.close()


def _windows(count: int) -> list[list[float]]:
    """Raw windows of the TE fault-1 run (any rows: the range need not hold alarms)."""
    run = load_te_file("d01_te.dat")
    return [[float(v) for v in run[r]] for r in range(100, 100 + count)]


def test_a_range_proves_on_a_dask_cluster_and_survives_losing_a_worker_mid_proof(
    compiled, tokens, dask_cluster, tmp_path
):
    from distributed import Client

    workspace, _, info = compiled
    address = str(dask_cluster["address"])
    workers: dict[str, str] = dask_cluster["addresses"]
    port = _port()
    url = f"http://127.0.0.1:{port}"
    utility = _service(
        [
            "utility",
            "--workdir",
            str(workspace.root),
            "--store",
            str(tmp_path / "windows.sqlite"),
            "--tokens",
            str(tokens["path"]),
            "--no-commit",
            "--cluster",
            address,
        ],
        port,
        tmp_path / "utility.log",
        dict(os.environ, RPC_URL="http://127.0.0.1:9", ZKALERT_CLUSTER_CONNECT_TIMEOUT_S="5"),
    )
    regulator, ingest = _auth(tokens["regulator"]), _auth(tokens["ingest"])
    try:
        _wait(
            lambda: httpx.get(f"{url}/healthz", timeout=2).status_code == 200,
            90,
            f"the utility ({(tmp_path / 'utility.log').read_text()[-800:] if (tmp_path / 'utility.log').exists() else ''})",
        )
        body = {"windows": [{"index": i, "values": w} for i, w in enumerate(_windows(WINDOWS))]}
        stored = httpx.post(
            f"{url}/v1/windows?stream={STREAM}", headers=ingest, json=body, timeout=120
        )
        assert stored.status_code == 201, stored.text

        answer: dict[str, httpx.Response] = {}

        def ask() -> None:
            answer["range"] = httpx.get(
                f"{url}/v1/proofs?stream={STREAM}&first=0&last={WINDOWS - 1}",
                headers=regulator,
                timeout=600,
            )

        asking = threading.Thread(target=ask)
        started = time.monotonic()
        asking.start()

        # watch the scheduler: once big-a has made one proof of the range and is into the next,
        # lose big-a whole (its nanny and its worker, as when its machine is gone)
        with Client(address, timeout=20) as client:
            victim = workers["big-a"]

            def held() -> set[int]:
                keys = client.processing(workers=[victim]).get(victim, ())
                return {
                    int(str(k).split("-")[3]) for k in keys if str(k).startswith("prove-utility-")
                }

            seen: set[int] = set()

            def into_the_next() -> bool:  # a window big-a held is done, and it holds others
                now = held()
                done = bool(seen - now) and bool(now)
                seen.update(now)
                return done

            _wait(into_the_next, 120, "big-a's first proof", interval_s=0.1)
            time.sleep(1.5)  # mid-proof: a proof here takes several seconds
            lost = held()
            assert lost, "big-a should still hold windows of the range"
            kill_group(dask_cluster["procs"]["big-a"])
            killed_at = time.monotonic() - started
            _wait(
                lambda: victim not in client.scheduler_info(n_workers=-1)["workers"],
                30,
                "the scheduler to drop big-a",
            )
        asking.join(timeout=600)
        response = answer["range"]
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["missing"] == [] and result["unavailable"] == []
        proofs = {p["window"]: p for p in result["proofs"]}
        assert sorted(proofs) == list(range(WINDOWS))

        # the windows big-a held when it died were proven again, on big-b; small proved nothing
        assert all(not p["cached"] for p in proofs.values())
        assert {p["prover"] for p in proofs.values()} <= {workers["big-a"], workers["big-b"]}
        assert all(proofs[i]["prover"] == workers["big-b"] for i in lost), (lost, proofs)
        assert workers["small"] not in {p["prover"] for p in proofs.values()}

        # every proof verifies and proves the statement the utility stored at ingestion
        listed = {
            w["window"]: w
            for w in httpx.get(
                f"{url}/v1/windows?stream={STREAM}", headers=regulator, timeout=30
            ).json()
        }
        for index, entry in proofs.items():
            proof = entry["proof"]
            instances = [felt_hex_to_int(f) for group in proof["instances"] for f in group]
            ok, why = verify_proof(
                bytes.fromhex(proof["hex_proof"].removeprefix("0x")),
                instances,
                workspace.vk,
                workspace.settings,
                Path(info.srs_path),
            )
            assert ok, (index, why)
            assert hex(instances[0]) == hex(int(listed[index]["input_commitment"], 16))
            assert listed[index]["proven"]

        # exactly once: ten proofs made, and asking again serves them from the store
        status = httpx.get(f"{url}/v1/status", headers=regulator, timeout=30).json()
        assert status["proofs"]["made"] == WINDOWS, status["proofs"]
        assert status["cluster"]["mode"] == "address" and status["cluster"]["address"] == address
        again = httpx.get(
            f"{url}/v1/proofs?stream={STREAM}&first=0&last={WINDOWS - 1}",
            headers=regulator,
            timeout=60,
        ).json()
        assert all(p["cached"] and p["prover"] is None for p in again["proofs"])
        assert (
            httpx.get(f"{url}/v1/status", headers=regulator, timeout=30).json()["proofs"]["made"]
            == WINDOWS
        )
        print(
            f"\n{WINDOWS} windows proven on {address} in {time.monotonic() - started:.1f} s; "
            f"big-a lost at {killed_at:.1f} s holding window(s) {sorted(lost)}; by worker: "
            + json.dumps(
                {n: sum(p["prover"] == a for p in proofs.values()) for n, a in workers.items()}
            )
        )

        # the whole cluster goes away: proof requests are one 503 line, the windows stay queued
        more = {"windows": [{"index": WINDOWS + i, "values": w} for i, w in enumerate(_windows(2))]}
        assert (
            httpx.post(
                f"{url}/v1/windows?stream={STREAM}", headers=ingest, json=more, timeout=60
            ).status_code
            == 201
        )
        procs = dask_cluster["procs"]
        for name in ("scheduler", "big-b", "small"):
            kill_group(procs[name])
        tail = f"{url}/v1/proofs?stream={STREAM}&first={WINDOWS}&last={WINDOWS + 1}"
        gone = httpx.get(tail, headers=regulator, timeout=120)
        assert gone.status_code == 503 and gone.headers["retry-after"] == "10", gone.text
        error = gone.json()["error"]
        assert error.startswith(f"the proving cluster at {address} ") and "\n" not in error
        assert ("went away" in error or "cannot be reached" in error) and len(error) < 400
        queued = httpx.get(
            f"{url}/v1/windows?stream={STREAM}&first={WINDOWS}", headers=regulator, timeout=30
        ).json()
        assert [(w["window"], w["proven"], w["inputs_stored"]) for w in queued] == [
            (WINDOWS, False, True),
            (WINDOWS + 1, False, True),
        ]

        # back at the same address (a new scheduler and a new worker): the queued windows are
        # proven there, the circuit shipped to the new scheduler again
        folder = dask_cluster["folder"]
        again = LocalNodes(
            folder / "again",
            env=dict(os.environ, ZKALERT_WORKER_CACHE=str(folder / "cache")),
            port=int(address.rsplit(":", 1)[1]),
        )
        again.add_worker("big-c", memory_bytes=int(2e9), threads=2)
        # the fixture's teardown stops these with the rest
        procs["scheduler-2"], procs["big-c"] = again.procs["scheduler"], again.procs["big-c"]
        back = _wait(
            lambda: (r := httpx.get(tail, headers=regulator, timeout=300)).status_code == 200 and r,
            180,
            "the queued windows to be proven on the new cluster",
            interval_s=2,
        )
        fresh = back.json()["proofs"]
        assert [p["window"] for p in fresh] == [WINDOWS, WINDOWS + 1]
        assert all(not p["cached"] and p["prover"] not in workers.values() for p in fresh)
        status = httpx.get(f"{url}/v1/status", headers=regulator, timeout=30).json()
        assert status["proofs"]["made"] == WINDOWS + 2 and status["cluster"]["connected"]
        log = (tmp_path / "utility.log").read_text()
        assert "Traceback" not in log
    finally:
        _stop(utility)


def test_an_unreachable_cluster_is_one_line_and_nothing_is_proven(
    compiled, tokens, tmp_path, dead_port
):
    """`zkalert prove --cluster` to an address nobody listens on: exit 4, one line, no proof file;
    the utility answers 503 with one line and keeps the window to prove when the cluster is back."""
    from fastapi.testclient import TestClient

    from zkalert.services.utility import UtilityConfig, UtilityCore, create_app

    workspace, _, _ = compiled
    nobody = f"tcp://127.0.0.1:{dead_port}"
    csv = tmp_path / "two.csv"
    rows = _windows(2)
    csv.write_text(
        ",".join(f"v{i}" for i in range(52))
        + "\n"
        + "\n".join(",".join(repr(v) for v in r) for r in rows)
        + "\n"
    )
    before = sorted(p.name for p in workspace.proofs.iterdir())
    prove = [sys.executable, "-m", "zkalert", "prove", str(csv), "--stream", "s", "--workdir", str(workspace.root)]  # fmt: skip

    def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, capture_output=True, text=True, cwd=PROJECT_ROOT, check=False, env=env
        )

    out = run([*prove[:3], "--set", "cluster.connect_timeout_s=2", *prove[3:], "--cluster", nobody])
    assert out.returncode == 4, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: the proving cluster at {nobody} cannot be reached")
    assert "nothing was proven" in lines[0]
    assert sorted(p.name for p in workspace.proofs.iterdir()) == before

    # the same address from the environment (ZKALERT_CLUSTER_ADDRESS): the same line
    out = run(
        prove,
        dict(os.environ, ZKALERT_CLUSTER_ADDRESS=nobody, ZKALERT_CLUSTER_CONNECT_TIMEOUT_S="2"),
    )
    assert out.returncode == 4 and out.stderr.strip().splitlines() == lines

    core = UtilityCore(
        UtilityConfig(
            workdir=workspace.root,
            store=str(tmp_path / "windows.sqlite"),
            tokens=tokens["path"],
            cluster=nobody,
            cluster_timeout_s=2,
        )
    )
    with TestClient(create_app(core, start_worker=False), raise_server_exceptions=False) as client:
        stored = client.post(
            "/v1/windows?stream=queued",
            headers=_auth(tokens["ingest"]),
            json={"windows": [{"index": 0, "values": rows[0]}]},
        )
        assert stored.status_code == 201, stored.text
        response = client.get(
            "/v1/proof?stream=queued&window=0", headers=_auth(tokens["regulator"])
        )
        assert response.status_code == 503 and response.headers["retry-after"] == "10"
        error = response.json()["error"]
        assert (
            error.startswith(f"the proving cluster at {nobody} cannot be reached")
            and "\n" not in error
        )
        window = client.get("/v1/windows?stream=queued", headers=_auth(tokens["regulator"])).json()[
            0
        ]
        assert window["proven"] is False and window["inputs_stored"] is True


def test_a_circuit_reaches_a_worker_that_does_not_see_its_files_as_bytes(
    compiled, tmp_path, monkeypatch
):
    """A worker on another host: the plugin's bytes are installed into the worker's cache folder
    (the SRS path rewritten to the copy) and a proof made from there verifies."""
    from dataclasses import replace

    from zkalert.cluster import worker
    from zkalert.cluster.folder import workspace_circuit
    from zkalert.cluster.worker import CircuitPlugin, ezkl_version
    from zkalert.evm.ids import stream_id
    from zkalert.zk.circuit import CircuitInfo
    from zkalert.zk.statement import Binding

    workspace, detector, info = compiled
    circuit = workspace_circuit(workspace, info)
    manifest = circuit.manifest()
    payload = {name: Path(path).read_bytes() for name, (path, _) in manifest.items()}
    elsewhere = {
        name: (f"/nonexistent-host-path/{name}", size) for name, (_, size) in manifest.items()
    }
    monkeypatch.setenv(worker.CACHE_ENV, str(tmp_path / "cache"))

    class Worker:  # what the plugin reads of the worker it is set up on
        address = "tcp://other-host:1234"

    other_host = replace(circuit, root=Path("/nonexistent-host-path"))
    plugin = CircuitPlugin(other_host, elsewhere, payload, ezkl_version())
    plugin.setup(Worker())
    installed = tmp_path / "cache" / info.model_id.lower()
    assert plugin.payload is None  # the worker keeps no copy of the keys in memory
    assert sorted(p.name for p in installed.iterdir() if p.is_file()) == sorted(manifest)
    copied = CircuitInfo.load(Workspace(installed))
    assert Path(copied.srs_path).parent == installed and copied.model_id == info.model_id

    # a second worker of the host finds the installed copy and writes nothing
    stamp = (installed / "pk.key").stat().st_mtime_ns
    CircuitPlugin(other_host, elsewhere, payload, ezkl_version()).setup(Worker())
    assert (installed / "pk.key").stat().st_mtime_ns == stamp

    prover = worker.installed_prover(info.model_id)
    scaled = detector.scale(np.asarray(_windows(1)))
    proven = prover.prove(scaled, "shipped", Binding("0x" + "22" * 20, stream_id("s"), 0))
    assert proven.proof_path.parent == installed / "proofs"
    ok, why = verify_proof(
        proven.proof, proven.instances, workspace.vk, workspace.settings, Path(info.srs_path)
    )
    assert ok, why
    plugin.teardown(Worker())


@pytest.mark.anvil
def test_the_outbox_proves_scored_rows_sends_each_once_and_refuses_an_unprovable_one(
    compiled, anvil_url, w3, isolated, tmp_path
):
    """`outbox run`'s prover on an embedded cluster of 2 workers: rows proven two at a time,
    marked proven as each proof is back, sent in stream order, each recorded once. One window a
    sensor pushed far outside the circuit's range has no witness: after the cluster's error the
    rows of that pass are proven one at a time (those done meanwhile come from the cache), that
    row is refused with the reason, and the rows behind it still land."""
    from conftest import OWNER_KEY, TEST_CHAIN_ID
    from eth_account import Account
    from eth_utils import keccak

    from zkalert.cluster.backend import ProvingCluster
    from zkalert.evm.log import check_chain, fetch_alerts
    from zkalert.evm.registry import ModelSpec, deploy
    from zkalert.gateway.networks import Network, web3_for
    from zkalert.gateway.outbox import Outbox
    from zkalert.gateway.sender import ClusterProver, Sender

    workspace, detector, info = compiled
    gateway = Account.from_key(OWNER_KEY).address
    deployment = deploy(ModelSpec.of(info), anvil_url, key=OWNER_KEY)
    stream = "cluster/outbox"
    raw = np.asarray(_windows(5))
    raw[2, 0] *= 1e6  # a failed transmitter's reading
    scaled = detector.scale(raw)
    outbox = Outbox.open(
        tmp_path / "outbox.sqlite",
        chain_id=TEST_CHAIN_ID,
        registry=deployment.registry_address,
        gateway=gateway,
    )
    for i in range(len(scaled)):
        outbox.enqueue(stream, f"{stream}#{i}", info.model_id, scaled[i : i + 1], index=i)
    network = Network(
        "cluster-test", anvil_url, TEST_CHAIN_ID, confirmations=1, poll_s=0.05, rpc_timeout_s=5.0
    )
    with ProvingCluster.open(workspace=workspace, workers=2) as cluster:
        prover = ClusterProver(workspace.root, gateway, cluster)
        assert prover.slots() == 2
        sender = Sender(outbox, network, deployment, OWNER_KEY, w3=web3_for(network), prover=prover)
        stats = sender.run(timeout_s=300)
    assert outbox.counts()["confirmed"] == 4 and outbox.counts()["refused"] == 1
    assert stats.proven == 4 and stats.sent == 4 and stats.reverted == 0
    assert stats.unprovable == 1 and stats.refused == 1
    (refused,) = outbox.rows("refused")
    assert refused.window_index == 2
    assert refused.error is not None and refused.error.startswith(
        "unprovable: proof cluster_outbox_2: no witness: a value leaves the circuit's fixed-point "
        "range"
    ), refused.error
    outbox.close()
    registry = w3.eth.contract(address=deployment.registry_address, abi=deployment.registry_abi)
    entries = [
        e
        for e in fetch_alerts(registry, deployment.block)
        if e.stream_id == "0x" + keccak(text=stream).hex()
    ]
    assert [e.window_index for e in entries] == [0, 1, 3, 4]
    assert all(c.ok for c in check_chain(registry, entries))


def test_a_worker_proves_at_the_niceness_it_was_started_with():
    """Every thread of the worker process (those already running, and those started after, as
    halo2's pool is) takes ZKALERT_PROVER_NICE; a thread already nicer keeps its niceness."""
    script = (
        "import os, threading\n"
        "from zkalert.cluster.worker import lower_priority\n"
        "done, niced = threading.Event(), threading.Event()\n"  # the threads live until the end
        "before = threading.Thread(target=done.wait, daemon=True); before.start()\n"
        "nicer = threading.Thread(target=lambda: (os.setpriority(os.PRIO_PROCESS, 0, 15), "
        "niced.set(), done.wait()), daemon=True)\n"
        "nicer.start(); niced.wait()\n"
        "lower_priority()\n"
        "after = threading.Thread(target=lambda: print('after', os.getpriority(os.PRIO_PROCESS, 0)))\n"
        "after.start(); after.join()\n"
        "for tid in sorted(int(t) for t in os.listdir('/proc/self/task')):\n"
        "    try:\n"
        "        print('thread', os.getpriority(os.PRIO_PROCESS, tid))\n"
        "    except ProcessLookupError:\n"  # a thread an import started, ended meanwhile
        "        pass\n"
        "done.set()\n"
    )

    def run(nice: str) -> tuple[list[str], list[int]]:
        out = subprocess.run(
            [sys.executable, "-c", script],
            env=dict(os.environ, ZKALERT_PROVER_NICE=nice),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.split("\n")
        return out, sorted(int(line.split()[1]) for line in out if line.startswith("thread"))

    out, niceness = run("7")
    # the main thread, the sleeper started before and any thread an import started: 7; the
    # thread that was already nicer: 15
    assert niceness.count(15) == 1 and set(niceness) == {7, 15} and len(niceness) >= 3, out
    assert "after 7" in out
    out, niceness = run("0")
    assert niceness.count(15) == 1 and set(niceness) == {0, 15}, out
