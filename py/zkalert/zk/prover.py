"""Prover: witness and proof for B windows (B = the circuit's windows per proof).

A :class:`ProvenWindow` carries what the registry needs (proof bytes and the
public instances as integers) and the stage timings the paper's Table I
reports. The instances are ``[c_1..c_B, s_1..s_B, b_1..b_B]`` (Poseidon
commitments, scores, bindings) for a ``poseidon`` circuit and ``[s_1..s_B,
b_1..b_B]`` for a ``kzg`` one, whose window commitments are keccak256 of the
proof's first B G1 points; :attr:`ProvenWindow.statement` is ``(c_1..c_B,
s_1..s_B)`` either way. Every proof is made for a :class:`Binding` (gateway,
stream, first window index): the registry takes it from that gateway, for that
stream and those indexes only.
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from zkalert.config import BN254_R, Workspace
from zkalert.data.loaders import FloatArray, check_matrix
from zkalert.errors import ProofError, WitnessOutOfRange, ZkAlertError
from zkalert.zk.circuit import CircuitInfo, bound_input_rows
from zkalert.zk.statement import (
    UNBOUND_LIMBS,
    Binding,
    check_binding,
    kzg_commitments,
    split_bound_statement,
    split_statement,
)


def felt_hex_to_int(felt: str) -> int:
    """EZKL writes instances as little-endian hex field elements."""
    value = int.from_bytes(bytes.fromhex(felt.removeprefix("0x")), "little")
    if value >= BN254_R:
        raise ProofError(f"EZKL instance {felt} is not a canonical BN254 field element")
    return value


def process_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class ProvenWindow:
    proof_path: Path
    proof: bytes
    instances: tuple[int, ...]
    float_score: float
    witness_s: float
    prove_s: float
    #: CPU seconds of the proving call (all threads of the process): on a shared machine the
    #: wall time grows with contention, this hardly does (an idle 2-core machine needs >= CPU/2).
    prove_cpu_s: float = 0.0
    #: "poseidon" (commitments in the instances) or "kzg" (commitments are the proof's G1 points).
    commitment: str = "poseidon"
    #: Where the proof may be recorded (None: not known, e.g. a proof file read without its binding).
    binding: Binding | None = None

    @property
    def windows(self) -> int:
        return len(self.score_felts)

    @property
    def input_commitments(self) -> tuple[int, ...]:
        return split_statement(self.instances, self.proof, self.commitment)[0]

    @property
    def score_felts(self) -> tuple[int, ...]:
        return split_statement(self.instances, self.proof, self.commitment)[1]

    @property
    def statement(self) -> tuple[int, ...]:
        """``(c_1..c_B, s_1..s_B)``: what the registry records, whatever the commitment scheme."""
        return self.input_commitments + self.score_felts

    @property
    def bindings(self) -> tuple[int, ...]:
        """``(b_1..b_B)``: each window's binding instance."""
        return split_bound_statement(self.instances, self.proof, self.commitment)[2]

    @property
    def first_index(self) -> int:
        """The first window's index in its stream (from the binding the proof was made for)."""
        if self.binding is None:
            raise ProofError(
                f"{self.proof_path}: the proof's window index is not known (no binding recorded with it)"
            )
        return self.binding.index

    @property
    def input_commitment(self) -> int:
        """The first window's commitment (the only one for single-window circuits)."""
        return self.input_commitments[0]

    @property
    def score_felt(self) -> int:
        """The first window's score (the only one for single-window circuits)."""
        return self.score_felts[0]

    @classmethod
    def from_proof_file(
        cls,
        path: Path,
        float_score: float = float("nan"),
        witness_s: float = 0.0,
        prove_s: float = 0.0,
        prove_cpu_s: float = 0.0,
        commitment: str = "poseidon",
        binding: Binding | None = None,
    ) -> ProvenWindow:
        data = json.loads(path.read_text())
        instances = tuple(felt_hex_to_int(f) for group in data["instances"] for f in group)
        proof = bytes.fromhex(data["hex_proof"].removeprefix("0x"))
        sidecar = binding_file(path)
        if binding is None and sidecar.is_file():
            try:
                binding = Binding.from_json(json.loads(sidecar.read_text()))
            except (ValueError, AttributeError) as exc:
                raise ProofError(f"{sidecar}: not a binding ({exc})") from None
        if binding is not None:
            check_binding(instances, proof, commitment, binding)
        return cls(
            path,
            proof,
            instances,
            float_score,
            witness_s,
            prove_s,
            prove_cpu_s,
            commitment,
            binding,
        )


