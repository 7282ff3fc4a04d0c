"""Time-series proofs as tasks on the proving cluster: a TC interval or an SC window.

The TC and SC circuits are each a circuit folder the cluster installs on its workers once per
model id (:func:`cluster_circuit`; the model id is keccak256 of the folder's verifying key, the
circuit's ``key_id``). A task gets the inputs stored at operation, regenerates the witness and
proves it on the worker, in a scratch folder there, and returns the witness's instances with the
proof's text: the intervals of a window are independent of each other once their inputs are
stored, so a window's TC intervals and its SC prove at once. The operator checks the instances
against the stored ones before it writes a proof where an in-process proof goes and records it
(:meth:`zkalert.timeseries.stream.Operator.prove_window`).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from zkalert.cluster.folder import CircuitFolder
from zkalert.errors import ClusterError
from zkalert.timeseries.circuits import CircuitDir, Kind, prove, run_witness

#: The files of a TC or SC circuit folder a prover reads (the SRS is added under its own name).
TS_CIRCUIT_FILES = ("circuit.json", "model.compiled", "pk.key", "vk.key", "settings.json")


def load_circuit(root: Path) -> CircuitDir:
    """A worker's TC or SC circuit installed at ``root`` (EZKL loaded now, not on the first proof)."""
    import ezkl  # noqa: F401

    return CircuitDir(root)


def cluster_circuit(folder: CircuitDir) -> CircuitFolder:
    """A TC or SC circuit as the cluster installs it."""
    info = folder.info
    return CircuitFolder(
        info.key_id, folder.root, TS_CIRCUIT_FILES, Path(info.srs_path), info.logrows, load_circuit
    )


@dataclass(frozen=True)
class TsProofJob:
    """One TC interval or SC window to prove, from the inputs stored at operation."""

    kind: Kind
    idx: int  # the interval (TC) or window (SC) index
    inputs: list[list[float]] = field(repr=False)

    @property
    def name(self) -> str:
        """As the stream's files are named: ``tc-00003``, ``sc-00001``."""
        return f"{self.kind}-{self.idx:05d}"

    def key_data(self) -> bytes:
        """What the task proves, for its key: the inputs (fresh nonces make each one unique)."""
        return json.dumps([self.kind, self.idx, self.inputs]).encode()


@dataclass(frozen=True)
class TsProofResult:
    """A TC or SC proof made on a worker: the witness's instances, the proof file's text, timings."""

    name: str
    witness_instances: tuple[int, ...]
    proof_text: str = field(repr=False)
    witness_s: float
    prove_s: float
    worker: str = ""  # the worker's address
    host: str = ""
    peak_rss_bytes: int = 0  # the worker process's peak resident set so far
    task_s: float = 0.0  # on the worker, from start to result


def prove_ts_task(model_id: str, job: TsProofJob) -> TsProofResult:
    """One TC or SC proof on this worker, with the circuit its plugin installed."""
    from zkalert.cluster.worker import installed, lower_priority, where_run

    started = time.perf_counter()
    lower_priority()
    folder = installed(model_id)
    if not isinstance(folder, CircuitDir):
        raise ClusterError(f"circuit {model_id[:18]}.. is no time-series circuit")
    with tempfile.TemporaryDirectory(prefix=f"zkalert-{job.name}-") as tmp:
        witness = run_witness(folder, job.kind, job.inputs, Path(tmp) / f"{job.name}.witness.json")
        proof = prove(folder, witness.path, Path(tmp) / f"{job.name}.proof.json")
        text = proof.path.read_text()
    return TsProofResult(
        job.name,
        witness.instances,
        text,
        witness.witness_s,
        proof.prove_s,
        *where_run(),
        time.perf_counter() - started,
    )


__all__ = [
    "TS_CIRCUIT_FILES",
    "TsProofJob",
    "TsProofResult",
    "cluster_circuit",
    "load_circuit",
    "prove_ts_task",
]
