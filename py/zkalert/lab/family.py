"""The detector family side by side, on the same windows, in one run (``zkalert evaluate
--family``, part of ``make evaluate``).

For every member of :mod:`zkalert.detector.family`: trained on the same training split, its
threshold chosen with the same rule on the same validation data, then on the same test windows

* mean detection rate at the deployable threshold and where the member raises 5% false alarms on
  the normal test windows, ROC-AUC, false alarms on the normal test run;
* its circuit: rows, logrows, fixed-point scale; in-circuit decision parity on a seeded sample of
  test windows (witness generation, the computation a proof attests);
* proving: the median of interleaved rounds (one proof per member per round, the same test
  windows for every member), each member in a process of its own so that its peak resident
  memory is its own.

The default detector is then the fastest member whose mean detection at 5% false alarms is
within one point of the best member's and whose decisions agree with its float model on at
least 99.9% of the windows checked. ``family.md``, ``family.json`` and ``pareto.png`` (detection
against proving time) go beside the evaluation report.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from zkalert.config import Workspace
from zkalert.data.datasets import EvaluationData
from zkalert.data.loaders import FloatArray
from zkalert.detector.kinds import DETECTORS, circuit_scale
from zkalert.detector.model import TrainConfig, train
from zkalert.errors import ProofError
from zkalert.lab.evaluate import (
    DEFAULT_WORKSPACE,
    Echo,
    EvaluateOptions,
    check_data,
    detector_summary,
    json_default,
    parity_check,
)
from zkalert.lab.metrics import machine

#: The default detector must detect within this many points of the best member at 5% false alarms
DETECTION_MARGIN = 0.01
#: and agree with its float model on at least this share of the windows checked.
PARITY_FLOOR = 0.999


@dataclass(frozen=True)
class FamilyOptions:
    members: tuple[str, ...] = DETECTORS
    parity_windows: int = 2000  # per member, drawn with the evaluation's seed
    prove_rounds: int = 5  # interleaved: one proof per member per round


#: Run in a process of its own: prove each scaled window of a JSON file with the workspace's
#: circuit, print each proof's seconds and the process's peak resident memory.
_PROVE_SCRIPT = """
import json, sys
from zkalert.cluster.sizing import peak_rss_bytes
from zkalert.zk.prover import Prover
from zkalert.zk.statement import Binding
import numpy as np
workdir, windows_file, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
from zkalert.config import Workspace
prover = Prover(Workspace.at(workdir))
windows = np.asarray(json.loads(open(windows_file).read()))
seconds, ok = [], []
for i, window in enumerate(windows):
    proven = prover.prove(window[None, :], f"family-{first + i}", Binding("0x" + "11" * 20, b"f" * 32, first + i))
    seconds.append(proven.prove_s)
    ok.append(prover.verify_offchain(proven))
print(json.dumps({"prove_s": seconds, "verified": ok, "peak_rss_bytes": peak_rss_bytes()}))
"""


def _prove_round(workspace: Workspace, scaled: FloatArray, first: int) -> dict[str, Any]:
    windows_file = workspace.root / f"family-round-{first}.json"
    windows_file.write_text(json.dumps(scaled.tolist()))
    proc = subprocess.run(
        [sys.executable, "-c", _PROVE_SCRIPT, str(workspace.root), str(windows_file), str(first)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        raise ProofError(f"proving in {workspace.root} failed: {' '.join(tail)}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _prefixed(echo: Echo, prefix: str) -> Echo:
    return lambda message: echo(prefix + message)


def choose_default(members: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fastest member within :data:`DETECTION_MARGIN` of the best detection at 5% false
    alarms whose decisions agree with its float model on :data:`PARITY_FLOOR` of the windows."""

    def at_far(m: dict[str, Any]) -> float:
        matched = m["quality"]["at_compare_far"]
        return float(matched["mean_detection_rate"]) if matched else 0.0

    best = max(at_far(m) for m in members.values())
    eligible = {
        kind: m
        for kind, m in members.items()
        if at_far(m) >= best - DETECTION_MARGIN and m["parity"]["agreement"] >= PARITY_FLOOR
    }
    reasons = {
        kind: (
            f"detection at 5% false alarms {at_far(m):.1%} is more than "
            f"{DETECTION_MARGIN * 100:.0f} point below the best {best:.1%}"
            if at_far(m) < best - DETECTION_MARGIN
            else f"parity {m['parity']['agreement']:.3%} is under {PARITY_FLOOR:.1%}"
        )
        for kind, m in members.items()
        if kind not in eligible
    }
    chosen = min(eligible, key=lambda k: eligible[k]["prove_s_median"]) if eligible else None
    return {"chosen": chosen, "best_detection_at_far": best, "excluded": reasons}


