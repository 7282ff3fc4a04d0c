"""The utility service (``zkalert serve utility``): the edge gateway behind a REST API.

    POST /v1/windows?stream=NAME        ingest windows (raw sensor units, with their indexes)   [ingest]
    GET  /v1/streams                    streams held, with counts                                [any token]
    GET  /v1/windows?stream=S&first=&last=   window list: commitment, score, alarm, commit    [regulator]
    GET  /v1/proof?stream=S&window=N    the proof of one window, made on request (then cached)  [regulator]
    GET  /v1/proofs?stream=S&first=A&last=B  proofs of a range (at most --max-range windows)     [regulator]
    GET  /v1/model, /v1/model/vk, /v1/model/settings, /v1/model/srs   what verifying needs        [regulator]
    GET  /v1/status, /metrics           policy, chain, store, worker; Prometheus text             [any token]
    GET  /healthz, /openapi.json, /docs public (/docs: Swagger UI from the package, no network)

A stream is named by its name (``te/fault-01``) or its on-chain id (``0x`` +
keccak256 of the name) wherever a ``stream`` parameter is taken.

Ingestion scales and scores each window, computes its public statement
``(c, s)`` with an EZKL witness (no proof) and stores the scaled window (the
witness input) durably. A background chain worker then commits new windows to
the WindowLog in batches (both policies), and under the ``eager`` policy hands
every alarm window, proven at once, to the durable outbox, whose
sender records it in the AlertRegistry. Under ``lazy`` nothing is proven until
a regulator asks.

Proofs are made on a Dask cluster (:mod:`zkalert.cluster`), never in the web process: an
embedded one on this machine by default, or a plant's cluster by its scheduler's address. A
range's proofs are made at once, on as many workers as the cluster has; a window asked for by
two requests is proven once. A cluster that cannot be reached answers 503 (``Retry-After``);
the windows stay stored, to be proven when it is back.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from zkalert.config import Workspace
from zkalert.errors import (
    ChainError,
    CircuitError,
    ClusterError,
    ClusterUnavailable,
    ConfigError,
    WindowConflict,
    ZkAlertError,
)
from zkalert.evm import ids
from zkalert.evm.ids import STREAM_ID
from zkalert.keys import ANVIL_KEY_0, KeySettings, Signer, load_signer, signer_for
from zkalert.services.access import (
    TOKEN,
    BodyLimit,
    RateLimiter,
    TokenBook,
    charge,
    install_error_handlers,
    install_request_log,
    require,
)
from zkalert.services.docs import service_app
from zkalert.services.store import StoredWindow, WindowStore

if TYPE_CHECKING:
    from web3 import HTTPProvider

log = logging.getLogger("zkalert.utility")

POLICIES = ("lazy", "eager")
STREAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
MAX_WINDOWS_PER_POST = 256
MAX_WINDOW_INDEX = 2**63 - 1


@dataclass
class UtilityConfig:
    workdir: Path
    store: str  # SQLite path or postgresql:// URL
    tokens: Path
    rpc_url: str | None = None
    #: the gateway key: a signer, a raw key, or None for the environment's key settings
    key: Signer | str | None = None
    #: development chains besides 31337, 1337 and $ZKALERT_DEV_CHAINS (networks marked dev)
    dev_chains: tuple[int, ...] = ()
    policy: str = "lazy"
    commit: bool = True  # commit windows to the WindowLog (off: store and prove only)
    commit_batch: int = 32
    max_range: int = 16
    max_body_bytes: int = 2_000_000
    poll_s: float = 0.5
    outbox: Path | None = (
        None  # eager policy's outbox file (default <workdir>/outbox/utility.sqlite)
    )
    #: the Dask scheduler proofs are made on (None: an embedded cluster on this machine)
    cluster: str | None = None
    #: provers of the embedded cluster (None: one per core, as far as the memory holds them)
    prove_workers: int | None = None
    cluster_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ConfigError(f"policy must be one of {', '.join(POLICIES)}, got {self.policy!r}")
        if not 1 <= self.commit_batch <= 64:
            raise ConfigError(f"commit batch must be 1..64 windows, got {self.commit_batch}")
        if self.max_range < 1:
            raise ConfigError("max range must be at least 1 window")


def stream_ref(name_or_id: str) -> tuple[str | None, str]:
    """(name or None, 0x stream id) from a stream parameter."""
    if not STREAM_ID.fullmatch(name_or_id) and not STREAM_NAME.match(name_or_id):
        raise HTTPException(
            422,
            f"stream {name_or_id[:80]!r} is neither a 0x stream id nor a name of 1-128 letters, digits and ._:/-",
        )
    try:
        return ids.stream_ref(name_or_id)
    except ChainError as exc:
        raise HTTPException(422, str(exc)) from None


def felts_of(proof: dict[str, Any]) -> tuple[int, ...]:
    from zkalert.zk.prover import felt_hex_to_int

    return tuple(felt_hex_to_int(f) for group in proof["instances"] for f in group)


# ---------------------------------------------------------------------- the core


@dataclass
class WorkerStatus:
    running: bool = False
    commits: int = 0
    windows_committed: int = 0
    last_commit_tx: str | None = None
    last_commit_block: int | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    alerts_queued: int = 0
    alerts_confirmed: int = 0


@dataclass
class Counters:
    ingested: int = 0
    #: windows refused because the circuit cannot take them (no witness: no proof can exist)
    out_of_range: int = 0
    proofs_made: int = 0
    proofs_served: int = 0
    prove_s_total: float = 0.0
    started_at: float = field(default_factory=time.time)


class UtilityCore:
    """Detector, circuit, prover and store of one utility; shared by the API and the chain worker."""

    def __init__(self, config: UtilityConfig) -> None:
        from zkalert.detector.model import Detector
        from zkalert.zk.circuit import CircuitInfo

        self.config = config
        self.workspace = Workspace.at(config.workdir)
        self.detector = Detector.load(self.workspace)
        self.info = CircuitInfo.load(self.workspace)
        if self.info.width != self.detector.width:
            raise CircuitError(
                f"the detector in {self.workspace.root} takes {self.detector.width} values per window "
                f"but its compiled circuit {self.info.width}: run `zkalert compile` again"
            )
        if self.info.windows_per_proof != 1:
            raise CircuitError(
                f"the utility service proves one window per proof; {self.workspace.root} holds a {self.info.windows_per_proof}-window circuit"
            )
        for path in (self.workspace.vk, self.workspace.settings, Path(self.info.srs_path)):
            if not path.is_file():
                raise CircuitError(f"{path} is missing: run `zkalert compile` again")
        from eth_account import Account

        #: the configured key (checked for the chain when the worker connects; None: anvil's
        #: account 0, which only a development chain accepts)
        self.signer: Signer | None = (
            config.key
            if isinstance(config.key, Signer)
            else load_signer(KeySettings.from_env(), key=config.key)
        )
        #: the account that commits and submits: every window's statement is bound to it
        self.gateway: str = (
            self.signer.address if self.signer else Account.from_key(ANVIL_KEY_0).address
        )
        self.store = WindowStore.open(config.store)
        self.store.bind("model_id", self.info.model_id)
        self.store.bind("gateway", self.gateway)
        self.tokens = TokenBook.load(config.tokens)
        self.limiter = RateLimiter()
        self.counters = Counters()
        self.worker = WorkerStatus()
        # statements at ingestion: as many EZKL witnesses at once as there are cores
        self._witness_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
        self._prover: Any = None
        self.chain: dict[str, Any] = {}
        self._cluster: Any = None  # ProvingCluster, opened on the first proof (or by warm_up)
        self._cluster_lock = threading.Lock()
        #: proofs being made now, by window: a second request for one waits for the first's
        self._inflight: dict[tuple[str, int], Future[tuple[dict[str, Any], str]]] = {}
        self._inflight_lock = threading.Lock()

    def binding(self, stream_id: str, idx: int) -> Any:
        """What window ``idx`` of a stream is proven for: this utility's gateway, the stream, the index."""
        from zkalert.zk.statement import Binding

        return Binding(self.gateway, bytes.fromhex(stream_id[2:]), idx)

    @property
    def prover(self) -> Any:
        from zkalert.zk.prover import Prover

        if self._prover is None:
            self._prover = Prover(self.workspace)
        return self._prover

    # ------------------------------------------------------------------ ingestion

    def ingest(
        self, stream: str, stream_id: str, windows: list[tuple[int, list[float]]]
    ) -> list[StoredWindow]:
        from zkalert.data.loaders import check_matrix
        from zkalert.errors import DataError, WitnessOutOfRange

        indexes = [i for i, _ in windows]
        if any(b <= a for a, b in itertools.pairwise(indexes)):
            raise HTTPException(422, "window indexes must strictly increase within a request")
        last = self.store.last_index(stream_id)
        if last is not None and indexes[0] <= last:
            raise HTTPException(
                409,
                f"window {indexes[0]} of stream {stream!r} is not above the last stored window {last}: indexes must increase",
            )
        try:
            raw = check_matrix(
                [values for _, values in windows], self.detector.width, f"stream {stream!r}"
            )
        except DataError as exc:
            raise HTTPException(422, str(exc).replace(" at row ", " in window #")) from None
        scaled = self.detector.scale(raw)
        float_scores = self.detector.score_scaled(scaled)
        stored = []
        now = time.time()
        tag = stream_id[2:14]
        with self._witness_slots:
            for k, idx in enumerate(indexes):
                try:
                    instances = self.prover.statement_instances(
                        scaled[k : k + 1],
                        f"utility-{tag}-{idx}-statement",
                        self.binding(stream_id, idx),
                    )
                except WitnessOutOfRange as exc:
                    # no commitment can be made for it: refused whole, so the index stays a gap
                    # on-chain that the audit reports, and the gateway sends the rest again
                    self.counters.out_of_range += 1
                    raise HTTPException(
                        422,
                        f"window {idx} of stream {stream!r} cannot be proven, {exc}; "
                        "nothing of this request was stored",
                    ) from None
                stored.append(
                    StoredWindow(
                        stream_id=stream_id,
                        idx=idx,
                        stream=stream,
                        model_id=self.info.model_id,
                        received_at=now,
                        scaled=[float(v) for v in scaled[k]],
                        float_score=float(float_scores[k]),
                        input_commitment=instances[0],
                        score_felt=instances[1],
                        alarm=instances[1] >= self.info.threshold_felt,
                    )
                )
        try:
            self.store.add_windows(stored)
        except WindowConflict as exc:
            raise HTTPException(409, str(exc)) from None
        self.counters.ingested += len(stored)
        return stored

    # ------------------------------------------------------------------ proofs

    def proving(self) -> tuple[Any, Any]:
        """The proving cluster and this circuit's handle on it (opened on first use)."""
        from zkalert.cluster.backend import ProvingCluster

        with self._cluster_lock:
            if self._cluster is None:
                self._cluster = ProvingCluster.open(
                    self.config.cluster,
                    workspace=self.workspace,
                    workers=self.config.prove_workers,
                    timeout_s=self.config.cluster_timeout_s,
                )
                log.info("proving on %s", self._cluster.describe())
            return self._cluster, self._cluster.circuit(self.workspace)

    def warm_up(self) -> None:
        """Open the cluster and install the circuit on its workers before the first request."""
        from zkalert.errors import ZkAlertError

        try:
            self.proving()
        except ZkAlertError as exc:
            log.warning("proving cluster: %s (requests for proofs will try again)", exc)

    def close_proving(self) -> None:
        with self._cluster_lock:
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None

    def proofs_of(
        self, windows: list[StoredWindow]
    ) -> dict[int, tuple[dict[str, Any], bool, str | None] | HTTPException]:
        """Each window's EZKL proof JSON, whether it came from the store, and the worker that made
        it now; or why it cannot be proven. The windows not yet proven are proven at once on the
        cluster; one a concurrent request is proving already is waited for, not proven again."""
        from zkalert.cluster.worker import ProofJob

        out: dict[int, tuple[dict[str, Any], bool, str | None] | HTTPException] = {}
        mine: list[tuple[StoredWindow, Future[tuple[dict[str, Any], str]]]] = []
        theirs: list[tuple[StoredWindow, Future[tuple[dict[str, Any], str]]]] = []
        for window in windows:
            if window.proof is not None:
                out[window.idx] = (window.proof, True, None)
            elif window.scaled is None:
                out[window.idx] = HTTPException(
                    410,
                    f"window {window.idx} of stream {window.stream!r}: its inputs are no longer "
                    "stored, it cannot be proven",
                )
        todo = [w for w in windows if w.idx not in out]
        if not todo:
            return out
        cluster, handle = self.proving()
        with self._inflight_lock:
            for window in todo:
                key = (window.stream_id, window.idx)
                if key in self._inflight:
                    theirs.append((window, self._inflight[key]))
                    continue
                fresh = self.store.get(window.stream_id, window.idx)  # proven meanwhile?
                if fresh is not None and fresh.proof is not None:
                    out[window.idx] = (fresh.proof, True, None)
                    continue
                waiter: Future[tuple[dict[str, Any], str]] = Future()
                self._inflight[key] = waiter
                mine.append((window, waiter))
        submitted = []
        try:
            for window, waiter in mine:
                job = ProofJob(
                    np.asarray([window.scaled]),
                    f"utility-{window.stream_id[2:14]}-{window.idx}",
                    self.binding(window.stream_id, window.idx),
                    window.float_score or float("nan"),
                )
                submitted.append((window, waiter, job, cluster.submit(handle, job)))
            by_future = {future: (window, waiter, job) for window, waiter, job, future in submitted}
            for future in cluster.completed(list(by_future)):  # fetched as each is done
                window, waiter, job = by_future[future]
                try:
                    result = cluster.result(handle, job, future)
                    proof = self._keep(window, result)
                    waiter.set_result((proof, result.worker))
                    out[window.idx] = (proof, False, result.worker)
                except ClusterUnavailable:
                    raise  # the whole request: every window stays queued
                except (HTTPException, ZkAlertError) as exc:  # this window only
                    failed = (
                        exc
                        if isinstance(exc, HTTPException)
                        else HTTPException(503 if isinstance(exc, ClusterError) else 500, str(exc))
                    )
                    waiter.set_exception(failed)
                    out[window.idx] = failed
                finally:
                    future.release()
        except BaseException as exc:  # the cluster went away: every waiter hears it
            for _, waiter in mine:
                if not waiter.done():
                    waiter.set_exception(exc)
            raise
        finally:
            with self._inflight_lock:
                for window, _ in mine:
                    self._inflight.pop((window.stream_id, window.idx), None)
        for window, waiter in theirs:
            try:
                proof, _worker = waiter.result()
                out[window.idx] = (proof, True, None)
            except HTTPException as exc:
                out[window.idx] = exc
        return out

    def _keep(self, window: StoredWindow, result: Any) -> dict[str, Any]:
        """Check a new proof against the stored statement and store it."""
        proven = result.proven
        if proven.statement != (window.input_commitment, window.score_felt):
            # the stored statement and the proof disagree: never serve it (the circuit or keys changed under us)
            raise HTTPException(
                409,
                f"window {window.idx}: the new proof's statement differs from the stored one (circuit changed?)",
            )
        proof: dict[str, Any] = result.proof_json
        prove_s = result.witness_s + result.prove_s
        self.store.save_proof(window.stream_id, window.idx, proof, prove_s)
        self.counters.proofs_made += 1
        self.counters.prove_s_total += prove_s
        return proof

    def proof_of(self, window: StoredWindow) -> tuple[dict[str, Any], bool]:
        """The window's EZKL proof JSON (made now if not cached) and whether it came from the cache."""
        outcome = self.proofs_of([window])[window.idx]
        if isinstance(outcome, HTTPException):
            raise outcome
        return outcome[0], outcome[1]

    def proof_responses(self, windows: list[StoredWindow]) -> list[dict[str, Any] | HTTPException]:
        """Each window's proof response (its summary, the proof, cached, prove_s, the worker that
        made it now), or why it cannot be proven."""
        outcomes = self.proofs_of(windows)
        out: list[dict[str, Any] | HTTPException] = []
        for window in windows:
            outcome = outcomes[window.idx]
            if isinstance(outcome, HTTPException):
                out.append(outcome)
                continue
            proof, cached, worker = outcome
            self.counters.proofs_served += 1
            fresh = self.store.get(window.stream_id, window.idx) or window
            out.append(
                {
                    **fresh.summary(),
                    "proof": proof,
                    "cached": cached,
                    "prove_s": fresh.prove_s,
                    "prover": worker,
                }
            )
        return out

    def proof_response(self, window: StoredWindow) -> dict[str, Any]:
        response = self.proof_responses([window])[0]
        if isinstance(response, HTTPException):
            raise response
        return response

    # ------------------------------------------------------------------ model

    def model_summary(self) -> dict[str, Any]:
        def sha(path: Path) -> str:
            return hashlib.sha256(path.read_bytes()).hexdigest()

        return {
            "model_id": self.info.model_id,
            "threshold_felt": str(self.info.threshold_felt),
            "windows_per_proof": self.info.windows_per_proof,
            "width": self.info.width,
            "columns": list(self.detector.columns) if self.detector.columns else None,
            "logrows": self.info.logrows,
            "input_scale": self.info.input_scale,
            "output_scale": self.info.output_scale,
            "score_divisor": self.info.score_divisor,
            "srs_development_only": self.info.srs_development_only,
            "vk_sha256": sha(self.workspace.vk),
            "settings_sha256": sha(self.workspace.settings),
            "srs_sha256": sha(Path(self.info.srs_path)),
        }

    def status(self) -> dict[str, Any]:
        return {
            "service": "zkalert-utility",
            "policy": self.config.policy,
            "commit_windows": self.config.commit,
            "model_id": self.info.model_id,
            "store": {
                "backend": "postgresql" if self.store.postgres else "sqlite",
                "location": self.store.url,
                **self.store.counts(),
            },
            "chain": self.chain,
            "worker": self.worker.__dict__,
            "cluster": {
                **(self._cluster.status() if self._cluster is not None else {"connected": False}),
                "proofs_in_progress": len(self._inflight),
            },
            "proofs": {
                "made": self.counters.proofs_made,
                "served": self.counters.proofs_served,
                "prove_s_total": round(self.counters.prove_s_total, 3),
            },
            "ingested": self.counters.ingested,
            "out_of_range": self.counters.out_of_range,
            "rate_limited": self.limiter.refused,
            "uptime_s": round(time.time() - self.counters.started_at, 1),
        }


