"""Option types shared by every command group: each defined once, with its environment variable.

An option given on the command line wins over its environment variable, which wins over the
default; no command writes to ``os.environ``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zkalert.config import DEFAULT_RPC_URL

WorkdirOpt = Annotated[
    Path | None,
    typer.Option("--workdir", envvar="ZKALERT_HOME", help="Artifact folder (default: build/)."),
]
RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc-url", envvar="RPC_URL", help=f"JSON-RPC endpoint (default: {DEFAULT_RPC_URL})."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def rpc_or_default(value: str | None) -> str:
    """The endpoint from --rpc-url or $RPC_URL, else the local development node."""
    return value or DEFAULT_RPC_URL
