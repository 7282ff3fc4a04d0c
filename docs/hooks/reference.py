"""Pages the documentation site generates at build time (an mkdocs hook, named in mkdocs.yml).

Nothing here is committed as Markdown: every build reads the sources again.

- ``reference/cli.md``: every command of the ``zkalert`` typer app, from its click tree;
- ``reference/rest.md`` (+ the two ``openapi-*.json``): the utility's and the regulator's
  FastAPI apps, from their ``.openapi()`` schemas;
- ``reference/contracts.md``: the contracts' and deploy scripts' NatSpec, from the devdoc and
  userdoc solc writes into forge's artifacts (``out/``: ``make docs`` runs ``forge build`` first);
- ``reports/...``: the measured reports under ``reports/``, each page as committed, figures included.

The package is imported from this checkout's ``py/`` folder, so the pages describe the code they
are built next to. ``py/tests/test_docs.py`` calls the generators directly.
"""

from __future__ import annotations

import html
import inspect
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

#: The measured reports shown in the site: source under the project root -> page in the site.
REPORTS = {
    "reports/bench/bench.md": "reports/bench/bench.md",
    "reports/bench/cluster.md": "reports/bench/cluster.md",
    "reports/load/load.md": "reports/load/load.md",
    "reports/evaluate/report.md": "reports/evaluate/report.md",
    "reports/evaluate/family.md": "reports/evaluate/family.md",
    "reports/soak/results/all-faults.md": "reports/soak/all-faults.md",
    "reports/soak/results/without-restore.md": "reports/soak/without-restore.md",
    "reports/timeseries/README.md": "reports/timeseries/report.md",
}

#: Contracts and deploy scripts documented from their NatSpec, in page order: (source, contract,
#: the interface whose contract-level NatSpec it implements, if any).
CONTRACTS = [
    ("contracts/AlertRegistry.sol", "AlertRegistry", "IAlertRegistry"),
    ("contracts/WindowLog.sol", "WindowLog", "IWindowLog"),
    ("contracts/TimeSeriesRegistry.sol", "TimeSeriesRegistry", "ITimeSeriesRegistry"),
    ("contracts/interfaces/IHalo2Verifier.sol", "IHalo2Verifier", None),
    ("contracts/utils/Owned2Step.sol", "Owned2Step", "IOwned2Step"),
    ("contracts/utils/VerifierCall.sol", "VerifierCall", None),
    ("contracts/utils/BN254.sol", "BN254", None),
    ("script/DeployAlertRegistry.s.sol", "DeployAlertRegistry", None),
    ("script/RegisterModel.s.sol", "RegisterModel", None),
    ("script/DeployWindowLog.s.sol", "DeployWindowLog", None),
    ("script/DeployTimeSeriesRegistry.s.sol", "DeployTimeSeriesRegistry", None),
]

GENERATED_NOTE = (
    "!!! note\n    Generated at build time from {source}; edit the source, not this page.\n\n"
)


# ---------------------------------------------------------------------- mkdocs hook


def use_checkout() -> None:
    """Import zkalert from this checkout's ``py/``, whatever else is installed.

    Called by each generator, not at import: mkdocs restores ``sys.path`` after loading a hook."""
    path = str(ROOT / "py")
    if path not in sys.path:
        sys.path.insert(0, path)
    import zkalert

    where = Path(zkalert.__file__).resolve().parent
    if where != ROOT / "py" / "zkalert":
        raise RuntimeError(f"zkalert is imported from {where}, not from this checkout's py/")


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for uri, content in generated_pages().items():
        files.append(File.generated(config, uri, content=content))
    for source, uri in report_assets():
        files.append(File.generated(config, uri, abs_src_path=str(source)))
    return files


