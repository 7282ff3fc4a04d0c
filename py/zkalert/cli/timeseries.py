"""``zkalert ts``: time-series mode (EKF detector, chained TC/SC proofs, TimeSeriesRegistry).

    zkalert ts train [--subsystem S]          fit the EKF of one plant subsystem on TE normal data
    zkalert ts compile [--steps D] [--psf P]  TC (D steps) and SC circuits, keys, Solidity verifiers
    zkalert ts run NAME --fault N [--eager]   operate a stream over a TE test run: witness + store
                                              every interval (lazy), or prove as it goes (eager,
                                              on the proving cluster)
    zkalert ts prove NAME --window J          prove one window on demand from the store, its
                                              intervals and SC at once on the proving cluster
    zkalert ts deploy                         TimeSeriesRegistry + the model's verifiers
    zkalert ts submit NAME                    open the stream on-chain and submit its proven windows in order
    zkalert ts audit [--stream NAME] [--json] the regulator's check, read back from the chain
                                              (--srs-id / --accepted-srs: the SRS it accepts)
    zkalert ts demo                           a TE fault scenario with every attack, on a local anvil
    zkalert ts bench                          per D and PSF: setup/prove/verify times, sizes, gas, RSS
    zkalert ts agreement                      circuit vs float alarms over whole TE test runs

Several subsystems can run side by side (``--subsystem reactor|separator|stripper``); each has its
own detector, circuits, model id and streams.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zkalert.cli.options import (
    AcceptedSrsOpt,
    AccountOpt,
    AllowDevSrsOpt,
    ClusterOpt,
    FusionOpt,
    KeystoreOpt,
    OnDelayOpt,
    PasswordFileOpt,
    PlantOpt,
    ProveWorkersOpt,
    RpcOpt,
    SrsIdOpt,
    WorkdirOpt,
    key_settings,
    proving_cluster,
    rpc_or_default,
    signer,
    warn_line,
)
from zkalert.config import DEFAULT_WINDOW_STEPS, Workspace, reports_dir
from zkalert.errors import CircuitError, ConfigError
from zkalert.timeseries.plant import DEFAULT_FUSION, DEFAULT_ON_DELAY, PlantRule

if TYPE_CHECKING:  # the commands import these when they run
    from zkalert.cluster.backend import ProvingCluster
    from zkalert.timeseries.circuits import CircuitDir, Kind
    from zkalert.timeseries.ekf import Detector

ts_app = typer.Typer(
    no_args_is_help=True, help="Time-series mode: EKF detector with chained TC/SC proofs."
)

SubsystemOpt = Annotated[
    str, typer.Option("--subsystem", help="Plant subsystem: reactor, separator or stripper.")
]
StepsOpt = Annotated[
    int,
    typer.Option(
        "--steps",
        min=1,
        max=16,
        help="D, EKF steps per TC proof (must divide the detector's window, 8 steps by default).",
    ),
]
#: D by default: one TC proof per window of the default detector.
DEFAULT_STEPS = DEFAULT_WINDOW_STEPS
PsfOpt = Annotated[
    int, typer.Option("--psf", min=8, max=16, help="Precision scale factor (fixed-point bits).")
]


def _circuits(
    workspace: Workspace, subsystem: str, steps: int, psf: int
) -> tuple[Detector, CircuitDir, CircuitDir]:
    from zkalert.timeseries.circuits import detector_dir, sc_dir, tc_dir
    from zkalert.timeseries.ekf import Detector

    detector = Detector.load(detector_dir(workspace, subsystem))
    tc, sc = tc_dir(workspace, subsystem, steps, psf), sc_dir(workspace, subsystem, psf)
    for folder in (tc, sc):
        if not (folder.root / "circuit.json").is_file():
            raise CircuitError(
                f"no compiled circuit in {folder.root}: run `zkalert ts compile --subsystem {subsystem} --steps {steps} --psf {psf}`"
            )
    return detector, tc, sc


def _proving(
    address: str | None, workers: int | None, tc: CircuitDir, sc: CircuitDir
) -> AbstractContextManager[ProvingCluster | None]:
    """The cluster the TC and SC proofs are made on: the one at ``address``, else an embedded one
    sized for the TC circuit (the larger); none (this process) with --workers 1 and no address."""
    from zkalert.timeseries.proving import cluster_circuit

    if address is None and workers == 1:
        return nullcontext(None)
    return proving_cluster(address, None, workers, [cluster_circuit(tc), cluster_circuit(sc)])


@ts_app.command("train")
def train_cmd(
    subsystem: SubsystemOpt = "reactor",
    epochs: Annotated[int, typer.Option(min=1)] = 200,
    seed: int = 0,
    window_steps: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="L, EKF steps per detection window (the TC's D must divide it)."
        ),
    ] = DEFAULT_WINDOW_STEPS,
    window_weight: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Weight of the window sums' likelihood in the training loss, beside the "
            "per-step one (0: per-step only).",
        ),
    ] = 1.0,
    workdir: WorkdirOpt = None,
) -> None:
    """Fit the EKF (f, h, Q, R) on the normal TE run and set the UCL."""
    from zkalert.timeseries.circuits import detector_dir
    from zkalert.timeseries.ekf import EKFConfig, subsystem_columns, train

    subsystem_columns(subsystem)  # a clear error for an unknown subsystem before any work
    detector = train(
        EKFConfig(
            subsystem=subsystem,
            epochs=epochs,
            seed=seed,
            window_steps=window_steps,
            window_weight=window_weight,
        )
    )
    folder = detector_dir(Workspace.at(workdir), subsystem)
    detector.save(folder)
    typer.echo(
        f"{subsystem} EKF saved to {folder}: UCL {detector.ucl:.2f} (99th percentile of normal-window T²), innovation NLL {detector.training['nll']:.3f}"
    )


@ts_app.command("compile")
def compile_cmd(
    subsystem: SubsystemOpt = "reactor",
    steps: StepsOpt = DEFAULT_STEPS,
    psf: PsfOpt = 12,
    workdir: WorkdirOpt = None,
    srs: Annotated[
        Path | None,
        typer.Option(
            help="A ceremony's powers-of-tau transcript (.ptau) or an EZKL SRS file; default a "
            "DEVELOPMENT SRS."
        ),
    ] = None,
    srs_hash: Annotated[
        str | None,
        typer.Option(
            "--srs-hash",
            help="The --srs file's published hash, blake2b-512 or SHA-256 (hex).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Compile the TC (D steps) and SC circuits: settings, keys, Solidity verifiers."""
    from zkalert.lab.timeseries.demo import verifier_names
    from zkalert.timeseries.circuits import Precision, compile_circuit, detector_dir, sc_dir, tc_dir
    from zkalert.timeseries.ekf import Detector

    workspace = Workspace.at(workdir)
    detector = Detector.load(detector_dir(workspace, subsystem))
    if detector.config.window_steps % steps:
        raise ConfigError(
            f"--steps {steps} must divide the window length {detector.config.window_steps}"
        )
    tc_name, sc_name = verifier_names(subsystem, steps)
    circuits: tuple[tuple[Kind, CircuitDir, str], ...] = (
        ("tc", tc_dir(workspace, subsystem, steps, psf), tc_name),
        ("sc", sc_dir(workspace, subsystem, psf), sc_name),
    )
    for kind, folder, name in circuits:
        info = compile_circuit(
            detector,
            kind,
            folder,
            name,
            steps,
            Precision(psf=psf),
            srs,
            echo=typer.echo,
            srs_hash=srs_hash,
        )
        typer.echo(
            f"{kind.upper()}: logrows {info.logrows}, setup {info.setup_s:.1f} s, pk {info.pk_bytes / 2**20:.0f} MiB -> {info.verifier_source}"
        )
    if srs is None:
        typer.secho(
            "WARNING: development SRS (gen_srs). Not for production: pass --srs <ceremony file>.",
            fg="yellow",
            err=True,
        )


