"""Time-series mode, chain: deploy TimeSeriesRegistry, open streams, submit TC/SC proofs.

Addresses and ABIs are read only from ``deployments/<chainid>/`` (written by
``script/DeployTimeSeriesRegistry.s.sol``). A model's id is
``keccak256(tc_vk || sc_vk)``; the registry pins its verifiers' code hashes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.types import TxParams

from zkalert.config import deployments_dir, rpc_url
from zkalert.errors import ChainError, RevertedError
from zkalert.evm.ids import model_id_bytes
from zkalert.evm.rpc import (
    connect,
    decode_revert,
    deployment_records,
    fee_fields,
    require_version,
    revert_data,
    run_forge,
    verifier_calldata,
)
from zkalert.evm.srs import (
    check_development_srs,
    registration_srs_id,
    srs_id_of_file,
    warn_stderr,
)
from zkalert.keys import Signer, signer_for
from zkalert.timeseries.circuits import CircuitDir, CircuitInfo, Proof
from zkalert.toolchain import env_with_tools


def model_id(tc: CircuitDir, sc: CircuitDir) -> str:
    return "0x" + keccak(tc.vk.read_bytes() + sc.vk.read_bytes()).hex()


@dataclass(frozen=True)
class TsDeployment:
    chain_id: int
    address: ChecksumAddress
    abi: list[dict[str, Any]]
    block: int
    models: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, chain_id: int, folder: Path | None = None) -> TsDeployment:
        folder = folder or deployments_dir(chain_id)
        path = folder / "TimeSeriesRegistry.json"
        if not path.is_file():
            raise ChainError(
                f"no TimeSeriesRegistry deployment for chain {chain_id} ({path}): run `zkalert ts deploy`"
            )
        data = json.loads(path.read_text())
        abi = data["abi"] if isinstance(data["abi"], list) else json.loads(data["abi"])
        models = {}
        for model_file in (
            sorted((folder / "ts-models").glob("*.json")) if (folder / "ts-models").is_dir() else []
        ):
            record = json.loads(model_file.read_text())
            models[str(record["model_id"]).lower()] = record
        return cls(
            chain_id,
            Web3.to_checksum_address(data["address"]),
            abi,
            int(data.get("block", 0)),
            models,
        )

    def registry(self, w3: Web3) -> Contract:
        if not w3.eth.get_code(self.address):
            raise ChainError(
                f"deployments/{self.chain_id}/TimeSeriesRegistry.json names {self.address}, but there is no contract there (a restarted anvil?): run `zkalert ts deploy` again"
            )
        contract = w3.eth.contract(address=self.address, abi=self.abi)
        require_version(
            contract,
            "TimeSeriesRegistry",
            TS_REGISTRY_VERSION,
            "which states a stream may start from differ",
            "zkalert ts deploy",
        )
        return contract


#: The TimeSeriesRegistry version this code speaks (ITimeSeriesRegistry.version()).
TS_REGISTRY_VERSION = "0.5.0"


@dataclass(frozen=True)
class ModelParams:
    """What registering a time-series model needs (the verifier contracts live in contracts/generated, a test circuit's in test/generated).

    ``tc_srs_id`` and ``sc_srs_id`` are the SRS ids of the SRSs the verifiers were generated with;
    left empty, each is read from its verifier's compiled code. ``srs_development_only`` marks
    circuits built on a development SRS (refused off development chains, see :func:`deploy`)."""

    model_id: str
    tc_verifier_contract: str
    sc_verifier_contract: str
    krc_pass: int
    reset_commitment: int
    continue_commitment: int
    steps_per_interval: int
    intervals_per_window: int
    tc_srs_id: str = ""
    sc_srs_id: str = ""
    srs_development_only: bool = False

    @property
    def circuit(self) -> str:
        """The model's circuits as messages name them."""
        return (
            f"circuits {self.tc_verifier_contract} and {self.sc_verifier_contract} "
            f"(model {self.model_id})"
        )

    @classmethod
    def of(cls, tc: CircuitDir, sc: CircuitDir) -> ModelParams:
        tc_info, sc_info = tc.info, sc.info
        if (
            sc_info.m != tc_info.m
            or tc_info.subsystem != sc_info.subsystem
            or tc_info.psf != sc_info.psf
        ):
            raise ChainError("the TC and SC circuits belong to different detectors or precisions")
        return cls(
            model_id(tc, sc),
            tc_info.verifier_contract,
            sc_info.verifier_contract,
            tc_info.pass_commitment,
            tc_info.reset_commitment,
            tc_info.continue_commitment,
            tc_info.steps,
            sc_info.steps // tc_info.steps,
            srs_id_of_file(Path(tc_info.srs_path)),
            srs_id_of_file(Path(sc_info.srs_path)),
            tc_info.srs_development_only or sc_info.srs_development_only,
        )


def deploy(
    tc: CircuitDir | ModelParams,
    sc: CircuitDir | None = None,
    url: str | None = None,
    key: Signer | str | None = None,
    gateway: str | None = None,
    allow_dev_srs: bool = False,
    warn: Callable[[str], None] = warn_stderr,
) -> tuple[TsDeployment, str]:
    """Deploy the registry if this chain has none, then the model's verifiers; register them
    with the SRS ids of the SRSs they were generated with.

    Runs ``script/DeployTimeSeriesRegistry.s.sol``; idempotent for a model already registered.
    Circuits built on a development SRS are refused on a chain that is not a development chain
    unless ``allow_dev_srs`` (then ``warn`` says so), as :func:`zkalert.evm.registry.deploy` does.
    """
    # sc is None only beside ModelParams: a CircuitDir tc always comes with its SC circuit
    params = tc if isinstance(tc, ModelParams) else ModelParams.of(tc, sc)  # type: ignore[arg-type]
    url = url or rpc_url()
    w3 = connect(url)
    chain_id = w3.eth.chain_id
    signer = signer_for(chain_id, key)
    warning = check_development_srs(
        development_only=params.srs_development_only,
        development_chain=signer.development,
        chain_id=chain_id,
        circuit=params.circuit,
        allow=allow_dev_srs,
    )
    if warning:
        warn(warning)
    mid = params.model_id
    env = env_with_tools()
    env.update(
        {
            "TC_VERIFIER_ARTIFACT": f"{params.tc_verifier_contract}.sol:{params.tc_verifier_contract}",
            "SC_VERIFIER_ARTIFACT": f"{params.sc_verifier_contract}.sol:{params.sc_verifier_contract}",
            "MODEL_ID": mid,
            "KRC_PASS": str(params.krc_pass),
            "RESET_COMMITMENT": str(params.reset_commitment),
            "CONTINUE_COMMITMENT": str(params.continue_commitment),
            "STEPS_PER_INTERVAL": str(params.steps_per_interval),
            "INTERVALS_PER_WINDOW": str(params.intervals_per_window),
        }
    )
    if gateway:
        env["GATEWAY"] = gateway
    existing: TsDeployment | None = None
    try:
        existing = TsDeployment.load(chain_id)
        existing.registry(w3)
    except ChainError:
        existing = None
    if existing is not None:
        if mid.lower() in existing.models and w3.eth.get_code(
            Web3.to_checksum_address(existing.models[mid.lower()]["tc_verifier"])
        ):
            return existing, mid
        env["TS_REGISTRY"] = existing.address
    run_forge(["build"], env)
    env["TC_SRS_ID"] = registration_srs_id(params.tc_verifier_contract, None, params.tc_srs_id)
    env["SC_SRS_ID"] = registration_srs_id(params.sc_verifier_contract, None, params.sc_srs_id)
    with signer.forge_wallet(env) as wallet, deployment_records(env, chain_id):
        run_forge(
            [
                "script",
                "script/DeployTimeSeriesRegistry.s.sol",
                "--rpc-url",
                url,
                "--broadcast",
                *wallet,
            ],
            env,
        )
    return TsDeployment.load(chain_id), mid


@dataclass(frozen=True)
class TsSubmission:
    tx_hash: str
    block: int
    gas_used: int
    calldata_bytes: int
    tx_s: float


class TsGateway:
    """An account on the time-series registry: the owner (regulator) opens streams and approves
    rotations; a stream's gateway carries rotations out and submits its TC and SC proofs."""

    def __init__(self, w3: Web3, deployment: TsDeployment, key: Signer | str | None = None) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.signer = signer_for(deployment.chain_id, key)
        self.registry = deployment.registry(w3)
        self.account: LocalAccount = self.signer.account

    def stream(self, stream_id: bytes) -> dict[str, Any]:
        fields = (
            "modelId",
            "gateway",
            "intervals",
            "windowsRecorded",
            "firstInterval",
            "firstWindow",
            "stateHead",
            "accHead",
            "logHead",
        )
        return dict(zip(fields, self.registry.functions.stream(stream_id).call()))

    def open_stream(
        self,
        stream_id: bytes,
        model: str,
        genesis_state: int,
        genesis_acc: int,
        gateway: str | None = None,
    ) -> TsSubmission:
        """Owner: open a stream for ``gateway`` (default: this account) at the genesis the gateway computed."""
        to = Web3.to_checksum_address(gateway or self.account.address)
        return self._send(
            self.registry.functions.openStream(
                stream_id, model_id_bytes(model), to, genesis_state, genesis_acc
            )
        )

    def approve_rotation(
        self, stream_id: bytes, model: str, genesis_state: int, genesis_acc: int
    ) -> TsSubmission:
        """Owner: approve the stream's move to ``model`` starting at the given genesis."""
        return self._send(
            self.registry.functions.approveRotation(
                stream_id, model_id_bytes(model), genesis_state, genesis_acc
            )
        )

    def rotate_model(
        self,
        stream_id: bytes,
        model: str,
        genesis_state: int,
        genesis_acc: int,
        mine_refused: bool = False,
    ) -> TsSubmission:
        """Gateway: carry out the approved rotation (at a window boundary)."""
        call = self.registry.functions.rotateModel(
            stream_id, model_id_bytes(model), genesis_state, genesis_acc
        )
        return self._send(call, mine_refused)

    def set_gateway(self, gateway: str, allowed: bool = True) -> TsSubmission:
        """Owner: allow (or stop) a gateway account."""
        return self._send(
            self.registry.functions.setGateway(Web3.to_checksum_address(gateway), allowed)
        )

    def set_stream_gateway(self, stream_id: bytes, gateway: str) -> TsSubmission:
        """Owner: give the stream to another allowed gateway (or back to its rightful one)."""
        return self._send(
            self.registry.functions.setStreamGateway(stream_id, Web3.to_checksum_address(gateway))
        )

    def submit_interval(
        self,
        stream_id: bytes,
        proof: Proof,
        instances: tuple[int, ...] | None = None,
        mine_refused: bool = False,
    ) -> TsSubmission:
        call = self.registry.functions.submitInterval(
            stream_id, proof.proof, list(instances or proof.instances)
        )
        return self._send(call, mine_refused)

    def submit_window(
        self,
        stream_id: bytes,
        window: int,
        proof: Proof,
        instances: tuple[int, ...] | None = None,
        mine_refused: bool = False,
    ) -> TsSubmission:
        call = self.registry.functions.submitWindow(
            stream_id, window, proof.proof, list(instances or proof.instances)
        )
        return self._send(call, mine_refused)

    def _send(self, call: Any, mine_refused: bool = False) -> TsSubmission:
        """Send a transaction; a refusal raises RevertedError with the decoded custom error.

        ``mine_refused`` sends a refused call anyway (fixed gas), so the attempt is on the chain
        for the regulator's check to find; the error is still raised.
        """
        data = bytes.fromhex(call._encode_transaction_data().removeprefix("0x"))
        tx: dict[str, Any] = {
            "from": self.account.address,
            "to": self.registry.address,
            "data": "0x" + data.hex(),
            "chainId": self.deployment.chain_id,
            "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
        }
        started = time.perf_counter()
        reason: str | None = None
        try:
            tx["gas"] = int(self.w3.eth.estimate_gas(cast(TxParams, tx)) * 1.2)
        except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
            reason = decode_revert(self.deployment.abi, revert_data(exc))
            if not mine_refused:
                raise RevertedError(reason) from None
            tx["gas"] = 3_000_000
        tx.update(fee_fields(self.w3))
        signed = self.account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if reason is not None or receipt["status"] != 1:
            raise RevertedError(reason or f"transaction {bytes(tx_hash).hex()} reverted on-chain")
        return TsSubmission(
            "0x" + bytes(tx_hash).hex(),
            int(receipt["blockNumber"]),
            int(receipt["gasUsed"]),
            len(data),
            time.perf_counter() - started,
        )


def proof_calldata(proof: Proof, instances: tuple[int, ...] | None = None) -> bytes:
    """verifyProof(bytes,uint256[]) calldata for a proof (the registry passes the same)."""
    return verifier_calldata(proof.proof, instances or proof.instances)


def info_of(folder: Path) -> CircuitInfo:
    return CircuitInfo.load(folder)
