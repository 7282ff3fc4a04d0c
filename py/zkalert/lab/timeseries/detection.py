"""What the time-series detectors decide on every Tennessee Eastman test run, and the plant view.

For each subsystem the workspace's trained EKF (trained here with the default settings when the
workspace has none) runs, in float, over the normal test run d00_te and the 21 fault runs from
row 0, as a stream operated from the run's start does; each window of L steps alarms when its
T² exceeds the detector's UCL, which was fixed on held-out normal training rows before any test
run was read. Per subsystem and for the plant alarm (the subsystems' alarms of one window fused,
see :data:`FUSION`):

- the false-alarm rate on d00_te, every window;
- per fault: the detection rate over the windows from the fault's start (row 160), the first
  alarm's delay after the fault starts (at the end of the first alarming window), and the false
  alarms before the fault started.

The circuits decide what the float filter decides on 99.86-100 % of windows (``zkalert ts
agreement``), so these are the proven alarms' rates up to that agreement. Writes
``detection.json`` in the time-series reports folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from zkalert.config import Workspace, reports_dir
from zkalert.data.loaders import TE_FAULT_START_ROW, TE_FAULTS, load_te_file
from zkalert.lab.metrics import machine
from zkalert.lab.timeseries.demo import trained_detector
from zkalert.timeseries.ekf import SUBSYSTEMS, Detector

BoolArray = npt.NDArray[np.bool_]

#: Minutes between two Tennessee Eastman samples.
SAMPLE_MINUTES = 3
#: The plant alarm of one window: raised when any subsystem's proven alarm of that window is.
FUSION = "any"
#: Another fusion reported beside it, for the false-alarm trade-off: at least two subsystems.
FUSION_ALTERNATIVE = "two"


def window_alarms(detector: Detector, run: int) -> BoolArray:
    """The alarm of each complete window of a TE test run (d00_te, d01_te, ...), from row 0."""
    rows = load_te_file(f"d{run:02d}_te.dat")
    t2 = detector.window_t2(detector.run(detector.measurements(rows)))
    return np.asarray(t2 > detector.ucl)


def _fault_figures(alarms: BoolArray, window_steps: int) -> dict[str, Any]:
    start = TE_FAULT_START_ROW // window_steps
    during = alarms[start:]
    hits = np.flatnonzero(during)
    delay = None
    if hits.size:
        end_row = (start + int(hits[0]) + 1) * window_steps
        delay = (end_row - TE_FAULT_START_ROW) * SAMPLE_MINUTES
    return {
        "detection_rate": float(during.mean()),
        "windows": int(during.size),
        "first_alarm_delay_min": delay,
        "alarms_before_fault": int(alarms[:start].sum()),
        "windows_before_fault": start,
    }


def _summary(per_run: dict[int, BoolArray], window_steps: int) -> dict[str, Any]:
    normal = per_run[0]
    faults = {f: _fault_figures(per_run[f], window_steps) for f in TE_FAULTS}
    detected = [f for f, r in faults.items() if r["first_alarm_delay_min"] is not None]
    return {
        "far_d00_te": float(normal.mean()),
        "normal_windows": int(normal.size),
        "false_alarms_d00_te": int(normal.sum()),
        "mean_detection_rate": float(np.mean([r["detection_rate"] for r in faults.values()])),
        "faults_detected": len(detected),
        "faults": {str(f): r for f, r in faults.items()},
    }


def fuse(alarms: list[BoolArray], rule: str) -> BoolArray:
    """One plant alarm per window from the subsystems' alarms of that window."""
    stacked = np.vstack([a[: min(len(x) for x in alarms)] for a in alarms])
    need = 1 if rule == "any" else 2
    return np.asarray(stacked.sum(0) >= need)


