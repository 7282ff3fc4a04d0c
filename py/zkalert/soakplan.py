"""Which windows a soak run (``zkalert soak``) submits, and their cached proofs.

A soak needs a few hundred *distinct* statements (the registry refuses a
recorded statement anywhere), so every alert is a real proof of a different
Tennessee Eastman test window. The plan is deterministic: stream ``k`` is fault
run ``k`` (``dNN_te.dat``), read in time order from the fault onset (row 160).
Proofs are cached in ``<workspace>/proofs/`` under the window's key, so a
rerun of the soak proves nothing twice.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Workspace
from .data import TE_FAULT_START_ROW, TE_FAULTS, load_te_file
from .detector import Detector
from .errors import ZkAlertError
from .prover import ProvenWindow, Prover


@dataclass(frozen=True)
class PlannedWindow:
    stream: str
    key: str
    scaled: np.ndarray  # shape (1, width), already scaled for the circuit
    float_score: float


def soak_windows(workspace: Workspace, alerts: int, streams: int) -> list[PlannedWindow]:
    """``alerts`` windows spread round-robin over ``streams`` fault runs, in submission order."""
    if not 1 <= streams <= len(TE_FAULTS):
        raise ZkAlertError(f"streams must be 1..{len(TE_FAULTS)} (one per Tennessee Eastman fault run), got {streams}")
    per_stream = math.ceil(alerts / streams)
    detector = Detector.load(workspace)
    planned: list[list[PlannedWindow]] = []
    for fault in TE_FAULTS[:streams]:
        rows = load_te_file(f"d{fault:02d}_te.dat")
        last = TE_FAULT_START_ROW + per_stream
        if last > rows.shape[0]:
            raise ZkAlertError(f"fault run {fault} has {rows.shape[0] - TE_FAULT_START_ROW} windows after the onset, {per_stream} asked")
        scaled = detector.scale(rows[TE_FAULT_START_ROW:last])
        scores = detector.score_scaled(scaled)
        planned.append([
            PlannedWindow(f"soak/te-fault-{fault:02d}", f"soak-f{fault:02d}-r{TE_FAULT_START_ROW + i:03d}", scaled[i : i + 1], float(scores[i]))
            for i in range(per_stream)
        ])
    ordered = [stream[i] for i in range(per_stream) for stream in planned if i < len(stream)]
    return ordered[:alerts]


def cached_proof(workspace: Workspace, key: str, scaled: np.ndarray, commitment: str = "poseidon") -> ProvenWindow | None:
    """The proof of this exact window from an earlier run, if one is on disk and readable."""
    input_path = workspace.root / "proofs" / f"{key}.input.json"
    proof_path = workspace.root / "proofs" / f"{key}.proof.json"
    if not (input_path.is_file() and proof_path.is_file()):
        return None
    try:
        cached_input = json.loads(input_path.read_text())["input_data"][0]
        if not np.array_equal(np.asarray(cached_input, dtype=np.float64), np.asarray(scaled, dtype=np.float64).ravel()):
            return None
        return ProvenWindow.from_proof_file(proof_path, commitment=commitment)
    except (ValueError, KeyError, IndexError, ZkAlertError):
        return None  # a proof cut short by a killed prover: prove again


def prove_cached(prover: Prover, key: str, scaled: np.ndarray, float_score: float = float("nan")) -> ProvenWindow:
    cached = cached_proof(prover.workspace, key, scaled, prover.info.commitment)
    if cached is not None:
        return cached
    return prover.prove(scaled, key, float_score)


def main() -> None:  # pragma: no cover - `python -m zkalert.soakplan WORKDIR N STREAMS` pre-proves a plan
    import sys
    import time

    workspace = Workspace.at(Path(sys.argv[1]))
    plan = soak_windows(workspace, int(sys.argv[2]), int(sys.argv[3]))
    prover = Prover(workspace)
    started = time.perf_counter()
    for i, window in enumerate(plan):
        prove_cached(prover, window.key, window.scaled, window.float_score)
        print(f"{i + 1}/{len(plan)} {window.key} {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":  # pragma: no cover
    main()
