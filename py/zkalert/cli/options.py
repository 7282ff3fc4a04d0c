"""Option types shared by every command group, each defined once.

An option given on the command line wins over ``zkalert --set``, the environment and
``zkalert.toml``, which reach it as its default (see :mod:`zkalert.cli.settings`); no command
writes to ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zkalert.config import DEFAULT_RPC_URL, rpc_url

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
