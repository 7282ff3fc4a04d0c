"""The regulator service (``zkalert serve regulator``): audits on request and a read-only view of the log.

    GET  /                              streams on the chain, with their last audit        (web page)
    GET  /streams/{stream_id}           one stream: chain, gaps, verification, timeline   (web page)
    GET  /api/streams                   the same, JSON
    GET  /api/streams/{stream_id}
    GET  /plant, /api/plant             the plant view of the time-series streams named at start (--plant)
    POST /api/audits                    {"stream", "from_block"?, "to_block"?, "proofs"?} -> 202 {"id"}
    GET  /api/audits                    recent audits
    GET  /api/audits/{id}               state and report (JSON); /report.md the Markdown
    GET  /healthz, /openapi.json, /docs   (/docs: Swagger UI from the package, no network)

The chain is read directly (getLogs in chunks); audits run one at a time in a
background thread and ask the utility for proofs with this regulator's token.
Audits made by ``zkalert audit`` land in the same database (``regulator.sqlite``
in the regulator folder), so the page shows them too.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel, Field

from zkalert.errors import ConfigError, ZkAlertError
from zkalert.services import page
from zkalert.services.access import (
    TOKEN,
    BodyLimit,
    RateLimiter,
    TokenBook,
    install_error_handlers,
    install_request_log,
    require,
)
from zkalert.services.docs import service_app
from zkalert.timeseries.plant import PlantRule

log = logging.getLogger("zkalert.regulator")
STREAM_ID = r"^0x[0-9a-fA-F]{64}$"
StreamIdParam = Annotated[
    str, PathParam(pattern=STREAM_ID, description="0x stream id (keccak256 of the name).")
]


@dataclass
class RegulatorConfig:
    folder: Path  # regulator.sqlite, model material cache, reports/
    rpc_url: str | None = None
    utility_url: str | None = None
    utility_token: str | None = None
    tokens: Path | None = None  # when set, POST /api/audits needs a token of this file
    cache_s: float = 3.0
    #: the SRS id every audit checks the registered verifiers against (None: not judged)
    accepted_srs: str | None = None
    #: the plant's time-series streams, {subsystem: stream name}; empty: no plant page
    plant: dict[str, str] = field(default_factory=dict)
    plant_rule: PlantRule = field(default_factory=PlantRule)
    #: the regulator's compiled TC and SC circuits (None: models not checked against keys)
    plant_circuits: list[Path] | None = None

    @property
    def db_path(self) -> Path:
        return self.folder / "regulator.sqlite"

    @property
    def reports(self) -> Path:
        return self.folder / "reports"


class AuditBook:
    """The regulator's audits (SQLite): shared by the service and ``zkalert audit``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path), timeout=30, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS audits (id INTEGER PRIMARY KEY, stream TEXT NOT NULL, stream_id TEXT, state TEXT NOT NULL, "
            "requested_at REAL NOT NULL, finished_at REAL, verdict TEXT, error TEXT, request TEXT, report TEXT, json_path TEXT, md_path TEXT)"
        )

    def start(self, stream: str, request: dict[str, Any]) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO audits (stream, state, requested_at, request) VALUES (?, 'running', ?, ?)",
                (stream, time.time(), json.dumps(request)),
            )
            return int(cursor.lastrowid or 0)

    def finish(self, audit_id: int, report: dict[str, Any], json_path: Path, md_path: Path) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE audits SET state = 'done', finished_at = ?, stream_id = ?, verdict = ?, report = ?, json_path = ?, md_path = ? WHERE id = ?",
                (
                    time.time(),
                    report["audit"]["stream_id"],
                    report["summary"]["verdict"],
                    json.dumps(report),
                    str(json_path),
                    str(md_path),
                    audit_id,
                ),
            )

    def fail(self, audit_id: int, error: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE audits SET state = 'failed', finished_at = ?, error = ? WHERE id = ?",
                (time.time(), error, audit_id),
            )

    def get(self, audit_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM audits WHERE id = ?", (audit_id,)).fetchone()
        return _audit_row(row) if row else None

    def latest(self, stream_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM audits WHERE stream_id = ? AND state = 'done' ORDER BY id DESC LIMIT 1",
                (stream_id,),
            ).fetchone()
        return _audit_row(row) if row else None

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM audits ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [{k: v for k, v in _audit_row(r).items() if k != "report"} for r in rows]

    def close(self) -> None:
        self._db.close()


def _audit_row(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["report"] = json.loads(data["report"]) if data["report"] else None
    data["request"] = json.loads(data["request"]) if data["request"] else None
    return data


def record_audit(
    book: AuditBook, report: dict[str, Any], json_path: Path, md_path: Path, request: dict[str, Any]
) -> int:
    audit_id = book.start(report["audit"]["stream"] or report["audit"]["stream_id"], request)
    book.finish(audit_id, report, json_path, md_path)
    return audit_id


# ---------------------------------------------------------------------- chain reading


class ChainView:
    """The chain as the page shows it: every stream of the WindowLog and the AlertRegistry (cached briefly)."""

    def __init__(self, rpc_url: str | None, cache_s: float) -> None:
        self.rpc_url = rpc_url
        self.cache_s = cache_s
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any]] | None = None
        self.names: dict[str, str] = {}

    def _contracts(self) -> tuple[Any, Any, Any, Any, Any]:
        from zkalert.evm.registry import Deployment
        from zkalert.evm.rpc import connect
        from zkalert.evm.windowlog import WindowLogDeployment

        w3 = connect(self.rpc_url)
        chain_id = int(w3.eth.chain_id)
        deployment = Deployment.load(chain_id)
        log_deployment = WindowLogDeployment.load(chain_id)
        return w3, deployment, deployment.registry(w3), log_deployment, log_deployment.contract(w3)

    def snapshot(self) -> dict[str, Any]:
        from zkalert.evm.log import fetch_alerts
        from zkalert.evm.windowlog import check_window_chain, fetch_windows

        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self.cache_s:
                return self._cached[1]
            w3, deployment, registry, log_deployment, window_log = self._contracts()
            genesis = min(deployment.block, log_deployment.block)
            windows = fetch_windows(window_log, genesis)
            alerts = fetch_alerts(registry, genesis)
            checks = (
                {c.stream_id: c for c in check_window_chain(window_log, windows)} if windows else {}
            )
            streams: dict[str, dict[str, Any]] = {}
            for w in windows:
                streams.setdefault(w.stream_id, {"windows": [], "alerts": []})["windows"].append(w)
            for a in alerts:
                streams.setdefault(a.stream_id, {"windows": [], "alerts": []})["alerts"].append(a)
            snap = {
                "chain": {
                    "chain_id": deployment.chain_id,
                    "registry": deployment.registry_address,
                    "window_log": log_deployment.address,
                    "block": int(w3.eth.block_number),
                },
                "streams": streams,
                "checks": checks,
                "registry": registry,
            }
            self._cached = (time.monotonic(), snap)
            return snap

    def stream(self, stream_id: str) -> dict[str, Any]:
        snap = self.snapshot()
        data = snap["streams"].get(stream_id)
        if data is None:
            raise HTTPException(
                404,
                f"stream {stream_id} has no commitments or alerts on chain {snap['chain']['chain_id']}",
            )
        windows, alerts = data["windows"], data["alerts"]
        check = snap["checks"].get(stream_id)
        model_id = (windows or alerts)[0].model_id
        threshold = int(snap["registry"].functions.model(bytes.fromhex(model_id[2:])).call()[1])
        return {
            "stream_id": stream_id,
            "name": self.names.get(stream_id),
            "chain_id": snap["chain"]["chain_id"],
            "model_id": model_id,
            "threshold": threshold,
            "windows": [w.to_json() for w in windows],
            "alerts": [a.to_json() for a in alerts],
            "missing_indexes": check.missing_indexes if check else [],
            "missing_count": check.missing_count if check else 0,
            "intact": check.intact if check else True,
            "problems": check.problems if check else [],
        }


