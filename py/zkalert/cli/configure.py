"""``zkalert init`` and ``zkalert config``: write and inspect ``zkalert.toml``.

The root command's ``--config`` and ``--set`` options (and :func:`apply`) load the settings
before any command runs, so every command sees the same effective values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from zkalert.cli import settings
from zkalert.errors import ConfigError

config_app = typer.Typer(no_args_is_help=True, help="Inspect zkalert.toml's effective settings.")


def command_params(group: Any, prefix: str = "") -> dict[str, set[str]]:
    """Every command path of the CLI ("serve utility") with its parameter names. (Typer runs
    its own copy of click, so groups are recognised by their ``commands``, not by class.)"""
    out: dict[str, set[str]] = {}
    commands = getattr(group, "commands", None)
    if isinstance(commands, dict):
        for name, command in commands.items():
            path = f"{prefix} {name}".strip()
            out[path] = {p.name for p in command.params if p.name}
            out.update(command_params(command, path))
    return out


def apply(ctx: typer.Context, config: Path | None, assignments: list[str]) -> None:
    """Load the settings once for this invocation: shared folders configured, every command's
    option defaults taken from them, the loaded settings in ``ctx.obj``."""
    loaded = settings.load(config, assignments)
    settings.apply_shared(loaded)
    ctx.default_map = settings.default_map(loaded, command_params(ctx.command))
    ctx.obj = loaded


def _loaded(ctx: typer.Context) -> settings.Loaded:
    root = ctx.find_root()
    if not isinstance(root.obj, settings.Loaded):  # a command run without the root callback
        root.obj = settings.load()
    return root.obj


@config_app.command("show")
def config_show_cmd(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every setting's effective value and where it came from (option, variable, file, default)."""
    typer.echo(settings.show(_loaded(ctx), as_json=json_out))


@config_app.command("check")
def config_check_cmd(ctx: typer.Context) -> None:
    """Validate zkalert.toml, the ZKALERT_* settings and the network they select; one line,
    exit 0 or 1."""
    from zkalert.gateway.networks import load_network

    loaded = _loaded(ctx)
    network = load_network(
        loaded.settings.network.name, loaded.settings.network.file, loaded.settings.network.rpc_url
    )
    where = loaded.file or "no config file (built-in defaults)"
    typer.echo(f"ok: {where}; network {network.name} (chain {network.chain_id}, {network.rpc_url})")


def init_cmd(
    path: Annotated[Path, typer.Argument(help="File to write.", show_default=True)] = Path(
        settings.CONFIG_FILE
    ),
    data: Annotated[
        Path | None, typer.Option(help="The plant's sensor data (CSV or Parquet).")
    ] = None,
    columns: Annotated[
        str | None, typer.Option(help="Comma-separated sensor columns, in input order.")
    ] = None,
    column_pattern: Annotated[
        str | None, typer.Option(help="Regular expression choosing the sensor columns.")
    ] = None,
    label_column: Annotated[
        str | None, typer.Option(help="Column marking rows normal or anomalous.")
    ] = None,
    order_column: Annotated[str | None, typer.Option(help="Time or sequence column.")] = None,
    sampling_s: Annotated[
        float | None, typer.Option(help="Sampling interval of the data (seconds).")
    ] = None,
    keystore: Annotated[
        Path | None, typer.Option(help="Encrypted JSON keystore that signs (key.keystore).")
    ] = None,
    account: Annotated[
        str | None, typer.Option(help="Foundry account that signs (key.account).")
    ] = None,
    password_file: Annotated[
        Path | None, typer.Option(help="File holding the keystore's password (key.password_file).")
    ] = None,
    network: Annotated[str | None, typer.Option(help="Network name in the networks file.")] = None,
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", help="JSON-RPC endpoint.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a zkalert.toml with every setting and its meaning (defaults commented out)."""
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it")
    overrides: dict[str, Any] = {}
    # files relative to the config file's folder, where the file's relative paths are resolved
    for key, file in (
        ("data.path", data),
        ("key.keystore", keystore),
        ("key.password_file", password_file),
    ):
        if file is not None:
            overrides[key] = Path(os.path.relpath(file.resolve(), path.resolve().parent))
    if columns is not None:
        overrides["data.columns"] = [c.strip() for c in columns.split(",") if c.strip()]
    given = {
        "data.column_pattern": column_pattern,
        "data.label_column": label_column,
        "data.order_column": order_column,
        "data.sampling_s": sampling_s,
        "key.account": account,
        "network.name": network,
        "network.rpc_url": rpc_url,
    }
    overrides.update({key: value for key, value in given.items() if value is not None})
    text = settings.template(overrides)
    # validate what is about to be written: a file init writes always loads
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text)
        settings.load(tmp, env={})
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    typer.echo(f"wrote {path}; `zkalert config show` prints the effective settings")


def register_config_commands(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
    app.add_typer(config_app, name="config")


__all__ = ["apply", "command_params", "register_config_commands"]
