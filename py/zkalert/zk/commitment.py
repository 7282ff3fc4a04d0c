"""A window's input commitment recomputed from the window, as the circuit makes it.

What a proof says about its window is the window's commitment: the Poseidon hash of the
window's circuit inputs (``poseidon``, the first public instances) or the KZG commitment
of its input column (``kzg``, the proof's i-th G1 point; the registry records keccak256
of it). Both are deterministic in the inputs, so whoever holds the window (and, for KZG,
the verifying key, settings and SRS) can recompute them and see whether a proof is about
that window and no other.

The circuit's inputs for one window are its scaled values quantized as EZKL quantizes an
``input_data`` float (cast to the settings' ``input_types`` first: F32 inputs lose their
float64 tail before rounding at the input scale, so rounding ``x * 2**scale`` in float64
is *not* the same at the halfway points), then the binding's limbs as raw field elements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from zkalert.config import BN254_R
from zkalert.data.loaders import FloatArray
from zkalert.errors import CircuitError

__all__ = [
    "InputSpec",
    "commitment_of",
    "felt_to_signed",
    "kzg_commitment",
    "poseidon_commitment",
    "quantize_window",
    "window_felts",
]

#: EZKL's input visibilities that commit to the input, by the registry's scheme name.
_VISIBILITY = {"Hashed": "poseidon", "KZGCommit": "kzg"}


@dataclass(frozen=True)
class InputSpec:
    """What a circuit's settings say about its inputs: how they are committed and quantized."""

    commitment: str  # "poseidon" or "kzg"
    windows_per_proof: int  # one input tensor per window
    input_scale: int
    input_type: str  # EZKL's InputType name: "F32", "F64", ...
    output_scale: int
    logrows: int

    @classmethod
    def of_settings(cls, path: Path) -> InputSpec:
        """Read a circuit's ``settings.json`` (one line naming what is wrong with it)."""
        try:
            settings: dict[str, Any] = json.loads(path.read_text())
            args = settings["run_args"]
            visibility = args["input_visibility"]
            name = next(iter(visibility)) if isinstance(visibility, dict) else str(visibility)
            scales = [int(s) for s in settings["model_input_scales"]]
            types = [str(t) for t in settings.get("input_types") or ["F32"] * len(scales)]
            output_scale = int(settings["model_output_scales"][0])
            logrows = int(args["logrows"])
        except (OSError, ValueError, KeyError, TypeError, IndexError, StopIteration) as exc:
            raise CircuitError(f"{path}: not an EZKL settings file ({exc})") from None
        if name not in _VISIBILITY:
            raise CircuitError(
                f"{path}: the circuit's inputs are {name!r}, not committed (Hashed or KZGCommit): "
                "no proof of it says which window it is about"
            )
        if not scales or len(set(scales)) != 1 or len(set(types)) != 1:
            raise CircuitError(
                f"{path}: expected one input scale and type for every window, got {scales} / {types}"
            )
        return cls(_VISIBILITY[name], len(scales), scales[0], types[0], output_scale, logrows)


def felt_to_signed(felt: int) -> int:
    """A field element read as EZKL's signed fixed-point integer (the upper half is negative)."""
    return felt - BN254_R if felt > BN254_R // 2 else felt


def quantize_window(scaled: FloatArray, input_scale: int, input_type: str = "F32") -> list[int]:
    """One scaled window's values as the circuit's signed fixed-point integers (EZKL's own
    ``float_to_felt`` for the settings' input type)."""
    import ezkl

    kind = getattr(ezkl.PyInputType, input_type, None)
    if kind is None:
        raise CircuitError(f"unknown EZKL input type {input_type!r}")
    return [
        felt_to_signed(
            int.from_bytes(bytes.fromhex(ezkl.float_to_felt(float(v), input_scale, kind)), "little")
        )
        for v in scaled
    ]


def window_felts(quantized: Sequence[int], limbs: Sequence[int]) -> list[str]:
    """A window's circuit input as EZKL's little-endian hex field elements: values, then limbs
    (light on purpose: no torch, unlike :func:`zkalert.zk.circuit.felt_to_le_hex`)."""
    return [(v % BN254_R).to_bytes(32, "little").hex() for v in (*quantized, *limbs)]


def poseidon_commitment(felts: Sequence[str]) -> int:
    """EZKL's Poseidon hash of one input tensor (a ``hashed`` input's public instance)."""
    import ezkl

    digest = ezkl.poseidon_hash(list(felts))
    if len(digest) != 1:
        raise CircuitError(f"EZKL's Poseidon hash of one window gave {len(digest)} elements")
    return int.from_bytes(bytes.fromhex(digest[0]), "little")


def kzg_commitment(felts: Sequence[str], vk: Path, settings: Path, srs: Path) -> int:
    """keccak256 of the KZG commitment of one window's input column (x || y, 32 bytes big-endian
    each, as the proof carries it and the registry hashes it)."""
    import ezkl

    points = ezkl.kzg_commit(list(felts), str(vk), str(settings), str(srs))
    if len(points) != 1:
        raise CircuitError(f"EZKL's KZG commitment of one window gave {len(points)} points")
    point: Any = points[0]  # ezkl's stub declares no attributes of PyG1Affine
    encoded = bytes.fromhex(point.x)[::-1] + bytes.fromhex(point.y)[::-1]
    return int.from_bytes(keccak(encoded), "big")


def commitment_of(
    spec: InputSpec,
    quantized: Sequence[int],
    limbs: Sequence[int],
    vk: Path,
    settings: Path,
    srs: Path,
) -> int:
    """The commitment a proof of this window (its quantized values, bound by ``limbs``) carries,
    as the registry reads it: the Poseidon instance, or keccak256 of the KZG point."""
    felts = window_felts(quantized, limbs)
    if spec.commitment == "poseidon":
        return poseidon_commitment(felts)
    return kzg_commitment(felts, vk, settings, srs)
