"""The names of the detector family's members (no torch here: the CLI checks a name before it
loads anything). The members themselves are in :mod:`.family`."""

from __future__ import annotations

from zkalert.errors import DetectorError

#: The members, the paper's autoencoder first.
DETECTORS = ("autoencoder", "autoencoder-small", "whitened-l1", "whitened-sq", "pca-t2q")
#: What ``zkalert train`` and ``make demo`` give unless told otherwise: the member the default rule
#: picks (``zkalert evaluate --family``: the fastest member within one point of the best mean
#: detection at 5% false alarms, its decisions equal to its float model's on at least 99.9% of
#: the windows checked), on Tennessee Eastman the only member within that point of the best.
DEFAULT_DETECTOR = "whitened-sq"
#: The paper's sparse denoising autoencoder: the member of a ``TrainConfig`` that names none.
PAPER_DETECTOR = "autoencoder"
#: The autoencoders' (wide, code) layer widths.
HIDDEN = {"autoencoder": (32, 12), "autoencoder-small": (16, 4)}

#: The fixed-point scale (bits) a member's circuit is built at unless told otherwise. A linear
#: member whitens inside the circuit: its smallest-variance directions multiply the window by
#: large weights, and with them the inputs' rounding, so it needs finer inputs (at 10 bits a
#: normal window's L1 score is off by 7%, at 13 by 0.3%; the row count does not change).
CIRCUIT_SCALE = {"autoencoder": 10, "autoencoder-small": 10}
LINEAR_SCALE = 13


#: Members whose circuit is exact: a polynomial in the window (whitened-sq: degree 2) that the
#: circuit computes on the quantised window and weights without rounding anything after them.
#: No value is rescaled, so the circuit has no range check and no lookup table at all (EZKL's
#: checks on inputs and outputs are off: the score is exact for every window whose values stay
#: within :data:`EXACT_INPUT_BOUND`, which the prover checks). whitened-sq's circuit is 737 rows
#: at 3 columns (2^10) where the rounded one was 3,856 (2^12).
EXACT_DETECTORS = frozenset({"whitened-sq"})

#: The largest standardised value (in standard deviations) an exact circuit is given. Within it
#: every quantity in the circuit stays far below the field's modulus, so the proven score is the
#: exact one (2^40 at 13 bits: the whitened-sq score stays under 2^170, the modulus is 2^254);
#: past it a window is refused before proving, like a window out of a rounded circuit's range.
EXACT_INPUT_BOUND = float(2**40)


#: Advice columns per row of a member's circuit where EZKL's default 2 is not the fastest:
#: whitened-sq's exact circuit is 1,085 rows at 2 columns (2^11), 737 at 3 (2^10) and 557 at 4
#: (2^10, each row wider): 3 proves fastest (KZG commitment, 2 cores; a Poseidon commitment of
#: the window alone needs 2,339 rows, 2^12, at any width).
CIRCUIT_COLUMNS: dict[str, int] = {"whitened-sq": 3}


def circuit_scale(kind: str) -> int:
    return CIRCUIT_SCALE.get(check_kind(kind), LINEAR_SCALE)


def circuit_exact(kind: str) -> bool:
    return check_kind(kind) in EXACT_DETECTORS


def check_kind(kind: str) -> str:
    if kind not in DETECTORS:
        raise DetectorError(f"detector {kind!r} is not one of {', '.join(DETECTORS)}")
    return kind


def is_linear(kind: str) -> bool:
    """A member whose whitening or projection is in the circuit (fitted in closed form)."""
    return check_kind(kind) not in HIDDEN


def circuit_columns(kind: str) -> int | None:
    """None: EZKL's default."""
    return CIRCUIT_COLUMNS.get(check_kind(kind))
