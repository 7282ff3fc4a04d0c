"""Detection quality on real data, the PCA peer baseline beside it, and in-circuit parity.

``zkalert evaluate`` (``make evaluate``) runs, in one go and with fixed seeds:

1. the detector recipe (:func:`zkalert.detector.model.train`) on the training
   split, the threshold chosen on validation data only;
2. the PCA T²/Q monitor (:mod:`zkalert.detector.baseline`) on the same windows with
   the same threshold rule;
3. both on the test split: ROC-AUC, PR-AUC, precision, recall, F1 and
   false-positive rate at the chosen threshold, the confusion matrix, ROC and
   PR curves, per-group (TE: per-fault) detection rates, the false-alarm rate
   on normal test windows and the detection delay; plus both detectors'
   detection rate where each raises the same false-alarm rate on the normal
   test windows (a read-out of the ROC curve, for a like-for-like comparison);
4. in-circuit parity: the detector's EZKL circuit is compiled and every test
   window (or a seeded sample) goes through witness generation, the exact
   computation a proof would attest; its alarm decisions are compared with
   the float model's and the metrics recomputed from the proven scores.

Reports go to ``build/reports/evaluate/``: ``report.md``, ``metrics.json`` and
PNG plots. Every figure in them is measured in the run that wrote them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from zkalert.config import PROJECT_ROOT, Workspace, reports_dir
from zkalert.data.datasets import EvaluationData
from zkalert.data.loaders import FloatArray, Scaler
from zkalert.detector.baseline import PcaMonitor, fit_baseline
from zkalert.detector.model import (
    Detector,
    TrainConfig,
    choose_threshold,
    cross_fitted_scores,
    train,
)
from zkalert.detector.quality import (
    binary_metrics,
    curves,
    decision_agreement,
    detection_at_far,
    group_rates,
    mean_detection_rate,
)
from zkalert.errors import DataError
from zkalert.lab.metrics import machine

DEFAULT_WORKSPACE = PROJECT_ROOT / "build" / "evaluate"

Echo = Callable[[str], None]


@dataclass(frozen=True)
class EvaluateOptions:
    epochs: int = 200
    seed: int = 0
    threshold_rule: str = "best-f1"
    target_far: float = 0.01
    compare_far: float = 0.05  # the like-for-like operating point on normal test windows
    parity: bool = True
    parity_windows: int | None = None  # None: every test window
    workspace: Path | None = None
    detector_from: Path | None = (
        None  # evaluate the detector trained in this workspace instead of training one
    )
    out_dir: Path = field(default_factory=lambda: reports_dir("evaluate"))
    progress: bool = True
    cluster: str | None = None  # the parity witnesses' Dask scheduler; None: an embedded cluster
    workers: int | None = None  # the embedded cluster's workers (1: witnesses in this process)


def check_data(data: EvaluationData) -> None:
    """Refuse splits that cannot give a meaningful evaluation, naming the split."""
    if data.train.ndim != 2 or data.train.shape[0] == 0:
        raise DataError(f"{data.name}: the training split has no normal windows")
    for split in ("validation", "test"):
        part = getattr(data, split)
        if len(part) == 0:
            raise DataError(f"{data.name}: the {split} split is empty")
        if part.windows.shape[1] != data.width:
            raise DataError(
                f"{data.name}: {split} windows have {part.windows.shape[1]} values, training windows {data.width}"
            )
        for what, values in (("windows", part.windows),):
            bad = ~np.isfinite(values)
            if bad.any():
                row, col = (int(i) for i in np.argwhere(bad)[0])
                raise DataError(
                    f"{data.name}: {split} {what} contain NaN/inf (row {int(part.rows[row])}, column {col})"
                )
    bad = ~np.isfinite(data.train)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"{data.name}: training windows contain NaN/inf (row {row}, column {col})")


def detector_summary(
    name: str,
    scores: FloatArray,
    threshold: float,
    data: EvaluationData,
    compare_far: float,
    alarm: npt.NDArray[np.bool_] | None = None,
) -> dict[str, Any]:
    test = data.test
    result: dict[str, Any] = {"detector": name, **binary_metrics(scores, test.labels, threshold)}
    if alarm is None:
        alarm = scores >= threshold
    else:  # a rule that is not one cut of this score (the textbook limits): its decisions, the score's AUCs
        decided = binary_metrics(alarm.astype(np.float64), test.labels, 0.5)
        for key in ("precision", "recall", "f1", "false_positive_rate", "confusion"):
            result[key] = decided[key]
        result["threshold"] = None
    order = test.rows if data.onset_row is not None else None
    rates = group_rates(alarm, test.labels, test.fault_ids, data.group_names, order)
    result["groups"] = [r.to_json() for r in rates]
    result["mean_detection_rate"] = mean_detection_rate(rates)
    normal = test.labels == 0
    result["far_normal_test"] = float(alarm[normal].mean()) if normal.any() else None
    reference = test.fault_ids == 0
    result["far_normal_run"] = (
        float(alarm[reference & normal].mean()) if (reference & normal).any() else None
    )
    delays = [r.first_alarm_delay for r in rates if r.first_alarm_delay is not None]
    result["median_first_alarm_delay"] = float(np.median(delays)) if delays else None
    result["undetected_groups"] = [
        r.name
        for r in rates
        if r.anomalous_windows and r.first_alarm_delay is None and order is not None
    ]
    matched = detection_at_far(scores, test.labels, compare_far)
    if matched is not None:
        per_group = group_rates(
            scores >= matched["threshold"], test.labels, test.fault_ids, data.group_names
        )
        matched["mean_detection_rate"] = mean_detection_rate(per_group)
        matched["groups"] = {
            r.name: r.detection_rate for r in per_group if r.detection_rate is not None
        }
    result["at_compare_far"] = matched
    return result


def _whitened_distance_threshold(
    data: EvaluationData, config: TrainConfig
) -> tuple[Scaler, float, dict[str, Any]]:
    """The ablation: the detector's whitening with no network (score = mean |whitened window|)."""
    scaler = Scaler.fit(data.train, whiten=True)

    def fold(rest: FloatArray, held_out: FloatArray) -> FloatArray:
        return cast(
            FloatArray, np.abs(Scaler.fit(rest, whiten=True).transform(held_out)).mean(axis=1)
        )

    held_out = cross_fitted_scores(data.train, config.cv_folds, fold)
    val_scores = np.abs(scaler.transform(data.validation.windows)).mean(axis=1)
    threshold, stats = choose_threshold(
        held_out, val_scores, data.validation.labels, config.threshold_rule, config.target_far
    )
    return scaler, threshold, stats


