"""What the Ape script (`scripts/submit_alert.py`) needs, kept out of the script itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from zkalert.config import Workspace
from zkalert.errors import ConfigError, ProofError
from zkalert.evm.ids import stream_id
from zkalert.evm.registry import Deployment
from zkalert.gateway.replay import next_unrecorded_alert
from zkalert.zk.circuit import CircuitInfo
from zkalert.zk.prover import ProvenWindow, binding_file
from zkalert.zk.statement import Binding, check_binding


@dataclass(frozen=True)
class PreparedAlert:
    registry: str
    registry_abi: list[dict[str, Any]]
    stream_name: str
    stream_id: bytes
    model_id: bytes
    row: int
    index: int  # the first window's index in the stream (the proof is bound to it)
    proof: bytes
    instances: tuple[int, ...]


def prepare_alert(
    w3: Web3,
    gateway: str,
    fault: int = 1,
    proof_file: str | None = None,
    stream: str | None = None,
    workdir: str | None = None,
    model_id_hex: str | None = None,
) -> PreparedAlert:
    """Load a proof file, or prove for ``gateway`` the next alert of a TE fault run that the
    registry lacks.

    With a proof file, ``model_id_hex`` names its model; otherwise the compiled
    workspace's model is used. A proof file is submitted at the stream and index
    recorded next to it (``<name>.binding.json``, written by ``zkalert prove``).
    """
    deployment = Deployment.load(w3.eth.chain_id)
    registry = deployment.registry(w3)
    workspace = Workspace.at(workdir)
    if model_id_hex is None or not proof_file:
        model_id_hex = CircuitInfo.load(workspace).model_id
    deployment.model(model_id_hex)  # refuses a model that is not deployed here
    model_id = bytes.fromhex(model_id_hex.removeprefix("0x"))

    if proof_file:
        path = Path(proof_file)
        if not path.is_file():
            raise ConfigError(f"ZKALERT_PROOF={proof_file}: no such file")
        proven = ProvenWindow.from_proof_file(
            path, commitment=deployment.model(model_id_hex).commitment
        )
        if proven.binding is None:
            raise ProofError(
                f"{path}: no binding recorded next to it ({binding_file(path).name}): prove it with `zkalert prove --stream`"
            )
        name, row = stream or f"0x{proven.binding.stream.hex()}", -1
        sid = stream_id(stream) if stream else proven.binding.stream
    else:
        name, row, proven = next_unrecorded_alert(
            workspace, gateway, lambda s: int(registry.functions.nextIndex(s).call()), fault, stream
        )
        sid = stream_id(name)
    check_binding(
        proven.instances, proven.proof, proven.commitment, Binding(gateway, sid, proven.first_index)
    )
    return PreparedAlert(
        registry=deployment.registry_address,
        registry_abi=deployment.registry_abi,
        stream_name=name,
        stream_id=sid,
        model_id=model_id,
        row=row,
        index=proven.first_index,
        proof=proven.proof,
        instances=proven.instances,
    )