def run(
    workspace: Workspace,
    subsystems: tuple[str, ...] = tuple(SUBSYSTEMS),
    echo: Callable[..., Any] = print,
) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": machine(), "subsystems": {}}
    alarms: dict[str, dict[int, BoolArray]] = {}
    steps = set()
    for subsystem in subsystems:
        detector = trained_detector(workspace, subsystem, echo)
        L = detector.config.window_steps
        steps.add(L)
        echo(f"  {subsystem}: UCL {detector.ucl:.2f}, windows of {L} steps, 22 runs ...")
        per_run = {r: window_alarms(detector, r) for r in (0, *TE_FAULTS)}
        alarms[subsystem] = per_run
        result["subsystems"][subsystem] = {
            "ucl": detector.ucl,
            "window_steps": L,
            "calibration_share": detector.config.calibration_share,
            "ucl_quantile": detector.config.ucl_quantile,
            "training": detector.training,
            **_summary(per_run, L),
        }
    if len(steps) == 1 and len(subsystems) > 1:
        (L,) = steps
        for rule in (FUSION, FUSION_ALTERNATIVE):
            fused = {r: fuse([alarms[s][r] for s in subsystems], rule) for r in (0, *TE_FAULTS)}
            result[f"plant_{rule}"] = {"rule": rule, **_summary(fused, L)}
    result["fusion"] = FUSION
    result["elapsed_s"] = time.perf_counter() - started
    path = reports_dir("timeseries") / "detection.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    result["path"] = str(path)
    return result


def report_lines(detection: dict[str, Any], evaluate: Path | None = None) -> list[str]:
    """The report's section: per subsystem and plant, then per fault."""
    subsystems = detection["subsystems"]
    columns = [*subsystems]
    figures = {s: subsystems[s] for s in columns}
    for rule in (FUSION, FUSION_ALTERNATIVE):
        if f"plant_{rule}" in detection:
            name = "plant (any subsystem)" if rule == "any" else "plant (two subsystems)"
            columns.append(name)
            figures[name] = detection[f"plant_{rule}"]
    lines = [
        "## Detection on every test run (float EKF; `zkalert ts detection`)",
        "",
        "Each subsystem's UCL is the "
        + ", ".join(
            f"{s} {v['ucl']:.1f} (quantile {v['ucl_quantile']} of T² over the held-out last "
            f"{v['calibration_share']:.0%} of d00.dat)"
            for s, v in subsystems.items()
        )
        + "; no test run was read to set it. The plant alarm of a window is raised when any "
        "subsystem's alarm of that window is (computed from the proven alarms on chain); the "
        "two-subsystem rule is shown beside it. Target: false-alarm rate on d00_te ≤ 5 %.",
        "",
        "| | " + " | ".join(columns) + " |",
        "| --- | " + " | ".join("---:" for _ in columns) + " |",
        "| false alarms on d00_te | "
        + " | ".join(
            f"{figures[c]['far_d00_te']:.1%} ({figures[c]['false_alarms_d00_te']}/{figures[c]['normal_windows']})"
            for c in columns
        )
        + " |",
        "| mean detection rate, faults 1-21 | "
        + " | ".join(f"{figures[c]['mean_detection_rate']:.1%}" for c in columns)
        + " |",
        "| faults with an alarm after the start | "
        + " | ".join(f"{figures[c]['faults_detected']}/21" for c in columns)
        + " |",
        "| false alarms before the faults start (21 runs × 10 windows) | "
        + " | ".join(
            str(sum(r["alarms_before_fault"] for r in figures[c]["faults"].values()))
            for c in columns
        )
        + " |",
        "",
        "Per fault: detection rate / first alarm after the fault starts, minutes (— none).",
        "",
        "| fault | " + " | ".join(columns) + " |",
        "| ---: | " + " | ".join("---:" for _ in columns) + " |",
    ]
    for f in TE_FAULTS:
        cells = []
        for c in columns:
            r = figures[c]["faults"][str(f)]
            delay = r["first_alarm_delay_min"]
            cells.append(f"{r['detection_rate']:.0%} / {'—' if delay is None else delay}")
        lines.append(f"| {f} | " + " | ".join(cells) + " |")
    if evaluate is not None and evaluate.is_file():
        members = json.loads(evaluate.read_text())["members"]
        lines += [
            "",
            (
                "Beside them, the single-window detectors over all 52 variables on the same test "
                "runs (`zkalert evaluate`, `reports/evaluate/family.json`; windows of that "
                "detector, threshold from its training):"
            ),
            "",
            "| detector | false alarms on d00_te | mean detection rate |",
            "| --- | ---: | ---: |",
        ]
        for name in ("whitened-sq", "pca-t2q", "autoencoder"):
            if name in members:
                q = members[name]["quality"]
                lines.append(
                    f"| {name} | {q['far_normal_run']:.1%} | {q['mean_detection_rate']:.1%} |"
                )
    return [*lines, ""]