def _statements(
    workspace: Workspace, scaled: FloatArray, options: EvaluateOptions
) -> Iterator[tuple[int, list[tuple[tuple[int, ...] | None, str]]]]:
    """The witness-only statement of every window, ``(first row, rows)`` per chunk: on the
    proving cluster, or in this process with ``workers == 1`` and no cluster address."""
    if options.cluster is None and options.workers == 1:
        from zkalert.cluster.worker import window_statements
        from zkalert.zk.prover import Prover

        prover = Prover(workspace)
        for k in range(len(scaled)):
            yield k, window_statements(prover, scaled[k : k + 1], "parity")
        return
    from zkalert.cluster.backend import ProvingCluster, quiet_dask_logs

    quiet_dask_logs()
    with ProvingCluster.open(
        options.cluster, workspace=workspace, workers=options.workers
    ) as cluster:
        yield from cluster.statements(workspace, scaled)


def parity_check(
    detector: Detector,
    data: EvaluationData,
    workspace: Workspace,
    float_scores: FloatArray,
    options: EvaluateOptions,
    echo: Echo,
    contract: str = "EvaluateVerifier",
) -> dict[str, Any]:
    """Witness generation on test windows through the compiled circuit (at the detector's own
    scale); decisions compared with the float model."""
    from zkalert.zk.circuit import CircuitConfig, compile_circuit

    echo("parity: compiling the detector's EZKL circuit (witness generation only, no proofs) ...")
    info = compile_circuit(
        detector, workspace, data.train, CircuitConfig.for_detector(detector.kind),
        contract_name=contract, verifier_dir=workspace.root / "generated",
        echo=lambda m: echo("      " + m),
    )  # fmt: skip
    n = len(data.test)
    if options.parity_windows is None or options.parity_windows >= n:
        chosen = np.arange(n)
    else:
        chosen = np.sort(
            np.random.default_rng(options.seed).choice(
                n, size=options.parity_windows, replace=False
            )
        )
    scaled = detector.scale(data.test.windows[chosen])
    proven_felt = np.zeros(len(chosen), dtype=object)
    failures: list[dict[str, Any]] = []
    started = time.perf_counter()
    bar = tqdm(
        total=len(chosen),
        desc="parity",
        unit="window",
        disable=not options.progress,
        mininterval=2.0,
    )
    for start, rows in _statements(workspace, scaled, options):
        for j, (instances, error) in enumerate(rows):
            k = start + j
            if instances is None:  # a window the circuit cannot take is a parity failure
                proven_felt[k] = None
                failures.append({"test_index": int(chosen[k]), "error": error})
            else:
                proven_felt[k] = instances[info.windows_per_proof]
        bar.update(len(rows))
    bar.close()
    elapsed = time.perf_counter() - started
    ok = np.array([f is not None for f in proven_felt])
    proven_scores = np.array(
        [info.felt_to_score(int(f)) if f is not None else np.nan for f in proven_felt]
    )
    proven_alarm = np.array([f is not None and int(f) >= info.threshold_felt for f in proven_felt])
    float_alarm = float_scores[chosen] >= detector.threshold
    agreement = decision_agreement(float_alarm, proven_alarm)
    labels = data.test.labels[chosen]
    proven_threshold = info.felt_to_score(info.threshold_felt)
    float_metrics = binary_metrics(float_scores[chosen], labels, detector.threshold)
    # a window the circuit cannot take counts as an alarm in the proven metrics (finite, for AUC)
    unprovable = max(float(np.nanmax(proven_scores[ok])) if ok.any() else 0.0, proven_threshold) + 1
    proven_metrics = binary_metrics(
        np.where(ok, proven_scores, unprovable), labels, proven_threshold
    )
    score_error = np.abs(proven_scores[ok] - float_scores[chosen][ok])
    relative_error = score_error / np.maximum(np.abs(float_scores[chosen][ok]), 1e-9)
    differing = np.flatnonzero(float_alarm != proven_alarm)
    result: dict[str, Any] = {
        "circuit": {
            "model_id": info.model_id,
            "logrows": info.logrows,
            "input_scale": info.input_scale,
            "output_scale": info.output_scale,
            "threshold_felt": info.threshold_felt,
            "score_divisor": info.score_divisor,
        },
        "windows_checked": len(chosen),
        "windows_in_test_split": int(n),
        "sample": "every test window"
        if len(chosen) == n
        else f"{len(chosen)} test windows drawn with seed {options.seed}",
        "witness_failures": failures[:20],
        "witness_failure_count": len(failures),
        **agreement,
        "score_abs_error": {
            "max": float(score_error.max()) if len(score_error) else None,
            "mean": float(score_error.mean()) if len(score_error) else None,
            "max_relative": float(relative_error.max()) if len(relative_error) else None,
        },
        "differing_windows": [
            {
                "test_index": int(chosen[i]),
                "group": data.group_names.get(int(data.test.fault_ids[chosen[i]]), ""),
                "row": int(data.test.rows[chosen[i]]),
                "float_score": float(float_scores[chosen[i]]),
                "proven_score": float(proven_scores[i]),
                "threshold": float(detector.threshold),
            }
            for i in differing[:50]
        ],
        "metrics_float": {
            k: float_metrics[k]
            for k in ("roc_auc", "pr_auc", "precision", "recall", "f1", "false_positive_rate")
        },
        "metrics_proven": {
            k: proven_metrics[k]
            for k in ("roc_auc", "pr_auc", "precision", "recall", "f1", "false_positive_rate")
        },
        "witness_s_mean": elapsed / max(len(chosen), 1),
        "elapsed_s": elapsed,
    }
    if len(chosen) == n:
        order = data.test.rows if data.onset_row is not None else None
        float_rates = group_rates(float_alarm, labels, data.test.fault_ids, data.group_names, order)
        proven_rates = group_rates(
            proven_alarm, labels, data.test.fault_ids, data.group_names, order
        )
        result["mean_detection_rate_float"] = mean_detection_rate(float_rates)
        result["mean_detection_rate_proven"] = mean_detection_rate(proven_rates)
        normal = labels == 0
        result["far_normal_test_float"] = (
            float(float_alarm[normal].mean()) if normal.any() else None
        )
        result["far_normal_test_proven"] = (
            float(proven_alarm[normal].mean()) if normal.any() else None
        )
    return result


