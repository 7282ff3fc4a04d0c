"""`zkalert evaluate`: metrics and their edge cases, the PCA baseline, bad input, and a small real parity check.

The full-size run (every one of the 21,120 TE test windows through the
circuit, about 15 minutes) is `make evaluate`; its report is committed under
reports/evaluate/. Here the parity check uses a few windows of a briefly
trained detector, through the real EZKL circuit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from zkalert.config import PROJECT_ROOT
from zkalert.data.datasets import EvaluationData, tennessee_eastman
from zkalert.data.loaders import LabelledSet
from zkalert.detector.baseline import PcaMonitor, fit_baseline
from zkalert.detector.quality import (
    binary_metrics,
    curves,
    decision_agreement,
    detection_at_far,
    group_rates,
    mean_detection_rate,
)
from zkalert.lab.evaluate import EvaluateOptions, run, summary_table


def test_binary_metrics_on_a_perfect_split_and_at_a_cut():
    scores = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1, 1])
    m = binary_metrics(scores, labels, 0.5)
    assert m["roc_auc"] == 1.0 and m["pr_auc"] == 1.0 and m["f1"] == 1.0
    assert m["confusion"] == {"tp": 3, "fp": 0, "tn": 3, "fn": 0} and m["undefined"] == []
    m = binary_metrics(scores, labels, 0.25)  # one normal alarms
    assert m["confusion"] == {"tp": 3, "fp": 1, "tn": 2, "fn": 0}
    assert m["precision"] == 0.75 and m["false_positive_rate"] == pytest.approx(1 / 3)


def test_one_class_test_set_reports_undefined_metrics_instead_of_crashing():
    m = binary_metrics(np.array([0.1, 0.9, 0.2]), np.array([0, 0, 0]), 0.5)
    assert m["roc_auc"] is None and m["pr_auc"] is None and m["recall"] is None and m["f1"] is None
    assert m["false_positive_rate"] == pytest.approx(1 / 3)
    assert any("normal windows only" in u for u in m["undefined"])
    assert curves(np.array([0.1, 0.2]), np.array([1, 1])) is None
    assert detection_at_far(np.array([0.1, 0.2]), np.array([1, 1]), 0.05) is None
    silent = binary_metrics(np.array([0.1, 0.2]), np.array([1, 1]), 0.5)
    assert (
        silent["precision"] is None
        and silent["recall"] == 0.0
        and "precision: no alarms" in silent["undefined"]
    )


def test_detection_at_far_places_the_cut_on_the_normal_windows():
    normals = np.linspace(0, 1, 100)
    anomalies = np.array([0.5, 0.97, 2.0, 3.0])
    point = detection_at_far(np.r_[normals, anomalies], np.r_[np.zeros(100), np.ones(4)], 0.05)
    assert point["far"] <= 0.05 and point["far"] >= 0.04
    assert point["detection_rate"] == 0.75


def test_group_rates_and_first_alarm_delay():
    # two runs of 6 rows, the fault from row 2; run 1 alarms from row 4, run 2 never
    groups = np.array([1] * 6 + [2] * 6)
    rows = np.r_[np.arange(6), np.arange(6)]
    labels = (rows >= 2).astype(int)
    alarm = np.r_[[True, False, False, False, True, True], [False] * 6]
    rates = group_rates(alarm, labels, groups, {1: "fault 1", 2: "fault 2"}, order=rows)
    assert (
        rates[0].detection_rate == 0.5
        and rates[0].false_alarm_rate == 0.5
        and rates[0].first_alarm_delay == 2
    )
    assert rates[1].detection_rate == 0.0 and rates[1].first_alarm_delay is None
    assert mean_detection_rate(rates) == 0.25
    agreement = decision_agreement(np.array([True, False, True]), np.array([True, True, True]))
    assert agreement["differing"] == 1 and agreement["float_silent_proven_alarm"] == 1
    assert agreement["agreement"] == pytest.approx(2 / 3)


def test_pca_baseline_flags_a_broken_correlation_and_its_textbook_limits_hold_on_fresh_normals():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(4000, 2))
    mixing = rng.normal(size=(2, 6))

    def normal(n):
        return rng.normal(size=(n, 2)) @ mixing + 0.1 * rng.normal(size=(n, 6))

    train = latent[:1000] @ mixing + 0.1 * rng.normal(size=(1000, 6))
    monitor = PcaMonitor.fit(train, variance=0.9)
    assert monitor.components == 2
    fresh = normal(20000)
    false_alarms = monitor.textbook_alarm(fresh).mean()
    assert 0.005 < false_alarms < 0.04  # two 99% limits OR-ed: about 2%
    broken = fresh[:50].copy()
    broken[:, 0] += 1.0  # within variable 0's range, off the plane the others span
    assert monitor.score(broken).mean() > 5 * monitor.score(fresh[:50]).mean()
    fitted = fit_baseline(
        train, np.r_[fresh[:50], broken], np.r_[np.zeros(50), np.ones(50)], "far", 0.01
    )
    assert fitted.validation["false_positive_rate"] <= 0.01 and fitted.validation["recall"] > 0.9


def synthetic(one_class_test: bool = False) -> EvaluationData:
    rng = np.random.default_rng(1)
    mixing = rng.normal(size=(3, 8))

    def normal(n):
        return rng.normal(size=(n, 3)) @ mixing + 0.05 * rng.normal(size=(n, 8))

    def part(n_normal, n_bad, kinds):
        bad = normal(n_bad) + rng.normal(size=(n_bad, 8)) * 0.6
        windows = np.r_[normal(n_normal), bad]
        labels = np.r_[np.zeros(n_normal), np.ones(n_bad)].astype(np.int64)
        groups = np.r_[np.zeros(n_normal), rng.integers(1, kinds + 1, size=n_bad)].astype(np.int64)
        return LabelledSet(windows, labels, groups, np.arange(len(labels), dtype=np.int64))

    test = part(200, 0 if one_class_test else 100, 2)
    return EvaluationData(
        name="synthetic", train=normal(300), validation=part(60, 30, 2), test=test,
        feature_names=tuple(f"v{i}" for i in range(8)), group_names={0: "normal", 1: "kind a", 2: "kind b"},
    )  # fmt: skip


@pytest.mark.slow
def test_evaluate_writes_the_side_by_side_report(tmp_path):
    report = run(
        synthetic(),
        EvaluateOptions(
            epochs=30,
            parity=False,
            workspace=tmp_path / "ws",
            out_dir=tmp_path / "out",
            progress=False,
        ),
        echo=lambda _m: None,
    )
    for name in ("report.md", "metrics.json", "roc.png", "pr.png", "confusion.png", "groups.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert (
        saved["detectors"]["autoencoder"]["roc_auc"]
        == report["detectors"]["autoencoder"]["roc_auc"]
    )
    for key in ("autoencoder", "pca"):
        d = report["detectors"][key]
        assert d["roc_auc"] > 0.9  # the anomalies are far off the normal plane
        assert {g["name"] for g in d["groups"]} == {"normal", "kind a", "kind b"}
        assert d["at_compare_far"]["far"] <= 0.05
    table = summary_table(report)
    assert "| ROC-AUC |" in table and "autoencoder | PCA T²/Q" in table
    assert "Not run (`--no-parity`)" in (tmp_path / "out" / "report.md").read_text()


def test_evaluate_on_a_one_class_test_set_says_undefined(tmp_path):
    report = run(
        synthetic(one_class_test=True),
        EvaluateOptions(
            epochs=5,
            parity=False,
            workspace=tmp_path / "ws",
            out_dir=tmp_path / "out",
            progress=False,
        ),
        echo=lambda _m: None,
    )
    d = report["detectors"]["autoencoder"]
    assert d["roc_auc"] is None and d["recall"] is None and d["at_compare_far"] is None
    assert d["false_positive_rate"] is not None
    text = (tmp_path / "out" / "report.md").read_text()
    assert (
        "| ROC-AUC | undefined | undefined |" in text
        and "ROC-AUC and PR-AUC need both classes" in text
    )


def _cli(*args: str, tmp_path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ZKALERT_HOME=str(tmp_path / "home"))
    return subprocess.run([sys.executable, "-m", "zkalert", "evaluate", "--no-parity", "--epochs", "3", "--out", str(tmp_path / "out"), *args],
                          capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=False)  # fmt: skip


@pytest.mark.slow
def test_evaluate_cli_refuses_bad_input_with_one_line(tmp_path):
    good_rows = "\n".join(f"{i % 7},{(i * 3) % 5},{int(i % 10 == 0)}" for i in range(100))
    cases = [
        (
            "nolabel.csv",
            "a,b,c\n" + good_rows,
            ["--label-column", "label"],
            "label column 'label' not found",
        ),
        (
            "nan.csv",
            "a,b,label\n" + good_rows + "\n,1,0",
            ["--label-column", "label", "--ordered"],
            "NaN at row 100, column 'a'",
        ),
        ("tiny.csv", "a,b,label\n1,2,0\n3,4,1", ["--label-column", "label"], "split is empty"),
    ]
    for name, text, extra, message in cases:
        path = tmp_path / name
        path.write_text(text + "\n")
        out = _cli("--data", "csv", "--csv", str(path), *extra, tmp_path=tmp_path)
        assert out.returncode == 1, out.stdout + out.stderr
        assert message in out.stderr and "Traceback" not in out.stderr, out.stderr
    out = _cli("--data", "csv", tmp_path=tmp_path)
    assert out.returncode == 1 and "--data csv needs --csv PATH" in out.stderr


@pytest.mark.slow
def test_evaluate_cli_refuses_a_detector_of_the_wrong_width(tmp_path):
    from zkalert.config import Workspace
    from zkalert.detector.model import TrainConfig, fit_detector

    workspace = Workspace.at(tmp_path / "trained")
    detector = fit_detector(np.random.default_rng(0).normal(size=(50, 5)), TrainConfig(epochs=1))
    detector.save(workspace)
    csv = tmp_path / "three.csv"
    csv.write_text(
        "a,b,c,label\n"
        + "\n".join(f"{i},{i % 3},{i % 5},{int(i % 9 == 0)}" for i in range(60))
        + "\n"
    )
    out = _cli(
        "--data",
        "csv",
        "--csv",
        str(csv),
        "--label-column",
        "label",
        "--detector-from",
        str(workspace.root),
        tmp_path=tmp_path,
    )
    assert out.returncode == 1
    assert "takes windows of 5 values; three.csv has 3" in out.stderr


@pytest.mark.slow
def test_evaluate_cli_one_class_csv_runs_and_reports_undefined(tmp_path):
    csv = tmp_path / "normal_only.csv"
    rng = np.random.default_rng(3)
    csv.write_text(
        "a,b,c,label\n"
        + "\n".join(f"{x:.4f},{y:.4f},{x + y:.4f},0" for x, y in rng.normal(size=(80, 2)))
        + "\n"
    )
    out = _cli(
        "--data",
        "csv",
        "--csv",
        str(csv),
        "--label-column",
        "label",
        "--threshold",
        "far",
        tmp_path=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "| ROC-AUC | undefined | undefined |" in out.stdout


@pytest.mark.ezkl
@pytest.mark.slow
def test_parity_on_a_few_real_test_windows(tmp_path):
    """The compiled EZKL circuit decides like the float model on real TE windows (witness only)."""
    data = tennessee_eastman()
    report = run(
        data,
        EvaluateOptions(
            epochs=20,
            parity_windows=12,
            workspace=tmp_path / "ws",
            out_dir=tmp_path / "out",
            progress=False,
        ),
        echo=lambda _m: None,
    )
    parity = report["parity"]
    assert parity["windows_checked"] == 12 and parity["witness_failure_count"] == 0
    assert parity["circuit"]["logrows"] <= 14
    assert parity["score_abs_error"]["max_relative"] < 0.02
    # a decision may differ only for a window whose float score sits at the threshold
    for window in parity["differing_windows"]:
        assert abs(window["float_score"] - window["threshold"]) < 0.02 * window["threshold"]
    assert "## In-circuit parity" in (tmp_path / "out" / "report.md").read_text()
