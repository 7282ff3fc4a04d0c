"""Option types shared by every command group, each defined once.

An option given on the command line wins over ``zkalert --set``, the environment and
``zkalert.toml``, which reach it as its default (see :mod:`zkalert.cli.settings`); no command
writes to ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zkalert.config import DEFAULT_RPC_URL, rpc_url

if TYPE_CHECKING:
    from zkalert.data.source import DataSource

if TYPE_CHECKING:  # imported when a command signs
    from zkalert.keys import KeySettings, Signer

if TYPE_CHECKING:  # imported when a command proves
    from zkalert.cluster.backend import ProvingCluster
    from zkalert.cluster.folder import CircuitFolder
    from zkalert.config import Workspace

WorkdirOpt = Annotated[
    Path | None,
    typer.Option(
        "--workdir",
        help="Artifact folder (paths.workdir, $ZKALERT_HOME; default: build/).",
        show_default=False,
    ),
]
RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc-url",
        help=f"JSON-RPC endpoint (network.rpc_url, $RPC_URL; default: {DEFAULT_RPC_URL}).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def rpc_or_default(value: str | None) -> str:
    """The endpoint from --rpc-url (or the settings), else $RPC_URL, else the local node."""
    return value or rpc_url()


# ---- the data a detector is trained, tuned, compiled and evaluated on (zkalert.data.source)

DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Sensor data: a CSV (header row) or Parquet file, one row per sampling instant "
        "(default: the bundled Tennessee Eastman demo data).",
    ),
]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns", help="Comma-separated sensor columns the detector reads, in input order."
    ),
]
ColumnPatternOpt = Annotated[
    str | None,
    typer.Option(
        "--column-pattern",
        help="Regular expression choosing the sensor columns (matched anywhere in the name).",
    ),
]
LabelColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--label-column",
        help="Column marking rows normal (--normal-label) or anomalous (anything else).",
    ),
]
NormalLabelOpt = Annotated[
    str | None,
    typer.Option("--normal-label", help="The label of normal rows (default 0)."),
]
OrderColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--order-column", help="Time or sequence column: rows are put in its order first."
    ),
]
SamplingOpt = Annotated[
    float | None,
    typer.Option(
        "--sampling-s", help="Sampling interval in seconds, checked against --order-column."
    ),
]


# ---- the signing key (zkalert.keys): options for every command that signs
KeystoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        help="Encrypted JSON keystore that signs (key.keystore, $ZKALERT_KEYSTORE).",
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="Foundry account that signs: ~/.foundry/keystores/NAME (key.account, $ZKALERT_ACCOUNT).",
    ),
]
PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="File holding the keystore's password (key.password_file, $ZKALERT_PASSWORD_FILE; else $ZKALERT_KEYSTORE_PASSWORD, else a prompt).",
    ),
]


AllowDevSrsOpt = Annotated[
    bool,
    typer.Option(
        "--allow-dev-srs",
        help="Register a circuit built on a development SRS (gen_srs) on a chain that is not a "
        "development chain (refused without it: whoever holds that SRS's τ can forge proofs).",
    ),
]


SrsIdOpt = Annotated[
    str | None,
    typer.Option(
        "--srs-id",
        help="The SRS the regulator accepts, by its SRS id (0x + 64 hex: keccak256 of its [τ]G2; "
        "srs.accepted_id): every verifier must embed its [τ]G2.",
        show_default=False,
    ),
]
PlantOpt = Annotated[
    list[str],
    typer.Option(
        "--plant",
        metavar="SUBSYSTEM=STREAM",
        help="The plant view: name each subsystem's stream (repeatable); its proven window "
        "alarms are fused into one plant alarm per window.",
    ),
]
OnDelayOpt = Annotated[
    int,
    typer.Option(
        "--on-delay",
        help="Plant view: windows in a row a subsystem must alarm before it holds an alarm.",
    ),
]
FusionOpt = Annotated[
    str,
    typer.Option(
        "--fusion", help="Plant view: 'any' subsystem holding an alarm, or 'two' of them."
    ),
]
AcceptedSrsOpt = Annotated[
    Path | None,
    typer.Option(
        "--accepted-srs",
        help="The SRS the regulator accepts, by file: an EZKL SRS file, or a JSON record with an "
        "srs_id field.",
        show_default=False,
    ),
]


# ---- where proofs are made (zkalert.cluster): an embedded Dask cluster, or a plant's
ClusterOpt = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        metavar="tcp://HOST:PORT",
        help="Prove on the Dask cluster whose scheduler is here (cluster.address, "
        "$ZKALERT_CLUSTER_ADDRESS; default: an embedded cluster on this machine).",
        show_default=False,
    ),
]
ProveWorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        max=256,
        help="Provers of the embedded cluster (cluster.workers; default: one per core, as far "
        "as the memory holds the circuit's proofs; 1: prove in this process).",
        show_default=False,
    ),
]


def cluster_timeout_s() -> float:
    """How long to wait for the proving cluster's scheduler and a worker (cluster.connect_timeout_s)."""
    from zkalert.cli.settings import current

    loaded = current()
    return loaded.settings.cluster.connect_timeout_s if loaded is not None else 10.0


