"""Commands of the services, registered on the main CLI by :func:`register_service_commands`.

zkalert serve utility         the utility's REST service: ingest, commit, prove on request
zkalert serve regulator       the regulator's REST service and read-only web page
zkalert serve token NAME      add an API token to a tokens file (prints the secret once)
zkalert serve push CSV        send a CSV's rows to a utility as one stream's windows
zkalert audit --stream NAME   audit a stream: chain, gaps, keys, proofs from the utility
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from zkalert.cli.options import (
    AcceptedSrsOpt,
    AccountOpt,
    ClusterOpt,
    ColumnsOpt,
    FusionOpt,
    KeystoreOpt,
    OnDelayOpt,
    PasswordFileOpt,
    PlantOpt,
    ProveWorkersOpt,
    RpcOpt,
    SrsIdOpt,
    WorkdirOpt,
    cluster_timeout_s,
    key_settings,
    rpc_or_default,
)
from zkalert.config import PROJECT_ROOT, Workspace
from zkalert.errors import ChainError, ConfigError, UtilityError
from zkalert.timeseries.plant import DEFAULT_FUSION, DEFAULT_ON_DELAY, PlantRule

serve_app = typer.Typer(
    no_args_is_help=True, help="Run the utility or regulator service; manage tokens; push windows."
)

HostOpt = Annotated[str, typer.Option(help="Interface to listen on.")]
FolderOpt = Annotated[
    Path | None,
    typer.Option(
        "--folder",
        help="Regulator folder: regulator.sqlite, key cache, reports/ (default <workdir>/regulator).",
    ),
]
UtilityUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--utility",
        help="The utility service's URL (services.utility_url, $ZKALERT_UTILITY_URL).",
        show_default=False,
    ),
]
UtilityTokenOpt = Annotated[
    str | None,
    typer.Option(
        "--utility-token",
        help="This regulator's token at the utility.",
        envvar="ZKALERT_UTILITY_TOKEN",
        show_default=False,
    ),
]


def _regulator_folder(folder: Path | None, workdir: Path | None) -> Path:
    return folder if folder is not None else Workspace.at(workdir).root / "regulator"


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ConfigError(f"port must be 1..65535, got {value}")
    return value


@serve_app.command("utility")
def serve_utility_cmd(
    tokens: Annotated[
        Path, typer.Option(help="Tokens file (make one with `zkalert serve token`).")
    ],
    workdir: WorkdirOpt = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="SQLite file or postgresql:// URL (default <workdir>/utility/windows.sqlite)."
        ),
    ] = None,
    policy: Annotated[
        str,
        typer.Option(
            help="lazy: commit windows, prove on request; eager: also prove and record every alarm at once."
        ),
    ] = "lazy",
    host: HostOpt = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8901,
    rpc_url_opt: RpcOpt = None,
    commit: Annotated[
        bool, typer.Option("--commit/--no-commit", help="Commit windows to the on-chain WindowLog.")
    ] = True,
    max_range: Annotated[
        int, typer.Option(min=1, max=256, help="Most windows one range request may ask proofs for.")
    ] = 16,
    replay: Annotated[
        Path | None,
        typer.Option(
            help="Ingest this CSV or Parquet file (raw units, the detector's columns by name) as "
            "--stream at start, row i = window i."
        ),
    ] = None,
    stream: Annotated[str | None, typer.Option(help="Stream name for --replay.")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning.")] = "info",
    keystore: KeystoreOpt = None,
    account: AccountOpt = None,
    password_file: PasswordFileOpt = None,
    cluster: ClusterOpt = None,
    workers: ProveWorkersOpt = None,
) -> None:
    """The utility's edge gateway as a REST service (FastAPI + uvicorn); OpenAPI at /docs.

    Proofs are made on a Dask cluster, never in the web process: an embedded one on this machine
    (--workers), or a plant's with --cluster tcp://HOST:PORT."""
    from zkalert.gateway.networks import dev_chain_ids
    from zkalert.keys import load_signer
    from zkalert.services import utility

    if (replay is None) != (stream is None):
        raise ConfigError("--replay and --stream go together")
    # opened now (a prompt comes before the server starts); checked for the chain on connecting
    key = load_signer(key_settings(keystore, account, password_file))
    root = Workspace.at(workdir).root
    config = utility.UtilityConfig(
        workdir=root,
        store=store or str(root / "utility" / "windows.sqlite"),
        tokens=tokens,
        rpc_url=rpc_or_default(rpc_url_opt),
        policy=policy,
        commit=commit,
        max_range=max_range,
        key=key,
        dev_chains=tuple(sorted(dev_chain_ids())),
        cluster=cluster,
        prove_workers=workers,
        cluster_timeout_s=cluster_timeout_s(),
    )
    core = utility.UtilityCore(config)
    if replay is not None and stream is not None:
        _replay(core, replay, stream)
    app = utility.create_app(core)
    import logging

    import uvicorn

    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    typer.echo(
        f"utility service ({policy}) on http://{host}:{_port(port)}; store {core.store.url}; model {core.info.model_id}",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def _replay(core: object, path: Path, stream: str) -> None:
    from zkalert.evm import ids
    from zkalert.services.utility import UtilityCore

    assert isinstance(core, UtilityCore)
    rows, notes = core.detector.read_windows(path)
    for note in notes:
        typer.echo(f"  note: {note}", err=True)
    stream_id = "0x" + ids.stream_id(stream).hex()
    last = core.store.last_index(stream_id)
    todo = [(i, [float(v) for v in rows[i]]) for i in range(len(rows)) if last is None or i > last]
    for start in range(0, len(todo), 64):
        core.ingest(stream, stream_id, todo[start : start + 64])
    typer.echo(
        f"replayed {len(todo)} window(s) of {path} into stream {stream!r} ({len(rows) - len(todo)} stored before)",
        err=True,
    )


@serve_app.command("regulator")
def serve_regulator_cmd(
    utility_url: UtilityUrlOpt = None,
    utility_token: UtilityTokenOpt = None,
    folder: FolderOpt = None,
    workdir: WorkdirOpt = None,
    host: HostOpt = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8902,
    rpc_url_opt: RpcOpt = None,
    tokens: Annotated[
        Path | None,
        typer.Option(help="Tokens file; when given, starting an audit needs one of its tokens."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning.")] = "info",
    srs_id: SrsIdOpt = None,
    accepted_srs: AcceptedSrsOpt = None,
    plant: PlantOpt = [],  # noqa: B006
    on_delay: OnDelayOpt = DEFAULT_ON_DELAY,
    fusion: FusionOpt = DEFAULT_FUSION,
    plant_circuits: Annotated[
        list[Path] | None,
        typer.Option(
            "--plant-circuits",
            help="Folder(s) with the compiled TC and SC circuits: the plant page checks each model against its keys and subsystem.",
        ),
    ] = None,
) -> None:
    """The regulator's service: audits on request (POST /api/audits), a read-only web view at /,
    and with --plant the plant view of time-series streams at /plant."""
    from zkalert.evm.srs import accepted_srs_id
    from zkalert.services import regulator
    from zkalert.timeseries.audit import find_circuits
    from zkalert.timeseries.plant import parse_plant

    if utility_url and not utility_token:
        raise ConfigError("--utility needs --utility-token (or $ZKALERT_UTILITY_TOKEN)")
    config = regulator.RegulatorConfig(
        folder=_regulator_folder(folder, workdir),
        rpc_url=rpc_or_default(rpc_url_opt),
        utility_url=utility_url,
        utility_token=utility_token,
        tokens=tokens,
        accepted_srs=accepted_srs_id(srs_id, accepted_srs),
        plant=parse_plant(plant) if plant else {},
        plant_rule=PlantRule(on_delay, fusion),
        plant_circuits=plant_circuits,
    )
    if plant_circuits is not None:
        try:
            find_circuits(plant_circuits)
        except FileNotFoundError as exc:
            raise ConfigError(f"--plant-circuits: {exc}") from None
    typer.echo(
        f"regulator service on http://{host}:{_port(port)}; folder {config.folder}; utility {utility_url or '(none: chain checks only)'}",
        err=True,
    )
    regulator.serve(config, host, port, log_level)


@serve_app.command("token")
def serve_token_cmd(
    name: Annotated[str, typer.Argument(help="Who holds the token, e.g. regulator-a.")],
    tokens: Annotated[Path, typer.Option(help="Tokens file to add it to (created if missing).")],
    role: Annotated[
        str, typer.Option(help="regulator (proofs), ingest (POST windows) or admin (both).")
    ] = "regulator",
    rate_per_minute: Annotated[
        float, typer.Option(min=0.001, help="Sustained requests (or proven windows) per minute.")
    ] = 60.0,
    burst: Annotated[
        float, typer.Option(min=1, help="Bucket size: requests allowed at once.")
    ] = 20.0,
) -> None:
    """Add a token to a tokens file; the secret is printed once (only its SHA-256 is stored)."""
    from zkalert.services.access import add_token

    typer.echo(add_token(tokens, name, role, rate_per_minute, burst))


@serve_app.command("push")
def serve_push_cmd(
    windows_csv: Annotated[
        Path,
        typer.Argument(help="CSV (header row) or Parquet file, one window per row (raw units)."),
    ],
    stream: Annotated[str, typer.Option(help="Stream name.")],
    url: Annotated[
        str,
        typer.Option(
            help="The utility service's URL (services.utility_url, $ZKALERT_UTILITY_URL).",
            show_default=False,
        ),
    ],
    token: Annotated[
        str,
        typer.Option(help="An ingest token.", envvar="ZKALERT_INGEST_TOKEN", show_default=False),
    ],
    first_index: Annotated[
        int, typer.Option(min=0, help="Window index of the CSV's first row.")
    ] = 0,
    skip: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated window indexes NOT to send (a gateway withholding them)."
        ),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=256, help="Windows per POST.")] = 32,
    columns: ColumnsOpt = None,
) -> None:
    """Send a file's rows to a utility's POST /v1/windows as one stream's windows (every column,
    or --columns: the utility's detector's columns, by name and in its order)."""
    import httpx

    from zkalert.data.source import load_windows, read_frame

    if columns is None:
        rows, _ = load_windows(windows_csv, None, len(read_frame(windows_csv).columns))
    else:
        names = [c.strip() for c in columns.split(",") if c.strip()]
        rows, _ = load_windows(windows_csv, names, len(names))
    try:
        skipped = {int(s) for s in skip.split(",") if s.strip()} if skip else set()
    except ValueError:
        raise ConfigError(f"--skip must be comma-separated integers, got {skip!r}") from None
    windows = [
        {"index": first_index + i, "values": [float(v) for v in rows[i]]}
        for i in range(len(rows))
        if first_index + i not in skipped
    ]
    sent = 0
    with httpx.Client(
        base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as client:
        for start in range(0, len(windows), batch):
            try:
                response = client.post(
                    "/v1/windows",
                    params={"stream": stream},
                    json={"windows": windows[start : start + batch]},
                )
            except httpx.HTTPError as exc:
                raise UtilityError(
                    f"the utility at {url} does not answer ({type(exc).__name__})"
                ) from None
            if response.status_code != 201:
                try:
                    message = response.json().get("error", response.text)
                except ValueError:
                    message = response.text
                raise UtilityError(
                    f"the utility refused windows {windows[start]['index']}..: {message} (HTTP {response.status_code})"
                )
            sent += response.json()["stored"]
    typer.echo(
        f"{sent} window(s) of {windows_csv.name} stored in stream {stream!r}"
        + (f"; withheld {sorted(skipped)}" if skipped else "")
    )


def audit_cmd(
    stream: Annotated[str, typer.Option(help="Stream name or 0x stream id.")],
    utility_url: UtilityUrlOpt = None,
    utility_token: UtilityTokenOpt = None,
    from_block: Annotated[
        int | None, typer.Option(min=0, help="First block (default: the contracts' deployment).")
    ] = None,
    to_block: Annotated[
        int | None, typer.Option(min=0, help="Last block (default: the chain head).")
    ] = None,
    proofs: Annotated[
        str, typer.Option(help="Proofs to ask the utility for: all, alarms or none.")
    ] = "all",
    max_proofs: Annotated[int, typer.Option(min=0, help="At most this many proof requests.")] = 500,
    max_records: Annotated[
        int,
        typer.Option(
            min=1,
            help="Refuse a block range with more commitments (or alerts) than this: audit long histories in parts.",
        ),
    ] = 1_000_000,
    srs: Annotated[
        Path | None,
        typer.Option(
            help="The regulator's own copy of the SRS (default: the utility's, recorded by hash)."
        ),
    ] = None,
    srs_id: SrsIdOpt = None,
    accepted_srs: AcceptedSrsOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default <folder>/reports).")
    ] = None,
    folder: FolderOpt = None,
    workdir: WorkdirOpt = None,
    rpc_url_opt: RpcOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Audit a stream: hash chains, gaps (withheld windows), key invariance, proofs from the utility,
    and the SRS behind every registered model's verifier."""
    from zkalert.evm.rpc import connect
    from zkalert.evm.srs import accepted_srs_id
    from zkalert.services.audit import AuditOptions, run_audit, write_report
    from zkalert.services.client import UtilityClient
    from zkalert.services.regulator import AuditBook, record_audit

    if utility_url and not utility_token:
        raise ConfigError("--utility needs --utility-token (or $ZKALERT_UTILITY_TOKEN)")
    options = AuditOptions(
        stream,
        from_block,
        to_block,
        proofs,
        max_proofs,
        srs=srs,
        max_records=max_records,
        accepted_srs=accepted_srs_id(srs_id, accepted_srs),
    )
    regulator_folder = _regulator_folder(folder, workdir)
    w3 = connect(rpc_or_default(rpc_url_opt))
    client = UtilityClient(utility_url, utility_token) if utility_url and utility_token else None
    try:
        report = run_audit(
            w3, client, options, regulator_folder, echo=(lambda m: typer.echo(m, err=True))
        )
    finally:
        if client is not None:
            client.close()
    json_path, md_path = write_report(report, out or regulator_folder / "reports")
    book = AuditBook(regulator_folder / "regulator.sqlite")
    try:
        record_audit(
            book,
            report,
            json_path,
            md_path,
            {
                "stream": stream,
                "from_block": from_block,
                "to_block": to_block,
                "proofs": proofs,
                "via": "cli",
            },
        )
    finally:
        book.close()
    summary = report["summary"]
    if json_out:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(
            f"audit of {report['audit']['stream'] or report['audit']['stream_id']}: {summary['verdict']} "
            f"({summary['windows_committed']} windows committed, {summary['verified']} verified, {summary['gaps']} withheld, "
            f"{summary['invalid']} invalid, {summary['proof-missing']} without proof)"
        )
        for finding in summary["findings"]:
            typer.echo(f"  - {finding}")
        typer.echo(f"report: {md_path} and {json_path.name}")
    if summary["verdict"] != "PASS":
        raise SystemExit(
            2
        )  # typer.Exit is swallowed by the non-standalone main(); findings exit 2, like `alerts`


