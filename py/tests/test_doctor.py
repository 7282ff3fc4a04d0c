"""`zkalert doctor` against a real anvil: it names what is wrong, and skips what depends on it.

The registry and the committed fixture verifier (test/generated/FixtureVerifier.sol) are
deployed on the session's anvil; no circuit is compiled here, so the workspace checks fail in
these tests and are not what they look at. The whole setup passing (workspace, SRS, registry,
verifier, WindowLog, outbox) is checked in test_services.py, on its compiled detector.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import OWNER_KEY

from zkalert.config import PROJECT_ROOT
from zkalert.evm.registry import Deployment, ModelSpec, deploy
from zkalert.gateway.doctor import CHECKS, Check, DoctorOptions, run

pytestmark = [pytest.mark.anvil]

CHAIN_CHECKS = ("deployment", "registry", "verifiers", "gateway", "funds")


@pytest.fixture(scope="module")
def deployment(anvil_url, alert_fixture) -> Deployment:
    spec = ModelSpec("FixtureVerifier", alert_fixture["model_id"], int(alert_fixture["threshold"]))
    return deploy(spec, anvil_url, key=OWNER_KEY)


def doctor_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "zkalert", "doctor", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PRIVATE_KEY": OWNER_KEY, **(env or {})},
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_node_down_is_named_and_every_check_that_needs_it_is_skipped(
    tmp_path: Path, dead_port: int
) -> None:
    url = f"http://127.0.0.1:{dead_port}"  # nothing listens there
    text = doctor_cli("--rpc-url", url, "--workdir", str(tmp_path))
    assert text.returncode == 2, text.stderr
    assert "Traceback" not in text.stderr
    lines = {line.split()[1]: line for line in text.stdout.splitlines() if len(line.split()) > 1}
    assert lines["node"].startswith("FAIL") and f"node unreachable at {url}" in lines["node"]
    assert (
        lines["deployment"].startswith("skip") and "needs node, which failed" in lines["deployment"]
    )
    assert lines["registry"].startswith("skip") and "needs deployment" in lines["registry"]
    assert text.stdout.splitlines()[-1].startswith("doctor: ")

    machine = doctor_cli("--rpc-url", url, "--workdir", str(tmp_path), "--json")
    assert machine.returncode == 2
    report = json.loads(machine.stdout)
    assert report["ok"] is False
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == [name for name, _, _ in CHECKS]
    assert checks["node"]["status"] == "fail" and "unreachable" in checks["node"]["detail"]
    assert {checks[n]["status"] for n in CHAIN_CHECKS} == {"skip"}
    assert checks["python"]["status"] == "ok" and checks["ezkl"]["status"] == "ok"
    assert report["summary"]["fail"] == sum(c["status"] == "fail" for c in report["checks"])


def test_a_missing_deployment_is_named_and_the_contract_checks_are_skipped(
    anvil_url, deployment, tmp_path: Path
) -> None:
    empty = tmp_path / "deployments"
    empty.mkdir()
    proc = doctor_cli(
        "--rpc-url", anvil_url, "--deployments", str(empty), "--workdir", str(tmp_path)
    )
    assert proc.returncode == 2, proc.stderr
    lines = {line.split()[1]: line for line in proc.stdout.splitlines() if len(line.split()) > 1}
    assert lines["node"].startswith("ok") and f"chain {deployment.chain_id}" in lines["node"]
    assert lines["deployment"].startswith("FAIL")
    assert (
        f"deployment missing: no AlertRegistry record for chain {deployment.chain_id}"
        in (lines["deployment"])
    )
    assert str(empty / str(deployment.chain_id)) in lines["deployment"]
    for name in ("registry", "verifiers", "gateway"):
        assert lines[name].startswith("skip"), lines[name]
    assert lines["funds"].startswith("ok")  # needs the node only


def test_the_fixture_deployment_passes_the_chain_checks(anvil_url, deployment, tmp_path) -> None:
    checks = by_name(run(DoctorOptions(workdir=tmp_path, rpc_url=anvil_url)))
    for name in CHAIN_CHECKS:
        assert checks[name].status == "ok", checks[name].line
    assert "code as built" in checks["registry"].detail
    assert deployment.registry_address in checks["registry"].detail
    assert checks["verifiers"].data["models"] >= 1
    assert checks["workspace"].status == "fail"  # no circuit compiled here
    assert "the workspace's model not checked" in checks["verifiers"].detail


def test_a_stale_record_a_foreign_gateway_and_a_network_of_another_chain_fail(
    anvil_url, deployment, tmp_path
) -> None:
    # a record whose registry address holds no contract (a node restarted since the deploy)
    stale = tmp_path / "stale" / str(deployment.chain_id)
    shutil.copytree(PROJECT_ROOT / "deployments" / str(deployment.chain_id), stale)
    record = json.loads((stale / "AlertRegistry.json").read_text())
    record["address"] = "0x" + "42" * 20
    (stale / "AlertRegistry.json").write_text(json.dumps(record))
    checks = by_name(
        run(DoctorOptions(workdir=tmp_path, rpc_url=anvil_url, deployments=stale.parent))
    )
    assert checks["registry"].status == "fail"
    assert "no contract at 0x4242" in checks["registry"].detail
    assert checks["verifiers"].status == "skip" and checks["gateway"].status == "skip"

    # an account the registry never allowed, with no ether
    nobody = "0x" + "5a" * 20
    checks = by_name(run(DoctorOptions(workdir=tmp_path, rpc_url=anvil_url, gateway=nobody)))
    assert checks["gateway"].status == "fail" and "is not allowed by the registry" in (
        checks["gateway"].detail
    )
    assert checks["funds"].status == "fail" and "holds no ether" in checks["funds"].detail

    # a network whose chain id is not the node's
    networks = tmp_path / "networks.toml"
    networks.write_text(f'[networks.plant]\nrpc_url = "{anvil_url}"\nchain_id = 1\n')
    checks = by_name(run(DoctorOptions(workdir=tmp_path, network="plant", networks_file=networks)))
    assert checks["node"].status == "fail"
    assert f"is chain {deployment.chain_id}, network 'plant' expects 1" in checks["node"].detail