@ts_app.command("run")
def run_cmd(
    name: Annotated[str, typer.Argument(help="Stream name, e.g. plant-a/reactor.")],
    fault: Annotated[int, typer.Option(min=0, max=21, help="TE test run (0 = normal).")] = 4,
    rows: Annotated[
        Path | None,
        typer.Option(
            help="CSV of raw measurements instead (header; 52 TE columns or the subsystem's)."
        ),
    ] = None,
    subsystem: SubsystemOpt = "reactor",
    steps: StepsOpt = DEFAULT_STEPS,
    psf: PsfOpt = 12,
    eager: Annotated[
        bool,
        typer.Option(
            help="Prove every interval and window as it completes, on the proving cluster "
            "(--cluster, --workers)."
        ),
    ] = False,
    workdir: WorkdirOpt = None,
    cluster: ClusterOpt = None,
    workers: ProveWorkersOpt = None,
) -> None:
    """Operate a stream: per interval, gains offline + fresh nonces + witness, stored durably.

    With --eager each proof is handed to a Dask cluster as its interval or window completes (an
    embedded one on this machine, or a plant's with --cluster; --workers 1: in this process)."""
    from zkalert.data.loaders import load_csv, load_te_file
    from zkalert.timeseries.store import Store
    from zkalert.timeseries.stream import Operator, store_path

    workspace = Workspace.at(workdir)
    detector, tc, sc = _circuits(workspace, subsystem, steps, psf)
    raw = load_csv(rows)[0] if rows is not None else load_te_file(f"d{fault:02d}_te.dat")
    with _proving(cluster, workers, tc, sc) if eager else nullcontext(None) as proving:
        if proving is not None:
            typer.echo(f"proving on {proving.describe()}", err=True)
        operator = Operator.open(
            name,
            detector,
            tc,
            sc,
            Store(store_path(workspace)),
            workspace,
            eager=eager,
            echo=typer.echo,
            cluster=proving,
        )
        added = operator.feed(detector.measurements(raw))
    for w in operator.store.windows(name):
        typer.echo(
            f"window {w.idx}: T² {w.t2:.2f} (float {w.float_t2:.2f}) alarm {w.alarm} (float {w.float_alarm}){' proven' if w.proof else ''}"
        )
    typer.echo(f"{added} intervals added to {name} ({operator.store.interval_count(name)} stored)")


