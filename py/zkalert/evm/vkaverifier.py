"""A deployed VkaVerifier (``contracts/VkaVerifier.sol``): what it holds, and whether its pieces
are what EZKL makes from a model's verifying key.

A circuit past EIP-170 is registered with a VkaVerifier: EZKL's reusable verifier (the same code
for every circuit) and the circuit's VKA, kept as a data contract's code (:mod:`zkalert.zk.vka`).
The chain knows only the VkaVerifier's code hash. :func:`verifier_problems` is the audit's check
of any model's verifier: a generated one against EZKL's output for the key
(:func:`zkalert.zk.verifiercode.verifier_code_problems`), a VkaVerifier piece by piece.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from eth_typing import HexStr
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import Web3Exception

from zkalert.errors import ZkAlertError
from zkalert.evm.artifacts import code_against_build
from zkalert.zk.verifiercode import strip_metadata, verifier_code_problems

__all__ = ["verifier_problems", "vka_of", "vka_verifier_problems"]

#: VkaVerifier's ``vka()``: the data contract holding its VKA.
_VKA_SELECTOR = HexStr("0x" + keccak(text="vka()")[:4].hex())


def vka_of(w3: Web3, verifier: str) -> bytes | None:
    """The VKA words a VkaVerifier at ``verifier`` holds (None: not a VkaVerifier). Never raises
    for what the chain answers."""
    try:
        answer = bytes(
            w3.eth.call({"to": Web3.to_checksum_address(verifier), "data": _VKA_SELECTOR})
        )
        if len(answer) != 32 or any(answer[:12]):
            return None
        data = bytes(w3.eth.get_code(Web3.to_checksum_address(answer[12:])))
    except (Web3Exception, ValueError, TypeError):
        return None
    if len(data) < 33 or data[0] != 0 or (len(data) - 1) % 32:
        return None
    return data[1:]


def verifier_problems(w3: Web3, verifier: str, vk: Path, settings: Path, srs: Path) -> list[str]:
    """Empty when the verifier at ``verifier`` is EZKL's for ``vk``: its generated verifier, or a
    VkaVerifier whose reusable verifier and VKA are EZKL's for ``vk``."""
    deployed = bytes(w3.eth.get_code(Web3.to_checksum_address(verifier)))
    if deployed and code_against_build(deployed, "VkaVerifier.sol:VkaVerifier"):
        return vka_verifier_problems(w3, verifier, vk, settings, srs)
    return verifier_code_problems(w3, verifier, vk, settings, srs)


def vka_verifier_problems(
    w3: Web3, verifier: str, vk: Path, settings: Path, srs: Path
) -> list[str]:
    """The pieces of the VkaVerifier at ``verifier`` against what EZKL makes from ``vk``: the
    reusable verifier's code and the VKA (its words and the digest it is registered under)."""
    from zkalert.zk.circuit import compile_runtime
    from zkalert.zk.vka import REUSABLE_CONTRACT, reusable_verifier_source, vka_words

    problems: list[str] = []
    contract = w3.eth.contract(address=Web3.to_checksum_address(verifier), abi=_VKA_VERIFIER_ABI)
    reusable = str(contract.functions.reusableVerifier().call())
    digest = bytes(contract.functions.vkaDigest().call())
    held = vka_of(w3, verifier) or b""
    with tempfile.TemporaryDirectory() as folder:
        try:
            source = reusable_verifier_source(vk, settings, srs, Path(folder))
            expected_code = compile_runtime(source, "Halo2VerifierReusable.sol", REUSABLE_CONTRACT)
            expected_words = b"".join(vka_words(vk, settings, srs, Path(folder) / "vka.bin"))
        except (OSError, ZkAlertError) as exc:
            return [
                f"could not regenerate the reusable verifier and VKA from the verifying key: {exc}"
            ]
    reusable_code = bytes(w3.eth.get_code(Web3.to_checksum_address(reusable)))
    if strip_metadata(reusable_code) != strip_metadata(expected_code):
        problems.append(
            f"the VkaVerifier {verifier} calls {reusable}, whose {len(reusable_code):,} bytes of code "
            "are not EZKL's reusable verifier"
        )
    if held != expected_words:
        problems.append(
            f"the VkaVerifier {verifier} holds a VKA of {len(held) // 32} words that is not the one "
            "EZKL makes from the registered verifying key (another circuit's key)"
        )
    if digest != keccak(held):
        problems.append(
            f"the VkaVerifier {verifier} records VKA digest 0x{digest.hex()}, not keccak256 of the VKA it holds"
        )
    return problems


#: What the audit asks a VkaVerifier.
_VKA_VERIFIER_ABI = [
    {
        "type": "function",
        "name": name,
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"type": kind, "name": ""}],
    }
    for name, kind in (
        ("reusableVerifier", "address"),
        ("vka", "address"),
        ("vkaDigest", "bytes32"),
    )
]
