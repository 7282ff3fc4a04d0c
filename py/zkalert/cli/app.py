"""The zkalert command line: one command per pipeline stage, plus the demo.

    zkalert train [--data FILE]   fit the detector on normal rows of a plant's CSV/Parquet file
                                  (default: Tennessee Eastman); --columns/--column-pattern,
                                  --label-column, --order-column (also tune, compile, evaluate)
    zkalert tune                  the smallest circuit that keeps every validation decision
    zkalert compile [--srs F]     EZKL circuit, keys and Solidity verifier (F: a ceremony's
                                  .ptau transcript or an EZKL SRS file)
    zkalert srs ...               powers-of-tau ceremonies: new, contribute, beacon, prepare,
                                  verify, import; `zkalert srs --help` lists them
                                  (--tuned, --windows-per-proof B for batched proofs)
    zkalert deploy                verifier + AlertRegistry to RPC_URL (anvil by default)
    zkalert prove WINDOWS.csv     prove windows (raw sensor units, one row each, the detector's
                                  columns by name; CSV or Parquet)
    zkalert submit PROOF.json ... --stream NAME
    zkalert alerts [--json]       the on-chain log, with the hash chain checked
                                  (--stream, --model, --from/--to-block, --since/--until, --alarm-only;
                                  --export-receipts DIR: one offline-checkable receipt per alert)
    zkalert receipt check FILE    check exported receipts offline (--vk/--settings/--srs: the proof too)
    zkalert demo                  all of the above on real fault data
    zkalert bench                 naive EZKL vs tuned vs batched, same windows, one run
    zkalert node start|stop       a local anvil that outlives the command
    zkalert outbox enqueue|add    record windows/proofs in the durable outbox (SQLite, WAL)
    zkalert outbox run [--follow] the gateway worker: prove, send, confirm; survives crashes,
                                  reorgs, dropped/stuck transactions and RPC outages
    zkalert outbox status         what the outbox holds, per state
    zkalert doctor [--json]       check a gateway's setup: toolchain, workspace and SRS, node,
                                  deployment and contract code, gateway allowed and funded, outbox
    zkalert soak                  hundreds of real alerts under random faults: lost/duplicated
    zkalert evaluate              detection quality vs a PCA T²/Q baseline + in-circuit parity
                                  (--data te|edge-iiotset|csv; build/reports/evaluate/)
    zkalert ts ...                time-series mode: EKF detector, chained TC/SC proofs,
                                  TimeSeriesRegistry; `zkalert ts --help` lists its commands
    zkalert serve utility         the utility's REST service: ingest, commit windows, prove on request
    zkalert serve regulator       the regulator's REST service and read-only web page of the log
    zkalert serve token|push      add an API token; send a CSV's windows to a utility
    zkalert audit --stream NAME   chains, gaps (withheld windows), key invariance, proofs verified
    zkalert accept ...            model acceptance: reference windows the regulator picks, the
                                  model's proven scores on them, detection figures from the proofs

The commands that sign (deploy, submit, stream open, outbox run, ts deploy/submit, serve
utility) take --keystore PATH or --account NAME with --password-file F (docs/keys.md); anvil's
development keys sign only on development chains.

Errors are one line on stderr and exit code 1 (3: anvil's development key, or a circuit built on a
development SRS without --allow-dev-srs, refused on a chain that is not for development; 4: the
proving cluster cannot be reached or went away, nothing lost, run again); ``ZKALERT_DEBUG=1`` shows
tracebacks.

The commands that prove many windows (prove, outbox run, accept, serve utility, bench) prove on
a Dask cluster: an embedded one on this machine, or a plant's with --cluster tcp://HOST:PORT.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zkalert.cli.options import (
    AccountOpt,
    AllowDevSrsOpt,
    ClusterOpt,
    ColumnPatternOpt,
    ColumnsOpt,
    DataOpt,
    JsonOpt,
    KeystoreOpt,
    LabelColumnOpt,
    NormalLabelOpt,
    OrderColumnOpt,
    PasswordFileOpt,
    ProveWorkersOpt,
    RpcOpt,
    SamplingOpt,
    WorkdirOpt,
    data_source,
    key_settings,
    proving_cluster,
    rpc_or_default,
    signer,
    warn_line,
)
from zkalert.config import DEFAULT_SCHEME, GENERATED_DIR, Workspace, reports_dir
from zkalert.detector.kinds import DEFAULT_DETECTOR, check_kind
from zkalert.errors import (
    ChainError,
    ClusterUnavailable,
    ConfigError,
    DevelopmentKeyRefused,
    DevelopmentSrsRefused,
    OutboxError,
    ProofError,
    ZkAlertError,
)

if TYPE_CHECKING:  # the commands import these when they run
    from zkalert.data.datasets import EvaluationData
    from zkalert.data.loaders import FloatArray
    from zkalert.data.source import DataSource, PlantData
    from zkalert.detector.model import Detector
    from zkalert.evm.log import AlertEntry
    from zkalert.gateway.networks import Network
    from zkalert.zk.circuit import CircuitInfo

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    help="Provable anomaly alerts: detector -> EZKL proof -> on-chain log.",
)
node_app = typer.Typer(no_args_is_help=True, help="Manage a local anvil node.")
app.add_typer(node_app, name="node")

# ---- time-series mode: its commands live in zkalert/cli/timeseries.py
from zkalert.cli.timeseries import ts_app

app.add_typer(ts_app, name="ts")

# ---- powers-of-tau ceremonies: zkalert/cli/srs.py
from zkalert.cli.srs import srs_app

app.add_typer(srs_app, name="srs")

# ---- model acceptance: its commands live in zkalert/cli/accept.py
from zkalert.cli.accept import accept_app

app.add_typer(accept_app, name="accept")


@app.command("train")
def train_cmd(
    workdir: WorkdirOpt = None,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed (training and splits).")] = 0,
    data: DataOpt = None,
    columns: ColumnsOpt = None,
    column_pattern: ColumnPatternOpt = None,
    label_column: LabelColumnOpt = None,
    normal_label: NormalLabelOpt = None,
    order_column: OrderColumnOpt = None,
    sampling_s: SamplingOpt = None,
    detector_kind: Annotated[
        str,
        typer.Option(
            "--detector",
            help="The family member: whitened-sq (the default), whitened-l1, pca-t2q (these "
            "three whiten inside the circuit), autoencoder (the paper's) or autoencoder-small.",
        ),
    ] = DEFAULT_DETECTOR,
) -> None:
    """Train a detector on normal rows and choose its alarm threshold.

    The threshold is the best-F1 cut on the validation split when it holds anomalous rows
    (a label column), else the 99th percentile of held-out normal scores (1% false alarms).
    """
    from zkalert.data.source import load

    check_kind(detector_kind)
    source = data_source(
        data, columns, column_pattern, label_column, order_column, normal_label, sampling_s
    )
    workspace = Workspace.at(workdir)
    plant = load(source, seed=seed)
    _echo_data(plant)
    from zkalert.detector.model import TrainConfig, train  # torch: once the data is known good

    config = TrainConfig(
        epochs=epochs, seed=seed, threshold_rule=plant.threshold_rule, kind=detector_kind
    )
    detector = train(plant.train, plant.validation.windows, plant.validation.labels, config)
    detector.trained_on(plant.source, plant.columns)
    detector.save(workspace)
    v = detector.validation
    quality = (
        f"validation F1 {v['f1']:.3f}, precision {v['precision']:.3f}, recall {v['recall']:.3f}"
        if v["rule"] == "best-f1"
        else f"false alarms on held-out normal rows {v['false_positive_rate']:.2%} "
        f"(target {config.target_far:.0%}; no anomalous validation rows)"
    )
    typer.echo(
        f"detector ({detector.kind}) saved to {workspace.detector}: {detector.width} columns; threshold {detector.threshold:.4f}; {quality}"
    )


def _echo_data(plant: PlantData) -> None:
    typer.echo(f"data: {plant.summary()}", err=True)
    for note in plant.notes:
        typer.echo(f"  note: {note}", err=True)


def _detector_data(
    detector: Detector,
    data: Path | None,
    columns: str | None,
    column_pattern: str | None,
    label_column: str | None,
    order_column: str | None,
    normal_label: str | None,
    sampling_s: float | None,
) -> PlantData:
    """The data a trained detector is tuned or compiled on: the source it recorded (the bundled
    Tennessee Eastman data if none), with the data options over it; refused unless it has the
    detector's columns."""
    from zkalert.data.source import DataSource, load

    base: DataSource = detector.source or DataSource()
    if detector.columns is not None:
        base = base.model_copy(update={"columns": list(detector.columns), "column_pattern": None})
    source = data_source(
        data, columns, column_pattern, label_column, order_column, normal_label, sampling_s, base
    )
    plant = load(source, seed=detector.config.seed)
    detector.check_columns(plant.columns, plant.name)
    _echo_data(plant)
    return plant


