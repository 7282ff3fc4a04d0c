"""The compiled contracts zkalert deploys and talks to: ABI, creation and runtime bytecode.

An installed package carries them (``zkalert/evm/contracts/<Name>.json``, written by
``make dist``); a source checkout reads forge's ``out/`` instead. ``python -m
zkalert.evm.artifacts DEST`` writes the packaged form from ``out/`` (after ``forge build``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from zkalert.config import PROJECT_ROOT
from zkalert.errors import ConfigError

#: The contracts the package ships.
CONTRACTS = ("AlertRegistry", "WindowLog", "TimeSeriesRegistry", "VkaVerifier")
PACKAGED = Path(__file__).with_name("contracts")
FORGE_OUT = PROJECT_ROOT / "out"


def _forge_artifact(name: str) -> Path:
    return FORGE_OUT / f"{name}.sol" / f"{name}.json"


def load(name: str) -> dict[str, Any]:
    """``{"abi", "bytecode", "deployedBytecode", "immutableReferences"}`` of one contract
    (code as hex strings with 0x)."""
    if name not in CONTRACTS:
        raise ConfigError(f"no artifact for {name!r} (known: {', '.join(CONTRACTS)})")
    forge = _forge_artifact(name)
    if forge.is_file():  # a source checkout: its own, current build
        return _slim(json.loads(forge.read_text()))
    packaged = PACKAGED / f"{name}.json"
    if packaged.is_file():
        data: dict[str, Any] = json.loads(packaged.read_text())
        return data
    raise ConfigError(
        f"no compiled {name}: run `forge build` in the source checkout, or install the package "
        "built by `make dist`"
    )


def forge_runtime(name: str) -> bytes | None:
    """The runtime bytecode forge compiled for contract ``name`` (any contract of the checkout,
    generated verifiers included), or None when forge's ``out/`` has no such artifact."""
    path = _forge_artifact(name)
    if not path.is_file():
        return None
    try:
        code = json.loads(path.read_text())["deployedBytecode"]["object"]
        return bytes.fromhex(str(code).removeprefix("0x"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _slim(artifact: dict[str, Any]) -> dict[str, Any]:
    return {
        "abi": artifact["abi"],
        "bytecode": artifact["bytecode"]["object"],
        "deployedBytecode": artifact["deployedBytecode"]["object"],
        # where the runtime code holds immutables: left out when deployed code is compared
        "immutableReferences": artifact["deployedBytecode"].get("immutableReferences") or {},
    }


def export(dest: Path) -> list[Path]:
    """Write every shipped contract's artifact from forge's ``out/`` into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in CONTRACTS:
        forge = _forge_artifact(name)
        if not forge.is_file():
            raise ConfigError(f"{forge} is missing: run `forge build` first")
        path = dest / f"{name}.json"
        path.write_text(json.dumps(_slim(json.loads(forge.read_text())), separators=(",", ":")))
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGED
    for path in export(target):
        print(f"artifact: {path}")


def _masked(code: bytes, ranges: list[dict[str, int]]) -> bytes:
    out = bytearray(code)
    for r in ranges:
        start, length = int(r["start"]), int(r["length"])
        if start + length <= len(out):
            out[start : start + length] = bytes(length)
    return bytes(out)


def code_against_build(deployed: bytes, artifact: str) -> bool | None:
    """Whether ``deployed`` is the runtime code forge built for ``artifact`` ("File.sol:Contract"):
    solc's metadata trailer and immutable values left out; None when there is no build of it."""
    from zkalert.zk.verifiercode import strip_metadata

    source, _, contract = artifact.partition(":")
    name = contract or Path(source).stem
    path = FORGE_OUT / Path(source).name / f"{name}.json"
    if path.is_file():
        built = json.loads(path.read_text())["deployedBytecode"]
        code, immutables = str(built["object"]), built.get("immutableReferences") or {}
    elif name in CONTRACTS and PACKAGED.is_dir():  # an installed package
        shipped = load(name)
        code, immutables = shipped["deployedBytecode"], shipped["immutableReferences"]
    else:
        return None
    expected = bytes.fromhex(code.removeprefix("0x"))
    ranges = [r for refs in immutables.values() for r in refs]
    return strip_metadata(_masked(deployed, ranges)) == strip_metadata(_masked(expected, ranges))
