"""Shared fixtures: one role each (anvil node, owner/gateway keys, deployed fixture registry)."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from zkalert.config import PROJECT_ROOT
from zkalert.evm.localnode import Anvil, free_port
from zkalert.keys import ANVIL_KEY_0, ANVIL_KEY_1, DEV_CHAINS_ENV

#: The session chain of each pytest-xdist worker (gw0, gw1, ...; gw0 also without xdist): not
#: anvil's default, so tests never touch a developer's deployments/31337, and one per worker, so
#: two workers never share a deployments/<id>/ folder
SESSION_CHAINS = (31999, 31995, 31994, 31993, 31992, 31991, 31990)
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
if WORKER >= len(SESSION_CHAINS):
    raise pytest.UsageError(f"at most {len(SESSION_CHAINS)} test workers (pytest -n)")
TEST_CHAIN_ID = SESSION_CHAINS[WORKER]
FIXTURES = PROJECT_ROOT / "test" / "fixtures"

#: test_keys.py's development chain (its other chain, 4242, is deliberately not one)
KEYS_CHAIN_ID = 31989
#: test_utility_kzg.py's chain
KZG_UTILITY_CHAIN_ID = 31988
#: The chains the tests start their own anvil on: the sessions', the services' (31996),
#: test_keys.py's, test_utility_kzg.py's and the durability tests' (one of 32100-32179). They are development chains,
#: declared as any local test chain is (ZKALERT_DEV_CHAINS), so anvil's well-known keys sign
#: there and nowhere else.
TEST_DEV_CHAINS = (
    *SESSION_CHAINS,
    31996,
    KEYS_CHAIN_ID,
    KZG_UTILITY_CHAIN_ID,
    *range(32100, 32180),
)

# anvil's well-known development keys (accounts 0 and 1)
OWNER_KEY = ANVIL_KEY_0
OTHER_KEY = ANVIL_KEY_1


@pytest.fixture(scope="session", autouse=True)
def development_chains() -> Iterator[None]:
    """Declare the test chains development chains, for this process and the CLIs it starts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DEV_CHAINS_ENV, ",".join(str(chain_id) for chain_id in TEST_DEV_CHAINS))
        yield


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    """A real anvil on a free port, for the whole session."""
    node = Anvil(free_port(), TEST_CHAIN_ID).start()
    try:
        yield node.url
    finally:
        node.stop()
        shutil.rmtree(PROJECT_ROOT / "deployments" / str(TEST_CHAIN_ID), ignore_errors=True)


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A local port bound here and never listened on, for the test's duration: connecting to it
    is refused, and no other process (another test worker's node) can take it meanwhile, as it
    could take a port free_port found free."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


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
    return {
        "alert": FIXTURES / "alert_proof.ezkl.json",
        "normal": FIXTURES / "normal_proof.ezkl.json",
    }


def _records() -> dict[Path, bytes]:
    folder = PROJECT_ROOT / "deployments" / str(TEST_CHAIN_ID)
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else {}


@pytest.fixture
def isolated(w3: Web3) -> Iterator[None]:
    """Undo every transaction a test makes (anvil's evm_snapshot / evm_revert), and the
    deployment records it wrote for them (a model record of a reverted registration would
    otherwise outlive it)."""
    before = _records()
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield
    finally:
        w3.provider.make_request("evm_revert", [snapshot])
        for path in set(_records()) - set(before):
            path.unlink(missing_ok=True)
        for path, data in before.items():
            if not path.is_file() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)


NOT_UNIT = ("anvil", "ezkl", "slow")

#: The modules that take a minute or more, longest first (see the durations pytest lists after a
#: run): run first, they let the test workers (make test-py) finish close together.
LONGEST_FIRST = (
    "test_dist.py",
    "test_srs.py",
    "test_cluster.py",
    "test_plant.py",
    "test_services.py",
    "test_timeseries.py",
    "test_batching.py",
    "test_accept.py",
    "test_durability.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``unit`` every test that is neither anvil, ezkl nor slow, and refuse a test that
    reaches the session's anvil without saying so (its marks would let it into ``-m unit``)."""
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        if "anvil_url" in getattr(item, "fixturenames", ()) and "anvil" not in marks:
            raise pytest.UsageError(
                f"{item.nodeid} uses the anvil_url fixture but is not marked anvil"
            )
        if not marks & set(NOT_UNIT):
            item.add_marker(pytest.mark.unit)
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable within a module