@app.command("compile")
def compile_cmd(
    workdir: WorkdirOpt = None,
    srs: Annotated[
        Path | None,
        typer.Option(
            help="A ceremony's powers-of-tau transcript (.ptau, imported for the circuit's "
            "logrows) or an EZKL SRS file; without it a DEVELOPMENT SRS is generated."
        ),
    ] = None,
    srs_hash: Annotated[
        str | None,
        typer.Option(
            "--srs-hash",
            help="The --srs file's published hash, blake2b-512 or SHA-256 (hex): refused if "
            "it differs.",
            show_default=False,
        ),
    ] = None,
    contract: Annotated[
        str, typer.Option(help="Name of the generated verifier contract.")
    ] = "DetectorVerifier",
    verifier_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for the generated verifier (default: contracts/generated/)."),
    ] = None,
    ezkl_default: Annotated[
        bool,
        typer.Option(
            "--ezkl-default", help="Use EZKL's calibrate_settings instead of the hand-set circuit."
        ),
    ] = False,
    tuned: Annotated[
        bool, typer.Option("--tuned", help="Use the circuit chosen by `zkalert tune`.")
    ] = False,
    scale: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=20,
            help="Fixed-point scale (bits) of inputs and weights (default: the detector's own, "
            "10 for the autoencoders, 13 for the linear detectors).",
            show_default=False,
        ),
    ] = None,
    windows_per_proof: Annotated[
        int,
        typer.Option(
            "--windows-per-proof",
            min=1,
            max=64,
            help="Windows covered by one proof (batched proofs).",
        ),
    ] = 1,
    commitment: Annotated[
        str,
        typer.Option(
            help="How proofs commit to each window: 'kzg' (the proof's G1 point; for the default detector about 4x faster to prove) or 'poseidon' (a hash in the public instances)."
        ),
    ] = DEFAULT_SCHEME,
    verifier: Annotated[
        str,
        typer.Option(
            "--verifier",
            help="'own' (the circuit's generated verifier), 'vka' (EZKL's reusable verifier and the circuit's VKA), or 'auto': own when it fits EIP-170's 24,576 bytes, else vka.",
        ),
    ] = "auto",
    data: DataOpt = None,
    columns: ColumnsOpt = None,
    column_pattern: ColumnPatternOpt = None,
    label_column: LabelColumnOpt = None,
    normal_label: NormalLabelOpt = None,
    order_column: OrderColumnOpt = None,
    sampling_s: SamplingOpt = None,
) -> None:
    """Export to ONNX, build the EZKL circuit, run setup and generate the Solidity verifier.

    The circuit's width is the detector's; its training rows (from the data it was trained on,
    or --data with the same columns) calibrate the circuit."""
    from zkalert.detector.model import Detector
    from zkalert.zk.circuit import VERIFIER_KINDS, CircuitConfig, compile_circuit, srs_summary
    from zkalert.zk.tuning import tuned_config

    if verifier not in VERIFIER_KINDS:
        raise ConfigError(f"--verifier {verifier!r}: expected one of {', '.join(VERIFIER_KINDS)}")
    if ezkl_default and tuned:
        raise ConfigError("--ezkl-default and --tuned exclude each other")
    workspace = Workspace.at(workdir)
    detector = Detector.load(workspace)
    if ezkl_default:
        config = CircuitConfig.ezkl_default()
    elif tuned:
        config = tuned_config(workspace)
    else:
        config = CircuitConfig.for_detector(detector.kind, scale)
    config = config.with_commitment(commitment)
    plant = _detector_data(
        detector,
        data,
        columns,
        column_pattern,
        label_column,
        order_column,
        normal_label,
        sampling_s,
    )
    info = compile_circuit(
        detector,
        workspace,
        plant.train,
        config,
        contract,
        srs,
        verifier_dir=verifier_dir or GENERATED_DIR,
        echo=typer.echo,
        windows_per_proof=windows_per_proof,
        srs_hash=srs_hash,
        verifier=verifier,
    )
    typer.echo(
        f"circuit: {info.width} values per window, {info.windows_per_proof} window(s)/proof, {info.commitment} input commitments, logrows {info.logrows}, setup {info.setup_s:.1f} s{' (keys from cache)' if info.keys_cached else ''}, model id {info.model_id}"
    )
    typer.echo(
        f"verifier: {info.verifier_source}"
        + (
            f" over EZKL's reusable verifier, with the circuit's VKA {info.vka_path}"
            if info.verifier_kind == "vka"
            else ""
        )
    )
    typer.echo(f"SRS: {srs_summary(info.srs_source, info.srs_id, info.srs_transcript_hash)}")
    if info.srs_development_only:
        typer.secho(
            "WARNING: development SRS (gen_srs). Not for production: pass --srs <ceremony file>.",
            fg="yellow",
            err=True,
        )


@app.command("tune")
def tune_cmd(
    workdir: WorkdirOpt = None,
    scales: Annotated[
        str, typer.Option(help="Comma-separated fixed-point scales to try.")
    ] = "7,8,9,10,11",
    data: DataOpt = None,
    columns: ColumnsOpt = None,
    column_pattern: ColumnPatternOpt = None,
    label_column: LabelColumnOpt = None,
    normal_label: NormalLabelOpt = None,
    order_column: OrderColumnOpt = None,
    sampling_s: SamplingOpt = None,
) -> None:
    """Search scales and decompositions for the smallest circuit that keeps every validation decision.

    Checked on the training and validation rows of the data the detector was trained on (or
    --data with the same columns)."""
    from zkalert.detector.model import Detector
    from zkalert.zk.tuning import tune, tuning_windows

    try:
        scale_list = tuple(int(s) for s in scales.split(","))
    except ValueError:
        raise ConfigError(f"--scales must be comma-separated integers, got {scales!r}") from None
    workspace = Workspace.at(workdir)
    detector = Detector.load(workspace)
    plant = _detector_data(
        detector,
        data,
        columns,
        column_pattern,
        label_column,
        order_column,
        normal_label,
        sampling_s,
    )
    report = tune(detector, workspace, tuning_windows(plant), scale_list, echo=typer.echo)
    c = report["chosen"]
    typer.echo(
        f"chosen: scale {c['input_scale']}, decomposition {c['decomp_base']} x {c['decomp_legs']}, logrows {c['logrows']} "
        f"({c['num_rows']} rows); decisions agree on {c['agreement']:.2%} of {c['windows']} training/validation windows, "
        f"max |score error| {c['max_abs_score_error']:.4f}. Saved to {workspace.tune}; build it with `zkalert compile --tuned`."
    )


