"""Is a registered verifier what the model says it is?

The registry pins a verifier's code hash and refuses a second model over the
same code, but it cannot tell an EZKL verifier from a wrapper or a proxy around
one, nor check the commitment scheme and windows per proof the owner registered
against the circuit. The regulator can, from the model's verifying key, settings
and SRS (the same files the audit verifies proofs with):

* :func:`verifier_code_problems`: regenerate the Solidity verifier from the vk
  with EZKL, compile it with the project's pinned solc and settings, and compare
  its runtime bytecode with the code at the verifier's address (solc's trailing
  metadata, which hashes the source text, is left out of the comparison);
  (a model whose verifier is a VkaVerifier is checked piece by piece:
  :mod:`zkalert.evm.vkaverifier`);
* :func:`registration_problems`: the registered windows per proof and
  commitment scheme against the circuit's settings, and that the circuit makes
  each window's binding public.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from web3 import Web3

from zkalert.errors import ZkAlertError

#: IAlertRegistry.CommitmentScheme values.
POSEIDON, KZG = 0, 1


def strip_metadata(code: bytes) -> bytes:
    """Runtime code without solc's CBOR metadata trailer (its last two bytes give its length)."""
    if len(code) < 2:
        return code
    length = int.from_bytes(code[-2:], "big")
    if 0 < length <= len(code) - 2 and code[-length - 2] in (
        0xA1,
        0xA2,
        0xA3,
    ):  # a CBOR map of 1-3 entries
        return code[: -length - 2]
    return code


def expected_runtime(vk: Path, settings: Path, srs: Path) -> bytes:
    """The runtime bytecode of the verifier EZKL generates from ``vk``, compiled as the project compiles it."""
    # imported here: reading code (strip_metadata) needs neither EZKL nor torch
    from zkalert.zk.circuit import compile_runtime, ezkl_verifier_source

    with tempfile.TemporaryDirectory() as folder:
        sol = Path(folder) / "Verifier.sol"
        source = ezkl_verifier_source(vk, settings, srs, sol, Path(folder) / "Verifier.abi")
        return compile_runtime(source, sol.name, "Halo2Verifier")


def verifier_code_problems(
    w3: Web3, verifier: str, vk: Path, settings: Path, srs: Path
) -> list[str]:
    """Empty when the code at ``verifier`` is exactly EZKL's verifier for ``vk`` (metadata aside)."""
    deployed = bytes(w3.eth.get_code(Web3.to_checksum_address(verifier)))
    if not deployed:
        return [f"the verifier {verifier} has no code"]
    try:
        expected = expected_runtime(vk, settings, srs)
    except (OSError, ZkAlertError) as exc:
        return [f"could not regenerate the verifier from the verifying key: {exc}"]
    if strip_metadata(deployed) != strip_metadata(expected):
        return [
            (
                f"the verifier {verifier} runs {len(deployed):,} bytes of code that is not the verifier EZKL generates from the "
                f"registered verifying key ({len(expected):,} bytes): a wrapper, a proxy or another circuit"
            )
        ]
    return []


def registration_problems(
    settings: dict[str, Any], windows_per_proof: int, commitment: int
) -> list[str]:
    """The owner's registration (windows per proof, commitment scheme) against the circuit's settings."""
    problems: list[str] = []
    inputs = len(settings.get("model_input_scales", []))
    if inputs != windows_per_proof:
        problems.append(
            f"the model is registered with {windows_per_proof} window(s) per proof, its circuit takes {inputs}"
        )
    visibility = settings.get("run_args", {}).get("input_visibility")
    scheme = (
        POSEIDON
        if isinstance(visibility, dict) and "Hashed" in visibility
        else KZG
        if visibility == "KZGCommit"
        else None
    )
    names = {POSEIDON: "Poseidon", KZG: "Kzg"}
    if scheme is None:
        problems.append(
            f"the circuit commits to its inputs as {json.dumps(visibility)}, which the registry does not record"
        )
    elif scheme != commitment:
        problems.append(
            f"the model is registered with commitment {names.get(commitment, commitment)}, its circuit commits with {names[scheme]}"
        )
    if len(settings.get("model_instance_shapes", [])) < 2:
        problems.append(
            "the circuit does not make each window's binding (gateway, stream, index) public"
        )
    return problems
