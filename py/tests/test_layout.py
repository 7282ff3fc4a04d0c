"""The package's layout keeps its promises: imports run one way, privates stay private.

Layers, lowest first; a module may import from its own layer and those below it:

    base        zkalert (the package root), config, errors, keys, toolchain
    data        sensor data
    detector    the window detector
    zk          circuit, statement, prover
    cluster     proofs as tasks on a Dask cluster (embedded or a plant's)
    evm         the chain's clients and records
    timeseries  the EKF mode on evm and zk
    gateway     outbox, sender, networks
    services    the utility and the regulator
    cli, lab    on top; nothing below imports them, and lab never imports cli

No module imports another module's ``_private`` name, and every package says what
is public with ``__all__``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import zkalert

PACKAGE = Path(zkalert.__file__).parent
LAYERS = [
    "base",
    "data",
    "detector",
    "zk",
    "cluster",
    "evm",
    "timeseries",
    "gateway",
    "services",
    "top",
]
TOP = {"cli", "lab"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def component(module: str) -> str:
    """The subpackage a module belongs to: zkalert.zk.prover -> zk; zkalert.config -> base."""
    parts = module.split(".")
    if module == "zkalert.__main__":  # ``python -m zkalert`` is the CLI
        return "cli"
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "base"


def layer(module: str) -> int:
    name = component(module)
    return LAYERS.index("top" if name in TOP else name)


@dataclass(frozen=True)
class Import:
    importer: str
    line: int
    module: str
    names: tuple[str, ...]


def imports_of(path: Path, importer: str | None = None) -> list[Import]:
    """Every ``zkalert`` import in a file, top-level or inside a function."""
    importer = importer or module_name(path)
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = importer.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module == "zkalert" or module.startswith("zkalert."):
                found.append(
                    Import(importer, node.lineno, module, tuple(a.name for a in node.names))
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("zkalert."):
                    found.append(Import(importer, node.lineno, alias.name, ()))
    return found


def is_module(dotted: str) -> bool:
    rel = Path(*dotted.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


def targets(imp: Import) -> list[str]:
    """The modules an import reaches: ``from zkalert.zk import prover`` reaches zkalert.zk.prover."""
    subs = [f"{imp.module}.{n}" for n in imp.names if is_module(f"{imp.module}.{n}")]
    return subs if subs and len(subs) == len(imp.names) else [imp.module]


ALL_IMPORTS = [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in imports_of(path)]


def test_the_layout_check_sees_every_module_and_its_lazy_imports() -> None:
    importers = {imp.importer for imp in ALL_IMPORTS}
    # the CLI imports most of the product inside its commands: those lazy imports are checked too
    assert "zkalert.cli.app" in importers
    assert any(
        imp.importer == "zkalert.cli.app" and component(imp.module) == "lab" for imp in ALL_IMPORTS
    )
    assert {component(module_name(p)) for p in PACKAGE.rglob("*.py")} == set(LAYERS[:-1]) | TOP


def test_imports_run_from_higher_layers_to_lower_ones() -> None:
    wrong = [
        f"{imp.importer}:{imp.line} imports {target} ({component(imp.importer)} may not import {component(target)})"
        for imp in ALL_IMPORTS
        for target in targets(imp)
        if layer(target) > layer(imp.importer)
    ]
    assert not wrong, "\n".join(wrong)


def test_lab_is_used_only_by_the_cli_and_never_uses_it() -> None:
    wrong = [
        f"{imp.importer}:{imp.line} imports {target}"
        for imp in ALL_IMPORTS
        for target in targets(imp)
        if (component(target) == "lab" and component(imp.importer) not in TOP)
        or (component(imp.importer) == "lab" and component(target) == "cli")
    ]
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_another_modules_private_names() -> None:
    wrong = [
        f"{imp.importer}:{imp.line} imports {name} from {imp.module}"
        for imp in ALL_IMPORTS
        for name in imp.names
        if name.startswith("_") and name != "__version__" and imp.module != imp.importer
    ]
    wrong += [
        f"{imp.importer}:{imp.line} imports the private module {target}"
        for imp in ALL_IMPORTS
        for target in targets(imp)
        if any(part.startswith("_") and part != "__init__" for part in target.split("."))
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("init", sorted(PACKAGE.rglob("__init__.py")), ids=lambda p: module_name(p))
def test_every_package_says_what_is_public(init: Path) -> None:
    tree = ast.parse(init.read_text())
    exported = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert exported, f"{module_name(init)} has no __all__"
    names = ast.literal_eval(exported[0])
    for name in names:
        dotted = f"{module_name(init)}.{name}"
        defined = any(
            isinstance(node, (ast.Assign, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
            for node in tree.body
        )
        assert is_module(dotted) or defined, (
            f"{module_name(init)}.__all__ names {name}, which is not there"
        )


def test_a_wrong_import_would_be_found(tmp_path: Path) -> None:
    """The checks are not vacuous: a data module importing the chain, lab or a private name is reported."""
    bad = tmp_path / "loaders.py"
    bad.write_text(
        "from zkalert.zk import prover\n"
        "def f():\n"
        "    from zkalert.evm.registry import revert_data, _hex32\n"
        "    from zkalert.lab import bench\n"
    )
    found = imports_of(bad, importer="zkalert.data.loaders")
    reached = [target for imp in found for target in targets(imp)]
    assert reached == ["zkalert.zk.prover", "zkalert.evm.registry", "zkalert.lab.bench"]
    assert all(layer(target) > layer("zkalert.data.loaders") for target in reached)
    assert [n for imp in found for n in imp.names if n.startswith("_")] == ["_hex32"]


def test_every_error_lives_in_the_one_exception_tree() -> None:
    """No module defines an exception of its own: each is a domain of zkalert.errors under ZkAlertError.

    A private exception that never leaves its module (control flow, such as the services'
    body-size limit) is not part of the surface and is left alone."""
    import inspect

    from zkalert import errors

    tree = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.ZkAlertError)
    }
    assert errors.ZkAlertError in tree and len(tree) > 10
    elsewhere = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "errors.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ClassDef)
                and not node.name.startswith("_")
                and any(
                    isinstance(base, ast.Name)
                    and (base.id.endswith("Error") or base.id == "Exception")
                    for base in node.bases
                )
            ):
                elsewhere.append(f"{module_name(path)}.{node.name}")
    assert not elsewhere, "exceptions outside zkalert.errors: " + ", ".join(elsewhere)
    # every domain hangs under the root, so the CLI's one-line handler catches them all
    assert all(issubclass(cls, errors.ZkAlertError) for cls in tree)
