"""Which windows a soak run (``zkalert soak``) submits, and their cached proofs.

A soak needs a few hundred *distinct* statements (the registry refuses a
recorded statement anywhere), so every alert is a real proof of a different
Tennessee Eastman test window. The plan is deterministic: stream ``k`` is fault
run ``k`` (``dNN_te.dat``), read in time order from the fault onset (row 160).
Proofs are cached in ``<workspace>/proofs/`` under the window's key, so a
rerun of the soak proves nothing twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account

from zkalert.config import Workspace
from zkalert.data.loaders import TE_FAULT_START_ROW, TE_FAULTS, FloatArray, load_te_file
from zkalert.detector.model import Detector
from zkalert.errors import ConfigError
from zkalert.evm.ids import stream_id
from zkalert.zk.prover import Prover
from zkalert.zk.statement import Binding

#: anvil's account 2: the soak's gateway (its proofs are bound to it).
SOAK_GATEWAY_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
SOAK_GATEWAY = Account.from_key(SOAK_GATEWAY_KEY).address


@dataclass(frozen=True)
class PlannedWindow:
    stream: str
    key: str
    scaled: FloatArray  # shape (1, width), already scaled for the circuit
    float_score: float
    index: int  # the window's index in its stream: its row in the fault run

    def binding(self, gateway: str = SOAK_GATEWAY) -> Binding:
        return Binding(gateway, stream_id(self.stream), self.index)


def soak_windows(workspace: Workspace, alerts: int, streams: int) -> list[PlannedWindow]:
    """``alerts`` windows spread round-robin over ``streams`` fault runs, in submission order."""
    if not 1 <= streams <= len(TE_FAULTS):
        raise ConfigError(
            f"streams must be 1..{len(TE_FAULTS)} (one per Tennessee Eastman fault run), got {streams}"
        )
    per_stream = math.ceil(alerts / streams)
    detector = Detector.load(workspace)
    planned: list[list[PlannedWindow]] = []
    for fault in TE_FAULTS[:streams]:
        rows = load_te_file(f"d{fault:02d}_te.dat")
        last = TE_FAULT_START_ROW + per_stream
        if last > rows.shape[0]:
            raise ConfigError(
                f"fault run {fault} has {rows.shape[0] - TE_FAULT_START_ROW} windows after the onset, {per_stream} asked"
            )
        scaled = detector.scale(rows[TE_FAULT_START_ROW:last])
        scores = detector.score_scaled(scaled)
        planned.append(
            [
                PlannedWindow(
                    f"soak/te-fault-{fault:02d}",
                    f"soak-f{fault:02d}-r{TE_FAULT_START_ROW + i:03d}",
                    scaled[i : i + 1],
                    float(scores[i]),
                    TE_FAULT_START_ROW + i,
                )
                for i in range(per_stream)
            ]
        )
    ordered = [stream[i] for i in range(per_stream) for stream in planned if i < len(stream)]
    return ordered[:alerts]


def main() -> (
    None
):  # pragma: no cover - `python -m zkalert.lab.soakplan WORKDIR N STREAMS` pre-proves a plan
    import sys
    import time

    workspace = Workspace.at(Path(sys.argv[1]))
    plan = soak_windows(workspace, int(sys.argv[2]), int(sys.argv[3]))
    prover = Prover(workspace)
    started = time.perf_counter()
    for i, window in enumerate(plan):
        prover.prove_cached(
            window.scaled, window.key, window.binding(SOAK_GATEWAY), window.float_score
        )
        print(f"{i + 1}/{len(plan)} {window.key} {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":  # pragma: no cover
    main()
