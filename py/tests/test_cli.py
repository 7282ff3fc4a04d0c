"""The command line's surface: usage errors are one line and a hint, exit codes as documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from zkalert import __version__, cli
from zkalert.config import PROJECT_ROOT

ZKALERT = [str(Path(sys.executable).parent / "zkalert")]  # the installed console script


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "error: No such option: --bogus"),
        (["prove"], "error: Missing argument"),
        (["ts", "audit", "--bogus"], "error: No such option: --bogus"),
    ],
)
def test_usage_error_prints_one_line_and_a_hint_and_exits_2(args: list[str], message: str) -> None:
    proc = subprocess.run([*ZKALERT, *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) <= 3, proc.stderr
    assert lines[0].startswith(message), proc.stderr
    assert lines[-1].startswith("try: zkalert"), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_version_prints_the_version_and_exits_0() -> None:
    proc = subprocess.run([*ZKALERT, "--version"], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout.strip()) == (0, f"zkalert {__version__}")


def test_help_documents_the_exit_codes() -> None:
    proc = subprocess.run([*ZKALERT, "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "Exit codes: 0 ok; 1 error" in " ".join(proc.stdout.split())


def test_a_commands_findings_exit_code_reaches_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that raises typer.Exit(2) (a BROKEN chain, a failed audit) exits 2: click's
    non-standalone mode returns that code instead of raising it."""

    @cli.app.command("findings-probe", hidden=True)
    def _probe() -> None:
        raise typer.Exit(2)

    try:
        monkeypatch.setattr(sys, "argv", ["zkalert", "findings-probe"])
        with pytest.raises(SystemExit) as info:
            cli.main()
        assert info.value.code == 2
    finally:
        cli.app.registered_commands[:] = [
            c for c in cli.app.registered_commands if c.name != "findings-probe"
        ]


def test_a_domain_error_is_one_line_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from zkalert.errors import ZkAlertError

    @cli.app.command("error-probe", hidden=True)
    def _probe() -> None:
        raise ZkAlertError("stream 'x' is not open")

    try:
        monkeypatch.delenv("ZKALERT_DEBUG", raising=False)
        monkeypatch.setattr(sys, "argv", ["zkalert", "error-probe"])
        with pytest.raises(SystemExit) as info:
            cli.main()
        assert info.value.code == 1
        assert capsys.readouterr().err.strip() == "error: stream 'x' is not open"
    finally:
        cli.app.registered_commands[:] = [
            c for c in cli.app.registered_commands if c.name != "error-probe"
        ]


def test_commands_that_measure_write_under_build_unless_told(monkeypatch, tmp_path) -> None:
    """bench, evaluate, demo, soak and the time-series reports go to build/reports/ (or
    $ZKALERT_REPORTS, which `make ... REPORTS=reports` sets): never to the committed reports/."""
    from zkalert.config import PROJECT_ROOT, reports_dir
    from zkalert.lab.bench import BenchOptions
    from zkalert.lab.demo import DemoOptions
    from zkalert.lab.evaluate import EvaluateOptions
    from zkalert.lab.soak import SoakOptions

    monkeypatch.delenv("ZKALERT_REPORTS", raising=False)
    build = PROJECT_ROOT / "build" / "reports"
    assert (
        BenchOptions().report_dir == build / "bench"
        and EvaluateOptions().out_dir == build / "evaluate"
    )
    assert (
        DemoOptions().report_path == build / "demo" / "metrics.json"
        and SoakOptions().report_dir == build / "soak"
    )
    assert reports_dir("timeseries") == build / "timeseries"
    monkeypatch.setenv("ZKALERT_REPORTS", str(tmp_path))
    assert BenchOptions().report_dir == tmp_path / "bench" and reports_dir("timeseries").is_dir()


def test_shell_completion_completes_commands() -> None:
    """`zkalert --install-completion` installs what this answers: the shell asks, zkalert completes."""
    import os

    env = {
        **os.environ,
        "_ZKALERT_COMPLETE": "complete_bash",
        "COMP_WORDS": "zkalert ser",
        "COMP_CWORD": "1",
    }
    entry_point = str(
        Path(sys.executable).parent / "zkalert"
    )  # completion is keyed to the installed command's name
    proc = subprocess.run(
        [entry_point],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.split() == ["serve"], (proc.stdout, proc.stderr)
    script = subprocess.run(
        [entry_point, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
        timeout=60,
    )
    assert script.returncode == 0 and "_zkalert_completion" in script.stdout, script.stderr
