"""JSON-RPC: one way to connect, pay fees, send a call, decode a refusal and ask a verifier.

Every client of the project's contracts (AlertRegistry, WindowLog, TimeSeriesRegistry)
and every audit goes through these, so a node that does not answer, a custom error
or a verifier's answer reads the same everywhere.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.types import TxParams

from zkalert.config import PROJECT_ROOT, exclusive, rpc_url, shared_path
from zkalert.errors import ChainError, RevertedError
from zkalert.toolchain import tool

#: verifyProof(bytes,uint256[]): the one function every EZKL Halo2 verifier exposes.
VERIFY_SELECTOR = function_signature_to_4byte_selector("verifyProof(bytes,uint256[])")
#: The priority fee every transaction offers (1 gwei).
TIP_WEI = 10**9


def connect(url: str | None = None) -> Web3:
    """A connected Web3, or one clear line saying how to get a node."""
    url = url or rpc_url()
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
    try:
        _ = w3.eth.chain_id
    except Exception as exc:  # noqa: BLE001 - requests/aiohttp raise many connection error types
        raise ChainError(
            f"no Ethereum node answers at {url}: start a local one with `make anvil` "
            f"(or `zkalert node start`), or set RPC_URL to your node ({type(exc).__name__})"
        ) from None
    return w3


def require_version(contract: Contract, name: str, expected: str, why: str, redeploy: str) -> None:
    """Refuse, in one line, a deployed contract of another version than this code speaks."""
    try:
        version = str(contract.functions.version().call())
    except (ContractLogicError, Web3RPCError, ValueError):
        version = "unknown"
    if version != expected:
        raise ChainError(
            f"the {name} at {contract.address} is version {version}; this zkalert speaks {expected} ({why}): run `{redeploy}` for a new registry"
        )


def forge_lock() -> AbstractContextManager[None]:
    """One forge run at a time in this checkout, across processes: forge build and forge script
    compile into the same ``out/`` and ``cache/``, and two at once can leave a half-written
    artifact for the other (two deployments, or a compile beside a deployment, run at once)."""
    return exclusive(PROJECT_ROOT / "build" / "forge.lock")


#: How long one forge build or deployment script may run before it is stopped: a cold compile of
#: the contracts takes a few minutes on 2 cores; forge script waits for its receipts unboundedly.
FORGE_TIMEOUT_S = 900.0


def run_forge(args: list[str], env: dict[str, str]) -> str:
    if args[:1] in (["script"], ["build"]):
        args = [
            *args,
            "--skip",
            "test",
        ]  # a deployment compiles the contracts and scripts, never the test suite
    with forge_lock():
        try:
            proc = subprocess.run(
                [str(tool("forge")), *args],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=FORGE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise ChainError(
                f"forge {' '.join(args[:2])} did not finish in {FORGE_TIMEOUT_S:g} s (a node that "
                "does not mine the broadcast transactions?): stopped"
            ) from None
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        raise ChainError("forge " + " ".join(args[:2]) + " failed:\n" + "\n".join(tail))
    return proc.stdout


#: The variable the deploy scripts (script/Base.s.sol) take their records folder from.
RECORDS_ENV = "ZKALERT_RECORDS_DIR"


@contextmanager
def deployment_records(env: dict[str, str], chain_id: int) -> Iterator[None]:
    """Have the deploy scripts' records (``<chain id>/*.json``) land in the configured deployments
    folder. Forge may only write under the project's ``deployments/`` (foundry.toml's
    fs_permissions): when the folder is elsewhere, the scripts write into a staging folder there
    and the records are copied over once the script has succeeded."""
    target = shared_path("deployments")
    project = PROJECT_ROOT / "deployments"
    if target.resolve() == project.resolve():
        yield
        return
    project.mkdir(exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=project))
    env[RECORDS_ENV] = str(stage)
    try:
        yield
        written = stage / str(chain_id)
        if written.is_dir():
            shutil.copytree(written, target / str(chain_id), dirs_exist_ok=True)
    finally:
        env.pop(RECORDS_ENV, None)
        shutil.rmtree(stage, ignore_errors=True)


def _error_table(abi: list[dict[str, Any]]) -> dict[bytes, tuple[str, list[str], list[str]]]:
    table = {}
    for item in abi:
        if item.get("type") != "error":
            continue
        types = [i["type"] for i in item["inputs"]]
        names = [i["name"] for i in item["inputs"]]
        selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
        table[selector] = (item["name"], types, names)
    return table


def decode_revert(abi: list[dict[str, Any]], data: str | bytes | None) -> str:
    """A custom error's name and arguments, e.g. AlertRegistryStalePrevHash(expected=0x.., got=0x..)."""
    if data is None:
        return "reverted without data"
    raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data)
    entry = _error_table(abi).get(raw[:4])
    if entry is None:
        return f"reverted with data 0x{raw.hex()}"
    name, types, names = entry
    values = abi_decode(types, raw[4:])
    shown = ", ".join(
        f"{n}={'0x' + v.hex() if isinstance(v, bytes) else v}" for n, v in zip(names, values)
    )
    return f"{name}({shown})"


