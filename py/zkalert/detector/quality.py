"""Detection-quality metrics: what `zkalert evaluate` reports for each detector.

Pure functions of scores, labels and a threshold (alarm when ``score >= t``).
A metric that needs a class the data lacks is ``None`` ("undefined"), never a
crash and never a made-up number: ROC-AUC and PR-AUC need both classes,
recall needs anomalous windows, the false-positive rate needs normal ones,
precision needs at least one alarm.

PR-AUC is average precision (the step-wise area, as scikit-learn computes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn import metrics as skm

from zkalert.detector.model import far_threshold, threshold_stats

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _check(scores: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    return scores, labels.astype(np.int64)


def both_classes(labels: IntArray) -> bool:
    return bool(np.any(labels == 0) and np.any(labels == 1))


def binary_metrics(
    scores: npt.ArrayLike, labels: npt.ArrayLike, threshold: float
) -> dict[str, Any]:
    """ROC-AUC, PR-AUC, precision, recall, F1, false-positive rate and the confusion matrix."""
    scores, labels = _check(scores, labels)
    alarm = scores >= threshold
    confusion = {
        "tp": int(np.sum(alarm & (labels == 1))),
        "fp": int(np.sum(alarm & (labels == 0))),
        "tn": int(np.sum(~alarm & (labels == 0))),
        "fn": int(np.sum(~alarm & (labels == 1))),
    }
    result: dict[str, Any] = {
        "threshold": float(threshold),
        "windows": len(labels),
        "anomalous_windows": int(np.sum(labels == 1)),
        "normal_windows": int(np.sum(labels == 0)),
        **threshold_stats(scores, labels, threshold),
        "confusion": confusion,
        "roc_auc": None,
        "pr_auc": None,
        "undefined": [],
    }
    if both_classes(labels):
        result["roc_auc"] = float(skm.roc_auc_score(labels, scores))
        result["pr_auc"] = float(skm.average_precision_score(labels, scores))
    else:
        present = "normal" if np.all(labels == 0) else "anomalous"
        result["undefined"].append(
            f"the test set has {present} windows only: ROC-AUC and PR-AUC need both classes"
        )
    for name, why in (
        ("recall", "no anomalous windows"),
        ("false_positive_rate", "no normal windows"),
        ("precision", "no alarms"),
    ):
        if result[name] is None:
            result["undefined"].append(f"{name}: {why}")
    return result


def curves(scores: npt.ArrayLike, labels: npt.ArrayLike) -> dict[str, list[float]] | None:
    """ROC and PR curve points, or None when the labels have one class only."""
    scores, labels = _check(scores, labels)
    if not both_classes(labels):
        return None
    fpr, tpr, _ = skm.roc_curve(labels, scores)
    precision, recall, _ = skm.precision_recall_curve(labels, scores)
    return {
        "fpr": fpr.tolist(),
        "tpr": tpr.tolist(),
        "precision": precision.tolist(),
        "recall": recall.tolist(),
    }


def detection_at_far(
    scores: npt.ArrayLike, labels: npt.ArrayLike, far: float
) -> dict[str, Any] | None:
    """The operating point where the false-alarm rate on the given normal windows is at most ``far``.

    A read-out of the ROC curve for comparing detectors at the same false-alarm
    rate; its threshold is placed on these (test) normals, so it is not a
    threshold anyone could deploy.
    """
    scores, labels = _check(scores, labels)
    if not both_classes(labels):
        return None
    threshold = far_threshold(scores[labels == 0], far)
    alarm = scores >= threshold
    return {
        "far": float(np.mean(alarm[labels == 0])),
        "detection_rate": float(np.mean(alarm[labels == 1])),
        "threshold": threshold,
    }


@dataclass(frozen=True)
class GroupRates:
    """Per-group (per fault, per attack type) detection rate, false-alarm rate and delay."""

    group: int
    name: str
    anomalous_windows: int
    normal_windows: int
    detection_rate: float | None
    false_alarm_rate: float | None
    first_alarm_delay: (
        int | None
    )  # windows from the first anomalous window to the first alarm at or after it

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def group_rates(
    alarm: npt.ArrayLike,
    labels: npt.ArrayLike,
    groups: npt.ArrayLike,
    names: dict[int, str],
    order: npt.NDArray[np.integer[Any]] | None = None,
) -> list[GroupRates]:
    """Rates per group; ``order`` (row index inside its run) enables the detection delay."""
    alarm = np.asarray(alarm, dtype=bool)
    labels = np.asarray(labels)
    groups = np.asarray(groups)
    out = []
    for group in sorted(int(g) for g in np.unique(groups)):
        mine = groups == group
        positives, negatives = mine & (labels == 1), mine & (labels == 0)
        delay = None
        if order is not None and positives.any():
            onset = int(np.min(order[positives]))
            fired = positives & alarm
            if fired.any():
                delay = int(np.min(order[fired]) - onset)
        out.append(
            GroupRates(
                group=group,
                name=names.get(group, str(group)),
                anomalous_windows=int(positives.sum()),
                normal_windows=int(negatives.sum()),
                detection_rate=float(alarm[positives].mean()) if positives.any() else None,
                false_alarm_rate=float(alarm[negatives].mean()) if negatives.any() else None,
                first_alarm_delay=delay,
            )
        )
    return out


def mean_detection_rate(rates: list[GroupRates]) -> float | None:
    """The unweighted mean over groups that have anomalous windows (the TE convention: mean over faults)."""
    values = [r.detection_rate for r in rates if r.detection_rate is not None]
    return float(np.mean(values)) if values else None


def decision_agreement(float_alarm: npt.ArrayLike, proven_alarm: npt.ArrayLike) -> dict[str, Any]:
    float_alarm = np.asarray(float_alarm, dtype=bool)
    proven_alarm = np.asarray(proven_alarm, dtype=bool)
    differ = np.flatnonzero(float_alarm != proven_alarm)
    return {
        "windows": len(float_alarm),
        "differing": len(differ),
        "agreement": float(1.0 - len(differ) / len(float_alarm)) if len(float_alarm) else None,
        "float_alarm_proven_silent": int(np.sum(float_alarm & ~proven_alarm)),
        "float_silent_proven_alarm": int(np.sum(~float_alarm & proven_alarm)),
    }
