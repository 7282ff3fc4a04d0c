"""What one proof needs, and how many provers fit on a machine.

A proof's memory is the prover's peak resident set, which grows with the circuit's table
(2^logrows rows). Once a circuit has been proven, its measured peak is recorded next to it
(``<circuit folder>/prover-memory.json``, written by the cluster backend from every result, so a
benchmark or any earlier run measures it); until then an estimate from logrows stands in.
"""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from zkalert.cluster.folder import CircuitFolder, as_circuit
from zkalert.config import Workspace
from zkalert.errors import ConfigError

#: Measured prover peak RSS grows with the table size: about 22 KB per row of
#: 2^logrows (1.43 GB at logrows 16, 2-core x86_64, ezkl 23.0.5) plus the interpreter.
RSS_PER_ROW_BYTES = 24_000
RSS_BASE_BYTES = 300_000_000
#: A measured peak is asked for with this margin (allocator and input size differences).
MEASURED_MARGIN = 1.15
MEMORY_RECORD = "prover-memory.json"


def estimated_rss_bytes(logrows: int) -> int:
    return int(RSS_BASE_BYTES + RSS_PER_ROW_BYTES * 2**logrows)


def peak_rss_bytes() -> int:
    """This process's resident high-water mark.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a
    spawned worker would report its parent's peak (torch and all) as its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measured_rss_bytes(circuit: CircuitFolder) -> int | None:
    """The largest prover peak recorded for this circuit (its model id), if any."""
    try:
        record = json.loads((circuit.root / MEMORY_RECORD).read_text())
        if str(record["model_id"]).lower() == circuit.key:
            return int(record["peak_rss_bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def record_rss_bytes(circuit: CircuitFolder, peak: int) -> None:
    """Keep the largest peak measured for this circuit (a record of another circuit is replaced)."""
    known = measured_rss_bytes(circuit)
    if known is not None and known >= peak:
        return
    path = circuit.root / MEMORY_RECORD
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"model_id": circuit.model_id, "peak_rss_bytes": int(peak)}) + "\n")
    tmp.replace(path)


@dataclass(frozen=True)
class TaskNeeds:
    """What one proof of a circuit asks of the worker it runs on."""

    memory_bytes: int
    cpus: int = 1
    measured: bool = False  # from a recorded peak (else the logrows estimate)

    @classmethod
    def of(cls, circuit: Workspace | CircuitFolder) -> TaskNeeds:
        """A circuit's need: its measured peak with a margin, else the estimate from logrows."""
        circuit = as_circuit(circuit)
        measured = measured_rss_bytes(circuit)
        if measured is not None:
            return cls(int(measured * MEASURED_MARGIN), measured=True)
        return cls(estimated_rss_bytes(circuit.logrows))

    @classmethod
    def most(cls, circuits: Iterable[Workspace | CircuitFolder]) -> TaskNeeds | None:
        """The largest need of ``circuits`` (None for none): what a worker for all of them holds."""
        needs = [cls.of(c) for c in circuits]
        return max(needs, key=lambda n: n.memory_bytes) if needs else None

    def describe(self) -> str:
        return (
            f"{self.memory_bytes / 1e9:.2f} GB "
            f"({'measured peak + 15%' if self.measured else 'estimated from logrows'})"
        )


def plan_workers(
    needs: TaskNeeds,
    memory_budget_bytes: int,
    max_workers: int | None = None,
    cores: int | None = None,
) -> int:
    """How many provers fit: at most one per core and within the memory budget."""
    need = needs.memory_bytes
    if need > memory_budget_bytes:
        raise ConfigError(
            f"one prover for this circuit needs about {need / 1e9:.1f} GB, over the memory budget "
            f"of {memory_budget_bytes / 1e9:.1f} GB: use fewer windows per proof or a larger budget"
        )
    cores = cores or os.cpu_count() or 1
    workers = min(cores, memory_budget_bytes // need, max_workers or cores)
    return max(1, int(workers))
