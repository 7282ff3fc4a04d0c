"""Alarm agreement of the proven circuits with the float EKF, over whole Tennessee Eastman test runs.

For each run the stream is operated in lazy mode from row 0: every interval and
window gets its EZKL witness, whose outputs are exactly the public values a
proof of it attests (proving adds no computation; a sample is proven by
``zkalert ts bench`` and the demo). Each window's circuit alarm is compared with
the float (non-ZK) EKF's alarm on the same measurements from the same start.
Writes ``build/reports/timeseries/agreement.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from zkalert.config import Workspace, reports_dir
from zkalert.data.loaders import TE_FAULT_START_ROW, load_te_file
from zkalert.lab.metrics import machine
from zkalert.lab.timeseries.demo import prepare
from zkalert.timeseries.store import Store
from zkalert.timeseries.stream import Operator


def report_name(subsystem: str) -> str:
    """The reactor keeps the original file name; other subsystems get their own file."""
    return "agreement.json" if subsystem == "reactor" else f"agreement-{subsystem}.json"


def run(
    workspace: Workspace,
    steps: int,
    psf: int,
    faults: list[int],
    subsystem: str = "reactor",
    echo: Callable[..., Any] = print,
    reuse: bool = False,
) -> dict[str, Any]:
    detector, tc, sc = prepare(workspace, subsystem, steps, psf, echo)
    store = Store(workspace.root / "ts" / "agreement.sqlite")
    L = detector.config.window_steps
    fault_window = TE_FAULT_START_ROW // L
    circuits = {kind: _circuit(folder) for kind, folder in (("tc", tc), ("sc", sc))}
    runs: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    load = now = machine()
    earlier_s = 0.0
    sessions: list[dict[str, Any]] = []
    path = reports_dir("timeseries") / report_name(subsystem)
    if reuse and path.is_file():
        old = json.loads(path.read_text())
        if (
            old["subsystem"],
            old["steps"],
            old["psf"],
            old["ucl"],
            _identity(old.get("circuits")),
        ) == (subsystem, steps, psf, detector.ucl, _identity(circuits)):
            runs = [r for r in old["runs"] if r["fault"] in faults]
            earlier_s, load = old["elapsed_s"], old["machine"]
            sessions = old.get("sessions") or [
                {
                    "load_average_at_start": load["load_average_at_start"],
                    "elapsed_s": earlier_s,
                    "faults": [r["fault"] for r in old["runs"]],
                }
            ]
            echo(
                f"  reusing runs {[r['fault'] for r in runs]} of {path.name} (same detector and circuits)"
            )
        else:
            echo(f"  {path.name} is for another detector or circuit: measuring every run")
    session = {
        "load_average_at_start": now["load_average_at_start"],
        "elapsed_s": 0.0,
        "faults": [],
    }
    sessions.append(session)
    started = time.perf_counter()
    todo = [f for f in faults if f not in {r["fault"] for r in runs}]
    for done, fault in enumerate(todo, start=1):
        name = f"agreement/{subsystem}/d{steps}/psf{psf}/fault-{fault:02d}"
        if name in store.streams():
            store.drop_stream(name)
        operator = Operator.open(name, detector, tc, sc, store, workspace, echo=lambda *_: None)
        operator.feed(detector.measurements(load_te_file(f"d{fault:02d}_te.dat")))
        windows = store.windows(name)
        agree = sum(w.alarm == w.float_alarm for w in windows)
        pre = [w for w in windows if w.idx < fault_window]
        post = [w for w in windows if w.idx >= fault_window]

        def first_alarm(values: list[bool]) -> int | None:
            return next((i for i, a in enumerate(values) if a), None)

        row = {
            "fault": fault,
            "windows": len(windows),
            "agree": agree,
            "svd_ok": all(w.svd_ok for w in windows),
            "krc_ok": all(i.outputs[2][0] > 0.5 for i in store.intervals(name)),
            "circuit_alarm_rate_before_fault": sum(w.alarm for w in pre) / max(len(pre), 1),
            "float_alarm_rate_before_fault": sum(w.float_alarm for w in pre) / max(len(pre), 1),
            "circuit_alarm_rate_in_fault": sum(w.alarm for w in post) / max(len(post), 1)
            if fault
            else None,
            "float_alarm_rate_in_fault": sum(w.float_alarm for w in post) / max(len(post), 1)
            if fault
            else None,
            # Over the whole run: on the normal run (fault 0) this is the false-alarm rate.
            "circuit_alarm_rate_all": sum(w.alarm for w in windows) / max(len(windows), 1),
            "float_alarm_rate_all": sum(w.float_alarm for w in windows) / max(len(windows), 1),
            "circuit_first_alarm_window_in_fault": first_alarm([w.alarm for w in post])
            if fault
            else None,
            "float_first_alarm_window_in_fault": first_alarm([w.float_alarm for w in post])
            if fault
            else None,
            "max_abs_t2_difference": max(abs(w.t2 - w.float_t2) for w in windows),
            "disagreements": [
                {"window": w.idx, "t2": w.t2, "float_t2": w.float_t2, "ucl": detector.ucl}
                for w in windows
                if w.alarm != w.float_alarm
            ],
        }
        runs.append(row)
        spent = time.perf_counter() - started
        echo(
            f"  fault {fault:2d}: {agree}/{len(windows)} windows agree; in-fault alarm rate circuit {row['circuit_alarm_rate_in_fault']} float {row['float_alarm_rate_in_fault']}"
            f"  [{done}/{len(todo)}, {spent / 60:.1f} min, about {spent / done * (len(todo) - done) / 60:.0f} min left]"
        )
        # Written after every run, so an interrupted measurement keeps the runs it finished.
        session["elapsed_s"], session["faults"] = (
            time.perf_counter() - started,
            [*session["faults"], fault],
        )
        result = _result(
            load,
            subsystem,
            steps,
            psf,
            L,
            detector.ucl,
            fault_window,
            runs,
            faults,
            earlier_s + session["elapsed_s"],
        )
        # Each session's load and duration: with --reuse the runs were measured at different times.
        result["circuits"], result["sessions"] = circuits, sessions
        path.write_text(json.dumps(result, indent=2))
    if not result and runs:  # every requested run reused: the report is unchanged
        result = json.loads(path.read_text())
    return result


def _identity(circuits: dict[str, Any] | None) -> dict[str, Any] | None:
    """What decides a witness's values: the circuits' shapes, not how long their setup took (a
    recompile of the same circuit measures the same alarms)."""
    if circuits is None:
        return None
    return {
        kind: {k: v for k, v in record.items() if k not in {"setup_s", "pk_bytes"}}
        for kind, record in circuits.items()
    }


def _circuit(folder: Any) -> dict[str, Any]:
    """What the measured circuit is (read from its compile record), so the report names it."""
    info = folder.info
    return {
        "n": info.n,
        "m": info.m,
        "logrows": info.logrows,
        "num_rows": info.num_rows,
        "setup_s": info.setup_s,
        "pk_bytes": info.pk_bytes,
        "srs_development_only": info.srs_development_only,
    }


def _result(
    machine_info: dict[str, Any],
    subsystem: str,
    steps: int,
    psf: int,
    window_steps: int,
    ucl: float,
    fault_window: int,
    runs: list[dict[str, Any]],
    faults: list[int],
    elapsed: float,
) -> dict[str, Any]:
    total = sum(r["windows"] for r in runs)
    return {
        "machine": machine_info,
        "subsystem": subsystem,
        "steps": steps,
        "psf": psf,
        "window_steps": window_steps,
        "ucl": ucl,
        "fault_starts_at_window": fault_window,
        "windows": total,
        "agreement": sum(r["agree"] for r in runs) / total,
        "elapsed_s": elapsed,
        "runs_requested": faults,
        "complete": len(runs) == len(faults),
        "runs": runs,
    }