def run(
    data: EvaluationData, options: EvaluateOptions = EvaluateOptions(), echo: Echo = print
) -> dict[str, Any]:
    check_data(data)
    started = time.perf_counter()
    workspace = Workspace.at(options.workspace or DEFAULT_WORKSPACE)
    echo(
        f"data: {data.name}: train {len(data.train)} normal windows x {data.width}, validation {len(data.validation)}, test {len(data.test)}"
    )
    config = TrainConfig(
        epochs=options.epochs,
        seed=options.seed,
        threshold_rule=options.threshold_rule,
        target_far=options.target_far,
    )

    if options.detector_from is not None:
        detector = load_detector_for(data, Workspace.at(options.detector_from))
        config = detector.config
        echo(
            f"detector: loaded from {options.detector_from} (threshold {detector.threshold:.4f}, rule {config.threshold_rule})"
        )
    else:
        echo(
            f"detector: sparse denoising autoencoder, {config.epochs} epochs, seed {config.seed}, threshold rule {config.threshold_rule}"
        )
        detector = train(
            data.train,
            data.validation.windows,
            data.validation.labels,
            config,
            progress=options.progress,
        )
    detector.save(workspace)
    echo("baseline: PCA with Hotelling T² and Q (SPE), same threshold rule")
    pca: PcaMonitor = fit_baseline(
        data.train,
        data.validation.windows,
        data.validation.labels,
        config.threshold_rule,
        config.target_far,
        config.cv_folds,
    )
    white_scaler, white_threshold, white_validation = _whitened_distance_threshold(data, config)

    test_windows = data.test.windows
    ae_scores = detector.score(test_windows)
    pca_scores = pca.score(test_windows)
    white_scores = np.abs(white_scaler.transform(test_windows)).mean(axis=1)
    detectors = {
        "autoencoder": detector_summary(
            "sparse denoising autoencoder (whitened input)",
            ae_scores,
            detector.threshold,
            data,
            options.compare_far,
        ),
        "pca": detector_summary(
            f"PCA T²/Q, {pca.components} components, combined statistic",
            pca_scores,
            pca.threshold,
            data,
            options.compare_far,
        ),
        "pca_textbook": detector_summary(
            f"PCA T²/Q, {pca.components} components, textbook 99% limits",
            pca_scores,
            pca.threshold,
            data,
            options.compare_far,
            alarm=pca.textbook_alarm(test_windows),
        ),
        "whitened_distance": detector_summary(
            "ablation: whitened window, no network",
            white_scores,
            white_threshold,
            data,
            options.compare_far,
        ),
    }
    detectors["autoencoder"]["validation"] = detector.validation
    detectors["pca"]["validation"] = pca.validation
    detectors["whitened_distance"]["validation"] = white_validation
    detectors["pca_textbook"]["at_compare_far"] = (
        None  # the same scores as "pca": its read-out is there
    )

    parity = None
    if options.parity:
        parity = parity_check(detector, data, workspace, ae_scores, options, echo)
        echo(
            f"parity: {parity['differing']} of {parity['windows_checked']} decisions differ ({parity['agreement']:.5%} identical)"
        )

    report: dict[str, Any] = {
        "machine": machine("scikit-learn"),
        "data": {
            "name": data.name, "width": data.width, "train_windows": len(data.train),
            "validation_windows": len(data.validation), "validation_anomalous": int(data.validation.labels.sum()),
            "test_windows": len(data.test), "test_anomalous": int(data.test.labels.sum()),
            "group_kind": data.group_kind, "notes": data.notes,
        },
        "config": {
            "train": asdict(config), "detector_from": str(options.detector_from) if options.detector_from else None,
            "compare_far": options.compare_far, "pca_components": pca.components,
            "pca_limits": {"t2": pca.t2_limit, "q": pca.q_limit}, "parity_windows": options.parity_windows,
        },
        "detectors": detectors,
        "parity": parity,
        "elapsed_s": time.perf_counter() - started,
    }  # fmt: skip
    write_report(report, data, {"autoencoder": ae_scores, "pca": pca_scores}, options.out_dir)
    echo(f"report: {options.out_dir / 'report.md'}")
    return report


