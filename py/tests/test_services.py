"""The services: utility and regulator over REST, the audit, the web page in a real browser.

Real components throughout: a freshly trained detector and its EZKL circuit
(logrows 13, a few seconds per proof), an anvil of this module's own (chain
31996), the AlertRegistry and WindowLog deployed by the Foundry scripts, both
services as uvicorn subprocesses, and Debian's headless chromium driven by
Playwright. The lazy audit must pinpoint a window the utility withheld.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np
import pytest
from conftest import OWNER_KEY
from eth_utils import keccak
from test_swagger_ui import check_declared_where_asked
from web3 import Web3

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.loaders import TE_FAULT_START_ROW, load_te_file, load_tennessee_eastman
from zkalert.detector.model import TrainConfig, train
from zkalert.evm.localnode import Anvil
from zkalert.evm.registry import ModelSpec, deploy
from zkalert.evm.windowlog import WindowLogDeployment, deploy_window_log, fetch_windows
from zkalert.services.access import add_token
from zkalert.services.utility import UtilityConfig, UtilityCore, create_app
from zkalert.zk.circuit import CircuitConfig, compile_circuit

pytestmark = [pytest.mark.anvil, pytest.mark.ezkl, pytest.mark.slow]

CHAIN_ID = 31996
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STREAM = "plant-a/unit-3"
WITHHELD = 3  # the window the gateway never sends
LOST = 5  # a window whose stored inputs the utility loses after committing it


_GIVEN_PORTS: set[int] = set()


def _port() -> int:
    """A free port in 8900-8999 (the range this project's tests use), never one given before in this
    session: a service handed a port may not be listening on it yet when the next one is asked for."""
    for port in random.sample(range(8900, 9000), 100):
        if port in _GIVEN_PORTS:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _GIVEN_PORTS.add(port)
            return port
    raise RuntimeError("no free port in 8900-8999")


def _wait(predicate, timeout_s: float, what: str, interval_s: float = 0.3):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (httpx.HTTPError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Iterator[tuple[Workspace, object, object]]:
    workspace = Workspace.at(tmp_path_factory.mktemp("services"))
    te = load_tennessee_eastman()
    detector = train(
        te.train,
        te.validation.windows,
        te.validation.labels,
        TrainConfig(epochs=10),
        progress=False,
    )
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig(),
        contract_name="PytestServicesVerifier",
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
    )
    yield workspace, detector, info
    (TEST_GENERATED_DIR / "PytestServicesVerifier.sol").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def stream_windows(compiled) -> list[list[float]]:
    """Seven raw windows of the TE fault-1 test run: three normal ones before the onset, then alarms."""
    _, detector, _ = compiled
    run = load_te_file("d01_te.dat")
    scores = detector.score(run)
    normal = [
        r
        for r in range(TE_FAULT_START_ROW - 40, TE_FAULT_START_ROW)
        if scores[r] < detector.threshold * 0.9
    ][:3]
    alarms = [
        r for r in range(TE_FAULT_START_ROW + 40, len(run)) if scores[r] > detector.threshold * 1.1
    ][:4]
    assert len(normal) == 3 and len(alarms) == 4, (
        "the briefly trained detector should separate these rows"
    )
    return [[float(v) for v in run[r]] for r in normal + alarms]


@pytest.fixture(scope="module")
def chain(compiled) -> Iterator[str]:
    """An anvil of this module's own, with the registry, the model's verifier and the WindowLog deployed."""
    _, _, info = compiled
    node = Anvil(_port(), CHAIN_ID).start()
    url = node.url
    try:
        deploy(ModelSpec.of(info), url, key=OWNER_KEY)
        deploy_window_log(url, key=OWNER_KEY)
        yield url
    finally:
        node.stop()
        shutil.rmtree(PROJECT_ROOT / "deployments" / str(CHAIN_ID), ignore_errors=True)


@pytest.fixture(scope="module")
def tokens(tmp_path_factory) -> dict[str, object]:
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    return {
        "path": path,
        "regulator": add_token(path, "regulator-a", "regulator", rate_per_minute=600, burst=30),
        "slow": add_token(path, "regulator-slow", "regulator", rate_per_minute=6, burst=2),
        "ingest": add_token(path, "plant", "ingest", rate_per_minute=600, burst=50),
    }


def _service(args: list[str], port: int, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "zkalert", "serve", *args, "--port", str(port)],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=PROJECT_ROOT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# ---------------------------------------------------------------------- the utility API, in-process


@pytest.fixture(scope="module")
def utility_api(compiled, tokens, tmp_path_factory):
    from fastapi.testclient import TestClient

    workspace, _, _ = compiled
    store = tmp_path_factory.mktemp("api") / "windows.sqlite"
    core = UtilityCore(
        UtilityConfig(
            workdir=workspace.root,
            store=str(store),
            tokens=tokens["path"],
            max_range=4,
            max_body_bytes=200_000,
        )
    )
    with TestClient(create_app(core, start_worker=False), raise_server_exceptions=False) as client:
        yield client, core


def _cli_audit(
    services: dict[str, Any], stream: str, folder: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """`zkalert audit --stream STREAM --folder FOLDER ARGS...` against the module's chain."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "zkalert",
            "audit",
            "--stream",
            stream,
            "--folder",
            str(folder),
            *args,
        ],
        capture_output=True,
        text=True,
        env=services["env"],
        cwd=PROJECT_ROOT,
        timeout=240,
        check=False,
    )


