"""Detector: a member of the family (:mod:`.family`), its scaler and its alarm threshold.

The default member is the sparse denoising autoencoder of the PureChain paper, ``d -> 32 -> 12
-> 32 -> d`` (d follows the data: the number of sensor columns, 52 on Tennessee Eastman), trained
on normal windows only with Gaussian input noise, dropout, an L1 activity penalty on the code
(sparsity) and L2 weight decay; its score is the mean absolute reconstruction error of the
standardised, PCA-whitened window (the whitening fitted on training rows only, before the
circuit). The linear members whiten or project inside the circuit and read the standardised
window. The alarm threshold is the validation score that maximises F1 (or, as an option, the
lowest one with a target false-alarm rate on normal windows); the training rows are also scored
out-of-fold so the threshold sweep has honest normal scores even when normal data are scarce.

What the circuit proves is :class:`CircuitScoreModel`: window in, ``width x`` score out, in
eval mode (no noise, no dropout), so the float reference and the proven function are the same
computation.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import torch
from torch import nn
from tqdm import tqdm

from zkalert.config import Workspace
from zkalert.data.loaders import FloatArray, Scaler, check_matrix
from zkalert.data.source import DataSource, load_windows
from zkalert.detector.family import Scorer, SparseDenoisingAutoencoder, fit_linear, new_scorer
from zkalert.detector.kinds import HIDDEN, PAPER_DETECTOR, check_kind, is_linear
from zkalert.errors import DataError, DetectorError

THRESHOLD_RULES = ("best-f1", "far")


@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple[int, int] = (32, 12)
    epochs: int = 200
    batch_size: int = 64
    learning_rate: float = 1e-3
    noise_std: float = 0.1  # Gaussian input corruption (denoising)
    dropout: float = 0.1
    l1_activity: float = 1e-4  # sparsity of the 12-wide code
    l2_weight: float = 1e-5  # weight decay
    seed: int = 0
    whiten: bool = True  # PCA-whiten the standardised window (fitted on training rows)
    cv_folds: int = (
        5  # contiguous folds of the training rows scored out-of-fold for the threshold; 1 = off
    )
    threshold_rule: str = (
        "best-f1"  # or "far": the lowest threshold with at most target_far on normals
    )
    target_far: float = 0.01
    #: the family member (zkalert.detector.family.DETECTORS); the linear members ignore the
    #: network settings above and whiten inside the circuit
    kind: str = PAPER_DETECTOR

    def __post_init__(self) -> None:
        check_kind(self.kind)
        if self.kind in HIDDEN and self.hidden == HIDDEN[PAPER_DETECTOR]:
            object.__setattr__(self, "hidden", HIDDEN[self.kind])  # the member's own widths
        if self.threshold_rule not in THRESHOLD_RULES:
            raise DetectorError(
                f"threshold rule {self.threshold_rule!r} is not one of {', '.join(THRESHOLD_RULES)}"
            )
        if not 0.0 <= self.target_far < 1.0:
            raise DetectorError(f"target false-alarm rate must be in [0, 1), got {self.target_far}")
        if self.cv_folds < 1:
            raise DetectorError(f"cv_folds must be at least 1, got {self.cv_folds}")


class ScoreModel(nn.Module):
    """The float score: window -> ``total / width`` (for the autoencoder the mean absolute
    reconstruction error), shape (n, 1)."""

    def __init__(self, scorer: Scorer, width: int) -> None:
        super().__init__()
        self.scorer = scorer
        self.width = width

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        return self.scorer.total(window) / self.width


class CircuitScoreModel(nn.Module):
    """What the circuit computes: the member's ``total``, i.e. ``width x`` the score.

    EZKL turns a mean (or a division by a constant) into a multiplication by a
    quantized ``1/width``: at scale 10, 1/52 is off by 1.6%, which biases every
    proven score. The sum is exact; the registry's threshold is scaled by the
    width instead (see ``CircuitInfo.score_divisor``).

    The input is the window followed by its binding's limbs
    (``zkalert.zk.statement.limbs_of``): they are committed to with the window and
    returned unchanged as a second output, so the proof makes them public.
    """

    def __init__(self, scorer: Scorer, width: int) -> None:
        super().__init__()
        self.scorer = scorer
        self.width = width

    def forward(self, bound_window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        window = bound_window[:, : self.width]
        return self.scorer.total(window), bound_window[:, self.width :]


class BatchScoreModel(nn.Module):
    """B bound windows in, B scores and B bindings out: one proof covers B consecutive windows.

    Each window is its own input tensor, so EZKL gives each its own commitment; the public
    instances are then ``[c_1..c_B, s_1..s_B, b_1..b_B]``. The windows are stacked into one
    B-row matrix before the network, so each weight matrix is used by one matrix product: a
    weight shared by B separate products is laid out and range-checked as a value of its own
    (whitened-sq, 2 windows: 8,800 rows, against 1,658 stacked).
    """

    def __init__(self, score_model: nn.Module, windows: int) -> None:
        super().__init__()
        self.score_model = score_model
        self.windows = windows

    def forward(self, *windows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores, tags = self.score_model(torch.cat(windows, dim=0))
        return scores, tags


@dataclass
class Detector:
    """A trained detector: network, scaler and alarm threshold, and the data it was trained on:
    its ``source`` and the ``columns`` it reads, by name and in input order (None for a
    detector trained on bare arrays: it reads windows by position)."""

    model: Scorer  # a member of zkalert.detector.family
    scaler: Scaler
    threshold: float
    config: TrainConfig
    validation: dict[str, float | str | None] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    source: DataSource | None = None

    @property
    def width(self) -> int:
        return int(self.scaler.mean.shape[0])

    def trained_on(self, source: DataSource, columns: tuple[str, ...]) -> None:
        """Record the data source and the columns (in input order) the detector was fitted on."""
        if len(columns) != self.width:
            raise DetectorError(
                f"the detector takes {self.width} values per window, not the {len(columns)} columns given"
            )
        if source.path is not None:
            source = source.model_copy(update={"path": source.path.resolve()})
        self.source, self.columns = source, tuple(columns)

    def check_columns(self, columns: tuple[str, ...], what: str) -> None:
        """Refuse data whose columns are not the detector's, by name and order (or, for a detector
        that recorded none, not as many)."""
        if self.columns is None:
            if len(columns) != self.width:
                raise DataError(
                    f"{what}: {len(columns)} columns, the detector takes {self.width} values per window"
                )
            return
        if columns != self.columns:
            missing = [c for c in self.columns if c not in columns]
            extra = [c for c in columns if c not in self.columns]
            parts = [f"missing {missing}"] if missing else []
            parts += [f"not trained on {extra}"] if extra else []
            detail = "; ".join(parts) or "the same columns in another order"
            raise DataError(
                f"{what}: its columns are not the {self.width} the detector was trained on ({detail})"
            )

    def read_windows(self, path: Path) -> tuple[FloatArray, list[str]]:
        """Raw windows from a CSV or Parquet file, one per row in file order, read by the
        detector's column names (or by position, for a detector that recorded none), and notes."""
        return load_windows(
            path,
            self.columns,
            self.width,
            self.source.order_column if self.source is not None else None,
        )

    @property
    def kind(self) -> str:
        return self.config.kind

    def score_model(self) -> ScoreModel:
        return ScoreModel(self.model, self.width).eval()

    def circuit_model(self, exact: bool = False) -> CircuitScoreModel:
        """What the circuit computes; ``exact``: the member's circuit form
        (:meth:`Scorer.circuit_form`), else the network as trained."""
        scorer = self.model.circuit_form() if exact else self.model
        return CircuitScoreModel(scorer, self.width).eval()

    def scale(self, raw_windows: FloatArray) -> FloatArray:
        return self.scaler.transform(raw_windows)

    def score_scaled(self, scaled_windows: FloatArray) -> FloatArray:
        scaled_windows = check_matrix(scaled_windows, self.width, "windows")
        with torch.no_grad():
            scores = self.score_model()(torch.as_tensor(scaled_windows, dtype=torch.float32))
        return cast(FloatArray, scores.numpy().astype(np.float64).ravel())

    def score(self, raw_windows: FloatArray) -> FloatArray:
        return self.score_scaled(self.scale(raw_windows))

    def save(self, workspace: Workspace) -> None:
        torch.save(self.model.state_dict(), workspace.detector)
        meta = {
            "width": self.width,
            "threshold": self.threshold,
            "scaler": self.scaler.to_json(),
            "config": asdict(self.config),
            "validation": self.validation,
        }
        if self.columns is not None:
            meta["data"] = {
                "source": self.source.model_dump(mode="json") if self.source else None,
                "columns": list(self.columns),
            }
        workspace.detector_meta.write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, workspace: Workspace) -> Detector:
        if not workspace.detector.is_file() or not workspace.detector_meta.is_file():
            raise DetectorError(
                f"no trained detector in {workspace.root}: run `zkalert train` first"
            )
        meta = json.loads(workspace.detector_meta.read_text())
        try:
            config = TrainConfig(**{**meta["config"], "hidden": tuple(meta["config"]["hidden"])})
        except (TypeError, KeyError, DetectorError) as exc:
            raise DetectorError(
                f"{workspace.detector_meta}: its training record is not readable ({exc}): run `zkalert train` again"
            ) from None
        model = new_scorer(config.kind, meta["width"], config.dropout, config.hidden)
        model.load_state_dict(torch.load(workspace.detector, weights_only=True))
        model.eval()
        detector = cls(
            model,
            Scaler.from_json(meta["scaler"]),
            float(meta["threshold"]),
            config,
            meta.get("validation", {}),
        )
        data = meta.get("data")
        if data is not None:
            try:
                source = DataSource.model_validate(data["source"] or {})
                detector.trained_on(source, tuple(str(c) for c in data["columns"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise DetectorError(
                    f"{workspace.detector_meta}: its data record is not readable ({exc}): run `zkalert train` again"
                ) from None
        return detector


def best_f1_threshold(
    scores: FloatArray, labels: npt.NDArray[np.int64]
) -> tuple[float, dict[str, float]]:
    """Sweep every distinct validation score as a cut (alarm when score >= t); best F1 wins."""
    if labels.min() == labels.max():
        raise DetectorError(
            "the validation split has one class only: a best-F1 threshold needs both"
        )
    order = np.argsort(-scores)
    sorted_scores, sorted_labels = scores[order], labels[order]
    true_pos = np.cumsum(sorted_labels)
    false_pos = np.cumsum(1 - sorted_labels)
    positives = sorted_labels.sum()
    # only positions where the next score differs are valid cut points
    last_of_value = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    precision = true_pos / np.maximum(true_pos + false_pos, 1)
    recall = true_pos / positives
    f1 = np.where(
        precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0
    )
    f1 = np.where(last_of_value, f1, -1.0)
    best = int(np.argmax(f1))
    negatives = len(labels) - positives
    # Cut halfway to the next lower score: a threshold equal to a validation score
    # would put that window on the boundary, where quantization decides its side.
    below = sorted_scores[best + 1] if best + 1 < len(sorted_scores) else sorted_scores[best] - 1e-3
    return float((sorted_scores[best] + below) / 2), {
        "f1": float(f1[best]),
        "precision": float(precision[best]),
        "recall": float(recall[best]),
        "false_positive_rate": float(false_pos[best] / max(negatives, 1)),
    }


def far_threshold(normal_scores: FloatArray, target_far: float) -> float:
    """The lowest threshold (alarm when score >= t) with at most ``target_far`` of the normal scores alarming."""
    if len(normal_scores) == 0:
        raise DetectorError(
            "a false-alarm-rate threshold needs normal validation windows; there are none"
        )
    ordered = np.sort(np.asarray(normal_scores, dtype=np.float64))[::-1]
    allowed = int(np.floor(target_far * len(ordered) + 1e-9))
    if allowed >= len(ordered):
        return float(ordered[-1])
    highest_silent = ordered[allowed]  # must stay below the threshold
    lowest_alarm = ordered[allowed - 1] if allowed > 0 else highest_silent
    if lowest_alarm > highest_silent:
        # halfway between the two, so rounding the threshold to fixed point cannot flip either
        return float((highest_silent + lowest_alarm) / 2)
    return float(np.nextafter(highest_silent, np.inf))


def threshold_stats(
    scores: FloatArray, labels: npt.ArrayLike, threshold: float
) -> dict[str, float | None]:
    """Precision, recall, F1 and false-positive rate at one threshold; None where a class is missing."""
    labels = np.asarray(labels)
    alarm = np.asarray(scores) >= threshold
    tp = int(np.sum(alarm & (labels == 1)))
    fp = int(np.sum(alarm & (labels == 0)))
    positives, negatives = int(np.sum(labels == 1)), int(np.sum(labels == 0))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / positives if positives else None
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "false_positive_rate": fp / negatives if negatives else None,
    }


def choose_threshold(
    normal_scores: FloatArray,
    validation_scores: FloatArray,
    validation_labels: npt.ArrayLike,
    rule: str,
    target_far: float,
) -> tuple[float, dict[str, float | str | None]]:
    """The alarm threshold from validation data only: best F1, or a target false-alarm rate on normals.

    ``normal_scores`` are held-out (cross-fitted) scores of normal training
    windows; they join the validation windows as extra normals.
    """
    scores = np.r_[
        np.asarray(normal_scores, dtype=np.float64), np.asarray(validation_scores, dtype=np.float64)
    ]
    labels = np.r_[
        np.zeros(len(normal_scores), np.int64), np.asarray(validation_labels, dtype=np.int64)
    ]
    if len(scores) == 0:
        raise DetectorError(
            "the validation split is empty: there is nothing to choose a threshold on"
        )
    if rule == "best-f1":
        threshold, _ = best_f1_threshold(scores, labels)
    elif rule == "far":
        threshold = far_threshold(scores[labels == 0], target_far)
    else:
        raise DetectorError(f"threshold rule {rule!r} is not one of {', '.join(THRESHOLD_RULES)}")
    stats = threshold_stats(scores, labels, threshold)
    return threshold, {
        **stats,
        "rule": rule,
        "target_far": target_far if rule == "far" else None,
        "normal_windows": float(np.sum(labels == 0)),
        "fault_windows": float(np.sum(labels == 1)),
    }


def fold_slices(rows: int, folds: int) -> list[slice]:
    """Contiguous folds: neighbouring windows are correlated, so a fold must not interleave with training."""
    if folds > rows:
        raise DetectorError(
            f"{folds} cross-fitting folds need at least {folds} training windows, got {rows}"
        )
    edges = np.linspace(0, rows, folds + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def cross_fitted_scores(
    train_windows: FloatArray,
    folds: int,
    fit_and_score: Callable[[FloatArray, FloatArray], FloatArray],
) -> FloatArray:
    """Out-of-fold scores of every training window: fit on the other folds, score the held-out one."""
    if folds < 2:
        return np.zeros(0)
    parts = []
    for held_out in fold_slices(len(train_windows), folds):
        rest = np.r_[train_windows[: held_out.start], train_windows[held_out.stop :]]
        parts.append(fit_and_score(rest, train_windows[held_out]))
    return np.concatenate(parts)


def _fit_autoencoder(
    scaled_windows: FloatArray, config: TrainConfig, progress: bool, desc: str = "train"
) -> SparseDenoisingAutoencoder:
    # A 52-32-12 network's batches are far too small for intra-op threads to pay off; on a
    # loaded machine they make training many times slower. Restore the caller's setting after.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit_autoencoder_1(scaled_windows, config, progress, desc)
    finally:
        torch.set_num_threads(threads)


def _fit_autoencoder_1(
    scaled_windows: FloatArray, config: TrainConfig, progress: bool, desc: str
) -> SparseDenoisingAutoencoder:
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    scaled = torch.as_tensor(scaled_windows, dtype=torch.float32)
    model = SparseDenoisingAutoencoder(scaled.shape[1], config.hidden, config.dropout)
    optimiser = torch.optim.Adam(
        model.parameters(), lr=config.learning_rate, weight_decay=config.l2_weight
    )
    bar = tqdm(range(config.epochs), desc=desc, unit="epoch", disable=not progress, mininterval=0.5)
    for _ in bar:
        model.train()
        epoch_loss = 0.0
        for start in range(0, len(scaled), config.batch_size):
            batch = scaled[start : start + config.batch_size]
            noisy = batch + config.noise_std * torch.randn_like(batch)
            reconstruction, code = model(noisy)
            loss = (
                torch.mean((reconstruction - batch) ** 2) + config.l1_activity * code.abs().mean()
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            epoch_loss += float(loss.detach()) * len(batch)
        bar.set_postfix(loss=f"{epoch_loss / len(scaled):.4f}", refresh=False)
        perm = torch.as_tensor(rng.permutation(len(scaled)))
        scaled = scaled[perm]
    model.eval()
    return model


def fit_detector(
    train_windows: FloatArray, config: TrainConfig, progress: bool = False, desc: str = "train"
) -> Detector:
    """Scaler and scorer fitted on normal windows; no threshold yet. A linear member's scaler
    only standardises: its whitening is part of the scorer, inside the circuit."""
    train_windows = check_matrix(train_windows, None, "training windows")
    if is_linear(config.kind):
        scaler = Scaler.fit(train_windows)
        return Detector(
            fit_linear(config.kind, scaler.transform(train_windows)), scaler, 0.0, config
        )
    scaler = Scaler.fit(train_windows, whiten=config.whiten)
    model = _fit_autoencoder(scaler.transform(train_windows), config, progress, desc)
    return Detector(model, scaler, threshold=0.0, config=config)


def train(
    train_windows: FloatArray,
    validation_windows: FloatArray,
    validation_labels: npt.ArrayLike,
    config: TrainConfig = TrainConfig(),
    progress: bool = True,
) -> Detector:
    """Fit scaler and autoencoder on normal windows, then choose the threshold on validation data.

    With ``config.cv_folds > 1`` the training windows are also scored
    out-of-fold (a detector fitted on the other folds scores each contiguous
    fold) and those held-out normal scores join the validation sweep: the few
    normal windows there are then serve both fitting and threshold choice,
    without the threshold ever seeing a score of a window its model trained on.
    """
    train_windows = check_matrix(train_windows, None, "training windows")
    width = train_windows.shape[1]
    validation_windows = np.asarray(validation_windows, dtype=np.float64)
    if validation_windows.size:
        validation_windows = check_matrix(validation_windows, width, "validation windows")
    validation_labels = np.asarray(validation_labels, dtype=np.int64)
    if len(validation_labels) != len(validation_windows):
        raise DetectorError(
            f"validation split: {len(validation_windows)} windows but {len(validation_labels)} labels"
        )
    if np.any((validation_labels != 0) & (validation_labels != 1)):
        raise DetectorError("validation labels must be 0 (normal) or 1 (anomalous)")
    detector = fit_detector(train_windows, config, progress)

    def fold(rest: FloatArray, held_out: FloatArray) -> FloatArray:
        return fit_detector(rest, config).score(held_out)

    normal_scores = cross_fitted_scores(train_windows, config.cv_folds, fold)
    val_scores = detector.score(validation_windows) if len(validation_windows) else np.zeros(0)
    detector.threshold, detector.validation = choose_threshold(
        normal_scores, val_scores, validation_labels, config.threshold_rule, config.target_far
    )
    return detector