def binding_file(proof_path: Path) -> Path:
    """Where :meth:`Prover.prove` records what a proof is bound to: <name>.binding.json next to
    <name>.proof.json."""
    name = proof_path.name.removesuffix(".json").removesuffix(".proof")
    return proof_path.with_name(f"{name}.binding.json")


def _witness_points(witness: dict[str, Any]) -> list[bytes]:
    """The KZG commitments EZKL computed for the inputs, as 64-byte big-endian x || y (proof layout)."""
    points = [g for group in witness["processed_inputs"]["polycommit"] for g in group]
    return [bytes.fromhex(g.x)[::-1] + bytes.fromhex(g.y)[::-1] for g in points]


@dataclass(frozen=True)
class StreamWindow:
    """One window of a stream, in raw sensor units, with its position in the stream."""

    stream: str
    index: int  # position in the stream (row / time step)
    values: FloatArray


def assemble_batch(windows: list[StreamWindow], width: int, size: int) -> FloatArray:
    """Check and stack windows for one batched proof, refusing before any proving.

    A batch must hold exactly ``size`` windows of one stream, consecutive and in
    order, each of the detector's width with finite values; the error names the
    offending window.
    """
    if len(windows) != size:
        raise ProofError(f"a batch holds {size} windows, got {len(windows)}")
    first = windows[0]
    rows = []
    for k, window in enumerate(windows):
        label = f"batch window {k} ({window.stream} #{window.index})"
        if window.stream != first.stream:
            raise ProofError(
                f"{label}: belongs to stream {window.stream!r}, the batch is for {first.stream!r}"
            )
        if window.index != first.index + k:
            raise ProofError(f"{label}: out of order, expected #{first.index + k}")
        rows.append(check_matrix(window.values, width, label)[0])
    return np.stack(rows)


