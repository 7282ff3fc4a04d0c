"""Tennessee Eastman fault runs replayed as live sensor streams.

A stream is one fault test file (``te/fault-NN``) read in time order; a
window's index is its row. The next alert of a stream is the first alarming
window at or after the stream's next index in the registry, so repeated runs
add new alerts instead of replaying old ones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from zkalert.config import Workspace
from zkalert.data.loaders import TE_FAULT_START_ROW, TE_VARIABLES, load_te_file
from zkalert.data.source import select_named
from zkalert.detector.model import Detector
from zkalert.errors import DataError
from zkalert.evm.ids import stream_id
from zkalert.zk.prover import ProvenWindow, Prover
from zkalert.zk.statement import Binding


def stream_name(fault: int) -> str:
    return f"te/fault-{fault:02d}"


def next_unrecorded_alert(
    workspace: Workspace,
    gateway: str,
    next_index: Callable[[bytes], int],
    fault: int = 1,
    stream: str | None = None,
) -> tuple[str, int, ProvenWindow]:
    """Prove, for ``gateway``, the first alarming window of fault run ``fault`` at or after the
    stream's next window index (``next_index(stream_id)``, the registry's ``nextIndex``): (stream, row,
    proof). A window's index is its row in the run."""
    detector = Detector.load(workspace)
    prover = Prover(workspace)
    rows = load_te_file(f"d{fault:02d}_te.dat")
    if detector.columns is not None:  # a detector on some of the variables reads those
        rows = select_named(
            rows, TE_VARIABLES, detector.columns, f"Tennessee Eastman d{fault:02d}_te"
        )
    scaled = detector.scale(rows)
    scores = detector.score_scaled(scaled)
    name = stream or stream_name(fault)
    sid = stream_id(name)
    first = max(next_index(sid), TE_FAULT_START_ROW)
    candidates = np.flatnonzero((np.arange(len(rows)) >= first) & (scores >= detector.threshold))
    for row in candidates:
        label = f"{name.replace('/', '_')}-row{int(row)}"
        binding = Binding(gateway, sid, int(row))
        if (
            prover.statement_instances(scaled[row : row + 1], label, binding)[1]
            < prover.info.threshold_felt
        ):
            continue  # the float model alarms, the circuit does not: not an alert
        return (
            name,
            int(row),
            prover.prove(scaled[row : row + 1], label, binding, float(scores[row])),
        )
    raise DataError(f"every alarming window of {name} is already recorded")