# ---------------------------------------------------------------------- chain worker


class ChainWorker(threading.Thread):
    """Commits stored windows to the WindowLog; under ``eager``, feeds alarms to the outbox's sender.

    One thread owns every transaction of the gateway key, so the commit and the
    alert transactions never race for a nonce.
    """

    def __init__(self, core: UtilityCore) -> None:
        super().__init__(name="zkalert-chain-worker", daemon=True)
        self.core = core
        self.stop_event = threading.Event()
        self._committer: Any = None
        self._sender: Any = None
        self._reconciled: set[str] = set()

    def _connect(self) -> None:
        from zkalert.evm.registry import Deployment
        from zkalert.evm.rpc import connect
        from zkalert.evm.windowlog import WindowCommitter, WindowLogDeployment

        config = self.core.config
        w3 = connect(config.rpc_url)
        chain_id = int(w3.eth.chain_id)
        signer = signer_for(chain_id, self.core.signer, config.dev_chains)
        self.core.store.bind("chain_id", str(chain_id))
        deployment = Deployment.load(chain_id)
        deployment.registry(w3)
        model = deployment.model(self.core.info.model_id)
        log_deployment = WindowLogDeployment.load(chain_id)
        self._committer = WindowCommitter(w3, log_deployment, signer)
        self.core.store.bind("gateway", self._committer.account.address)
        self.core.chain.update(
            {
                "chain_id": chain_id,
                "registry": deployment.registry_address,
                "window_log": log_deployment.address,
                "window_log_block": log_deployment.block,
                "verifier": model.verifier,
                "gateway": self._committer.account.address,
            }
        )
        if config.policy == "eager":
            from zkalert.gateway.networks import Network
            from zkalert.gateway.outbox import Outbox
            from zkalert.gateway.sender import Sender

            outbox_path = config.outbox or (self.core.workspace.root / "outbox" / "utility.sqlite")
            outbox = Outbox.open(
                outbox_path,
                chain_id=chain_id,
                registry=deployment.registry_address,
                gateway=self._committer.account.address,
            )
            network = Network(
                name="utility",
                # connect() builds an HTTPProvider; web3 types w3.provider as its base class
                rpc_url=config.rpc_url or str(cast("HTTPProvider", w3.provider).endpoint_uri),
                chain_id=chain_id,
            )
            self._sender = Sender(outbox, network, deployment, signer, w3=w3)
            self._sender.check_setup()
            self.core.chain["outbox"] = str(outbox_path)

    def run(self) -> None:
        self.core.worker.running = True
        backoff = self.core.config.poll_s
        while not self.stop_event.is_set():
            try:
                if self._committer is None:
                    self._connect()
                busy = self._commit_some()
                if self._sender is not None:
                    busy = self._eager_step() or busy
                self.core.worker.last_error = None
                backoff = self.core.config.poll_s
                if not busy:
                    self.stop_event.wait(self.core.config.poll_s)
            except Exception as exc:  # noqa: BLE001 - the worker must outlive a node outage; the status endpoint shows why it waits
                message = (
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
                )
                if message != self.core.worker.last_error:
                    log.warning("chain worker: %s (retrying)", message)
                self.core.worker.last_error = message
                self.core.worker.last_error_at = time.time()
                self._committer = (
                    None
                    if "no Ethereum node" in message or "Connection" in message
                    else self._committer
                )
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self.core.worker.running = False
        if self._sender is not None:
            self._sender.outbox.close()

    def _reconcile(self, stream_id: str) -> None:
        """After a crash between sending a commit and recording it: mark what the chain already holds."""
        from zkalert.evm.windowlog import fetch_windows

        committer = self._committer
        onchain = fetch_windows(
            committer.contract, committer.deployment.block, stream=bytes.fromhex(stream_id[2:])
        )
        for entry in onchain:
            window = self.core.store.get(stream_id, entry.window_index)
            if (
                window is not None
                and window.commit_block is None
                and int(entry.input_commitment, 16) == window.input_commitment
                and entry.score == window.score_felt
            ):
                self.core.store.mark_committed(
                    stream_id, [entry.window_index], entry.tx_hash, entry.block, entry.seq
                )
        self._reconciled.add(stream_id)

    def _commit_some(self) -> bool:
        if not self.core.config.commit:
            return False
        pending = self.core.store.uncommitted(self.core.config.commit_batch)
        if not pending:
            return False
        stream_id = pending[0].stream_id
        if stream_id not in self._reconciled:
            self._reconcile(stream_id)
            pending = [
                w
                for w in self.core.store.uncommitted(self.core.config.commit_batch)
                if w.stream_id == stream_id
            ]
            if not pending:
                return True
        last = self._committer.last_index(bytes.fromhex(stream_id[2:]))
        if last is not None and pending[0].idx <= last:
            raise ChainError(
                f"stream {pending[0].stream!r}: window {pending[0].idx} is not above the chain's last window {last} (another gateway or store?)"
            )
        receipt = self._committer.commit(
            bytes.fromhex(stream_id[2:]),
            self.core.info.model_id,
            [(w.idx, w.input_commitment, w.score_felt) for w in pending],
        )
        self.core.store.mark_committed(
            stream_id, [w.idx for w in pending], receipt.tx_hash, receipt.block, receipt.first_seq
        )
        status = self.core.worker
        status.commits += 1
        status.windows_committed += len(pending)
        status.last_commit_tx, status.last_commit_block = receipt.tx_hash, receipt.block
        log.info(
            "committed %d window(s) of %s in block %d (gas %d)",
            len(pending),
            pending[0].stream,
            receipt.block,
            receipt.gas_used,
        )
        return True

    def _eager_step(self) -> bool:
        """Eager policy: prove new alarm windows, queue them in the outbox, let the sender move them."""
        from zkalert.zk.prover import felt_hex_to_int

        sender = self._sender
        busy = False
        for window in self.core.store.alarms_to_submit(limit=4):
            proof, _ = self.core.proof_of(window)
            instances = tuple(felt_hex_to_int(f) for group in proof["instances"] for f in group)
            sender.outbox.enqueue_proven(
                window.stream,
                f"{window.stream_id}#{window.idx}",
                self.core.info.model_id,
                bytes.fromhex(proof["hex_proof"].removeprefix("0x")),
                instances,
                window.float_score or float("nan"),
                index=window.idx,
                commitment=self.core.info.commitment,
            )
            self.core.store.set_alert_state(window.stream_id, window.idx, "queued")
            self.core.worker.alerts_queued += 1
            busy = True
        if sender.outbox.done() and not busy:
            return False
        sender.step()
        for row in sender.outbox.rows("confirmed"):
            stream_id, _, idx = row.window_key.partition("#")
            stored = self.core.store.get(stream_id, int(idx))
            if stored is not None and stored.alert_state != "confirmed":
                self.core.store.set_alert_state(stream_id, int(idx), "confirmed")
                self.core.worker.alerts_confirmed += 1
        return True


