"""`ape run submit_alert` against a real anvil, submitting a committed real proof through Ape."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from conftest import FIXTURES, OWNER_KEY

from zkalert.config import PROJECT_ROOT
from zkalert.evm.ids import stream_id
from zkalert.evm.registry import Deployment, ModelSpec, deploy
from zkalert.zk.prover import binding_file

pytestmark = [pytest.mark.anvil]


def test_ape_script_submits_an_alert_through_the_foundry_provider(
    anvil_url, w3, alert_fixture, isolated, tmp_path
):
    spec = ModelSpec("FixtureVerifier", alert_fixture["model_id"], int(alert_fixture["threshold"]))
    deployment: Deployment = deploy(spec, anvil_url, key=OWNER_KEY)
    registry = deployment.registry(w3)
    stream = stream_id(alert_fixture["binding"]["stream"])
    assert registry.functions.count(stream).call() == 0
    # a proof file as `zkalert prove` leaves it: the proof and, next to it, what it is bound to
    proof = tmp_path / "alert.proof.json"
    shutil.copy(FIXTURES / "alert_proof.ezkl.json", proof)
    binding_file(proof).write_text(json.dumps(alert_fixture["binding"]))
    env = dict(
        os.environ,
        APE_FOUNDRY_HOST=anvil_url,
        ZKALERT_PROOF=str(proof),
        ZKALERT_MODEL_ID=alert_fixture["model_id"],
        ZKALERT_STREAM=alert_fixture["binding"]["stream"],
    )
    ape = PROJECT_ROOT / ".venv" / "bin" / "ape"
    out = subprocess.run(
        [str(ape), "run", "submit_alert"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "recorded as seq 0" in out.stdout
    assert "gas" in out.stdout and "tx 0x" in out.stdout
    assert registry.functions.count(stream).call() == 1