@ts_app.command("prove")
def prove_cmd(
    name: Annotated[str, typer.Argument()],
    window: Annotated[int, typer.Option(min=0)],
    subsystem: SubsystemOpt = "reactor",
    steps: StepsOpt = DEFAULT_STEPS,
    psf: PsfOpt = 12,
    workdir: WorkdirOpt = None,
    cluster: ClusterOpt = None,
    workers: ProveWorkersOpt = None,
) -> None:
    """Prove one window (its TC intervals and its SC) from the stored witness inputs.

    The window's proofs are made at once on a Dask cluster: an embedded one on this machine, or
    a plant's with --cluster (--workers 1: one after another in this process). Each is checked
    against the stored instances, written to the stream's folder and recorded in the store."""
    from zkalert.timeseries.store import Store
    from zkalert.timeseries.stream import Operator, store_path

    workspace = Workspace.at(workdir)
    detector, tc, sc = _circuits(workspace, subsystem, steps, psf)
    store = Store(store_path(workspace))
    store.stream(name)  # one line for a stream that was never run, before any cluster starts
    operator = Operator.open(name, detector, tc, sc, store, workspace, echo=typer.echo)
    todo = operator.unproven(window)
    if not todo:
        typer.echo(f"window {window} of {name} is proven already")
        return
    with _proving(cluster, workers, tc, sc) as proving:
        if proving is not None:
            typer.echo(
                f"proving window {window} ({len(todo)} proofs) on {proving.describe()}", err=True
            )
        operator.cluster = proving
        operator.prove_window(window)


@ts_app.command("deploy")
def deploy_cmd(
    subsystem: SubsystemOpt = "reactor",
    steps: StepsOpt = DEFAULT_STEPS,
    psf: PsfOpt = 12,
    workdir: WorkdirOpt = None,
    rpc_url_opt: RpcOpt = None,
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
    allow_dev_srs: AllowDevSrsOpt = False,
) -> None:
    """Deploy TimeSeriesRegistry (if the chain has none) and register this model's verifiers
    with the SRS ids of the SRSs they were built with."""
    from zkalert.evm.rpc import connect
    from zkalert.timeseries.chain import deploy

    settings = key_settings(keystore, account, password_file)
    _, tc, sc = _circuits(Workspace.at(workdir), subsystem, steps, psf)
    url = rpc_or_default(rpc_url_opt)
    deployer = signer(connect(url).eth.chain_id, settings)
    deployment, mid = deploy(tc, sc, url, key=deployer, allow_dev_srs=allow_dev_srs, warn=warn_line)
    typer.echo(f"chain {deployment.chain_id}: TimeSeriesRegistry {deployment.address}; model {mid}")


