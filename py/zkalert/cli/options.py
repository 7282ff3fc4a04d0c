"""Option types shared by every command group: each defined once, with its environment variable.

An option given on the command line wins over its environment variable, which wins over the
default; no command writes to ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zkalert.config import DEFAULT_RPC_URL

if TYPE_CHECKING:  # imported when a command signs
    from zkalert.keys import KeySettings, Signer

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


# ---- the signing key (zkalert.keys): options for every command that signs
KeystoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        envvar="ZKALERT_KEYSTORE",
        help="Encrypted JSON keystore that signs (cast wallet new/import, geth, Ape).",
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        envvar="ZKALERT_ACCOUNT",
        help="Foundry account that signs: ~/.foundry/keystores/NAME (cast wallet import NAME).",
    ),
]
PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        envvar="ZKALERT_PASSWORD_FILE",
        help="File holding the keystore's password; else $ZKALERT_KEYSTORE_PASSWORD, else a prompt.",
    ),
]


def key_settings(
    keystore: Path | None, account: str | None, password_file: Path | None
) -> KeySettings:
    """The key settings the options give (with neither --keystore nor --account: PRIVATE_KEY,
    else anvil's account 0 on a development chain)."""
    from zkalert.keys import KeySettings

    return KeySettings.of(keystore=keystore, account=account, password_file=password_file)


def signer(chain_id: int, settings: KeySettings, dev_chains: Iterable[int] = ()) -> Signer:
    """The key the command signs with on ``chain_id``, checked against the development chains
    (31337, 1337, $ZKALERT_DEV_CHAINS, networks marked ``dev = true`` in networks.toml)."""
    from zkalert.gateway.networks import dev_chain_ids
    from zkalert.keys import resolve_signer

    return resolve_signer(chain_id, settings, dev_chains=[*dev_chains, *dev_chain_ids()])