# ---------------------------------------------------------------------- the service


class AuditIn(BaseModel):
    stream: str = Field(min_length=1, max_length=130, description="Stream name or 0x stream id.")
    from_block: int | None = Field(default=None, ge=0)
    to_block: int | None = Field(default=None, ge=0)
    proofs: str = Field(default="all", pattern="^(all|alarms|none)$")


class Regulator:
    def __init__(self, config: RegulatorConfig) -> None:
        self.config = config
        config.folder.mkdir(parents=True, exist_ok=True)
        self.book = AuditBook(config.db_path)
        self.chain = ChainView(config.rpc_url, config.cache_s)
        self.tokens = TokenBook.load(config.tokens) if config.tokens else None
        self._audit_lock = threading.Lock()
        self._names_at = 0.0
        self._plant_lock = threading.Lock()
        self._plant: tuple[float, dict[str, Any]] | None = None

    def client(self) -> Any:
        from zkalert.services.client import UtilityClient

        if not self.config.utility_url or not self.config.utility_token:
            return None
        return UtilityClient(self.config.utility_url, self.config.utility_token)

    def run_audit(self, audit_id: int, body: AuditIn) -> None:
        from zkalert.evm.rpc import connect
        from zkalert.services.audit import AuditOptions, run_audit, write_report

        with (
            self._audit_lock
        ):  # one audit at a time: proofs are made one at a time at the utility anyway
            client = None
            try:
                client = self.client()
                options = AuditOptions(
                    body.stream,
                    body.from_block,
                    body.to_block,
                    body.proofs,
                    accepted_srs=self.config.accepted_srs,
                )
                report = run_audit(
                    connect(self.config.rpc_url),
                    client,
                    options,
                    self.config.folder,
                    echo=lambda m: log.info("audit %d: %s", audit_id, m),
                )
                json_path, md_path = write_report(report, self.config.reports)
                self.book.finish(audit_id, report, json_path, md_path)
                if report["audit"]["stream"]:
                    self.chain.names[report["audit"]["stream_id"]] = report["audit"]["stream"]
                log.info("audit %d: %s (%s)", audit_id, report["summary"]["verdict"], md_path)
            except ZkAlertError as exc:
                self.book.fail(audit_id, str(exc))
            except Exception as exc:  # recorded on the audit, so the caller learns it failed
                log.exception("audit %d failed", audit_id)
                self.book.fail(audit_id, f"internal error ({type(exc).__name__}: {exc})")
            finally:
                if client is not None:
                    client.close()

    def _learn_names(self) -> None:
        """Stream names from the utility (the chain holds only keccak256 ids); best effort."""
        if self._names_at and time.monotonic() - self._names_at < 30:
            return
        self._names_at = time.monotonic()
        client = self.client()
        if client is None:
            return
        try:
            for s in client.streams():
                self.chain.names.setdefault(str(s["stream_id"]), str(s["stream"]))
        except (ZkAlertError, KeyError, TypeError):
            pass  # the page still works on ids alone
        finally:
            client.close()

    def overview(self) -> dict[str, Any]:
        self._learn_names()
        snap = self.chain.snapshot()
        streams = []
        for sid, data in snap["streams"].items():
            check = snap["checks"].get(sid)
            latest = self.book.latest(sid)
            if latest and latest["report"] and latest["report"]["audit"]["stream"]:
                self.chain.names.setdefault(sid, latest["report"]["audit"]["stream"])
            streams.append(
                {
                    "stream_id": sid,
                    "name": self.chain.names.get(sid),
                    "windows": len(data["windows"]),
                    "alerts": len(data["alerts"]),
                    "alarms": sum(1 for w in data["windows"] if w.alarm)
                    + sum(1 for a in data["alerts"] if a.alarm),
                    "gaps": check.missing_count if check else 0,
                    "intact": check.intact if check else True,
                    "audit": {
                        "id": latest["id"],
                        "verdict": latest["verdict"],
                        "finished_at": latest["report"]["audit"]["finished_at"],
                    }
                    if latest
                    else None,
                }
            )
        streams.sort(key=lambda s: (s["name"] or "~", s["stream_id"]))
        return {"chain": snap["chain"], "streams": streams}

    def plant(self) -> dict[str, Any]:
        """The plant view of the configured time-series streams, read from the chain now
        (cached for ``cache_s``); 404 without a plant, 409 when a stream was never opened."""
        from zkalert.evm.rpc import connect
        from zkalert.timeseries.audit import find_circuits
        from zkalert.timeseries.chain import TsDeployment
        from zkalert.timeseries.plant import audit_plant

        config = self.config
        if not config.plant:
            raise HTTPException(
                404, "no plant configured: start the service with --plant SUBSYSTEM=STREAM"
            )
        with self._plant_lock:
            if self._plant is not None and time.monotonic() - self._plant[0] < config.cache_s:
                return self._plant[1]
            w3 = connect(config.rpc_url)
            deployment = TsDeployment.load(int(w3.eth.chain_id))
            circuits = (
                None if config.plant_circuits is None else find_circuits(config.plant_circuits)
            )
            try:
                view, reports = audit_plant(
                    w3,
                    deployment,
                    config.plant,
                    config.plant_rule,
                    circuits,
                    accepted_srs=config.accepted_srs,
                )
            except ConfigError as exc:
                raise HTTPException(409, str(exc)) from None
            names = {r.stream_id: n for r, n in zip(reports, config.plant.values(), strict=True)}
            data = {
                "chain_id": int(w3.eth.chain_id),
                "registry": deployment.address,
                "block": int(w3.eth.block_number),
                "circuits_checked": circuits is not None,
                "plant": view.to_json(),
                "streams": [
                    {
                        "subsystem": subsystem,
                        "name": names[r.stream_id],
                        "stream_id": r.stream_id,
                        "windows": len(r.windows),
                        "ok": r.ok,
                    }
                    for subsystem, r in zip(config.plant, reports, strict=True)
                ],
            }
            self._plant = (time.monotonic(), data)
            return data

    def stream_view(self, stream_id: str) -> dict[str, Any]:
        self._learn_names()
        view = self.chain.stream(stream_id.lower())
        latest = self.book.latest(stream_id.lower())
        view["audit"] = latest["report"] if latest else None
        view["audit_id"] = latest["id"] if latest else None
        if latest and latest["report"]["audit"]["stream"]:
            view["name"] = latest["report"]["audit"]["stream"]
        return view