@ts_app.command("submit")
def submit_cmd(
    name: Annotated[str, typer.Argument()],
    subsystem: SubsystemOpt = "reactor",
    steps: StepsOpt = DEFAULT_STEPS,
    psf: PsfOpt = 12,
    workdir: WorkdirOpt = None,
    rpc_url_opt: RpcOpt = None,
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Open the stream on-chain if needed, then submit its proven intervals and windows in order."""
    from zkalert.evm.ids import stream_id
    from zkalert.evm.rpc import connect
    from zkalert.timeseries.chain import TsDeployment, TsGateway, model_id
    from zkalert.timeseries.circuits import Proof
    from zkalert.timeseries.store import Store
    from zkalert.timeseries.stream import store_path

    workspace = Workspace.at(workdir)
    _, tc, sc = _circuits(workspace, subsystem, steps, psf)
    store = Store(store_path(workspace))
    row = store.stream(name)
    settings = key_settings(keystore, account, password_file)
    w3 = connect(rpc_or_default(rpc_url_opt))
    key = signer(w3.eth.chain_id, settings)
    gateway = TsGateway(w3, TsDeployment.load(w3.eth.chain_id), key)
    sid = stream_id(name)
    state = gateway.stream(sid)
    if int(state["gateway"], 16) == 0:
        owner = gateway.registry.functions.owner().call()
        if owner != gateway.account.address:
            genesis_state, genesis_acc = row.genesis_instances
            raise ConfigError(
                f"stream {name!r} is not open: the registry owner ({owner}) opens it for gateway "
                f"{gateway.account.address} at genesis state 0x{genesis_state:064x}, accumulator 0x{genesis_acc:064x}"
            )
        gateway.open_stream(sid, model_id(tc, sc), *row.genesis_instances)
        state = gateway.stream(sid)
    W = row.intervals_per_window
    for interval in store.intervals(name, int(state["intervals"])):
        if interval.proof is None:
            typer.echo(
                f"interval {interval.idx} is not proven yet: `zkalert ts prove {name} --window {interval.idx // W}`; stopping"
            )
            break
        sub = gateway.submit_interval(sid, Proof.load(Path(interval.proof)))
        typer.echo(f"interval {interval.idx}: recorded in block {sub.block}, gas {sub.gas_used:,}")
    recorded = gateway.registry.functions.stream(sid).call()[2]
    for window in store.windows(name):
        on_chain = gateway.registry.functions.window(sid, window.idx).call()
        if on_chain[1] or (window.idx + 1) * W > recorded or window.proof is None:
            continue
        sub = gateway.submit_window(sid, window.idx, Proof.load(Path(window.proof)))
        typer.echo(
            f"window {window.idx}: alarm {window.alarm} recorded in block {sub.block}, gas {sub.gas_used:,}"
        )


@ts_app.command("audit")
def audit_cmd(
    stream: Annotated[str | None, typer.Option(help="Only this stream (by name).")] = None,
    scan_blocks: Annotated[
        int,
        typer.Option(
            "--scan-blocks",
            min=0,
            help="Search the last N blocks for refused transactions (the records are always read in full).",
        ),
    ] = 10_000,
    circuits: Annotated[
        list[Path] | None,
        typer.Option(
            "--circuits",
            help="Folder(s) with the compiled TC and SC circuits (searched recursively): check each model's verifiers and registration against their keys.",
        ),
    ] = None,
    max_records: Annotated[
        int,
        typer.Option(
            "--max-records",
            min=1,
            help="Refuse a history with more records of one kind than this (memory stays bounded).",
        ),
    ] = 1_000_000,
    srs_id: SrsIdOpt = None,
    accepted_srs: AcceptedSrsOpt = None,
    plant: PlantOpt = [],  # noqa: B006
    on_delay: OnDelayOpt = DEFAULT_ON_DELAY,
    fusion: FusionOpt = DEFAULT_FUSION,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    rpc_url_opt: RpcOpt = None,
) -> None:
    """The regulator's check of every stream (or one): per window verified, linked, keys, alarm;
    the SRS behind every registered model's verifiers; with --plant, the plant view."""
    from zkalert.evm.ids import stream_id
    from zkalert.evm.rpc import connect
    from zkalert.evm.srs import accepted_srs_id
    from zkalert.lab.timeseries.demo import format_audit, format_srs
    from zkalert.timeseries.audit import audit, find_circuits, registry_srs_checks
    from zkalert.timeseries.chain import TsDeployment
    from zkalert.timeseries.plant import audit_plant, format_plant, parse_plant

    accepted = accepted_srs_id(srs_id, accepted_srs)
    rule = PlantRule(on_delay, fusion)
    named = parse_plant(plant) if plant else {}
    if named and stream:
        raise ConfigError("--plant audits the plant's streams; leave out --stream")

    try:
        found = None if circuits is None else find_circuits(circuits)
    except FileNotFoundError as exc:
        raise ConfigError(f"--circuits: {exc}") from None
    w3 = connect(rpc_or_default(rpc_url_opt))
    deployment = TsDeployment.load(w3.eth.chain_id)
    options: dict[str, Any] = {
        "scan_blocks": scan_blocks,
        "max_records": max_records,
        "accepted_srs": accepted,
    }
    view = None
    if named:
        view, reports = audit_plant(w3, deployment, named, rule, found, **options)
    else:
        reports = audit(
            w3, deployment, stream_id(stream) if stream else None, circuits=found, **options
        )
    srs = registry_srs_checks(w3, deployment, accepted, max_records)
    if json_out:
        out = {
            "streams": [r.to_json() for r in reports],
            "srs": {
                "accepted_srs_id": accepted,
                "models": [c.to_json() for c in srs],
                "findings": [p for c in srs for p in c.problems],
            },
            **({"plant": view.to_json()} if view else {}),
        }
        typer.echo(json.dumps(out, indent=2))
    else:
        for report in reports:
            for line in format_audit(report):
                typer.echo(line)
        for line in format_srs(srs, accepted):
            typer.echo(line)
        for line in format_plant(view) if view else []:
            typer.echo(line)
    if (
        not all(r.ok for r in reports)
        or any(c.problems for c in srs)
        or (view is not None and not view.ok)
    ):
        raise typer.Exit(2)


@ts_app.command("demo")
def demo_cmd(
    subsystem: SubsystemOpt = "reactor",
    fault: Annotated[int, typer.Option(min=1, max=21)] = 4,
    steps: StepsOpt = DEFAULT_STEPS,
    psf: PsfOpt = 12,
    windows: Annotated[int, typer.Option(min=4, max=60)] = 6,
    start_row: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="First TE row streamed [default: three normal windows before the fault starts].",
        ),
    ] = None,
    workdir: WorkdirOpt = None,
    rpc_url_opt: Annotated[
        str | None,
        typer.Option("--rpc-url", help="Use this node instead of a fresh anvil on port 8877."),
    ] = None,
    allow_dev_srs: AllowDevSrsOpt = False,
    plant: Annotated[
        bool,
        typer.Option(
            help="Then run the plant's other two subsystems over the same rows, one gateway withholding a window, and show the plant view."
        ),
    ] = True,
) -> None:
    """A TE fault scenario through time-series mode on a local chain, with every attack, and the plant view."""
    from zkalert.lab.timeseries.demo import DemoOptions, run

    run(
        DemoOptions(
            subsystem,
            fault,
            steps,
            psf,
            start_row,
            windows,
            workdir,
            rpc_url_opt,
            allow_dev_srs,
            plant,
        ),
        echo=typer.echo,
    )


