"""Log: read the on-chain alert log back and check its hash chain.

Each ``AlertRecorded`` event carries everything needed to recompute the alert
hash the contract stored:

    alertHash = keccak256(abi.encode(prevHash, streamId, seq, windowIndex, modelId,
                                     gateway, inputCommitment, score, alarm))

A reader refolds each stream from the genesis head (zero) and compares with
the contract's ``head`` and ``count``: a forged, missing, reordered or
replayed record cannot match.

The registry's storage, not the node's event index, is the authority: when the
events of a stream do not fold (two events for one sequence number, or one past
the stored count), the chain is walked back from the stored ``head``: each
event names its predecessor's alert hash, and only events whose own hash
recomputes are followed. Events off that path are set aside as *orphans* and
reported (a node that served them has an event index that disagrees with its
own state); the chain is then refolded from the events the storage confirms.
Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from zkalert.errors import TooManyRecords

ZERO32 = b"\x00" * 32
LOG_CHUNK_BLOCKS = 5_000


def alert_hash(
    prev_hash: bytes,
    stream: bytes,
    seq: int,
    window_index: int,
    model_id: bytes,
    gateway: str,
    input_commitment: int,
    score: int,
    alarm: bool,
) -> bytes:
    return keccak(
        abi_encode(
            [
                "bytes32",
                "bytes32",
                "uint64",
                "uint64",
                "bytes32",
                "address",
                "uint256",
                "uint256",
                "bool",
            ],
            [
                prev_hash,
                stream,
                seq,
                window_index,
                model_id,
                gateway,
                input_commitment,
                score,
                alarm,
            ],
        )
    )


@dataclass(frozen=True)
class AlertEntry:
    stream_id: str
    seq: int
    window_index: int
    model_id: str
    alert_hash: str
    prev_hash: str
    gateway: str
    input_commitment: str
    score: int
    alarm: bool
    block: int
    tx_hash: str
    log_index: int

    def recomputed_hash(self) -> str:
        digest = alert_hash(
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


def iter_logs(
    event: Any,
    from_block: int,
    to_block: int,
    filters: dict[str, Any] | None,
    what: str,
    limit: int | None = None,
    chunk_blocks: int = LOG_CHUNK_BLOCKS,
) -> Iterator[Any]:
    """Every log of ``event`` in [from_block, to_block], read in chunks so long histories work; more
    than ``limit`` (the audited party writes them) raises :class:`TooManyRecords` instead."""
    seen = 0
    start = from_block
    while start <= to_block:
        end = min(start + chunk_blocks - 1, to_block)
        logs = event.get_logs(from_block=start, to_block=end, argument_filters=filters)
        seen += len(logs)
        if limit is not None and seen > limit:
            raise TooManyRecords(what, limit, from_block, end)
        yield from logs
        start = end + 1


def fetch_alerts(
    registry: Contract,
    from_block: int = 0,
    to_block: int | None = None,
    stream: bytes | None = None,
    model: bytes | None = None,
    limit: int | None = None,
) -> list[AlertEntry]:
    """All AlertRecorded events in [from_block, to_block], read in chunks so long histories work.

    ``stream`` and ``model`` filter on the event's indexed topics (node-side).
    """
    w3: Web3 = registry.w3
    last = w3.eth.block_number if to_block is None else to_block
    wanted: dict[str, bytes] = {}
    if stream is not None:
        wanted["streamId"] = stream
    if model is not None:
        wanted["modelId"] = model
    filters = wanted or None
    entries: list[AlertEntry] = []
    for log in iter_logs(
        registry.events.AlertRecorded, from_block, last, filters, "alert records", limit
    ):
        a = log["args"]
        entries.append(
            AlertEntry(
                stream_id="0x" + bytes(a["streamId"]).hex(),
                seq=int(a["seq"]),
                window_index=int(a["windowIndex"]),
                model_id="0x" + bytes(a["modelId"]).hex(),
                alert_hash="0x" + bytes(a["alertHash"]).hex(),
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
class StreamCheck:
    stream_id: str
    records: int
    onchain_count: int
    onchain_head: str
    folded_head: str
    problems: list[str] = field(default_factory=list)
    #: Events the node returned that the registry's storage does not hold (reported, not folded).
    orphans: list[AlertEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_chain(
    registry: Contract, entries: list[AlertEntry], complete_history: bool = True
) -> list[StreamCheck]:
    """Refold every stream's hash chain and compare it with the contract's head and count.

    ``complete_history`` says the entries start at the stream's genesis (seq 0);
    with a partial block range only the links between the entries are checked.
    A stream whose events do not fold is reconciled with the registry's storage
    first (see the module docstring); its orphan events are reported.
    """
    by_stream: dict[str, list[AlertEntry]] = {}
    for entry in entries:
        by_stream.setdefault(entry.stream_id, []).append(entry)
    results = []
    for sid, stream_entries in by_stream.items():
        stream = bytes.fromhex(sid[2:])
        onchain_head = "0x" + bytes(registry.functions.head(stream).call()).hex()
        onchain_count = int(registry.functions.count(stream).call())
        problems, head = _fold(stream_entries, onchain_head, onchain_count, complete_history)
        orphans: list[AlertEntry] = []
        if problems:
            kept, orphans = _reconcile(onchain_head, stream_entries, onchain_count)
            if orphans:
                problems, head = _fold(kept, onchain_head, onchain_count, complete_history)
                stream_entries = kept
        results.append(
            StreamCheck(
                sid, len(stream_entries), onchain_count, onchain_head, head, problems, orphans
            )
        )
    return results


def without_orphans(entries: list[AlertEntry], checks: list[StreamCheck]) -> list[AlertEntry]:
    """``entries`` minus the orphan events ``check_chain`` set aside, in their original order."""
    orphan_ids = {id(o) for c in checks for o in c.orphans}
    return [e for e in entries if id(e) not in orphan_ids] if orphan_ids else entries


def _fold(
    entries: list[AlertEntry], onchain_head: str, onchain_count: int, complete_history: bool
) -> tuple[list[str], str]:
    problems: list[str] = []
    head = entries[0].prev_hash if not complete_history else "0x" + ZERO32.hex()
    expected_seq = entries[0].seq if not complete_history else 0
    last_index = -1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(f"seq {e.seq} where {expected_seq} was expected (a gap or reorder)")
        if e.window_index <= last_index:
            problems.append(
                f"seq {e.seq}: window index {e.window_index} does not follow {last_index}"
            )
        last_index = e.window_index
        if e.prev_hash != head:
            problems.append(f"seq {e.seq}: prevHash {e.prev_hash} does not link to {head}")
        recomputed = e.recomputed_hash()
        if recomputed != e.alert_hash:
            problems.append(f"seq {e.seq}: event hash {e.alert_hash} != recomputed {recomputed}")
        head = e.alert_hash
        expected_seq = e.seq + 1
    if complete_history:
        if onchain_head != head:
            problems.append(f"on-chain head {onchain_head} != folded head {head}")
        if onchain_count != len(entries):
            problems.append(f"on-chain count {onchain_count} != {len(entries)} records read")
    return problems, head


def _reconcile(
    stream_head: str, entries: list[AlertEntry], onchain_count: int
) -> tuple[list[AlertEntry], list[AlertEntry]]:
    """Split a stream's events into those on the stored head's chain and orphans.

    The walk starts at the stored head and follows each event's ``prev_hash`` down to the
    genesis (or to the first event the node did not serve), through events whose alert hash
    recomputes from their fields. A sequence number the walk reached keeps its event and loses
    the others; at or past the stored count every event off the walk is an orphan. Where the
    walk did not reach, all events are kept, so the fold reports the break.
    """
    by_hash: dict[str, AlertEntry] = {}
    for e in entries:
        if e.recomputed_hash() == e.alert_hash:
            by_hash.setdefault(e.alert_hash, e)
    on_path: dict[int, AlertEntry] = {}
    cursor = stream_head
    while cursor in by_hash and len(on_path) < onchain_count:
        e = by_hash[cursor]
        if e.seq in on_path:
            break  # a loop no honest chain has; the fold reports what is left
        on_path[e.seq] = e
        cursor = e.prev_hash
    orphan_ids = {
        id(e)
        for e in entries
        if (e.seq in on_path and e is not on_path[e.seq])
        or (e.seq >= onchain_count and e.seq not in on_path)
    }
    kept = [e for e in entries if id(e) not in orphan_ids]
    orphans = [e for e in entries if id(e) in orphan_ids]
    return kept, orphans
