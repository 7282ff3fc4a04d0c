"""Proofs as tasks on a Dask distributed cluster: embedded on this machine, or a plant's own.

``ProvingCluster.open()`` without an address starts an embedded cluster: a ``LocalCluster``
in this process (the scheduler on a thread, no server to run), one worker process per core as
far as the memory allows, each proving one proof at a time with its share of the cores
(``RAYON_NUM_THREADS``) and declaring its memory as the ``MEMORY`` resource. With an address
(``tcp://host:8786``) it joins a cluster started with ``dask scheduler`` and ``dask worker``.

A circuit is a :class:`~zkalert.cluster.folder.CircuitFolder`: the window detector's (a
workspace), or a time-series TC or SC circuit. Every proof is a task that asks for the memory
its circuit needs (``TaskNeeds``: the measured
peak RSS, or an estimate) as the ``MEMORY`` resource and for one ``CPU`` where workers declare
them, so a large proof never lands on a worker that cannot hold it. A circuit reaches workers
once per model id (:class:`~zkalert.cluster.worker.CircuitPlugin`). A task runs again
elsewhere when its worker dies (up to ``distributed.scheduler.allowed-failures`` losses, set
to :data:`ALLOWED_FAILURES` for the embedded cluster); tasks are keyed by what they prove, so
the same proof asked for twice while it runs is made once. A cluster that cannot be reached
or goes away raises :class:`~zkalert.errors.ClusterUnavailable`: nothing was lost, whatever
asked for the proofs still holds them to ask again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

from zkalert.cluster.folder import CircuitFolder, as_circuit
from zkalert.cluster.sizing import TaskNeeds, plan_workers, record_rss_bytes
from zkalert.cluster.worker import (
    NICE_ENV,
    CircuitPlugin,
    ProofJob,
    ProofResult,
    ezkl_version,
    noop_task,
    plugin_name,
    prove_task,
    statements_task,
)
from zkalert.config import Workspace
from zkalert.data.loaders import FloatArray
from zkalert.errors import ClusterError, ClusterUnavailable, ZkAlertError

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

log = logging.getLogger("zkalert.cluster")
T = TypeVar("T")


class Measured(Protocol):
    """A task's result that carries its worker's peak RSS (recorded as its circuit's need)."""

    @property
    def peak_rss_bytes(self) -> int: ...


R = TypeVar("R", bound=Measured)
J = TypeVar("J")

#: How many worker deaths one proof survives before it is given up (KilledWorker): a proof
#: whose worker dies three times in a row is more likely the cause than the victim.
ALLOWED_FAILURES = 2
CONNECT_TIMEOUT_S = 10.0
#: How long the workers listed by :meth:`ProvingCluster.status` may be old.
STATUS_TTL_S = 2.0
#: The embedded cluster's share of this machine's memory when no budget is given.
EMBEDDED_MEMORY_SHARE = 0.8
#: The embedded cluster's workers prove at this niceness ($ZKALERT_PROVER_NICE overrides; 0: none).
EMBEDDED_NICE = 10


def total_memory_bytes() -> int:
    """This machine's memory, or the container's limit (cgroups) when that is lower."""
    from distributed.system import MEMORY_LIMIT

    return int(MEMORY_LIMIT)


@dataclass(frozen=True)
class CircuitHandle:
    """A circuit installed on the cluster: what its tasks ask for and where it is here."""

    circuit: CircuitFolder
    needs: TaskNeeds
    resources: dict[str, float]  # the task resources asked for (empty: workers declare none)

    @property
    def model_id(self) -> str:
        return self.circuit.key


def call_key(model_id: str, name: str, data: bytes) -> str:
    """``prove-<name>-<digest>``: the same circuit, name and data (what the task proves) make the
    same key, and Dask runs one task for every asker of it; the name shows in the scheduler's
    task lists."""
    digest = hashlib.sha256(model_id.lower().encode())
    digest.update(data)
    digest.update(name.encode())
    return f"prove-{name}-{digest.hexdigest()[:16]}"


def task_key(model_id: str, job: ProofJob) -> str:
    """The key of a detector proof: its windows and binding are what it proves."""
    return call_key(
        model_id, job.name, job.windows.tobytes() + repr(job.binding.to_json()).encode()
    )


def quiet_dask_logs(level: int = logging.CRITICAL) -> None:
    """Dask logs reconnect attempts and lost workers at ERROR on its own loggers; a command that
    reports its own one-line errors raises the bar."""
    for name in ("distributed", "distributed.client", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(level)


class ProvingCluster:
    """A Dask client for proofs, with the embedded cluster it started (if it did)."""

    def __init__(
        self,
        address: str | None,
        *,
        workers: int | None = None,
        memory_budget_bytes: int | None = None,
        needs: TaskNeeds | None = None,
        timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.address = address
        self.embedded = address is None
        self.timeout_s = timeout_s
        self._workers_wanted = workers
        self._budget = memory_budget_bytes
        self._needs = needs
        self._lock = threading.RLock()
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._handles: dict[str, CircuitHandle] = {}
        self.plan: dict[str, Any] = {}
        self._workers_seen: tuple[float, list[dict[str, Any]]] | None = None
        self._connect()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        address: str | None = None,
        *,
        workspace: Workspace | None = None,
        circuits: Sequence[CircuitFolder] = (),
        workers: int | None = None,
        memory_budget_bytes: int | None = None,
        timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> ProvingCluster:
        """Join the cluster at ``address``, or start an embedded one sized for ``workspace``'s
        circuit and ``circuits`` (workers = cores, as far as ``memory_budget_bytes`` holds that
        many of the largest of their proofs)."""
        sized: list[Workspace | CircuitFolder] = [*([workspace] if workspace else []), *circuits]
        needs = TaskNeeds.most(sized) if address is None else None
        return cls(
            address,
            workers=workers,
            memory_budget_bytes=memory_budget_bytes,
            needs=needs,
            timeout_s=timeout_s,
        )

    def _connect(self) -> None:
        from distributed import Client

        if self.embedded:
            self._start_embedded()
            assert self._cluster is not None
            self._client = Client(self._cluster, timeout=self.timeout_s)
            return
        assert self.address is not None
        try:
            self._client = Client(self.address, timeout=self.timeout_s)
        except (OSError, TimeoutError) as exc:
            raise ClusterUnavailable(
                f"the proving cluster at {self.address} cannot be reached ({_reason(exc)}): start "
                "its scheduler or fix the address (--cluster, [cluster] address, "
                "$ZKALERT_CLUSTER_ADDRESS); nothing was proven"
            ) from None
        self.plan = {"mode": "address", "address": self.address}

    def _start_embedded(self) -> None:
        import dask
        from distributed import LocalCluster

        cores = os.cpu_count() or 1
        budget = self._budget or int(total_memory_bytes() * EMBEDDED_MEMORY_SHARE)
        needs = self._needs or TaskNeeds(budget // max(1, self._workers_wanted or cores))
        workers = plan_workers(needs, budget, self._workers_wanted, cores)
        threads = max(1, cores // workers)
        memory = budget // workers
        with (
            dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}),
            _started_or_error(workers),
        ):
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,  # one proof at a time per worker; halo2 uses `threads`
                processes=True,
                dashboard_address=None,
                # the scheduler's own HTTP routes (health, metrics): loopback, any free port, not
                # Dask's default 8787 another cluster on the machine may hold
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                host="127.0.0.1",
                memory_limit=memory,
                resources={"MEMORY": memory, "CPU": threads},
                # proofs yield the CPU to this process (a web service, a gateway's sender)
                env={
                    "RAYON_NUM_THREADS": str(threads),
                    NICE_ENV: os.environ.get(NICE_ENV, str(EMBEDDED_NICE)),
                },
                silence_logs=logging.ERROR,
                death_timeout=30,  # workers leave when this process is gone
                # the workers' own configuration: a proof is no Dask data to spill, and a worker
                # paused at 80 % of its limit by memory the allocator keeps after a proof would
                # take no more proofs; the nanny still restarts a worker past 95 % of its limit
                # (its proof then runs elsewhere)
                config={
                    "distributed.worker.memory.target": False,
                    "distributed.worker.memory.spill": False,
                    "distributed.worker.memory.pause": False,
                },
            )
        self.address = self._cluster.scheduler_address
        self.plan = {
            "mode": "embedded",
            "address": self.address,
            "workers": workers,
            "threads_per_worker": threads,
            "memory_per_worker_bytes": memory,
            "memory_budget_bytes": budget,
            "needs_bytes": needs.memory_bytes,
        }

    @property
    def client(self) -> Client:
        """The Dask client; a cluster at an address that went away is dialled again."""
        with self._lock:
            if self._client is None or self._client.status in ("closing", "closed"):
                if self.embedded and self._client is not None:
                    raise ClusterUnavailable("the embedded proving cluster was closed")
                self._handles.clear()  # a new scheduler knows none of the circuits
                self._connect()
            assert self._client is not None
            return self._client

    # ------------------------------------------------------------------ circuits

    def circuit(self, circuit: Workspace | CircuitFolder) -> CircuitHandle:
        """Install a circuit (a workspace's detector circuit, or any circuit folder) on every
        worker, once per model id, and decide what its tasks ask for; refused when no worker can
        hold one of its proofs."""
        folder = as_circuit(circuit)
        with self._lock:
            client = self.client
            handle = self._handles.get(folder.key)
            if handle is not None:
                return handle
            needs = TaskNeeds.of(folder)
            workers = self._wait_for_workers(client)
            resources = self._resources_for(needs, workers)
            manifest = folder.manifest()
            payload = (
                None
                if self.embedded
                else {name: Path(path).read_bytes() for name, (path, _) in manifest.items()}
            )
            plugin = CircuitPlugin(folder, manifest, payload, ezkl_version())
            try:
                client.register_plugin(plugin, name=plugin_name(folder.model_id))
            except ZkAlertError:
                raise
            except (OSError, TimeoutError, CancelledError) as exc:
                raise self._gone(exc, "installing the circuit") from None
            handle = CircuitHandle(folder, needs, resources)
            self._handles[handle.model_id] = handle
            log.info(
                "circuit %s on %s: each proof asks %s",
                folder.model_id[:18],
                self.describe(),
                needs.describe(),
            )
            return handle

    def _wait_for_workers(self, client: Client) -> dict[str, Any]:
        try:
            client.wait_for_workers(1, timeout=self.timeout_s)
        except (OSError, TimeoutError) as exc:
            if client.status in ("closing", "closed"):
                raise self._gone(exc, "waiting for workers") from None
            raise ClusterUnavailable(
                f"the proving cluster at {self.address} has no workers (waited "
                f"{self.timeout_s:.0f} s): start some with `dask worker {self.address}`"
            ) from None
        workers: dict[str, Any] = client.scheduler_info(n_workers=-1)["workers"]
        return workers

    def _resources_for(self, needs: TaskNeeds, workers: dict[str, Any]) -> dict[str, float]:
        declared = [w.get("resources") or {} for w in workers.values()]
        resources: dict[str, float] = {}
        memory = [float(r["MEMORY"]) for r in declared if "MEMORY" in r]
        if memory:
            if max(memory) < needs.memory_bytes:
                raise ClusterError(
                    f"no worker of the cluster at {self.address} can hold a proof of this circuit: "
                    f"one needs {needs.describe()}, the largest worker declares "
                    f"MEMORY={max(memory) / 1e9:.2f} GB (dask worker --resources MEMORY=<bytes>)"
                )
            resources["MEMORY"] = float(needs.memory_bytes)
        else:
            log.warning(
                "the workers at %s declare no MEMORY resource: proofs are placed without memory "
                "checks (start workers with --resources MEMORY=<bytes>)",
                self.address,
            )
        if any("CPU" in r for r in declared):
            resources["CPU"] = float(needs.cpus)
        return resources

    # ------------------------------------------------------------------ proving

    def submit_task(
        self, handle: CircuitHandle, fn: Callable[..., R], *args: Any, name: str, key: str
    ) -> Future[R]:
        """``fn(model id, *args)`` as a task on a worker that holds ``handle``'s circuit, asking
        for the resources one of its proofs needs; ``key`` names what it proves (one task for
        every asker of the same key)."""
        try:
            future: Future[R] = self.client.submit(
                fn,
                handle.model_id,
                *args,
                key=key,
                resources=handle.resources or None,
                pure=False,
            )
        except (OSError, TimeoutError, CancelledError) as exc:
            raise self._gone(exc, f"submitting proof {name}") from None
        return future

    def outcome(self, handle: CircuitHandle, name: str, future: Future[R]) -> R:
        """A task's result, its worker's peak RSS recorded for the circuit; errors translated
        into one line (the proof named ``name``)."""
        from distributed import KilledWorker

        try:
            result: R = future.result()
        except KilledWorker:
            raise ClusterError(
                f"proof {name} was on {ALLOWED_FAILURES + 1} workers that died while proving "
                f"it: it may need more memory than they have ({handle.needs.describe()} asked)"
            ) from None
        except ZkAlertError:
            raise
        except (OSError, TimeoutError, CancelledError) as exc:
            raise self._gone(exc, f"proving {name}") from None
        except Exception as exc:  # noqa: BLE001 - anything EZKL or the worker raised, named
            raise ClusterError(
                f"proof {name} failed on the cluster: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200] if str(exc) else ''}"
            ) from None
        if result.peak_rss_bytes:
            record_rss_bytes(handle.circuit, result.peak_rss_bytes)
        return result

    def submit(self, handle: CircuitHandle, job: ProofJob) -> Future[ProofResult]:
        """A detector proof as a task."""
        return self.submit_task(
            handle, prove_task, job, name=job.name, key=task_key(handle.model_id, job)
        )

    def result(
        self, handle: CircuitHandle, job: ProofJob, future: Future[ProofResult]
    ) -> ProofResult:
        """A detector proof's result, its files saved in the circuit's workspace."""
        return self._saved(handle, self.outcome(handle, job.name, future))

    @staticmethod
    def _saved(handle: CircuitHandle, result: ProofResult) -> ProofResult:
        """A detector proof's files saved in its circuit's workspace."""
        return replace(result, proven=result.save(Workspace(handle.circuit.root)))

    def completed(self, futures: list[Future[T]]) -> Iterator[Future[T]]:
        """The futures as each is done (its result then leaves the worker at once: a worker lost
        afterwards does not take a finished proof with it)."""
        from distributed import as_completed

        return iter(as_completed(futures))

    def prove_each(
        self, workspace: Workspace, jobs: Iterable[ProofJob]
    ) -> Iterator[tuple[int, ProofResult]]:
        """``(position in jobs, result)`` as each proof is done, all proving at once."""
        handle = self.circuit(workspace)
        tasks: TaskSet[int, ProofResult] = TaskSet(self)
        try:
            for i, job in enumerate(jobs):
                key = task_key(handle.model_id, job)
                tasks.submit(i, handle, prove_task, job, name=job.name, key=key)
        except BaseException:
            tasks.drop()
            raise
        for i, result in tasks.each():
            yield i, self._saved(handle, result)

    def prove_all(self, workspace: Workspace, jobs: Iterable[ProofJob]) -> list[ProofResult]:
        """Every job's result, in job order."""
        jobs = list(jobs)
        out: list[ProofResult | None] = [None] * len(jobs)
        for i, result in self.prove_each(workspace, jobs):
            out[i] = result
        return [r for r in out if r is not None]

    def statements(
        self, workspace: Workspace, scaled: FloatArray, chunk: int = 64
    ) -> Iterator[tuple[int, list[tuple[tuple[int, ...] | None, str]]]]:
        """Witness-only statements of single windows in chunks of ``chunk`` on the workers:
        ``(first row of the chunk, [(instances or None, error), ...])`` as each chunk is done."""
        from distributed import KilledWorker

        handle = self.circuit(workspace)
        try:
            futures = {
                self.client.submit(
                    statements_task,
                    handle.model_id,
                    scaled[start : start + chunk],
                    f"statements-{start}",
                    resources=handle.resources or None,
                    pure=False,
                ): start
                for start in range(0, len(scaled), chunk)
            }
        except (OSError, TimeoutError, CancelledError) as exc:
            raise self._gone(exc, "submitting witness tasks") from None
        try:
            for future in self.completed(list(futures)):
                try:
                    rows = future.result()
                except KilledWorker:
                    raise ClusterError(
                        f"the witnesses of rows {futures[future]}.. were on "
                        f"{ALLOWED_FAILURES + 1} workers that died running them"
                    ) from None
                except (OSError, TimeoutError, CancelledError) as exc:
                    raise self._gone(exc, "running witnesses") from None
                yield futures[future], rows
                future.release()
        finally:
            for future in futures:
                future.release()

    def overhead_ms(self, tasks: int = 50) -> float:
        """The mean round trip of a task that does nothing (submit to result), in ms."""
        client = self.client
        client.submit(noop_task, -1, pure=False).result()
        started = time.perf_counter()
        for i in range(tasks):
            client.submit(noop_task, i, pure=False).result()
        return 1000 * (time.perf_counter() - started) / tasks

    # ------------------------------------------------------------------ state

    def workers(self) -> list[dict[str, Any]]:
        """Each worker: address, host, threads, memory limit, declared resources."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return [
            {
                "address": address,
                "name": str(w.get("name")),
                "host": w.get("host"),
                "nthreads": w.get("nthreads"),
                "memory_limit": w.get("memory_limit"),
                "resources": w.get("resources") or {},
            }
            for address, w in sorted(info.items())
        ]

    def describe(self) -> str:
        if self.embedded:
            return (
                f"an embedded cluster of {self.plan.get('workers')} worker(s) "
                f"({self.plan.get('threads_per_worker')} core(s), "
                f"{self.plan.get('memory_per_worker_bytes', 0) / 1e9:.1f} GB each)"
            )
        return f"the cluster at {self.address}"

    def status(self) -> dict[str, Any]:
        """For /v1/status and reports: the plan and, while connected, the workers (never dials a
        scheduler that went away: the next proof does)."""
        out: dict[str, Any] = {**self.plan}
        client = self._client
        out["connected"] = client is not None and client.status == "running"
        if out["connected"]:
            # the workers as the scheduler saw them at most STATUS_TTL_S ago: a status page
            # polled many times a second asks the scheduler once
            now = time.monotonic()
            cached = self._workers_seen
            if cached is not None and now - cached[0] < STATUS_TTL_S:
                out["workers_now"] = cached[1]
                return out
            try:
                out["workers_now"] = self.workers()
                self._workers_seen = (now, out["workers_now"])
            except (ZkAlertError, OSError, TimeoutError) as exc:
                out["error"] = str(exc)
        return out

    def _gone(self, exc: BaseException, doing: str) -> ClusterUnavailable:
        return ClusterUnavailable(
            f"the proving cluster at {self.address} went away while {doing} ({_reason(exc)}); "
            "nothing was lost: what was not proven stays queued, to be proven when it is back"
        )

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = None
            self._cluster = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class TaskSet(Generic[J, R]):
    """Tasks handed to a cluster and not yet collected, each with a tag (what it is for): the
    ones back so far are collected while more are submitted, or every one as it comes back.
    A collected task leaves the cluster at once (a worker lost afterwards takes nothing with it);
    results come through :meth:`ProvingCluster.outcome` (errors as one line, peak RSS recorded)."""

    def __init__(self, cluster: ProvingCluster) -> None:
        self.cluster = cluster
        self._tasks: dict[Future[R], tuple[J, CircuitHandle, str]] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def submit(
        self,
        tag: J,
        handle: CircuitHandle,
        fn: Callable[..., R],
        *args: Any,
        name: str,
        key: str,
    ) -> None:
        """``fn(model id, *args)`` on a worker of ``handle``'s circuit (:meth:`submit_task`)."""
        future = self.cluster.submit_task(handle, fn, *args, name=name, key=key)
        self._tasks[future] = (tag, handle, name)

    def back(self) -> Iterator[tuple[J, R]]:
        """``(tag, result)`` of each task back so far, without waiting for the others."""
        for future in [f for f in self._tasks if f.done()]:
            yield self._take(future)

    def each(self) -> Iterator[tuple[J, R]]:
        """``(tag, result)`` of every task as it comes back, until none is left."""
        if not self._tasks:
            return
        try:
            for future in self.cluster.completed(list(self._tasks)):
                yield self._take(future)
        finally:
            self.drop()

    def drop(self) -> None:
        """Forget the tasks not collected (the cluster drops those no one else asked for)."""
        for future in self._tasks:
            future.release()
        self._tasks.clear()

    def _take(self, future: Future[R]) -> tuple[J, R]:
        tag, handle, name = self._tasks.pop(future)
        try:
            return tag, self.cluster.outcome(handle, name, future)
        finally:
            future.release()


@contextmanager
def _started_or_error(workers: int) -> Iterator[None]:
    """A LocalCluster that does not start (no port, workers that die at once) is one line."""
    try:
        yield
    except (OSError, RuntimeError, TimeoutError) as exc:
        cause = exc.__cause__ or exc
        raise ClusterError(
            f"the embedded proving cluster of {workers} worker(s) did not start ({_reason(cause)})"
        ) from None


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:160] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = [
    "ALLOWED_FAILURES",
    "CONNECT_TIMEOUT_S",
    "CircuitHandle",
    "Measured",
    "ProofJob",
    "ProofResult",
    "ProvingCluster",
    "TaskSet",
    "call_key",
    "quiet_dask_logs",
    "task_key",
    "total_memory_bytes",
]