# ---------------------------------------------------------------------- alerts: filters and receipts


@dataclass(frozen=True)
class AlertFilters:
    """What `zkalert alerts` lists (the hash chains are checked on everything read regardless)."""

    model: str | None = None
    since: int | None = None  # unix seconds, block timestamp
    until: int | None = None
    alarm_only: bool = False
    from_block: int | None = None
    to_block: int | None = None

    @classmethod
    def parse(
        cls,
        w3: Any,
        from_block: int,
        to_block: int | None,
        model: str | None,
        since: str | None,
        until: str | None,
        alarm_only: bool,
    ) -> AlertFilters:
        head = int(w3.eth.block_number)
        if from_block > head:
            raise ChainError(f"--from-block {from_block} is beyond the chain head {head}")
        if to_block is not None and to_block > head:
            raise ChainError(f"--to-block {to_block} is beyond the chain head {head}")
        if to_block is not None and to_block < from_block:
            raise ConfigError(f"--to-block {to_block} is below the first block {from_block}")
        if model is not None and not re.fullmatch(r"0x[0-9a-fA-F]{64}", model):
            raise ConfigError(f"--model must be a 0x model id (64 hex digits), got {model!r}")
        start, end = _time(since, "--since"), _time(until, "--until")
        if start is not None and end is not None and end < start:
            raise ConfigError("--until is before --since")
        return cls(model.lower() if model else None, start, end, alarm_only, from_block, to_block)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "since": self.since,
            "until": self.until,
            "alarm_only": self.alarm_only,
            "from_block": self.from_block,
            "to_block": self.to_block,
        }