# ---------------------------------------------------------------------- the API


class WindowIn(BaseModel):
    index: int = Field(
        ge=0,
        le=MAX_WINDOW_INDEX,
        description="The window's position in the stream (row or time step); must increase.",
    )
    values: list[float] = Field(
        min_length=1, max_length=4096, description="Raw sensor values, one per detector input."
    )


class IngestIn(BaseModel):
    windows: list[WindowIn] = Field(min_length=1, max_length=MAX_WINDOWS_PER_POST)


class WindowOut(BaseModel):
    stream: str
    stream_id: str
    window: int
    model_id: str
    input_commitment: str
    score: str
    alarm: bool
    committed: bool
    commit_tx: str | None
    commit_block: int | None
    commit_seq: int | None
    alert_state: str | None
    proven: bool
    inputs_stored: bool


class IngestOut(BaseModel):
    stored: int
    windows: list[WindowOut]


class ProofOut(WindowOut):
    proof: dict[str, Any] = Field(
        description="EZKL's proof JSON: hex_proof, instances (little-endian felts), pretty_public_inputs."
    )
    cached: bool
    prove_s: float | None
    prover: str | None = Field(
        None, description="The cluster worker that made the proof now (null: from the store)."
    )


class Unavailable(BaseModel):
    window: int
    error: str


