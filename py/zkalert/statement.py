"""What the registry records for each window, from a proof and its instances.

Light on purpose (no EZKL, no torch): the outbox, the sender and the receipt
checker read statements without loading the prover. Two commitment schemes
(``IAlertRegistry.CommitmentScheme``), B windows per proof:

* ``poseidon``: instances ``[c_1..c_B, s_1..s_B, b_1..b_B]``;
* ``kzg``: instances ``[s_1..s_B, b_1..b_B]``; ``c_i = keccak256(proof[64(i-1) : 64i])``,
  the proof's i-th G1 point (the KZG commitment of window i's input column).

``b_i`` is window i's binding (:func:`binding_of`): the circuit takes it as one
more input element and makes it public unchanged, so a proof stands for one
window index of one stream of one gateway. The registry checks it
against the submitting gateway, the stream and the window's index; the
regulator checks each served proof against the committed index the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from .config import BN254_R
from .errors import ZkAlertError

SCHEMES = ("poseidon", "kzg")


def binding_of(gateway: str, stream: bytes, index: int) -> int:
    """``IAlertRegistry.bindingOf``: keccak256(abi.encode(gateway, streamId, index)) mod r."""
    if not 0 <= index < 2**64:
        raise ZkAlertError(f"window index {index} is outside 0..2^64-1")
    if len(stream) != 32:
        raise ZkAlertError(f"a stream id is 32 bytes, got {len(stream)}")
    digest = keccak(encode(["address", "bytes32", "uint64"], [to_checksum_address(gateway), stream, index]))
    return int.from_bytes(digest, "big") % BN254_R


@dataclass(frozen=True)
class Binding:
    """Where a proof's windows go: gateway, stream and the first window's index.

    Window i of a B-window proof has index ``index + i``.
    """

    gateway: str
    stream: bytes
    index: int

    def tags(self, windows: int) -> tuple[int, ...]:
        """The binding instances ``b_1..b_B`` of a proof of ``windows`` windows from :attr:`index` on."""
        return tuple(binding_of(self.gateway, self.stream, self.index + i) for i in range(windows))

    def to_json(self) -> dict[str, object]:
        return {"gateway": to_checksum_address(self.gateway), "stream_id": "0x" + self.stream.hex(), "index": self.index}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Binding:
        try:
            return cls(to_checksum_address(str(data["gateway"])), bytes.fromhex(str(data["stream_id"]).removeprefix("0x")), int(data["index"]))  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError) as exc:
            raise ZkAlertError(f"a binding needs gateway, stream_id and index: {exc}") from None


#: The binding of a statement checked for its score only (parity checks, calibration): nothing is
#: ever submitted under it.
UNBOUND_TAG = 0


def kzg_commitments(proof: bytes, windows: int) -> tuple[int, ...]:
    """Window i's commitment under the KZG scheme: keccak256 of the proof's i-th G1 point (as AlertRegistry)."""
    if len(proof) < 64 * windows:
        raise ZkAlertError(f"a KZG-committed proof of {windows} window(s) needs at least {64 * windows} bytes, got {len(proof)}")
    return tuple(int.from_bytes(keccak(proof[64 * i : 64 * i + 64]), "big") for i in range(windows))


def instances_per_window(commitment: str) -> int:
    """Public instances per window: c, s, b (Poseidon) or s, b (KZG, and the benchmark's
    measurement-only circuits without an input commitment, "none")."""
    if commitment not in (*SCHEMES, "none"):
        raise ZkAlertError(f"unknown input commitment {commitment!r}: expected one of {', '.join(SCHEMES)}")
    return 3 if commitment == "poseidon" else 2


def split_bound_statement(
    instances: tuple[int, ...], proof: bytes = b"", commitment: str = "poseidon"
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """``(commitments, scores, bindings)`` of a proof's windows under ``commitment``."""
    per = instances_per_window(commitment)
    if len(instances) % per or not instances:
        raise ZkAlertError(f"a {commitment}-committed proof has {per}*B instances, got {len(instances)}")
    windows = len(instances) // per
    scores = tuple(instances[(per - 2) * windows : (per - 1) * windows])
    bindings = tuple(instances[(per - 1) * windows :])
    if commitment == "none":
        commitments: tuple[int, ...] = (0,) * windows  # nothing commits to the window: not a statement the registry takes
    else:
        commitments = kzg_commitments(proof, windows) if commitment == "kzg" else tuple(instances[:windows])
    return commitments, scores, bindings


def split_statement(instances: tuple[int, ...], proof: bytes = b"", commitment: str = "poseidon") -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(commitments, scores)`` of a proof's windows under ``commitment``."""
    commitments, scores, _ = split_bound_statement(instances, proof, commitment)
    return commitments, scores


def check_binding(instances: tuple[int, ...], proof: bytes, commitment: str, binding: Binding) -> None:
    """Refuse a proof whose binding instances are not those of ``binding`` (one line naming the first)."""
    _, _, bindings = split_bound_statement(instances, proof, commitment)
    for i, (got, expected) in enumerate(zip(bindings, binding.tags(len(bindings)), strict=True)):
        if got != expected:
            raise ZkAlertError(
                f"the proof's window {i} is bound to another gateway, stream or index than {binding.gateway}, "
                f"stream 0x{binding.stream.hex()}, index {binding.index + i}"
            )
