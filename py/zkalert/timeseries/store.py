"""Lazy proving storage: per interval, everything needed to prove it later, kept durably.

One SQLite file (``<workdir>/ts/store.sqlite``, WAL journal, ``synchronous=FULL``: a row
is on disk when :meth:`Store.add_interval` returns). Per interval it keeps the exact EZKL
input tensors (state in, accumulator in, measurements, offline gains and the fresh nonces)
and the public instances its witness produced; per window the SC inputs (with the SVD
advice and its nonce). Proving later regenerates the witness from these rows and checks
that it reproduces the stored instances, so a changed circuit or a lost nonce is caught
before any proof is made.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from zkalert.errors import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    name TEXT PRIMARY KEY,
    subsystem TEXT NOT NULL,
    steps INTEGER NOT NULL,
    psf INTEGER NOT NULL,
    intervals_per_window INTEGER NOT NULL,
    genesis TEXT NOT NULL,          -- JSON [state, acc]
    genesis_instances TEXT NOT NULL, -- JSON [h(state), h(acc)] as decimal strings
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS intervals (
    stream TEXT NOT NULL REFERENCES streams(name),
    idx INTEGER NOT NULL,
    first_row INTEGER NOT NULL,     -- index of the interval's first measurement in the stream
    inputs TEXT NOT NULL,           -- JSON [state_in, acc_in, block, reset], exactly as EZKL reads them
    instances TEXT NOT NULL,        -- JSON list of decimal strings
    outputs TEXT NOT NULL,          -- JSON dequantised [state_out, acc_out, krc_ok]
    witness_s REAL NOT NULL,
    proof TEXT,                     -- path of the proof file once proven
    prove_s REAL,
    PRIMARY KEY (stream, idx)
);
CREATE TABLE IF NOT EXISTS windows (
    stream TEXT NOT NULL REFERENCES streams(name),
    idx INTEGER NOT NULL,
    inputs TEXT NOT NULL,           -- JSON [acc_end, advice]
    instances TEXT NOT NULL,
    t2 REAL NOT NULL,               -- dequantised circuit output
    alarm INTEGER NOT NULL,
    svd_ok INTEGER NOT NULL,
    float_t2 REAL NOT NULL,         -- the float EKF's T² over the same measurements
    float_alarm INTEGER NOT NULL,
    witness_s REAL NOT NULL,
    proof TEXT,
    prove_s REAL,
    PRIMARY KEY (stream, idx)
);
"""


@dataclass(frozen=True)
class StreamRow:
    name: str
    subsystem: str
    steps: int
    psf: int
    intervals_per_window: int
    genesis: list[list[float]]
    genesis_instances: tuple[int, int]


@dataclass(frozen=True)
class IntervalRow:
    stream: str
    idx: int
    first_row: int
    inputs: list[list[float]]
    instances: tuple[int, ...]
    outputs: list[list[float]]
    witness_s: float
    proof: str | None
    prove_s: float | None