@app.command("bench")
def bench_cmd(
    windows: Annotated[
        int, typer.Option(min=2, help="Real TE windows proved by every pipeline.")
    ] = 16,
    batch_sizes: Annotated[
        str,
        typer.Option(
            help="Comma-separated windows-per-proof for the batched pipelines (2 to 64); "
            "each proves max(--windows, B) windows."
        ),
    ] = "8,16,32",
    agreement_windows: Annotated[
        int,
        typer.Option(min=10, help="Test windows run through each circuit for decision agreement."),
    ] = 1000,
    memory_budget_gb: Annotated[
        float, typer.Option(help="Prover memory budget for the single-window pipelines.")
    ] = 2.0,
    cluster_scaling: Annotated[
        bool,
        typer.Option(
            "--cluster-scaling",
            help="Only the proving cluster's figures, on the workspace's circuit: proofs/min in "
            "this process and on embedded clusters of 1 and 2 workers, the per-task overhead "
            "(reports: bench/cluster.json, .md).",
        ),
    ] = False,
    workdir: WorkdirOpt = None,
    detector_kind: Annotated[
        str, typer.Option("--detector", help="The member of the detector family to prove.")
    ] = DEFAULT_DETECTOR,
) -> None:
    """Naive EZKL pipeline vs the tuned one, single and batched, on the same windows: build/reports/bench/ ($ZKALERT_REPORTS/bench/)."""
    from zkalert.lab import bench

    check_kind(detector_kind)
    if cluster_scaling:
        bench.run_cluster_scaling(
            Workspace.at(workdir),
            proofs=windows,
            memory_budget_bytes=int(memory_budget_gb * 1e9),
            echo=typer.echo,
        )
        return

    try:
        sizes = tuple(int(b) for b in batch_sizes.split(",") if b.strip())
    except ValueError:
        raise ConfigError(
            f"--batch-sizes must be comma-separated integers, got {batch_sizes!r}"
        ) from None
    for b in sizes:
        if not 2 <= b <= 64:
            raise ConfigError(f"batch size {b} must be between 2 and 64")
    options = bench.BenchOptions(
        windows=windows,
        batch_sizes=sizes,
        agreement_windows=agreement_windows,
        memory_budget_bytes=int(memory_budget_gb * 1e9),
        detector=detector_kind,
    )
    bench.run(options, echo=typer.echo)


@app.command("deploy")
def deploy_cmd(
    workdir: WorkdirOpt = None,
    rpc_url_opt: RpcOpt = None,
    window_log: Annotated[
        bool,
        typer.Option("--window-log", help="Also deploy the lazy policy's WindowLog (services)."),
    ] = False,
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
    allow_dev_srs: AllowDevSrsOpt = False,
) -> None:
    """Deploy the compiled model's verifier (and the registry, if the chain has none), registered
    with the SRS id of the SRS it was built with."""
    from zkalert.evm.registry import deploy
    from zkalert.evm.rpc import connect
    from zkalert.zk.circuit import CircuitInfo

    settings = key_settings(keystore, account, password_file)
    info = CircuitInfo.load(Workspace.at(workdir))
    url = rpc_or_default(rpc_url_opt)
    deployer = signer(connect(url).eth.chain_id, settings)
    deployment = deploy(info, url, key=deployer, allow_dev_srs=allow_dev_srs, warn=warn_line)
    model = deployment.model(info.model_id)
    typer.echo(
        f"chain {deployment.chain_id}: AlertRegistry {deployment.registry_address}; model {info.model_id} -> verifier {model.verifier} (SRS {model.srs_id or 'unknown'})"
    )
    if window_log:
        from zkalert.evm.windowlog import deploy_window_log

        typer.echo(
            f"chain {deployment.chain_id}: WindowLog {deploy_window_log(url, deployer).address}"
        )


WINDOWS_FILE_HELP = (
    "CSV (header row) or Parquet file, one window per row in raw units: the detector's columns "
    "are read by name (other columns are ignored)."
)


def _windows_for(detector: Detector, info: CircuitInfo, path: Path) -> FloatArray:
    """The raw windows of a file for this detector and circuit (notes on stderr)."""
    from zkalert.errors import CircuitError

    if info.width != detector.width:
        raise CircuitError(
            f"the detector takes {detector.width} values per window but the compiled circuit "
            f"{info.width}: run `zkalert compile` again"
        )
    windows, notes = detector.read_windows(path)
    for note in notes:
        typer.echo(f"  note: {note}", err=True)
    return windows


@app.command("prove")
def prove_cmd(
    windows_csv: Annotated[Path, typer.Argument(help=WINDOWS_FILE_HELP)],
    stream: Annotated[
        str, typer.Option(help="Stream name the proofs are for, e.g. plant-a/unit-3.")
    ],
    first_index: Annotated[
        int,
        typer.Option(
            "--first-index",
            min=0,
            help="The first row's window index in the stream (row i gets first + i).",
        ),
    ] = 0,
    gateway_opt: Annotated[
        str | None,
        typer.Option(
            "--gateway",
            help="Gateway account the proofs are for (default: the signing key's account).",
        ),
    ] = None,
    workdir: WorkdirOpt = None,
    json_out: JsonOpt = False,
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
    cluster: ClusterOpt = None,
    workers: ProveWorkersOpt = None,
) -> None:
    """Prove every window of a file for one gateway, stream and window indexes; proof files go to <workdir>/proofs/.

    Several windows are proven at once on a Dask cluster: an embedded one on this machine, or a
    plant's with --cluster (--workers 1: one after another in this process)."""
    from eth_account import Account
    from eth_utils import is_address, to_checksum_address

    from zkalert.cluster.worker import ProofJob
    from zkalert.detector.model import Detector
    from zkalert.evm.ids import stream_id
    from zkalert.keys import ANVIL_KEY_0, load_signer
    from zkalert.zk.prover import ProvenWindow, Prover
    from zkalert.zk.statement import Binding

    if gateway_opt is not None and not is_address(gateway_opt):
        raise ConfigError(
            f"--gateway {gateway_opt!r} is not an account address (0x and 40 hex digits)"
        )
    if gateway_opt:
        gateway = to_checksum_address(gateway_opt)
    else:  # no chain here: the account the key will submit from (anvil's account 0 by default)
        key = load_signer(key_settings(keystore, account, password_file))
        gateway = key.address if key else Account.from_key(ANVIL_KEY_0).address
    if not stream:
        raise ConfigError("--stream must not be empty")
    workspace = Workspace.at(workdir)
    detector = Detector.load(workspace)
    prover = Prover(workspace)
    windows = _windows_for(detector, prover.info, windows_csv)
    scaled = detector.scale(windows)
    scores = detector.score_scaled(scaled)
    jobs = [
        ProofJob(
            scaled[i : i + 1],
            f"{windows_csv.stem}-{i}",
            Binding(gateway, stream_id(stream), first_index + i),
            float(scores[i]),
        )
        for i in range(len(scaled))
    ]
    results: dict[int, dict[str, object]] = {}

    def done(i: int, proven: ProvenWindow, worker: str | None) -> None:
        alarm = proven.score_felt >= prover.info.threshold_felt
        results[i] = {
            "window": i,
            "index": first_index + i,
            "proof": str(proven.proof_path),
            "score": prover.info.felt_to_score(proven.score_felt),
            "alarm": alarm,
            "witness_s": round(proven.witness_s, 3),
            "prove_s": round(proven.prove_s, 3),
            "prover": worker,
        }
        if not json_out:
            on = f" on {worker}" if worker else ""
            typer.echo(
                f"window {i} (index {first_index + i}): score {prover.info.felt_to_score(proven.score_felt):.4f} {'ALARM' if alarm else 'normal'} -> {proven.proof_path} ({proven.prove_s:.2f} s{on})"
            )

    if cluster is not None or (len(jobs) > 1 and workers != 1):
        with proving_cluster(cluster, workspace, workers) as proving:
            if not json_out:
                typer.echo(f"proving {len(jobs)} window(s) on {proving.describe()}", err=True)
            for i, result in proving.prove_each(workspace, jobs):
                done(i, result.proven, result.worker)
    else:
        for i, job in enumerate(jobs):
            done(i, prover.prove(job.windows, job.name, job.binding, job.float_score), None)
    if json_out:
        typer.echo(json.dumps([results[i] for i in sorted(results)], indent=2))


