"""The wheel `make dist` builds installs into a fresh virtual environment outside the project and
zkalert runs there: the compiled contracts and the services' Swagger UI come from the package,
settings from a zkalert.toml beside the user, and `zkalert doctor` reports on that setup.

The fresh environment takes its dependencies from the project's own, which `make setup` installed
from requirements.lock (a path file, not a second install of torch and 190 other packages: a
minute and a half less), and the test checks that every requirement the wheel declares is met
there at the lock's version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
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


#: Run in the fresh environment: each requirement the installed wheel declares (extras aside),
#: checked against the distribution found there and the lock's pin; prints "requirements met N"
#: or "requirements unmet" and one line per problem.
UNMET = """
import sys
from importlib import metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

lock = {}
for line in open(sys.argv[1]):
    if "==" in line and not line.startswith("#"):
        name, version = line.strip().split("==", 1)
        lock[canonicalize_name(name)] = version
problems, checked = [], 0
for text in metadata.requires("zkalert") or []:
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    checked += 1
    name = canonicalize_name(req.name)
    try:
        found = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        problems.append(f"{req.name}: not installed")
        continue
    if not req.specifier.contains(found, prereleases=True):
        problems.append(f"{req.name} {found} does not meet {req}")
    if lock.get(name, "").split("+")[0] != found.split("+")[0]:
        problems.append(f"{req.name} {found} is not the lock's {lock.get(name)}")
print(("requirements unmet" if problems else f"requirements met {checked}"), *problems, sep="\\n")
"""


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
    # The project's locked packages, after the fresh environment's own site-packages; the path
    # files in there (the checkout's editable zkalert) are not read from a path-file entry.
    site = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        tmp_path,
    )
    assert site.returncode == 0, site.stderr
    Path(site.stdout.strip(), "project-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n"
    )
    # --no-compile: the byte-code is compiled at first import instead
    installed = run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile", "--no-deps",
         str(wheels[0])],
        tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    unmet = run([str(venv / "bin" / "python"), "-c", UNMET, str(PROJECT_ROOT / "requirements.lock")],
                tmp_path)  # fmt: skip
    assert unmet.returncode == 0, unmet.stderr[-3000:]
    assert unmet.stdout.startswith("requirements "), unmet.stdout
    assert unmet.stdout.split()[1] == "met", unmet.stdout

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
