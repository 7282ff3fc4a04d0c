"""Window log: the lazy policy's on-chain commitments (``contracts/WindowLog.sol``).

Under the lazy policy a gateway proves nothing up front. It commits every
scored window, ``(windowIndex, inputCommitment c, claimed score s)``, to a
per-stream hash chain in the WindowLog, and proves a window only when a
regulator asks. The proof's public instances must then equal the committed
``(c, s)`` and the binding of the committing gateway, the stream and the
window's index (``zkalert.zk.statement.binding_of``), so one proof answers for one
index only. Window indexes strictly increase, so a window that was never
committed is a gap no later commit can fill:

    commitHash = keccak256(abi.encode(prevHash, streamId, seq, windowIndex, modelId,
                                      gateway, inputCommitment, score, alarm))

Addresses and the ABI come from ``deployments/<chainid>/WindowLog.json``,
written by ``script/DeployWindowLog.s.sol``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from zkalert.config import deployments_dir, rpc_url
from zkalert.errors import ChainError, RevertedError
from zkalert.evm.log import LOG_CHUNK_BLOCKS, ZERO32, alert_hash, iter_logs
from zkalert.evm.registry import Deployment, Gateway
from zkalert.evm.rpc import connect, deployment_records, run_forge, send_call
from zkalert.keys import Signer, signer_for
from zkalert.toolchain import env_with_tools

#: The largest batch WindowLog.commitWindows accepts (its MAX_BATCH).
MAX_BATCH = 64

#: The WindowLog version this code speaks (IWindowLog.version()).
WINDOW_LOG_VERSION = "0.3.0"


#: A commitment's hash in WindowLog's chain: the same fields and encoding as an alert's hash in
#: AlertRegistry's (previous head, stream, seq, window index, model, gateway, commitment, score, alarm).
commit_hash = alert_hash


@dataclass(frozen=True)
class WindowLogDeployment:
    chain_id: int
    address: ChecksumAddress
    registry: ChecksumAddress
    abi: list[dict[str, Any]]
    block: int

    @classmethod
    def load(cls, chain_id: int, folder: Path | None = None) -> WindowLogDeployment:
        path = (folder or deployments_dir(chain_id)) / "WindowLog.json"
        if not path.is_file():
            raise ChainError(
                f"no WindowLog deployment for chain {chain_id} ({path}): run `zkalert deploy --window-log`"
            )
        data = json.loads(path.read_text())
        if int(data.get("chain_id", chain_id)) != chain_id:
            raise ChainError(
                f"{path} records chain {data.get('chain_id')}, but the node is chain {chain_id}"
            )
        abi = data["abi"] if not isinstance(data["abi"], str) else json.loads(data["abi"])
        return cls(
            chain_id,
            Web3.to_checksum_address(data["address"]),
            Web3.to_checksum_address(data["registry"]),
            abi,
            int(data.get("block", 0)),
        )

    def contract(self, w3: Web3) -> Contract:
        if not w3.eth.get_code(self.address):
            raise ChainError(
                f"deployments/{self.chain_id}/WindowLog.json names {self.address}, but there is no contract there "
                "(a restarted anvil?): deploy again"
            )
        return w3.eth.contract(address=self.address, abi=self.abi)


def deploy_window_log(
    url: str | None = None, key: Signer | str | None = None
) -> WindowLogDeployment:
    """Deploy a WindowLog bound to this chain's AlertRegistry (idempotent: a live one is kept)."""
    url = url or rpc_url()
    w3 = connect(url)
    chain_id = int(w3.eth.chain_id)
    registry = Deployment.load(chain_id)
    registry.registry(w3)  # refuses a stale deployment file
    try:
        existing = WindowLogDeployment.load(chain_id)
        if existing.registry == registry.registry_address and w3.eth.get_code(existing.address):
            return existing
    except ChainError:
        pass
    signer = signer_for(chain_id, key)
    env = env_with_tools()
    env["REGISTRY"] = registry.registry_address
    run_forge(["build"], env)
    with signer.forge_wallet(env) as wallet, deployment_records(env, chain_id):
        run_forge(
            ["script", "script/DeployWindowLog.s.sol", "--rpc-url", url, "--broadcast", *wallet],
            env,
        )
    return WindowLogDeployment.load(chain_id)