@dataclass(frozen=True)
class WindowRow:
    stream: str
    idx: int
    inputs: list[list[float]]
    instances: tuple[int, ...]
    t2: float
    alarm: bool
    svd_ok: bool
    float_t2: float
    float_alarm: bool
    witness_s: float
    proof: str | None
    prove_s: float | None


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in json.loads(values))


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------ streams

    def create_stream(self, row: StreamRow) -> None:
        try:
            self._db.execute(
                "INSERT INTO streams VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.name,
                    row.subsystem,
                    row.steps,
                    row.psf,
                    row.intervals_per_window,
                    json.dumps(row.genesis),
                    json.dumps([str(v) for v in row.genesis_instances]),
                    time.time(),
                ),
            )
        except sqlite3.IntegrityError:
            raise StoreError(
                f"stream {row.name!r} already exists in {self.path}: pick another name or remove it with `zkalert ts drop`"
            ) from None

    def stream(self, name: str) -> StreamRow:
        found = self._db.execute(
            "SELECT name, subsystem, steps, psf, intervals_per_window, genesis, genesis_instances FROM streams WHERE name = ?",
            (name,),
        ).fetchone()
        if found is None:
            raise StoreError(f"no stream {name!r} in {self.path}: start one with `zkalert ts run`")
        return StreamRow(
            found[0],
            found[1],
            int(found[2]),
            int(found[3]),
            int(found[4]),
            json.loads(found[5]),
            cast(tuple[int, int], _ints(found[6])),  # stored as [h(state), h(acc)]
        )

    def streams(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM streams ORDER BY created")]

    def drop_stream(self, name: str) -> None:
        with self._db:
            for table in ("intervals", "windows"):
                self._db.execute(f"DELETE FROM {table} WHERE stream = ?", (name,))
            self._db.execute("DELETE FROM streams WHERE name = ?", (name,))

    # ------------------------------------------------------------ intervals

    def add_interval(
        self,
        stream: str,
        idx: int,
        first_row: int,
        inputs: list[list[float]],
        instances: tuple[int, ...],
        outputs: list[list[float]],
        witness_s: float,
    ) -> None:
        self._db.execute(
            "INSERT INTO intervals (stream, idx, first_row, inputs, instances, outputs, witness_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                stream,
                idx,
                first_row,
                json.dumps(inputs),
                json.dumps([str(v) for v in instances]),
                json.dumps(outputs),
                witness_s,
            ),
        )

    def set_interval_proof(self, stream: str, idx: int, proof: Path, prove_s: float) -> None:
        self._db.execute(
            "UPDATE intervals SET proof = ?, prove_s = ? WHERE stream = ? AND idx = ?",
            (str(proof), prove_s, stream, idx),
        )

    def intervals(self, stream: str, start: int = 0, stop: int | None = None) -> list[IntervalRow]:
        rows = self._db.execute(
            "SELECT stream, idx, first_row, inputs, instances, outputs, witness_s, proof, prove_s FROM intervals WHERE stream = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (stream, start, 2**62 if stop is None else stop),
        )
        return [
            IntervalRow(
                r[0],
                int(r[1]),
                int(r[2]),
                json.loads(r[3]),
                _ints(r[4]),
                json.loads(r[5]),
                float(r[6]),
                r[7],
                r[8],
            )
            for r in rows
        ]

    def interval_count(self, stream: str) -> int:
        return int(
            self._db.execute(
                "SELECT COUNT(*) FROM intervals WHERE stream = ?", (stream,)
            ).fetchone()[0]
        )

    # ------------------------------------------------------------ windows

    def add_window(
        self,
        stream: str,
        idx: int,
        inputs: list[list[float]],
        instances: tuple[int, ...],
        t2: float,
        alarm: bool,
        svd_ok: bool,
        float_t2: float,
        float_alarm: bool,
        witness_s: float,
    ) -> None:
        self._db.execute(
            "INSERT INTO windows (stream, idx, inputs, instances, t2, alarm, svd_ok, float_t2, float_alarm, witness_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                stream,
                idx,
                json.dumps(inputs),
                json.dumps([str(v) for v in instances]),
                t2,
                int(alarm),
                int(svd_ok),
                float_t2,
                int(float_alarm),
                witness_s,
            ),
        )

    def set_window_proof(self, stream: str, idx: int, proof: Path, prove_s: float) -> None:
        self._db.execute(
            "UPDATE windows SET proof = ?, prove_s = ? WHERE stream = ? AND idx = ?",
            (str(proof), prove_s, stream, idx),
        )

    def windows(self, stream: str) -> list[WindowRow]:
        rows = self._db.execute(
            "SELECT stream, idx, inputs, instances, t2, alarm, svd_ok, float_t2, float_alarm, witness_s, proof, prove_s FROM windows WHERE stream = ? ORDER BY idx",
            (stream,),
        )
        return [
            WindowRow(
                r[0],
                int(r[1]),
                json.loads(r[2]),
                _ints(r[3]),
                float(r[4]),
                bool(r[5]),
                bool(r[6]),
                float(r[7]),
                bool(r[8]),
                float(r[9]),
                r[10],
                r[11],
            )
            for r in rows
        ]

    def window(self, stream: str, idx: int) -> WindowRow:
        for row in self.windows(stream):
            if row.idx == idx:
                return row
        raise StoreError(
            f"stream {stream!r} has no window {idx} yet ({len(self.windows(stream))} complete windows)"
        )
