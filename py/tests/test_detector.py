import numpy as np
import pytest

from zkalert.config import Workspace
from zkalert.data import load_tennessee_eastman
from zkalert.detector import Detector, TrainConfig, best_f1_threshold, train
from zkalert.errors import ZkAlertError


def test_best_f1_threshold_picks_the_separating_score():
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 1.0])
    labels = np.array([0, 0, 0, 1, 1, 1])
    threshold, stats = best_f1_threshold(scores, labels)
    assert threshold == pytest.approx((0.8 + 0.3) / 2)  # halfway between the classes
    assert stats["f1"] == pytest.approx(1.0)
    assert stats["false_positive_rate"] == 0.0


def test_best_f1_threshold_never_splits_ties():
    scores = np.array([0.5, 0.5, 0.5, 0.9])
    labels = np.array([0, 1, 1, 1])
    threshold, stats = best_f1_threshold(scores, labels)
    # cutting below 0.5 alarms all four (precision .75, recall 1 -> F1 .857); at 0.9 one (F1 .5)
    assert threshold < 0.5
    assert stats["f1"] == pytest.approx(6 / 7)


def test_best_f1_threshold_needs_both_classes():
    with pytest.raises(ZkAlertError, match="one class only"):
        best_f1_threshold(np.array([0.1, 0.2]), np.array([1, 1]))


def test_training_is_reproducible_and_separates_faults(tmp_path):
    te = load_tennessee_eastman()
    config = TrainConfig(epochs=30)
    a = train(te.train, te.validation.windows, te.validation.labels, config, progress=False)
    b = train(te.train, te.validation.windows, te.validation.labels, config, progress=False)
    sample = te.test.windows[:50]
    assert np.allclose(a.score(sample), b.score(sample))
    assert a.threshold == b.threshold
    # fault 1 (A/C feed ratio step) is detected far more often than normal data alarms
    scores = a.score(te.test.windows)
    alarm = scores >= a.threshold
    fault1 = (te.test.fault_ids == 1) & (te.test.labels == 1)
    normal = te.test.fault_ids == 0
    assert alarm[fault1].mean() > 0.9
    assert alarm[normal].mean() < alarm[fault1].mean() / 2

    workspace = Workspace.at(tmp_path)
    a.save(workspace)
    loaded = Detector.load(workspace)
    assert np.allclose(loaded.score(sample), a.score(sample))
    assert loaded.threshold == a.threshold


def test_loading_without_training_says_what_to_run(tmp_path):
    with pytest.raises(ZkAlertError, match="run `zkalert train` first"):
        Detector.load(Workspace.at(tmp_path))