def _time(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text.strip()):
        return int(float(text))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{option} must be ISO 8601 (2026-11-22T10:00:00Z) or unix seconds, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def select_alerts(w3: Any, entries: list[Any], filters: AlertFilters) -> list[Any]:
    """The entries the filters keep; block timestamps are read only when a time filter is set."""
    kept = [
        e
        for e in entries
        if (filters.model is None or e.model_id == filters.model)
        and (not filters.alarm_only or e.alarm)
    ]
    if filters.since is None and filters.until is None:
        return kept
    stamps: dict[int, int] = {}
    result = []
    for e in kept:
        if e.block not in stamps:
            stamps[e.block] = int(w3.eth.get_block(e.block)["timestamp"])
        if (filters.since is None or stamps[e.block] >= filters.since) and (
            filters.until is None or stamps[e.block] <= filters.until
        ):
            result.append(e)
    return result


receipt_app = typer.Typer(
    no_args_is_help=True, help="Alert receipts exported by `zkalert alerts --export-receipts`."
)


@receipt_app.command("check")
def receipt_check_cmd(
    receipts: Annotated[list[Path], typer.Argument(help="Receipt files.")],
    vk: Annotated[
        Path | None,
        typer.Option(help="The model's verifying key: checks keccak256(vk) == model id."),
    ] = None,
    settings: Annotated[
        Path | None,
        typer.Option(help="The circuit's settings.json (with --vk and --srs: verify the proof)."),
    ] = None,
    srs: Annotated[Path | None, typer.Option(help="The KZG SRS the keys were made with.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check receipts offline, without a node: hash, links, instances, alarm bit (and the proof with the key)."""
    from zkalert.evm.receipts import check_receipt

    for path in (vk, settings, srs):
        if path is not None and not path.is_file():
            raise ConfigError(f"{path}: no such file")
    results = [check_receipt(path, vk, settings, srs) for path in receipts]
    if json_out:
        typer.echo(
            json.dumps(
                [
                    {"path": r.path, "ok": r.ok, "checks": r.checks, "problems": r.problems}
                    for r in results
                ],
                indent=2,
            )
        )
    else:
        for r in results:
            checked = ", ".join(
                f"{name} {'ok' if ok else 'FAILED'}"
                for name, ok in r.checks.items()
                if ok is not None
            )
            typer.echo(
                f"{r.path}: {'OK' if r.ok else 'BAD'} ({checked})"
                + ("" if r.ok else " - " + "; ".join(r.problems))
            )
    if not all(r.ok for r in results):
        raise SystemExit(2)


def register_service_commands(app: typer.Typer) -> None:
    app.add_typer(serve_app, name="serve")
    app.command("audit")(audit_cmd)
    app.add_typer(receipt_app, name="receipt")


__all__ = ["PROJECT_ROOT", "register_service_commands"]
