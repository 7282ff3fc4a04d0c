"""Chain: deploy with Foundry, submit proofs with web3.py, verify by eth_call.

The Python side reads addresses and ABIs only from ``deployments/<chainid>/``,
which the Foundry deploy scripts write. Transactions are signed locally with
eth-account (the key never leaves the gateway) and sent raw.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.types import TxParams

from zkalert.config import deployments_dir, rpc_url
from zkalert.errors import ChainError, CircuitError, RevertedError, ZkAlertError
from zkalert.evm.ids import model_id_bytes
from zkalert.evm.rpc import (
    connect,
    decode_revert,
    deployment_records,
    fee_fields,
    require_version,
    revert_data,
    run_forge,
    send_call,
)
from zkalert.evm.srs import (
    check_development_srs,
    registration_srs_id,
    srs_id_of_file,
    warn_stderr,
)
from zkalert.keys import Signer, signer_for
from zkalert.toolchain import env_with_tools
from zkalert.zk.circuit import CircuitInfo
from zkalert.zk.prover import ProvenWindow
from zkalert.zk.statement import Binding, check_binding

#: The AlertRegistry version this code speaks (IAlertRegistry.version()).
REGISTRY_VERSION = "0.9.0"


@dataclass(frozen=True)
class ModelDeployment:
    model_id: str
    verifier: ChecksumAddress
    threshold: int
    windows_per_proof: int
    commitment: str = "poseidon"
    #: The SRS id the model was registered with (keccak256 of its SRS's [τ]G2).
    srs_id: str = ""
    #: For a VkaVerifier model: the reusable verifier it calls ("" otherwise).
    reusable_verifier: str = ""


@dataclass(frozen=True)
class Deployment:
    """What the deploy scripts recorded for one chain."""

    chain_id: int
    registry_address: ChecksumAddress
    registry_abi: list[dict[str, Any]]
    block: int
    models: dict[str, ModelDeployment]

    @classmethod
    def load(cls, chain_id: int, folder: Path | None = None) -> Deployment:
        folder = folder or deployments_dir(chain_id)
        registry_file = folder / "AlertRegistry.json"
        if not registry_file.is_file():
            raise ChainError(
                f"no AlertRegistry deployment for chain {chain_id} ({registry_file}): run `zkalert deploy`"
            )
        data = json.loads(registry_file.read_text())
        if int(data.get("chain_id", chain_id)) != chain_id:
            raise ChainError(
                f"{registry_file} records chain {data.get('chain_id')}, but the node is chain {chain_id}"
            )
        abi = data["abi"]
        if isinstance(abi, str):
            abi = json.loads(abi)
        models = {}
        for path in (
            sorted((folder / "models").glob("*.json")) if (folder / "models").is_dir() else []
        ):
            m = json.loads(path.read_text())
            model = ModelDeployment(
                model_id=str(m["model_id"]).lower(),
                verifier=Web3.to_checksum_address(m["verifier"]),
                threshold=int(m["threshold"]),
                windows_per_proof=int(m.get("windows_per_proof", 1)),
                commitment=str(m.get("commitment", "poseidon")),
                srs_id=str(m.get("srs_id", "")).lower(),
                reusable_verifier=str(m.get("reusable_verifier", "")),
            )
            models[model.model_id] = model
        return cls(
            chain_id,
            Web3.to_checksum_address(data["address"]),
            abi,
            int(data.get("block", 0)),
            models,
        )

    def registry(self, w3: Web3) -> Contract:
        if not w3.eth.get_code(self.registry_address):
            raise ChainError(
                f"deployments/{self.chain_id}/AlertRegistry.json names {self.registry_address}, but there is no "
                "contract there (a restarted anvil?): run `zkalert deploy` again"
            )
        contract = w3.eth.contract(address=self.registry_address, abi=self.registry_abi)
        require_version(
            contract,
            "AlertRegistry",
            REGISTRY_VERSION,
            "its views, storage or events differ",
            "zkalert deploy",
        )
        return contract

    def reusable_verifier(self, w3: Web3) -> str:
        """The reusable verifier this chain's VKA models call ("" when none is deployed)."""
        for model in self.models.values():
            if model.reusable_verifier and w3.eth.get_code(
                Web3.to_checksum_address(model.reusable_verifier)
            ):
                return Web3.to_checksum_address(model.reusable_verifier)
        return ""

    def model(self, model_id: str) -> ModelDeployment:
        try:
            return self.models[model_id.lower()]
        except KeyError:
            raise ChainError(
                f"model {model_id} is not deployed on chain {self.chain_id}: run `zkalert deploy`"
            ) from None