# --- committing -------------------------------------------------------------------


@dataclass(frozen=True)
class CommitReceipt:
    tx_hash: str
    block: int
    gas_used: int
    first_seq: int
    head: str


class WindowCommitter:
    """A gateway's side of the window log: commits batches of scored windows."""

    def __init__(
        self, w3: Web3, deployment: WindowLogDeployment, key: Signer | str | None = None
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.signer = signer_for(deployment.chain_id, key)
        self.contract = deployment.contract(w3)
        self.account: LocalAccount = self.signer.account

    def head(self, stream: bytes) -> bytes:
        return bytes(self.contract.functions.head(stream).call())

    def count(self, stream: bytes) -> int:
        return int(self.contract.functions.count(stream).call())

    def last_index(self, stream: bytes) -> int | None:
        """The stream's last committed window index, or None for a stream without windows."""
        if self.count(stream) == 0:
            return None
        return int(self.contract.functions.lastIndex(stream).call())

    def commit(
        self, stream: bytes, model_id: str, windows: list[tuple[int, int, int]]
    ) -> CommitReceipt:
        """Commit ``(window_index, input_commitment, score)`` triples (at most MAX_BATCH) after the current head."""
        if not 0 < len(windows) <= MAX_BATCH:
            raise ChainError(f"a commit holds 1 to {MAX_BATCH} windows, got {len(windows)}")
        prev_hash = self.head(stream)
        first_seq = self.count(stream)
        if first_seq == 0:  # the registry's owner opens streams; an owner-gateway opens its own
            registry = Deployment.load(self.deployment.chain_id)
            Gateway(self.w3, registry, self.signer).ensure_stream(stream)
        call = self.contract.functions.commitWindows(
            stream,
            bytes.fromhex(model_id.removeprefix("0x")),
            prev_hash,
            [w[0] for w in windows],
            [w[1] for w in windows],
            [w[2] for w in windows],
        )
        tx_hash, receipt = send_call(
            self.w3, self.account, self.deployment.chain_id, call, self.deployment.abi
        )
        if receipt["status"] != 1:
            raise RevertedError(f"commit transaction {tx_hash} reverted on-chain")
        return CommitReceipt(
            tx_hash,
            int(receipt["blockNumber"]),
            int(receipt["gasUsed"]),
            first_seq,
            "0x" + self.head(stream).hex(),
        )


# --- reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class WindowEntry:
    stream_id: str
    seq: int
    window_index: int
    model_id: str
    commit_hash: str
    prev_hash: str
    gateway: str
    input_commitment: str
    score: int
    alarm: bool
    block: int
    tx_hash: str
    log_index: int

    def recomputed_hash(self) -> str:
        digest = commit_hash(
            bytes.fromhex(self.prev_hash[2:]),
            bytes.fromhex(self.stream_id[2:]),
            self.seq,
            self.window_index,
            bytes.fromhex(self.model_id[2:]),
            self.gateway,
            int(self.input_commitment, 16),
            self.score,
            self.alarm,
        )
        return "0x" + digest.hex()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fetch_windows(
    contract: Contract,
    from_block: int = 0,
    to_block: int | None = None,
    stream: bytes | None = None,
    chunk_blocks: int = LOG_CHUNK_BLOCKS,
    limit: int | None = None,
) -> list[WindowEntry]:
    """Every WindowCommitted event in [from_block, to_block], read in chunks so long histories work."""
    w3: Web3 = contract.w3
    last = w3.eth.block_number if to_block is None else to_block
    filters = {"streamId": stream} if stream is not None else None
    entries: list[WindowEntry] = []
    for log in iter_logs(
        contract.events.WindowCommitted,
        from_block,
        last,
        filters,
        "window commitments",
        limit,
        chunk_blocks,
    ):
        a = log["args"]
        entries.append(
            WindowEntry(
                stream_id="0x" + bytes(a["streamId"]).hex(),
                seq=int(a["seq"]),
                window_index=int(a["windowIndex"]),
                model_id="0x" + bytes(a["modelId"]).hex(),
                commit_hash="0x" + bytes(a["commitHash"]).hex(),
                prev_hash="0x" + bytes(a["prevHash"]).hex(),
                gateway=Web3.to_checksum_address(a["gateway"]),
                input_commitment=hex(int(a["inputCommitment"])),
                score=int(a["score"]),
                alarm=bool(a["alarm"]),
                block=int(log["blockNumber"]),
                tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                log_index=int(log["logIndex"]),
            )
        )
    entries.sort(key=lambda e: (e.block, e.log_index))
    return entries


@dataclass
class WindowStreamCheck:
    """One stream of the window log, refolded: chain problems and the window indexes never committed."""

    stream_id: str
    records: int
    onchain_count: int
    onchain_head: str
    folded_head: str
    first_index: int | None
    last_index: int | None
    missing_indexes: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Every index never committed between the first and the last committed one; ``missing_indexes``
    #: lists the first ``max_missing`` of them (a gateway may skip up to 2**32 per commit).
    missing_count: int = 0

    @property
    def intact(self) -> bool:
        """The hash chain refolds to the contract's head (gaps in window indexes are reported apart)."""
        return not self.problems


def check_window_chain(
    contract: Contract,
    entries: list[WindowEntry],
    complete_history: bool = True,
    max_missing: int = 10_000,
) -> list[WindowStreamCheck]:
    """Refold each stream's chain, compare with the contract, and list window indexes that were skipped."""
    by_stream: dict[str, list[WindowEntry]] = {}
    for entry in entries:
        by_stream.setdefault(entry.stream_id, []).append(entry)
    results = []
    for sid, stream_entries in by_stream.items():
        stream = bytes.fromhex(sid[2:])
        problems: list[str] = []
        missing: list[int] = []
        missing_count = 0
        head = "0x" + ZERO32.hex() if complete_history else stream_entries[0].prev_hash
        expected_seq = 0 if complete_history else stream_entries[0].seq
        previous_index: int | None = None
        for e in stream_entries:
            if e.seq != expected_seq:
                problems.append(
                    f"seq {e.seq} where {expected_seq} was expected (events missing from the read)"
                )
            if e.prev_hash != head:
                problems.append(f"seq {e.seq}: prevHash {e.prev_hash} does not link to {head}")
            if e.recomputed_hash() != e.commit_hash:
                problems.append(
                    f"seq {e.seq}: event hash {e.commit_hash} != recomputed {e.recomputed_hash()}"
                )
            if previous_index is not None:
                if e.window_index <= previous_index:
                    problems.append(f"seq {e.seq}: window index {e.window_index} does not increase")
                else:  # counted whole, listed up to max_missing: never materialise a gap
                    first_missing = previous_index + 1
                    missing_count += e.window_index - first_missing
                    room = max(0, max_missing - len(missing))
                    missing.extend(range(first_missing, min(e.window_index, first_missing + room)))
            previous_index = e.window_index
            head = e.commit_hash
            expected_seq = e.seq + 1
        onchain_head = "0x" + bytes(contract.functions.head(stream).call()).hex()
        onchain_count = int(contract.functions.count(stream).call())
        if complete_history:
            if onchain_head != head:
                problems.append(f"on-chain head {onchain_head} != folded head {head}")
            if onchain_count != len(stream_entries):
                problems.append(
                    f"on-chain count {onchain_count} != {len(stream_entries)} records read"
                )
        results.append(
            WindowStreamCheck(
                sid,
                len(stream_entries),
                onchain_count,
                onchain_head,
                head,
                stream_entries[0].window_index,
                stream_entries[-1].window_index,
                missing,
                problems,
                missing_count,
            )
        )
    return results


def wait_for_block(w3: Web3, block: int, timeout_s: float = 30.0) -> None:
    """Wait until the node has mined ``block`` (interval-mined chains)."""
    deadline = time.monotonic() + timeout_s
    while w3.eth.block_number < block:
        if time.monotonic() > deadline:
            raise ChainError(f"block {block} not mined within {timeout_s:.0f} s")
        time.sleep(0.2)
