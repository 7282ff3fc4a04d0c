"""The utility service with a KZG-committed circuit (the default detector's exact circuit, whose
window costs no rows under KZG), on an anvil of its own: the service computes each window's
KZG commitment at ingestion, commits it to the WindowLog, proves on request a statement equal to
the committed one, and the regulator's lazy audit reads each proof's commitment from its G1 point
and verifies it off-chain and with the registered verifier; a proof the utility serves for a
window it never committed is refused by the same check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import KZG_UTILITY_CHAIN_ID, OWNER_KEY
from eth_utils import keccak

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import TE_FAULT_START_ROW, load_te_file, load_tennessee_eastman
from zkalert.detector.model import TrainConfig, train
from zkalert.evm.localnode import Anvil, free_port
from zkalert.evm.registry import ModelSpec, deploy
from zkalert.evm.windowlog import deploy_window_log
from zkalert.services.access import add_token
from zkalert.zk.circuit import CircuitConfig, compile_circuit

pytestmark = [pytest.mark.ezkl, pytest.mark.slow]

STREAM = "plant-k/unit-1"


@pytest.fixture(scope="module")
def kzg_utility(tmp_path_factory) -> Iterator[dict[str, Any]]:
    te = load_tennessee_eastman()
    detector = train(
        te.train,
        te.validation.windows,
        te.validation.labels,
        TrainConfig(kind="whitened-sq"),
        progress=False,
    )
    workspace = Workspace.at(tmp_path_factory.mktemp("kzg-utility"))
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig.for_detector("whitened-sq").with_commitment("kzg"),
        contract_name="PytestKzgUtilityVerifier",
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
    )
    assert info.commitment == "kzg" and info.logrows == 10
    run = load_te_file("d01_te.dat")
    scores = detector.score(run)
    normal = [
        r
        for r in range(TE_FAULT_START_ROW - 20, TE_FAULT_START_ROW)
        if scores[r] < detector.threshold
    ][:2]
    alarms = [
        r for r in range(TE_FAULT_START_ROW + 40, len(run)) if scores[r] > detector.threshold
    ][:2]
    windows = [run[r].tolist() for r in normal + alarms]
    assert len(windows) == 4

    folder = tmp_path_factory.mktemp("kzg-running")
    tokens = folder / "tokens.json"
    regulator_token = add_token(tokens, "regulator", "regulator", rate_per_minute=600, burst=30)
    ingest_token = add_token(tokens, "plant", "ingest", rate_per_minute=600, burst=50)
    node = Anvil(free_port(), KZG_UTILITY_CHAIN_ID).start()
    port = free_port()
    env = dict(
        os.environ,
        RPC_URL=node.url,
        PRIVATE_KEY=OWNER_KEY,
        ZKALERT_UTILITY_TOKEN=str(regulator_token),
    )
    service = None
    try:
        deploy(ModelSpec.of(info), node.url, key=OWNER_KEY)
        deploy_window_log(node.url, key=OWNER_KEY)
        log = (folder / "utility.log").open("wb")
        service = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "zkalert",
                "serve",
                "utility",
                "--workdir",
                str(workspace.root),
                "--store",
                str(folder / "windows.sqlite"),
                "--tokens",
                str(tokens),
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=PROJECT_ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        _wait(
            lambda: _get(f"{url}/healthz") == 200,
            90,
            lambda: (folder / "utility.log").read_text()[-800:],
        )
        yield {
            "url": url,
            "env": env,
            "folder": folder,
            "windows": windows,
            "info": info,
            "workspace": workspace,
            "regulator": {"Authorization": f"Bearer {regulator_token}"},
            "ingest": {"Authorization": f"Bearer {ingest_token}"},
        }
    finally:
        if service is not None:
            service.terminate()
            try:
                service.wait(timeout=20)
            except subprocess.TimeoutExpired:
                service.kill()
        node.stop()
        shutil.rmtree(PROJECT_ROOT / "deployments" / str(KZG_UTILITY_CHAIN_ID), ignore_errors=True)
        (TEST_GENERATED_DIR / "PytestKzgUtilityVerifier.sol").unlink(missing_ok=True)


def _get(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def _wait(predicate: Any, timeout_s: float, what: Any) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out: {what() if callable(what) else what}")


def _audit(k: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zkalert", "audit", "--stream", STREAM, *args, "--json"],
        capture_output=True,
        text=True,
        env=k["env"],
        cwd=PROJECT_ROOT,
        timeout=240,
        check=False,
    )


def test_the_utility_commits_kzg_statements_proves_them_on_request_and_the_audit_verifies_them(
    kzg_utility,
):
    k = kzg_utility
    url = k["url"]
    sent = [{"index": i, "values": w} for i, w in enumerate(k["windows"])]
    response = httpx.post(
        f"{url}/v1/windows",
        params={"stream": STREAM},
        json={"windows": sent},
        headers=k["ingest"],
        timeout=60,
    )
    assert response.status_code == 201, response.text
    stored = response.json()["windows"]
    assert [w["alarm"] for w in stored] == [False, False, True, True]
    _wait(
        lambda: (
            httpx.get(f"{url}/v1/status", headers=k["regulator"], timeout=5).json()["store"][
                "committed"
            ]
            == 4
        ),
        60,
        "the utility to commit its four windows",
    )

    # each served proof's commitment is its first G1 point's keccak256, the committed value
    from zkalert.zk.prover import felt_hex_to_int
    from zkalert.zk.statement import split_bound_statement

    served = httpx.get(
        f"{url}/v1/proof",
        params={"stream": STREAM, "window": 2},
        headers=k["regulator"],
        timeout=120,
    )
    assert served.status_code == 200, served.text
    proof = served.json()["proof"]
    instances = tuple(felt_hex_to_int(f) for group in proof["instances"] for f in group)
    (commitment,), (score,), _ = split_bound_statement(
        instances, bytes.fromhex(proof["hex_proof"].removeprefix("0x")), "kzg"
    )
    assert (commitment, score) == (
        int(stored[2]["input_commitment"], 16),
        int(stored[2]["score"], 0),
    )
    assert score >= k["info"].threshold_felt

    audit = _audit(k, "--utility", url, "--folder", str(k["folder"] / "audit"))
    assert audit.returncode == 0, audit.stdout[-2000:] + audit.stderr[-2000:]
    report = json.loads(audit.stdout)
    assert report["summary"]["verdict"] == "PASS"
    assert {w["window"]: w["status"] for w in report["windows"]} == {
        i: "verified" for i in range(4)
    }
    assert all(w["offchain"] is True and w["onchain"] is True for w in report["windows"])


def test_a_kzg_proof_served_for_another_committed_window_is_found(kzg_utility):
    """The utility (the party the audit constrains) serves window 3's valid proof as window 2's:
    it verifies, but its G1 point's commitment is not the one committed at index 2."""
    import sqlite3

    k = kzg_utility
    stream_id = "0x" + keccak(text=STREAM).hex()
    store = k["folder"] / "windows.sqlite"
    for index in (2, 3):  # both proven and cached (the first test asked for them)
        assert (
            httpx.get(
                f"{k['url']}/v1/proof",
                params={"stream": STREAM, "window": index},
                headers=k["regulator"],
                timeout=120,
            ).status_code
            == 200
        )
    with sqlite3.connect(str(store)) as db:
        (other,) = db.execute(
            "SELECT proof FROM windows WHERE stream_id = ? AND idx = 3", (stream_id,)
        ).fetchone()
        db.execute(
            "UPDATE windows SET proof = ? WHERE stream_id = ? AND idx = 2", (other, stream_id)
        )
    audit = _audit(k, "--utility", k["url"], "--folder", str(k["folder"] / "audit-swap"))
    assert audit.returncode == 2, audit.stdout[-2000:] + audit.stderr[-2000:]
    report = json.loads(audit.stdout)
    by_window = {w["window"]: w for w in report["windows"]}
    assert by_window[2]["status"] == "invalid"
    assert "another statement" in by_window[2]["detail"], by_window[2]
    assert by_window[3]["status"] == "verified"
