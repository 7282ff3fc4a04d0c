"""Per-network settings for durable submission, read from ``networks.toml``.

One table per network (``[networks.NAME]``): RPC endpoint, the chain id the node
must report, whether it is a PoA chain (web3.py's ``ExtraDataToPOAMiddleware``),
confirmation depth, block time and the sender's fee and retry policy. The gateway
refuses to start when the node's chain id differs from the configured one.

``dev = true`` marks a development chain (a local node whose funded accounts are anvil's
well-known ones): there, and on chains 31337 and 1337, anvil's development keys may sign
(:mod:`zkalert.keys`); everywhere else they are refused.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from web3 import Web3

from zkalert.config import shared_path
from zkalert.errors import ChainError, NetworkConfigError

DEFAULT_NETWORK = "anvil"


@dataclass(frozen=True)
class Network:
    name: str
    rpc_url: str
    chain_id: int
    poa: bool = False
    dev: bool = False
    confirmations: int = 1
    block_time_s: float = 0.0
    poll_s: float = 0.0  # 0: derived from block_time_s
    stuck_after_s: float = 0.0  # 0: derived from block_time_s
    fee_bump: float = 1.25
    priority_fee_gwei: float = 1.0
    max_fee_gwei: float = 500.0
    gas_margin: float = 1.25
    rpc_timeout_s: float = 10.0
    outage_budget_s: float = 600.0
    max_reverts: int = 20

    def __post_init__(self) -> None:
        problems = []
        if self.chain_id <= 0:
            problems.append(f"chain_id must be positive, got {self.chain_id}")
        if self.confirmations < 1:
            problems.append(f"confirmations must be at least 1, got {self.confirmations}")
        if self.block_time_s < 0:
            problems.append(f"block_time_s must not be negative, got {self.block_time_s}")
        if self.fee_bump < 1.1:
            problems.append(
                f"fee_bump must be at least 1.1 (nodes refuse replacements under +10%), got {self.fee_bump}"
            )
        if (
            self.max_fee_gwei <= 0
            or self.priority_fee_gwei < 0
            or self.priority_fee_gwei > self.max_fee_gwei
        ):
            problems.append("fees must satisfy 0 <= priority_fee_gwei <= max_fee_gwei")
        if self.gas_margin < 1.0:
            problems.append(f"gas_margin must be at least 1.0, got {self.gas_margin}")
        if self.rpc_timeout_s <= 0 or self.outage_budget_s <= 0:
            problems.append("rpc_timeout_s and outage_budget_s must be positive")
        if not self.rpc_url.startswith(("http://", "https://")):
            problems.append(f"rpc_url must be an http(s) URL, got {self.rpc_url!r}")
        if problems:
            raise NetworkConfigError(f"network {self.name!r}: " + "; ".join(problems))

    @property
    def poll_interval_s(self) -> float:
        if self.poll_s > 0:
            return self.poll_s
        return min(max(self.block_time_s / 4, 0.1), 2.0)

    @property
    def stuck_after(self) -> float:
        if self.stuck_after_s > 0:
            return self.stuck_after_s
        return max(4 * self.block_time_s, 6.0)

    @property
    def dev_chains(self) -> tuple[int, ...]:
        """This network's chain id when it is marked ``dev = true`` (for :mod:`zkalert.keys`)."""
        return (self.chain_id,) if self.dev else ()

    def with_rpc_url(self, url: str | None) -> Network:
        if not url or url == self.rpc_url:
            return self
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return Network(**{**values, "rpc_url": url})


def networks_file() -> Path:
    """``networks.toml``: configured (``network.file`` in zkalert.toml), else $ZKALERT_NETWORKS."""
    return shared_path("networks")