def config_markdown() -> str:
    """Every zkalert.toml section and key: type, default, variables, options, meaning."""
    import typer.main

    from zkalert.cli import settings
    from zkalert.cli.app import app
    from zkalert.cli.configure import command_params

    root = typer.main.get_command(app)
    params = command_params(root)

    def flags(key: str) -> str:
        out = []
        for command, name in settings.OPTION_KEYS.get(key, []):
            paths = [p for p, names in params.items() if command in ("*", p) and name in names]
            for path in paths:
                command_obj = root
                for part in path.split():
                    command_obj = command_obj.commands[part]  # type: ignore[attr-defined]
                opt = next(p for p in command_obj.params if p.name == name)
                out.append(f"`{path} {opt.opts[0]}`")
        return ", ".join(sorted(set(out)))

    lines = [
        "# Configuration file (zkalert.toml)",
        "",
        GENERATED_NOTE.format(source="`zkalert.cli.settings`").strip(),
        "",
        "`zkalert init` writes a `zkalert.toml` with every key below, commented out at its default;",
        "`zkalert config show` prints each effective value and where it came from; `zkalert config",
        "check` validates the file and the network it selects. Where a value comes from, highest",
        "first: a command's own option, `zkalert --set SECTION.KEY=VALUE`, the key's environment",
        "variable, the file (`--config PATH`, else `$ZKALERT_CONFIG`, else `./zkalert.toml`), the",
        "built-in default. Unknown sections and keys are refused, in the file and in",
        "`ZKALERT_<SECTION>_*` variables alike. Relative paths are relative to the file's folder;",
        "the default folders live next to the file (without a file: in the project).",
        "",
    ]
    for section, model in settings.SECTIONS.items():
        lines += [f"## [{section}]", "", (model.__doc__ or "").strip(), ""]
        lines += ["| key | type | default | environment | option | meaning |"]
        lines += ["| --- | --- | --- | --- | --- | --- |"]
        for name, info in model.model_fields.items():
            key = f"{section}.{name}"
            kind = str(info.annotation).replace("pathlib.", "").replace("typing.", "")
            kind = kind.replace("<class '", "").replace("'>", "")
            default = "" if info.default is None else f"`{_jsonable_default(info.default)}`"
            env = f"`{settings.env_name(key)}`"
            if key in settings.LEGACY_ENV:
                env += f", `{settings.LEGACY_ENV[key]}`"
            lines.append(
                f"| `{name}` | {_cell(kind)} | {default} | {env} | {flags(key)} | "
                f"{_cell(info.description or '')} |"
            )
        lines.append("")
    lines += [
        "## [networks.NAME]",
        "",
        "Networks can live in `zkalert.toml` itself, one table per chain, with the keys of",
        "`networks.toml` (see the [gateway operator's guide](../guides/gateway-operator.md)); the",
        "file is then the networks file, and `[network] name` picks one.",
        "",
    ]
    return "\n".join(lines)


