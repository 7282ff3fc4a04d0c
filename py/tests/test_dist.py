"""The wheel `make dist` builds installs into a fresh virtual environment outside the project,
with every dependency at requirements.lock's version, and zkalert runs there: the compiled
contracts and the services' Swagger UI come from the package, settings from a zkalert.toml
beside the user, and `zkalert doctor` reports on that setup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zkalert.config import PROJECT_ROOT

pytestmark = [pytest.mark.slow]


def run(args: list[str], cwd: Path, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZKALERT_", "VIRTUAL_ENV"))}
    env.pop("RPC_URL", None)
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_wheel_installs_outside_the_project_and_zkalert_doctor_runs_there(
    tmp_path: Path,
) -> None:
    from zkalert.evm.rpc import forge_lock

    with forge_lock():  # make dist runs forge build, maybe beside another test's deployment
        built = run(["make", "-o", "setup", "dist"], PROJECT_ROOT)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheels = sorted((PROJECT_ROOT / "dist").glob("zkalert-*.whl"))
    assert len(wheels) == 1, wheels

    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    assert made.returncode == 0, made.stderr
    # --no-compile: the byte-code is compiled at first import instead (a minute less)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]
    lock = str(PROJECT_ROOT / "requirements.lock")
    # torch first and pinned, as make setup does: an unpinned torch pulls a CUDA build
    for target in (["torch"], [str(wheels[0])]):
        installed = run([*pip, "-c", lock, *target], tmp_path)
        assert installed.returncode == 0, installed.stderr[-3000:]

    plant = tmp_path / "plant"
    plant.mkdir()
    zkalert = str(venv / "bin" / "zkalert")
    where = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            (
                "import zkalert, pathlib; from zkalert.evm import artifacts;"
                "print(zkalert.__file__); print(len(artifacts.load('AlertRegistry')['abi']));"
                "print(len(list((pathlib.Path(zkalert.__file__).parent / 'services' / "
                "'swagger_ui').glob('*.js'))))"
            ),
        ],
        plant,
    )
    assert where.returncode == 0, where.stderr
    module, abi_entries, swagger_scripts = where.stdout.split()
    assert module.startswith(str(venv))  # the installed package, not the checkout
    assert int(abi_entries) > 10 and int(swagger_scripts) >= 1

    assert run([zkalert, "init"], plant).returncode == 0
    doctor = run([zkalert, "doctor", "--json", "--rpc-url", "http://127.0.0.1:9"], plant, 300)
    assert doctor.returncode == 2, doctor.stderr  # no workspace, no node: named, not crashed
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["config"]["status"] == "ok" and str(plant) in checks["config"]["detail"]
    assert checks["python"]["status"] == "ok" and checks["ezkl"]["status"] == "ok"
    assert checks["packages"]["status"] in ("ok", "warn"), checks["packages"]
    assert checks["node"]["status"] == "fail" and "unreachable" in checks["node"]["detail"]
    assert (
        checks["workspace"]["status"] == "fail"
        and str(plant / "build") in (checks["workspace"]["detail"])
    )
    assert not (PROJECT_ROOT / "build" / "plant").exists()
