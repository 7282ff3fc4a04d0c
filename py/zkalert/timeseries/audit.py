"""The regulator's check: read a stream's records back from the chain and check them, per window.

Needs nothing from the utility: only the chain (events, transactions, the
registered verifiers). For every window it reports whether each proof verifies
(an ``eth_call`` of the registered verifier with the proof and instances taken
from the recording transaction), whether the hash linkage is intact (each
interval's state-in and accumulator-in hashes are the previous interval's
outputs or the stream's genesis, and the SC proof consumed the window's last
accumulator), whether the keys are unchanged (the verifiers' code hashes are
still the registered ones), and the proven alarm. It also lists every refused
submission found on the chain, re-simulated to name the registry's error,
with what that error means.

Given the regulator's copies of the circuits (``circuits``: the compiled TC and
SC folders, with their verifying keys), it also checks each model a stream ran
under: that keccak256 of the TC and SC verifying keys is the model id, that the
code at each registered verifier is exactly what EZKL generates from its key
(no wrapper, no proxy, no other circuit), and that the registered shape and
constants (steps per interval, intervals per window, the KRC and reset
commitments) are the circuits'.

The SRS behind each model (:func:`registry_srs_checks` for every model the registry
registered; each stream's report for the models it ran under): [τ]G2 read out of
the TC and SC verifiers' deployed code, its SRS id compared with the id the model
records for that verifier and with the SRS the regulator accepts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_typing import HexStr
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.types import TxData, TxParams

from zkalert.evm.log import iter_logs
from zkalert.evm.rpc import decode_revert, revert_data, verifier_calldata, verifier_eth_call
from zkalert.evm.srs import SrsCheck, srs_check, verifier_srs
from zkalert.timeseries.chain import TsDeployment, model_id
from zkalert.timeseries.circuits import CircuitDir
from zkalert.zk.verifiercode import verifier_code_problems

#: What each refusal means (attacks on the chain of proofs first).
MEANING = {
    "TimeSeriesRegistryReplay": "replay of an already recorded interval proof",
    "TimeSeriesRegistryStaleState": "interval started from a stale state (one the stream had moved past)",
    "TimeSeriesRegistryStateLinkBroken": "interval started from a state the stream never recorded",
    "TimeSeriesRegistryAccLinkBroken": "accumulator does not continue the stream's accumulator",
    "TimeSeriesRegistryResidualsNotFromChain": "SC proof over residuals that are not the window's TC accumulator",
    "TimeSeriesRegistryInvalidProof": "proof does not verify under the registered key (another key, or altered instances)",
    "TimeSeriesRegistryKrcCheckFailed": "Kalman gain check failed (gain not a solution of K S = P Hᵀ)",
    "TimeSeriesRegistrySvdCheckFailed": "SVD check failed",
    "TimeSeriesRegistryResetMismatch": "window accumulator reset at the wrong interval",
    "TimeSeriesRegistryVerifierChanged": "a verifier's code (its key) changed since registration",
    "TimeSeriesRegistryWindowRecorded": "second SC proof for a recorded window",
    "TimeSeriesRegistryWindowOpen": "SC proof for a window whose intervals are not all recorded",
    "TimeSeriesRegistryUnknownGateway": "submission by an account that is not the stream's gateway",
    "TimeSeriesRegistryRotationNotApproved": "model rotation (a restart from a new genesis) the owner did not approve",
    "TimeSeriesRegistrySameModel": "rotation to the model the stream already runs",
    "TimeSeriesRegistryGenesisStale": "rotation back to a state the stream had moved past",
    "TimeSeriesRegistryStateInUse": "a state another stream holds (a copied proof, or a genesis taken from another stream)",
    "TimeSeriesRegistryUnauthorized": "an owner action (open, approve, hand over a stream) by another account",
    "TimeSeriesRegistryNotPendingOwner": "taking over the registry by an account it was not offered to",
}


@dataclass
class Rotation:
    """A model rotation of a stream, and whether the owner approved exactly it beforehand."""

    at_interval: int
    old_model_id: str
    new_model_id: str
    genesis_state: str
    genesis_acc: str
    approved: bool
    block: int


def match_rotations(
    approvals: list[tuple[int, int, bytes, int, int]],
    rotations: list[tuple[int, int, bytes, int, int]],
) -> list[bool]:
    """For each rotation, whether an approval of the same (model, genesis state, genesis acc) came
    after the previous rotation and before it. Both lists hold (block, log index, model, state,
    acc) in chain order; an approval is used up by the rotation it matches."""
    approved = []
    pending: tuple[bytes, int, int] | None = None
    events = sorted(
        [(b, i, 0, m, st, ac) for b, i, m, st, ac in approvals]
        + [(b, i, 1, m, st, ac) for b, i, m, st, ac in rotations]
    )
    for _, _, kind, mid, state, acc in events:
        if kind == 0:
            pending = (mid, state, acc)
        else:
            approved.append(pending == (mid, state, acc))
            pending = None
    return approved


@dataclass
class WindowReport:
    window: int
    intervals: list[int]
    tc_verified: bool
    linkage_intact: bool
    sc_recorded: bool
    sc_verified: bool
    keys_unchanged: bool
    alarm: bool | None
    t2_fixed: int | None
    model_id: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.tc_verified
            and self.linkage_intact
            and self.sc_recorded
            and self.sc_verified
            and self.keys_unchanged
            and not self.problems
        )


@dataclass
class Refusal:
    block: int
    tx_hash: str
    function: str
    stream_id: str
    target: str
    error: str
    meaning: str


@dataclass
class ModelCheck:
    """A model a stream ran under, against the verifying keys the regulator holds."""

    model_id: str
    tc_verifier: str
    sc_verifier: str
    #: True when the regulator's circuits include this model's keys and everything matched;
    #: False when they were checked and something did not; None when no circuits were given.
    matches: bool | None
    problems: list[str] = field(default_factory=list)
    #: Each verifier's SRS (TC, then SC): the id its code embeds, the recorded and accepted ids.
    srs: list[SrsCheck] = field(default_factory=list)

    @property
    def srs_problems(self) -> list[str]:
        return [p for check in self.srs for p in check.problems]


@dataclass
class StreamAudit:
    stream_id: str
    intervals: int
    windows: list[WindowReport]
    refused: list[Refusal]
    log_head_ok: bool
    problems: list[str]
    gateway: str = ""
    genesis_state: str = ""
    genesis_acc: str = ""
    rotations: list[Rotation] = field(default_factory=list)
    #: The blocks searched for refused transactions: {"from_block", "to_block", "complete", "more"}
    #: (complete: from the deployment on; more: refusals found past MAX_REFUSALS, not listed).
    refusal_scan: dict[str, Any] = field(default_factory=dict)
    models: list[ModelCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.log_head_ok
            and not self.problems
            and all(w.ok for w in self.windows)
            and all(m.matches is not False and not m.srs_problems for m in self.models)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "intervals": self.intervals,
            "ok": self.ok,
            "log_head_ok": self.log_head_ok,
            "problems": self.problems,
            "gateway": self.gateway,
            "genesis_state": self.genesis_state,
            "genesis_acc": self.genesis_acc,
            "rotations": [asdict(r) for r in self.rotations],
            "windows": [{**asdict(w), "ok": w.ok} for w in self.windows],
            "refused": [asdict(r) for r in self.refused],
            "refusal_scan": self.refusal_scan,
            "models": [{**asdict(m), "srs_problems": m.srs_problems} for m in self.models],
        }


def _events(
    registry: Any, name: str, from_block: int, stream_id: bytes | None, limit: int
) -> list[Any]:
    """Every ``name`` event from ``from_block`` on, at most ``limit`` of them (the audited gateway
    writes them: more is refused, never held), in chain order."""
    filters = {"streamId": stream_id} if stream_id is not None else None
    logs = iter_logs(
        getattr(registry.events, name),
        from_block,
        registry.w3.eth.block_number,
        filters,
        f"{name} events",
        limit,
    )
    return sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))


def _decode_call(registry: Any, tx_input: bytes) -> tuple[str, dict[str, Any]]:
    function, args = registry.decode_function_input(tx_input)
    return function.fn_name, dict(args)


def _codehash(w3: Web3, address: str) -> bytes:
    return keccak(bytes(w3.eth.get_code(Web3.to_checksum_address(address))))


#: Blocks searched for refused transactions by default (the most recent ones): reading every block of
#: a long chain costs a request per block, so the search is bounded and its range reported.
DEFAULT_SCAN_BLOCKS = 10_000
#: Refused transactions listed per stream at most (an adversary can send any number); the rest are counted.
MAX_REFUSALS = 1_000
#: Records (events of one kind) read per audit at most: a longer history is refused in one line.
MAX_RECORDS = 1_000_000


def audit(
    w3: Web3,
    deployment: TsDeployment,
    stream_id: bytes | None = None,
    scan_blocks: int = DEFAULT_SCAN_BLOCKS,
    circuits: list[CircuitDir] | None = None,
    max_records: int = MAX_RECORDS,
    accepted_srs: str | None = None,
) -> list[StreamAudit]:
    """Audit every stream (or one). Refused transactions are searched in the last ``scan_blocks``
    blocks only (each report says which); the records themselves are always read in full. With
    ``circuits``, each model's verifiers and registration are checked against their keys; each
    model's verifiers' SRS against its record and ``accepted_srs`` (the SRS id the regulator
    accepts; None: not judged)."""
    if scan_blocks < 0:
        raise ValueError(f"scan_blocks must be >= 0, got {scan_blocks}")
    registry = deployment.registry(w3)
    start = deployment.block
    opened = _events(registry, "StreamOpened", start, stream_id, max_records)
    models: dict[bytes, Any] = {}
    keys = None if circuits is None else circuits_by_model(circuits)
    checks: dict[bytes, ModelCheck] = {}
    reports = []
    for open_event in opened:
        sid = bytes(open_event["args"]["streamId"])
        report = _audit_stream(
            w3, registry, sid, open_event, start, models, scan_blocks, max_records
        )
        used = [bytes(open_event["args"]["modelId"])] + [
            bytes.fromhex(r.new_model_id[2:]) for r in report.rotations
        ]
        for mid in dict.fromkeys(used):
            if mid not in checks:  # models: the registrations _audit_stream has read
                registered = models[mid] if mid in models else registry.functions.model(mid).call()
                checks[mid] = check_model(w3, mid, registered, keys)
                checks[mid].srs = model_srs_checks(w3, mid, registered, accepted_srs)
            report.models.append(checks[mid])
        reports.append(report)
    return reports


def model_srs_checks(w3: Web3, mid: bytes, registered: Any, accepted: str | None) -> list[SrsCheck]:
    """The SRS of one registered model's TC and SC verifiers (``registered``: its record, as
    ``model()`` returns it) against the ids it records and the accepted one."""
    return [
        srs_check(
            "time-series registry",
            "0x" + mid.hex(),
            verifier_srs(w3, str(registered[index])),
            bytes(registered[recorded]),
            accepted,
            kind,
        )
        for kind, index, recorded in (("TC", 0, 10), ("SC", 1, 11))
    ]


def registry_srs_checks(
    w3: Web3, deployment: TsDeployment, accepted: str | None, max_records: int = MAX_RECORDS
) -> list[SrsCheck]:
    """The SRS of every model the registry registered (its ModelRegistered events, at most
    ``max_records``; each model read back from the registry's storage), streams or not."""
    registry = deployment.registry(w3)
    seen: set[bytes] = set()
    checks: list[SrsCheck] = []
    for event in _events(registry, "ModelRegistered", deployment.block, None, max_records):
        mid = bytes(event["args"]["modelId"])
        if mid not in seen:
            seen.add(mid)
            checks += model_srs_checks(w3, mid, registry.functions.model(mid).call(), accepted)
    return checks


def circuits_by_model(circuits: list[CircuitDir]) -> dict[str, tuple[CircuitDir, CircuitDir]]:
    """Every (TC, SC) pair among ``circuits`` by the model id it makes (keccak256 of both keys)."""
    tcs = [c for c in circuits if c.info.kind == "tc"]
    scs = [c for c in circuits if c.info.kind == "sc"]
    return {model_id(tc, sc).lower(): (tc, sc) for tc in tcs for sc in scs}


def find_circuits(roots: list[Path]) -> list[CircuitDir]:
    """The compiled TC and SC circuits in or under each of ``roots`` (folders with a circuit.json and vk.key)."""
    found: dict[Path, CircuitDir] = {}
    for root in roots:
        if not root.is_dir():
            raise FileNotFoundError(f"no folder {root}")
        for info in sorted(root.glob("**/circuit.json")):  # ** includes root itself
            if (info.parent / "vk.key").is_file():
                found.setdefault(info.parent.resolve(), CircuitDir(info.parent))
    return list(found.values())


def check_model(
    w3: Web3, mid: bytes, registered: Any, keys: dict[str, tuple[CircuitDir, CircuitDir]] | None
) -> ModelCheck:
    """One registered model against the regulator's copies of its circuits (None: none given)."""
    tc_verifier, sc_verifier = str(registered[0]), str(registered[1])
    check = ModelCheck("0x" + mid.hex(), tc_verifier, sc_verifier, None)
    if keys is None:
        return check
    pair = keys.get(check.model_id)
    if pair is None:
        check.matches = False
        check.problems.append(
            f"none of the circuits given has the verifying keys of model {check.model_id} (keccak256 of its TC and SC keys)"
        )
        return check
    tc, sc = pair
    tc_info, sc_info = tc.info, sc.info
    for kind, verifier, folder in (("TC", tc_verifier, tc), ("SC", sc_verifier, sc)):
        srs = Path(folder.info.srs_path)
        if not srs.is_file():
            check.problems.append(
                f"{kind}: the SRS {srs} named by {folder.root}/circuit.json is missing, so its verifier cannot be regenerated"
            )
            continue
        check.problems.extend(
            f"{kind}: {p}"
            for p in verifier_code_problems(w3, verifier, folder.vk, folder.settings, srs)
        )
    shape = {
        "steps per interval": (int(registered[7]), tc_info.steps),
        "intervals per window": (int(registered[8]), sc_info.steps // tc_info.steps),
        "KRC pass commitment": (int(registered[4]), tc_info.pass_commitment),
        "reset commitment": (int(registered[5]), tc_info.reset_commitment),
        "continue commitment": (int(registered[6]), tc_info.continue_commitment),
    }
    for name, (got, expected) in shape.items():
        if got != expected:
            check.problems.append(
                f"the model is registered with {name} {got}, its circuits have {expected}"
            )
    check.matches = not check.problems
    return check


def _audit_stream(
    w3: Web3,
    registry: Any,
    sid: bytes,
    open_event: Any,
    start: int,
    models: dict[bytes, Any],
    scan_blocks: int,
    max_records: int,
) -> StreamAudit:
    problems: list[str] = []
    rotation_events = _events(registry, "ModelRotated", start, sid, max_records)
    rotations = {int(e["args"]["atInterval"]): e for e in rotation_events}
    approval_events = _events(registry, "RotationApproved", start, sid, max_records)

    def key(e: Any, model_field: str) -> tuple[int, int, bytes, int, int]:
        a = e["args"]
        return (
            int(e["blockNumber"]),
            int(e["logIndex"]),
            bytes(a[model_field]),
            int(a["genesisState"]),
            int(a["genesisAcc"]),
        )

    approved = match_rotations(
        [key(e, "newModelId") for e in approval_events],
        [key(e, "newModelId") for e in rotation_events],
    )
    rotation_reports = []
    for e, ok in zip(rotation_events, approved):
        a = e["args"]
        rotation_reports.append(
            Rotation(
                int(a["atInterval"]),
                "0x" + bytes(a["oldModelId"]).hex(),
                "0x" + bytes(a["newModelId"]).hex(),
                f"0x{int(a['genesisState']):064x}",
                f"0x{int(a['genesisAcc']):064x}",
                ok,
                int(e["blockNumber"]),
            )
        )
        if not ok:
            problems.append(
                f"rotation at interval {int(a['atInterval'])} to 0x{bytes(a['newModelId']).hex()} was not approved by the owner"
            )
        if bytes(a["oldModelId"]) == bytes(a["newModelId"]):
            problems.append(
                f"rotation at interval {int(a['atInterval'])} restarts the same model from a new genesis"
            )
    intervals = _events(registry, "IntervalRecorded", start, sid, max_records)
    windows = {
        int(e["args"]["window"]): e
        for e in _events(registry, "WindowRecorded", start, sid, max_records)
    }

    def model(mid: bytes) -> Any:
        if mid not in models:
            models[mid] = registry.functions.model(mid).call()
        return models[mid]

    def keys_unchanged(mid: bytes) -> bool:
        tc_verifier, sc_verifier, tc_hash, sc_hash = model(mid)[:4]
        return _codehash(w3, tc_verifier) == bytes(tc_hash) and _codehash(w3, sc_verifier) == bytes(
            sc_hash
        )

    # Every recorded event, in chain order, refolds the stream's log hash.
    records = sorted(
        [(e["blockNumber"], e["logIndex"], "tc", e) for e in intervals]
        + [(e["blockNumber"], e["logIndex"], "sc", e) for e in windows.values()]
    )
    log_head = b"\x00" * 32
    tc_rows: dict[int, dict[str, Any]] = {}
    sc_rows: dict[int, dict[str, Any]] = {}
    for _, _, kind, event in records:
        mid = bytes(event["args"]["modelId"])
        index = int(event["args"]["interval" if kind == "tc" else "window"])
        tx = w3.eth.get_transaction(event["transactionHash"])
        try:
            _, args = _decode_call(registry, bytes(tx["input"]))
            instances = [int(v) for v in args["instances"]]
        except (
            ValueError,
            KeyError,
            TypeError,
        ):  # recorded through another contract: no proof to re-check
            problems.append(
                f"{kind} {index}: the recording transaction is not a direct registry call; its proof cannot be re-checked"
            )
            continue
        log_head = keccak(
            abi_encode(
                ["bytes32", "uint8", "bytes32", "uint64", "bytes32", "uint256[]"],
                [log_head, 0 if kind == "tc" else 1, sid, index, mid, instances],
            )
        )
        if log_head != bytes(event["args"]["logHash"]):
            problems.append(f"{kind} {index}: log hash does not refold")
        verifier = model(mid)[0 if kind == "tc" else 1]
        verified, _ = verifier_eth_call(
            w3, verifier, verifier_calldata(bytes(args["proof"]), instances)
        )
        record = {"instances": instances, "verified": verified, "model": mid}
        (tc_rows if kind == "tc" else sc_rows)[index] = record
    stream_state = registry.functions.stream(sid).call()
    log_head_ok = log_head == bytes(stream_state[8])
    if not log_head_ok:
        problems.append("the stream's on-chain log head is not the refold of its events")

    # Linkage, interval by interval, from the genesis (and each rotation's new genesis).
    state_head, acc_head = (
        int(open_event["args"]["genesisState"]),
        int(open_event["args"]["genesisAcc"]),
    )
    mid = bytes(open_event["args"]["modelId"])
    first_interval, first_window = 0, 0
    link_ok: dict[int, bool] = {}
    window_of: dict[int, tuple[int, bytes]] = {}
    for k in range(len(tc_rows)):
        if k in rotations:
            rotation = rotations[k]
            old_window = int(model(bytes(rotation["args"]["oldModelId"]))[8])
            if old_window == 0:  # W = 0: the registry does not know the model; never divide by it
                problems.append(f"interval {k}: rotation from a model the registry does not know")
                break
            mid = bytes(rotation["args"]["newModelId"])
            first_window += (k - first_interval) // old_window
            first_interval = k
            state_head, acc_head = (
                int(rotation["args"]["genesisState"]),
                int(rotation["args"]["genesisAcc"]),
            )
        row = tc_rows.get(k)
        if row is None:
            problems.append(f"interval {k} missing from the events")
            break
        per_window = int(model(mid)[8])
        if per_window == 0:
            problems.append(
                f"interval {k}: recorded under model 0x{mid.hex()}, which the registry does not know"
            )
            break
        link_ok[k] = (
            row["instances"][0] == state_head
            and row["instances"][1] == acc_head
            and row["model"] == mid
        )
        state_head, acc_head = row["instances"][4], row["instances"][5]
        window_of[k] = (first_window + (k - first_interval) // per_window, mid)

    window_reports = []
    by_window: dict[int, list[int]] = {}
    for k, (j, _) in window_of.items():
        by_window.setdefault(j, []).append(k)
    for j, members in sorted(by_window.items()):
        mid = window_of[members[0]][1]
        per_window = int(model(mid)[8])
        sc = sc_rows.get(j)
        closed = len(members) == per_window
        report = WindowReport(
            window=j,
            intervals=members,
            tc_verified=all(tc_rows[k]["verified"] for k in members),
            linkage_intact=all(link_ok.get(k, False) for k in members),
            sc_recorded=sc is not None,
            sc_verified=bool(sc and sc["verified"]),
            keys_unchanged=keys_unchanged(mid),
            alarm=(sc["instances"][3] == 1) if sc else None,
            t2_fixed=sc["instances"][2] if sc else None,
            model_id="0x" + mid.hex(),
        )
        if sc is not None and closed and sc["instances"][0] != tc_rows[members[-1]]["instances"][5]:
            report.linkage_intact = False
            report.problems.append("SC accumulator is not the window's last TC accumulator")
        if not closed:
            report.problems.append(
                f"window open: {len(members)} of {per_window} intervals recorded"
            )
        elif sc is None:
            report.problems.append("no SC proof recorded for this window")
        window_reports.append(report)

    recorded_states = {row["instances"][4] for row in tc_rows.values()}
    latest = w3.eth.block_number
    first = max(start, latest - scan_blocks + 1)
    refused = _refusals(w3, registry, sid, first, latest, recorded_states)
    scan = {
        "from_block": first,
        "to_block": latest,
        "complete": first == start,
        "more": max(0, len(refused) - MAX_REFUSALS),
    }
    args = open_event["args"]
    return StreamAudit(
        "0x" + sid.hex(),
        len(tc_rows),
        window_reports,
        refused[:MAX_REFUSALS],
        log_head_ok,
        problems,
        gateway=str(args["gateway"]),
        genesis_state=f"0x{int(args['genesisState']):064x}",
        genesis_acc=f"0x{int(args['genesisAcc']):064x}",
        rotations=rotation_reports,
        refusal_scan=scan,
    )


def _refusals(
    w3: Web3, registry: Any, sid: bytes, start: int, latest: int, recorded_states: set[int]
) -> list[Refusal]:
    """Mined transactions to the registry for this stream in blocks start..latest that reverted, with
    the error re-simulated (listing stops one past MAX_REFUSALS, so the caller can say there were more)."""
    found: list[Refusal] = []
    for number in range(start, latest + 1):
        if len(found) > MAX_REFUSALS:
            break
        block = w3.eth.get_block(number, full_transactions=True)
        # full_transactions=True: every entry is a transaction, not a hash
        for tx in cast(list[TxData], block["transactions"]):
            if tx.get("to") is None or Web3.to_checksum_address(tx["to"]) != registry.address:
                continue
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            if receipt["status"] == 1:
                continue
            try:
                name, args = _decode_call(registry, bytes(tx["input"]))
            except ValueError:
                continue
            if bytes(args.get("streamId", b"")) != sid:
                continue
            call: TxParams = {
                "from": tx["from"],
                "to": tx["to"],
                "data": HexStr("0x" + bytes(tx["input"]).hex()),
                "gas": tx["gas"],
            }
            try:
                w3.eth.call(call, block_identifier=number - 1)
                error = "reverted (no longer reproducible)"
            except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
                error = decode_revert(registry.abi, revert_data(exc))
            error_name = error.split("(")[0]
            meaning = MEANING.get(error_name, "refused")
            instances = [int(v) for v in args.get("instances", [])]
            if error_name == "TimeSeriesRegistryStateLinkBroken" and instances:
                meaning = (
                    "a skipped interval: its state-in is a state the stream recorded later"
                    if instances[0] in recorded_states
                    else "a forged state: its state-in matches no state the stream ever recorded"
                )
            window_arg = args.get("windowIndex", args.get("window"))
            if error_name == "TimeSeriesRegistryInvalidProof":
                meaning = (
                    "SC proof does not verify: its instances were altered (e.g. a flipped alarm) or it was made under another key"
                    if name == "submitWindow"
                    else "TC proof does not verify under the registered key (an unregistered key, or altered instances)"
                )
            target = f"window {window_arg}" if window_arg is not None else "next interval"
            if window_arg is None:
                before = registry.functions.stream(sid).call(block_identifier=number - 1)
                target = f"interval {before[2]}"
            found.append(
                Refusal(
                    number,
                    "0x" + bytes(tx["hash"]).hex(),
                    name,
                    "0x" + sid.hex(),
                    target,
                    error,
                    meaning,
                )
            )
    return found


def dequantize_t2(t2_fixed: int, output_scale: int) -> float:
    return float(t2_fixed / 2**output_scale)


__all__ = [
    "Refusal",
    "Rotation",
    "StreamAudit",
    "WindowReport",
    "abi_decode",
    "audit",
    "dequantize_t2",
    "match_rotations",
    "model_srs_checks",
    "registry_srs_checks",
]