def _jsonable_default(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def generated_pages() -> dict[str, str]:
    use_checkout()
    utility, regulator = openapi_schemas()
    pages = {
        "reference/cli.md": cli_markdown(),
        "reference/config.md": config_markdown(),
        "reference/rest.md": rest_markdown(utility, regulator),
        "reference/openapi-utility.json": json.dumps(utility, indent=2) + "\n",
        "reference/openapi-regulator.json": json.dumps(regulator, indent=2) + "\n",
        "reference/contracts.md": contracts_markdown(ROOT / "out"),
    }
    for source, uri in REPORTS.items():
        text = (ROOT / source).read_text()
        note = GENERATED_NOTE.format(source=f"`{source}`, as committed")
        title, _, rest = text.partition("\n")
        pages[uri] = f"{title}\n\n{note}{rest}" if title.startswith("# ") else note + text
    return pages


def report_assets() -> Iterator[tuple[Path, str]]:
    """The figures next to each report, at the same place relative to its page (once for a
    folder of several reports)."""
    seen: set[str] = set()
    for source, uri in REPORTS.items():
        folder, target = (ROOT / source).parent, uri.rsplit("/", 1)[0]
        for png in sorted(folder.glob("*.png")):
            if f"{target}/{png.name}" not in seen:
                seen.add(f"{target}/{png.name}")
                yield png, f"{target}/{png.name}"


def _cell(text: str) -> str:
    """Plain text for a Markdown table cell: no HTML, no column breaks, no line breaks."""
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _text(text: str) -> str:
    """Plain text for a paragraph: angle brackets escaped (``<workdir>`` is not an HTML tag)."""
    return html.escape(inspect.cleandoc(text), quote=False)


# ---------------------------------------------------------------------- the CLI


def cli_commands() -> list[tuple[str, Any]]:
    """(``zkalert sub command``, click command) for every command of the typer app, tree order."""
    use_checkout()
    import typer.main

    from zkalert.cli.app import app

    found: list[tuple[str, Any]] = []

    def walk(path: str, command: Any) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{path} {name}", sub)

    walk("zkalert", typer.main.get_command(app))
    return found


def _default(param: Any) -> str:
    value = param.default
    if value is None or callable(value) or repr(value).startswith("<"):
        return ""
    if getattr(param, "is_flag", False):
        if getattr(param, "secondary_opts", None):
            return (param.opts if value else param.secondary_opts)[0]
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _kind(param: Any, ctx: Any) -> str:
    """The parameter's type as typer shows it (``int``, ``path``, ...), with its range."""
    if getattr(param, "is_flag", False):
        return "flag"
    kind = str(param.display_type(ctx)).strip("<>").replace(" range", "")
    if getattr(param, "multiple", False) and kind.startswith("list["):
        kind = kind[5:-1] + ", repeatable"
    elif kind.startswith("list["):
        kind = kind[5:-1] + ", one or more"
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None or high is not None:
        kind += f" ({'' if low is None else low}..{'' if high is None else high})"
    return kind


def _usage(path: str, command: Any) -> str:
    pieces = [path]
    if any(p.param_type_name == "option" for p in command.params):
        pieces.append("[OPTIONS]")
    for p in command.params:
        if p.param_type_name == "argument":
            name = p.name.upper() + ("..." if p.nargs == -1 else "")
            pieces.append(name if p.required else f"[{name}]")
    if getattr(command, "commands", None):
        pieces.append("COMMAND [ARGS]...")
    return " ".join(pieces)


def cli_markdown() -> str:
    use_checkout()
    from zkalert.cli.app import (
        EXIT_CLUSTER_UNAVAILABLE,
        EXIT_DEV_KEY_REFUSED,
        EXIT_ERROR,
        EXIT_INTERRUPTED,
        EXIT_OK,
        EXIT_USAGE_OR_FINDINGS,
    )

    lines = [
        "# CLI reference",
        "",
        GENERATED_NOTE.format(source="the typer app `zkalert.cli.app.app`").rstrip(),
        "",
        (
            "One command line, `zkalert` (`.venv/bin/zkalert` after `make setup`). Every command "
            "takes `--help`. An option given on the command line wins over its environment variable "
            "(listed with it below, and on the [environment variables](environment.md) page), which "
            "wins over the default."
        ),
        "",
        "Exit codes, the same for every command:",
        "",
        "| code | meaning |",
        "| ---: | --- |",
        f"| {EXIT_OK} | ok |",
        (
            f"| {EXIT_ERROR} | error: one `error: ...` line on stderr (`ZKALERT_DEBUG=1` shows the "
            "traceback) |"
        ),
        (
            f"| {EXIT_USAGE_OR_FINDINGS} | usage error (one `error:` line and a `try: ... --help` hint), "
            "or findings: `zkalert alerts` on a BROKEN chain, `zkalert audit` with findings, a "
            "failed `zkalert ts audit`, a bad receipt in `zkalert receipt check` |"
        ),
        (
            f"| {EXIT_DEV_KEY_REFUSED} | development material refused on a chain that is not a "
            "development chain: one of anvil's well-known keys, or a circuit built on a development "
            "SRS without `--allow-dev-srs` (one `error:` line) |"
        ),
        (
            f"| {EXIT_CLUSTER_UNAVAILABLE} | the proving cluster cannot be reached, has no workers "
            "or went away (one `error:` line): nothing was lost, what was not proven stays queued; "
            "run the command again ([proving on a cluster](../guides/cluster.md)) |"
        ),
        f"| {EXIT_INTERRUPTED} | interrupted |",
        "",
    ]
    for path, command in cli_commands():
        if getattr(command, "hidden", False):
            continue
        depth = min(path.count(" ") + 1, 3)
        lines += [f"{'#' * (depth + 1)} {path}", ""]
        ctx = command.context_class(command, info_name=path)
        lines += ["```", _usage(path, command), "```", ""]
        help_text = (command.help or "").split("\f")[0]
        if help_text:
            lines += [_text(help_text), ""]
        subs = getattr(command, "commands", {})
        if subs:
            lines += ["| command | what it does |", "| --- | --- |"]
            for name, sub in subs.items():
                summary = (sub.short_help or (sub.help or "").split("\n\n")[0]).strip()
                lines.append(f"| `{path} {name}` | {_cell(summary)} |")
            lines.append("")
        params = [p for p in command.params if not getattr(p, "hidden", False)]
        arguments = [p for p in params if p.param_type_name == "argument"]
        options = [p for p in params if p.param_type_name == "option"]
        if arguments:
            lines += ["| argument | type | required | description |", "| --- | --- | --- | --- |"]
            for p in arguments:
                helptext = getattr(p, "help", None) or ""
                lines.append(
                    f"| `{p.name.upper()}` | {_kind(p, ctx)} | "
                    f"{'yes' if p.required else 'no'} | {_cell(helptext)} |"
                )
            lines.append("")
        if options:
            lines += [
                "| option | type | default | environment | description |",
                "| --- | --- | --- | --- | --- |",
            ]
            for p in options:
                names = " / ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
                env = p.envvar if isinstance(p.envvar, str) else ", ".join(p.envvar or ())
                default = "(required)" if p.required else _cell(_default(p))
                lines.append(
                    f"| {names} | {_kind(p, ctx)} | {default} | {f'`{env}`' if env else ''} | "
                    f"{_cell(p.help or '')} |"
                )
            lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------- the REST services


def openapi_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The OpenAPI schemas of the utility's and the regulator's apps, as their /openapi.json."""
    use_checkout()
    from zkalert.services import regulator, utility

    # The utility's routes do not depend on its core (a compiled circuit, a store, a chain):
    # create_app reads only these attributes of it while building the app, and nothing here serves.
    stand_in = SimpleNamespace(
        tokens=None,
        limiter=None,
        config=SimpleNamespace(max_body_bytes=0),
        store=SimpleNamespace(log_request=None),
    )
    utility_schema = utility.create_app(stand_in, start_worker=False).openapi()  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as folder:
        reg = regulator.Regulator(regulator.RegulatorConfig(folder=Path(folder)))
        try:
            regulator_schema = regulator.create_app(reg).openapi()
        finally:
            reg.book.close()
    return utility_schema, regulator_schema


def _schema_type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_schema_type(s) for s in schema["anyOf"])
    kind = schema.get("type", "object")
    if kind == "array":
        return f"array of {_schema_type(schema.get('items', {}))}"
    if kind == "null":
        return "null"
    return str(kind)


def _constraints(schema: dict[str, Any]) -> str:
    keys = (
        ("minimum", ">= "),
        ("maximum", "<= "),
        ("minLength", "length >= "),
        ("maxLength", "length <= "),
        ("minItems", "items >= "),
        ("maxItems", "items <= "),
        ("pattern", "pattern "),
    )
    parts = [f"{label}{schema[k]}" for k, label in keys if k in schema]
    for option in schema.get("anyOf", []):
        parts += [f"{label}{option[k]}" for k, label in keys if k in option]
    return ", ".join(f"`{p}`" for p in parts)


def _service_markdown(title: str, schema: dict[str, Any], raw: str) -> list[str]:
    info = schema["info"]
    lines = [
        f"## {title}",
        "",
        (
            f"{_text(info.get('description', ''))} (OpenAPI {schema['openapi']}, "
            f"API version {info['version']}; the whole schema: [{raw}]({raw}).)"
        ),
        "",
    ]
    for route, methods in schema["paths"].items():
        for method, op in methods.items():
            lines += [f"### {method.upper()} {route}", ""]
            text = op.get("description") or op.get("summary") or ""
            if text:
                lines += [_text(text), ""]
            params = op.get("parameters", [])
            if params:
                lines += [
                    "| parameter | in | type | required | constraints | description |",
                    "| --- | --- | --- | --- | --- | --- |",
                ]
                for p in params:
                    s = p.get("schema", {})
                    lines.append(
                        f"| `{p['name']}` | {p['in']} | {_schema_type(s)} | "
                        f"{'yes' if p.get('required') else 'no'} | {_constraints(s)} | "
                        f"{_cell(p.get('description', s.get('description', '')))} |"
                    )
                lines.append("")
            body = op.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                lines += [f"Request body ({media}): {_schema_type(content.get('schema', {}))}", ""]
            lines += ["| status | description | body |", "| --- | --- | --- |"]
            for status, response in op.get("responses", {}).items():
                contents = response.get("content", {})
                kinds = ", ".join(
                    f"{media}: {_schema_type(c.get('schema', {}))}" if c.get("schema") else media
                    for media, c in contents.items()
                )
                lines.append(f"| {status} | {_cell(response.get('description', ''))} | {kinds} |")
            lines.append("")
    return lines


def _schemas_markdown(schemas: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["## Schemas", ""]
    for name, schema in sorted(schemas.items()):
        lines += [f"### {name} {{#schema-{name.lower()}}}", ""]
        if schema.get("description"):
            lines += [_text(schema["description"]), ""]
        props = schema.get("properties", {})
        if not props:
            lines += [f"Type: {_schema_type(schema)}.", ""]
            continue
        required = set(schema.get("required", []))
        lines += [
            "| field | type | required | constraints | description |",
            "| --- | --- | --- | --- | --- |",
        ]
        for field, s in props.items():
            lines.append(
                f"| `{field}` | {_schema_type(s)} | {'yes' if field in required else 'no'} | "
                f"{_constraints(s)} | {_cell(s.get('description', ''))} |"
            )
        lines.append("")
    return lines


def rest_markdown(utility: dict[str, Any], regulator: dict[str, Any]) -> str:
    lines = [
        "# REST services",
        "",
        GENERATED_NOTE.format(
            source="the FastAPI apps' `.openapi()` (`zkalert.services.utility`, "
            "`zkalert.services.regulator`)"
        ).rstrip(),
        "",
        (
            "Both services also serve their schema at `/openapi.json` and an interactive page at "
            '`/docs`. Every error is JSON `{"error": "<one line>"}` with its status: 401/403 '
            "(token missing, unknown, or of the wrong role), 404 (unknown stream, window or audit), "
            "409 (window index not increasing; audit not finished), 410 (window inputs no longer "
            "stored), 413 (body too large), 422 (malformed request), 429 (rate limit, with "
            "`Retry-After`). The utility wants `Authorization: Bearer <token>` on every endpoint but "
            "`/healthz`; each endpoint's role is in the [utility operator's guide]"
            "(../guides/utility-operator.md#endpoints-and-roles)."
        ),
        "",
    ]
    lines += _service_markdown("Utility service", utility, "openapi-utility.json")
    lines += _service_markdown("Regulator service", regulator, "openapi-regulator.json")
    schemas = {
        **utility.get("components", {}).get("schemas", {}),
        **regulator.get("components", {}).get("schemas", {}),
    }
    lines += _schemas_markdown(schemas)
    return "\n".join(lines)


# ---------------------------------------------------------------------- the contracts


def _canonical(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def _signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(_canonical(p) for p in item.get('inputs', []))})"


def _natspec(text: str) -> str:
    """NatSpec prose for Markdown: ``{Name}`` cross references as code, no HTML."""
    import re

    return re.sub(r"\{([A-Za-z0-9_.]+)\}", r"`\1`", html.escape(text, quote=False))


def _typed(params: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{p.get('internalType', p['type']).removeprefix('contract ').removeprefix('struct ')}"
        + (f" {p['name']}" if p.get("name") else "")
        for p in params
    )


def _natspec_of(
    out: Path, source: str, contract: str
) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """(ABI, devdoc, userdoc) of a contract, from solc's metadata in its forge artifact.

    The artifact's parsed ``metadata`` keeps only part of the NatSpec (no title, events or
    errors), so the raw metadata solc wrote is read instead."""
    path = out / Path(source).name / f"{contract}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run `forge build` first (`make docs` does), then build the docs"
        )
    artifact = json.loads(path.read_text())
    output = json.loads(artifact["rawMetadata"])["output"]
    return artifact.get("abi", []), output.get("devdoc", {}), output.get("userdoc", {})


def _prose(text: str) -> list[str]:
    """Contract-level NatSpec as Markdown. A deploy script's ``Environment:`` list, whose columns
    solc's metadata runs into one line, becomes a table again, and its ``Usage:`` a code line."""
    import re

    if "Environment:" not in text:
        return [_natspec(" ".join(text.split())), ""]
    head, _, rest = text.partition("Environment:")
    env, _, usage = rest.partition("Usage:")
    lines = [_natspec(" ".join(head.split())), ""] if head.strip() else []
    entries: list[list[str]] = []
    for chunk in re.split(r"\s{2,}", env.strip()):
        if re.fullmatch(r"[A-Z][A-Z0-9_]*(, [A-Z][A-Z0-9_]*)*", chunk):
            entries.append([chunk, ""])
        elif entries:
            entries[-1][1] = f"{entries[-1][1]} {chunk}".strip()
    lines += ["| environment variable | meaning |", "| --- | --- |"]
    for name, meaning in entries:
        names = ", ".join(f"`{n}`" for n in name.split(", "))
        lines.append(f"| {names} | {_cell(meaning)} |")
    lines.append("")
    if usage.strip():
        lines += [f"Usage: `{' '.join(usage.split())}`", ""]
    return lines