# ---------------------------------------------------------------------------------------------
# report files


def _fmt(value: Any, digits: int = 3, percent: bool = False) -> str:
    if value is None:
        return "undefined"
    if percent:
        return f"{100 * value:.1f}%"
    return f"{value:.{digits}f}"


def _percent3(value: float | None) -> str:
    return "undefined" if value is None else f"{100 * value:.3f}%"


def summary_table(report: dict[str, Any]) -> str:
    """The side-by-side table (the README shows this one)."""
    d = report["detectors"]
    far = report["config"]["compare_far"]
    names = [("autoencoder", "autoencoder"), ("pca", "PCA T²/Q")]
    rows = [
        ("ROC-AUC", "roc_auc", False), ("PR-AUC (average precision)", "pr_auc", False),
        ("precision", "precision", False), ("recall", "recall", False), ("F1", "f1", False),
        ("false-positive rate (all normal test windows)", "false_positive_rate", True),
    ]  # fmt: skip
    kind = report["data"]["group_kind"]
    lines = [
        "| at the threshold chosen on validation data | " + " | ".join(n for _, n in names) + " |",
        "| --- | ---: | ---: |",
    ]
    for label, key, pct in rows:
        lines.append(
            f"| {label} | " + " | ".join(_fmt(d[k][key], percent=pct) for k, _ in names) + " |"
        )
    if report["data"]["group_kind"] == "fault":
        lines.append(
            "| false-alarm rate on d00_te (normal run) | "
            + " | ".join(_fmt(d[k]["far_normal_run"], percent=True) for k, _ in names)
            + " |"
        )
    lines.append(
        f"| mean detection rate over {kind}s | "
        + " | ".join(_fmt(d[k]["mean_detection_rate"], percent=True) for k, _ in names)
        + " |"
    )
    if report["data"]["group_kind"] == "fault":
        lines.append(
            "| median first-alarm delay (minutes) | "
            + " | ".join(
                _fmt(
                    None
                    if d[k]["median_first_alarm_delay"] is None
                    else 3 * d[k]["median_first_alarm_delay"],
                    0,
                )
                for k, _ in names
            )
            + " |"
        )
    matched = [d[k]["at_compare_far"] for k, _ in names]
    if all(m is not None for m in matched):
        lines.append(
            f"| mean detection rate at {far:.0%} false alarms on normal test windows (ROC read-out) | "
            + " | ".join(_fmt(m["mean_detection_rate"], percent=True) for m in matched)
            + " |"
        )
    return "\n".join(lines)