def revert_data(exc: Exception) -> str | None:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return data
    message = str(exc.args[0]) if exc.args else ""
    return message if message.startswith("0x") else None


def fee_fields(w3: Web3, tip_wei: int = TIP_WEI, cap_wei: int | None = None) -> dict[str, int]:
    """Fee fields for a transaction now: EIP-1559 (twice the base fee plus the tip, at most
    ``cap_wei``), or a legacy gas price on chains without a base fee (pre-London, some PoA networks)."""
    base = w3.eth.get_block("latest").get("baseFeePerGas")
    if base is None:
        price = int(w3.eth.gas_price)
        return {"gasPrice": price if cap_wei is None else min(price, cap_wei)}
    max_fee = int(base) * 2 + tip_wei
    return {
        "maxFeePerGas": max_fee if cap_wei is None else min(max_fee, cap_wei),
        "maxPriorityFeePerGas": tip_wei,
    }


def send_call(
    w3: Web3, account: LocalAccount, chain_id: int, call: Any, abi: list[dict[str, Any]]
) -> tuple[str, Any]:
    """Sign and send a contract call from ``account``; wait for its receipt.

    A call the contract refuses raises :class:`RevertedError` with the decoded custom error
    before anything is sent. Returns the transaction hash and the receipt."""
    tx: dict[str, Any] = {
        "from": account.address,
        "to": call.address,
        "data": call._encode_transaction_data(),
        "chainId": chain_id,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
    }
    try:
        tx["gas"] = int(w3.eth.estimate_gas(cast(TxParams, tx)) * 1.2)
    except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
        raise RevertedError(decode_revert(abi, revert_data(exc))) from None
    tx.update(fee_fields(w3))
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    return "0x" + bytes(tx_hash).hex(), receipt


def verifier_calldata(proof: bytes, instances: Sequence[int]) -> bytes:
    """verifyProof(bytes,uint256[]) calldata, canonically encoded (what the registries pass on)."""
    return VERIFY_SELECTOR + abi_encode(["bytes", "uint256[]"], [bytes(proof), list(instances)])


def verifier_eth_call(w3: Web3, verifier: str, calldata: bytes) -> tuple[bool, float]:
    """The paper's verification: eth_call of verifyProof on the verifier contract."""
    started = time.perf_counter()
    try:
        result = w3.eth.call(
            {"to": Web3.to_checksum_address(verifier), "data": HexStr("0x" + calldata.hex())}
        )
    except (ContractLogicError, Web3RPCError, ValueError):
        return False, time.perf_counter() - started
    elapsed = time.perf_counter() - started
    return (len(result) >= 32 and int.from_bytes(bytes(result)[:32], "big") == 1), elapsed
