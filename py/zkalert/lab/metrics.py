"""Per-alert timings and costs: the PureChain paper's Table I, measured here.

Stages per alert: witness, prove, encode (registry calldata), eth_call
verification of the EZKL verifier, transaction (send to receipt) and
end-to-end; plus gas used and calldata bytes. Summaries give mean and P95.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

TIMING_FIELDS = ("witness_s", "prove_s", "encode_s", "eth_call_s", "tx_s", "end_to_end_s")
COST_FIELDS = ("gas_used", "calldata_bytes", "proof_bytes")


@dataclass(frozen=True)
class AlertMetrics:
    stream: str
    seq: int
    fault: int
    row: int
    float_score: float
    proven_score: float
    alarm: bool
    witness_s: float
    prove_s: float
    encode_s: float
    eth_call_s: float
    tx_s: float
    end_to_end_s: float
    gas_used: int
    calldata_bytes: int
    proof_bytes: int
    verified_eth_call: bool
    recorded: bool
    tx_hash: str


def summarise(rows: list[AlertMetrics]) -> dict[str, Any]:
    summary: dict[str, Any] = {"alerts": len(rows)}
    if not rows:
        return summary
    for name in TIMING_FIELDS + COST_FIELDS:
        values = np.array([getattr(r, name) for r in rows], dtype=float)
        summary[name] = {
            "mean": float(values.mean()),
            "p95": float(np.percentile(values, 95)),
            "max": float(values.max()),
        }
    summary["true_rate"] = sum(r.verified_eth_call for r in rows) / len(rows)
    summary["recorded_rate"] = sum(r.recorded for r in rows) / len(rows)
    summary["proofs_per_minute"] = (
        60.0 / summary["prove_s"]["mean"] if summary["prove_s"]["mean"] > 0 else None
    )
    return summary


def machine(*packages: str) -> dict[str, Any]:
    """The machine and versions a report was measured with: CPU model and count, memory, load
    at start, Python, and the versions of ezkl, torch, web3 and any further ``packages``."""
    import os
    from importlib.metadata import PackageNotFoundError, version

    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    try:
        load: tuple[float, ...] = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    report: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": load,
        "python": platform.python_version(),
    }
    for package in ("ezkl", "torch", "web3", *packages):
        try:
            report[package] = version(package)
        except PackageNotFoundError:
            report[package] = None
    return report


def table(summary: dict[str, Any]) -> str:
    """The Table I figures as Markdown (mean and P95)."""
    lines = ["| metric | mean | P95 |", "| --- | ---: | ---: |"]
    for name in TIMING_FIELDS:
        if name in summary:
            lines.append(f"| {name} | {summary[name]['mean']:.3f} | {summary[name]['p95']:.3f} |")
    for name in COST_FIELDS:
        if name in summary:
            lines.append(f"| {name} | {summary[name]['mean']:,.0f} | {summary[name]['p95']:,.0f} |")
    if "true_rate" in summary:
        lines.append(f"| eth_call TRUE rate | {summary['true_rate']:.0%} | |")
        lines.append(f"| recorded on-chain | {summary['recorded_rate']:.0%} | |")
    return "\n".join(lines)


def write_report(path: Path, rows: list[AlertMetrics], extra: dict[str, Any]) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": machine(),
        **extra,
        "summary": summarise(rows),
        "alerts": [asdict(r) for r in rows],
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2))
    tmp.replace(path)
    return report