class ProofsOut(BaseModel):
    proofs: list[ProofOut]
    missing: list[int] = Field(description="Indexes in the range the utility holds no window for.")
    unavailable: list[Unavailable] = Field(
        description="Windows held but not provable (e.g. inputs no longer stored)."
    )


StreamParam = Annotated[
    str, Query(min_length=1, max_length=130, description="Stream name or 0x stream id.")
]


def create_app(core: UtilityCore, start_worker: bool = True) -> FastAPI:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = ChainWorker(core) if start_worker else None
        if worker is not None:
            worker.start()
            # the proving cluster starts (or is dialled) beside the server, not on the first request
            threading.Thread(
                target=core.warm_up, name="zkalert-prover-warm-up", daemon=True
            ).start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop_event.set()
                worker.join(timeout=30)
            core.close_proving()
            core.store.close()

    app = service_app(
        title="zkalert utility service",
        version="0.1.0",
        description="An edge gateway's windows, their on-chain commitments and proofs made on request. "
        "Authenticate with `Authorization: Bearer <token>` (the Authorize button here); "
        'errors are JSON `{"error": "..."}`.',
        lifespan=lifespan,
    )
    app.state.tokens = core.tokens
    app.state.limiter = core.limiter
    app.state.core = core
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=core.config.max_body_bytes)
    install_request_log(
        app, core.store.log_request
    )  # added last: outermost, so refused bodies are logged too

    def known_stream(stream: str) -> tuple[str, str]:
        _, stream_id = stream_ref(stream)
        found = core.store.resolve_stream(stream_id)
        if found is None:
            raise HTTPException(
                404, f"unknown stream {stream!r}: the utility holds no window of it"
            )
        return found

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/v1/windows",
        response_model=IngestOut,
        tags=["ingest"],
        status_code=201,
        dependencies=[TOKEN],
    )
    def ingest(request: Request, body: IngestIn, stream: StreamParam) -> dict[str, Any]:
        """Store windows of a stream (raw units): scored, committed to (c, s), queued for the chain."""
        require(request, ("ingest",), cost=max(1.0, len(body.windows) / 32))
        name, stream_id = stream_ref(stream)
        if name is None:
            found = core.store.resolve_stream(stream_id)
            if found is None:
                raise HTTPException(422, "a new stream must be named, not given by id")
            name = found[0]
        stored = core.ingest(name, stream_id, [(w.index, w.values) for w in body.windows])
        return {"stored": len(stored), "windows": [w.summary() for w in stored]}

    @app.get("/v1/streams", tags=["windows"], dependencies=[TOKEN])
    def streams(request: Request) -> dict[str, Any]:
        require(request, ("regulator", "ingest"))
        return {"streams": core.store.streams()}

    @app.get("/v1/windows", response_model=list[WindowOut], tags=["windows"], dependencies=[TOKEN])
    def windows(
        request: Request,
        stream: StreamParam,
        first: Annotated[int | None, Query(ge=0, le=MAX_WINDOW_INDEX)] = None,
        last: Annotated[int | None, Query(ge=0, le=MAX_WINDOW_INDEX)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> list[dict[str, Any]]:
        """Windows of a stream: statement, alarm, commit and proof state (never the inputs)."""
        require(request, ("regulator",))
        _, stream_id = known_stream(stream)
        if first is not None and last is not None and last < first:
            raise HTTPException(422, f"last ({last}) is below first ({first})")
        return [w.summary() for w in core.store.windows(stream_id, first, last, limit)]

    @app.get("/v1/proof", response_model=ProofOut, tags=["proofs"], dependencies=[TOKEN])
    def proof(
        request: Request,
        stream: StreamParam,
        window: Annotated[int, Query(ge=0, le=MAX_WINDOW_INDEX)],
    ) -> dict[str, Any]:
        """The proof of one window, made now if it was never asked for."""
        require(request, ("regulator",))
        name, stream_id = known_stream(stream)
        stored = core.store.get(stream_id, window)
        if stored is None:
            raise HTTPException(404, f"stream {name!r} has no window {window} at the utility")
        return core.proof_response(stored)

    @app.get("/v1/proofs", response_model=ProofsOut, tags=["proofs"], dependencies=[TOKEN])
    def proofs(
        request: Request,
        stream: StreamParam,
        first: Annotated[int, Query(ge=0, le=MAX_WINDOW_INDEX)],
        last: Annotated[int, Query(ge=0, le=MAX_WINDOW_INDEX)],
    ) -> dict[str, Any]:
        """Proofs of every window in [first, last] (at most the service's max range)."""
        if last < first:
            raise HTTPException(422, f"last ({last}) is below first ({first})")
        if last - first + 1 > core.config.max_range:
            raise HTTPException(
                422,
                f"a range holds at most {core.config.max_range} windows, asked for {last - first + 1}",
            )
        token = require(request, ("regulator",))
        _, stream_id = known_stream(stream)
        held = core.store.windows(stream_id, first, last, core.config.max_range)
        charge(request, token, len(held) - 1)  # a range costs one unit per window held
        proofs, unavailable = [], []
        for w, response in zip(held, core.proof_responses(held)):
            if isinstance(
                response, HTTPException
            ):  # one window that cannot be proven does not sink the range
                unavailable.append({"window": w.idx, "error": str(response.detail)})
            else:
                proofs.append(response)
        return {
            "proofs": proofs,
            "missing": sorted(set(range(first, last + 1)) - {w.idx for w in held}),
            "unavailable": unavailable,
        }

    @app.get("/v1/model", tags=["model"], dependencies=[TOKEN])
    def model(request: Request) -> dict[str, Any]:
        require(request, ("regulator",))
        return {**core.model_summary(), "chain": core.chain}

    @app.get("/v1/model/vk", tags=["model"], response_class=Response, dependencies=[TOKEN])
    def model_vk(request: Request) -> Response:
        """The verifying key; keccak256 of these bytes is the on-chain model id."""
        require(request, ("regulator",))
        return Response(core.workspace.vk.read_bytes(), media_type="application/octet-stream")

    @app.get("/v1/model/settings", tags=["model"], dependencies=[TOKEN])
    def model_settings(request: Request) -> JSONResponse:
        require(request, ("regulator",))
        return JSONResponse(json.loads(core.workspace.settings.read_text()))

    @app.get("/v1/model/srs", tags=["model"], response_class=Response, dependencies=[TOKEN])
    def model_srs(request: Request) -> Response:
        """The KZG SRS the keys were made with (a development SRS unless a ceremony file was given)."""
        require(request, ("regulator",))
        return Response(
            Path(core.info.srs_path).read_bytes(), media_type="application/octet-stream"
        )

    @app.get("/v1/status", tags=["service"], dependencies=[TOKEN])
    def status(request: Request) -> dict[str, Any]:
        require(request, ("regulator", "ingest"))
        return core.status()

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse, dependencies=[TOKEN])
    def metrics(request: Request) -> str:
        """Prometheus text format."""
        require(request, ("regulator", "ingest"))
        counts = core.store.counts()
        lines = [
            "# TYPE zkalert_windows gauge",
            *(f'zkalert_windows{{state="{k}"}} {v}' for k, v in counts.items()),
            "# TYPE zkalert_proofs_made_total counter",
            f"zkalert_proofs_made_total {core.counters.proofs_made}",
            "# TYPE zkalert_proofs_served_total counter",
            f"zkalert_proofs_served_total {core.counters.proofs_served}",
            "# TYPE zkalert_prove_seconds_total counter",
            f"zkalert_prove_seconds_total {core.counters.prove_s_total:.3f}",
            "# TYPE zkalert_windows_out_of_range_total counter",
            f"zkalert_windows_out_of_range_total {core.counters.out_of_range}",
            "# TYPE zkalert_rate_limited_total counter",
            f"zkalert_rate_limited_total {core.limiter.refused}",
            "# TYPE zkalert_window_commits_total counter",
            f"zkalert_window_commits_total {core.worker.commits}",
            "# TYPE zkalert_requests_total counter",
            *(
                f'zkalert_requests_total{{status="{k}"}} {v}'
                for k, v in core.store.request_counts().items()
            ),
        ]
        return "\n".join(lines) + "\n"

    return app


def serve(config: UtilityConfig, host: str, port: int, log_level: str = "info") -> None:
    import uvicorn

    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    app = create_app(UtilityCore(config))
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
