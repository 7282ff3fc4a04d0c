"""A bounded load test of the utility service while its proving cluster serves proofs.

``zkalert load-test`` (``make load-test``), on loopback only, with a fixed request budget:

- a fresh anvil (chain :data:`LOAD_CHAIN_ID`) with the workspace's model and a WindowLog
  deployed, and the utility service as a subprocess committing windows to it and proving on
  its proving cluster (embedded, or ``--cluster``);
- phase "ingest alone": gateway writers post one window per request, each to its own stream,
  while readers poll ``/v1/status`` and ``/v1/windows``, for ``seconds``;
- phase "with proofs": the same while regulators each ask for ``proof_requests`` proofs,
  alternately of one window and of a range, of windows stored in the first phase; it lasts
  until the regulators are answered;
- a regulator token with a small rate limit asks for its status faster than the limit allows.

Then every window a writer was told was stored is in the store exactly once and committed on
chain exactly once (``WindowLog.count`` and ``lastIndex`` per stream), every proof served
verifies with EZKL, and the utility made one proof per distinct window asked for. The report
(``<reports>/load/load.json``, ``.md``) gives requests per second and p50/p95 latency per
phase and endpoint, every status code seen, and those checks.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zkalert.config import PROJECT_ROOT, Workspace, configured, reports_dir
from zkalert.errors import CircuitError, LoadTestError
from zkalert.evm.ids import stream_id
from zkalert.evm.localnode import Anvil, free_port
from zkalert.keys import ANVIL_KEY_0, DEV_CHAINS_ENV, resolve_signer
from zkalert.lab.metrics import machine

#: The load test's own anvil chain (a development chain for this run only).
LOAD_CHAIN_ID = 32191
#: Rate limit of the token that is meant to be refused: 6 requests a minute, 2 at once.
LIMITED_RATE_PER_MINUTE, LIMITED_BURST = 6.0, 2.0
LIMITED_REQUESTS = 8
#: The target the latency of ingest and status is held to while proofs are served.
TARGET_P95_MS = 500.0


@dataclass(frozen=True)
class LoadOptions:
    workdir: Path
    writers: int = 4
    readers: int = 4
    regulators: int = 2
    seconds: float = 30.0  # length of the "ingest alone" phase
    proof_requests: int = 6  # per regulator, in the "with proofs" phase
    range_size: int = 3
    cluster: str | None = None  # a Dask scheduler's address; None: the utility's embedded cluster
    workers: int | None = None  # embedded cluster's workers (None: as the machine holds)
    report_dir: Path = field(default_factory=lambda: reports_dir("load"))
    seed: int = 0


@dataclass
class Sample:
    phase: str
    endpoint: str
    status: int
    ms: float


class Recorder:
    """Every request's phase, endpoint, status and latency, from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: list[Sample] = []
        self.phase = "setup"
        self.phase_s: dict[str, float] = {}

    def add(self, endpoint: str, status: int, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        with self._lock:
            self.samples.append(Sample(self.phase, endpoint, status, ms))

    def table(self) -> dict[str, dict[str, dict[str, Any]]]:
        """phase -> endpoint -> count, per second, p50/p95/max ms, statuses."""
        grouped: dict[tuple[str, str], list[Sample]] = defaultdict(list)
        for s in self.samples:
            grouped[(s.phase, s.endpoint)].append(s)
        out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for (phase, endpoint), samples in sorted(grouped.items()):
            ms = np.array([s.ms for s in samples])
            seconds = self.phase_s.get(phase) or 1.0
            out[phase][endpoint] = {
                "requests": len(samples),
                "per_s": round(len(samples) / seconds, 2),
                "p50_ms": round(float(np.percentile(ms, 50)), 1),
                "p95_ms": round(float(np.percentile(ms, 95)), 1),
                "max_ms": round(float(ms.max()), 1),
                "statuses": dict(sorted(Counter(str(s.status) for s in samples).items())),
            }
        return dict(out)


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _raw_windows(workspace: Workspace, count: int, seed: int) -> list[list[float]]:
    """Windows in raw units around the detector's training mean (the detector's own scale)."""
    from zkalert.detector.model import Detector

    scaler = Detector.load(workspace).scaler
    rng = np.random.default_rng(seed)
    rows = scaler.mean + scaler.std * rng.normal(0.0, 1.0, (count, scaler.mean.shape[0]))
    return [[float(v) for v in row] for row in rows]


class _Service:
    """The utility service as a subprocess, on a fresh anvil, with its tokens."""

    def __init__(self, options: LoadOptions, folder: Path, echo: Callable[[str], None]) -> None:
        from zkalert.evm import registry as chainmod
        from zkalert.evm.windowlog import deploy_window_log
        from zkalert.services.access import add_token
        from zkalert.zk.circuit import CircuitInfo

        self.folder = folder
        workspace = Workspace.at(options.workdir)
        info = CircuitInfo.load(workspace)
        if info.windows_per_proof != 1:
            raise CircuitError(
                f"{workspace.root} holds a {info.windows_per_proof}-window circuit; the utility "
                "proves single windows: compile one with --windows-per-proof 1"
            )
        self.info = info
        self.workspace = workspace
        self.anvil = Anvil(free_port(), LOAD_CHAIN_ID, log_file=folder / "anvil.log").start()
        signer = resolve_signer(LOAD_CHAIN_ID, key=ANVIL_KEY_0, dev_chains=[LOAD_CHAIN_ID])
        deployments = folder / "deployments"
        try:
            with configured(deployments=deployments):
                chainmod.deploy(info, self.anvil.url, key=signer, allow_dev_srs=True)
                deploy_window_log(self.anvil.url, signer)
        except BaseException:
            self.anvil.stop()
            raise
        echo(f"chain {LOAD_CHAIN_ID} at {self.anvil.url}: model and WindowLog deployed")
        tokens = folder / "tokens.json"
        tokens.unlink(missing_ok=True)
        high = 100_000.0  # writers and regulators are never the ones refused
        self.ingest = add_token(tokens, "gateway", "ingest", rate_per_minute=high, burst=high)
        self.regulator = add_token(
            tokens, "regulator", "regulator", rate_per_minute=high, burst=high
        )
        self.limited = add_token(
            tokens,
            "regulator-limited",
            "regulator",
            rate_per_minute=LIMITED_RATE_PER_MINUTE,
            burst=LIMITED_BURST,
        )
        self.port = free_port(8900, 8999)
        self.url = f"http://127.0.0.1:{self.port}"
        store = folder / "windows.sqlite"
        for stale in folder.glob("windows.sqlite*"):
            stale.unlink()
        args = [
            sys.executable, "-m", "zkalert", "serve", "utility",
            "--workdir", str(workspace.root), "--store", str(store), "--tokens", str(tokens),
            "--port", str(self.port), "--log-level", "warning",
        ]  # fmt: skip
        if options.cluster:
            args += ["--cluster", options.cluster]
        if options.workers:
            args += ["--workers", str(options.workers)]
        env = dict(
            os.environ,
            RPC_URL=self.anvil.url,
            PRIVATE_KEY=ANVIL_KEY_0,
            ZKALERT_DEPLOYMENTS=str(deployments),
            **{DEV_CHAINS_ENV: str(LOAD_CHAIN_ID)},
        )
        env.pop("ZKALERT_DEBUG", None)
        self.log = folder / "utility.log"
        with self.log.open("wb") as handle:
            self.proc = subprocess.Popen(
                args, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT,
                start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, timeout_s: float = 180.0) -> dict[str, Any]:
        """Up, and its proving cluster connected (the service starts it beside the server)."""
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LoadTestError(
                    f"the utility service exited ({self.proc.returncode}): "
                    f"{self.log.read_text()[-600:].strip()}"
                )
            try:
                status = httpx.get(
                    f"{self.url}/v1/status", headers=_auth(self.regulator), timeout=5
                ).json()
                if status.get("cluster", {}).get("connected"):
                    return dict(status)
            except (httpx.HTTPError, ValueError):
                pass
            # the service logs why its cluster could not be opened: that line, not a wait
            for line in self.log.read_text(errors="replace").splitlines():
                if "WARNING proving cluster:" in line:
                    raise LoadTestError(line.split("WARNING ", 1)[1])
            time.sleep(0.5)
        raise LoadTestError(f"the utility service was not ready in {timeout_s:.0f} s ({self.log})")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.anvil.stop()


def _writer(
    service: _Service,
    recorder: Recorder,
    name: str,
    windows: list[list[float]],
    stored: list[int],
    stop: threading.Event,
    errors: list[str],
) -> None:
    import httpx

    with httpx.Client(base_url=service.url, headers=_auth(service.ingest), timeout=60) as client:
        for index in itertools.count(len(stored)):
            if stop.is_set() or index >= len(windows):
                return
            body = {"windows": [{"index": index, "values": windows[index]}]}
            started = time.perf_counter()
            try:
                r = client.post("/v1/windows", params={"stream": name}, json=body)
            except httpx.HTTPError as exc:
                recorder.add("POST /v1/windows", 599, started)
                errors.append(f"{name} window {index}: {exc}")
                return
            recorder.add("POST /v1/windows", r.status_code, started)
            if r.status_code != 201:
                errors.append(f"{name} window {index}: {r.status_code} {r.text[:200]}")
                return
            stored.append(index)


def _reader(
    service: _Service, recorder: Recorder, streams: list[str], stop: threading.Event, seed: int
) -> None:
    import httpx

    rng = random.Random(seed)
    with httpx.Client(base_url=service.url, headers=_auth(service.regulator), timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                if rng.random() < 0.5:
                    r = client.get("/v1/status")
                    recorder.add("GET /v1/status", r.status_code, started)
                else:
                    r = client.get(
                        "/v1/windows", params={"stream": rng.choice(streams), "limit": 20}
                    )
                    # a stream not yet holding a window answers 404 at the very start
                    recorder.add("GET /v1/windows", r.status_code, started)
            except httpx.HTTPError:
                recorder.add("GET (reader)", 599, started)


def _regulator(
    service: _Service,
    recorder: Recorder,
    options: LoadOptions,
    available: dict[str, list[int]],
    served: list[tuple[str, dict[str, Any]]],
    asked: set[tuple[str, int]],
    seed: int,
) -> None:
    import httpx

    rng = random.Random(seed)
    with httpx.Client(
        base_url=service.url, headers=_auth(service.regulator), timeout=900
    ) as client:
        for k in range(options.proof_requests):
            name = rng.choice(sorted(available))
            indexes = available[name]
            started = time.perf_counter()
            if k % 2 == 0:
                window = rng.choice(indexes)
                r = client.get("/v1/proof", params={"stream": name, "window": window})
                recorder.add("GET /v1/proof", r.status_code, started)
                asked.add((name, window))
                if r.status_code == 200:
                    served.append((name, r.json()))
            else:
                first = rng.randrange(0, max(1, len(indexes) - options.range_size))
                last = first + options.range_size - 1
                r = client.get("/v1/proofs", params={"stream": name, "first": first, "last": last})
                recorder.add("GET /v1/proofs", r.status_code, started)
                asked.update((name, i) for i in range(first, last + 1))
                if r.status_code == 200:
                    served.extend((name, p) for p in r.json()["proofs"])


def _rate_limit_probe(service: _Service, recorder: Recorder) -> dict[str, Any]:
    """The limited token asks for its status LIMITED_REQUESTS times at once."""
    import httpx

    statuses = []
    started_all = time.perf_counter()
    with httpx.Client(base_url=service.url, headers=_auth(service.limited), timeout=30) as client:
        for _ in range(LIMITED_REQUESTS):
            started = time.perf_counter()
            r = client.get("/v1/status")
            recorder.add("GET /v1/status (limited token)", r.status_code, started)
            statuses.append(r.status_code)
    elapsed = time.perf_counter() - started_all
    allowed = int(LIMITED_BURST + elapsed * LIMITED_RATE_PER_MINUTE / 60)
    ok = statuses.count(200)
    return {
        "rate_per_minute": LIMITED_RATE_PER_MINUTE,
        "burst": LIMITED_BURST,
        "requests": len(statuses),
        "seconds": round(elapsed, 2),
        "answered_200": ok,
        "answered_429": statuses.count(429),
        "allowed_at_most": allowed,
        "holds": ok <= allowed and statuses.count(429) == len(statuses) - ok,
    }


def _run_phase(
    recorder: Recorder, phase: str, threads: list[threading.Thread], until: Callable[[], None]
) -> None:
    recorder.phase = phase
    started = time.perf_counter()
    for t in threads:
        t.start()
    until()
    recorder.phase_s[phase] = time.perf_counter() - started


def _checks(
    service: _Service,
    streams: dict[str, list[int]],
    served: list[tuple[str, dict[str, Any]]],
    asked: set[tuple[str, int]],
    proofs_before: int,
    echo: Callable[[str], None],
) -> dict[str, Any]:
    """Exactly once in the store, on chain and in proofs; every proof served verifies."""
    import httpx

    from zkalert.evm import rpc
    from zkalert.evm.windowlog import WindowLogDeployment
    from zkalert.zk.prover import felt_hex_to_int, verify_proof

    regulator = _auth(service.regulator)
    expected = sum(len(v) for v in streams.values())
    deadline = time.monotonic() + 300
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = httpx.get(f"{service.url}/v1/status", headers=regulator, timeout=30).json()
        if status["store"].get("committed", 0) >= expected:
            break
        time.sleep(1)
    echo(f"committed {status['store'].get('committed', 0)} of {expected} windows")

    w3 = rpc.connect(service.anvil.url)
    with configured(deployments=service.folder / "deployments"):
        log = WindowLogDeployment.load(LOAD_CHAIN_ID).contract(w3)
    per_stream: dict[str, dict[str, Any]] = {}
    for name, indexes in streams.items():
        listed = httpx.get(
            f"{service.url}/v1/windows",
            params={"stream": name, "limit": 1000},
            headers=regulator,
            timeout=60,
        ).json()
        held = [int(w["window"]) for w in listed]
        sid = stream_id(name)
        per_stream[name] = {
            "told_stored": len(indexes),
            "in_store": len(held),
            "store_indexes_once": sorted(held) == list(range(len(indexes))),
            "store_all_committed": all(w["committed"] for w in listed),
            "on_chain_count": int(log.functions.count(sid).call()),
            "on_chain_last_index": int(log.functions.lastIndex(sid).call()) if indexes else None,
        }
    chain_once = all(
        s["on_chain_count"] == s["told_stored"]
        and (s["told_stored"] == 0 or s["on_chain_last_index"] == s["told_stored"] - 1)
        for s in per_stream.values()
    )

    verified, failures, distinct = 0, [], set()
    info = service.info
    for name, entry in served:
        proof = entry["proof"]
        instances = [felt_hex_to_int(f) for group in proof["instances"] for f in group]
        ok, why = verify_proof(
            bytes.fromhex(proof["hex_proof"].removeprefix("0x")),
            instances,
            service.workspace.vk,
            service.workspace.settings,
            Path(info.srs_path),
        )
        distinct.add((name, int(entry["window"])))
        if ok:
            verified += 1
        else:
            failures.append(f"{name} window {entry['window']}: {why}")
    made = int(status["proofs"]["made"]) - proofs_before
    return {
        "windows_told_stored": expected,
        "store_each_once": all(s["store_indexes_once"] for s in per_stream.values()),
        "store_all_committed": all(s["store_all_committed"] for s in per_stream.values()),
        "committed_on_chain_each_once": chain_once,
        "streams": per_stream,
        "proofs_served": len(served),
        "proofs_verified": verified,
        "verify_failures": failures[:5],
        "distinct_windows_asked": len(asked),
        "distinct_windows_served": len(distinct),
        "proofs_made": made,
        "proofs_made_once_per_window": made == len(distinct) and distinct <= asked,
    }


def run(options: LoadOptions, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Start the chain and the service, run both phases, check, write the report."""
    import httpx

    folder = options.report_dir
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    at_start = machine("dask", "distributed", "fastapi", "uvicorn", "httpx")
    service = _Service(options, work, echo)
    recorder = Recorder()
    try:
        ready = service.wait_ready()
        plan = ready["cluster"]
        echo(
            f"utility at {service.url}; proving cluster: {plan.get('mode')}, "
            f"{len(plan.get('workers_now') or [])} worker(s)"
        )
        names = [f"load/gateway-{k}" for k in range(options.writers)]
        budget = 4000  # windows per writer: the writers' request budget
        raw = _raw_windows(service.workspace, budget, options.seed)
        stored: dict[str, list[int]] = {n: [] for n in names}
        errors: list[str] = []

        # phase 1: ingest alone
        stop = threading.Event()
        threads = [
            threading.Thread(target=_writer, args=(service, recorder, n, raw, stored[n], stop, errors))
            for n in names
        ] + [
            threading.Thread(target=_reader, args=(service, recorder, names, stop, options.seed + r))
            for r in range(options.readers)
        ]  # fmt: skip
        echo(
            f"phase 1, ingest alone: {options.writers} writers, {options.readers} readers, {options.seconds:.0f} s"
        )

        def after_seconds() -> None:
            time.sleep(options.seconds)
            stop.set()
            for t in threads:
                t.join()

        _run_phase(recorder, "ingest alone", threads, after_seconds)
        available = {n: list(v) for n, v in stored.items() if len(v) > options.range_size}
        if not available:
            raise LoadTestError(
                f"no stream got {options.range_size + 1} windows in phase 1: {errors[:1]}"
            )
        proofs_before = int(
            httpx.get(
                f"{service.url}/v1/status", headers=_auth(service.regulator), timeout=30
            ).json()["proofs"]["made"]
        )

        # phase 2: the same, while regulators ask for proofs
        stop = threading.Event()
        served: list[tuple[str, dict[str, Any]]] = []
        asked: set[tuple[str, int]] = set()
        background = [
            threading.Thread(target=_writer, args=(service, recorder, n, raw, stored[n], stop, errors))
            for n in names
        ] + [
            threading.Thread(target=_reader, args=(service, recorder, names, stop, options.seed + 100 + r))
            for r in range(options.readers)
        ]  # fmt: skip
        regulators = [
            threading.Thread(target=_regulator, args=(service, recorder, options, available, served, asked, options.seed + 200 + g))
            for g in range(options.regulators)
        ]  # fmt: skip
        echo(
            f"phase 2, with proofs: the same, and {options.regulators} regulators asking for "
            f"{options.proof_requests} proofs each (one window, then a range of {options.range_size})"
        )

        def until_answered() -> None:
            for t in regulators:
                t.join()
            stop.set()
            for t in background:
                t.join()

        _run_phase(recorder, "with proofs", [*background, *regulators], until_answered)
        recorder.phase = "rate limit"
        limit = _rate_limit_probe(service, recorder)
        recorder.phase_s["rate limit"] = limit["seconds"]
        echo("checking: store, chain, proofs")
        checks = _checks(service, stored, served, asked, proofs_before, echo)
        final = httpx.get(
            f"{service.url}/v1/status", headers=_auth(service.regulator), timeout=30
        ).json()
    finally:
        service.close()

    table = recorder.table()
    five_xx = [s for s in recorder.samples if s.status >= 500]
    unexpected_429 = [
        s for s in recorder.samples if s.status == 429 and "limited" not in s.endpoint
    ]
    with_proofs = table.get("with proofs", {})
    target = {
        endpoint: {
            "p95_ms": with_proofs.get(endpoint, {}).get("p95_ms"),
            "met": (with_proofs.get(endpoint, {}).get("p95_ms") or 1e9) < TARGET_P95_MS,
        }
        for endpoint in ("POST /v1/windows", "GET /v1/status")
    }
    report = {
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in options.__dict__.items()},
        "machine": at_start,
        "load_average_at_end": os.getloadavg(),
        "circuit": {
            "detector": _detector_kind(service.workspace),
            "model_id": service.info.model_id,
            "logrows": service.info.logrows,
            "rows": service.info.num_rows,
            "commitment": service.info.commitment,
        },
        "cluster": final.get("cluster"),
        "phase_seconds": {k: round(v, 1) for k, v in recorder.phase_s.items()},
        "endpoints": table,
        "target_p95_ms": TARGET_P95_MS,
        "target": target,
        "rate_limit": limit,
        "server_errors": len(five_xx),
        "unexpected_429": len(unexpected_429),
        "writer_errors": errors[:5],
        "checks": checks,
    }
    (folder / "load.json").write_text(json.dumps(report, indent=1) + "\n")
    (folder / "load.md").write_text(markdown(report))
    echo(f"report: {folder / 'load.md'}")
    failed = [
        what
        for what, ok in (
            ("no 5xx", not five_xx),
            ("429 only for the limited token", not unexpected_429),
            ("rate limit as configured", limit["holds"]),
            ("every window stored once", checks["store_each_once"]),
            ("every window committed once", checks["committed_on_chain_each_once"]),
            ("the store marks every window committed", checks["store_all_committed"]),
            ("every proof verified", checks["proofs_verified"] == checks["proofs_served"]),
            ("one proof per window", checks["proofs_made_once_per_window"]),
            ("no writer refused", not errors),
        )
        if not ok
    ]
    if failed:
        raise LoadTestError(
            f"the load test ran, but these did not hold: {', '.join(failed)} (see {folder / 'load.md'})"
        )
    return report


def _detector_kind(workspace: Workspace) -> str:
    """The detector family member of a workspace (its detector.json), without loading torch."""
    try:
        config = json.loads(workspace.detector_meta.read_text())["config"]
        return str(config.get("kind", "autoencoder"))
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def markdown(report: dict[str, Any]) -> str:
    m, o, c = report["machine"], report["options"], report["checks"]
    lines = [
        "# Utility service under load, with proofs on the proving cluster",
        "",
        f"Machine: {m.get('cpu')} x {m.get('cpus')}, {m.get('memory_gb')} GB; load average at the "
        f"start {', '.join(f'{v:.2f}' for v in m.get('load_average_at_start', []))}, at the end "
        f"{', '.join(f'{v:.2f}' for v in report['load_average_at_end'])}. Versions: "
        + ", ".join(
            f"{k} {m[k]}"
            for k in ("python", "ezkl", "dask", "distributed", "fastapi", "uvicorn", "httpx")
            if m.get(k)
        )
        + ".",
        "",
        (
            "Circuit: {detector}, model {model_id}, {rows:,} rows at logrows {logrows}, {commitment} "
            "input commitment.".format(**report["circuit"])
            if report.get("circuit")
            else "Circuit: not recorded."
        ),
        "",
        (
            f"{o['writers']} gateway writers (one window per POST, one stream each), {o['readers']} "
            f"readers (`/v1/status`, `/v1/windows`), {o['regulators']} regulators ({o['proof_requests']} "
            f"proof requests each: one window, then a range of {o['range_size']}); loopback only. "
            f"Proving cluster: {json.dumps(report.get('cluster'))}."
        ),
        "",
        "| phase | endpoint | requests | per s | p50 ms | p95 ms | max ms | statuses |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for phase, endpoints in report["endpoints"].items():
        for endpoint, e in endpoints.items():
            statuses = ", ".join(f"{k}: {v}" for k, v in e["statuses"].items())
            lines.append(
                f"| {phase} ({report['phase_seconds'].get(phase, 0)} s) | `{endpoint}` | "
                f"{e['requests']} | {e['per_s']} | {e['p50_ms']} | {e['p95_ms']} | {e['max_ms']} | {statuses} |"
            )
    rl = report["rate_limit"]
    lines += [
        "",
        f"Target, with proofs being served: p95 under {report['target_p95_ms']:.0f} ms for "
        + "; ".join(
            f"`{k}` {v['p95_ms']} ms ({'met' if v['met'] else 'missed'})"
            for k, v in report["target"].items()
        )
        + ".",
        "",
        (
            f"- Rate limit ({rl['rate_per_minute']:.0f}/min, burst {rl['burst']:.0f}): "
            f"{rl['requests']} requests in {rl['seconds']} s, {rl['answered_200']} answered 200, "
            f"{rl['answered_429']} answered 429 ({'as configured' if rl['holds'] else 'NOT as configured'})."
        ),
        f"- 5xx answers: {report['server_errors']}; 429 to any other token: {report['unexpected_429']}.",
        (
            f"- Windows told stored: {c['windows_told_stored']}; each once in the store: "
            f"{c['store_each_once']}; each committed once on chain (WindowLog count and last index "
            f"per stream): {c['committed_on_chain_each_once']}."
        ),
        (
            f"- Proofs served: {c['proofs_served']}, verified with EZKL: {c['proofs_verified']}; "
            f"distinct windows asked for: {c['distinct_windows_asked']}, proofs made: "
            f"{c['proofs_made']} (one per window: {c['proofs_made_once_per_window']})."
        ),
        "",
    ]
    return "\n".join(lines)


__all__ = ["LOAD_CHAIN_ID", "LoadOptions", "LoadTestError", "markdown", "run"]