def _auth(secret: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_utility_refuses_bad_input_with_clear_4xx_and_keeps_serving(
    utility_api, tokens, stream_windows
):
    client, core = utility_api
    ingest, regulator = _auth(tokens["ingest"]), _auth(tokens["regulator"])
    good = {
        "windows": [
            {"index": 0, "values": stream_windows[0]},
            {"index": 1, "values": stream_windows[1]},
        ]
    }

    cases = [
        # (method, url, headers, body, status, message fragment)
        ("post", "/v1/windows?stream=api", {}, good, 401, "missing API token"),
        (
            "post",
            "/v1/windows?stream=api",
            _auth("zka_not-a-token"),
            good,
            401,
            "unknown API token",
        ),
        ("post", "/v1/windows?stream=api", regulator, good, 403, "needs ingest"),
        (
            "post",
            "/v1/windows?stream=bad%20name",
            ingest,
            good,
            422,
            "neither a 0x stream id nor a name",
        ),
        (
            "post",
            "/v1/windows?stream=api",
            ingest,
            {"windows": [{"index": 0, "values": [1.0, 2.0]}]},
            422,
            "must have 52 values, got 2",
        ),
        (
            "post",
            "/v1/windows?stream=api",
            ingest,
            {"windows": [{"index": -1, "values": stream_windows[0]}]},
            422,
            "index",
        ),
        ("post", "/v1/windows?stream=api", ingest, {"windows": []}, 422, "invalid request"),
        (
            "post",
            "/v1/windows?stream=api",
            ingest,
            {
                "windows": [
                    {"index": 2, "values": stream_windows[0]},
                    {"index": 1, "values": stream_windows[1]},
                ]
            },
            422,
            "strictly increase",
        ),
        ("get", "/v1/proof?stream=api&window=x", regulator, None, 422, "window"),
        ("get", "/v1/proof?stream=nowhere&window=0", regulator, None, 404, "unknown stream"),
        ("get", "/v1/proofs?stream=api&first=5&last=1", regulator, None, 422, "below first"),
        ("get", "/v1/proofs?stream=api&first=0&last=99", regulator, None, 422, "at most 4 windows"),
        ("get", "/v1/nothing", regulator, None, 404, "no such endpoint"),
    ]
    for method, url, headers, body, status, fragment in cases:
        response = client.request(method.upper(), url, headers=headers, json=body)
        assert response.status_code == status, (url, response.text)
        assert fragment in response.json()["error"], (url, response.json())
        assert "Traceback" not in response.text

    nan_window = list(stream_windows[0])
    nan_window[7] = math.nan
    response = client.post(
        "/v1/windows?stream=api",
        headers={**ingest, "content-type": "application/json"},
        content=json.dumps({"windows": [{"index": 0, "values": nan_window}]}),
    )
    assert response.status_code == 422 and "NaN in window #0, column 7" in response.json()["error"]
    response = client.post(
        "/v1/windows?stream=api",
        headers={**ingest, "content-type": "application/json"},
        content=b'{"windows": [',
    )
    assert response.status_code == 422 and "JSON" in response.json()["error"]
    response = client.post(
        "/v1/windows?stream=api",
        headers={**ingest, "content-type": "application/json"},
        content=b"[" + b"1," * 150_000 + b"1]",
    )
    assert response.status_code == 413 and "over 200,000 bytes" in response.json()["error"]

    # nothing above stored a window; the service still works
    assert core.store.counts()["windows"] == 0
    response = client.post("/v1/windows?stream=api", headers=ingest, json=good)
    assert response.status_code == 201, response.text
    stored = response.json()["windows"]
    assert [w["window"] for w in stored] == [0, 1] and all(
        w["input_commitment"].startswith("0x") for w in stored
    )
    again = client.post("/v1/windows?stream=api", headers=ingest, json=good)
    assert (
        again.status_code == 409 and "not above the last stored window 1" in again.json()["error"]
    )
    assert client.get("/v1/proof?stream=api&window=7", headers=regulator).status_code == 404

    # every request was logged with the token's name, never its secret
    logged = core.store.requests(limit=500)
    assert {r["token"] for r in logged} >= {"plant", "regulator-a", None}
    assert not any(str(tokens["ingest"]) in json.dumps(r) for r in logged)
    assert {401, 403, 404, 409, 413, 422, 201} <= {int(r["status"]) for r in logged}


def test_utility_rate_limits_per_token_replays_files_and_publishes_openapi(
    utility_api, tokens, stream_windows, tmp_path
):
    client, core = utility_api
    slow = _auth(tokens["slow"])
    statuses = [client.get("/v1/status", headers=slow).status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    limited = client.get("/v1/status", headers=slow)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "rate limit of token 'regulator-slow'" in limited.json()["error"]
    assert (
        client.get("/v1/status", headers=_auth(tokens["regulator"])).status_code == 200
    )  # other tokens unaffected

    # file replay (`serve utility --replay`) stores a CSV's rows as windows 0..n-1, once
    from zkalert.cli.services import _replay

    csv = tmp_path / "replay.csv"
    csv.write_text(
        ",".join(f"v{i}" for i in range(52))
        + "\n"
        + "\n".join(",".join(repr(v) for v in w) for w in stream_windows[:2])
        + "\n"
    )
    _replay(core, csv, "replayed")
    _replay(core, csv, "replayed")
    sid = "0x" + keccak(text="replayed").hex()
    assert [w.idx for w in core.store.windows(sid)] == [0, 1]

    schema = client.get("/openapi.json").json()
    assert {"/v1/windows", "/v1/proof", "/v1/proofs", "/v1/model", "/v1/status", "/metrics"} <= set(
        schema["paths"]
    )
    assert client.get("/metrics", headers=_auth(tokens["regulator"])).text.count("zkalert_") >= 6


def test_utility_declares_the_token_exactly_where_it_asks_for_one(utility_api):
    """/openapi.json (and so the Authorize button of /docs) marks every route that answers 401
    without a token, and only those."""
    client, _ = utility_api
    answers = check_declared_where_asked(client)
    assert {op for op, (declared, _) in answers.items() if not declared} == {"GET /healthz"}
    assert len(answers) >= 11


# ---------------------------------------------------------------------- both services, end to end, in a browser


@pytest.fixture(scope="module")
def services(compiled, chain, tokens, tmp_path_factory) -> Iterator[dict[str, object]]:
    workspace, _, _ = compiled
    folder = tmp_path_factory.mktemp("running")
    env = dict(
        os.environ,
        RPC_URL=chain,
        PRIVATE_KEY=OWNER_KEY,
        ZKALERT_UTILITY_TOKEN=str(tokens["regulator"]),
    )
    utility_port, regulator_port = _port(), _port()
    store = folder / "windows.sqlite"
    utility = _service(
        [
            "utility",
            "--workdir",
            str(workspace.root),
            "--store",
            str(store),
            "--tokens",
            str(tokens["path"]),
        ],
        utility_port,
        folder / "utility.log",
        env,
    )
    regulator = _service(
        [
            "regulator",
            "--utility",
            f"http://127.0.0.1:{utility_port}",
            "--folder",
            str(folder / "regulator"),
        ],
        regulator_port,
        folder / "regulator.log",
        env,
    )
    try:
        for port, log in ((utility_port, "utility.log"), (regulator_port, "regulator.log")):
            _wait(
                lambda p=port: (
                    httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=2).status_code == 200
                ),
                90,
                f"the service on port {port} ({(folder / log).read_text()[-500:] if (folder / log).exists() else ''})",
            )
        yield {
            "utility": f"http://127.0.0.1:{utility_port}",
            "regulator": f"http://127.0.0.1:{regulator_port}",
            "store": store,
            "folder": folder,
            "env": env,
        }
    finally:
        _stop(regulator)
        _stop(utility)


def test_lazy_audit_end_to_end_pinpoints_the_withheld_window_and_the_page_shows_it(
    services, tokens, stream_windows, compiled, tmp_path
):
    utility, regulator = str(services["utility"]), str(services["regulator"])
    stream_id = "0x" + keccak(text=STREAM).hex()

    # the gateway sends windows 0..6 but withholds window 3
    sent = [{"index": i, "values": w} for i, w in enumerate(stream_windows) if i != WITHHELD]
    response = httpx.post(
        f"{utility}/v1/windows",
        params={"stream": STREAM},
        json={"windows": sent},
        headers=_auth(tokens["ingest"]),
        timeout=60,
    )
    assert response.status_code == 201, response.text
    status = _wait(
        lambda: (
            (
                s := httpx.get(
                    f"{utility}/v1/status", headers=_auth(tokens["regulator"]), timeout=5
                ).json()
            )["store"]["committed"]
            == 6
            and s
        ),
        60,
        "the utility to commit its windows on-chain",
    )
    assert (
        status["policy"] == "lazy" and status["proofs"]["made"] == 0
    )  # lazy: nothing proven before the regulator asks
    # the utility then loses the stored inputs of a committed window (it can no longer prove it)
    with sqlite3.connect(str(services["store"])) as db:
        db.execute(
            "UPDATE windows SET scaled = NULL WHERE stream_id = ? AND idx = ?", (stream_id, LOST)
        )

    # a bad audit request is refused up front; the service keeps serving
    bad = httpx.post(
        f"{regulator}/api/audits", json={"stream": STREAM, "from_block": 10**9}, timeout=30
    )
    assert bad.status_code == 422 and "beyond the chain head" in bad.json()["error"]
    assert httpx.post(f"{regulator}/api/audits", json={"stream": ""}, timeout=10).status_code == 422
    assert httpx.get(f"{regulator}/streams/0x1234", timeout=10).status_code == 422
    assert httpx.get(f"{regulator}/streams/0x{'ab' * 32}", timeout=30).status_code == 404

    started = httpx.post(f"{regulator}/api/audits", json={"stream": STREAM}, timeout=30)
    assert started.status_code == 202, started.text
    audit_id = started.json()["id"]
    done = _wait(
        lambda: (
            (a := httpx.get(f"{regulator}/api/audits/{audit_id}", timeout=10).json())["state"]
            != "running"
            and a
        ),
        240,
        "the audit",
    )
    assert done["state"] == "done", done.get("error")
    report = done["report"]
    summary = report["summary"]
    assert summary["verdict"] == "FAIL"
    assert summary["withheld_windows"] == [WITHHELD]
    assert (
        report["window_log"]["missing_indexes"] == [WITHHELD]
        and report["window_log"]["intact"] is True
    )
    statuses = {w["window"]: w["status"] for w in report["windows"]}
    assert statuses == {
        0: "verified",
        1: "verified",
        2: "verified",
        4: "verified",
        5: "proof-missing",
        6: "verified",
    }
    assert all(
        w["offchain"] and w["onchain"] for w in report["windows"] if w["status"] == "verified"
    )
    assert report["key"]["invariant"] is True and report["key"]["vk_matches_model_id"] is True
    assert (
        report["key"]["verifier_code_matches_vk"] is True
        and report["key"]["registration_matches_circuit"] is True
    )
    assert [w["alarm"] for w in report["windows"]] == [False, False, False, True, True, True]
    assert any(f.startswith(f"window {WITHHELD} was withheld") for f in summary["findings"])
    assert any(
        f.startswith(f"window {LOST} ") and "proof-missing" in f for f in summary["findings"]
    )
    markdown = httpx.get(f"{regulator}/api/audits/{audit_id}/report.md", timeout=10).text
    assert "**GAP (withheld)**" in markdown and "| 3 |" in markdown

    # the range endpoint, now from the utility's proof cache: proofs, never-held and unprovable windows apart
    ranged = httpx.get(
        f"{utility}/v1/proofs",
        params={"stream": STREAM, "first": 0, "last": 6},
        headers=_auth(tokens["regulator"]),
        timeout=120,
    )
    assert ranged.status_code == 200, ranged.text
    assert [p["window"] for p in ranged.json()["proofs"]] == [0, 1, 2, 4, 6] and all(
        p["cached"] for p in ranged.json()["proofs"]
    )
    assert ranged.json()["missing"] == [WITHHELD] and [
        u["window"] for u in ranged.json()["unavailable"]
    ] == [LOST]

    _check_page_in_chromium(regulator, stream_id, tmp_path)

    # the CLI audit reads the same chain and utility (proofs are cached there now) and exits 2 on findings
    cli = _cli_audit(
        services, STREAM, Path(str(services["folder"])) / "cli", "--utility", utility, "--json"
    )
    assert cli.returncode == 2, cli.stderr
    cli_report = json.loads(cli.stdout)
    assert cli_report["summary"]["withheld_windows"] == [WITHHELD]
    assert {w["window"]: w["status"] for w in cli_report["windows"]} == statuses


def test_both_services_api_pages_render_offline_and_their_authorize_button_sends_the_token(
    services, tokens, tmp_path
):
    """/docs of the utility and of a regulator with a tokens file, in chromium with every request
    that leaves localhost aborted: Swagger UI renders from the package (operations listed, the
    Authorize button there, a lock on exactly the routes that take a token), a token entered
    through Authorize is sent by Try it out, and no request went to any other host."""
    from playwright.sync_api import Route, sync_playwright

    port = _port()
    regulator_proc = _service(
        ["regulator", "--tokens", str(tokens["path"]), "--folder", str(tmp_path / "regulator")],
        port,
        tmp_path / "regulator.log",
        services["env"],
    )
    regulator = f"http://127.0.0.1:{port}"
    try:
        _wait(
            lambda: httpx.get(f"{regulator}/healthz", timeout=2).status_code == 200,
            60,
            "the regulator with a tokens file",
        )
        requests: list[tuple[str, str, str | None]] = []
        elsewhere: list[str] = []

        def local_only(route: Route) -> None:
            request = route.request
            requests.append((request.method, request.url, request.headers.get("authorization")))
            if urlparse(request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                elsewhere.append(request.url)
                route.abort()

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context(viewport={"width": 1200, "height": 1400})
                context.route("**/*", local_only)
                page = context.new_page()
                for base, expected, locked in (
                    (
                        str(services["utility"]),
                        {"/v1/windows", "/v1/proof", "/v1/proofs", "/v1/model", "/v1/status"},
                        None,  # every route but /healthz
                    ),
                    (regulator, {"/api/streams", "/api/audits", "/healthz"}, {"/api/audits"}),
                ):
                    page.goto(f"{base}/docs")
                    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
                    paths = page.locator(".opblock-summary-path").evaluate_all(
                        "els => els.map(e => e.getAttribute('data-path'))"
                    )
                    assert expected <= set(paths), paths
                    with_lock = set(
                        page.locator(
                            ".opblock:has(.authorization__btn) .opblock-summary-path"
                        ).evaluate_all("els => els.map(e => e.getAttribute('data-path'))")
                    )
                    assert with_lock == (locked or set(paths) - {"/healthz"})
                    assert page.locator(".auth-wrapper button.authorize").is_visible()
                    page.screenshot(path=str(tmp_path / f"docs-{base.rsplit(':', 1)[1]}.png"))

                # on the utility's page: Authorize with the regulator's token, then Try it out
                page.goto(f"{services['utility']}/docs")
                page.wait_for_selector(".opblock-summary-path", timeout=30_000)
                page.locator(".auth-wrapper button.authorize").click()
                dialog = page.locator(".modal-ux")
                assert "apiToken" in dialog.inner_text() and "Bearer" in dialog.inner_text()
                dialog.locator("input#auth-bearer-value").fill(str(tokens["regulator"]))
                dialog.locator("button.modal-btn.authorize").click()
                dialog.locator("button.btn-done").click()
                status = page.locator(".opblock:has(.opblock-summary-path[data-path='/v1/status'])")
                status.locator(".opblock-summary").click()
                status.locator("button.try-out__btn").click()
                status.locator("button.execute").click()
                answer = status.locator(
                    ".live-responses-table tr.response .response-col_status"
                ).first
                answer.wait_for(timeout=30_000)
                assert answer.inner_text().strip() == "200"
            finally:
                browser.close()
        sent = [auth for method, url, auth in requests if urlparse(url).path == "/v1/status"]
        assert sent == [f"Bearer {tokens['regulator']}"]
        assert not elsewhere, f"requests that left localhost: {elsewhere}"
        assert {urlparse(url).path for _, url, _ in requests} >= {
            "/docs",
            "/docs/assets/swagger-ui-bundle.js",
            "/docs/assets/swagger-ui.css",
            "/openapi.json",
        }
    finally:
        _stop(regulator_proc)


class _LyingUtility:
    """A utility front that answers every proof request for ``stand_in`` with the genuine proof of
    window ``source`` (a compromised gateway serving one benign window's proof for another index)."""

    def __init__(self, upstream: str, stand_in: int, source: int) -> None:
        import http.server
        import threading
        import urllib.parse

        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                lie = url.path == "/v1/proof" and query.get("window") == str(stand_in)
                if lie:
                    query["window"] = str(source)
                headers = {k: v for k, v in self.headers.items() if k.lower() == "authorization"}
                answer = httpx.get(
                    f"{upstream}{url.path}", params=query, headers=headers, timeout=120
                )
                body = answer.content
                if lie and answer.status_code == 200:
                    body = json.dumps({**answer.json(), "window": stand_in}).encode()
                outer.served += lie
                self.send_response(answer.status_code)
                self.send_header(
                    "content-type", answer.headers.get("content-type", "application/json")
                )
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.served = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", _port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_lazy_audit_catches_one_window_committed_and_proven_for_another_index(
    services, chain, compiled, tmp_path
):
    """The gateway commits window 0's genuine (c, s) again at a new index and serves window 0's genuine
    proof for it: the proof's binding names index 0, so the audit marks the copy invalid, and the
    commitment repeated at two indexes is a finding of its own."""
    from eth_account import Account

    from zkalert.evm.windowlog import WindowCommitter

    stream = bytes.fromhex(keccak(text=STREAM).hex())
    log = WindowLogDeployment.load(CHAIN_ID)
    committer = WindowCommitter(Web3(Web3.HTTPProvider(chain)), log, OWNER_KEY)
    entries = fetch_windows(committer.contract, log.block, stream=stream)
    assert entries[0].gateway == Account.from_key(OWNER_KEY).address  # the utility's key
    copy_index = entries[-1].window_index + 1
    committer.commit(
        stream,
        entries[0].model_id,
        [(copy_index, int(entries[0].input_commitment, 16), entries[0].score)],
    )

    liar = _LyingUtility(
        str(services["utility"]), stand_in=copy_index, source=entries[0].window_index
    )
    try:
        cli = _cli_audit(services, STREAM, tmp_path / "audit", "--utility", liar.url, "--json")
    finally:
        liar.server.shutdown()
    assert cli.returncode == 2, cli.stderr
    assert liar.served >= 1, "the audit never asked for the copied window"
    report = json.loads(cli.stdout)
    copied = next(w for w in report["windows"] if w["window"] == copy_index)
    assert (
        copied["status"] == "invalid"
        and "bound to another gateway, stream or window index" in copied["detail"]
    )
    assert {w["window"]: w["status"] for w in report["windows"]}[
        entries[0].window_index
    ] == "verified"
    findings = report["summary"]["findings"]
    assert any(
        f"windows {entries[0].window_index}, {copy_index}: the same input commitment" in f
        for f in findings
    ), findings
    assert any(f.startswith(f"window {copy_index} ") and "invalid" in f for f in findings), findings


def test_a_window_the_circuit_cannot_take_is_refused_in_one_line_and_audited_as_a_gap(
    services, tokens, stream_windows, tmp_path
):
    """A sensor value far beyond the circuit's fixed-point range (a failed transmitter, or a
    gateway pushing a window past the range to keep it off the record) has no witness, so no
    commitment or proof of it can exist: the utility refuses the request in one 422 line naming
    the window and stores none of it, and the index stays a gap the audit reports as withheld,
    the utility holding no window there."""
    utility = str(services["utility"])
    name = "plant-a/range"
    ingest, regulator = _auth(tokens["ingest"]), _auth(tokens["regulator"])
    wild = list(stream_windows[4])
    wild[0] *= 1e6

    def post(*windows: tuple[int, list[float]]) -> httpx.Response:
        return httpx.post(
            f"{utility}/v1/windows",
            params={"stream": name},
            json={"windows": [{"index": i, "values": v} for i, v in windows]},
            headers=ingest,
            timeout=60,
        )

    before = httpx.get(f"{utility}/v1/status", headers=regulator, timeout=5).json()
    refused = post((0, stream_windows[0]), (1, wild))
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert "\n" not in error and "Traceback" not in error
    assert error.startswith(
        f"window 1 of stream {name!r} cannot be proven, no witness: a value leaves the circuit's "
        "fixed-point range (largest standardized input "
    ), error
    assert error.endswith("nothing of this request was stored"), error
    listed = httpx.get(
        f"{utility}/v1/windows", params={"stream": name}, headers=regulator, timeout=10
    )
    assert listed.status_code == 404 or listed.json() == [], listed.text  # window 0 not kept

    assert post((0, stream_windows[0])).status_code == 201
    assert post((2, stream_windows[2])).status_code == 201
    status = _wait(
        lambda: (
            (s := httpx.get(f"{utility}/v1/status", headers=regulator, timeout=5).json())["store"][
                "committed"
            ]
            == before["store"]["committed"] + 2
            and s
        ),
        60,
        "the utility to commit windows 0 and 2",
    )
    assert status["out_of_range"] == before["out_of_range"] + 1

    cli = _cli_audit(services, name, tmp_path / "audit", "--utility", utility, "--json")
    assert cli.returncode == 2, cli.stderr
    report = json.loads(cli.stdout)
    assert report["summary"]["withheld_windows"] == [1]
    (gap,) = report["gaps"]
    assert gap["between"] == [0, 2] and "HTTP 404" in gap["utility"], gap
    assert {w["window"]: w["status"] for w in report["windows"]} == {0: "verified", 2: "verified"}


def test_lazy_audit_counts_the_largest_gap_a_gateway_can_open_without_listing_it(
    services, chain, compiled, tmp_path
):
    """A gateway jumps its window index by WindowLog's largest step (2**32): the audit counts the
    4,294,967,295 windows never committed, lists the first 10,000, probes the utility for 32 of
    them, and finishes with a FAIL verdict (listing every index would take tens of GB)."""
    from zkalert.evm.windowlog import WindowCommitter

    _, _, info = compiled
    w3 = Web3(Web3.HTTPProvider(chain))
    name = "plant-a/gap"
    stream = bytes.fromhex(keccak(text=name).hex())
    committer = WindowCommitter(w3, WindowLogDeployment.load(CHAIN_ID), OWNER_KEY)
    committer.commit(stream, info.model_id, [(0, 11, 1)])
    committer.commit(stream, info.model_id, [(2**32, 12, 2)])

    cli = _cli_audit(
        services, name, tmp_path / "audit", "--utility", str(services["utility"]), "--json"
    )
    assert cli.returncode == 2, cli.stderr
    report = json.loads(cli.stdout)
    assert (
        report["window_log"]["missing_count"] == 2**32 - 1
        and report["summary"]["gaps"] == 2**32 - 1
    )
    assert (
        report["window_log"]["missing_indexes"][:2] == [1, 2]
        and len(report["window_log"]["missing_indexes"]) == 10_000
    )
    assert (
        len(report["gaps"]) == 10_000
        and sum(g["utility"] != "not asked" for g in report["gaps"]) == 32
    )
    assert report["gaps"][-1]["between"] == [0, 2**32]
    assert (
        f"{2**32 - 1 - 10_000:,} more windows were never committed on-chain (not listed: the first 10,000 are)"
        in report["summary"]["findings"]
    )
    assert report["summary"]["verdict"] == "FAIL"

    # the records the audited party writes are read up to a bound, and a longer history is refused in one line
    capped = _cli_audit(services, name, tmp_path / "capped", "--max-records", "1")
    lines = [line for line in capped.stderr.splitlines() if line.startswith("error: ")]
    assert capped.returncode == 1 and len(lines) == 1, capped.stderr
    assert (
        "more than 1 window commitments from block" in lines[0]
        and "(--from-block/--to-block)" in lines[0]
    )


def test_regulator_finds_a_proxy_in_place_of_the_generated_verifier_and_a_misregistered_circuit(
    compiled, chain
):
    """A careless owner registers a minimal proxy (EIP-1167) that delegates to the real verifier: it
    accepts every genuine proof, so proof checks alone never notice. The regulator's comparison of the
    runtime code with EZKL's verifier regenerated from the vk does; so does the check of the
    registration's windows per proof and commitment scheme against the circuit's settings."""
    from zkalert.evm.registry import Deployment
    from zkalert.zk.circuit import CircuitInfo
    from zkalert.zk.verifiercode import (
        KZG,
        POSEIDON,
        registration_problems,
        strip_metadata,
        verifier_code_problems,
    )

    workspace, _, info = compiled
    w3 = Web3(Web3.HTTPProvider(chain))
    real = Deployment.load(CHAIN_ID).model(info.model_id).verifier
    srs = Path(CircuitInfo.load(workspace).srs_path)
    assert verifier_code_problems(w3, real, workspace.vk, workspace.settings, srs) == []

    runtime = (
        bytes.fromhex("363d3d373d3d3d363d73")
        + bytes.fromhex(real[2:])
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )
    init = (
        bytes.fromhex("602d8060093d393df3") + runtime
    )  # copies the 45-byte runtime and returns it
    owner = w3.eth.account.from_key(OWNER_KEY)
    tx = {
        "from": owner.address,
        "data": "0x" + init.hex(),
        "nonce": w3.eth.get_transaction_count(owner.address),
        "gas": 200_000,
        "gasPrice": w3.eth.gas_price,
        "chainId": CHAIN_ID,
    }
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(owner.sign_transaction(tx).raw_transaction)
    )
    proxy = receipt["contractAddress"]
    assert bytes(w3.eth.get_code(proxy)) == runtime

    (problem,) = verifier_code_problems(w3, proxy, workspace.vk, workspace.settings, srs)
    assert (
        f"the verifier {proxy} runs 45 bytes of code that is not the verifier EZKL generates"
        in problem
    )
    assert strip_metadata(runtime) == runtime  # no solc trailer to strip: compared whole

    settings = json.loads(workspace.settings.read_text())
    assert registration_problems(settings, 1, POSEIDON) == []
    assert registration_problems(settings, 4, POSEIDON) == [
        "the model is registered with 4 window(s) per proof, its circuit takes 1"
    ]
    assert registration_problems(settings, 1, KZG) == [
        "the model is registered with commitment Kzg, its circuit commits with Poseidon"
    ]
    unbound = {**settings, "model_instance_shapes": settings["model_instance_shapes"][:1]}
    assert registration_problems(unbound, 1, POSEIDON) == [
        "the circuit does not make each window's binding (gateway, stream, index) public"
    ]