@dataclass(frozen=True)
class ModelSpec:
    """What registering a model needs: its verifier contract (contracts/generated, or test/generated
    for a test circuit), threshold and SRS.

    ``srs_id`` is the SRS id of the SRS the verifier was generated with; left empty, it is read
    from the verifier's compiled code. ``srs_development_only`` marks a circuit built on a
    development SRS (refused off development chains, see :func:`deploy`)."""

    verifier_contract: str
    model_id: str
    threshold_felt: int
    windows_per_proof: int = 1
    commitment: str = "poseidon"  # how the circuit commits to each window: "poseidon" or "kzg"
    srs_id: str = ""
    srs_development_only: bool = False
    #: The circuit's VKA (0x words) when it is verified through EZKL's reusable verifier: the
    #: model's verifier is then a VkaVerifier (:mod:`zkalert.zk.vka`).
    vka_words: tuple[str, ...] = ()

    @classmethod
    def of(cls, info: CircuitInfo) -> ModelSpec:
        words: tuple[str, ...] = ()
        if info.verifier_kind == "vka":
            from zkalert.zk.vka import read_vka

            words = tuple("0x" + w.hex() for w in read_vka(Path(info.vka_path)))
        return cls(
            info.verifier_contract,
            info.model_id,
            info.threshold_felt,
            info.windows_per_proof,
            info.commitment,
            srs_id_of_file(Path(info.srs_path)),
            info.srs_development_only,
            words,
        )

    @property
    def circuit(self) -> str:
        """The circuit as messages name it."""
        return f"circuit {self.verifier_contract} (model {self.model_id})"


def vka_srs_id(spec: ModelSpec) -> str:
    """The SRS id a VKA model is registered with: the [τ]G2 its VKA carries, which must be its
    circuit's SRS."""
    from zkalert.zk.srsid import vka_tau_g2

    point = vka_tau_g2(b"".join(bytes.fromhex(w[2:]) for w in spec.vka_words))
    if point is None:
        raise CircuitError(f"the VKA of {spec.circuit} carries no [τ]G2 of a BN254 KZG SRS")
    if spec.srs_id and point.srs_id_hex != spec.srs_id.lower():
        raise CircuitError(
            f"the VKA of {spec.circuit} was made from SRS {point.srs_id_hex}, but its circuit's SRS "
            f"is {spec.srs_id}: compile the circuit again"
        )
    return point.srs_id_hex