@app.command("submit")
def submit_cmd(
    proofs: Annotated[list[Path], typer.Argument(help="Proof files written by `zkalert prove`.")],
    stream: Annotated[str, typer.Option(help="Stream name, e.g. plant-a/unit-3.")],
    workdir: WorkdirOpt = None,
    rpc_url_opt: RpcOpt = None,
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Submit proofs to the registry, in the order given, each at the window index it was proven for."""
    from zkalert.evm.ids import stream_id
    from zkalert.evm.registry import Deployment, Gateway
    from zkalert.evm.rpc import connect
    from zkalert.zk.circuit import CircuitInfo
    from zkalert.zk.prover import ProvenWindow

    info = CircuitInfo.load(Workspace.at(workdir))
    for path in proofs:
        if not path.is_file():
            raise ProofError(f"{path}: no such proof file")
    settings = key_settings(keystore, account, password_file)
    w3 = connect(rpc_or_default(rpc_url_opt))
    key = signer(w3.eth.chain_id, settings)
    gateway = Gateway(w3, Deployment.load(w3.eth.chain_id), key)
    for path in proofs:
        proven = ProvenWindow.from_proof_file(path, commitment=info.commitment)
        sub = gateway.submit(stream_id(stream), info.model_id, proven)
        typer.echo(
            f"{path.name}: recorded in block {sub.block}, tx {sub.tx_hash}, gas {sub.gas_used:,}, calldata {sub.calldata_bytes:,} B"
        )


stream_app = typer.Typer(
    no_args_is_help=True,
    help="The registry owner's streams: open one for a gateway, or hand it over.",
)
app.add_typer(stream_app, name="stream")


@stream_app.command("open")
def stream_open_cmd(
    name: Annotated[str, typer.Argument(help="Stream name, e.g. te/fault-01.")],
    gateway: Annotated[
        str | None,
        typer.Option(
            "--gateway",
            help="The gateway account that may submit for it (default: the signing key's own).",
        ),
    ] = None,
    rpc_url_opt: RpcOpt = None,
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Open a stream for one gateway (owner only; also hands an open stream to another gateway)."""
    from web3 import Web3

    from zkalert.evm.ids import stream_id
    from zkalert.evm.registry import Deployment, Gateway
    from zkalert.evm.rpc import connect

    if gateway is not None and not Web3.is_address(gateway):
        raise ConfigError(f"--gateway {gateway!r} is not an account address")
    settings = key_settings(keystore, account, password_file)
    w3 = connect(rpc_or_default(rpc_url_opt))
    key = signer(w3.eth.chain_id, settings)
    owner = Gateway(w3, Deployment.load(w3.eth.chain_id), key)
    gateway = gateway or owner.account.address  # the owner submits too (a one-account plant)
    tx = owner.open_stream(stream_id(name), gateway)
    typer.echo(
        f"stream {name!r} (0x{stream_id(name).hex()}) opened for {Web3.to_checksum_address(gateway)}: {tx}"
    )


@app.command("alerts")
def alerts_cmd(
    stream: Annotated[str | None, typer.Option(help="Only this stream (by name).")] = None,
    from_block: Annotated[
        int | None,
        typer.Option(min=0, help="First block (default: the registry's deployment block)."),
    ] = None,
    json_out: JsonOpt = False,
    rpc_url_opt: RpcOpt = None,
    # filters and receipts; the hash chains are always checked on everything read
    to_block: Annotated[
        int | None, typer.Option(min=0, help="Last block (default: the chain head).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Only alerts of this model id (0x + 64 hex).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only alerts in blocks at or after this time (ISO 8601, UTC if no zone, or unix seconds)."
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only alerts in blocks at or before this time.")
    ] = None,
    alarm_only: Annotated[
        bool, typer.Option("--alarm-only", help="Only alerts whose alarm bit is set.")
    ] = False,
    export_receipts: Annotated[
        Path | None,
        typer.Option(
            help="Write one self-contained, offline-checkable receipt per listed alert here."
        ),
    ] = None,
) -> None:
    """List the recorded alerts from the chain's events and check every hash chain."""
    from zkalert.cli.services import AlertFilters, select_alerts
    from zkalert.evm.ids import stream_id
    from zkalert.evm.log import check_chain, fetch_alerts, without_orphans
    from zkalert.evm.registry import Deployment
    from zkalert.evm.rpc import connect

    w3 = connect(rpc_or_default(rpc_url_opt))
    deployment = Deployment.load(w3.eth.chain_id)
    registry = deployment.registry(w3)
    start = deployment.block if from_block is None else from_block
    filters = AlertFilters.parse(w3, start, to_block, model, since, until, alarm_only)
    entries = fetch_alerts(
        registry, from_block=start, to_block=to_block, stream=stream_id(stream) if stream else None
    )
    checks = check_chain(
        registry, entries, complete_history=start <= deployment.block and to_block is None
    )
    intact = all(c.ok for c in checks)
    entries = without_orphans(entries, checks)
    shown = select_alerts(w3, entries, filters)
    if export_receipts is not None:
        from zkalert.evm.receipts import build_receipts, write_receipts

        by_stream: dict[str, list[AlertEntry]] = {}
        for e in entries:
            by_stream.setdefault(e.stream_id, []).append(e)
        paths = write_receipts(
            build_receipts(w3, registry, deployment.chain_id, shown, by_stream), export_receipts
        )
        typer.echo(f"{len(paths)} receipt(s) written to {export_receipts}", err=True)
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "chain_id": deployment.chain_id,
                    "registry": deployment.registry_address,
                    "alerts": [e.to_json() for e in shown],
                    "streams": [
                        {
                            "stream_id": c.stream_id,
                            "records": c.records,
                            "onchain_count": c.onchain_count,
                            "head": c.onchain_head,
                            "intact": c.ok,
                            "problems": c.problems,
                            "orphan_events": [o.to_json() for o in c.orphans],
                        }
                        for c in checks
                    ],
                    "chain_intact": intact,
                    "filters": filters.to_json(),
                },
                indent=2,
            )
        )
    else:
        typer.echo(
            f"{'stream':<12} {'seq':>4} {'alarm':<5} {'score':>8} {'block':>6} {'alert hash':<20} {'prev hash':<20} tx"
        )
        for e in shown:
            typer.echo(
                f"{e.stream_id[:10]:<12} {e.seq:>4} {e.alarm!s:<5} {e.score:>8} {e.block:>6} {e.alert_hash[:18]:<20} {e.prev_hash[:18]:<20} {e.tx_hash[:18]}"
            )
        for c in checks:
            typer.echo(
                f"stream {c.stream_id[:10]}: {c.records} records; chain {'intact' if c.ok else 'BROKEN: ' + '; '.join(c.problems)}"
            )
            for o in c.orphans:
                typer.echo(
                    f"  note: the node returned an event the registry's storage does not hold "
                    f"(seq {o.seq}, block {o.block}, tx {o.tx_hash}); not counted",
                    err=True,
                )
    if not intact:
        raise typer.Exit(2)


