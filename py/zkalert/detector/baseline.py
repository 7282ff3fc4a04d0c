"""The peer baseline: PCA with Hotelling's T² and Q (SPE), the classical Tennessee Eastman monitor.

Fitted like the detector, on normal training windows only: standardise each
variable, keep the principal components that explain ``variance`` of the
training variance (bibmon's default, 90%), then

* ``T²`` = the squared Mahalanobis distance inside the kept components;
* ``Q`` = the squared distance from the window to its projection (SPE).

Two ways to raise an alarm are reported:

* the *combined statistic* ``max(T²/t, Q/q)``, where ``t`` and ``q`` are the
  99th percentiles of the training windows' own statistics (a fixed
  normalisation, no test data), thresholded with exactly the detector's rule
  (best F1 or target false-alarm rate on cross-fitted held-out normals plus
  the validation split) so both detectors are tuned the same way;
* the *textbook limits*: T² above its F-distribution 99% limit or Q above the
  Jackson-Mudholkar 99% limit, as the monitor is usually deployed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats
from sklearn.decomposition import PCA

from zkalert.data.loaders import FloatArray, Scaler, check_matrix
from zkalert.detector.model import choose_threshold, cross_fitted_scores
from zkalert.errors import DetectorError

DEFAULT_VARIANCE = 0.9
LIMIT_CONFIDENCE = 0.99


@dataclass
class PcaMonitor:
    scaler: Scaler
    pca: PCA
    t2_scale: float
    q_scale: float
    t2_limit: float
    q_limit: float
    threshold: float = 1.0
    validation: dict[str, float | str | None] | None = None

    @property
    def components(self) -> int:
        return int(self.pca.n_components_)

    @classmethod
    def fit(cls, train_windows: FloatArray, variance: float = DEFAULT_VARIANCE) -> PcaMonitor:
        train_windows = check_matrix(train_windows, None, "training windows")
        n, width = train_windows.shape
        if n < 3:
            raise DetectorError(
                f"the PCA baseline needs at least 3 normal training windows, got {n}"
            )
        if not 0.0 < variance < 1.0:
            raise DetectorError(f"PCA explained-variance share must be in (0, 1), got {variance}")
        scaler = Scaler.fit(train_windows)
        scaled = scaler.transform(train_windows)
        full = PCA(svd_solver="full").fit(scaled)
        cumulative = np.cumsum(full.explained_variance_ratio_)
        k = min(int(np.searchsorted(cumulative, variance)) + 1, width, n - 2)
        pca = PCA(n_components=k, svd_solver="full").fit(scaled)
        monitor = cls(scaler, pca, 1.0, 1.0, 1.0, 1.0)
        t2, q = monitor.statistics(train_windows)
        monitor.t2_scale = max(float(np.quantile(t2, LIMIT_CONFIDENCE)), 1e-12)
        monitor.q_scale = max(float(np.quantile(q, LIMIT_CONFIDENCE)), 1e-12)
        monitor.t2_limit = float(
            k * (n - 1) * (n + 1) / (n * (n - k)) * stats.f.ppf(LIMIT_CONFIDENCE, k, n - k)
        )
        monitor.q_limit = _jackson_mudholkar(full.explained_variance_[k:], LIMIT_CONFIDENCE)
        return monitor

    def statistics(self, windows: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(T², Q) of each window."""
        scaled = self.scaler.transform(windows)
        projected = self.pca.transform(scaled)
        t2 = np.sum(projected**2 / self.pca.explained_variance_, axis=1)
        q = np.sum((scaled - self.pca.inverse_transform(projected)) ** 2, axis=1)
        return t2, q

    def score(self, windows: FloatArray) -> FloatArray:
        """The combined statistic max(T²/t, Q/q): one score per window, higher is more anomalous."""
        t2, q = self.statistics(windows)
        return np.maximum(t2 / self.t2_scale, q / self.q_scale)

    def textbook_alarm(self, windows: FloatArray) -> npt.NDArray[np.bool_]:
        t2, q = self.statistics(windows)
        return (t2 > self.t2_limit) | (q > self.q_limit)


def _jackson_mudholkar(residual_eigenvalues: FloatArray, confidence: float) -> float:
    """The Q (SPE) control limit of Jackson and Mudholkar (1979)."""
    lam = np.asarray(residual_eigenvalues, dtype=np.float64)
    theta1, theta2, theta3 = (float(np.sum(lam**i)) for i in (1, 2, 3))
    if theta1 <= 0 or theta2 <= 0:  # every component kept: no residual space, Q is rounding noise
        return float("inf")
    h0 = 1.0 - 2.0 * theta1 * theta3 / (3.0 * theta2**2)
    c = stats.norm.ppf(confidence)
    if h0 <= 0:  # degenerate spectrum: fall back to the chi-square approximation
        g, h = theta2 / theta1, theta1**2 / theta2
        return float(g * stats.chi2.ppf(confidence, h))
    term = c * np.sqrt(2.0 * theta2 * h0**2) / theta1 + 1.0 + theta2 * h0 * (h0 - 1.0) / theta1**2
    return float(theta1 * term ** (1.0 / h0))


def fit_baseline(
    train_windows: FloatArray,
    validation_windows: FloatArray,
    validation_labels: npt.ArrayLike,
    rule: str,
    target_far: float,
    cv_folds: int = 5,
    variance: float = DEFAULT_VARIANCE,
) -> PcaMonitor:
    """Fit the PCA monitor and threshold its combined statistic with the detector's rule."""
    monitor = PcaMonitor.fit(train_windows, variance)

    def fold(rest: FloatArray, held_out: FloatArray) -> FloatArray:
        return PcaMonitor.fit(rest, variance).score(held_out)

    normal_scores = cross_fitted_scores(np.asarray(train_windows, dtype=np.float64), cv_folds, fold)
    validation_windows = np.asarray(validation_windows, dtype=np.float64)
    val_scores = monitor.score(validation_windows) if len(validation_windows) else np.zeros(0)
    monitor.threshold, monitor.validation = choose_threshold(
        normal_scores, val_scores, validation_labels, rule, target_far
    )
    return monitor
