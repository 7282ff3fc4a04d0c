"""Outbox: every window's way to the chain, recorded durably (SQLite, WAL).

A window moves through recorded states, each change one committed transaction
(``synchronous=FULL``), so a crash at any point resumes where it stopped:

    scored ──prove──> proven ──sign, record, broadcast──> sent ──receipt deep enough──> confirmed
                        ^                                   │
                        └── reverted, nonce taken, reorged ─┘          (refused: the registry
                                                                        rejects the proof itself)

An alert is identified by its stream and first window index (the index its
proof is bound to) and its *statements* ``keccak256(modelId, c, s)``, not by
the proof bytes: before sending, the sender asks the registry whether a proof
is already recorded from that index (``proofRecord``), and confirms the row
only if that record is this row's windows.
A signed transaction is written to the outbox *before* it is broadcast, so a
crash between the two leaves a transaction the sender rebroadcasts, never one
it forgets.

Every row carries a SHA-256 digest of its content. Opening an outbox checks
SQLite's integrity, the digests and each state's required fields, and that the
outbox belongs to this chain, registry and gateway; anything else refuses to
start with the row at fault named. No record is ever skipped silently.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from eth_abi import encode as abi_encode
from eth_utils import keccak

from zkalert.config import BN254_R, StrPath
from zkalert.data.loaders import FloatArray
from zkalert.errors import OutboxError, ZkAlertError
from zkalert.evm.ids import stream_id
from zkalert.zk.statement import SCHEMES, Binding, check_binding, split_statement

SCHEMA_VERSION = 2
STATES = ("scored", "proven", "sent", "confirmed", "refused")
TERMINAL = ("confirmed", "refused")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    window_key TEXT NOT NULL UNIQUE,
    window_index INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    window TEXT,
    float_score REAL,
    state TEXT NOT NULL,
    proof BLOB,
    instances TEXT,
    statements TEXT,
    nonce INTEGER,
    prev_hash TEXT,
    alert_hashes TEXT,
    tx_hash TEXT,
    block INTEGER,
    sends INTEGER NOT NULL DEFAULT 0,
    reverts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    updated_at REAL NOT NULL,
    digest TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, id);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id),
    nonce INTEGER NOT NULL,
    tx_hash TEXT NOT NULL,  -- not unique: a requeued row may sign the very same transaction again
    raw_tx BLOB NOT NULL,
    gas INTEGER NOT NULL,
    max_fee INTEGER,
    priority_fee INTEGER,
    gas_price INTEGER,
    sent_at REAL NOT NULL,
    live INTEGER NOT NULL,
    digest TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_alert ON attempts (alert_id, live);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    alert_id INTEGER,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""

# content columns covered by a row's digest, in digest order
_ALERT_COLUMNS = (
    "stream",
    "window_key",
    "window_index",
    "model_id",
    "window",
    "float_score",
    "state",
    "proof",
    "instances",
    "statements",
    "nonce",
    "prev_hash",
    "alert_hashes",
    "tx_hash",
    "block",
    "sends",
    "reverts",
    "error",
)
_ATTEMPT_COLUMNS = (
    "alert_id",
    "nonce",
    "tx_hash",
    "raw_tx",
    "gas",
    "max_fee",
    "priority_fee",
    "gas_price",
    "sent_at",
    "live",
)


def statement_of(model_id: str, input_commitment: int, score: int) -> bytes:
    """What one window's proof states: ``keccak256(abi.encode(modelId, c, s))``."""
    return keccak(
        abi_encode(
            ["bytes32", "uint256", "uint256"],
            [bytes.fromhex(model_id.removeprefix("0x")), input_commitment, score],
        )
    )


def statements_of(
    model_id: str, instances: tuple[int, ...], proof: bytes = b"", commitment: str = "poseidon"
) -> tuple[bytes, ...]:
    """One statement per window: ``[c_1..c_B, s_1..s_B]`` (Poseidon), or ``[s_1..s_B]`` with the
    commitments read from the proof's G1 points (KZG)."""
    commitments, scores = split_statement(instances, proof, commitment)
    return tuple(statement_of(model_id, c, s) for c, s in zip(commitments, scores))


