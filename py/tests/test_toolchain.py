"""Foundry's exit codes reach make and Python: a failing forge test must fail the build."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from zkalert.config import PROJECT_ROOT
from zkalert.toolchain import env_with_tools, tool

FAILING_TEST = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

contract DeliberateFailureTest {
    function test_fails() public pure {
        require(false, "deliberate failure");
    }
}
"""


@pytest.mark.parametrize("name", ["forge", "cast", "anvil"])
def test_foundry_tool_is_the_platform_binary_and_passes_its_exit_code_on(name: str) -> None:
    path = tool(name)
    assert "/.bin/" not in str(path), f"{path} is npm's launcher, which exits 0 on failure"
    proc = subprocess.run(
        [str(path), "--no-such-flag"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-300:])


def test_make_test_sol_fails_when_a_forge_test_fails(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "Deliberate.t.sol").write_text(FAILING_TEST)
    env = env_with_tools()
    # the project's foundry.toml and Makefile, pointed at a test folder that holds one failing test
    env.update(
        FOUNDRY_SRC=str(tmp_path / "src"),
        FOUNDRY_TEST=str(tmp_path / "test"),
        FOUNDRY_OUT=str(tmp_path / "out"),
        FOUNDRY_CACHE_PATH=str(tmp_path / "cache"),
    )
    proc = subprocess.run(
        ["make", "--no-print-directory", "test-sol"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "deliberate failure" in proc.stdout
    assert "test_fails" in proc.stdout


def test_the_environment_is_installed_from_the_lock() -> None:
    """make setup installs with requirements.lock as pip constraints: every locked package is
    installed at exactly the locked version, and every package zkalert declares is locked."""
    import re
    import tomllib
    from importlib.metadata import PackageNotFoundError, version

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    locked = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, pinned = line.split("==")
            locked[canonical(name)] = pinned
    wrong = {}
    for name, pinned in locked.items():
        try:
            installed = version(name).split("+")[
                0
            ]  # torch's local label (+cpu) is the index's, not the version
        except PackageNotFoundError:
            installed = "missing"
        if installed != pinned:
            wrong[name] = (pinned, installed)
    assert not wrong, (
        f"installed versions differ from requirements.lock (rerun make setup): {wrong}"
    )
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    names = {canonical(re.split(r"[<>=!\[; ]", d, maxsplit=1)[0]) for d in declared}
    assert names <= set(locked), f"declared but not locked: {sorted(names - set(locked))}"


def test_a_solc_that_does_not_run_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solcjs adapter without its npm package (node: `Cannot find module`) is a toolchain
    error naming the compiler and `make setup`, not a subprocess traceback."""
    from zkalert import toolchain
    from zkalert.errors import ToolchainError

    broken = tmp_path / "solc"
    broken.write_text("#!/bin/sh\necho \"Error: Cannot find module 'solc'\" >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(toolchain, "solc", lambda: broken)
    with pytest.raises(ToolchainError) as info:
        toolchain.solc_version()
    message = str(info.value)
    assert "\n" not in message
    assert message == (
        f"solc at {broken} failed `--version` (exit 1: Error: Cannot find module 'solc'): "
        "run `make setup`"
    )
    monkeypatch.setattr(toolchain, "solc", lambda: toolchain.SOLC_ADAPTER)
    assert toolchain.solc_version().count(".") == 2  # the installed adapter: 0.8.x


def test_a_forge_run_that_does_not_finish_is_stopped_in_one_line(monkeypatch) -> None:
    """forge script waits for its receipts without a bound: a node that never mines them would
    hang the deployment, so the run is stopped and named."""
    from pathlib import Path

    from zkalert.errors import ChainError
    from zkalert.evm import rpc

    monkeypatch.setattr(rpc, "tool", lambda _name: Path("/bin/sleep"))
    monkeypatch.setattr(rpc, "FORGE_TIMEOUT_S", 0.5)
    with pytest.raises(ChainError) as stopped:
        rpc.run_forge(["30"], {})
    assert str(stopped.value) == (
        "forge 30 did not finish in 0.5 s (a node that does not mine the broadcast transactions?): "
        "stopped"
    )
