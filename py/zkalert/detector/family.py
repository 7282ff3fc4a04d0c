"""The detector family: every member scores a window with one network the circuit proves.

Each member is a :class:`torch.nn.Module` with ``total(window) -> (n, 1)``: the window's score
times its width (the circuit proves the sum: a mean would multiply by a quantised 1/width), so
that the float score is ``total / width`` for every member. The members:

``autoencoder``
    the sparse denoising autoencoder of the PureChain paper, ``d -> 32 -> 12 -> 32 -> d``: the
    sum of absolute reconstruction errors. Its input is the PCA-whitened window (the whitening
    happens before the circuit, so the proof commits to the whitened window).
``autoencoder-small``
    the same recipe at ``d -> 16 -> 4 -> 16 -> d``: about half the rows.
``whitened-l1``
    no network: the whitening itself, in the circuit (a ``d x d`` matrix), and the L1 norm of
    the whitened window. The proof commits to the standardised sensor window.
``whitened-sq``
    the same with the squared norm: Hotelling's T² over every principal component. Its circuit
    proves the same number another way (:class:`TriangularSquares`): ``sum (R x)²`` with ``R``
    the upper-triangular Cholesky factor of ``WᵀW``, half the multiplications of ``W x``, and
    exact: nothing is rounded after the window and the weights are (see :mod:`.kinds`).
``pca-t2q``
    the classical PCA monitor computed in the circuit: the window rotated onto the training
    rows' principal components (``d x d``), Hotelling's T² over the components that explain 90%
    of the variance and Q (SPE) over the rest, and the combined statistic ``max(T²/t, Q/q)``
    with ``t``, ``q`` the training windows' 99th percentiles (as :mod:`.baseline` computes it
    in float). The proof commits to the standardised sensor window.

The linear members (``whitened-*``, ``pca-t2q``) are fitted in closed form (an eigendecomposition
of the standardised training rows' covariance); the autoencoders by gradient descent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from zkalert.data.loaders import FloatArray, principal_directions
from zkalert.detector.kinds import HIDDEN, check_kind
from zkalert.errors import DetectorError

#: Share of the training variance the PCA monitor's T² components explain (bibmon's default).
PCA_VARIANCE = 0.9
#: The percentile of the training windows' own T² and Q that normalises each in ``pca-t2q``.
PCA_NORMALISER = 0.99
#: Eigenvalues below this share of the largest are rounding noise: not kept as T² components.
RANK_TOLERANCE = 1e-9
#: Added to every variance before whitening (standardised units). Sensors that move together
#: leave directions of almost no variance (3.8e-8 on Tennessee Eastman): whitened exactly, they
#: multiply the window by gains in the thousands (3,174), and with it the fixed-point rounding of
#: the inputs (a normal window's squared norm off by 7% at 13 bits). With the ridge the largest
#: gain is 195, the rounding error at most 0.16% (L1) and 0.12% (squared), and detection at 5%
#: false alarms moves by less than 0.05 points (measured on the Tennessee Eastman test runs).
WHITEN_RIDGE = 1e-5


class Scorer(nn.Module):
    """A member of the family: ``total(window)``, shape (n, 1), is width x the window's score."""

    def total(self, window: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def circuit_form(self) -> Scorer:
        """The network the circuit proves: the same ``total``, laid out for the circuit."""
        return self


class SparseDenoisingAutoencoder(Scorer):
    def __init__(
        self, width: int, hidden: tuple[int, int] = (32, 12), dropout: float = 0.1
    ) -> None:
        super().__init__()
        wide, code = hidden
        self.encoder = nn.Sequential(
            nn.Linear(width, wide), nn.ReLU(), nn.Dropout(dropout), nn.Linear(wide, code), nn.ReLU()
        )
        self.decoder = nn.Sequential(
            nn.Linear(code, wide), nn.ReLU(), nn.Dropout(dropout), nn.Linear(wide, width)
        )

    def forward(self, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.encoder(window)
        return self.decoder(code), code

    def total(self, window: torch.Tensor) -> torch.Tensor:
        """The sum of absolute reconstruction errors, shape (n, 1)."""
        reconstruction, _ = self(window)
        return torch.sum(torch.abs(window - reconstruction), dim=1, keepdim=True)


class WhitenedNorm(Scorer):
    """``sum |W x|`` (``norm="l1"``) or ``sum (W x)²`` (``"sq"``): W whitens the standardised
    window (rows: principal directions divided by their standard deviations)."""

    def __init__(self, width: int, norm: str) -> None:
        super().__init__()
        if norm not in ("l1", "sq"):
            raise DetectorError(f"whitened norm {norm!r}: expected 'l1' or 'sq'")
        self.norm = norm
        self.whiten = nn.Linear(width, width, bias=False)

    def total(self, window: torch.Tensor) -> torch.Tensor:
        whitened = self.whiten(window)
        terms = torch.abs(whitened) if self.norm == "l1" else whitened * whitened
        return torch.sum(terms, dim=1, keepdim=True)

    def circuit_form(self) -> Scorer:
        """The squared norm as :class:`TriangularSquares` (``||W x||² = ||R x||²``, ``RᵀR =
        WᵀW``); the L1 norm as it is."""
        if self.norm != "sq":
            return self
        weight = self.whiten.weight.detach().double().numpy()
        return TriangularSquares(cholesky_factor(weight.T @ weight))


def cholesky_factor(gram: FloatArray) -> FloatArray:
    """The upper-triangular ``R`` with ``RᵀR = gram`` (a symmetric positive definite matrix)."""
    try:
        return np.asarray(np.linalg.cholesky(gram).T)
    except np.linalg.LinAlgError:
        raise DetectorError(
            "the whitening's Gram matrix is not positive definite: no triangular factor"
        ) from None


#: Column blocks of :class:`TriangularSquares`: each block of rows of ``R`` is one product with the
#: window's tail. More blocks skip more of the zeros below the diagonal but add a product each:
#: for 52 values at 3 columns, 4 blocks give 737 circuit rows, 2 give 816, 8 give 757, 13 give
#: 827 and one (the full matrix) 1,031 (EZKL 23.0.5, KZG commitment).
TRIANGLE_BLOCKS = 4


class TriangularSquares(Scorer):
    """``sum (R x)²`` for an upper-triangular ``R`` (d x d), without the zeros: the rows of ``R``
    in :data:`TRIANGLE_BLOCKS` bands, band ``[a, b)`` multiplying only ``x[a:]``. As a circuit,
    every product and sum is exact on the quantised window and weights: the score's scale is
    four times the input's, nothing is rounded and nothing needs a range check."""

    def __init__(self, factor: FloatArray, blocks: int = TRIANGLE_BLOCKS) -> None:
        super().__init__()
        width = factor.shape[0]
        if factor.shape != (width, width) or np.any(np.tril(factor, -1)):
            raise DetectorError("TriangularSquares needs a square upper-triangular matrix")
        self.edges = [int(e) for e in np.linspace(0, width, min(blocks, width) + 1)]
        self.bands = nn.ModuleList()
        for a, b in itertools.pairwise(self.edges):
            band = nn.Linear(width - a, b - a, bias=False)
            with torch.no_grad():
                band.weight.copy_(torch.as_tensor(factor[a:b, a:], dtype=torch.float32))
            self.bands.append(band)

    def total(self, window: torch.Tensor) -> torch.Tensor:
        rotated = torch.cat([band(window[:, a:]) for a, band in zip(self.edges, self.bands)], dim=1)
        return torch.sum(rotated * rotated, dim=1, keepdim=True)


class PcaT2Q(Scorer):
    """``width * max(T²/t, Q/q)``. ``rotate`` is the rotation onto the principal components with
    each row already divided by its share of the normaliser (``sqrt(λ_i t)`` on the T²
    components, ``sqrt(q)`` on the rest), so the two statistics are plain sums of squares
    (``pick``: a fixed 0/1 matrix) and no small weight loses precision in fixed point; their
    maximum is ``a + relu(b - a)``."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.rotate = nn.Linear(width, width, bias=False)
        self.pick = nn.Linear(width, 2, bias=False)

    def total(self, window: torch.Tensor) -> torch.Tensor:
        rotated: torch.Tensor = self.rotate(window)
        both: torch.Tensor = self.pick(rotated * rotated)
        t2, q = both[:, :1], both[:, 1:]
        return self.width * (t2 + torch.relu(q - t2))


def new_scorer(
    kind: str, width: int, dropout: float = 0.1, hidden: tuple[int, int] | None = None
) -> Scorer:
    """An untrained member of the family (weights to be fitted or loaded); ``hidden`` overrides
    an autoencoder's layer widths."""
    check_kind(kind)
    if kind in HIDDEN:
        return SparseDenoisingAutoencoder(width, hidden or HIDDEN[kind], dropout)
    if kind == "pca-t2q":
        return PcaT2Q(width)
    return WhitenedNorm(width, "l1" if kind == "whitened-l1" else "sq")


@dataclass(frozen=True)
class Spectrum:
    """The standardised training rows' principal directions (columns) and variances, largest
    first, with a fixed sign per direction so that a refit gives the same matrix."""

    vectors: FloatArray
    variances: FloatArray

    @classmethod
    def of(cls, standardised: FloatArray) -> Spectrum:
        if standardised.shape[0] < 3:
            raise DetectorError(
                f"the linear detectors need at least 3 normal training windows, got {standardised.shape[0]}"
            )
        variances, vectors = principal_directions(standardised)
        return cls(vectors, variances)

    @property
    def kept(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.variances > RANK_TOLERANCE * max(float(self.variances[0]), 1e-300))

    def whitening(self) -> FloatArray:
        """``d x d``: row i is direction i divided by ``sqrt(variance_i + WHITEN_RIDGE)``."""
        return np.asarray((self.vectors / np.sqrt(np.maximum(self.variances, 0) + WHITEN_RIDGE)).T)

    def t2_components(self, variance: float = PCA_VARIANCE) -> int:
        share = np.cumsum(self.variances) / max(float(np.sum(self.variances)), 1e-300)
        return min(int(np.searchsorted(share, variance)) + 1, int(np.sum(self.kept)))


def fit_linear(kind: str, standardised: FloatArray) -> Scorer:
    """A linear member fitted in closed form on standardised normal training windows."""
    width = standardised.shape[1]
    spectrum = Spectrum.of(standardised)
    scorer = new_scorer(kind, width)
    with torch.no_grad():
        if isinstance(scorer, WhitenedNorm):
            scorer.whiten.weight.copy_(torch.as_tensor(spectrum.whitening(), dtype=torch.float32))
        elif isinstance(scorer, PcaT2Q):
            k = spectrum.t2_components()
            kept = spectrum.kept
            inverse_sd = np.where(kept, 1.0 / np.sqrt(np.where(kept, spectrum.variances, 1.0)), 0.0)
            squares = (standardised @ spectrum.vectors) ** 2
            t2 = squares[:, :k] @ inverse_sd[:k] ** 2
            q = squares[:, k:].sum(axis=1)
            t_scale = max(float(np.quantile(t2, PCA_NORMALISER)), 1e-12)
            q_scale = max(float(np.quantile(q, PCA_NORMALISER)), 1e-12)
            row_scale = np.r_[inverse_sd[:k] / np.sqrt(t_scale), np.full(width - k, q_scale**-0.5)]
            pick = np.zeros((2, width))
            pick[0, :k], pick[1, k:] = 1.0, 1.0
            rotation = spectrum.vectors.T * row_scale[:, None]
            scorer.rotate.weight.copy_(torch.as_tensor(rotation, dtype=torch.float32))
            scorer.pick.weight.copy_(torch.as_tensor(pick, dtype=torch.float32))
        else:
            raise DetectorError(f"{kind} is not a linear detector")
    return scorer.eval()