def create_app(regulator: Regulator) -> FastAPI:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            regulator.book.close()

    app = service_app(
        title="zkalert regulator service",
        version="0.1.0",
        description="Audits of on-chain alert streams, with proofs requested from the utility; a read-only web view.",
        lifespan=lifespan,
    )
    app.state.tokens = regulator.tokens or TokenBook([])
    app.state.limiter = RateLimiter()
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=64_000)
    install_request_log(app, None)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, tags=["page"])
    def index() -> str:
        overview = regulator.overview()
        return page.render_index(overview["chain"], overview["streams"], regulator.config.plant)

    @app.get("/streams/{stream_id}", response_class=HTMLResponse, tags=["page"])
    def stream_page(stream_id: StreamIdParam) -> str:
        return page.render_stream(regulator.stream_view(stream_id))

    @app.get("/plant", response_class=HTMLResponse, tags=["page"])
    def plant_page() -> str:
        return page.render_plant(regulator.plant())

    @app.get("/api/plant", tags=["api"])
    def api_plant() -> dict[str, Any]:
        """The plant view: the named time-series streams' proven window alarms, fused."""
        return regulator.plant()

    @app.get("/api/streams", tags=["api"])
    def api_streams() -> dict[str, Any]:
        return regulator.overview()

    @app.get("/api/streams/{stream_id}", tags=["api"])
    def api_stream(stream_id: StreamIdParam) -> dict[str, Any]:
        return regulator.stream_view(stream_id)

    # starting an audit needs a token when the service has a tokens file
    @app.post(
        "/api/audits",
        status_code=202,
        tags=["api"],
        dependencies=[TOKEN] if regulator.tokens is not None else [],
    )
    def start_audit(request: Request, body: AuditIn) -> dict[str, Any]:
        """Start an audit of a stream (one runs at a time; poll GET /api/audits/{id})."""
        if regulator.tokens is not None:
            require(request, ("regulator",))
        if (
            body.from_block is not None
            and body.to_block is not None
            and body.to_block < body.from_block
        ):
            raise HTTPException(
                422, f"to_block {body.to_block} is below from_block {body.from_block}"
            )
        head = regulator.chain.snapshot()["chain"]["block"]
        for label, block in (("from_block", body.from_block), ("to_block", body.to_block)):
            if block is not None and block > head:
                raise HTTPException(422, f"{label} {block} is beyond the chain head {head}")
        audit_id = regulator.book.start(body.stream, body.model_dump())
        threading.Thread(
            target=regulator.run_audit, args=(audit_id, body), name=f"audit-{audit_id}", daemon=True
        ).start()
        return {"id": audit_id, "state": "running", "poll": f"/api/audits/{audit_id}"}

    @app.get("/api/audits", tags=["api"])
    def audits() -> dict[str, Any]:
        return {"audits": regulator.book.recent()}

    @app.get("/api/audits/{audit_id}", tags=["api"])
    def audit(audit_id: int) -> dict[str, Any]:
        found = regulator.book.get(audit_id)
        if found is None:
            raise HTTPException(404, f"no audit {audit_id}")
        return found

    @app.get("/api/audits/{audit_id}/report.md", response_class=PlainTextResponse, tags=["api"])
    def audit_markdown(audit_id: int) -> str:
        from zkalert.services.audit import markdown

        found = regulator.book.get(audit_id)
        if found is None:
            raise HTTPException(404, f"no audit {audit_id}")
        if found["report"] is None:
            raise HTTPException(
                409,
                f"audit {audit_id} is {found['state']}"
                + (f": {found['error']}" if found["error"] else ""),
            )
        return markdown(found["report"])

    return app


def serve(config: RegulatorConfig, host: str, port: int, log_level: str = "info") -> None:
    import uvicorn

    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    uvicorn.run(
        create_app(Regulator(config)), host=host, port=port, log_level=log_level, access_log=False
    )