@app.command("demo")
def demo_cmd(
    alerts_per_stream: Annotated[
        int, typer.Option(min=1, max=50, help="Alerts per fault stream.")
    ] = 2,
    epochs: Annotated[int, typer.Option(min=1)] = 200,
    workdir: WorkdirOpt = None,
    rpc_url_opt: RpcOpt = None,
    allow_dev_srs: AllowDevSrsOpt = False,
    srs: Annotated[
        Path | None,
        typer.Option(
            help="A powers-of-tau transcript or EZKL SRS file; without it the demo runs a "
            "two-party ceremony here (utility, regulator, beacon; kept for later runs)."
        ),
    ] = None,
    detector_kind: Annotated[
        str, typer.Option("--detector", help="The member of the detector family to run.")
    ] = DEFAULT_DETECTOR,
) -> None:
    """Train, compile, deploy, prove and submit real TE fault alerts; print Table I.

    The circuit is built on a two-party ceremony's SRS, never on a development one."""
    from zkalert.evm import localnode
    from zkalert.lab import demo

    check_kind(detector_kind)
    url = rpc_or_default(rpc_url_opt)
    # no endpoint given: the demo's own local node; an endpoint given: start one there only if none answers
    if (rpc_url_opt is None or not localnode.answers(url)) and localnode.start(url):
        typer.echo(f"started a local anvil at {url} (stop it with `zkalert node stop`)")
    report = demo.run(
        demo.DemoOptions(
            alerts_per_stream=alerts_per_stream,
            epochs=epochs,
            workspace=workdir,
            rpc_url=url,
            allow_dev_srs=allow_dev_srs,
            srs=srs,
            detector=detector_kind,
        ),
        echo=typer.echo,
    )
    if report["summary"].get("true_rate") != 1.0:
        raise ChainError("not every alert verified on-chain (TRUE rate below 100%)")


@node_app.command("start")
def node_start(
    rpc_url_opt: RpcOpt = None,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (interval mining, like a PoA chain).")
    ] = None,
) -> None:
    """Start anvil in the background (no-op if a node already answers)."""
    from zkalert.evm import localnode

    url = rpc_or_default(rpc_url_opt)
    typer.echo(
        f"anvil started at {url}"
        if localnode.start(url, block_time)
        else f"a node already answers at {url}"
    )


@node_app.command("stop")
def node_stop() -> None:
    """Stop the anvil started by `zkalert node start` or the demo."""
    from zkalert.evm import localnode

    typer.echo("anvil stopped" if localnode.stop() else "no anvil started by zkalert is running")


# ---------------------------------------------------------------------------
# Durable submission: the outbox, its worker and the soak run.
# Modules: outbox.py (SQLite WAL state machine), sender.py (nonces, fees, replacement,
# confirmations, reorgs, retries), netconfig.py (networks.toml), faults.py, soak.py.
# ---------------------------------------------------------------------------

outbox_app = typer.Typer(
    no_args_is_help=True,
    help="The durable outbox: enqueue windows, run the gateway worker, inspect.",
)
app.add_typer(outbox_app, name="outbox")

NetworkOpt = Annotated[
    str | None,
    typer.Option(
        "--network", help="Network in networks.toml (default: $ZKALERT_NETWORK or anvil)."
    ),
]
OutboxOpt = Annotated[
    Path | None,
    typer.Option("--outbox", help="Outbox file (default: <workdir>/outbox/<network>.sqlite)."),
]


def _network(name: str | None, rpc_url_opt: str | None) -> Network:
    from zkalert.gateway.networks import load_network

    return load_network(name, rpc_url=rpc_url_opt)


def _outbox_path(outbox: Path | None, workdir: Path | None, network: Network) -> Path:
    from zkalert.gateway.outbox import default_outbox_path

    return (
        outbox
        if outbox is not None
        else default_outbox_path(Workspace.at(workdir).root, network.name)
    )


@outbox_app.command("enqueue")
def outbox_enqueue_cmd(
    windows_csv: Annotated[Path, typer.Argument(help=WINDOWS_FILE_HELP)],
    stream: Annotated[str, typer.Option(help="Stream name, e.g. plant-a/unit-3.")],
    first_index: Annotated[
        int,
        typer.Option(
            "--first-index",
            min=0,
            help="The first row's window index in the stream (row i gets first + i).",
        ),
    ] = 0,
    workdir: WorkdirOpt = None,
    network_name: NetworkOpt = None,
    outbox: OutboxOpt = None,
) -> None:
    """Score every window of a file and record it (state: scored); `outbox run` proves and sends."""
    from zkalert.detector.model import Detector
    from zkalert.gateway.outbox import Outbox
    from zkalert.zk.circuit import CircuitInfo

    workspace = Workspace.at(workdir)
    detector = Detector.load(workspace)
    info = CircuitInfo.load(workspace)
    windows = _windows_for(detector, info, windows_csv)
    scaled = detector.scale(windows)
    scores = detector.score_scaled(scaled)
    path = _outbox_path(outbox, workdir, _network(network_name, None))
    with Outbox.open(path) as box:
        ids = [
            box.enqueue(
                stream,
                f"{stream}/{windows_csv.name}#{i}",
                info.model_id,
                scaled[i : i + 1],
                float(scores[i]),
                index=first_index + i,
            )
            for i in range(len(scaled))
        ]
    typer.echo(
        f"{len(ids)} windows recorded in {path} (rows {ids[0]}..{ids[-1]}); run `zkalert outbox run` to prove and send them"
    )


