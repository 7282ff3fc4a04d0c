"""What runs on the cluster's workers: circuits, installed once per model id, and the proof tasks.

A circuit (a :class:`~zkalert.cluster.folder.CircuitFolder`: the detector's, or a time-series TC
or SC circuit) reaches a worker as a :class:`CircuitPlugin` (a Dask worker plugin, registered
once per model id at the scheduler, which hands it to every worker, those that join later too).
The plugin names the files where the client has them; a worker that finds them there with the
same sizes and verifying key (the same machine, or a shared filesystem) proves from that folder.
Otherwise it installs the bytes the plugin carries into a local cache folder,
``$ZKALERT_WORKER_CACHE`` or ``<tmp>/zkalert-circuits/<model id>/`` (shared by the workers of one
host, kept between runs), and drops them from memory. Each worker process keeps what the
circuit's loader made of the folder per model id (:func:`installed`: for the detector's circuit a
:class:`~zkalert.zk.prover.Prover`); its first proof does not pay for loading EZKL, the plugin did.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from zkalert.cluster.folder import RECORD, CircuitFolder, model_id_of
from zkalert.config import Workspace
from zkalert.data.loaders import FloatArray
from zkalert.errors import ClusterError
from zkalert.zk.prover import ProvenWindow, Prover, binding_file
from zkalert.zk.statement import Binding

CACHE_ENV = "ZKALERT_WORKER_CACHE"
#: A worker started with this variable (a niceness, 1-19) proves at that lower CPU priority: a
#: web service or a gateway on the same machine keeps answering while proofs run.
NICE_ENV = "ZKALERT_PROVER_NICE"

#: This worker process's circuits: model id -> what the circuit's loader made of its folder.
_INSTALLED: dict[str, Any] = {}


def plugin_name(model_id: str) -> str:
    return f"zkalert-circuit-{model_id.lower()}"


def ezkl_version() -> str:
    from importlib.metadata import version

    return version("ezkl")


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "zkalert-circuits")


def _files_match(manifest: dict[str, tuple[str, int]], folder: Path | None = None) -> bool:
    """The manifest's files are here: at their own paths, or (``folder``) under their bundle names."""
    for name, (path, size) in manifest.items():
        where = folder / name if folder is not None else Path(path)
        try:
            if where.stat().st_size != size:
                return False
        except OSError:
            return False
    return True


class CircuitPlugin(WorkerPlugin):
    """Installs one circuit on every worker of the cluster.

    ``manifest`` is the circuit's files as the client has them (:meth:`CircuitFolder.manifest`);
    ``payload`` (their bytes) is None for a cluster on this machine; a worker that finds the files
    at their paths never writes the payload anywhere.
    """

    idempotent = True  # a second client registering the same model id ships nothing again

    def __init__(
        self,
        circuit: CircuitFolder,
        manifest: dict[str, tuple[str, int]],
        payload: dict[str, bytes] | None,
        ezkl: str,
    ) -> None:
        self.model_id = circuit.key
        self.name = plugin_name(circuit.model_id)
        self.source_root = str(circuit.root)
        self.loader = circuit.loader
        self.manifest = manifest
        self.payload = payload
        self.ezkl = ezkl

    def setup(self, worker: Any) -> None:
        if ezkl_version() != self.ezkl:
            raise ClusterError(
                f"worker {worker.address} runs ezkl {ezkl_version()}, the client {self.ezkl}: "
                "proofs of one circuit need one EZKL version everywhere"
            )
        root = self._install()
        self.payload = None  # installed: the worker keeps no copy of the keys in memory
        _INSTALLED[self.model_id] = self.loader(root)  # loads EZKL (and the circuit's own) now
        lower_priority()

    def teardown(self, worker: Any) -> None:
        _INSTALLED.pop(self.model_id, None)

    def _install(self) -> Path:
        source = Path(self.source_root)
        if _files_match(self.manifest) and model_id_of(source) == self.model_id:
            return source
        folder = cache_root() / self.model_id
        if _files_match_bundle(self.manifest, folder):
            return folder
        if self.payload is None:
            raise ClusterError(
                f"this worker ({socket.gethostname()}) does not see the circuit at {source} and "
                "none was shipped: connect to the cluster by its address so the keys are sent"
            )
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.model_id[:12]}-", dir=folder.parent))
        try:
            for name, data in self.payload.items():
                (tmp / name).write_bytes(data)
            srs = next(name for name in self.manifest if name.startswith("srs-"))
            meta = json.loads((tmp / RECORD).read_text())
            meta["srs_path"] = str(folder / srs)
            (tmp / RECORD).write_text(json.dumps(meta, indent=2))
            try:
                tmp.rename(folder)
            except OSError:  # another worker of this host installed it meanwhile
                if not _files_match_bundle(self.manifest, folder):
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return folder


def _files_match_bundle(manifest: dict[str, tuple[str, int]], folder: Path) -> bool:
    """An installed bundle: every file but the record (its SRS path is rewritten) at its size."""
    rest = {k: v for k, v in manifest.items() if k != RECORD}
    return (folder / RECORD).is_file() and _files_match(rest, folder)


@dataclass(frozen=True)
class ProofJob:
    windows: FloatArray  # scaled, shape (windows_per_proof, width)
    name: str
    binding: Binding  # the gateway, stream and first window index the proof is for
    float_score: float = float("nan")


