"""What the registry records for each window, from a proof and its instances.

Light on purpose (no EZKL, no torch): the outbox, the sender and the receipt
checker read statements without loading the prover. Two commitment schemes
(``IAlertRegistry.CommitmentScheme``), B windows per proof:

* ``poseidon``: instances ``[c_1..c_B, s_1..s_B, b_1..b_B]``;
* ``kzg``: instances ``[s_1..s_B, b_1..b_B]``; ``c_i = keccak256(proof[64(i-1) : 64i])``,
  the proof's i-th G1 point (the KZG commitment of window i's input column).

``b_i`` is window i's binding (:func:`binding_of`), carried as
:data:`BINDING_LIMBS` instances of :data:`LIMB_BITS` bits, low limb first: the
circuit takes the limbs as more input elements of the window and makes them
public unchanged, so a proof stands for one window index of one stream of one
gateway. Limbs small enough for EZKL's input range checks keep those checks on
(a full field element would need them off, which makes batched circuits about
1.8x larger). The registry checks the limbs against the submitting gateway, the
stream and the window's index; the regulator checks each served proof against
the committed index the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from zkalert.errors import ProofError

SCHEMES = ("poseidon", "kzg")

#: IAlertRegistry.BINDING_LIMBS and BINDING_LIMB_BITS: a binding is 140 bits in five 28-bit limbs.
BINDING_LIMBS = 5
LIMB_BITS = 28
_LIMB_MASK = (1 << LIMB_BITS) - 1


def binding_of(gateway: str, stream: bytes, index: int) -> int:
    """``IAlertRegistry.bindingOf``: the low 140 bits of keccak256(abi.encode(gateway, streamId, index))."""
    if not 0 <= index < 2**64:
        raise ProofError(f"window index {index} is outside 0..2^64-1")
    if len(stream) != 32:
        raise ProofError(f"a stream id is 32 bytes, got {len(stream)}")
    digest = keccak(
        encode(["address", "bytes32", "uint64"], [to_checksum_address(gateway), stream, index])
    )
    return int.from_bytes(digest, "big") & ((1 << (BINDING_LIMBS * LIMB_BITS)) - 1)


def limbs_of(binding: int) -> tuple[int, ...]:
    """A binding's limbs as the proof carries them, low limb first."""
    return tuple((binding >> (LIMB_BITS * k)) & _LIMB_MASK for k in range(BINDING_LIMBS))


def binding_from_limbs(limbs: tuple[int, ...]) -> int:
    """The binding a window's limbs stand for; -1 when a limb is out of range (no binding has it)."""
    if len(limbs) != BINDING_LIMBS or any(not 0 <= v <= _LIMB_MASK for v in limbs):
        return -1
    return sum(v << (LIMB_BITS * k) for k, v in enumerate(limbs))


@dataclass(frozen=True)
class Binding:
    """Where a proof's windows go: gateway, stream and the first window's index.

    Window i of a B-window proof has index ``index + i``.
    """

    gateway: str
    stream: bytes
    index: int

    def tags(self, windows: int) -> tuple[int, ...]:
        """The bindings ``b_1..b_B`` of a proof of ``windows`` windows from :attr:`index` on."""
        return tuple(binding_of(self.gateway, self.stream, self.index + i) for i in range(windows))

    def limbs(self, windows: int) -> list[tuple[int, ...]]:
        """Each window's binding limbs, as the circuit takes them."""
        return [limbs_of(b) for b in self.tags(windows)]

    def to_json(self) -> dict[str, object]:
        return {
            "gateway": to_checksum_address(self.gateway),
            "stream_id": "0x" + self.stream.hex(),
            "index": self.index,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Binding:
        try:
            return cls(
                to_checksum_address(str(data["gateway"])),
                bytes.fromhex(str(data["stream_id"]).removeprefix("0x")),
                int(data["index"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ProofError(f"a binding needs gateway, stream_id and index: {exc}") from None


#: The binding limbs of a statement checked for its score only (parity checks, calibration):
#: nothing is ever submitted under them.
UNBOUND_LIMBS = (0,) * BINDING_LIMBS


def kzg_commitments(proof: bytes, windows: int) -> tuple[int, ...]:
    """Window i's commitment under the KZG scheme: keccak256 of the proof's i-th G1 point (as AlertRegistry)."""
    if len(proof) < 64 * windows:
        raise ProofError(
            f"a KZG-committed proof of {windows} window(s) needs at least {64 * windows} bytes, got {len(proof)}"
        )
    return tuple(int.from_bytes(keccak(proof[64 * i : 64 * i + 64]), "big") for i in range(windows))


def instances_per_window(commitment: str) -> int:
    """Public instances per window: c, s and the binding's limbs (Poseidon), or s and the limbs (KZG,
    and the benchmark's measurement-only circuits without an input commitment, "none")."""
    if commitment not in (*SCHEMES, "none"):
        raise ProofError(
            f"unknown input commitment {commitment!r}: expected one of {', '.join(SCHEMES)}"
        )
    return (2 if commitment == "poseidon" else 1) + BINDING_LIMBS


def split_bound_statement(
    instances: tuple[int, ...], proof: bytes = b"", commitment: str = "poseidon"
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """``(commitments, scores, bindings)`` of a proof's windows under ``commitment`` (a binding is
    -1 where its limbs are out of range)."""
    per = instances_per_window(commitment)
    if len(instances) % per or not instances:
        raise ProofError(
            f"a {commitment}-committed proof has {per}*B instances, got {len(instances)}"
        )
    windows = len(instances) // per
    base = per - BINDING_LIMBS  # instances per window before the limbs: c and s, or s
    scores = tuple(instances[(base - 1) * windows : base * windows])
    limbs = instances[base * windows :]
    bindings = tuple(
        binding_from_limbs(tuple(limbs[BINDING_LIMBS * i : BINDING_LIMBS * (i + 1)]))
        for i in range(windows)
    )
    if commitment == "none":
        commitments: tuple[int, ...] = (
            0,
        ) * windows  # nothing commits to the window: not a statement the registry takes
    else:
        commitments = (
            kzg_commitments(proof, windows) if commitment == "kzg" else tuple(instances[:windows])
        )
    return commitments, scores, bindings


def split_statement(
    instances: tuple[int, ...], proof: bytes = b"", commitment: str = "poseidon"
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(commitments, scores)`` of a proof's windows under ``commitment``."""
    commitments, scores, _ = split_bound_statement(instances, proof, commitment)
    return commitments, scores


def check_binding(
    instances: tuple[int, ...], proof: bytes, commitment: str, binding: Binding
) -> None:
    """Refuse a proof whose binding instances are not those of ``binding`` (one line naming the first)."""
    _, _, bindings = split_bound_statement(instances, proof, commitment)
    for i, (got, expected) in enumerate(zip(bindings, binding.tags(len(bindings)), strict=True)):
        if got != expected:
            raise ProofError(
                f"the proof's window {i} is bound to another gateway, stream or index than {binding.gateway}, "
                f"stream 0x{binding.stream.hex()}, index {binding.index + i}"
            )