def _check_page_in_chromium(regulator: str, stream_id: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: run `make setup-browser`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1300})
            page.goto(regulator + "/")
            row = page.locator(f'tr[data-stream="{stream_id}"]')
            assert row.locator("a").inner_text() == STREAM
            assert row.locator("td.gaps").inner_text() == "1"
            assert "FAIL" in row.inner_text()
            row.locator("a").click()
            page.wait_for_url(f"**/streams/{stream_id}")

            assert page.locator("h1").inner_text() == f"Stream {STREAM}"
            assert page.locator("#verdict").inner_text() == "FAIL"
            gap = page.locator(f'tr[data-window="{WITHHELD}"]')
            assert gap.get_attribute("data-status") == "gap" and "WITHHELD" in gap.inner_text()
            assert (
                page.locator(f'tr[data-window="{LOST}"]').get_attribute("data-status")
                == "proof-missing"
            )
            assert page.locator('tr[data-status="verified"]').count() == 5
            assert page.locator('tr[data-alarm="true"]').count() == 3
            assert page.locator('[data-card="withheld"] b').inner_text() == "1"
            assert "window 3 was withheld" in page.locator("#findings").inner_text()
            # the timeline: one point per committed window, alarms marked, the gap as a band
            assert page.locator("#timeline g.point").count() == 6
            assert page.locator('#timeline g.point[data-alarm="true"]').count() == 3
            assert page.locator(f'#timeline rect.gap-band[data-window="{WITHHELD}"]').count() == 1
            page.screenshot(path=str(tmp_path / "stream.png"), full_page=True)
        finally:
            browser.close()