@dataclass(frozen=True)
class ProofResult:
    """A proof made on a worker: the proof, its files' text, where and how long it took."""

    name: str
    proven: ProvenWindow  # proof_path is the worker's until :meth:`save`
    files: dict[str, str] = field(repr=False)  # "proof.json", "input.json", "binding.json" -> text
    worker: str = ""  # the worker's address
    host: str = ""
    peak_rss_bytes: int = 0  # the worker process's peak resident set so far
    task_s: float = 0.0  # on the worker, from start to result

    @property
    def witness_s(self) -> float:
        return self.proven.witness_s

    @property
    def prove_s(self) -> float:
        return self.proven.prove_s

    @property
    def proof_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.files["proof.json"])
        return data

    def save(self, workspace: Workspace) -> ProvenWindow:
        """Write the proof's files into ``workspace``'s proofs folder (unless the worker proved
        there), where :meth:`Prover.cached` finds them; the proof with that path."""
        proof_path = workspace.proofs / f"{self.name}.proof.json"
        if proof_path.resolve() != self.proven.proof_path.resolve() or not proof_path.is_file():
            (workspace.proofs / f"{self.name}.input.json").write_text(self.files["input.json"])
            binding_file(proof_path).write_text(self.files["binding.json"])
            tmp = proof_path.with_name(f".{proof_path.name}.tmp")
            tmp.write_text(self.files["proof.json"])
            tmp.replace(proof_path)
        return replace(self.proven, proof_path=proof_path)


def prove_task(model_id: str, job: ProofJob) -> ProofResult:
    """One proof on this worker, with the circuit its plugin installed."""
    started = time.perf_counter()
    lower_priority()
    prover = installed_prover(model_id)
    proven = prover.prove(job.windows, job.name, job.binding, job.float_score)
    proofs = prover.workspace.proofs
    files = {
        "proof.json": proven.proof_path.read_text(),
        "input.json": (proofs / f"{job.name}.input.json").read_text(),
        "binding.json": binding_file(proven.proof_path).read_text(),
    }
    return ProofResult(job.name, proven, files, *where_run(), time.perf_counter() - started)


def where_run() -> tuple[str, str, int]:
    """For a task's result: this worker's address, its host and its peak RSS so far."""
    from distributed import get_worker

    from zkalert.cluster.sizing import peak_rss_bytes

    return get_worker().address, socket.gethostname(), peak_rss_bytes()


def statements_task(
    model_id: str, scaled: FloatArray, name: str
) -> list[tuple[tuple[int, ...] | None, str]]:
    """The statement each single window of ``scaled`` would prove (witness only, no proof), or
    why the circuit could not take it: ``(instances, "")`` or ``(None, error)`` per window."""
    lower_priority()
    return window_statements(installed_prover(model_id), scaled, name)


def window_statements(
    prover: Prover, scaled: FloatArray, name: str
) -> list[tuple[tuple[int, ...] | None, str]]:
    """Each single window's unbound statement, or why the circuit could not take it."""
    out: list[tuple[tuple[int, ...] | None, str]] = []
    for k in range(len(scaled)):
        try:
            out.append((prover.statement_instances(scaled[k : k + 1], name), ""))
        except Exception as exc:  # noqa: BLE001 - a window the circuit cannot take, reported by row
            out.append((None, str(exc)[:200]))
    return out


def installed(model_id: str) -> Any:
    """What this worker's loader made of the circuit its plugin installed (for a task)."""
    from distributed import get_worker

    loaded = _INSTALLED.get(model_id.lower())
    if loaded is None:
        raise ClusterError(
            f"worker {get_worker().address} has no circuit {model_id[:18]}..: its plugin did not "
            "install (see the worker's log)"
        )
    return loaded


def installed_prover(model_id: str) -> Prover:
    """This worker's prover of the detector circuit its plugin installed."""
    prover = installed(model_id)
    if not isinstance(prover, Prover):
        raise ClusterError(f"circuit {model_id[:18]}.. is no detector circuit: it has no prover")
    return prover


def lower_priority() -> None:
    """Every thread of this process at the niceness ``$ZKALERT_PROVER_NICE`` (unset or 0: as is).

    Linux keeps a niceness per thread, and threads inherit it when they are created: the
    worker's threads and halo2's pool (created on the first proof) are all set, here, before and
    after it exists; a thread already as nice or nicer is left alone.
    """
    try:
        nice = int(os.environ.get(NICE_ENV, "0"))
    except ValueError:
        return
    if nice <= 0:
        return
    try:
        threads = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:  # not Linux: the process, which new threads inherit
        threads = [0]
    for tid in threads:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, min(nice, 19))
        except OSError:  # a thread that ended meanwhile
            continue


def noop_task(token: int) -> int:
    """A task that does nothing: the round trip through the scheduler, for the overhead figure."""
    return token


__all__ = [
    "CACHE_ENV",
    "NICE_ENV",
    "CircuitPlugin",
    "ProofJob",
    "ProofResult",
    "cache_root",
    "installed",
    "installed_prover",
    "lower_priority",
    "noop_task",
    "plugin_name",
    "prove_task",
    "statements_task",
    "where_run",
    "window_statements",
]