BENCH_STEPS = [1, 4, 8, 16]  # typer needs a list default; nothing mutates it


@ts_app.command("bench")
def bench_cmd(
    subsystem: SubsystemOpt = "reactor",
    steps: Annotated[
        list[int], typer.Option("--steps", help="D values (repeatable).")
    ] = BENCH_STEPS,
    psf: Annotated[list[int], typer.Option("--psf", help="PSF values (repeatable).")] = [12],  # noqa: B006
    cols: Annotated[
        int,
        typer.Option(
            min=0,
            max=8,
            help="EZKL num_inner_cols of the TC circuit; 0: per D, the fewest rows as a power of two.",
        ),
    ] = 0,
    proofs: Annotated[int, typer.Option(min=1, max=20, help="Proofs per configuration.")] = 3,
    reuse: Annotated[
        bool,
        typer.Option(help="Keep results of configurations already measured (build/ts-bench/)."),
    ] = False,
) -> None:
    """Per D and PSF: setup, proving (mean, std), verification, sizes, peak RSS; writes build/reports/timeseries/ ($ZKALERT_REPORTS)."""
    from zkalert.lab.timeseries.bench import report_name, run
    from zkalert.lab.timeseries.report import write_report
    from zkalert.timeseries.ekf import subsystem_columns

    subsystem_columns(subsystem)  # a clear error for an unknown subsystem before any work
    run(
        [(d, p, cols) for p in psf for d in steps],
        proofs,
        echo=typer.echo,
        reuse=reuse,
        subsystem=subsystem,
    )
    typer.echo(
        f"{subsystem}: {reports_dir('timeseries') / report_name(subsystem)}; report: {write_report()}"
    )