def deploy(
    spec: ModelSpec | CircuitInfo,
    url: str | None = None,
    key: Signer | str | None = None,
    gateway: str | None = None,
    allow_dev_srs: bool = False,
    warn: Callable[[str], None] = warn_stderr,
    code_size_limit: int | None = None,
) -> Deployment:
    """Deploy the registry if this chain has none, then the model's verifier, and register it
    with the SRS id of the SRS its verifier was generated with.

    Runs the Foundry scripts in ``script/``; they write ``deployments/<chainid>/``. They broadcast
    as ``key`` (default: the environment's key settings, :mod:`zkalert.keys`): a keystore through
    forge's own wallet options, a raw key through its environment.
    A circuit built on a development SRS is refused (:class:`~zkalert.errors.DevelopmentSrsRefused`)
    on a chain that is not a development chain, unless ``allow_dev_srs`` (then ``warn`` says so).
    ``code_size_limit`` raises forge's EIP-170 check, for a chain that lifted the limit.
    Idempotent: a model already registered with live code is left as it is.
    """
    if isinstance(spec, CircuitInfo):
        spec = ModelSpec.of(spec)
    url = url or rpc_url()
    w3 = connect(url)
    chain_id = w3.eth.chain_id
    signer = signer_for(chain_id, key)
    warning = check_development_srs(
        development_only=spec.srs_development_only,
        development_chain=signer.development,
        chain_id=chain_id,
        circuit=spec.circuit,
        allow=allow_dev_srs,
    )
    if warning:
        warn(warning)
    env = env_with_tools()
    env["VERIFIER_ARTIFACT"] = f"{spec.verifier_contract}.sol:{spec.verifier_contract}"
    env["MODEL_ID"] = spec.model_id
    env["THRESHOLD"] = str(spec.threshold_felt)
    env["WINDOWS_PER_PROOF"] = str(spec.windows_per_proof)
    env["COMMITMENT"] = spec.commitment
    if gateway:
        env["GATEWAY"] = gateway
    run_forge(["build"], env)

    existing: Deployment | None = None
    try:
        existing = Deployment.load(chain_id)
        existing.registry(w3)
    except ChainError:
        existing = None  # none, gone, or of another version: a new registry is deployed (the old one stays on-chain)
    if (
        existing is not None
        and spec.model_id.lower() in existing.models
        and w3.eth.get_code(existing.models[spec.model_id.lower()].verifier)
    ):
        _check_same_terms(existing.models[spec.model_id.lower()], spec, chain_id)
        return existing
    if spec.vka_words:
        env["VKA_WORDS"] = ",".join(spec.vka_words)
        env["SRS_ID"] = vka_srs_id(spec)
        reusable = existing.reusable_verifier(w3) if existing is not None else ""
        if reusable:  # one reusable verifier per chain: every VKA model calls the same code
            env["REUSABLE_VERIFIER"] = reusable
    else:
        env["SRS_ID"] = registration_srs_id(spec.verifier_contract, None, spec.srs_id)
    script = "script/DeployAlertRegistry.s.sol"
    if existing is not None:
        env["REGISTRY"] = existing.registry_address
        script = "script/RegisterModel.s.sol"
    else:  # a new registry: the model records of the one it replaces describe nothing live
        shutil.rmtree(deployments_dir(chain_id) / "models", ignore_errors=True)
    with signer.forge_wallet(env) as wallet, deployment_records(env, chain_id):
        size = [] if code_size_limit is None else ["--code-size-limit", str(code_size_limit)]
        run_forge(["script", script, "--rpc-url", url, "--broadcast", *size, *wallet], env)
    return Deployment.load(chain_id)


def _check_same_terms(registered: ModelDeployment, spec: ModelSpec, chain_id: int) -> None:
    """A model id is registered once: asking again with other terms (a new threshold, batch size,
    commitment or verifier kind) is refused by name rather than answered with the old record."""
    kind = "a VKA verifier" if registered.reusable_verifier else "its own verifier"
    asked = "a VKA verifier" if spec.vka_words else "its own verifier"
    differences = [
        f"{name} {have} (asked: {want})"
        for name, have, want in (
            ("threshold", registered.threshold, spec.threshold_felt),
            ("windows per proof", registered.windows_per_proof, spec.windows_per_proof),
            ("commitment", registered.commitment, spec.commitment),
            ("verifier", kind, asked),
        )
        if have != want
    ]
    if differences:
        raise ChainError(
            f"model {spec.model_id} is already registered on chain {chain_id} with "
            f"{', '.join(differences)}: a registered model's terms do not change; deploy it as "
            "registered, or compile a new model"
        )


# --- reverts -----------------------------------------------------------------


# --- submitting ----------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    tx_hash: str
    block: int
    gas_used: int
    calldata_bytes: int
    tx_s: float
    encode_s: float
    head: str