def commitment_of_statements(
    model_id: str, proof: bytes, instances: tuple[int, ...], statements: tuple[bytes, ...]
) -> str | None:
    """The commitment scheme under which (proof, instances) give exactly ``statements``; None if none does.

    The outbox stores the statements the prover's scheme gave (no column for the scheme); the two
    schemes cannot give the same statements.
    """
    for scheme in SCHEMES:
        try:
            if statements_of(model_id, instances, proof, scheme) == statements:
                return scheme
        except ZkAlertError:
            continue
    return None


def _digest(values: list[Any]) -> str:
    h = hashlib.sha256()
    for value in values:
        if value is None:
            h.update(b"\x00")
        elif isinstance(value, bytes):
            h.update(b"\x01" + len(value).to_bytes(8, "big") + value)
        else:
            text = repr(value).encode()
            h.update(b"\x02" + len(text).to_bytes(8, "big") + text)
    return h.hexdigest()


@dataclass(frozen=True)
class OutboxRow:
    id: int
    stream: str
    window_key: str
    #: The first window's index in its stream: the proof is bound to it (and the windows after it).
    window_index: int
    model_id: str
    window: FloatArray | None
    float_score: float
    state: str
    proof: bytes | None
    instances: tuple[int, ...] | None
    statements: tuple[bytes, ...] | None
    nonce: int | None
    prev_hash: bytes | None
    alert_hashes: tuple[bytes, ...] | None
    tx_hash: str | None
    block: int | None
    sends: int
    reverts: int
    error: str | None
    updated_at: float

    @property
    def stream_id(self) -> bytes:
        return stream_id(self.stream)

    @property
    def windows(self) -> int:
        return len(self.statements) if self.statements else 0

    def statement_parts(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """``(commitments, scores)`` of a proven row, whichever scheme its proof commits with."""
        assert self.proof is not None and self.instances is not None and self.statements is not None
        scheme = commitment_of_statements(
            self.model_id, self.proof, self.instances, self.statements
        )
        if scheme is None:
            raise OutboxError(f"row {self.id}: its statements do not match its proof and instances")
        return split_statement(self.instances, self.proof, scheme)

    @property
    def head(self) -> bytes | None:
        """The alert hash of this row's last window (the stream head right after it)."""
        return self.alert_hashes[-1] if self.alert_hashes else None


@dataclass(frozen=True)
class Attempt:
    id: int
    alert_id: int
    nonce: int
    tx_hash: str
    raw_tx: bytes
    gas: int
    max_fee: int | None
    priority_fee: int | None
    gas_price: int | None
    sent_at: float
    live: bool


def _hexes(values: tuple[bytes, ...] | None) -> str | None:
    return None if values is None else json.dumps(["0x" + v.hex() for v in values])


def _unhexes(text: str | None) -> tuple[bytes, ...] | None:
    return (
        None
        if text is None
        else tuple(bytes.fromhex(v.removeprefix("0x")) for v in json.loads(text))
    )


def default_outbox_path(workspace_root: StrPath, network_name: str) -> Path:
    """``<workspace>/outbox/<network>.sqlite``: a workspace keeps one outbox per network."""
    return Path(workspace_root) / "outbox" / f"{network_name}.sqlite"


class Outbox:
    """One gateway's outbox file. Open it with :meth:`open`; one process at a time."""

    def __init__(self, path: Path, db: sqlite3.Connection, lock_fd: int | None) -> None:
        self.path = path
        self._db = db
        self._lock_fd = lock_fd

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        path: StrPath,
        *,
        chain_id: int | None = None,
        registry: str | None = None,
        gateway: str | None = None,
        readonly: bool = False,
    ) -> Outbox:
        """Open (creating if needed) and check the whole file; bind it to chain/registry/gateway on first use."""
        path = Path(path)
        lock_fd = None
        if not readonly:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(lock_fd, 32).decode(errors="replace").strip() or "?"
                os.close(lock_fd)
                raise OutboxError(
                    f"outbox {path} is in use by another gateway process (pid {holder}): one process per outbox"
                ) from None
            os.ftruncate(lock_fd, 0)
            os.write(lock_fd, str(os.getpid()).encode())
        elif not path.is_file():
            raise OutboxError(f"no outbox at {path}")
        try:
            uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
            db = sqlite3.connect(
                uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False
            )
            db.row_factory = sqlite3.Row
            if not readonly:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
            outbox = cls(path, db, lock_fd)
            outbox._check_integrity()
            if not readonly:
                db.executescript(_SCHEMA)
                outbox._bind(chain_id, registry, gateway)
            outbox.verify()
            return outbox
        except sqlite3.DatabaseError as exc:
            if lock_fd is not None:
                os.close(lock_fd)
            raise OutboxError(
                f"outbox {path} is not a readable SQLite database ({exc}): refusing to start; move it aside or restore it"
            ) from None
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise

    def close(self) -> None:
        self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_integrity(self) -> None:
        result = [r[0] for r in self._db.execute("PRAGMA quick_check").fetchall()]
        if result != ["ok"]:
            raise OutboxError(
                f"outbox {self.path} failed SQLite's integrity check ({'; '.join(result[:3])}): refusing to start"
            )

    def _meta(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._db.execute("SELECT key, value FROM meta")}

    def _bind(self, chain_id: int | None, registry: str | None, gateway: str | None) -> None:
        meta = self._meta()
        version = meta.get("schema_version")
        if version is not None and version != str(SCHEMA_VERSION):
            raise OutboxError(
                f"outbox {self.path} has schema version {version}, this zkalert reads {SCHEMA_VERSION}"
            )
        wanted = {"schema_version": str(SCHEMA_VERSION)}
        if chain_id is not None:
            wanted["chain_id"] = str(chain_id)
        if registry is not None:
            wanted["registry"] = registry.lower()
        if gateway is not None:
            wanted["gateway"] = gateway.lower()
        for key, value in wanted.items():
            if key in meta and meta[key] != value:
                raise OutboxError(
                    f"outbox {self.path} belongs to {key} {meta[key]}, not {value}: refusing to start "
                    "(use a separate outbox per chain, registry and gateway key)"
                )
        with self._tx():
            for key, value in wanted.items():
                self._db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value)
                )

    def meta(self) -> dict[str, str]:
        return self._meta()

    # ------------------------------------------------------------------ checking

    def verify(self) -> None:
        """Check every row; raise :class:`OutboxError` naming the first bad one."""
        try:
            # one read transaction: rows and attempts from the same snapshot, even while the
            # worker commits (a reader's check must not see a row and its attempts half-way)
            self._db.execute("BEGIN")
            try:
                rows = self._db.execute("SELECT * FROM alerts ORDER BY id").fetchall()
                attempts = self._db.execute("SELECT * FROM attempts ORDER BY id").fetchall()
            finally:
                self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise OutboxError(f"outbox {self.path} is not a zkalert outbox ({exc})") from None
        live_nonces: dict[int, set[int]] = {}
        for raw in attempts:
            if _digest([raw[c] for c in _ATTEMPT_COLUMNS]) != raw["digest"]:
                raise self._corrupt(
                    raw["alert_id"],
                    None,
                    f"transaction attempt {raw['id']} does not match its digest",
                )
            if raw["live"]:
                live_nonces.setdefault(raw["alert_id"], set()).add(int(raw["nonce"]))
        for raw in rows:
            self._verify_row(raw, live_nonces.pop(raw["id"], set()))
        if live_nonces:
            orphan = min(live_nonces)
            raise self._corrupt(
                orphan, None, "live transaction attempts for a row that does not exist"
            )

    def _corrupt(self, alert_id: int | None, key: str | None, what: str) -> OutboxError:
        where = f"row {alert_id}" + (f" ({key})" if key else "")
        return OutboxError(
            f"outbox {self.path}: {where} is corrupted: {what}. Refusing to start; nothing was sent from it. "
            "Restore the file from a backup or move it aside (the chain keeps what was recorded)."
        )

    def _verify_row(self, raw: sqlite3.Row, live_nonces: set[int]) -> None:
        key = raw["window_key"]

        def fail(what: str) -> OutboxError:
            return self._corrupt(raw["id"], key, what)

        if _digest([raw[c] for c in _ALERT_COLUMNS]) != raw["digest"]:
            raise fail("its content does not match its digest")
        state = raw["state"]
        if state not in STATES:
            raise fail(f"unknown state {state!r}")
        try:
            row = self._row(raw)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise fail(f"unreadable field ({exc})") from None
        if len(row.model_id) != 66:
            raise fail(f"model id {row.model_id!r} is not 32 bytes")
        if state == "scored" and row.window is None:
            raise fail("a scored row without its window")
        if state in ("proven", "sent", "confirmed"):
            if row.proof is None or not row.instances or not row.statements:
                raise fail(f"a {state} row without a proof, instances and statements")
            if any(not 0 <= v < BN254_R for v in row.instances):
                raise fail("an instance outside the BN254 scalar field")
            if (
                commitment_of_statements(row.model_id, row.proof, row.instances, row.statements)
                is None
            ):
                raise fail("its statements do not match its instances")
        if state == "sent":
            if row.nonce is None or live_nonces != {row.nonce}:
                raise fail(
                    f"a sent row whose live transactions (nonces {sorted(live_nonces)}) do not match its nonce {row.nonce}"
                )
        elif live_nonces:
            raise fail(f"a {state} row with live transactions")
        if state == "confirmed" and (
            row.alert_hashes is None or len(row.alert_hashes) != row.windows
        ):
            raise fail("a confirmed row without one alert hash per window")
        if state == "refused" and not row.error:
            raise fail("a refused row without the reason")

    def _check_bound(
        self,
        window_key: str,
        stream: str,
        index: int,
        proof: bytes,
        instances: tuple[int, ...],
        commitment: str,
    ) -> None:
        """A proof bound to another gateway, stream or index than this outbox's row is refused here,
        not by the registry after it was queued."""
        gateway = self._meta().get("gateway")
        if gateway is None:
            return
        try:
            check_binding(instances, proof, commitment, Binding(gateway, stream_id(stream), index))
        except ZkAlertError as exc:
            raise OutboxError(f"window {window_key!r}: {exc}") from None

    @staticmethod
    def _row(raw: sqlite3.Row) -> OutboxRow:
        window = None
        if raw["window"] is not None:
            window = np.asarray(json.loads(raw["window"]), dtype=np.float64)
            if window.ndim != 2:
                raise ValueError("window is not a matrix")
        instances = (
            tuple(int(v) for v in json.loads(raw["instances"]))
            if raw["instances"] is not None
            else None
        )
        return OutboxRow(
            id=int(raw["id"]),
            stream=raw["stream"],
            window_key=raw["window_key"],
            window_index=int(raw["window_index"]),
            model_id=raw["model_id"],
            window=window,
            float_score=float(raw["float_score"]) if raw["float_score"] is not None else math.nan,
            state=raw["state"],
            proof=bytes(raw["proof"]) if raw["proof"] is not None else None,
            instances=instances,
            statements=_unhexes(raw["statements"]),
            nonce=raw["nonce"],
            prev_hash=bytes.fromhex(raw["prev_hash"][2:]) if raw["prev_hash"] else None,
            alert_hashes=_unhexes(raw["alert_hashes"]),
            tx_hash=raw["tx_hash"],
            block=raw["block"],
            sends=int(raw["sends"]),
            reverts=int(raw["reverts"]),
            error=raw["error"],
            updated_at=float(raw["updated_at"]),
        )

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _write(
        self, alert_id: int, changes: dict[str, Any], event: tuple[str, str] | None = None
    ) -> OutboxRow:
        """Apply ``changes`` to one row (and its digest) in one committed transaction."""
        with self._tx():
            return self._write_in_tx(alert_id, changes, event)

    def _write_in_tx(
        self, alert_id: int, changes: dict[str, Any], event: tuple[str, str] | None = None
    ) -> OutboxRow:
        raw = self._db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if raw is None:
            raise OutboxError(f"outbox {self.path}: no row {alert_id}")
        values = {c: raw[c] for c in _ALERT_COLUMNS} | changes
        values["updated_at"] = time.time()
        values["digest"] = _digest([values[c] for c in _ALERT_COLUMNS])
        assignments = ", ".join(f"{c} = ?" for c in values)
        self._db.execute(
            f"UPDATE alerts SET {assignments} WHERE id = ?", (*values.values(), alert_id)
        )
        if event is not None:
            self._event(alert_id, *event)
        return self._row(
            self._db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        )

    def _event(self, alert_id: int | None, kind: str, detail: str) -> None:
        self._db.execute(
            "INSERT INTO events (at, alert_id, kind, detail) VALUES (?, ?, ?, ?)",
            (time.time(), alert_id, kind, detail),
        )

    def event(self, alert_id: int | None, kind: str, detail: str = "") -> None:
        with self._tx():
            self._event(alert_id, kind, detail)

    def _insert(self, values: dict[str, Any]) -> int:
        values = {c: values.get(c) for c in _ALERT_COLUMNS} | {"sends": 0, "reverts": 0}
        values["updated_at"] = time.time()
        values["digest"] = _digest([values[c] for c in _ALERT_COLUMNS])
        with self._tx():
            existing = self._db.execute(
                "SELECT * FROM alerts WHERE window_key = ?", (values["window_key"],)
            ).fetchone()
            if existing is not None:
                same = all(
                    existing[c] == values[c]
                    for c in ("stream", "window_index", "model_id", "window", "proof", "instances")
                )
                if not same:
                    raise OutboxError(
                        f"window {values['window_key']!r} is already in the outbox (row {existing['id']}) with other content"
                    )
                return int(existing["id"])
            last = self._db.execute(
                "SELECT MAX(window_index) FROM alerts WHERE stream = ?", (values["stream"],)
            ).fetchone()[0]
            if last is not None and values["window_index"] <= last:
                raise OutboxError(
                    f"window {values['window_key']!r}: index {values['window_index']} does not follow index {last} "
                    f"already queued for stream {values['stream']!r} (indexes increase within a stream)"
                )
            cursor = self._db.execute(
                f"INSERT INTO alerts ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )
            alert_id = int(cursor.lastrowid or 0)
            self._event(alert_id, values["state"], values["window_key"])
            return alert_id

    def enqueue(
        self,
        stream: str,
        window_key: str,
        model_id: str,
        window: FloatArray,
        float_score: float = math.nan,
        *,
        index: int,
    ) -> int:
        """Record a scored window (idempotent by ``window_key``) whose first window has ``index`` in
        its stream; its row id is its place in the stream."""
        matrix = np.asarray(window, dtype=np.float64)
        if matrix.ndim != 2 or not np.all(np.isfinite(matrix)):
            raise OutboxError(f"window {window_key!r}: expected a finite (windows x width) matrix")
        _check_index(window_key, index)
        return self._insert(
            {
                "stream": stream,
                "window_key": window_key,
                "window_index": int(index),
                "model_id": model_id.lower(),
                "window": json.dumps(matrix.tolist()),
                "float_score": None if math.isnan(float_score) else float(float_score),
                "state": "scored",
            }
        )

    def enqueue_proven(
        self,
        stream: str,
        window_key: str,
        model_id: str,
        proof: bytes,
        instances: tuple[int, ...],
        float_score: float = math.nan,
        commitment: str = "poseidon",
        *,
        index: int,
    ) -> int:
        """Record an already proven window (e.g. a proof file made by `zkalert prove`) bound to
        ``index`` in ``stream``; ``commitment`` is how its circuit commits to the windows ("poseidon"
        or "kzg")."""
        model_id = model_id.lower()
        _check_index(window_key, index)
        statements = _checked_statements(
            window_key, model_id, bytes(proof), tuple(instances), commitment
        )
        self._check_bound(window_key, stream, index, bytes(proof), tuple(instances), commitment)
        return self._insert(
            {
                "stream": stream,
                "window_key": window_key,
                "window_index": int(index),
                "model_id": model_id,
                "float_score": None if math.isnan(float_score) else float(float_score),
                "state": "proven",
                "proof": bytes(proof),
                "instances": json.dumps([str(v) for v in instances]),
                "statements": _hexes(statements),
            }
        )

    def mark_proven(
        self, alert_id: int, proof: bytes, instances: tuple[int, ...], commitment: str = "poseidon"
    ) -> OutboxRow:
        row = self.get(alert_id)
        if row.state != "scored":
            raise OutboxError(f"row {alert_id} is {row.state}, not scored")
        statements = _checked_statements(
            row.window_key, row.model_id, bytes(proof), tuple(instances), commitment
        )
        self._check_bound(
            row.window_key, row.stream, row.window_index, bytes(proof), tuple(instances), commitment
        )
        return self._write(
            alert_id,
            {
                "state": "proven",
                "proof": bytes(proof),
                "instances": json.dumps([str(v) for v in instances]),
                "statements": _hexes(statements),
            },
            ("proven", f"{len(proof)} proof bytes"),
        )

    def record_attempt(
        self,
        alert_id: int,
        nonce: int,
        tx_hash: str,
        raw_tx: bytes,
        gas: int,
        prev_hash: bytes,
        predicted_hashes: tuple[bytes, ...],
        max_fee: int | None,
        priority_fee: int | None,
        gas_price: int | None,
        replacing: bool = False,
    ) -> OutboxRow:
        """Write a signed transaction *before* it is broadcast; the row becomes (or stays) sent."""
        row = self.get(alert_id)
        if replacing:
            if row.state != "sent" or row.nonce != nonce:
                raise OutboxError(
                    f"row {alert_id}: a replacement must reuse the sent nonce {row.nonce}, got {nonce}"
                )
        elif row.state != "proven":
            raise OutboxError(f"row {alert_id} is {row.state}, not proven")
        values = {
            "alert_id": alert_id,
            "nonce": nonce,
            "tx_hash": tx_hash,
            "raw_tx": bytes(raw_tx),
            "gas": gas,
            "max_fee": max_fee,
            "priority_fee": priority_fee,
            "gas_price": gas_price,
            "sent_at": time.time(),
            "live": 1,
        }
        digest = _digest([values[c] for c in _ATTEMPT_COLUMNS])
        changes: dict[str, Any] = {"state": "sent", "nonce": nonce, "sends": row.sends + 1}
        if not replacing:
            changes |= {
                "prev_hash": "0x" + prev_hash.hex(),
                "alert_hashes": _hexes(predicted_hashes),
                "tx_hash": None,
                "block": None,
            }
        with self._tx():  # the attempt and the row's new state commit together
            self._db.execute(
                f"INSERT INTO attempts ({', '.join(values)}, digest) VALUES ({', '.join('?' for _ in values)}, ?)",
                (*values.values(), digest),
            )
            return self._write_in_tx(
                alert_id,
                changes,
                ("replaced" if replacing else "sent", f"nonce {nonce} tx {tx_hash}"),
            )

    def live_attempts(self, alert_id: int) -> list[Attempt]:
        return [
            self._attempt(r)
            for r in self._db.execute(
                "SELECT * FROM attempts WHERE alert_id = ? AND live = 1 ORDER BY id", (alert_id,)
            )
        ]

    def all_live_attempts(self) -> list[Attempt]:
        return [
            self._attempt(r)
            for r in self._db.execute("SELECT * FROM attempts WHERE live = 1 ORDER BY id")
        ]

    @staticmethod
    def _attempt(raw: sqlite3.Row) -> Attempt:
        return Attempt(
            int(raw["id"]),
            int(raw["alert_id"]),
            int(raw["nonce"]),
            raw["tx_hash"],
            bytes(raw["raw_tx"]),
            int(raw["gas"]),
            raw["max_fee"],
            raw["priority_fee"],
            raw["gas_price"],
            float(raw["sent_at"]),
            bool(raw["live"]),
        )

    def touch_attempt(self, attempt_id: int) -> None:
        """Restart an attempt's stuck clock (after a rebroadcast)."""
        with self._tx():
            raw = self._db.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
            values = {c: raw[c] for c in _ATTEMPT_COLUMNS} | {"sent_at": time.time()}
            self._db.execute(
                "UPDATE attempts SET sent_at = ?, digest = ? WHERE id = ?",
                (values["sent_at"], _digest([values[c] for c in _ATTEMPT_COLUMNS]), attempt_id),
            )

    def mark_mined(self, alert_id: int, tx_hash: str | None, block: int | None) -> OutboxRow:
        return self._write(alert_id, {"tx_hash": tx_hash, "block": block})

    def mark_confirmed(
        self,
        alert_id: int,
        alert_hashes: tuple[bytes, ...],
        tx_hash: str | None,
        block: int | None,
        how: str,
    ) -> OutboxRow:
        row = self.get(alert_id)
        if row.state not in ("proven", "sent", "confirmed"):
            raise OutboxError(
                f"row {alert_id} is {row.state}; only proven or sent rows can be confirmed"
            )
        with self._tx():
            self._retire_attempts(alert_id)
            return self._write_in_tx(
                alert_id,
                {
                    "state": "confirmed",
                    "alert_hashes": _hexes(alert_hashes),
                    "tx_hash": tx_hash,
                    "block": block,
                    "error": None,
                },
                ("confirmed", how),
            )

    def requeue(self, alert_id: int, reason: str, reverted: bool = False) -> OutboxRow:
        """Back to proven: its transactions are dead (reverted, reorged out, nonce taken) or its record vanished."""
        row = self.get(alert_id)
        if row.state not in ("sent", "confirmed"):
            raise OutboxError(
                f"row {alert_id} is {row.state}; only sent or confirmed rows are requeued"
            )
        with self._tx():
            self._retire_attempts(alert_id)
            return self._write_in_tx(
                alert_id,
                {
                    "state": "proven",
                    "nonce": None,
                    "prev_hash": None,
                    "alert_hashes": None,
                    "tx_hash": None,
                    "block": None,
                    "reverts": row.reverts + (1 if reverted else 0),
                    "error": reason,
                },
                ("requeued", reason),
            )

    def _retire_attempts(self, alert_id: int) -> None:
        """Inside a transaction: the row's transactions no longer count (kept for the audit trail)."""
        for raw in self._db.execute(
            "SELECT * FROM attempts WHERE alert_id = ? AND live = 1", (alert_id,)
        ).fetchall():
            values = {c: raw[c] for c in _ATTEMPT_COLUMNS} | {"live": 0}
            self._db.execute(
                "UPDATE attempts SET live = 0, digest = ? WHERE id = ?",
                (_digest([values[c] for c in _ATTEMPT_COLUMNS]), raw["id"]),
            )

    def mark_refused(self, alert_id: int, reason: str) -> OutboxRow:
        return self._write(alert_id, {"state": "refused", "error": reason}, ("refused", reason))

    # ------------------------------------------------------------------ reading

    def get(self, alert_id: int) -> OutboxRow:
        raw = self._db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        if raw is None:
            raise OutboxError(f"outbox {self.path}: no row {alert_id}")
        return self._row(raw)

    def rows(self, state: str | None = None, stream: str | None = None) -> list[OutboxRow]:
        query, args = "SELECT * FROM alerts", []
        clauses = []
        if state is not None:
            clauses.append("state = ?")
            args.append(state)
        if stream is not None:
            clauses.append("stream = ?")
            args.append(stream)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        return [self._row(r) for r in self._db.execute(query + " ORDER BY id", args)]

    def counts(self) -> dict[str, int]:
        found = dict(
            self._db.execute("SELECT state, COUNT(*) FROM alerts GROUP BY state").fetchall()
        )
        return {state: int(found.get(state, 0)) for state in STATES}

    def event_counts(self) -> dict[str, int]:
        return {
            k: int(n)
            for k, n in self._db.execute(
                "SELECT kind, COUNT(*) FROM events GROUP BY kind ORDER BY kind"
            )
        }

    def events(self, alert_id: int | None = None) -> list[tuple[float, int | None, str, str]]:
        if alert_id is None:
            return [
                tuple(r)
                for r in self._db.execute(
                    "SELECT at, alert_id, kind, detail FROM events ORDER BY id"
                )
            ]
        return [
            tuple(r)
            for r in self._db.execute(
                "SELECT at, alert_id, kind, detail FROM events WHERE alert_id = ? ORDER BY id",
                (alert_id,),
            )
        ]

    def done(self) -> bool:
        return all(n == 0 for state, n in self.counts().items() if state not in TERMINAL)


def _check_index(window_key: str, index: int) -> None:
    if not isinstance(index, (int, np.integer)) or not 0 <= index < 2**64:
        raise OutboxError(
            f"window {window_key!r}: window index {index!r} is not an integer in 0..2^64-1"
        )


def _checked_statements(
    window_key: str, model_id: str, proof: bytes, instances: tuple[int, ...], commitment: str
) -> tuple[bytes, ...]:
    if not instances:
        raise OutboxError(f"window {window_key!r}: a proof without public instances")
    for i, value in enumerate(instances):
        if not 0 <= int(value) < BN254_R:
            raise OutboxError(
                f"window {window_key!r}: instance {i} is not a canonical BN254 field element"
            )
    try:
        return statements_of(model_id, instances, proof, commitment)
    except ZkAlertError as exc:
        raise OutboxError(f"window {window_key!r}: {exc}") from None
