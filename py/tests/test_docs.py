"""The documentation: a short README that links only to what exists, and reference pages that
keep up with the code (every CLI command and REST route generated, every environment variable the
code reads listed, the receipt page at the receipt format's version).

The site itself is built by `make docs` (`mkdocs build --strict`), which fails on any broken
internal link or anchor; these tests check what the build cannot know.
"""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from zkalert.config import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"
README_LIMIT_BYTES = 10_000


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    """docs/hooks/reference.py, the mkdocs hook that generates the reference pages."""
    spec = importlib.util.spec_from_file_location("docs_reference", DOCS / "hooks" / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def markdown_links(text: str) -> list[str]:
    """Targets of inline Markdown links and images, code blocks and code spans left out."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_readme_is_short_and_links_only_to_files_that_exist() -> None:
    readme = PROJECT_ROOT / "README.md"
    size = len(readme.read_bytes())
    assert size < README_LIMIT_BYTES, f"README.md is {size} bytes: move detail into docs/"
    links = markdown_links(readme.read_text())
    assert links, "the README links nowhere: it should point into docs/"
    for target in links:
        assert not re.match(r"[a-z]+://", target), f"README links outside the repository: {target}"
        path = target.split("#", 1)[0]
        assert path and not path.startswith("/"), f"README link {target!r} is not relative"
        assert (PROJECT_ROOT / path).exists(), f"README links to {path}, which does not exist"
    assert any(t.startswith("docs/") for t in links)


def test_markdown_links_skip_code() -> None:
    text = "see [a](docs/a.md) and `[b](b.md)`\n```\n[c](c.md)\n```\n![d](d.png)"
    assert markdown_links(text) == ["docs/a.md", "d.png"]


def click_tree() -> list[tuple[str, Any]]:
    """Every command of the typer app, walked here independently of the hook's own walk."""
    import typer.main

    from zkalert.cli.app import app

    found: list[tuple[str, Any]] = []
    todo = [("zkalert", typer.main.get_command(app))]
    while todo:
        path, command = todo.pop()
        found.append((path, command))
        todo += (
            [(f"{path} {name}", sub) for name, sub in command.commands.items()]
            if hasattr(command, "commands")
            else []
        )
    return found


def test_every_cli_command_and_option_is_in_the_generated_reference(hook: ModuleType) -> None:
    page = hook.cli_markdown()
    sections = re.split(r"^#{2,4} ", page, flags=re.MULTILINE)
    by_heading = {s.split("\n", 1)[0].strip(): s for s in sections[1:]}
    commands = click_tree()
    assert len(commands) > 40  # the whole tree, groups and their commands
    for path, command in commands:
        assert path in by_heading, f"`{path}` has no section in the CLI reference"
        section = html.unescape(by_heading[path])
        if command.help:
            first = command.help.strip().split("\n")[0]
            assert first[:40] in section, f"{path}: its help text is not in its section"
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                for opt in [*param.opts, *param.secondary_opts]:
                    assert f"`{opt}`" in section, f"{path}: option {opt} missing"
            elif param.param_type_name == "argument":
                assert f"`{param.name.upper()}`" in section, f"{path}: argument {param.name}"
    for name in ("zkalert outbox run", "zkalert serve utility", "zkalert ts audit"):
        assert name in by_heading


def test_every_rest_route_is_in_the_generated_reference(hook: ModuleType) -> None:
    utility_schema, regulator_schema = hook.openapi_schemas()
    page = hook.rest_markdown(utility_schema, regulator_schema)
    for schema in (utility_schema, regulator_schema):
        for path, operations in schema["paths"].items():
            for method in operations:
                assert f"### {method.upper()} {path}\n" in page, f"{method} {path} not documented"
        for name in schema.get("components", {}).get("schemas", {}):
            assert f"{{#schema-{name.lower()}}}" in page, f"schema {name} not documented"
    # the schemas are the apps' own routes, not an empty stand-in's
    assert {"/v1/windows", "/v1/proof", "/v1/proofs", "/v1/model/srs"} <= set(
        utility_schema["paths"]
    )
    assert {"/api/audits", "/api/audits/{audit_id}/report.md"} <= set(regulator_schema["paths"])


def environment_variables_read() -> dict[str, str]:
    """Every environment variable the product, its Ape script and deploy scripts read: name -> file."""
    patterns = [
        r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]+)\"",
        r"os\.environ\[\s*\"([A-Z][A-Z0-9_]+)\"\s*\]",
        r"os\.environ\.pop\(\s*\"([A-Z][A-Z0-9_]+)\"",
        r"\"([A-Z][A-Z0-9_]+)\"\s+in\s+os\.environ",
        r"envvar=\"([A-Z][A-Z0-9_]+)\"",
        r"vm\.env[A-Za-z0-9]*\(\s*\"([A-Z][A-Z0-9_]+)\"",
        r"\"(ZKALERT_[A-Z0-9_]+)\"",  # any ZKALERT_ name, e.g. in a table of settings
    ]
    files = [
        *sorted((PROJECT_ROOT / "py" / "zkalert").rglob("*.py")),
        *sorted((PROJECT_ROOT / "scripts").glob("*.py")),
        *sorted((PROJECT_ROOT / "script").glob("*.sol")),
    ]
    found: dict[str, str] = {}
    for path in files:
        text = path.read_text()
        for pattern in patterns:
            for name in re.findall(pattern, text):
                found.setdefault(name, str(path.relative_to(PROJECT_ROOT)))
    return found


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    found = environment_variables_read()
    # the scan finds what it must: Python reads, typer envvars and the deploy scripts' vm.env*
    for name in ("RPC_URL", "PRIVATE_KEY", "ZKALERT_HOME", "ZKALERT_UTILITY_TOKEN", "MODEL_ID"):
        assert name in found
    page = (DOCS / "reference" / "environment.md").read_text()
    missing = {name: where for name, where in found.items() if f"`{name}`" not in page}
    assert not missing, f"read by the code, not in docs/reference/environment.md: {missing}"


def test_receipt_page_describes_the_current_receipt_format() -> None:
    from zkalert.evm import receipts

    page = (DOCS / "reference" / "receipts.md").read_text()
    assert f'"version": {receipts.RECEIPT_VERSION}' in page
    assert f'"kind": "{receipts.RECEIPT_KIND}"' in page
    source = Path(receipts.__file__).read_text()
    checks = set(re.findall(r"record\(\s*\"([a-z_]+)\"", source))
    assert {"alert_hash", "binding", "proof"} <= checks
    for name in checks:
        assert f"| `{name}` |" in page, f"receipt check {name} is not on the receipt page"
    fields = set(re.findall(r"^\s{16}\"([a-z_]+)\": ", source, flags=re.MULTILINE))
    assert {"chain_id", "registry", "alert", "links", "exported_at"} <= fields
    for name in fields:
        assert f"`{name}`" in page, f"receipt field {name} is not on the receipt page"


def test_every_setting_is_in_the_generated_config_reference(hook: ModuleType) -> None:
    from zkalert.cli import settings

    page = hook.config_markdown()
    for section, model in settings.SECTIONS.items():
        table = page.split(f"## [{section}]", 1)[1].split("\n## ", 1)[0]
        for name in model.model_fields:
            key = f"{section}.{name}"
            assert f"| `{name}` |" in table, key
            assert f"`{settings.env_name(key)}`" in table, key
    assert "`compile --scale`" in page and "`serve utility --port`" in page
