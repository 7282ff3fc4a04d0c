"""Shared fixtures: one role each (anvil node, owner/gateway keys, deployed fixture registry)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from zkalert.config import PROJECT_ROOT
from zkalert.toolchain import tool

TEST_CHAIN_ID = 31999  # not anvil's default, so tests never touch a developer's deployments/31337
FIXTURES = PROJECT_ROOT / "test" / "fixtures"

# anvil's well-known development keys (accounts 0 and 1)
OWNER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """A real anvil on a free port, for the whole session."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(tool("anvil")), "--port", str(port), "--chain-id", str(TEST_CHAIN_ID), "--silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if Web3(Web3.HTTPProvider(url)).eth.chain_id == TEST_CHAIN_ID:
                break
        except Exception:  # noqa: BLE001 - anvil not answering yet: keep polling until the deadline
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("anvil did not start") from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(PROJECT_ROOT / "deployments" / str(TEST_CHAIN_ID), ignore_errors=True)


@pytest.fixture(scope="session")
def w3(anvil_url: str) -> Web3:
    return Web3(Web3.HTTPProvider(anvil_url))


@pytest.fixture(scope="session")
def alert_fixture() -> dict:
    return json.loads((FIXTURES / "alert_proof.json").read_text())


@pytest.fixture(scope="session")
def normal_fixture() -> dict:
    return json.loads((FIXTURES / "normal_proof.json").read_text())


@pytest.fixture(scope="session")
def fixture_proof_paths() -> dict[str, Path]:
    return {"alert": FIXTURES / "alert_proof.ezkl.json", "normal": FIXTURES / "normal_proof.ezkl.json"}


@pytest.fixture
def isolated(w3: Web3) -> Iterator[None]:
    """Undo every transaction a test makes (anvil's evm_snapshot / evm_revert)."""
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield
    finally:
        w3.provider.make_request("evm_revert", [snapshot])
