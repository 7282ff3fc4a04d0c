"""Tennessee Eastman fault runs replayed as live sensor streams.

A stream is one fault test file (``te/fault-NN``) read in time order. The
next alert of a stream is the first alarming window whose statement the
registry has not recorded yet, so repeated runs add new alerts instead of
replaying old ones.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .config import Workspace
from .data import TE_FAULT_START_ROW, load_te_file
from .detector import Detector
from .errors import ZkAlertError
from .prover import Prover, ProvenWindow


def stream_name(fault: int) -> str:
    return f"te/fault-{fault:02d}"


def next_unrecorded_alert(
    workspace: Workspace, is_recorded: Callable[[tuple[int, ...]], bool], fault: int = 1, limit: int = 800
) -> tuple[str, int, ProvenWindow]:
    """Prove the first alarming window of fault ``fault`` not yet on-chain: (stream, row, proof)."""
    detector = Detector.load(workspace)
    prover = Prover(workspace)
    rows = load_te_file(f"d{fault:02d}_te.dat")
    scaled = detector.scale(rows)
    scores = detector.score_scaled(scaled)
    candidates = np.flatnonzero((np.arange(len(rows)) >= TE_FAULT_START_ROW) & (scores >= detector.threshold))
    name = stream_name(fault)
    for row in candidates[:limit]:
        label = f"{name.replace('/', '_')}-row{int(row)}"
        instances = prover.statement_instances(scaled[row : row + 1], label)
        if instances[1] < prover.info.threshold_felt or is_recorded(instances):
            continue
        return name, int(row), prover.prove(scaled[row : row + 1], label, float(scores[row]))
    raise ZkAlertError(f"every alarming window of {name} is already recorded")
