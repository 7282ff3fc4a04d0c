"""The utility's durable window store: every window's witness input, score, commitment and proof.

SQLite (WAL, ``synchronous=FULL``) by default; a ``postgresql://`` URL selects
PostgreSQL (psycopg 3). One table of windows keyed by ``(stream_id, idx)``, one
of served requests (the access log), one of settings. The same SQL runs on
both; only placeholders and the auto-increment column differ.

A window is written once, at ingestion, with what proving it later needs (the
scaled window, i.e. the witness input) and its public statement ``(c, s)``;
commit and proof columns are filled as they happen. Indexes of a stream must
increase, as on-chain.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkalert.config import StrPath
from zkalert.errors import StoreError, WindowConflict

SCHEMA_VERSION = "1"


def _schema(postgres: bool) -> list[str]:
    serial = "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY"
    return [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS windows (
            stream_id TEXT NOT NULL,
            idx BIGINT NOT NULL,
            stream TEXT NOT NULL,
            model_id TEXT NOT NULL,
            received_at DOUBLE PRECISION NOT NULL,
            scaled TEXT,
            float_score DOUBLE PRECISION,
            input_commitment TEXT NOT NULL,
            score_felt TEXT NOT NULL,
            alarm INTEGER NOT NULL,
            commit_tx TEXT,
            commit_block BIGINT,
            commit_seq BIGINT,
            alert_state TEXT,
            proof TEXT,
            prove_s DOUBLE PRECISION,
            proved_at DOUBLE PRECISION,
            PRIMARY KEY (stream_id, idx)
        )""",
        "CREATE INDEX IF NOT EXISTS windows_uncommitted ON windows (commit_block, stream_id, idx)",
        f"""CREATE TABLE IF NOT EXISTS requests (
            id {serial},
            at DOUBLE PRECISION NOT NULL,
            token TEXT,
            client TEXT,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            query TEXT,
            status INTEGER NOT NULL,
            duration_ms DOUBLE PRECISION NOT NULL,
            detail TEXT
        )""",
    ]


@dataclass(frozen=True)
class StoredWindow:
    stream_id: str
    idx: int
    stream: str
    model_id: str
    received_at: float
    scaled: list[float] | None
    float_score: float | None
    input_commitment: int
    score_felt: int
    alarm: bool
    commit_tx: str | None = None
    commit_block: int | None = None
    commit_seq: int | None = None
    alert_state: str | None = None
    proof: dict[str, Any] | None = None
    prove_s: float | None = None
    proved_at: float | None = None

    def summary(self) -> dict[str, Any]:
        """What the window list shows: never the inputs, never the proof."""
        return {
            "stream": self.stream,
            "stream_id": self.stream_id,
            "window": self.idx,
            "model_id": self.model_id,
            "input_commitment": f"0x{self.input_commitment:064x}",
            "score": str(self.score_felt),
            "alarm": self.alarm,
            "committed": self.commit_block is not None,
            "commit_tx": self.commit_tx,
            "commit_block": self.commit_block,
            "commit_seq": self.commit_seq,
            "alert_state": self.alert_state,
            "proven": self.proof is not None,
            "inputs_stored": self.scaled is not None,
        }


_COLUMNS = (
    "stream_id",
    "idx",
    "stream",
    "model_id",
    "received_at",
    "scaled",
    "float_score",
    "input_commitment",
    "score_felt",
    "alarm",
    "commit_tx",
    "commit_block",
    "commit_seq",
    "alert_state",
    "proof",
    "prove_s",
    "proved_at",
)


def _window(row: dict[str, Any]) -> StoredWindow:
    return StoredWindow(
        stream_id=row["stream_id"],
        idx=int(row["idx"]),
        stream=row["stream"],
        model_id=row["model_id"],
        received_at=float(row["received_at"]),
        scaled=json.loads(row["scaled"]) if row["scaled"] is not None else None,
        float_score=row["float_score"],
        input_commitment=int(row["input_commitment"], 16),
        score_felt=int(row["score_felt"]),
        alarm=bool(row["alarm"]),
        commit_tx=row["commit_tx"],
        commit_block=None if row["commit_block"] is None else int(row["commit_block"]),
        commit_seq=None if row["commit_seq"] is None else int(row["commit_seq"]),
        alert_state=row["alert_state"],
        proof=json.loads(row["proof"]) if row["proof"] is not None else None,
        prove_s=row["prove_s"],
        proved_at=row["proved_at"],
    )


