import functools
import operator

import numpy as np
import pytest

from zkalert.config import Workspace
from zkalert.data.loaders import load_tennessee_eastman
from zkalert.detector.model import (
    Detector,
    TrainConfig,
    best_f1_threshold,
    choose_threshold,
    cross_fitted_scores,
    far_threshold,
    fold_slices,
    threshold_stats,
    train,
)
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


@pytest.mark.slow
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


def test_far_threshold_allows_at_most_the_target_share_of_normals():
    normals = np.arange(1.0, 101.0)  # 100 normal scores 1..100
    threshold = far_threshold(normals, 0.05)
    assert (normals >= threshold).sum() == 5
    assert 95.0 < threshold < 96.0  # halfway: fixed-point rounding cannot flip a neighbour
    assert (normals >= far_threshold(normals, 0.0)).sum() == 0
    with pytest.raises(ZkAlertError, match="needs normal validation windows"):
        far_threshold(np.zeros(0), 0.01)


def test_threshold_stats_say_undefined_instead_of_dividing_by_zero():
    stats = threshold_stats(np.array([0.1, 0.9]), np.array([1, 1]), threshold=0.5)
    assert stats["recall"] == 0.5 and stats["precision"] == 1.0
    assert stats["false_positive_rate"] is None  # no normal windows
    assert threshold_stats(np.array([0.1]), np.array([0]), threshold=0.5)["precision"] is None


def test_choose_threshold_uses_held_out_normals_as_extra_negatives():
    threshold, stats = choose_threshold(
        np.array([0.1, 0.2, 0.3]), np.array([0.9, 1.0]), np.array([1, 1]), "best-f1", 0.01
    )
    assert 0.3 < threshold <= 0.9  # every held-out normal below, every fault at or above
    assert stats["f1"] == 1.0 and stats["normal_windows"] == 3 and stats["fault_windows"] == 2
    with pytest.raises(ZkAlertError, match="one class only"):
        choose_threshold(np.zeros(0), np.array([0.9, 1.0]), np.array([1, 1]), "best-f1", 0.01)
    with pytest.raises(ZkAlertError, match="threshold rule 'median' is not one of"):
        TrainConfig(threshold_rule="median")


def test_cross_fitting_scores_each_contiguous_fold_with_a_model_that_never_saw_it():
    windows = np.arange(10.0).reshape(10, 1)
    assert [(s.start, s.stop) for s in fold_slices(10, 3)] == [(0, 3), (3, 7), (7, 10)]
    seen = []

    def fit_and_score(rest, held_out):
        assert not set(rest.ravel()) & set(held_out.ravel())
        seen.append(held_out.ravel().tolist())
        return held_out.ravel() * 0 + len(rest)

    scores = cross_fitted_scores(windows, 3, fit_and_score)
    assert scores.tolist() == [7.0] * 3 + [6.0] * 4 + [7.0] * 3
    assert functools.reduce(operator.iadd, seen, []) == list(range(10))
    with pytest.raises(ZkAlertError, match="need at least 20 training windows"):
        fold_slices(10, 20)


def test_a_detector_records_the_columns_it_was_trained_on_and_refuses_others(tmp_path):
    from zkalert.data.source import DataSource
    from zkalert.errors import DataError, DetectorError

    rng = np.random.default_rng(0)
    config = TrainConfig(epochs=1, cv_folds=2, threshold_rule="far")
    detector = train(
        rng.normal(size=(60, 3)), np.zeros((0, 3)), np.zeros(0), config, progress=False
    )
    source = DataSource(path=tmp_path / "plant.csv", label_column="fault", order_column="t")
    detector.trained_on(source, ("b", "a", "c"))
    workspace = Workspace.at(tmp_path / "ws")
    detector.save(workspace)
    loaded = Detector.load(workspace)
    assert loaded.columns == ("b", "a", "c")
    assert loaded.source == source.model_copy(update={"path": (tmp_path / "plant.csv").resolve()})
    loaded.check_columns(("b", "a", "c"), "data")
    with pytest.raises(DataError, match=r"missing \['c'\]; not trained on \['d'\]"):
        loaded.check_columns(("b", "a", "d"), "data")
    with pytest.raises(DataError, match="the same columns in another order"):
        loaded.check_columns(("a", "b", "c"), "data")
    with pytest.raises(DetectorError, match="takes 3 values per window, not the 2 columns"):
        loaded.trained_on(source, ("a", "b"))
    # a detector trained on bare arrays records no names and reads windows by position
    detector.columns = detector.source = None
    detector.save(workspace)
    assert Detector.load(workspace).columns is None
