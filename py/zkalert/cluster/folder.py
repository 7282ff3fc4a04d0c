"""A compiled EZKL circuit as the cluster knows it: a folder of files, identified by its model id.

The window detector's circuit (a :class:`~zkalert.config.Workspace`) and the time-series TC and
SC circuits (each a folder of its own) are all this: a compiled circuit, its proving and
verifying keys, its settings and a ``circuit.json`` record naming its SRS, in one folder; the
model id is keccak256 of the verifying key. What differs is what a worker makes of the folder
once it has it (``loader``: the detector's :class:`~zkalert.zk.prover.Prover`, a time-series
circuit folder) and which task functions use that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from zkalert.config import Workspace
from zkalert.errors import ClusterError
from zkalert.zk.circuit import CircuitInfo
from zkalert.zk.prover import Prover

#: The record every circuit folder holds; its ``srs_path`` is rewritten where the files are copied.
RECORD = "circuit.json"
VERIFYING_KEY = "vk.key"
#: The detector workspace's files a prover reads (the SRS is added under its own name).
CIRCUIT_FILES = (RECORD, "detector.compiled", "pk.key", VERIFYING_KEY, "settings.json")


@dataclass(frozen=True)
class CircuitFolder:
    """One compiled circuit: where it is here, the files a prover reads, its SRS and size."""

    model_id: str  # 0x + keccak256 of the verifying key
    root: Path
    files: tuple[str, ...]  # names under ``root``; the record and the verifying key among them
    srs_path: Path
    logrows: int
    #: What a worker makes of the installed folder, once, when the circuit arrives (a module-level
    #: function or class: it travels to the workers by reference); its tasks get the result back
    #: with :func:`zkalert.cluster.worker.installed`.
    loader: Callable[[Path], Any]

    def __post_init__(self) -> None:
        if RECORD not in self.files or VERIFYING_KEY not in self.files:
            raise ClusterError(f"a circuit folder needs {RECORD} and {VERIFYING_KEY}: {self.files}")

    @property
    def key(self) -> str:
        """The model id in lower case: how the cluster knows the circuit."""
        return self.model_id.lower()

    def manifest(self) -> dict[str, tuple[str, int]]:
        """Every file a prover of this circuit reads: name in the bundle -> (path here, size)."""
        files = {name: self.root / name for name in self.files}
        files[f"srs-{self.srs_path.name}"] = self.srs_path
        manifest = {}
        for name, path in files.items():
            if not path.is_file():
                raise ClusterError(f"{path} is missing: compile the circuit again")
            manifest[name] = (str(path), path.stat().st_size)
        return manifest


def model_id_of(root: Path) -> str | None:
    """The model id of the circuit in ``root`` (from its verifying key), None without one."""
    try:
        return "0x" + keccak((root / VERIFYING_KEY).read_bytes()).hex()
    except OSError:
        return None


def load_prover(root: Path) -> Prover:
    """A worker's prover of the detector circuit installed at ``root`` (loads EZKL and torch)."""
    return Prover(Workspace(root))


def workspace_circuit(workspace: Workspace, info: CircuitInfo | None = None) -> CircuitFolder:
    """The detector's circuit of ``workspace``."""
    info = info or CircuitInfo.load(workspace)
    return CircuitFolder(
        info.model_id, workspace.root, CIRCUIT_FILES, Path(info.srs_path), info.logrows, load_prover
    )


def as_circuit(circuit: Workspace | CircuitFolder) -> CircuitFolder:
    """A circuit folder as it is, a workspace as its detector's circuit."""
    return circuit if isinstance(circuit, CircuitFolder) else workspace_circuit(circuit)


__all__ = [
    "CIRCUIT_FILES",
    "CircuitFolder",
    "as_circuit",
    "load_prover",
    "model_id_of",
    "workspace_circuit",
]