def proving_cluster(
    address: str | None,
    workspace: Workspace | None,
    workers: int | None = None,
    circuits: Sequence[CircuitFolder] = (),
) -> ProvingCluster:
    """The cluster at ``address``, or an embedded one sized for ``workspace``'s circuit and
    ``circuits``; Dask's own logging is kept out of the command's output (its errors come back
    as one line)."""
    from zkalert.cluster.backend import ProvingCluster, quiet_dask_logs

    quiet_dask_logs()
    return ProvingCluster.open(
        address,
        workspace=workspace,
        circuits=circuits,
        workers=workers,
        timeout_s=cluster_timeout_s(),
    )


def warn_line(message: str) -> None:
    """A loud one-line warning on stderr."""
    typer.secho(message, fg="yellow", err=True)


def data_source(
    data: Path | None = None,
    columns: str | None = None,
    column_pattern: str | None = None,
    label_column: str | None = None,
    order_column: str | None = None,
    normal_label: str | None = None,
    sampling_s: float | None = None,
    base: DataSource | None = None,
) -> DataSource:
    """The data source the data options describe, over ``base`` (default: zkalert.toml's
    ``[data]``, whose own default is the bundled Tennessee Eastman data): an option given replaces that field (``--columns`` and
    ``--column-pattern`` each replace both column choices); one line for a bad choice."""
    from zkalert.data.source import DataSource, infer_format
    from zkalert.data.source import data_source as parse
    from zkalert.errors import DataError

    if base is None:  # zkalert.toml's [data] (its variables, --set), else the demo data
        from zkalert.cli.settings import current

        loaded = current()
        base = loaded.settings.data if loaded is not None else DataSource()
    fields = base.model_dump(exclude_unset=True)
    if data is not None:
        fields["path"] = data
        try:  # another file: its own suffix tells its format, not the base's setting
            infer_format(data)
            fields.pop("format", None)
        except DataError:
            pass
    if columns is not None:
        fields["columns"] = [c.strip() for c in columns.split(",") if c.strip()]
        fields.pop("column_pattern", None)
    if column_pattern is not None:
        fields["column_pattern"] = column_pattern
        if columns is None:
            fields.pop("columns", None)
    given = {
        "label_column": label_column,
        "order_column": order_column,
        "normal_label": normal_label,
        "sampling_s": sampling_s,
    }
    fields.update({k: v for k, v in given.items() if v is not None})
    return parse(fields)


def key_settings(
    keystore: Path | None, account: str | None, password_file: Path | None
) -> KeySettings:
    """The key settings the options give (with neither --keystore nor --account: PRIVATE_KEY,
    else anvil's account 0 on a development chain)."""
    from zkalert.cli.settings import current
    from zkalert.keys import KeySettings

    loaded = current()  # zkalert.toml's [key] (its variables, --set), the options over it
    base = loaded.settings.key.model_dump(exclude_unset=True) if loaded is not None else {}
    given = {"keystore": keystore, "account": account, "password_file": password_file}
    if keystore is not None or account is not None:  # one choice of key replaces the other
        base.pop("keystore", None)
        base.pop("account", None)
    return KeySettings.of(**{**base, **{k: v for k, v in given.items() if v is not None}})


def signer(chain_id: int, settings: KeySettings, dev_chains: Iterable[int] = ()) -> Signer:
    """The key the command signs with on ``chain_id``, checked against the development chains
    (31337, 1337, $ZKALERT_DEV_CHAINS, networks marked ``dev = true`` in networks.toml)."""
    from zkalert.gateway.networks import dev_chain_ids
    from zkalert.keys import resolve_signer

    return resolve_signer(chain_id, settings, dev_chains=[*dev_chains, *dev_chain_ids()])