@outbox_app.command("add")
def outbox_add_cmd(
    proofs: Annotated[list[Path], typer.Argument(help="Proof files written by `zkalert prove`.")],
    stream: Annotated[str, typer.Option(help="Stream name.")],
    workdir: WorkdirOpt = None,
    network_name: NetworkOpt = None,
    outbox: OutboxOpt = None,
) -> None:
    """Record already proven windows (state: proven), in the order given."""
    from zkalert.gateway.outbox import Outbox
    from zkalert.zk.circuit import CircuitInfo
    from zkalert.zk.prover import ProvenWindow

    info = CircuitInfo.load(Workspace.at(workdir))
    for proof_path in proofs:
        if not proof_path.is_file():
            raise ProofError(f"{proof_path}: no such proof file")
    path = _outbox_path(outbox, workdir, _network(network_name, None))
    with Outbox.open(path) as box:
        for proof_path in proofs:
            proven = ProvenWindow.from_proof_file(proof_path, commitment=info.commitment)
            box.enqueue_proven(
                stream,
                f"{stream}/{proof_path.name}",
                info.model_id,
                proven.proof,
                proven.instances,
                commitment=info.commitment,
                index=proven.first_index,
            )
    typer.echo(f"{len(proofs)} proofs recorded in {path}")


@outbox_app.command("run")
def outbox_run_cmd(
    workdir: WorkdirOpt = None,
    network_name: NetworkOpt = None,
    rpc_url_opt: RpcOpt = None,
    outbox: OutboxOpt = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", help="Keep running when the outbox is drained (a gateway daemon)."
        ),
    ] = False,
    timeout: Annotated[
        float | None, typer.Option(min=1, help="Give up after this many seconds.")
    ] = None,
    no_prove: Annotated[
        bool, typer.Option("--no-prove", help="Send proven rows only; leave scored rows alone.")
    ] = False,
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
    cluster: ClusterOpt = None,
    workers: ProveWorkersOpt = None,
) -> None:
    """The gateway worker: prove scored rows, send, confirm, and survive crashes, reorgs and outages.

    Scored rows are proven on a Dask cluster, as many at once as it has workers: an embedded one
    on this machine, or a plant's with --cluster (--workers 1: one after another in this process)."""
    from zkalert.gateway.networks import dev_chain_ids
    from zkalert.gateway.sender import open_sender
    from zkalert.keys import load_signer

    # opened now (a prompt before the worker starts), checked once the node has said its chain id
    key = load_signer(key_settings(keystore, account, password_file))
    network = _network(network_name, rpc_url_opt)
    path = _outbox_path(outbox, workdir, network)
    workspace_root = None if no_prove else Workspace.at(workdir).root
    from contextlib import ExitStack

    with ExitStack() as stack:
        proving = None
        if workspace_root is not None and (cluster is not None or workers != 1):
            proving = stack.enter_context(
                proving_cluster(cluster, Workspace.at(workspace_root), workers)
            )
            typer.echo(f"proving on {proving.describe()}", err=True)
        sender = open_sender(
            network,
            path,
            key,
            workspace_root,
            echo=lambda m: typer.echo(m, err=True),
            dev_chains=dev_chain_ids(),
            cluster=proving,
        )
        typer.echo(
            f"gateway {sender.account.address} on {network.name} (chain {network.chain_id}); outbox {path}: {sender.outbox.counts()}",
            err=True,
        )
        stats = sender.run(until_done=not follow, timeout_s=timeout)
    counts = sender.outbox.counts()
    typer.echo(json.dumps({"outbox": counts, "stats": stats.as_dict()}))
    if counts["refused"]:
        raise ChainError(
            f"{counts['refused']} alert(s) were refused (by the registry, or unprovable): `zkalert outbox status` lists them"
        )


