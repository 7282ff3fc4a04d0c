"""Operating a time-series stream: interval by interval, eager or lazy proving.

During operation the utility feeds measurements; every complete interval of D
steps gets its Kalman gains computed offline, fresh nonces, and an EZKL witness
(which yields the exact next state, so the chain of hashes is fixed as it goes),
and is stored durably (:mod:`.store`). Every complete window of L = W·D steps
gets its SC witness. In eager mode each is proven at once; in lazy mode
:meth:`Operator.prove_window` proves any window on demand from the stored rows.

Proofs are made in this process, or, given a proving cluster, as tasks on its workers
(:mod:`.proving`): a window's TC intervals and its SC at once, and in eager mode each proof is
handed to the cluster while operation goes on. Either way every proof is checked against the
stored instances before it is written and recorded.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zkalert.config import BN254_R, Workspace
from zkalert.data.loaders import FloatArray
from zkalert.errors import ConfigError, ProofError
from zkalert.timeseries.circuits import (
    CircuitDir,
    Precision,
    Proof,
    compile_stepper,
    exact_tc_block,
    poseidon_of_felts,
    prove,
    run_witness,
    svd_advice,
    tc_block,
    verify,
)
from zkalert.timeseries.ekf import Detector, t2_statistic
from zkalert.timeseries.graphs import NONCE_BITS, NONCE_LEN
from zkalert.timeseries.proving import TsProofJob, TsProofResult
from zkalert.timeseries.store import IntervalRow, Store, StreamRow, WindowRow

if TYPE_CHECKING:  # a cluster is opened by whoever proves on it
    from zkalert.cluster.backend import CircuitHandle, ProvingCluster, TaskSet


def fresh_nonce() -> list[float]:
    """NONCE_LEN uniformly random integers below 2**NONCE_BITS (exact in float64)."""
    return [float(secrets.randbits(NONCE_BITS)) for _ in range(NONCE_LEN)]


def felt_of(value: float, psf: int) -> int:
    return int(round(value * 2**psf) % BN254_R)


def tensor_commitment(values: list[float], psf: int) -> int:
    """EZKL's Poseidon commitment of one hashed input tensor (values exact in float32)."""
    return poseidon_of_felts([felt_of(v, psf) for v in values])


def store_path(workspace: Workspace) -> Path:
    return workspace.root / "ts" / "store.sqlite"


