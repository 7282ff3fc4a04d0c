"""Locating the project's offline toolchain: forge, anvil, cast, solc and snarkjs.

``make setup`` installs Foundry and snarkjs from npm into ``.tools/`` and wraps solcjs
behind ``tools/solc``. A native solc on PATH is preferred when present. EZKL
and py-solc-x look for solc at fixed places under the home folder; we link
those to the chosen compiler so nothing ever tries to download one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from zkalert.config import PROJECT_ROOT
from zkalert.errors import ToolchainError

FOUNDRY_PACKAGES = PROJECT_ROOT / ".tools" / "node_modules" / "@foundry-rs"
SOLC_ADAPTER = PROJECT_ROOT / "tools" / "solc"
FOUNDRY_TOOLS = ("forge", "cast", "anvil")
#: snarkjs's own command-line program (what npm links as ``node_modules/.bin/snarkjs``).
SNARKJS_CLI = PROJECT_ROOT / ".tools" / "node_modules" / "snarkjs" / "build" / "cli.cjs"


def local_bin_dirs() -> list[Path]:
    """The ``bin/`` folders of the project-local Foundry platform packages.

    npm's launchers in ``node_modules/.bin`` are node scripts that exit 0 whatever the tool
    returned, so a failing ``forge test`` would look like a pass: we run the platform binaries
    (``@foundry-rs/forge-linux-amd64/bin/forge`` and friends) directly.
    """
    return sorted(
        path.parent
        for name in FOUNDRY_TOOLS
        for path in FOUNDRY_PACKAGES.glob(f"{name}-*/bin/{name}")
        if path.is_file()
    )


def tool(name: str) -> Path:
    """Path of forge / anvil / cast: the project-local platform binary first, then PATH."""
    for directory in local_bin_dirs():
        if (directory / name).is_file():
            return directory / name
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolchainError(
        f"{name} not found: run `make setup` (installs Foundry from npm into .tools/)"
    )


def snarkjs() -> list[str]:
    """The command that runs snarkjs: node on the project-local ``snarkjs/build/cli.cjs``, else a
    ``snarkjs`` on PATH. snarkjs's exit status is its own (1 on an error, 99 on a usage error)."""
    cli = SNARKJS_CLI
    if not cli.is_file():
        found = shutil.which("snarkjs")
        if found is None:
            raise ToolchainError(
                "snarkjs not found: run `make setup` (installs snarkjs from npm into .tools/)"
            )
        cli = Path(found).resolve()
    node = shutil.which("node")
    if node is None:
        raise ToolchainError("node not found: install Node.js (18 or later), snarkjs runs on it")
    return [node, str(cli)]


@cache
def solc() -> Path:
    """A solc speaking the native CLI: a real native solc on PATH, else the solcjs adapter."""
    native = shutil.which("solc")
    if native and Path(native).resolve() != SOLC_ADAPTER.resolve():
        try:
            out = subprocess.run(
                [native, "--version"], capture_output=True, text=True, timeout=20, check=False
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        if "Version:" in out:
            return Path(native)
    if not SOLC_ADAPTER.exists():
        raise ToolchainError(
            "no solc: put a native solc on PATH or run `make setup` (solcjs adapter)"
        )
    return SOLC_ADAPTER


def solc_version() -> str:
    """The version of :func:`solc`, e.g. ``0.8.30``; a compiler that does not run or does not say
    its version is one line (the solcjs adapter without its npm package: `make setup`)."""
    compiler = solc()
    try:
        proc = subprocess.run(
            [str(compiler), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainError(f"solc at {compiler} does not run ({exc})") from None
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("Version:")]
    if proc.returncode != 0 or not lines:
        why = (proc.stderr.strip().splitlines() or ["no version printed"])[-1][:200]
        raise ToolchainError(
            f"solc at {compiler} failed `--version` (exit {proc.returncode}: {why}): run `make setup`"
        )
    return lines[-1].split()[1].split("+")[0]


def link_solc_for_consumers() -> list[Path]:
    """Point ezkl (svm path) and py-solc-x / ape-solidity (solcx path) at our solc.

    Only empty places are filled: a compiler the user already has there (a real solc, another
    checkout's adapter) is left as it is. The one thing replaced is a symlink that points nowhere.
    Returns the places that hold something else than our compiler, for the caller to report.
    """
    compiler = solc()
    home = Path(os.path.expanduser("~"))
    targets = [
        home / ".svm" / "0.8.20" / "solc-0.8.20",  # where ezkl's create_evm_verifier looks
        home / ".solcx" / f"solc-v{solc_version()}",  # py-solc-x / ape-solidity
    ]
    kept: list[Path] = []
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            if target.resolve() != compiler.resolve():
                kept.append(target)
            continue
        if target.is_symlink():  # dangling: points at a compiler that is gone
            target.unlink()
        target.symlink_to(compiler)
    return kept


def env_with_tools() -> dict[str, str]:
    """Environment for subprocesses: the project-local Foundry bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([*map(str, local_bin_dirs()), env.get("PATH", "")])
    return env
