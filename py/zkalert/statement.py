"""What the registry records for each window: ``(c_i, s_i)``, from a proof and its instances.

Light on purpose (no EZKL, no torch): the outbox, the sender and the receipt
checker read statements without loading the prover. Two commitment schemes
(``IAlertRegistry.CommitmentScheme``):

* ``poseidon``: instances ``[c_1..c_B, s_1..s_B]``;
* ``kzg``: instances ``[s_1..s_B]``; ``c_i = keccak256(proof[64(i-1) : 64i])``,
  the proof's i-th G1 point (the KZG commitment of window i's input column).
"""

from __future__ import annotations

from eth_utils import keccak

from .errors import ZkAlertError

SCHEMES = ("poseidon", "kzg")


def kzg_commitments(proof: bytes, windows: int) -> tuple[int, ...]:
    """Window i's commitment under the KZG scheme: keccak256 of the proof's i-th G1 point (as AlertRegistry)."""
    if len(proof) < 64 * windows:
        raise ZkAlertError(f"a KZG-committed proof of {windows} window(s) needs at least {64 * windows} bytes, got {len(proof)}")
    return tuple(int.from_bytes(keccak(proof[64 * i : 64 * i + 64]), "big") for i in range(windows))


def split_statement(instances: tuple[int, ...], proof: bytes = b"", commitment: str = "poseidon") -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(commitments, scores)`` of a proof's windows under ``commitment``."""
    if commitment == "kzg":
        return kzg_commitments(proof, len(instances)), tuple(instances)
    if commitment != "poseidon":
        raise ZkAlertError(f"unknown input commitment {commitment!r}: expected one of {', '.join(SCHEMES)}")
    if len(instances) % 2:
        raise ZkAlertError(f"a Poseidon-committed proof has 2*B instances, got {len(instances)}")
    windows = len(instances) // 2
    return tuple(instances[:windows]), tuple(instances[windows:])
