"""Model acceptance, one command per role (:mod:`zkalert.services.acceptance`):

    zkalert accept reference      regulator: a labelled reference set drawn from a seed; writes the
                                  labelled file it keeps and a copy without labels for the operator
    zkalert accept prove REF      operator: the model's proven score of every reference window, as a
                                  bundle of proofs (batched where the circuit is)
    zkalert accept check REF BUNDLE
                                  regulator: every proof verified with its own vk/settings/SRS, every
                                  commitment recomputed from its own windows, detection figures from
                                  the proven scores; report.json and report.md
    zkalert accept run            all three on the workspace's model, for a demo

Exit codes: 0 done (check: PASS); 1 an input that cannot be used, one line, nothing written;
2 checked with findings (the report is written, verdict FAIL); 4 the proving cluster cannot be
reached or went away, 130 interrupted (either way the proofs made so far stay in the workspace
and the next prove resumes).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zkalert.cli.options import (
    ClusterOpt,
    ColumnPatternOpt,
    ColumnsOpt,
    DataOpt,
    LabelColumnOpt,
    NormalLabelOpt,
    OrderColumnOpt,
    SamplingOpt,
    WorkdirOpt,
    data_source,
    proving_cluster,
)
from zkalert.config import Workspace, reports_dir
from zkalert.errors import ConfigError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from zkalert.cluster.backend import ProvingCluster
    from zkalert.services.acceptance import ReferenceSet
    from zkalert.services.acceptance_check import CheckOptions

EXIT_CODES = (
    "Exit codes: 0 done (check: PASS); 1 an input that cannot be used (one line, nothing written); "
    "2 checked with findings (report written, verdict FAIL); 4 the proving cluster cannot be "
    "reached or went away (proofs made so far stay in the workspace: prove again to resume); "
    "130 interrupted (proofs made so far stay in the workspace: prove again to resume)."
)


def _cluster(
    address: str | None, workspace: Workspace
) -> AbstractContextManager[ProvingCluster | None]:
    """The cluster at --cluster (closed afterwards), or None: prove_reference decides by --workers."""
    from contextlib import nullcontext

    return proving_cluster(address, workspace) if address is not None else nullcontext(None)


accept_app = typer.Typer(
    no_args_is_help=True,
    help="Model acceptance: the model's proven scores on reference windows the regulator picked.",
    epilog=EXIT_CODES,
)

SeedOpt = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Seed the reference windows are drawn from (default: a fresh random one, recorded in the file).",
        show_default=False,
    ),
]
NormalOpt = Annotated[int, typer.Option("--normal", min=0, help="Normal reference windows.")]
AnomalousOpt = Annotated[
    int, typer.Option("--anomalous", min=0, help="Anomalous reference windows.")
]
FaultsOpt = Annotated[
    str | None,
    typer.Option(
        help="Tennessee Eastman faults the anomalous windows come from, e.g. 1,2,6 or 1-21 (default: all 21).",
        show_default=False,
    ),
]
IssuedForOpt = Annotated[
    str | None,
    typer.Option(
        "--model-id",
        help="The model (0x keccak256 of its vk) the reference set is issued for: prove and check refuse another.",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=256,
        help="Provers in parallel, on an embedded proving cluster (cluster.workers; default: one "
        "per core, as far as the memory holds the circuit's proofs; 1: one prover in this process "
        "using every core, as EZKL does by itself).",
        show_default=False,
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing bundle folder.")]
VkOpt = Annotated[
    Path | None,
    typer.Option(
        "--vk",
        help="Your copy of the model's verifying key (default: the bundle's; either way keccak256(vk) must be the bundle's model).",
        show_default=False,
    ),
]
SettingsOpt = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        help="Your copy of the circuit's settings.json (default: the bundle's).",
        show_default=False,
    ),
]
SrsOpt = Annotated[
    Path | None,
    typer.Option(
        "--srs",
        help="Your own copy of the SRS the model was set up with (default: this machine's development SRS for the circuit's size).",
        show_default=False,
    ),
]
ThresholdOpt = Annotated[
    int | None,
    typer.Option(
        "--threshold",
        min=0,
        help="The registered threshold in the circuit's fixed-point units (default: the bundle's).",
        show_default=False,
    ),
]
MinDrOpt = Annotated[
    float | None,
    typer.Option(
        "--min-detection-rate",
        help="A finding below this proven detection rate (0..1).",
        show_default=False,
    ),
]
MaxFarOpt = Annotated[
    float | None,
    typer.Option(
        "--max-false-alarm-rate",
        help="A finding above this proven false-alarm rate (0..1).",
        show_default=False,
    ),
]
MinAucOpt = Annotated[
    float | None,
    typer.Option(
        "--min-roc-auc", help="A finding below this proven ROC-AUC (0..1).", show_default=False
    ),
]
ReportOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Report folder (default: <reports>/accept/<model>-<reference>/, reports = paths.reports, $ZKALERT_REPORTS).",
        show_default=False,
    ),
]
JsonOutOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


def parse_faults(text: str | None) -> list[int] | None:
    """``1,2,6`` or ``1-5,11``: the fault numbers, one line for anything else."""
    if text is None:
        return None
    faults: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",") if p.strip()):
            low, _, high = part.partition("-")
            faults.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise ConfigError(
            f"--faults must be numbers or ranges like 1,2,6 or 1-21, got {text!r}"
        ) from None
    if not faults:
        raise ConfigError("--faults names no fault")
    return faults


def _reference(
    seed: int | None,
    normal: int,
    anomalous: int,
    faults: str | None,
    model_id: str | None,
    data: Path | None = None,
    columns: str | None = None,
    column_pattern: str | None = None,
    label_column: str | None = None,
    order_column: str | None = None,
    normal_label: str | None = None,
    sampling_s: float | None = None,
) -> ReferenceSet:
    from zkalert.data.source import load
    from zkalert.services.acceptance import build_reference

    if model_id is not None and (
        not model_id.startswith("0x") or len(model_id) != 66 or not _is_hex(model_id[2:])
    ):
        raise ConfigError(f"--model-id {model_id!r} is not a 0x model id of 32 bytes")
    fault_list = parse_faults(faults)
    source = data_source(
        data, columns, column_pattern, label_column, order_column, normal_label, sampling_s
    )
    if seed is None:
        seed = secrets.randbelow(2**32)
        typer.echo(f"seed {seed} (drawn at random; recorded in the reference file)", err=True)
    plant = load(source)
    return build_reference(plant, seed, normal, anomalous, fault_list, model_id)


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def _summary(reference: ReferenceSet) -> str:
    assert reference.labels is not None
    anomalous = int(reference.labels.sum())
    return (
        f"reference set {reference.id[:12]}: {len(reference)} windows ({len(reference) - anomalous} "
        f"normal, {anomalous} anomalous), {reference.width} columns, seed {reference.seed}"
    )


@accept_app.command("reference", epilog=EXIT_CODES)
def reference_cmd(
    out: Annotated[
        Path | None,
        typer.Option(
            help="The labelled file you keep (default: <reports>/accept/reference-<id>.json); the "
            "operator's copy goes next to it as <name>.windows.json.",
            show_default=False,
        ),
    ] = None,
    seed: SeedOpt = None,
    normal: NormalOpt = 32,
    anomalous: AnomalousOpt = 64,
    faults: FaultsOpt = None,
    model_id: IssuedForOpt = None,
    data: DataOpt = None,
    columns: ColumnsOpt = None,
    column_pattern: ColumnPatternOpt = None,
    label_column: LabelColumnOpt = None,
    normal_label: NormalLabelOpt = None,
    order_column: OrderColumnOpt = None,
    sampling_s: SamplingOpt = None,
) -> None:
    """Regulator: draw a labelled reference set from a seed.

    Tennessee Eastman by default: normal windows of the normal test run d00_te, anomalous ones of
    the fault test runs after the fault began; or a plant's labelled file with --data: its test
    split. Writes the labelled file you keep and a shuffled copy without labels for the operator."""
    reference = _reference(
        seed,
        normal,
        anomalous,
        faults,
        model_id,
        data,
        columns,
        column_pattern,
        label_column,
        order_column,
        normal_label,
        sampling_s,
    )
    path = out or reports_dir("accept") / f"reference-{reference.id[:12]}.json"
    labelled, copy = reference.save(path)
    typer.echo(_summary(reference))
    typer.echo(f"labelled (keep it): {labelled}")
    typer.echo(f"for the operator (windows only, shuffled): {copy}")


@accept_app.command("prove", epilog=EXIT_CODES)
def prove_cmd(
    reference_file: Annotated[
        Path, typer.Argument(help="The reference set (the operator's copy, or the labelled file).")
    ],
    workdir: WorkdirOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Bundle folder (default: <workdir>/acceptance/bundle-<reference>/).",
            show_default=False,
        ),
    ] = None,
    workers: WorkersOpt = None,
    force: ForceOpt = False,
    cluster: ClusterOpt = None,
) -> None:
    """Operator: prove the model's score of every reference window into a bundle.

    The bundle folder (proofs, instances, vk, settings, the detector's columns and scaler) goes
    back to the regulator. Proofs stay in the workspace: a stopped run resumes."""
    from zkalert.services.acceptance import default_bundle_dir, load_reference, prove_reference

    reference = load_reference(reference_file)
    workspace = Workspace.at(workdir)
    target = out or default_bundle_dir(workspace, reference.id)
    with _cluster(cluster, workspace) as proving:
        bundle = prove_reference(
            workspace,
            reference,
            target,
            lambda m: typer.echo(m, err=True),
            workers,
            force,
            cluster=proving,
        )
    proving = bundle.meta["proving"]
    typer.echo(
        f"bundle {bundle.folder}: {len(bundle.proofs)} proof(s) of {bundle.reference_windows} reference "
        f"windows, model {bundle.model_id}; {proving['proven_now']} proven now in "
        f"{proving['wall_s']:.0f} s, {proving['cached']} from an earlier run"
    )


def _check_options(
    vk: Path | None,
    settings: Path | None,
    srs: Path | None,
    threshold: int | None,
    min_detection_rate: float | None,
    max_false_alarm_rate: float | None,
    min_roc_auc: float | None,
) -> CheckOptions:
    from zkalert.services.acceptance_check import CheckOptions

    return CheckOptions(
        vk=vk,
        settings=settings,
        srs=srs,
        threshold_felt=threshold,
        min_detection_rate=min_detection_rate,
        max_false_alarm_rate=max_false_alarm_rate,
        min_roc_auc=min_roc_auc,
    )


def _report_and_exit(report: dict[str, object], out: Path | None, json_out: bool) -> None:
    import json

    from zkalert.services.acceptance_check import write_report

    a = report["acceptance"]
    assert isinstance(a, dict)
    folder = out or reports_dir("accept") / f"{a['model_id'][2:10]}-{a['reference_id'][:8]}"
    json_path, md_path = write_report(report, folder)
    if json_out:
        typer.echo(json.dumps(report, indent=2))
    else:
        _echo_figures(report)
        typer.echo(f"report: {md_path} ({json_path.name} next to it)")
    if a["verdict"] != "PASS":
        raise typer.Exit(2)


def _echo_figures(report: dict[str, object]) -> None:
    a, s = report["acceptance"], report["summary"]
    p, f, ag = report["proven"], report["float_claimed"], report["agreement"]
    findings = report["findings"]
    assert isinstance(a, dict) and isinstance(s, dict) and isinstance(findings, list)
    typer.echo(
        f"{a['verdict']}: {s['verified']} of {s['windows']} reference windows verified "
        f"(invalid {s['invalid']}, without proof {s['proof-missing']})"
    )
    if isinstance(p, dict) and isinstance(f, dict) and isinstance(ag, dict):

        def pct(v: object) -> str:
            return "undefined" if v is None else f"{float(v):.1%}"  # type: ignore[arg-type]

        def num(v: object) -> str:
            return "undefined" if v is None else f"{float(v):.4f}"  # type: ignore[arg-type]

        typer.echo(
            f"proven: detection {pct(p['detection_rate'])}, false alarms {pct(p['false_alarm_rate'])}, "
            f"ROC-AUC {num(p['roc_auc'])}; float (claimed): detection {pct(f['detection_rate'])}, "
            f"false alarms {pct(f['false_alarm_rate'])}, ROC-AUC {num(f['roc_auc'])}; decisions agree "
            f"on {ag['windows'] - ag['differing']}/{ag['windows']}"
        )
    for finding in findings:
        typer.echo(f"finding: {finding}", err=True)


@accept_app.command("check", epilog=EXIT_CODES)
def check_cmd(
    reference_file: Annotated[Path, typer.Argument(help="The labelled reference set you kept.")],
    bundle_dir: Annotated[Path, typer.Argument(help="The operator's bundle folder.")],
    vk: VkOpt = None,
    settings: SettingsOpt = None,
    srs: SrsOpt = None,
    model_id: Annotated[
        str | None,
        typer.Option(
            "--model-id", help="The model you expect (e.g. the registered one).", show_default=False
        ),
    ] = None,
    threshold: ThresholdOpt = None,
    min_detection_rate: MinDrOpt = None,
    max_false_alarm_rate: MaxFarOpt = None,
    min_roc_auc: MinAucOpt = None,
    out: ReportOutOpt = None,
    json_out: JsonOutOpt = False,
) -> None:
    """Regulator: check a bundle and compute the figures from the proven scores.

    Every proof is verified with your own key material (above all your own SRS), every window's
    commitment recomputed from your reference windows; writes report.json and report.md."""
    from dataclasses import replace

    from zkalert.services.acceptance import load_bundle, load_reference
    from zkalert.services.acceptance_check import check_bundle

    options = _check_options(
        vk, settings, srs, threshold, min_detection_rate, max_false_alarm_rate, min_roc_auc
    )
    if model_id is not None:
        options = replace(options, model_id=model_id)
    reference = load_reference(reference_file)
    bundle = load_bundle(bundle_dir)
    report = check_bundle(reference, bundle, options, lambda m: typer.echo(m, err=True))
    _report_and_exit(report, out, json_out)


@accept_app.command("run", epilog=EXIT_CODES)
def run_cmd(
    workdir: WorkdirOpt = None,
    seed: SeedOpt = None,
    normal: NormalOpt = 32,
    anomalous: AnomalousOpt = 64,
    faults: FaultsOpt = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    srs: SrsOpt = None,
    min_detection_rate: MinDrOpt = None,
    max_false_alarm_rate: MaxFarOpt = None,
    min_roc_auc: MinAucOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the reference files, the bundle and the report (default: "
            "<reports>/accept/run-<model>-<reference>/).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOutOpt = False,
) -> None:
    """Reference, prove and check in one go on the workspace's model (a demo).

    Tennessee Eastman windows; the workspace's SRS stands for the regulator's own unless --srs
    is given."""
    from zkalert.services.acceptance import load_bundle, load_reference, prove_reference
    from zkalert.services.acceptance_check import check_bundle
    from zkalert.zk.circuit import CircuitInfo

    workspace = Workspace.at(workdir)
    info = CircuitInfo.load(workspace)
    reference = _reference(seed, normal, anomalous, faults, info.model_id)
    folder = out or reports_dir("accept") / f"run-{info.model_id[2:10]}-{reference.id[:8]}"
    labelled, copy = reference.save(folder / "reference.json")
    typer.echo(_summary(reference), err=True)
    with _cluster(cluster, workspace) as proving:
        prove_reference(
            workspace,
            load_reference(copy),
            folder / "bundle",
            lambda m: typer.echo(m, err=True),
            workers,
            force=True,
            cluster=proving,
        )
    options = _check_options(
        None,
        None,
        srs or Path(info.srs_path),
        None,
        min_detection_rate,
        max_false_alarm_rate,
        min_roc_auc,
    )
    report = check_bundle(
        load_reference(labelled),
        load_bundle(folder / "bundle"),
        options,
        lambda m: typer.echo(m, err=True),
    )
    _report_and_exit(report, folder, json_out)


__all__ = ["accept_app", "parse_faults"]
