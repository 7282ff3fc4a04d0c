"""Stage 4, prover: witness and proof for one window, parsed for the chain.

A :class:`ProvenWindow` carries what the registry needs (proof bytes and the
public instances ``[input_commitment, score]`` as integers) and the stage
timings the paper's Table I reports.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .circuit import CircuitInfo
from .config import BN254_R, Workspace
from .data import check_matrix
from .errors import ZkAlertError


def felt_hex_to_int(felt: str) -> int:
    """EZKL writes instances as little-endian hex field elements."""
    value = int.from_bytes(bytes.fromhex(felt.removeprefix("0x")), "little")
    if value >= BN254_R:
        raise ZkAlertError(f"EZKL instance {felt} is not a canonical BN254 field element")
    return value


@dataclass(frozen=True)
class ProvenWindow:
    proof_path: Path
    proof: bytes
    instances: tuple[int, ...]
    float_score: float
    witness_s: float
    prove_s: float

    @property
    def input_commitment(self) -> int:
        return self.instances[0]

    @property
    def score_felt(self) -> int:
        return self.instances[1]

    @classmethod
    def from_proof_file(cls, path: Path, float_score: float = float("nan"), witness_s: float = 0.0, prove_s: float = 0.0) -> ProvenWindow:
        data = json.loads(path.read_text())
        instances = tuple(felt_hex_to_int(f) for group in data["instances"] for f in group)
        return cls(path, bytes.fromhex(data["hex_proof"].removeprefix("0x")), instances, float_score, witness_s, prove_s)


class Prover:
    """Proves windows of one compiled circuit. Keys are loaded by EZKL per call."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.info = CircuitInfo.load(workspace)
        for path in (workspace.compiled, workspace.pk, Path(self.info.srs_path)):
            if not path.is_file():
                raise ZkAlertError(f"{path} is missing: run `zkalert compile` again")

    def prove(self, scaled_window: np.ndarray, name: str, float_score: float = float("nan")) -> ProvenWindow:
        """Prove one already-scaled window; files go to <workspace>/proofs/<name>.*"""
        import ezkl

        window = check_matrix(scaled_window, self.info.width, f"window {name}")
        if window.shape[0] != 1:
            raise ZkAlertError(f"window {name}: one window per proof, got {window.shape[0]}")
        folder = self.workspace.proofs
        input_path = folder / f"{name}.input.json"
        witness_path = folder / f"{name}.witness.json"
        proof_path = folder / f"{name}.proof.json"
        input_path.write_text(json.dumps({"input_data": [window.ravel().tolist()]}))

        started = time.perf_counter()
        ezkl.gen_witness(str(input_path), str(self.workspace.compiled), str(witness_path))
        witness_s = time.perf_counter() - started

        started = time.perf_counter()
        ezkl.prove(str(witness_path), str(self.workspace.compiled), str(self.workspace.pk), str(proof_path), srs_path=self.info.srs_path)
        prove_s = time.perf_counter() - started
        return ProvenWindow.from_proof_file(proof_path, float_score, witness_s, prove_s)

    def statement_instances(self, scaled_window: np.ndarray, name: str) -> tuple[int, ...]:
        """The public instances a proof of this window would carry (witness only, no proof)."""
        import ezkl

        window = check_matrix(scaled_window, self.info.width, f"window {name}")
        folder = self.workspace.proofs
        input_path = folder / f"{name}.input.json"
        witness_path = folder / f"{name}.witness.json"
        input_path.write_text(json.dumps({"input_data": [window.ravel().tolist()]}))
        witness = ezkl.gen_witness(str(input_path), str(self.workspace.compiled), str(witness_path))
        hashed_inputs = [felt_hex_to_int(f) for group in witness["processed_inputs"]["poseidon_hash"] for f in (group if isinstance(group, list) else [group])]
        outputs = [felt_hex_to_int(f) for group in witness["outputs"] for f in group]
        return tuple(hashed_inputs + outputs)

    def verify_offchain(self, proven: ProvenWindow) -> bool:
        import ezkl

        return bool(ezkl.verify(str(proven.proof_path), str(self.workspace.settings), str(self.workspace.vk), srs_path=self.info.srs_path))