@dataclass
class Operator:
    """One stream of one subsystem: detector, circuits and store."""

    name: str
    detector: Detector
    tc: CircuitDir
    sc: CircuitDir
    store: Store
    folder: Path
    eager: bool = False
    echo: Any = print
    #: Prove on this cluster (None: in this process).
    cluster: ProvingCluster | None = None
    _stepper_dir: CircuitDir | None = field(default=None, init=False, repr=False)
    #: Proofs handed to the cluster and not recorded yet.
    _pending: TaskSet[TsProofJob, TsProofResult] | None = field(default=None, repr=False)

    @property
    def stream(self) -> StreamRow:
        return self.store.stream(self.name)

    @property
    def precision(self) -> Precision:
        return Precision(**self.tc.info.precision)

    @classmethod
    def open(
        cls,
        name: str,
        detector: Detector,
        tc: CircuitDir,
        sc: CircuitDir,
        store: Store,
        workspace: Workspace,
        eager: bool = False,
        echo: Any = print,
        cluster: ProvingCluster | None = None,
    ) -> Operator:
        """Start a new stream (genesis state = the detector's x0, P0) or resume a stored one;
        with ``cluster``, its proofs are made there."""
        tc_info = tc.info
        steps = tc_info.steps
        window_steps = detector.config.window_steps
        if window_steps % steps:
            raise ConfigError(
                f"interval length D={steps} must divide the window length L={window_steps}"
            )
        folder = (
            workspace.root
            / "ts"
            / detector.config.subsystem
            / "streams"
            / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        )
        folder.mkdir(parents=True, exist_ok=True)
        if name not in store.streams():
            precision = Precision(**tc_info.precision)
            m = detector.m
            state = [
                *precision.quantize(detector.x0).tolist(),
                *precision.quantize(detector.P0).ravel().tolist(),
                *fresh_nonce(),
            ]
            acc = [0.0] * (m + m * m) + fresh_nonce()
            genesis_instances = (
                tensor_commitment(state, precision.psf),
                tensor_commitment(acc, precision.psf),
            )
            store.create_stream(
                StreamRow(
                    name,
                    detector.config.subsystem,
                    steps,
                    precision.psf,
                    window_steps // steps,
                    [state, acc],
                    genesis_instances,
                )
            )
        row = store.stream(name)
        if (
            row.steps != steps
            or row.subsystem != detector.config.subsystem
            or row.psf != tc_info.psf
        ):
            raise ConfigError(
                f"stream {name!r} was started with {row.subsystem}, D={row.steps}, PSF {row.psf}; the circuit given is {tc_info.subsystem}, D={steps}, PSF {tc_info.psf}"
            )
        return cls(name, detector, tc, sc, store, folder, eager, echo, cluster)

    # ------------------------------------------------------------ operation

    def feed(self, measurements: FloatArray) -> int:
        """Process every complete interval of the stream's scaled measurements not yet stored.

        ``measurements`` is the whole stream so far (scaled, clipped: Detector.measurements);
        returns the number of intervals added. In eager mode on a cluster, the proofs are handed
        to it as each interval and window is witnessed, and are all back when this returns.
        """
        try:
            added = self._feed(measurements)
        except BaseException:
            self._drop_pending()  # whatever was not back is proven later, from the store
            raise
        self._collect(wait=True)
        return added

    def _feed(self, measurements: FloatArray) -> int:
        row = self.stream
        D, W = row.steps, row.intervals_per_window
        precision = self.precision
        ys_all = precision.quantize(measurements)
        done = self.store.interval_count(self.name)
        added = 0
        while (done + 1) * D <= len(ys_all):
            idx = done
            if idx == 0:
                state, acc = row.genesis
            else:
                previous = self.store.intervals(self.name, idx - 1, idx)[0]
                state, acc = previous.outputs[0], previous.outputs[1]
            ys = ys_all[idx * D : (idx + 1) * D]
            nonces = fresh_nonce() + fresh_nonce()
            reset = [1.0 if idx % W == 0 else 0.0]
            block = tc_block(self.detector, precision, state, ys, nonces)
            inputs = [state, acc, block, reset]
            witness = run_witness(self.tc, "tc", inputs, self._path("tc", idx, "witness"))
            if witness.outputs[2][0] < 0.5:
                # the float filter's gains fail the circuit's KRC check (its fixed-point state
                # drifted from the float one): recompute them from the circuit's own states
                block = exact_tc_block(
                    self.detector, precision, self._stepper(), state, acc, ys, nonces
                )
                inputs = [state, acc, block, reset]
                witness = run_witness(self.tc, "tc", inputs, self._path("tc", idx, "witness"))
                self.echo(
                    f"interval {idx}: the float filter's gains failed the circuit's KRC check; "
                    f"recomputed from the circuit's own fixed-point states, the check "
                    f"{'passes' if witness.outputs[2][0] > 0.5 else 'still fails'}"
                )
            if idx == 0 and witness.instances[:2] != row.genesis_instances:
                raise ProofError(
                    "the TC circuit's input hashes differ from the stored genesis commitment (EZKL hashing changed?)"
                )
            self.store.add_interval(
                self.name,
                idx,
                idx * D,
                inputs,
                witness.instances,
                witness.outputs,
                witness.witness_s,
            )
            if self.eager:
                self._prove(TsProofJob("tc", idx, inputs))
            done += 1
            added += 1
            if done % W == 0:
                self._close_window(done // W - 1, measurements)
        return added

    def _stepper(self) -> CircuitDir:
        """The one-step TC graph for :func:`exact_tc_block`, compiled once per operator (cheap:
        no keys), so it always matches the detector in use."""
        if self._stepper_dir is None:
            self._stepper_dir = compile_stepper(
                self.detector, self.precision, CircuitDir(self.folder / "stepper")
            )
        return self._stepper_dir

    def _close_window(self, j: int, measurements: FloatArray) -> None:
        row = self.stream
        W, m = row.intervals_per_window, self.detector.m
        acc_end = self.store.intervals(self.name, (j + 1) * W - 1, (j + 1) * W)[0].outputs[1]
        U, s, w = svd_advice(acc_end, m)
        precision = self.precision
        advice = [
            *precision.quantize(U).ravel().tolist(),
            *precision.quantize(s).tolist(),
            *precision.quantize(w).tolist(),
            *fresh_nonce(),
        ]
        inputs = [acc_end, advice]
        witness = run_witness(self.sc, "sc", inputs, self._path("sc", j, "witness"))
        t2, alarm, svd_ok = (
            witness.outputs[0][0],
            witness.outputs[1][0] > 0.5,
            witness.outputs[2][0] > 0.5,
        )
        float_t2 = self.float_window_t2(measurements, j)
        self.store.add_window(
            self.name,
            j,
            inputs,
            witness.instances,
            t2,
            alarm,
            svd_ok,
            float_t2,
            float_t2 > self.detector.ucl,
            witness.witness_s,
        )
        if self.eager:
            self._prove(TsProofJob("sc", j, inputs))

    def float_window_t2(self, measurements: FloatArray, j: int) -> float:
        """The float (non-ZK) detector's T² of window j: the same EKF from the same start, in float64."""
        L = self.detector.config.window_steps
        if not hasattr(self, "_float_cache") or len(self._float_cache[0]) < (j + 1) * L:
            genesis = self.stream.genesis[0]
            n = self.detector.n
            trajectory = self.detector.run(
                measurements[: (j + 1) * L],
                np.asarray(genesis[:n]),
                np.asarray(genesis[n : n + n * n]).reshape(n, n),
            )
            self._float_cache: tuple[FloatArray, FloatArray] = (trajectory.residuals, trajectory.S)
        residuals, S = self._float_cache
        return t2_statistic(residuals[j * L : (j + 1) * L].sum(0), S[j * L : (j + 1) * L].sum(0))

    # ------------------------------------------------------------ proving

    def _path(self, kind: str, idx: int, what: str) -> Path:
        return self.folder / f"{kind}-{idx:05d}.{what}.json"

    def _stored(self, job: TsProofJob) -> IntervalRow | WindowRow:
        if job.kind == "tc":
            return self.store.intervals(self.name, job.idx, job.idx + 1)[0]
        return self.store.window(self.name, job.idx)

    def _check_witness(self, job: TsProofJob, instances: tuple[int, ...]) -> None:
        if instances == self._stored(job).instances:
            return
        if job.kind == "tc":
            raise ProofError(
                f"interval {job.idx}: the stored inputs no longer give the stored instances (circuit or keys changed since operation)"
            )
        raise ProofError(
            f"window {job.idx}: the stored SC inputs no longer give the stored instances"
        )

    def _check_proof(self, job: TsProofJob, proof: Proof) -> None:
        """A proof of a witness that gave the stored instances: its own instances are those."""
        if proof.instances != self._stored(job).instances:
            what = "interval" if job.kind == "tc" else "window"
            raise ProofError(f"{what} {job.idx}: proof instances differ from the witness")

    def _record(self, job: TsProofJob, proof: Proof, where: str = "") -> Proof:
        stored = self._stored(job)
        on = f" on {where}" if where else ""
        if isinstance(stored, IntervalRow):
            self.store.set_interval_proof(self.name, job.idx, proof.path, proof.prove_s)
            self.echo(f"  TC interval {job.idx}: proven in {proof.prove_s:.1f} s{on}")
        else:
            self.store.set_window_proof(self.name, job.idx, proof.path, proof.prove_s)
            self.echo(
                f"  SC window {job.idx}: proven in {proof.prove_s:.1f} s{on} (T² {stored.t2:.2f}, alarm {stored.alarm})"
            )
        return proof

    def _prove_here(self, job: TsProofJob) -> Proof:
        """Witness and proof in this process, next to the stream's other files."""
        folder = self.tc if job.kind == "tc" else self.sc
        witness = run_witness(
            folder, job.kind, job.inputs, self._path(job.kind, job.idx, "witness")
        )
        self._check_witness(job, witness.instances)
        proof = prove(folder, witness.path, self._path(job.kind, job.idx, "proof"))
        self._check_proof(job, proof)
        return self._record(job, proof)

    def _handle(self, kind: str) -> CircuitHandle:
        """The TC or SC circuit on the cluster (installed on its workers on first use)."""
        from zkalert.timeseries.proving import cluster_circuit

        assert self.cluster is not None
        return self.cluster.circuit(cluster_circuit(self.tc if kind == "tc" else self.sc))

    def _prove(self, job: TsProofJob) -> None:
        """Prove here, or hand the proof to the cluster (recorded when it is back: the ones
        already back are recorded now)."""
        if self.cluster is None:
            self._prove_here(job)
            return
        from zkalert.cluster.backend import TaskSet, call_key
        from zkalert.timeseries.proving import prove_ts_task

        handle = self._handle(job.kind)
        key = call_key(handle.model_id, f"ts-{job.name}", job.key_data())
        if self._pending is None or self._pending.cluster is not self.cluster:
            self._drop_pending()
            self._pending = TaskSet(self.cluster)
        self._pending.submit(job, handle, prove_ts_task, job, name=job.name, key=key)
        self._collect(wait=False)

    def _collect(self, wait: bool) -> None:
        """Record the cluster's proofs that are back (``wait``: all of them, as each comes)."""
        if not self._pending:
            return
        for job, result in self._pending.each() if wait else self._pending.back():
            self._record_result(job, result)

    def _record_result(self, job: TsProofJob, result: TsProofResult) -> None:
        """Check a proof made on the cluster, write it where an in-process proof goes (a proof
        that fails a check is not written), record it."""
        self._check_witness(job, result.witness_instances)
        path = self._path(job.kind, job.idx, "proof")
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(result.proof_text)
        try:
            proof = Proof.load(tmp, result.prove_s)
            self._check_proof(job, proof)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        self._record(job, Proof(path, proof.proof, proof.instances, proof.prove_s), result.worker)

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending.drop()

    def unproven(self, j: int) -> list[TsProofJob]:
        """What window j still needs proven: its TC intervals and its SC, from the stored inputs
        (a recorded proof whose file is gone is proven again)."""
        W = self.stream.intervals_per_window
        window = self.store.window(self.name, j)
        jobs = [
            TsProofJob("tc", interval.idx, interval.inputs)
            for interval in self.store.intervals(self.name, j * W, (j + 1) * W)
            if interval.proof is None or not Path(interval.proof).is_file()
        ]
        if window.proof is None or not Path(window.proof).is_file():
            jobs.append(TsProofJob("sc", j, window.inputs))
        return jobs

    def prove_window(self, j: int) -> None:
        """Prove window j's TC intervals and its SC (whatever is not proven yet): one after
        another in this process, or all at once on the cluster."""
        for job in self.unproven(j):
            self._prove(job)
        self._collect(wait=True)

    def verify_offchain(self, proof_path: Path, kind: str) -> bool:
        return verify(self.tc if kind == "tc" else self.sc, proof_path)