class Gateway:
    """An edge gateway's view of the registry: it signs and submits alerts."""

    def __init__(
        self, w3: Web3, deployment: Deployment, key: Signer | str | bytes | None = None
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        #: checked for the deployment's chain (anvil's public keys only on development chains)
        self.signer = signer_for(deployment.chain_id, key)
        self.registry = deployment.registry(w3)
        self.account: LocalAccount = self.signer.account
        self._open: set[bytes] = (
            set()
        )  # streams seen open for this gateway (bindings only the owner changes)

    def head(self, stream: bytes) -> bytes:
        return bytes(self.registry.functions.head(stream).call())

    def encode_submit(
        self, stream: bytes, model_id: str, prev_hash: bytes, proven: ProvenWindow, first_index: int
    ) -> bytes:
        call = self.registry.functions.submitAlert(
            stream,
            model_id_bytes(model_id),
            prev_hash,
            first_index,
            proven.proof,
            list(proven.instances),
        )
        return bytes.fromhex(call._encode_transaction_data().removeprefix("0x"))

    def check_bound(self, stream: bytes, proven: ProvenWindow, first_index: int) -> None:
        """Refuse (one line) a proof made for another gateway, stream or index, before anything is sent."""
        try:
            check_binding(
                proven.instances,
                proven.proof,
                proven.commitment,
                Binding(self.account.address, stream, first_index),
            )
        except ZkAlertError as exc:
            raise ChainError(f"not sent: {exc}") from None

    def ensure_stream(self, stream: bytes, name: str | None = None) -> None:
        """Make sure the stream is open for this gateway.

        Only the registry's owner opens a stream (so no rival can capture it by landing the first
        alert). Where this account is the owner (a development chain, a single-operator plant) it
        opens the stream for itself; otherwise it names who must. ``name`` is for the message.
        """
        if stream in self._open:
            return
        shown = repr(name) if name else f"0x{stream.hex()}"
        bound = self.registry.functions.streamGateway(stream).call()
        if bound == self.account.address:
            self._open.add(stream)
            return
        if not self.registry.functions.isGateway(self.account.address).call():
            return  # no gateway at all: the registry's own refusal says so
        if int(bound, 16) != 0:
            raise ChainError(
                f"stream {shown} belongs to gateway {bound}, not {self.account.address}"
            )
        owner = self.registry.functions.owner().call()
        if owner != self.account.address:
            raise ChainError(
                f"stream {shown} is not open: the registry owner ({owner}) opens it for this gateway "
                f"with `zkalert stream open {name or 'NAME'} --gateway {self.account.address}`"
            )
        self.open_stream(stream, self.account.address)
        self._open.add(stream)

    def open_stream(self, stream: bytes, gateway: str) -> str:
        """Owner: open ``stream`` for ``gateway`` (or hand it over); returns the transaction hash."""
        call = self.registry.functions.setStreamGateway(stream, Web3.to_checksum_address(gateway))
        tx_hash, receipt = send_call(
            self.w3, self.account, self.deployment.chain_id, call, self.deployment.registry_abi
        )
        if receipt["status"] != 1:
            raise ChainError(
                f"opening stream 0x{stream.hex()} reverted on-chain (transaction {tx_hash})"
            )
        return tx_hash

    def submit(
        self,
        stream: bytes,
        model_id: str,
        proven: ProvenWindow,
        prev_hash: bytes | None = None,
        index: int | None = None,
        check: bool = True,
    ) -> Submission:
        """Send one proven window at its window index (the proof's binding unless ``index`` is given);
        raises :class:`RevertedError` with the decoded reason. ``check=False`` skips the local binding
        check (to watch the registry refuse a mismatched proof)."""
        first = proven.first_index if index is None else index
        if check:
            self.check_bound(stream, proven, first)
        self.ensure_stream(stream)
        started = time.perf_counter()
        if prev_hash is None:
            prev_hash = self.head(stream)
        data = self.encode_submit(stream, model_id, prev_hash, proven, first)
        encode_s = time.perf_counter() - started

        tx: dict[str, Any] = {
            "from": self.account.address,
            "to": self.registry.address,
            "data": "0x" + data.hex(),
            "chainId": self.deployment.chain_id,
            "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
        }
        started = time.perf_counter()
        try:
            tx["gas"] = int(self.w3.eth.estimate_gas(cast(TxParams, tx)) * 1.2)
        except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
            raise RevertedError(
                decode_revert(self.deployment.registry_abi, revert_data(exc))
            ) from None
        fees = self._fees()
        tx.update(fees)
        signed = self.account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        tx_s = time.perf_counter() - started
        if receipt["status"] != 1:
            raise RevertedError(f"transaction {tx_hash.hex()} reverted on-chain")
        return Submission(
            tx_hash="0x" + bytes(tx_hash).hex(),
            block=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            calldata_bytes=len(data),
            tx_s=tx_s,
            encode_s=encode_s,
            head="0x" + self.head(stream).hex(),
        )

    def _fees(self) -> dict[str, int]:
        return fee_fields(self.w3)


def ezkl_calldata(proven: ProvenWindow) -> bytes:
    """verifyProof(bytes,uint256[]) calldata, encoded by EZKL itself."""
    import tempfile

    import ezkl

    with (
        tempfile.TemporaryDirectory() as folder
    ):  # ezkl insists on writing a file; keep it out of the tree
        return bytes(
            ezkl.encode_evm_calldata(  # type: ignore[call-arg]  # ezkl's stub omits its default
                str(proven.proof_path), str(Path(folder) / "calldata.bin")
            )
        )
