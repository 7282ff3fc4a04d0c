"""zkalert.toml: one file, every key overridable, unknown keys refused, sources reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zkalert.cli import settings
from zkalert.cli.app import app
from zkalert.cli.configure import command_params
from zkalert.errors import ConfigError

ZKALERT = [sys.executable, "-c", "from zkalert.cli import main; main()"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZKALERT_") and k != "RPC_URL"}
    return subprocess.run(
        ZKALERT + args,
        check=False,
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zkalert.toml"
    path.write_text(text)
    return path


def test_precedence_set_over_env_over_file_over_default(tmp_path: Path) -> None:
    path = write(tmp_path, "[circuit]\nscale = 8\nwindows_per_proof = 4\n[detector]\nepochs = 9\n")
    loaded = settings.load(
        path, ["circuit.scale=11"], env={"ZKALERT_CIRCUIT_SCALE": "9", "ZKALERT_DETECTOR_SEED": "3"}
    )
    s = loaded.settings
    assert (s.circuit.scale, s.circuit.windows_per_proof, s.detector.epochs) == (11, 4, 9)
    assert s.detector.seed == 3 and s.circuit.commitment == "kzg"
    assert loaded.sources["circuit.scale"] == "--set"
    assert loaded.sources["detector.seed"] == "$ZKALERT_DETECTOR_SEED"
    assert loaded.sources["circuit.windows_per_proof"] == str(path)
    assert "circuit.commitment" not in loaded.sources


def test_older_variable_names_still_set_their_keys(tmp_path: Path) -> None:
    loaded = settings.load(
        None,
        env={
            "RPC_URL": "http://10.0.0.5:8545",
            "ZKALERT_NETWORK": "plant",
            "ZKALERT_SRS_DIR": "/s",
        },
    )
    assert loaded.settings.network.rpc_url == "http://10.0.0.5:8545"
    assert loaded.settings.network.name == "plant"
    assert loaded.settings.paths.srs_dir == Path("/s")


@pytest.mark.parametrize(
    ("text", "env", "assignments", "message"),
    [
        ("[circuit]\nscal = 9\n", {}, [], "unknown key 'scal' in [circuit]"),
        ("[circuits]\nscale = 9\n", {}, [], "unknown section [circuits]"),
        ("[circuit]\nscale = 'x'\n", {}, [], "circuit.scale (from "),
        ("[circuit]\nscale = 99\n", {}, [], "less than or equal to 20"),
        ("[circuit\n", {}, [], "is not valid TOML"),
        ("", {"ZKALERT_CIRCUIT_SCAL": "9"}, [], "$ZKALERT_CIRCUIT_SCAL: circuit has no key 'scal'"),
        ("", {}, ["circuit.scal=9"], "--set circuit.scal: circuit has no key 'scal'"),
        ("", {}, ["scale=9"], "expected SECTION.KEY=VALUE"),
        ("", {}, ["network.rpc_url=ftp://x"], "network.rpc_url (from --set)"),
    ],
)
def test_bad_settings_are_refused_with_what_is_wrong(
    tmp_path: Path, text: str, env: dict[str, str], assignments: list[str], message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        settings.load(path, assignments, env=env)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_relative_paths_follow_the_file_and_defaults_live_next_to_it(tmp_path: Path) -> None:
    plant = tmp_path / "plant"
    plant.mkdir()
    path = plant / "zkalert.toml"
    path.write_text('[paths]\nreports = "out/reports"\n')
    loaded = settings.load(path, env={"ZKALERT_PATHS_SRS_DIR": "/abs/srs"})
    assert loaded.settings.paths.reports == plant / "out" / "reports"
    assert loaded.settings.paths.workdir == plant / "build"
    assert loaded.settings.paths.srs_dir == Path("/abs/srs")
    assert loaded.sources["paths.workdir"].startswith("default, next to")


def test_settings_reach_the_commands_as_option_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "[detector]\nepochs = 17\n[services]\nutility_port = 9100\n")
    loaded = settings.load(path, ["network.rpc_url=http://10.1.1.1:8545"], env={})
    defaults = settings.default_map(loaded, command_params(typer_group()))
    assert defaults["train"]["epochs"] == 17
    assert "seed" not in defaults["train"]  # at its default: the option's own default applies
    assert defaults["serve"]["utility"]["port"] == 9100
    assert defaults["deploy"]["rpc_url_opt"] == "http://10.1.1.1:8545"
    assert defaults["train"]["workdir"] == str(tmp_path / "build")


def typer_group() -> object:
    import typer.main

    return typer.main.get_command(app)


def test_every_mapped_option_exists() -> None:
    """A settings key that names a command option no command has would silently do nothing."""
    params = command_params(typer_group())
    for key, targets in settings.OPTION_KEYS.items():
        for command, param in targets:
            found = [p for p, names in params.items() if (command in ("*", p)) and param in names]
            assert found, f"{key}: no command {command!r} with option {param!r}"


def test_init_writes_a_file_that_loads_and_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = run(["init", "--rpc-url", "http://127.0.0.1:8545"], tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "zkalert.toml").read_text()
    assert 'rpc_url = "http://127.0.0.1:8545"' in text
    for key in settings.known_keys():
        assert f"{key.split('.')[1]} =" in text, key
    again = run(["init"], tmp_path)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        "error: zkalert.toml exists; pass --force to overwrite it"
    ]
    check = run(["config", "check"], tmp_path)
    assert check.returncode == 0, check.stderr
    assert "network anvil (chain 31337" in check.stdout
    shown = json.loads(
        run(["--set", "detector.epochs=3", "config", "show", "--json"], tmp_path).stdout
    )
    assert shown["file"] == str(tmp_path / "zkalert.toml")
    assert shown["values"]["detector.epochs"] == {"value": 3, "source": "--set"}
    assert shown["values"]["network.file"]["value"] == str(tmp_path / "zkalert.toml")


def test_a_broken_file_is_one_line_and_init_can_replace_it(tmp_path: Path) -> None:
    write(tmp_path, "[detector]\nepoch = 3\n")
    result = run(["config", "show"], tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown key 'epoch' in [detector]" in lines[0]
    assert run(["init", "--force"], tmp_path).returncode == 0
    assert run(["config", "check"], tmp_path).returncode == 0


def test_doctor_reports_a_broken_config_as_its_first_check_and_goes_on(tmp_path: Path) -> None:
    write(tmp_path, "[detector]\nepoch = 3\n")
    result = run(["doctor", "--json", "--rpc-url", "http://127.0.0.1:9"], tmp_path)
    assert result.returncode == 2, result.stderr
    checks = json.loads(result.stdout)["checks"]
    assert checks[0]["name"] == "config" and checks[0]["status"] == "fail"
    assert "unknown key 'epoch' in [detector]" in checks[0]["detail"]
    assert {c["name"] for c in checks} >= {"python", "node", "workspace"}