@outbox_app.command("status")
def outbox_status_cmd(
    workdir: WorkdirOpt = None,
    network_name: NetworkOpt = None,
    outbox: OutboxOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Counts per state, and every row that is not confirmed (read-only; safe while a worker runs)."""
    from zkalert.gateway.outbox import Outbox

    path = _outbox_path(outbox, workdir, _network(network_name, None))
    with Outbox.open(path, readonly=True) as box:
        counts, meta, events = box.counts(), box.meta(), box.event_counts()
        open_rows = [r for r in box.rows() if r.state != "confirmed"]
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "outbox": str(path),
                    "meta": meta,
                    "counts": counts,
                    "events": events,
                    "open": [
                        {
                            "id": r.id,
                            "stream": r.stream,
                            "window": r.window_key,
                            "state": r.state,
                            "nonce": r.nonce,
                            "sends": r.sends,
                            "error": r.error,
                        }
                        for r in open_rows
                    ],
                },
                indent=2,
            )
        )
        return
    typer.echo(
        f"{path} (chain {meta.get('chain_id')}, registry {meta.get('registry')}, gateway {meta.get('gateway')})"
    )
    typer.echo("  ".join(f"{state} {n}" for state, n in counts.items()))
    for r in open_rows:
        typer.echo(
            f"  row {r.id:>5} {r.state:<8} {r.stream} {r.window_key} nonce={r.nonce} sends={r.sends} {r.error or ''}"
        )


@app.command("doctor")
def doctor_cmd(
    ctx: typer.Context,
    workdir: WorkdirOpt = None,
    rpc_url_opt: RpcOpt = None,
    network_name: Annotated[
        str | None,
        typer.Option(
            "--network",
            help="Check against this network of networks.toml: its rpc_url and chain id.",
        ),
    ] = None,
    deployments: Annotated[
        Path | None,
        typer.Option(
            "--deployments", help="Folder holding <chain id>/ deployment records (deployments/)."
        ),
    ] = None,
    outbox: OutboxOpt = None,
    gateway: Annotated[
        str | None,
        typer.Option(help="The gateway's address (default: the account of PRIVATE_KEY)."),
    ] = None,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also regenerate the workspace model's verifier from its key and compare its "
            "code, as the audit does (about 10 s).",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Check this gateway's setup, one line per check (ok, warn, FAIL, skip); exit 2 on a FAIL.

    Toolchain and packages, the workspace's circuit and SRS, the node and its chain id, the
    deployment and its contracts' versions and code, the gateway allowed and funded, the outbox.
    """
    from zkalert.gateway.doctor import DoctorOptions, run, summary

    loaded = ctx.find_root().obj  # the settings, or why they did not load
    options = DoctorOptions(
        workdir=workdir,
        rpc_url=rpc_url_opt,
        network=network_name,
        deployments=deployments,
        outbox=outbox,
        gateway=gateway,
        deep=deep,
        key=None if isinstance(loaded, ConfigError) else key_settings(None, None, None),
        config_file=getattr(loaded, "file", None),
        config_error=str(loaded) if isinstance(loaded, ConfigError) else None,
    )
    checks = run(options, progress=None if json_out else lambda c: typer.echo(c.line))
    counts = summary(checks)
    if json_out:
        typer.echo(
            json.dumps(
                {
                    "ok": counts["fail"] == 0,
                    "summary": counts,
                    "checks": [c.as_dict() for c in checks],
                },
                indent=2,
            )
        )
    else:
        typer.echo(
            f"doctor: {counts['ok']} ok, {counts['warn']} warn, {counts['fail']} FAIL, "
            f"{counts['skip']} skipped"
        )
    if counts["fail"]:
        raise typer.Exit(EXIT_USAGE_OR_FINDINGS)


@app.command("soak")
def soak_cmd(
    alerts: Annotated[
        int, typer.Option(min=1, max=5000, help="Alerts (distinct real proofs) to push through.")
    ] = 300,
    streams: Annotated[
        int, typer.Option(min=1, max=21, help="Streams (one Tennessee Eastman fault run each).")
    ] = 5,
    workdir: WorkdirOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the fault schedule.")] = 1,
    block_time: Annotated[
        float, typer.Option(min=0.5, help="anvil interval mining, seconds per block.")
    ] = 1.0,
    confirmations: Annotated[int, typer.Option(min=1, help="Confirmation depth.")] = 2,
    faults: Annotated[
        str, typer.Option(help="Comma-separated faults to inject (default: all).")
    ] = "all",
    twin: Annotated[
        bool,
        typer.Option(
            "--twin/--no-twin", help="A second gateway process with the same key and alerts."
        ),
    ] = True,
    max_minutes: Annotated[
        float, typer.Option(min=1, help="Stop injecting after this long if not drained.")
    ] = 60.0,
) -> None:
    """Hundreds of real alerts through two gateway processes under random faults; counts lost and duplicated."""
    from zkalert.lab import soak

    chosen = (
        soak.ALL_FAULTS
        if faults == "all"
        else tuple(f.strip() for f in faults.split(",") if f.strip())
    )
    options = soak.SoakOptions(
        alerts=alerts,
        streams=streams,
        workspace=workdir,
        seed=seed,
        block_time_s=block_time,
        confirmations=confirmations,
        faults=chosen,
        twin=twin,
        max_minutes=max_minutes,
    )
    report = soak.run(options, echo=typer.echo)
    typer.echo(soak.markdown(report))
    a = report["alerts"]
    if (
        a["lost"]
        or a["duplicated"]
        or a["out_of_order_streams"]
        or a["streams_whose_events_differ"]
        or not report["chain"]["intact"]
    ):
        raise OutboxError(
            f"soak failed: {a['lost']} lost, {a['duplicated']} duplicated, {a['out_of_order_streams']} streams out of "
            f"order in the registry, {a['streams_whose_events_differ']} whose events differ (build/reports/soak/soak.json)"
        )


@app.command("load-test")
def load_test_cmd(
    workdir: WorkdirOpt = None,
    writers: Annotated[
        int, typer.Option(min=1, max=32, help="Gateway writers, one stream each.")
    ] = 4,
    readers: Annotated[
        int, typer.Option(min=0, max=32, help="Readers of /v1/status and /v1/windows.")
    ] = 4,
    regulators: Annotated[
        int, typer.Option(min=1, max=16, help="Regulators asking for proofs.")
    ] = 2,
    seconds: Annotated[
        float, typer.Option(min=5, max=600, help="Length of the ingest-alone phase.")
    ] = 30.0,
    proof_requests: Annotated[
        int,
        typer.Option(
            min=2, max=100, help="Proof requests per regulator (one window, then a range, ...)."
        ),
    ] = 6,
    range_size: Annotated[
        int, typer.Option("--range", min=2, max=16, help="Windows per range request.")
    ] = 3,
    cluster: ClusterOpt = None,
    workers: ProveWorkersOpt = None,
) -> None:
    """The utility service on loopback under gateway ingest, readers and regulators' proof
    requests, on a fresh local anvil: p50/p95 per endpoint, 429s, exactly-once checks
    (build/reports/load/)."""
    from zkalert.lab import load

    options = load.LoadOptions(
        workdir=Workspace.at(workdir).root,
        writers=writers,
        readers=readers,
        regulators=regulators,
        seconds=seconds,
        proof_requests=proof_requests,
        range_size=range_size,
        cluster=cluster,
        workers=workers,
    )
    report = load.run(options, echo=typer.echo)
    typer.echo(load.markdown(report))


# ---------------------------------------------------------------------------
# Detection quality: `zkalert evaluate`.
# Modules: evaluate.py (run + report), quality.py (metrics), baseline.py (PCA T²/Q),
# datasets.py (Tennessee Eastman, Edge-IIoTset, any labelled CSV).
# ---------------------------------------------------------------------------


@app.command("evaluate")
def evaluate_cmd(
    data: Annotated[
        str,
        typer.Option(
            help="te (Tennessee Eastman, default), edge-iiotset or csv (with --csv), or a plant's "
            "CSV or Parquet file read as `zkalert train --data` reads it (needs --label-column)."
        ),
    ] = "te",
    csv: Annotated[
        Path | None, typer.Option(help="The CSV for --data edge-iiotset or csv.")
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option(
            help="Label column: 0 normal, 1 anomalous (--data csv); normal is --normal-label "
            "(default 0), anything else anomalous (a plant file)."
        ),
    ] = None,
    columns: ColumnsOpt = None,
    column_pattern: ColumnPatternOpt = None,
    normal_label: NormalLabelOpt = None,
    order_column: OrderColumnOpt = None,
    sampling_s: SamplingOpt = None,
    group_column: Annotated[
        str | None, typer.Option(help="CSV column naming the anomaly kind, for per-group rates.")
    ] = None,
    drop_column: Annotated[
        list[str] | None, typer.Option(help="CSV column to ignore (repeatable).")
    ] = None,
    categorical: Annotated[
        list[str] | None, typer.Option(help="CSV column to one-hot encode (repeatable).")
    ] = None,
    ordered: Annotated[
        bool,
        typer.Option(
            "--ordered", help="Split the CSV in file order (time series) instead of at random."
        ),
    ] = False,
    drop_missing: Annotated[
        bool,
        typer.Option(
            "--drop-missing", help="Drop CSV rows with missing values instead of refusing them."
        ),
    ] = False,
    max_train_windows: Annotated[
        int | None, typer.Option(min=1, help="Cap on normal training windows (CSV data; sampled).")
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed for training, splits and the parity sample.")] = 0,
    threshold: Annotated[
        str,
        typer.Option(
            help="Threshold rule: best-f1 (the paper's) or far (target false-alarm rate)."
        ),
    ] = "best-f1",
    target_far: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.5,
            help="Target false-alarm rate on validation normals for --threshold far.",
        ),
    ] = 0.01,
    compare_far: Annotated[
        float,
        typer.Option(min=0.001, max=0.5, help="False-alarm rate of the side-by-side ROC read-out."),
    ] = 0.05,
    parity: Annotated[
        bool,
        typer.Option(
            "--parity/--no-parity",
            help="Run every test window through the EZKL circuit (witness only).",
        ),
    ] = True,
    parity_windows: Annotated[
        int | None,
        typer.Option(min=1, help="Check this many test windows (seeded sample) instead of all."),
    ] = None,
    detector_from: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate the detector trained in this workspace instead of training one."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Report folder (default build/reports/evaluate/, or $ZKALERT_REPORTS/evaluate/)."
        ),
    ] = None,
    workdir: WorkdirOpt = None,
    cluster: ClusterOpt = None,
    workers: ProveWorkersOpt = None,
    family: Annotated[
        bool,
        typer.Option(
            "--family",
            help="Then every member of the detector family on the same windows: detection, "
            "parity, rows, proving time, peak memory, the default rule (family.md, pareto.png).",
        ),
    ] = False,
    family_windows: Annotated[
        int,
        typer.Option(min=1, help="Test windows (seeded sample) each member's parity checks."),
    ] = 2000,
) -> None:
    """Detection quality of the detector next to a PCA T²/Q baseline, and in-circuit parity
    (witnesses on the proving cluster: embedded on this machine, or --cluster)."""
    from zkalert.data import datasets

    kinds = ("te", "edge-iiotset", "csv")
    plant_options = (columns, column_pattern, normal_label, order_column, sampling_s)
    if data not in kinds:
        if csv is not None:
            raise ConfigError("--csv is for --data edge-iiotset or csv, not a plant file")
        from zkalert.data.source import load

        plant = load(
            data_source(
                Path(data),
                columns,
                column_pattern,
                label_column,
                order_column,
                normal_label,
                sampling_s,
            ),
            seed=seed,
        )
        dataset = datasets.from_plant(plant)
        _echo_data(plant)
        _evaluate(dataset, epochs, seed, threshold, target_far, compare_far,
                  parity, parity_windows, workdir, detector_from, out, cluster, workers,
                  family_windows if family else None)  # fmt: skip
        return
    if any(option is not None for option in plant_options):
        raise ConfigError(
            "--columns, --column-pattern, --normal-label, --order-column and --sampling-s are for "
            "a plant file (--data PATH)"
        )
    if data != "te" and csv is None:
        raise ConfigError(f"--data {data} needs --csv PATH")
    if data == "csv" and not label_column:
        raise ConfigError("--data csv needs --label-column NAME (0 normal, 1 anomalous)")
    if data == "te" and (csv or label_column):
        raise ConfigError(
            "--csv/--label-column are for --data edge-iiotset or csv; Tennessee Eastman ships with bibmon"
        )
    if data == "te":
        dataset = datasets.tennessee_eastman(seed=seed)
    elif data == "edge-iiotset":
        assert csv is not None  # checked above
        dataset = datasets.load_edge_iiotset(
            csv,
            seed=seed,
            **({"max_train_windows": max_train_windows} if max_train_windows else {}),
        )
    else:
        assert csv is not None and label_column is not None  # checked above
        dataset = datasets.load_labelled_csv(
            csv, label_column, drop_columns=drop_column or (), categorical_columns=categorical or (),
            group_column=group_column, ordered=ordered, drop_missing=drop_missing,
            max_train_windows=max_train_windows, seed=seed,
        )  # fmt: skip
    _evaluate(dataset, epochs, seed, threshold, target_far, compare_far, parity, parity_windows,
              workdir, detector_from, out, cluster, workers,
              family_windows if family else None)  # fmt: skip