@ts_app.command("cells")
def cells_cmd(subsystem: SubsystemOpt = "reactor", workdir: WorkdirOpt = None) -> None:
    """Where the TC circuit's cells go (EZKL primitives, cells per EKF step): build/reports/timeseries/cells.json."""
    from zkalert.lab.timeseries.cells import run
    from zkalert.lab.timeseries.report import write_report
    from zkalert.timeseries.circuits import detector_dir
    from zkalert.timeseries.ekf import Detector

    path = run(Detector.load(detector_dir(Workspace.at(workdir), subsystem)))
    typer.echo(f"wrote {path}; report: {write_report()}")


@ts_app.command("detection")
def detection_cmd(
    subsystems: Annotated[
        list[str],
        typer.Option("--subsystem", help="Subsystems (repeatable; default all three)."),
    ] = [],  # noqa: B006
    workdir: WorkdirOpt = None,
) -> None:
    """False alarms on the normal test run and detection of faults 1-21, per subsystem and for the plant alarm (float EKF)."""
    from zkalert.lab.timeseries.detection import run
    from zkalert.lab.timeseries.report import write_report
    from zkalert.timeseries.ekf import SUBSYSTEMS, subsystem_columns

    chosen = tuple(subsystems) or tuple(SUBSYSTEMS)
    for subsystem in chosen:
        subsystem_columns(subsystem)  # a clear error for an unknown subsystem before any work
    result = run(Workspace.at(workdir), chosen, echo=typer.echo)
    rule = result["rule"]
    plant = result.get("plant", {}).get(f"{rule['fusion']}/{rule['on_delay']}")
    for name, figures in [
        *result["subsystems"].items(),
        *(
            [(f"plant (on-delay {rule['on_delay']}, fusion {rule['fusion']})", plant)]
            if plant
            else []
        ),
    ]:
        typer.echo(
            f"{name}: false alarms on d00_te {figures['far_d00_te']:.1%}, mean detection "
            f"{figures['mean_detection_rate']:.1%} over faults 1-21"
        )
    typer.echo(f"-> {result['path']}; report: {write_report()}")


@ts_app.command("agreement")
def agreement_cmd(
    subsystem: SubsystemOpt = "reactor",
    steps: StepsOpt = DEFAULT_STEPS,
    psf: PsfOpt = 12,
    faults: Annotated[
        list[int], typer.Option("--fault", help="TE runs (repeatable; default all 0-21).")
    ] = [],  # noqa: B006
    reuse: Annotated[
        bool,
        typer.Option(
            help="Keep the runs already in this subsystem's report when its detector and circuits are unchanged; measure only the others."
        ),
    ] = False,
    workdir: WorkdirOpt = None,
) -> None:
    """Alarm agreement of the circuits (witness outputs) with the float EKF over whole TE test runs."""
    from zkalert.lab.timeseries.agreement import report_name, run
    from zkalert.timeseries.ekf import subsystem_columns

    subsystem_columns(subsystem)  # a clear error for an unknown subsystem before any work
    result = run(
        Workspace.at(workdir),
        steps,
        psf,
        faults or list(range(22)),
        subsystem,
        echo=typer.echo,
        reuse=reuse,
    )
    typer.echo(
        f"{subsystem}: agreement {result['agreement']:.4f} over {result['windows']} windows -> {reports_dir('timeseries') / report_name(subsystem)}"
    )
