"""A plant of its own, end to end, as the getting-started page tells it.

A synthetic plant (20 sensors, labelled fault episodes) and an encrypted keystore in a folder
outside the project; the walkthrough's commands, read from docs/getting-started.md and run as
written (bash, `zkalert` on PATH), take everything from the zkalert.toml the first one writes:
train -> compile -> deploy -> stream open -> prove -> submit -> alerts -> doctor on a real anvil.
Then anvil's well-known key 0, on a chain that is not a development chain, is refused with one
line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3
from web3.types import RPCEndpoint

from zkalert.config import GENERATED_DIR, PROJECT_ROOT
from zkalert.evm.localnode import Anvil, free_port
from zkalert.keys import ANVIL_KEY_0, DEV_CHAINS_ENV
from zkalert.lab.plant import synthetic_plant

pytestmark = [pytest.mark.anvil, pytest.mark.ezkl, pytest.mark.slow]

GETTING_STARTED = PROJECT_ROOT / "docs" / "getting-started.md"
PLANT_CHAIN_ID = 31961  # not a development chain: only the keystore, no well-known key, signs
#: The verifier the test's compile writes into contracts/generated (git-ignored, removed after).
CONTRACT = "PytestPlantVerifier"
EXIT_DEVELOPMENT_KEY_REFUSED = 3


def walkthrough() -> list[str]:
    """The command lines of the getting-started page's plant walkthrough, in order."""
    text = GETTING_STARTED.read_text()
    marker = text.index("<!-- walkthrough:")
    block = re.search(r"```bash\n(.*?)```", text[marker:], flags=re.DOTALL)
    assert block is not None, "the walkthrough block is missing from getting-started.md"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture
def plant_node() -> Iterator[Anvil]:
    node = Anvil(free_port(), PLANT_CHAIN_ID).start()
    try:
        yield node
    finally:
        node.stop()
        (GENERATED_DIR / f"{CONTRACT}.sol").unlink(missing_ok=True)


def environment(node_url: str) -> dict[str, str]:
    """A user's shell: zkalert on PATH, none of the test session's zkalert settings."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ZKALERT_") and k not in ("RPC_URL", "PRIVATE_KEY")
    }
    return {
        **keep,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{keep.get('PATH', '')}",
        "NODE": node_url,
        # a name of its own, so the developer's contracts/generated/DetectorVerifier.sol stays
        "ZKALERT_CIRCUIT_CONTRACT": CONTRACT,
    }


def test_a_plant_runs_the_getting_started_walkthrough_from_its_config(
    plant_node: Anvil, tmp_path: Path
) -> None:
    plant = synthetic_plant(tmp_path / "plant.csv", sensors=20, rows=400, faults=4, seed=0)
    rows = (tmp_path / "plant.csv").read_text().splitlines()
    header, body = rows[0], rows[1:]
    faulty = [body[i] for i in plant.fault_rows[:3]]
    (tmp_path / "new-rows.csv").write_text("\n".join([header, *faulty]) + "\n")

    gateway = Account.create()
    (tmp_path / "gateway.pass").write_text("correct horse battery staple\n")
    keystore = Account.encrypt(gateway.key, "correct horse battery staple")
    (tmp_path / "gateway.json").write_text(json.dumps(keystore))
    Web3(Web3.HTTPProvider(plant_node.url)).provider.make_request(
        RPCEndpoint("anvil_setBalance"), [gateway.address, hex(10**20)]
    )

    env = environment(plant_node.url)
    lines = walkthrough()
    assert lines[0].startswith("zkalert init ") and lines[-1] == "zkalert doctor"
    for line in lines:
        proc = subprocess.run(
            ["bash", "-ec", line],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert proc.returncode == 0, f"{line}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        if line == "zkalert doctor":
            failed = [out for out in proc.stdout.splitlines() if out.startswith("FAIL")]
            assert not failed and ", 0 FAIL," in proc.stdout, proc.stdout

    config = (tmp_path / "zkalert.toml").read_text()
    assert 'keystore = "gateway.json"' in config and 'path = "plant.csv"' in config
    assert (tmp_path / "build" / "detector.json").is_file()
    record = tmp_path / "deployments" / str(PLANT_CHAIN_ID) / "AlertRegistry.json"
    assert json.loads(record.read_text())["owner"].lower() == gateway.address.lower()
    assert not (PROJECT_ROOT / "deployments" / str(PLANT_CHAIN_ID)).exists()

    shown = subprocess.run(
        ["zkalert", "alerts", "--stream", "plant-a/unit-1", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(shown.stdout)
    assert report["chain_id"] == PLANT_CHAIN_ID and report["chain_intact"] is True
    assert len(report["alerts"]) == 3 and all(a["alarm"] for a in report["alerts"])

    # anvil's account 0, whose key everyone knows, on a chain that is not a development chain
    refused = subprocess.run(
        ["zkalert", "--set", "key.keystore=", "deploy"],
        cwd=tmp_path,
        env={**env, "PRIVATE_KEY": ANVIL_KEY_0},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert refused.returncode == EXIT_DEVELOPMENT_KEY_REFUSED, refused.stderr
    lines_out = refused.stderr.strip().splitlines()
    assert len(lines_out) == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert str(PLANT_CHAIN_ID) in lines_out[0]
    assert DEV_CHAINS_ENV not in env
    shutil.rmtree(PROJECT_ROOT / "deployments" / str(PLANT_CHAIN_ID), ignore_errors=True)
