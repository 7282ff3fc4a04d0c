"""A parallel prover: independent proofs on a process pool, sized to cores and a memory budget.

Each worker loads the circuit once and proves jobs in turn; halo2 itself is
multi-threaded, so the pool splits the cores between workers
(``RAYON_NUM_THREADS``) instead of oversubscribing them. The pool refuses to
start when even one worker would not fit in the memory budget, naming the
figure that breaks it.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Self

from zkalert.config import Workspace
from zkalert.data.loaders import FloatArray
from zkalert.errors import ConfigError
from zkalert.zk.circuit import CircuitInfo
from zkalert.zk.prover import ProvenWindow, Prover
from zkalert.zk.statement import Binding

#: Measured prover peak RSS grows with the table size: about 22 KB per row of
#: 2^logrows (1.43 GB at logrows 16, 2-core x86_64, ezkl 23.0.5) plus the interpreter.
RSS_PER_ROW_BYTES = 24_000
RSS_BASE_BYTES = 300_000_000


def estimated_rss_bytes(info: CircuitInfo) -> int:
    return int(RSS_BASE_BYTES + RSS_PER_ROW_BYTES * 2**info.logrows)


@dataclass(frozen=True)
class ProofJob:
    windows: FloatArray  # scaled, shape (windows_per_proof, width)
    name: str
    binding: Binding  # the gateway, stream and first window index the proof is for
    float_score: float = float("nan")


@dataclass(frozen=True)
class PoolResult:
    proven: ProvenWindow
    peak_rss_bytes: int  # the worker's peak resident set so far


_worker_prover: Prover | None = None


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent was killed would prove on forever as an orphan: leave instead."""
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(1.0)


def _init_worker(workspace_root: str, threads: int) -> None:
    global _worker_prover
    os.environ["RAYON_NUM_THREADS"] = str(threads)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _worker_prover = Prover(Workspace(Path(workspace_root)))


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


def _prove_job(job: ProofJob) -> PoolResult:
    assert _worker_prover is not None, "worker not initialised"
    proven = _worker_prover.prove(job.windows, job.name, job.binding, job.float_score)
    return PoolResult(proven, peak_rss_bytes())


def plan_workers(
    info: CircuitInfo, memory_budget_bytes: int, max_workers: int | None = None
) -> int:
    """How many provers fit: at most one per core and within the memory budget."""
    need = estimated_rss_bytes(info)
    if need > memory_budget_bytes:
        raise ConfigError(
            f"one prover for this circuit (logrows {info.logrows}) needs about {need / 1e9:.1f} GB, "
            f"over the memory budget of {memory_budget_bytes / 1e9:.1f} GB: use fewer windows per proof or a larger budget"
        )
    cores = os.cpu_count() or 1
    workers = min(cores, memory_budget_bytes // need, max_workers or cores)
    return max(1, int(workers))


class ProverPool:
    """Prove many independent jobs; results come back in job order."""

    def __init__(
        self,
        workspace: Workspace,
        memory_budget_bytes: int = 2_000_000_000,
        max_workers: int | None = None,
    ) -> None:
        self.workspace = workspace
        self.info = CircuitInfo.load(workspace)
        self.workers = plan_workers(self.info, memory_budget_bytes, max_workers)
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=get_context("spawn"),  # torch and ezkl threads do not survive fork
            initializer=_init_worker,
            initargs=(str(workspace.root), threads),
        )

    def prove_all(self, jobs: list[ProofJob]) -> list[PoolResult]:
        return list(self._executor.map(_prove_job, jobs))

    def prove_each(self, jobs: list[ProofJob]) -> Iterator[PoolResult]:
        """The results one by one, in job order, each as soon as it and those before it are done."""
        return self._executor.map(_prove_job, jobs)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