def load_network(
    name: str | None = None, path: Path | None = None, rpc_url: str | None = None
) -> Network:
    """The named network (default: $ZKALERT_NETWORK or 'anvil'); ``rpc_url`` (or $RPC_URL) overrides its URL."""
    path = path or networks_file()
    name = name or os.environ.get("ZKALERT_NETWORK", DEFAULT_NETWORK)
    if not path.is_file():
        raise NetworkConfigError(
            f"no network config at {path} (set ZKALERT_NETWORKS or restore networks.toml)"
        )
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise NetworkConfigError(f"{path} is not valid TOML: {exc}") from None
    table = data.get("networks", {})
    if name not in table:
        known = ", ".join(sorted(table)) or "none"
        raise NetworkConfigError(f"network {name!r} is not in {path} (known: {known})")
    raw: dict[str, Any] = dict(table[name])
    settable = {f.name for f in fields(Network)} - {"name"}
    unknown = sorted(set(raw) - settable)
    if unknown:
        raise NetworkConfigError(
            f"network {name!r} in {path}: unknown setting(s) {', '.join(unknown)}"
        )
    for required in ("rpc_url", "chain_id"):
        if required not in raw:
            raise NetworkConfigError(f"network {name!r} in {path} has no {required}")
    try:
        network = Network(name=name, **_typed(raw))
    except (TypeError, ValueError) as exc:
        raise NetworkConfigError(f"network {name!r} in {path}: {exc}") from None
    return network.with_rpc_url(rpc_url or os.environ.get("RPC_URL"))


def dev_chain_ids(path: Path | None = None) -> frozenset[int]:
    """The chain ids of every network marked ``dev = true`` in networks.toml (none without the
    file): the development chains of commands that take an RPC URL rather than a network."""
    path = path or networks_file()
    if not path.is_file():
        return frozenset()
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise NetworkConfigError(f"{path} is not valid TOML: {exc}") from None
    chains = set()
    for name, table in data.get("networks", {}).items():
        if not isinstance(table, dict) or "dev" not in table:
            continue
        dev, chain_id = table["dev"], table.get("chain_id")
        if not isinstance(dev, bool):
            raise NetworkConfigError(f"network {name!r} in {path}: dev must be true or false")
        if dev:
            if isinstance(chain_id, bool) or not isinstance(chain_id, int):
                raise NetworkConfigError(f"network {name!r} in {path} has no integer chain_id")
            chains.add(chain_id)
    return frozenset(chains)


def _typed(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("rpc_url",):
            if not isinstance(value, str):
                raise ValueError(f"{key} must be a string, got {value!r}")
            out[key] = value
        elif key in ("poa", "dev"):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false, got {value!r}")
            out[key] = value
        elif key in ("chain_id", "confirmations", "max_reverts"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{key} must be an integer, got {value!r}")
            out[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{key} must be a number, got {value!r}")
            out[key] = float(value)
    return out


def web3_for(network: Network) -> Web3:
    """A Web3 for the network, without web3's own retries (the sender's backoff decides)."""
    from web3.middleware import ExtraDataToPOAMiddleware

    provider = Web3.HTTPProvider(
        network.rpc_url,
        request_kwargs={"timeout": network.rpc_timeout_s},
        exception_retry_configuration=None,
    )
    w3 = Web3(provider)
    if network.poa:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, name="proof_of_authority", layer=0)
    return w3


def connect_checked(network: Network) -> Web3:
    """Connect and insist that the node is the configured chain."""
    w3 = web3_for(network)
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:  # noqa: BLE001 - requests/web3 raise many transport errors: the node is not there
        raise ChainError(
            f"no Ethereum node answers at {network.rpc_url} (network {network.name!r}): start it, or fix rpc_url "
            f"in {networks_file()} / RPC_URL ({type(exc).__name__})"
        ) from None
    check_chain_id(network, chain_id)
    return w3


def check_chain_id(network: Network, chain_id: int) -> None:
    if chain_id != network.chain_id:
        raise NetworkConfigError(
            f"network {network.name!r} expects chain id {network.chain_id}, but the node at {network.rpc_url} is "
            f"chain {chain_id}: wrong RPC_URL, or fix chain_id in {networks_file()}"
        )