def _group_table(report: dict[str, Any]) -> str:
    d = report["detectors"]
    kind = report["data"]["group_kind"]
    far = report["config"]["compare_far"]
    ae, pca = (
        {g["name"]: g for g in d["autoencoder"]["groups"]},
        {g["name"]: g for g in d["pca"]["groups"]},
    )
    ae_m = (d["autoencoder"]["at_compare_far"] or {}).get("groups", {})
    pca_m = (d["pca"]["at_compare_far"] or {}).get("groups", {})
    delay = report["data"]["group_kind"] == "fault"
    head = f"| {kind} | AE detection | PCA detection | AE at {far:.0%} FAR | PCA at {far:.0%} FAR |"
    head += " AE delay (min) | PCA delay (min) |" if delay else ""
    lines = [head, "| --- " + "| ---: " * (6 if delay else 4) + "|"]
    for name, g in ae.items():
        if not g["anomalous_windows"]:
            continue
        row = f"| {name} | {_fmt(g['detection_rate'], percent=True)} | {_fmt(pca[name]['detection_rate'], percent=True)} | "
        row += f"{_fmt(ae_m.get(name), percent=True)} | {_fmt(pca_m.get(name), percent=True)} |"
        if delay:

            def fmt_delay(v: int | None) -> str:
                return "not detected" if v is None else f"{3 * v:.0f}"

            row += f" {fmt_delay(g['first_alarm_delay'])} | {fmt_delay(pca[name]['first_alarm_delay'])} |"
        lines.append(row)
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    d = report["detectors"]
    m, data, cfg = report["machine"], report["data"], report["config"]
    train_cfg = cfg["train"]
    out = [
        "# Detection quality: autoencoder vs PCA T²/Q, and in-circuit parity",
        "",
        "Written by `zkalert evaluate`; every figure below was measured in the run that wrote this file.",
        "",
        f"- machine: {m['platform']}, {m['cpus']} CPUs, Python {m['python']}, torch {m['torch']}, ezkl {m['ezkl']}, scikit-learn {m['scikit-learn']}",
        (
            f"- data: {data['name']}: {data['train_windows']} normal training windows x {data['width']} values, "
            f"{data['validation_windows']} validation windows ({data['validation_anomalous']} anomalous), "
            f"{data['test_windows']} test windows ({data['test_anomalous']} anomalous)"
        ),
    ]
    out += [f"- {note}" for note in data["notes"]]
    out += [
        (
            f"- detector: sparse denoising autoencoder {data['width']}-{train_cfg['hidden'][0]}-{train_cfg['hidden'][1]}-{train_cfg['hidden'][0]}-{data['width']}, "
            f"Gaussian input noise {train_cfg['noise_std']}, dropout {train_cfg['dropout']}, L1 activity {train_cfg['l1_activity']}, "
            f"L2 weight decay {train_cfg['l2_weight']}, {train_cfg['epochs']} epochs, seed {train_cfg['seed']}; MAE score; "
            f"input {'standardised and PCA-whitened' if train_cfg['whiten'] else 'standardised'} (fitted on training windows)"
        ),
        f"- threshold rule (both detectors): {train_cfg['threshold_rule']}"
        + (
            f" (target {train_cfg['target_far']:.1%} false alarms on validation normals)"
            if train_cfg["threshold_rule"] == "far"
            else " on validation"
        )
        + f"; validation normals include {train_cfg['cv_folds']}-fold cross-fitted held-out scores of the training windows",
        (
            f"- baseline: PCA on standardised windows, {cfg['pca_components']} components (90% of training variance); "
            "combined statistic max(T²/t, Q/q) with t, q the training 99th percentiles"
        ),
        "",
        "## Side by side",
        "",
        summary_table(report),
        "",
        (
            f"The last row compares the two at the same false-alarm rate ({cfg['compare_far']:.0%}) on the normal test windows: "
            "each detector's threshold is placed on those windows for this read-out only, so it is a point on the ROC curve, "
            "not a threshold anyone could deploy. The rows above use thresholds chosen on validation data only."
        ),
        "",
        "Other operating points of the same run:",
        "",
        "| detector | recall | FPR (normal test windows) | mean detection rate |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key in ("pca_textbook", "whitened_distance"):
        r = d[key]
        out.append(
            f"| {r['detector']} | {_fmt(r['recall'])} | {_fmt(r['false_positive_rate'], percent=True)} | {_fmt(r['mean_detection_rate'], percent=True)} |"
        )
    wd, ae = d["whitened_distance"]["at_compare_far"], d["autoencoder"]["at_compare_far"]
    if wd is not None and ae is not None:
        gain = 100 * (ae["mean_detection_rate"] - wd["mean_detection_rate"])
        out += [
            "",
            (
                f"The ablation is the autoencoder's input whitening alone (score = mean |whitened window|, no network): "
                f"{_fmt(wd['mean_detection_rate'], percent=True)} mean detection at {cfg['compare_far']:.0%} false alarms against "
                f"the autoencoder's {_fmt(ae['mean_detection_rate'], percent=True)}, so on this data the network adds "
                f"{gain:+.1f} points over its own preprocessing."
            ),
        ]
    undefined = sorted({u for r in d.values() for u in r["undefined"]})
    if undefined:
        out += ["", "Undefined here: " + "; ".join(undefined) + "."]
    out += ["", f"## Per {data['group_kind']}", "", _group_table(report), ""]
    if data["group_kind"] == "fault":
        out += [
            "Delay: minutes from the fault's first row (row 160) to the first alarm at or after it (3 minutes per row).",
            "",
        ]
    out += [
        "## Confusion matrices at the chosen thresholds",
        "",
        "| detector | TP | FP | TN | FN |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key in ("autoencoder", "pca", "pca_textbook"):
        c = d[key]["confusion"]
        out.append(
            f"| {d[key]['detector']} | {c['tp']:,} | {c['fp']:,} | {c['tn']:,} | {c['fn']:,} |"
        )
    out += [
        "",
        "![ROC](roc.png) ![PR](pr.png)",
        "",
        "![confusion](confusion.png)",
        "",
        f"![per {data['group_kind']}](groups.png)",
        "",
    ]
    p = report["parity"]
    out += ["## In-circuit parity", ""]
    if p is None:
        out += ["Not run (`--no-parity`)."]
    else:
        c = p["circuit"]
        out += [
            (
                f"The detector's EZKL circuit (logrows {c['logrows']}, input scale {c['input_scale']}, output scale {c['output_scale']}) "
                f"ran witness generation on {p['sample']} ({p['windows_checked']:,} of {p['windows_in_test_split']:,}); "
                f"{p['witness_s_mean'] * 1000:.0f} ms per window, {p['elapsed_s'] / 60:.1f} minutes in all."
            ),
            "",
            "| | float model | proven (circuit) |",
            "| --- | ---: | ---: |",
            f"| alarm decisions identical | | **{p['windows_checked'] - p['differing']:,} of {p['windows_checked']:,} ({_percent3(p['agreement'])})** |",
        ]
        for key, label in (
            ("roc_auc", "ROC-AUC"),
            ("pr_auc", "PR-AUC"),
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1", "F1"),
            ("false_positive_rate", "false-positive rate"),
        ):
            out.append(
                f"| {label} | {_fmt(p['metrics_float'][key], 4)} | {_fmt(p['metrics_proven'][key], 4)} |"
            )
        if "mean_detection_rate_float" in p:
            out.append(
                f"| mean detection rate | {_fmt(p['mean_detection_rate_float'], 4)} | {_fmt(p['mean_detection_rate_proven'], 4)} |"
            )
        out += [
            "",
            (
                f"Largest |proven score - float score|: {_fmt(p['score_abs_error']['max'], 5)} (mean {_fmt(p['score_abs_error']['mean'], 5)}, "
                f"largest relative {_fmt(p['score_abs_error']['max_relative'], percent=True)}); "
                f"witness failures: {p['witness_failure_count']}; float alarm / proven silent: {p['float_alarm_proven_silent']}, "
                f"float silent / proven alarm: {p['float_silent_proven_alarm']}."
            ),
        ]
        if p["differing_windows"]:
            out += [
                "",
                "Windows whose decision differs (first 10):",
                "",
                "| group | row | float score | proven score | threshold |",
                "| --- | ---: | ---: | ---: | ---: |",
            ]
            for w in p["differing_windows"][:10]:
                out.append(
                    f"| {w['group']} | {w['row']} | {w['float_score']:.5f} | {w['proven_score']:.5f} | {w['threshold']:.5f} |"
                )
    out += ["", f"Total run time: {report['elapsed_s'] / 60:.1f} minutes.", ""]
    return "\n".join(out)


def write_plots(
    report: dict[str, Any], data: EvaluationData, scores: dict[str, FloatArray], out_dir: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = data.test.labels
    names = {"autoencoder": "autoencoder", "pca": "PCA T²/Q"}
    curve = {k: curves(s, labels) for k, s in scores.items()}
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for key, c in curve.items():
        if c is not None:
            auc = report["detectors"][key]["roc_auc"]
            ax.plot(c["fpr"], c["tpr"], label=f"{names[key]} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.axvline(report["config"]["compare_far"], color="grey", lw=0.8, ls="--")
    ax.set(
        xlabel="false-positive rate",
        ylabel="true-positive rate",
        title=f"ROC, {data.name} test split",
    )
    if all(c is None for c in curve.values()):
        ax.text(0.5, 0.5, "undefined: the test set has one class only", ha="center")
    else:
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out_dir / "roc.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4.5))
    for key, c in curve.items():
        if c is not None:
            ap = report["detectors"][key]["pr_auc"]
            ax.plot(c["recall"], c["precision"], label=f"{names[key]} (AP {ap:.3f})")
    ax.set(
        xlabel="recall",
        ylabel="precision",
        title=f"Precision-recall, {data.name} test split",
        ylim=(0, 1.02),
    )
    if all(c is None for c in curve.values()):
        ax.text(0.5, 0.5, "undefined: the test set has one class only", ha="center")
    else:
        ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(out_dir / "pr.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, key in zip(axes, ("autoencoder", "pca")):
        c = report["detectors"][key]["confusion"]
        matrix = np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]])
        ax.imshow(matrix, cmap="Blues")
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, f"{v:,}", ha="center", va="center", color="black")
        ax.set(
            xticks=[0, 1],
            yticks=[0, 1],
            xticklabels=["silent", "alarm"],
            yticklabels=["normal", "anomalous"],
            title=names[key],
        )
    fig.suptitle("Confusion matrices at the thresholds chosen on validation data")
    fig.tight_layout()
    fig.savefig(out_dir / "confusion.png", dpi=110)
    plt.close(fig)

    groups = [g for g in report["detectors"]["autoencoder"]["groups"] if g["anomalous_windows"]]
    pca_groups = {g["name"]: g for g in report["detectors"]["pca"]["groups"]}
    x = np.arange(len(groups))
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(groups) + 2), 4))
    ax.bar(x - 0.2, [g["detection_rate"] for g in groups], 0.4, label=names["autoencoder"])
    ax.bar(
        x + 0.2, [pca_groups[g["name"]]["detection_rate"] for g in groups], 0.4, label=names["pca"]
    )
    ax.set_xticks(
        x,
        [g["name"].replace("fault ", "") for g in groups],
        rotation=0 if data.group_kind == "fault" else 60,
        ha="center" if data.group_kind == "fault" else "right",
    )
    ax.set(
        ylabel="detection rate",
        xlabel=data.group_kind,
        ylim=(0, 1.22),
        title=f"Detection rate per {data.group_kind} (thresholds from validation)",
    )
    ax.legend(loc="upper center", ncol=2)
    fig.tight_layout()
    fig.savefig(out_dir / "groups.png", dpi=110)
    plt.close(fig)


def write_report(
    report: dict[str, Any], data: EvaluationData, scores: dict[str, FloatArray], out_dir: Path
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "metrics.json.tmp"
    tmp.write_text(json.dumps(report, indent=2, allow_nan=False, default=json_default) + "\n")
    tmp.replace(out_dir / "metrics.json")
    (out_dir / "report.md").write_text(markdown(report))
    write_plots(report, data, scores, out_dir)


def json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_detector_for(data: EvaluationData, workspace: Workspace) -> Detector:
    """A trained detector from a workspace, refused if its width, or the columns it recorded,
    do not match the data."""
    detector = Detector.load(workspace)
    if detector.width != data.width:
        raise DataError(
            f"the detector in {workspace.root} takes windows of {detector.width} values; {data.name} has {data.width}"
        )
    if detector.columns is not None:
        detector.check_columns(tuple(data.feature_names), data.name)
    return detector
