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


#: Range-check legs (base 1024) of a member's circuit, where the default 3 is too few:
#: whitened-sq squares whitened values, and a fault drives them into the thousands (4,655 on the
#: Tennessee Eastman test runs): at 13 bits, 3 legs hold squares of values up to 361, 4 up to
#: 8,200 (381 more rows).
CIRCUIT_LEGS = {"whitened-sq": 4}


#: Advice columns per row of a member's circuit where EZKL's default 2 is not the fastest:
#: whitened-sq's 5,345 rows at 2 columns need 2^13, its 3,856 at 3 fit 2^12 (measured on 2 cores,
#: 5 interleaved rounds: 14% less proving time, with a Poseidon or a KZG commitment).
CIRCUIT_COLUMNS: dict[str, int] = {"whitened-sq": 3}


def circuit_scale(kind: str) -> int:
    return CIRCUIT_SCALE.get(check_kind(kind), LINEAR_SCALE)


def circuit_legs(kind: str) -> int:
    return CIRCUIT_LEGS.get(check_kind(kind), 3)


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