def _evaluate(
    dataset: EvaluationData,
    epochs: int,
    seed: int,
    threshold: str,
    target_far: float,
    compare_far: float,
    parity: bool,
    parity_windows: int | None,
    workdir: Path | None,
    detector_from: Path | None,
    out: Path | None,
    cluster: str | None = None,
    workers: int | None = None,
    family_windows: int | None = None,
) -> None:
    from zkalert.lab import evaluate

    options = evaluate.EvaluateOptions(
        epochs=epochs, seed=seed, threshold_rule=threshold, target_far=target_far, compare_far=compare_far,
        parity=parity, parity_windows=parity_windows, workspace=workdir, detector_from=detector_from,
        out_dir=out or reports_dir("evaluate"), cluster=cluster, workers=workers,
    )  # fmt: skip
    report = evaluate.run(dataset, options, echo=typer.echo)
    typer.echo("")
    typer.echo(evaluate.summary_table(report))
    if report["parity"] is not None:
        p = report["parity"]
        typer.echo(
            f"\nin-circuit parity: {p['windows_checked'] - p['differing']:,} of {p['windows_checked']:,} decisions identical"
        )
    if family_windows is not None:
        from zkalert.lab import family

        chosen = family.run(
            dataset, options, family.FamilyOptions(parity_windows=family_windows), typer.echo
        )["default"]["chosen"]
        typer.echo(f"family: the default rule picks {chosen or 'no member'}")


# ---------------------------------------------------------------------------
# Services: `zkalert serve utility|regulator|token|push` and `zkalert audit`.
# Commands: cli_services.py; modules: services/ (utility, regulator, audit, store, access,
# client, page), windowlog.py (contracts/WindowLog.sol), receipts.py.
# ---------------------------------------------------------------------------

from zkalert.cli.configure import apply as apply_settings
from zkalert.cli.configure import register_config_commands
from zkalert.cli.services import register_service_commands  # imported here, beside its section

register_service_commands(app)
register_config_commands(app)


#: Exit codes of every command (also in `zkalert --help`).
EXIT_OK, EXIT_ERROR, EXIT_USAGE_OR_FINDINGS, EXIT_INTERRUPTED = 0, 1, 2, 130
#: anvil's well-known development key, or a circuit built on a development SRS, refused on a chain
#: that is not a development chain (docs/keys.md, the threat model).
EXIT_DEV_KEY_REFUSED = 3
#: The errors that exit with EXIT_DEV_KEY_REFUSED.
DEVELOPMENT_REFUSALS = (DevelopmentKeyRefused, DevelopmentSrsRefused)
#: The proving cluster cannot be reached, has no workers or went away (docs/guides/cluster.md):
#: nothing was lost, what was not proven stays queued; running the command again goes on.
EXIT_CLUSTER_UNAVAILABLE = 4


def exit_code_of(exc: ZkAlertError) -> int:
    if isinstance(exc, DEVELOPMENT_REFUSALS):
        return EXIT_DEV_KEY_REFUSED
    if isinstance(exc, ClusterUnavailable):
        return EXIT_CLUSTER_UNAVAILABLE
    return EXIT_ERROR


def _version(value: bool) -> None:
    if value:
        from zkalert import __version__

        typer.echo(f"zkalert {__version__}")
        raise typer.Exit()


@app.callback(
    epilog="Exit codes: 0 ok; 1 error (one line on stderr); 2 usage error, or findings "
    "(a BROKEN chain, a failed audit, a failed doctor check); 3 anvil's public development key, "
    "or a circuit on a development SRS without --allow-dev-srs, refused on a chain that is not for "
    "development; 4 the proving cluster cannot be reached or went away (nothing lost, run again); "
    "130 interrupted."
)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Settings file (default: $ZKALERT_CONFIG, else ./zkalert.toml if present).",
            show_default=False,
        ),
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="SECTION.KEY=VALUE",
            help="Override one setting for this run (repeatable), e.g. --set circuit.scale=9.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Provable anomaly alerts: detector -> EZKL proof -> on-chain log."""
    if ctx.invoked_subcommand == "init":  # init must work beside a broken file, to replace it
        return
    try:
        apply_settings(ctx, config, assignments or [])
    except ConfigError as exc:
        if ctx.invoked_subcommand != "doctor":
            raise
        ctx.obj = exc  # the doctor reports it as its first check and goes on with the defaults


def _is_click_exception(exc: BaseException) -> bool:
    # typer bundles its own copy of click: match the class by name, whichever click raised it
    return any(cls.__name__ == "ClickException" for cls in type(exc).__mro__)


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except ZkAlertError as exc:
        if os.environ.get("ZKALERT_DEBUG"):
            raise
        typer.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(exit_code_of(exc))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:
        if not _is_click_exception(exc) or os.environ.get("ZKALERT_DEBUG"):
            raise
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "zkalert"
        # a ClickException of typer's bundled click, matched by name: its class cannot be named here
        typer.secho(f"error: {exc.format_message()}", fg="red", err=True)  # type: ignore[attr-defined]
        typer.echo(f"try: {command} --help", err=True)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE_OR_FINDINGS))
    # in non-standalone mode click returns a command's typer.Exit code instead of raising it
    sys.exit(code if isinstance(code, int) else EXIT_OK)