def test_eager_policy_records_alarms_through_the_outbox_and_their_receipts_check_offline(
    compiled, chain, tokens, stream_windows, tmp_path, monkeypatch, capsys
):
    from zkalert.cli.app import main
    from zkalert.evm.registry import Deployment
    from zkalert.services.utility import ChainWorker

    workspace, _, info = compiled
    stream = "plant-b/eager"
    sid = "0x" + keccak(text=stream).hex()
    core = UtilityCore(
        UtilityConfig(
            workdir=workspace.root,
            store=str(tmp_path / "eager.sqlite"),
            tokens=tokens["path"],
            rpc_url=chain,
            key=OWNER_KEY,
            policy="eager",
            outbox=tmp_path / "outbox.sqlite",
            poll_s=0.2,
        )
    )
    worker = ChainWorker(core)
    worker.start()
    try:
        core.ingest(
            stream, sid, [(0, stream_windows[0]), (1, stream_windows[4])]
        )  # a normal window, then an alarm
        _wait(
            lambda: (w := core.store.get(sid, 1)) is not None and w.alert_state == "confirmed",
            180,
            f"the eager alert to be confirmed (worker: {core.worker.__dict__})",
        )
        assert (
            core.store.get(sid, 0).alert_state is None and core.store.get(sid, 0).proof is None
        )  # normal: committed, never proven
        assert core.store.counts()["committed"] == 2
    finally:
        worker.stop_event.set()
        worker.join(timeout=30)

    w3 = Web3(Web3.HTTPProvider(chain))
    registry = Deployment.load(CHAIN_ID).registry(w3)
    assert registry.functions.count(bytes.fromhex(sid[2:])).call() == 1
    # the regulator's chain-only audit (no utility) re-verifies the registry alert from its calldata
    from zkalert.services.audit import AuditOptions, run_audit

    report = run_audit(
        w3, None, AuditOptions(stream, proofs="none", chunk_blocks=3), tmp_path / "regulator"
    )
    assert report["summary"]["verdict"] == "PASS" and report["window_log"]["records"] == 2
    (alert,) = report["alerts"]
    assert alert["status"] == "verified" and alert["onchain"] is True and alert["window"] == 1
    # reading the logs two blocks at a time gives what one read gives (long histories are read in chunks)
    window_log = WindowLogDeployment.load(CHAIN_ID).contract(w3)
    assert fetch_windows(window_log, 0, None, None, chunk_blocks=2) == fetch_windows(window_log)

    def cli(*args: str) -> tuple[int, str]:
        monkeypatch.setenv("RPC_URL", chain)
        monkeypatch.setattr(sys, "argv", ["zkalert", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        return code, capsys.readouterr().out

    code, _ = cli("alerts", "--stream", stream, "--export-receipts", str(tmp_path / "receipts"))
    assert code == 0
    (receipt,) = sorted((tmp_path / "receipts").glob("receipt-*.json"))
    code, out = cli(
        "receipt",
        "check",
        str(receipt),
        "--vk",
        str(workspace.vk),
        "--settings",
        str(workspace.settings),
        "--srs",
        info.srs_path,
        "--json",
    )
    assert code == 0, out
    (result,) = json.loads(out)
    assert (
        result["checks"]["proof"] is True
        and result["checks"]["model_id"] is True
        and result["checks"]["alarm"] is True
    )


def test_chain_worker_resumes_after_a_crash_between_sending_a_commit_and_recording_it(
    compiled, chain, tokens, stream_windows, tmp_path
):
    from zkalert.evm.windowlog import WindowCommitter
    from zkalert.services.utility import ChainWorker

    workspace, _, info = compiled
    stream = "plant-c/crash"
    sid = "0x" + keccak(text=stream).hex()
    core = UtilityCore(
        UtilityConfig(
            workdir=workspace.root,
            store=str(tmp_path / "crash.sqlite"),
            tokens=tokens["path"],
            rpc_url=chain,
            key=OWNER_KEY,
            poll_s=0.2,
        )
    )
    stored = core.ingest(stream, sid, [(0, stream_windows[0]), (1, stream_windows[1])])
    # the previous worker sent this commit, then died before writing it down
    w3 = Web3(Web3.HTTPProvider(chain))
    sent = WindowCommitter(w3, WindowLogDeployment.load(CHAIN_ID), OWNER_KEY).commit(
        bytes.fromhex(sid[2:]),
        info.model_id,
        [(w.idx, w.input_commitment, w.score_felt) for w in stored],
    )
    assert core.store.counts()["committed"] == 0

    worker = ChainWorker(core)
    worker.start()
    try:
        _wait(
            lambda: core.store.counts()["committed"] == 2,
            60,
            f"the restarted worker to reconcile ({core.worker.__dict__})",
        )
        assert [w.commit_tx for w in core.store.windows(sid)] == [sent.tx_hash, sent.tx_hash]
        assert core.worker.commits == 0  # nothing sent twice
        core.ingest(stream, sid, [(2, stream_windows[2])])
        _wait(lambda: core.store.counts()["committed"] == 3, 60, "the next window's commit")
        assert core.store.get(sid, 2).commit_seq == 2 and core.worker.commits == 1
    finally:
        worker.stop_event.set()
        worker.join(timeout=30)


def test_doctor_passes_on_the_deployed_setup_and_its_deep_check_regenerates_the_verifier(
    compiled, chain, tmp_path
):
    """`zkalert doctor` on this module's compiled workspace and chain (registry, the model's
    verifier, WindowLog) and an outbox bound to them: nothing fails (the development SRS is a
    warning) and, with --deep, the registered verifier is the one EZKL generates from the key."""
    from eth_account import Account

    from zkalert.evm.registry import Deployment
    from zkalert.gateway.outbox import Outbox

    workspace, _, info = compiled
    registry = Deployment.load(CHAIN_ID).registry_address
    gateway = Account.from_key(OWNER_KEY).address
    outbox = tmp_path / "outbox.sqlite"
    Outbox.open(outbox, chain_id=CHAIN_ID, registry=registry, gateway=gateway).close()
    args = ["--workdir", str(workspace.root), "--rpc-url", chain, "--outbox", str(outbox)]
    proc = subprocess.run(
        [sys.executable, "-m", "zkalert", "doctor", *args, "--deep", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PRIVATE_KEY=OWNER_KEY),
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is True and report["summary"]["fail"] == 0
    for name in ("workspace", "circuit", "node", "deployment", "registry", "verifiers"):
        assert checks[name]["status"] == "ok", checks[name]
    for name in ("window-log", "gateway", "funds", "outbox"):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["srs"]["status"] == "warn" and "development" in checks["srs"]["detail"]
    assert checks["ts-registry"]["status"] == "skip"
    assert info.model_id[:10] in checks["verifiers"]["detail"]
    assert "its verifier is EZKL's for its verifying key" in checks["verifiers"]["detail"]
    assert checks["node"]["data"]["chain_id"] == CHAIN_ID
    assert checks["outbox"]["data"]["counts"]["refused"] == 0


def test_regulator_with_tokens_guards_audits_and_reports_a_failed_one(chain, tokens, tmp_path):
    from fastapi.testclient import TestClient

    from zkalert.services.regulator import Regulator, RegulatorConfig
    from zkalert.services.regulator import create_app as regulator_app

    regulator = Regulator(
        RegulatorConfig(folder=tmp_path / "regulator", rpc_url=chain, tokens=tokens["path"])
    )
    with TestClient(regulator_app(regulator), raise_server_exceptions=False) as client:
        assert client.post("/api/audits", json={"stream": "nobody/here"}).status_code == 401
        assert (
            client.post(
                "/api/audits", json={"stream": "nobody/here"}, headers=_auth(tokens["ingest"])
            ).status_code
            == 403
        )
        assert (
            client.post(
                "/api/audits",
                json={"stream": "x", "proofs": "some"},
                headers=_auth(tokens["regulator"]),
            ).status_code
            == 422
        )
        started = client.post(
            "/api/audits", json={"stream": "nobody/here"}, headers=_auth(tokens["regulator"])
        )
        assert started.status_code == 202
        audit = _wait(
            lambda: (
                (a := client.get(f"/api/audits/{started.json()['id']}").json())["state"]
                != "running"
                and a
            ),
            60,
            "the audit",
        )
        assert audit["state"] == "failed" and "has no commitments or alerts" in audit["error"]
        assert client.get(f"/api/audits/{started.json()['id']}/report.md").status_code == 409
        assert client.get("/api/audits/999999").status_code == 404
        assert client.get("/").status_code == 200  # the page still serves


# ---------------------------------------------------------------------- the PostgreSQL window store


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server (Debian's binaries) on a port of 8900-8999, trust auth on loopback."""
    import pwd
    import tempfile

    pg_bin = _pg_bin()
    if pg_bin is None:
        pytest.skip(
            "PostgreSQL server binaries are not installed (`make setup` installs Debian's postgresql)"
        )
    data = Path(tempfile.mkdtemp(prefix="zkalert-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(str(pg_bin / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "zkalert", "--no-sync")
    run(
        str(pg_bin / "pg_ctl"),
        "-D",
        str(data / "db"),
        "-l",
        str(data / "log"),
        "-w",
        "-t",
        "60",
        "-o",
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off",
        "start",
    )
    try:
        yield f"postgresql://zkalert@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(pg_bin / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)


def test_postgresql_store_serves_the_utility_and_keeps_its_windows(
    postgres_url, compiled, tokens, stream_windows
):
    from fastapi.testclient import TestClient

    from zkalert.services.store import StoreError, WindowStore

    workspace, _, _ = compiled
    config = UtilityConfig(workdir=workspace.root, store=postgres_url, tokens=tokens["path"])
    core = UtilityCore(config)
    assert core.store.postgres is True
    with TestClient(create_app(core, start_worker=False), raise_server_exceptions=False) as client:
        body = {
            "windows": [
                {"index": 10, "values": stream_windows[0]},
                {"index": 11, "values": stream_windows[5]},
            ]
        }
        assert (
            client.post(
                "/v1/windows?stream=pg/stream", headers=_auth(tokens["ingest"]), json=body
            ).status_code
            == 201
        )
        again = client.post(
            "/v1/windows?stream=pg/stream",
            headers=_auth(tokens["ingest"]),
            json={"windows": [body["windows"][0]]},
        )
        assert again.status_code == 409
        proof = client.get(
            "/v1/proof?stream=pg/stream&window=11", headers=_auth(tokens["regulator"])
        )
        assert proof.status_code == 200, proof.text
        assert proof.json()["alarm"] is True and proof.json()["cached"] is False
        assert (
            client.get(
                "/v1/proof?stream=pg/stream&window=11", headers=_auth(tokens["regulator"])
            ).json()["cached"]
            is True
        )

    reopened = WindowStore.open(postgres_url)  # durable: a new connection sees everything
    try:
        sid = "0x" + keccak(text="pg/stream").hex()
        windows = reopened.windows(sid)
        assert [w.idx for w in windows] == [10, 11]
        assert (
            windows[1].proof is not None
            and windows[0].proof is None
            and windows[0].scaled is not None
        )
        assert reopened.streams()[0]["windows"] == 2
        assert {int(r["status"]) for r in reopened.requests()} >= {200, 201, 409}
        with pytest.raises(StoreError, match="belongs to model_id"):
            reopened.bind("model_id", "0x" + "00" * 32)
    finally:
        reopened.close()
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as refused:
        WindowStore.open("postgresql://zkalert:secret@127.0.0.1:9/none")
    assert "secret" not in str(refused.value)


def test_ingest_from_concurrent_gateways_stores_the_statements_one_at_a_time_would_and_no_files(
    utility_api, tokens, stream_windows, compiled
):
    """Witnesses at ingestion run several at once: each gateway's windows get the statement a
    lone ingest gives them, and the service keeps no witness or input file per window."""
    import threading

    client, core = utility_api
    workspace, detector, _ = compiled
    before = sorted(p.name for p in workspace.proofs.iterdir())
    ingest = _auth(tokens["ingest"])
    answers: dict[str, object] = {}

    def send(stream: str) -> None:
        body = {"windows": [{"index": i, "values": w} for i, w in enumerate(stream_windows[:3])]}
        answers[stream] = client.post(f"/v1/windows?stream={stream}", json=body, headers=ingest)

    streams = [f"concurrent/{k}" for k in range(4)]
    threads = [threading.Thread(target=send, args=(s,)) for s in streams]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for stream in streams:
        response = answers[stream]
        assert response.status_code == 201, response.text
        for window in response.json()["windows"]:
            lone = core.prover.statement_instances(
                detector.scale(np.asarray([stream_windows[window["window"]]])),
                "lone",
                core.binding(window["stream_id"], window["window"]),
            )
            assert int(window["input_commitment"], 16) == lone[0]
            assert int(window["score"]) == lone[1]
    assert sorted(p.name for p in workspace.proofs.iterdir()) == before
