"""What the Ape script (`scripts/submit_alert.py`) needs, kept out of the script itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from .chain import Deployment, stream_id
from .circuit import CircuitInfo
from .config import Workspace
from .errors import ZkAlertError
from .prover import ProvenWindow
from .replay import next_unrecorded_alert


@dataclass(frozen=True)
class PreparedAlert:
    registry: str
    registry_abi: list[dict[str, Any]]
    stream_name: str
    stream_id: bytes
    model_id: bytes
    row: int
    proof: bytes
    instances: tuple[int, ...]


def prepare_alert(
    w3: Web3,
    fault: int = 1,
    proof_file: str | None = None,
    stream: str | None = None,
    workdir: str | None = None,
    model_id_hex: str | None = None,
) -> PreparedAlert:
    """Load a proof file, or prove the next alert of a TE fault run that the registry lacks.

    With a proof file, ``model_id_hex`` names its model; otherwise the compiled
    workspace's model is used.
    """
    deployment = Deployment.load(w3.eth.chain_id)
    registry = deployment.registry(w3)
    workspace = Workspace.at(workdir)
    if model_id_hex is None or not proof_file:
        model_id_hex = CircuitInfo.load(workspace).model_id
    deployment.model(model_id_hex)  # refuses a model that is not deployed here
    model_id = bytes.fromhex(model_id_hex.removeprefix("0x"))

    def recorded(instances: tuple[int, ...]) -> bool:
        statement = registry.functions.statementOf(model_id, instances[0], instances[1]).call()
        return bool(registry.functions.isRecorded(statement).call())

    if proof_file:
        path = Path(proof_file)
        if not path.is_file():
            raise ZkAlertError(f"ZKALERT_PROOF={proof_file}: no such file")
        proven = ProvenWindow.from_proof_file(path, commitment=deployment.model(model_id_hex).commitment)
        name, row = stream or "ape/manual", -1
    else:
        name, row, proven = next_unrecorded_alert(workspace, recorded, fault)
        name = stream or name
    return PreparedAlert(
        registry=deployment.registry_address, registry_abi=deployment.registry_abi, stream_name=name,
        stream_id=stream_id(name), model_id=model_id, row=row, proof=proven.proof, instances=proven.instances,
    )