class WindowStore:
    """Thread-safe (one connection behind a lock); open with :meth:`open`."""

    def __init__(self, url: str, conn: Any, postgres: bool) -> None:
        self.url = url
        self._conn = conn
        self.postgres = postgres
        self._lock = threading.RLock()

    @classmethod
    def open(cls, location: StrPath) -> WindowStore:
        """A SQLite file path, or a ``postgresql://`` URL."""
        text = str(location)
        if text.startswith(("postgresql://", "postgres://")):
            try:
                import psycopg
                from psycopg.rows import dict_row
            except ImportError:  # pragma: no cover - psycopg is a dependency
                raise StoreError(
                    "PostgreSQL needs the psycopg package: pip install 'psycopg[binary]'"
                ) from None
            try:
                pg = psycopg.connect(
                    text, autocommit=True, row_factory=dict_row, connect_timeout=10
                )
            except psycopg.Error as exc:
                raise StoreError(
                    f"cannot connect to PostgreSQL at {_redacted(text)}: {str(exc).strip().splitlines()[0]}"
                ) from None
            store = cls(_redacted(text), pg, postgres=True)
        else:
            path = Path(text)
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(
                    str(path), timeout=30, isolation_level=None, check_same_thread=False
                )
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{path} is not a usable SQLite database ({exc})") from None
            if integrity != "ok":
                raise StoreError(f"{path} fails SQLite's integrity check: {integrity}")
            store = cls(str(path), conn, postgres=False)
        store._create()
        return store

    # ------------------------------------------------------------------ plumbing

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self._conn.execute(self._sql(sql), params)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._conn.execute(self._sql(sql), params)
            return [dict(row) for row in cursor.fetchall()]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            if self.postgres:
                with self._conn.transaction():
                    yield
            else:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")

    def _create(self) -> None:
        with self._transaction():
            for statement in _schema(self.postgres):
                self._conn.execute(statement)
        rows = self._query("SELECT value FROM meta WHERE key = 'schema'")
        if not rows:
            self._execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif rows[0]["value"] != SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.url} has schema {rows[0]['value']}, this zkalert reads {SCHEMA_VERSION}"
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ------------------------------------------------------------------ settings

    def meta(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._query("SELECT key, value FROM meta")}

    def bind(self, key: str, value: str) -> None:
        """Record a setting on first use and refuse a different one later (chain id, model, gateway)."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        if not rows:
            self._execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
        elif rows[0]["value"] != value:
            raise StoreError(
                f"the store {self.url} belongs to {key} {rows[0]['value']}, not {value}"
            )

    # ------------------------------------------------------------------ windows

    def last_index(self, stream_id: str) -> int | None:
        rows = self._query("SELECT MAX(idx) AS last FROM windows WHERE stream_id = ?", (stream_id,))
        return None if rows[0]["last"] is None else int(rows[0]["last"])

    def add_windows(self, windows: list[StoredWindow]) -> None:
        """Store a batch of one stream's windows, all or none; indexes must increase past the stored ones."""
        if not windows:
            return
        stream_id = windows[0].stream_id
        with self._transaction():
            last = self.last_index(stream_id)
            for w in windows:
                if w.stream_id != stream_id:
                    raise StoreError("a batch holds the windows of one stream")
                if last is not None and w.idx <= last:
                    raise WindowConflict(
                        f"window {w.idx} of stream {w.stream!r} is not above the last stored window {last}"
                    )
                last = w.idx
                self._conn.execute(
                    self._sql(
                        f"INSERT INTO windows ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
                    ),
                    (
                        w.stream_id,
                        w.idx,
                        w.stream,
                        w.model_id,
                        w.received_at,
                        None if w.scaled is None else json.dumps(w.scaled),
                        w.float_score,
                        f"0x{w.input_commitment:064x}",
                        str(w.score_felt),
                        int(w.alarm),
                        w.commit_tx,
                        w.commit_block,
                        w.commit_seq,
                        w.alert_state,
                        None if w.proof is None else json.dumps(w.proof),
                        w.prove_s,
                        w.proved_at,
                    ),
                )

    def get(self, stream_id: str, idx: int) -> StoredWindow | None:
        rows = self._query(
            "SELECT * FROM windows WHERE stream_id = ? AND idx = ?", (stream_id, idx)
        )
        return _window(rows[0]) if rows else None

    def windows(
        self, stream_id: str, first: int | None = None, last: int | None = None, limit: int = 1000
    ) -> list[StoredWindow]:
        sql = "SELECT * FROM windows WHERE stream_id = ?"
        params: list[Any] = [stream_id]
        if first is not None:
            sql += " AND idx >= ?"
            params.append(first)
        if last is not None:
            sql += " AND idx <= ?"
            params.append(last)
        sql += " ORDER BY idx LIMIT ?"
        params.append(limit)
        return [_window(r) for r in self._query(sql, tuple(params))]

    def streams(self) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT stream_id, MIN(stream) AS stream, COUNT(*) AS windows, MIN(idx) AS first, MAX(idx) AS last, "
            "SUM(alarm) AS alarms, SUM(CASE WHEN commit_block IS NULL THEN 0 ELSE 1 END) AS committed, "
            "SUM(CASE WHEN proof IS NULL THEN 0 ELSE 1 END) AS proven FROM windows GROUP BY stream_id ORDER BY MIN(stream)"
        )
        return [
            {
                k: (int(v) if k not in ("stream_id", "stream") and v is not None else v)
                for k, v in r.items()
            }
            for r in rows
        ]

    def resolve_stream(self, name_or_id: str) -> tuple[str, str] | None:
        """(name, id) of a stream known to the store, by its name or its 0x id."""
        column = "stream_id" if name_or_id.startswith("0x") and len(name_or_id) == 66 else "stream"
        rows = self._query(
            f"SELECT stream, stream_id FROM windows WHERE {column} = ? LIMIT 1",
            (name_or_id.lower() if column == "stream_id" else name_or_id,),
        )
        return (rows[0]["stream"], rows[0]["stream_id"]) if rows else None

    def uncommitted(self, limit: int = 64) -> list[StoredWindow]:
        """The oldest stream's windows not yet committed on-chain, in index order."""
        head = self._query(
            "SELECT stream_id FROM windows WHERE commit_block IS NULL ORDER BY received_at, idx LIMIT 1"
        )
        if not head:
            return []
        rows = self._query(
            "SELECT * FROM windows WHERE commit_block IS NULL AND stream_id = ? ORDER BY idx LIMIT ?",
            (head[0]["stream_id"], limit),
        )
        return [_window(r) for r in rows]

    def mark_committed(
        self, stream_id: str, indexes: list[int], tx_hash: str, block: int, first_seq: int
    ) -> None:
        with self._transaction():
            for k, idx in enumerate(indexes):
                self._conn.execute(
                    self._sql(
                        "UPDATE windows SET commit_tx = ?, commit_block = ?, commit_seq = ? WHERE stream_id = ? AND idx = ?"
                    ),
                    (tx_hash, block, first_seq + k, stream_id, idx),
                )

    def save_proof(self, stream_id: str, idx: int, proof: dict[str, Any], prove_s: float) -> None:
        self._execute(
            "UPDATE windows SET proof = ?, prove_s = ?, proved_at = ? WHERE stream_id = ? AND idx = ?",
            (json.dumps(proof), prove_s, time.time(), stream_id, idx),
        )

    def set_alert_state(self, stream_id: str, idx: int, state: str) -> None:
        self._execute(
            "UPDATE windows SET alert_state = ? WHERE stream_id = ? AND idx = ?",
            (state, stream_id, idx),
        )

    def alarms_to_submit(self, limit: int = 16) -> list[StoredWindow]:
        """Eager policy: alarm windows not yet handed to the outbox, oldest first."""
        rows = self._query(
            "SELECT * FROM windows WHERE alarm = 1 AND alert_state IS NULL AND scaled IS NOT NULL ORDER BY received_at, idx LIMIT ?",
            (limit,),
        )
        return [_window(r) for r in rows]

    def counts(self) -> dict[str, int]:
        row = self._query(
            "SELECT COUNT(*) AS windows, COALESCE(SUM(alarm), 0) AS alarms, "
            "COALESCE(SUM(CASE WHEN commit_block IS NULL THEN 0 ELSE 1 END), 0) AS committed, "
            "COALESCE(SUM(CASE WHEN proof IS NULL THEN 0 ELSE 1 END), 0) AS proven FROM windows"
        )[0]
        return {k: int(v) for k, v in row.items()}

    # ------------------------------------------------------------------ access log

    def log_request(
        self,
        token: str | None,
        client: str | None,
        method: str,
        path: str,
        query: str,
        status: int,
        duration_ms: float,
        detail: str | None = None,
    ) -> None:
        self._execute(
            "INSERT INTO requests (at, token, client, method, path, query, status, duration_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), token, client, method, path, query, status, duration_ms, detail),
        )

    def requests(self, limit: int = 100) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM requests ORDER BY id DESC LIMIT ?", (limit,))

    def request_counts(self) -> dict[str, int]:
        rows = self._query(
            "SELECT status, COUNT(*) AS n FROM requests GROUP BY status ORDER BY status"
        )
        return {str(r["status"]): int(r["n"]) for r in rows}


def _redacted(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