def _member(
    kind: str, item: dict[str, Any], dev: dict[str, Any], user: dict[str, Any]
) -> list[str]:
    head = f"`{item['name']}({_typed(item.get('inputs', []))})`"
    outputs = item.get("outputs", [])
    if kind == "function":
        mutability = item.get("stateMutability", "")
        head += f" {mutability}" if mutability in ("view", "pure", "payable") else ""
        if outputs:
            head += f" returns `({_typed(outputs)})`"
    lines = [f"- {head}", ""]
    for text in (user.get("notice"), dev.get("details")):
        if text:
            lines += [f"    {_natspec(' '.join(text.split()))}", ""]
    for name, text in dev.get("params", {}).items():
        lines.append(f"    - `{name}`: {_natspec(' '.join(text.split()))}")
    for name, text in dev.get("returns", {}).items():
        label = "returns" if name.startswith("_") else f"returns `{name}`"
        lines.append(f"    - {label}: {_natspec(' '.join(text.split()))}")
    if lines[-1]:
        lines.append("")
    return lines


def contracts_markdown(out: Path) -> str:
    lines = [
        "# Contracts",
        "",
        GENERATED_NOTE.format(
            source="the NatSpec of `contracts/` and `script/` (solc's devdoc and userdoc in "
            "forge's `out/`)"
        ).rstrip(),
        "",
        (
            "The registries' full documentation sits on their interfaces in `contracts/interfaces/`; "
            "the contracts inherit it (`@inheritdoc`), so each contract below shows what it "
            "implements. Functions, events and errors are listed in ABI order."
        ),
        "",
    ]
    for source, contract, interface in CONTRACTS:
        abi, dev, user = _natspec_of(out, source, contract)
        idev, iuser = ({}, {})
        if interface is not None:
            iface_source = f"contracts/interfaces/{interface}.sol"
            _, idev, iuser = _natspec_of(out, iface_source, interface)
        lines += [f"## {contract}", "", f"Source: `{source}`.", ""]
        notice = user.get("notice") or iuser.get("notice")
        if notice:
            lines += _prose(notice)
        for details in (idev.get("details"), dev.get("details")):
            if details:
                lines += _prose(details)
        sections = (
            ("function", "Functions", "methods"),
            ("event", "Events", "events"),
            ("error", "Errors", "errors"),
        )
        for kind, heading, key in sections:
            items = [i for i in abi if i.get("type") == kind]
            if not items:
                continue
            lines += [f"### {contract}: {heading.lower()}", ""]
            for item in items:
                sig = _signature(item)
                dev_entry = dev.get(key, {}).get(sig) or idev.get(key, {}).get(sig) or {}
                user_entry = user.get(key, {}).get(sig) or iuser.get(key, {}).get(sig) or {}
                if kind == "function" and not dev_entry:  # a public constant or state variable
                    dev_entry = dev.get("stateVariables", {}).get(item["name"], {})
                if isinstance(dev_entry, list):  # solc lists errors per declaration
                    dev_entry = dev_entry[0] if dev_entry else {}
                if isinstance(user_entry, list):
                    user_entry = user_entry[0] if user_entry else {}
                lines += _member(kind, item, dev_entry, user_entry)
            lines.append("")
    return "\n".join(lines)