class Prover:
    """Proves windows of one compiled circuit. Keys are loaded by EZKL per call."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.info = CircuitInfo.load(workspace)
        if not self.info.bound:
            raise ProofError(
                f"the circuit in {workspace.root} does not bind proofs to their window: run `zkalert compile` again"
            )
        for path in (workspace.compiled, workspace.pk, Path(self.info.srs_path)):
            if not path.is_file():
                raise ProofError(f"{path} is missing: run `zkalert compile` again")

    def _input_file(
        self,
        scaled_windows: FloatArray,
        name: str,
        binding: Binding | None,
        folder: Path | None = None,
    ) -> Path:
        windows = check_matrix(scaled_windows, self.info.width, f"proof {name}")
        expected = self.info.windows_per_proof
        if windows.shape[0] != expected:
            raise ProofError(
                f"proof {name}: this circuit proves {expected} window(s) at a time, got {windows.shape[0]}"
            )
        limbs = binding.limbs(expected) if binding is not None else [UNBOUND_LIMBS] * expected
        path = (folder or self.workspace.proofs) / f"{name}.input.json"
        path.write_text(json.dumps({"input_data": bound_input_rows(windows, limbs)}))
        return path

    def prove(
        self,
        scaled_windows: FloatArray,
        name: str,
        binding: Binding,
        float_score: float = float("nan"),
    ) -> ProvenWindow:
        """Prove already-scaled windows (as many as the circuit takes) for ``binding``; files go to
        <workspace>/proofs/<name>.*"""
        import ezkl

        if not isinstance(binding, Binding):
            raise TypeError("Prover.prove needs the Binding the proof is made for")
        input_path = self._input_file(scaled_windows, name, binding)
        witness_path = self.workspace.proofs / f"{name}.witness.json"
        proof_path = self.workspace.proofs / f"{name}.proof.json"

        started = time.perf_counter()
        try:
            witness = self._witness(input_path, witness_path, scaled_windows)
        except WitnessOutOfRange as exc:  # named, so a file of windows says which one
            raise WitnessOutOfRange(f"proof {name}: {exc}") from None
        witness_s = time.perf_counter() - started

        cpu_started = process_cpu_s()
        started = time.perf_counter()
        ezkl.prove(
            str(witness_path),
            str(self.workspace.compiled),
            str(self.workspace.pk),
            str(proof_path),
            srs_path=self.info.srs_path,
        )
        prove_s = time.perf_counter() - started
        binding_file(proof_path).write_text(json.dumps(binding.to_json()))
        proven = ProvenWindow.from_proof_file(
            proof_path,
            float_score,
            witness_s,
            prove_s,
            process_cpu_s() - cpu_started,
            self.info.commitment,
            binding,
        )
        if self.info.commitment == "kzg":
            # The registry reads window i's commitment at bytes 64i..64i+64 of the proof: check that this
            # EZKL build puts the input columns' commitments there (it does in 23.0.5), before anything is sent.
            points = _witness_points(witness)
            if [proven.proof[64 * i : 64 * i + 64] for i in range(len(points))] != points or len(
                points
            ) != self.info.windows_per_proof:
                raise ProofError(
                    f"proof {name}: its first G1 points are not the windows' KZG commitments; this EZKL build lays proofs out differently"
                )
        return proven

    def cached(
        self, name: str, scaled_windows: FloatArray, binding: Binding
    ) -> ProvenWindow | None:
        """The proof of exactly these windows for ``binding`` from an earlier run, if one is on disk
        and readable (proofs live under <workspace>/proofs/<name>.*)."""
        input_path = self.workspace.proofs / f"{name}.input.json"
        proof_path = self.workspace.proofs / f"{name}.proof.json"
        if not (input_path.is_file() and proof_path.is_file()):
            return None
        try:
            windows = check_matrix(scaled_windows, self.info.width, f"proof {name}")
            wanted = bound_input_rows(windows, binding.limbs(len(windows)))
            if json.loads(input_path.read_text())["input_data"] != json.loads(json.dumps(wanted)):
                return None
            return ProvenWindow.from_proof_file(
                proof_path, commitment=self.info.commitment, binding=binding
            )
        except (ValueError, KeyError, IndexError, ZkAlertError):
            return None  # a proof cut short by a killed prover: prove again

    def prove_cached(
        self,
        scaled_windows: FloatArray,
        name: str,
        binding: Binding,
        float_score: float = float("nan"),
    ) -> ProvenWindow:
        """:meth:`prove`, unless the same windows were proven for the same binding under ``name`` before."""
        return self.cached(name, scaled_windows, binding) or self.prove(
            scaled_windows, name, binding, float_score
        )

    def _witness(
        self, input_path: Path, witness_path: Path, scaled_windows: FloatArray
    ) -> dict[str, Any]:
        """EZKL witness of ``scaled_windows`` (written to ``input_path``); for a KZG circuit with
        the inputs' commitments (needs the vk and SRS). Windows the circuit cannot take are a
        :class:`WitnessOutOfRange`."""
        import ezkl

        largest = float(np.abs(np.asarray(scaled_windows, dtype=float)).max())
        bound = self.info.input_bound
        if bound is not None and not largest <= bound:
            raise WitnessOutOfRange(
                f"no witness: a value leaves the circuit's fixed-point range (largest standardized "
                f"input {largest:,.1f}; the exact circuit takes values up to {bound:,.0f})"
            )
        try:
            if self.info.commitment == "kzg":
                return cast(
                    dict[str, Any],
                    ezkl.gen_witness(
                        str(input_path),
                        str(self.workspace.compiled),
                        str(witness_path),
                        vk_path=str(self.workspace.vk),
                        srs_path=self.info.srs_path,
                    ),
                )
            return cast(
                dict[str, Any],
                ezkl.gen_witness(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
                    str(input_path), str(self.workspace.compiled), str(witness_path)
                ),
            )
        except RuntimeError as exc:  # EZKL's one error type, for a missing file as for a value
            first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            if "synthesis error" not in first:  # not the windows: a file, a shape, the build
                raise ProofError(f"EZKL could not make the witness: {first}") from None
            # a decomposition or lookup had no row for a value: the windows are out of range
            raise WitnessOutOfRange(
                f"no witness: a value leaves the circuit's fixed-point range (largest standardized "
                f"input {largest:,.1f}; EZKL: {first})"
            ) from None

    def statement_instances(
        self, scaled_window: FloatArray, name: str, binding: Binding | None = None
    ) -> tuple[int, ...]:
        """The statement ``(c_1..c_B, s_1..s_B)`` a proof of these windows for ``binding`` would make
        (witness only, no proof). Without a binding the scores are right, the commitments are those
        of an unbound statement (nothing the registry takes). Its files live in a temporary folder
        of their own, removed after: callers on several threads never share one, and a service
        computing a statement per ingested window leaves nothing behind."""
        with tempfile.TemporaryDirectory(prefix=".statement-", dir=self.workspace.proofs) as tmp:
            input_path = self._input_file(scaled_window, name, binding, Path(tmp))
            witness = self._witness(input_path, Path(tmp) / "witness.json", scaled_window)
        if self.info.commitment == "kzg":
            points = _witness_points(witness)
            commitments = list(kzg_commitments(b"".join(points), len(points)))
        else:
            commitments = [
                felt_hex_to_int(f)
                for group in witness["processed_inputs"]["poseidon_hash"]
                for f in (group if isinstance(group, list) else [group])
            ]
        scores = [felt_hex_to_int(f) for f in witness["outputs"][0]]
        return tuple(commitments + scores)

    def verify_offchain(self, proven: ProvenWindow) -> bool:
        import ezkl

        return bool(
            ezkl.verify(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
                str(proven.proof_path),
                str(self.workspace.settings),
                str(self.workspace.vk),
                srs_path=self.info.srs_path,
            )
        )


def ezkl_proof_json(proof: bytes, instances: list[int] | tuple[int, ...]) -> dict[str, Any]:
    """A proof file EZKL's verify reads, rebuilt from the bytes and instances alone."""
    return {
        "protocol": None,
        "instances": [[v.to_bytes(32, "little").hex() for v in instances]],
        "proof": list(proof),
        "hex_proof": "0x" + proof.hex(),
        "split": None,
        "pretty_public_inputs": None,
        "timestamp": None,
        "version": "23.0.5",
    }


def verify_proof(
    proof: bytes, instances: list[int] | tuple[int, ...], vk: Path, settings: Path, srs: Path
) -> tuple[bool, str]:
    """EZKL's verification of a proof and its instances under a verifying key, settings and SRS
    (whoever holds them, not the prover's workspace): ``(ok, why not)``."""
    import ezkl

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "proof.json"
        path.write_text(json.dumps(ezkl_proof_json(proof, instances)))
        try:
            ok = bool(
                ezkl.verify(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
                    str(path), str(settings), str(vk), srs_path=str(srs)
                )
            )
        except Exception as exc:  # noqa: BLE001 - EZKL raises (RuntimeError and others) for a proof that does not verify
            return (
                False,
                f"EZKL: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}",
            )
    return ok, "" if ok else "EZKL verify returned false"