def run(
    data: EvaluationData,
    options: EvaluateOptions,
    family: FamilyOptions = FamilyOptions(),
    echo: Echo = print,
) -> dict[str, Any]:
    check_data(data)
    started = time.perf_counter()
    root = (options.workspace or DEFAULT_WORKSPACE) / "family"
    test = data.test
    rng = np.random.default_rng(options.seed)
    prove_idx = rng.choice(len(test), size=family.prove_rounds, replace=False)
    members: dict[str, dict[str, Any]] = {}
    workspaces: dict[str, Workspace] = {}
    detectors = {}
    for kind in family.members:
        config = TrainConfig(
            kind=kind,
            epochs=options.epochs,
            seed=options.seed,
            threshold_rule=options.threshold_rule,
            target_far=options.target_far,
        )
        echo(f"family: {kind}: training ...")
        t0 = time.perf_counter()
        detector = train(
            data.train, data.validation.windows, data.validation.labels, config, progress=False
        )
        train_s = time.perf_counter() - t0
        workspace = Workspace.at(root / kind)
        detector.save(workspace)
        scores = detector.score(test.windows)
        quality = detector_summary(kind, scores, detector.threshold, data, options.compare_far)
        parity = parity_check(
            detector,
            data,
            workspace,
            scores,
            replace(options, parity_windows=family.parity_windows),
            _prefixed(echo, f"family: {kind}: "),
            contract=f"Family{''.join(p.title() for p in kind.split('-'))}Verifier",
        )
        settings = json.loads(workspace.settings.read_text())
        members[kind] = {
            "train_s": train_s,
            "quality": {k: v for k, v in quality.items() if k != "groups"},
            "parity": {
                k: parity[k]
                for k in (
                    "windows_checked",
                    "agreement",
                    "differing",
                    "witness_failure_count",
                    "score_abs_error",
                    "witness_s_mean",
                )
            },
            "circuit": {
                "rows": int(settings["num_rows"]),
                "logrows": int(settings["run_args"]["logrows"]),
                "scale": circuit_scale(kind),
                "legs": int(settings["run_args"]["decomp_legs"]),
                "columns": int(settings["run_args"]["num_inner_cols"]),
                "model_id": parity["circuit"]["model_id"],
            },
        }
        workspaces[kind], detectors[kind] = workspace, detector
        echo(
            f"family: {kind}: detection {quality['mean_detection_rate']:.1%} at its threshold, "
            f"rows {settings['num_rows']}, logrows {settings['run_args']['logrows']}, "
            f"parity {parity['agreement']:.3%} of {parity['windows_checked']}"
        )
    rounds: dict[str, list[float]] = {kind: [] for kind in members}
    peak: dict[str, int] = {kind: 0 for kind in members}
    for r, index in enumerate(prove_idx):
        for kind in members:  # interleaved: every member proves the same window in this round
            scaled = detectors[kind].scale(test.windows[[index]])
            result = _prove_round(workspaces[kind], scaled, r)
            if not all(result["verified"]):
                raise ProofError(f"family: a {kind} proof did not verify")
            rounds[kind] += result["prove_s"]
            peak[kind] = max(peak[kind], int(result["peak_rss_bytes"]))
        echo(
            f"family: proving round {r + 1}/{len(prove_idx)}: "
            + ", ".join(f"{k} {rounds[k][-1]:.2f} s" for k in members)
        )
    for kind, m in members.items():
        m["prove_s"] = rounds[kind]
        m["prove_s_median"] = statistics.median(rounds[kind])
        m["peak_rss_bytes"] = peak[kind]
    report = {
        "machine": machine("scikit-learn"),
        "data": {"name": data.name, "test_windows": len(test), "width": data.width},
        "options": {
            "epochs": options.epochs,
            "seed": options.seed,
            "threshold_rule": options.threshold_rule,
            "compare_far": options.compare_far,
            "parity_windows": family.parity_windows,
            "prove_rounds": family.prove_rounds,
        },
        "members": members,
        "default": choose_default(members),
        "elapsed_s": time.perf_counter() - started,
    }
    write_report(report, options.out_dir)
    echo(f"family: {options.out_dir / 'family.md'}")
    return report


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def markdown(report: dict[str, Any]) -> str:
    m, o = report["machine"], report["options"]
    out = [
        "# The detector family side by side",
        "",
        (
            "Written by `zkalert evaluate --family`; every figure below was measured in the run that "
            "wrote this file."
        ),
        "",
        (
            f"- machine: {m['platform']}, {m['cpus']} CPUs, Python {m['python']}, torch {m['torch']}, "
            f"ezkl {m['ezkl']}"
        ),
        (
            f"- data: {report['data']['name']}, {report['data']['test_windows']:,} test windows; "
            f"{o['epochs']} epochs (autoencoders), seed {o['seed']}, threshold rule "
            f"{o['threshold_rule']}"
        ),
        (
            f"- parity: witness generation on {o['parity_windows']:,} test windows per member "
            f"(seeded); proving: median of {o['prove_rounds']} interleaved rounds, the same test "
            "windows for every member, each member in a process of its own (peak RSS is that "
            "process's)"
        ),
        "",
        (
            f"| detector | detection (deployable threshold) | false alarms, normal run | detection at "
            f"{o['compare_far']:.0%} false alarms | ROC-AUC | parity | rows | logrows | scale, legs, columns "
            "| proving, median | peak RSS |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, r in report["members"].items():
        q, p, c = r["quality"], r["parity"], r["circuit"]
        matched = q["at_compare_far"]
        out.append(
            f"| {kind} | {_pct(q['mean_detection_rate'])} | {_pct(q['far_normal_run'])} | "
            f"{_pct(matched['mean_detection_rate'] if matched else None)} | "
            f"{q['roc_auc']:.4f} | {p['windows_checked'] - p['differing']:,}/"
            f"{p['windows_checked']:,} | {c['rows']:,} | {c['logrows']} | {c['scale']}, {c['legs']}, {c['columns']} | "
            f"{r['prove_s_median']:.2f} s | {r['peak_rss_bytes'] / 2**20:,.0f} MiB |"
        )
    d = report["default"]
    out += [""]
    if d["chosen"]:
        out.append(
            f"**Default by the rule** (fastest member within {DETECTION_MARGIN * 100:.0f} point of the best "
            f"detection at {o['compare_far']:.0%} false alarms, {_pct(d['best_detection_at_far'])}, "
            f"with parity of at least {PARITY_FLOOR:.1%}): **{d['chosen']}**."
        )
    else:
        out.append("No member meets the default rule.")
    for kind, why in d["excluded"].items():
        out.append(f"- {kind} excluded: {why}")
    out += ["", "![detection against proving time](pareto.png)", ""]
    out.append(f"Total run time: {report['elapsed_s'] / 60:.1f} minutes.")
    return "\n".join(out) + "\n"


def write_pareto(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    far = report["options"]["compare_far"]
    for kind, r in report["members"].items():
        matched = r["quality"]["at_compare_far"]
        y = 100 * (matched["mean_detection_rate"] if matched else 0.0)
        ax.scatter([r["prove_s_median"]], [y], s=40)
        ax.annotate(
            f"{kind} (2^{r['circuit']['logrows']})",
            (r["prove_s_median"], y),
            textcoords="offset points",
            xytext=(5, 5),
            fontsize=8,
        )
    ax.set_xlabel("proving time per window, median (s)")
    ax.set_ylabel(f"mean detection at {far:.0%} false alarms (%)")
    ax.set_title("Detector family: detection vs proving time")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(report: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "family.json.tmp"
    tmp.write_text(json.dumps(report, indent=2, allow_nan=False, default=json_default) + "\n")
    tmp.replace(out_dir / "family.json")
    (out_dir / "family.md").write_text(markdown(report))
    write_pareto(report, out_dir / "pareto.png")
