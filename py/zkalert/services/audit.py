"""The regulator's audit of one stream (``zkalert audit``, ``POST /api/audits``).

1. Read the stream's on-chain history in a block range, in chunks of getLogs:
   the WindowLog's commitments (both policies) and the AlertRegistry's
   verified alerts (eager policy).
2. Refold both hash chains against the contracts' heads and counts; check the
   sequence numbers and the window indexes: an index that was skipped is a
   window the utility never committed, i.e. suppressed. Check key invariance:
   one model id for the whole stream, registered with live verifier code, and
   the verifying key the utility hands out hashes to that model id.
3. Ask the utility for the proof of every committed window (or only the
   alarms), and for the skipped indexes too. Each proof must carry exactly the
   committed ``(c, s)``; it is verified off-chain with EZKL and on-chain by an
   eth_call of the model's verifier (read from the registry, not from the
   utility). Registry alerts are re-verified from their transaction's calldata.
4. The SRS behind every model the registry ever registered: read [τ]G2 out of
   each verifier's deployed code and compare its SRS id with the one the model
   records and with the SRS the regulator accepts (``AuditOptions.accepted_srs``).
5. Write a report (JSON + Markdown) naming every finding, window by window.

Statuses per window: ``verified``, ``invalid`` (a proof that does not match or
does not verify), ``proof-missing`` (committed but the utility gave no proof),
``unchecked`` (not asked for), and ``gap`` (never committed).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils import keccak
from web3 import Web3

from zkalert.errors import AuditError, ChainError, UtilityError, ZkAlertError
from zkalert.evm.ids import stream_ref
from zkalert.evm.log import (
    LOG_CHUNK_BLOCKS,
    check_chain,
    fetch_alerts,
    iter_logs,
    without_orphans,
)
from zkalert.evm.registry import Deployment
from zkalert.evm.rpc import verifier_calldata, verifier_eth_call
from zkalert.evm.srs import SrsCheck, parse_srs_id, srs_check, srs_id_of_file, verifier_srs
from zkalert.evm.vkaverifier import verifier_problems
from zkalert.evm.windowlog import WindowLogDeployment, check_window_chain, fetch_windows
from zkalert.services.client import UtilityClient
from zkalert.zk.prover import ezkl_proof_json
from zkalert.zk.statement import SCHEMES, binding_of, split_bound_statement
from zkalert.zk.verifiercode import registration_problems

PROOF_POLICIES = ("all", "alarms", "none")


@dataclass
class AuditOptions:
    stream: str  # name or 0x id
    from_block: int | None = None
    to_block: int | None = None
    proofs: str = "all"
    max_proofs: int = 500
    max_gap_probes: int = 32
    srs: Path | None = (
        None  # the regulator's own copy of the SRS; default: the utility's, recorded by hash
    )
    chunk_blocks: int = LOG_CHUNK_BLOCKS
    #: Most records (window commitments, and alert records) read for one audit: the audited party
    #: writes them, so the audit's memory stays bounded; a longer history is audited in block ranges.
    max_records: int = 1_000_000
    #: The SRS id the regulator accepts (every verifier must embed its [τ]G2); None: none given,
    #: the report then lists each verifier's SRS without judging it.
    accepted_srs: str | None = None

    def __post_init__(self) -> None:
        if self.proofs not in PROOF_POLICIES:
            raise AuditError(
                f"proofs must be one of {', '.join(PROOF_POLICIES)}, got {self.proofs!r}"
            )
        if (
            self.from_block is not None
            and self.from_block < 0
            or self.to_block is not None
            and self.to_block < 0
        ):
            raise AuditError("block numbers must not be negative")
        if self.max_proofs < 0 or self.max_gap_probes < 0:
            raise AuditError("max proofs and gap probes must not be negative")
        if self.max_records < 1:
            raise AuditError(f"max records must be at least 1, got {self.max_records}")
        if self.accepted_srs is not None:
            try:
                self.accepted_srs = parse_srs_id(self.accepted_srs, "the accepted SRS")
            except ZkAlertError as exc:
                raise AuditError(str(exc)) from None


def stream_of(text: str) -> tuple[str | None, str]:
    """(name or None, 0x id) of a stream given by name or id."""
    try:
        return stream_ref(text.strip())
    except ChainError as exc:
        raise AuditError(str(exc)) from None


class ModelMaterial:
    """A model's verifying key, settings and SRS as the regulator holds them, and both verifications."""

    def __init__(self, folder: Path, model_id: str, verifier: str, w3: Web3) -> None:
        self.folder = folder
        self.model_id = model_id
        self.verifier = verifier
        self.w3 = w3
        self.problems: list[str] = []
        self.srs_source = "none"
        self.srs_sha256: str | None = None
        self.srs_id: str | None = None
        self.srs_development: bool | None = None
        self.vk_matches: bool | None = None
        #: how the model's proofs commit to windows, as registered ("poseidon" or "kzg")
        self.commitment = "poseidon"

    @property
    def vk(self) -> Path:
        return self.folder / "vk.key"

    @property
    def settings(self) -> Path:
        return self.folder / "settings.json"

    @property
    def srs(self) -> Path:
        return self.folder / "kzg.srs"

    def fetch(self, client: UtilityClient | None, own_srs: Path | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        summary: dict[str, Any] = {}
        if client is not None:
            try:
                summary = client.model()
                if (
                    not self.vk.is_file()
                    or "0x" + keccak(self.vk.read_bytes()).hex() != self.model_id
                ):
                    self.vk.write_bytes(client.checked("/v1/model/vk", binary=True))
                if not self.settings.is_file():
                    self.settings.write_bytes(
                        json.dumps(client.checked("/v1/model/settings")).encode()
                    )
                if own_srs is None and not self.srs.is_file():
                    self.srs.write_bytes(client.checked("/v1/model/srs", binary=True))
            except UtilityError as exc:
                self.problems.append(f"could not fetch the model's keys from the utility: {exc}")
        if own_srs is not None:
            if not own_srs.is_file():
                raise AuditError(f"--srs {own_srs}: no such file")
            self.srs.unlink(missing_ok=True)
            self.srs.write_bytes(own_srs.read_bytes())
            self.srs_source = f"regulator ({own_srs})"
        elif self.srs.is_file():
            self.srs_source = "utility"
        if self.srs.is_file():
            self.srs_sha256 = hashlib.sha256(self.srs.read_bytes()).hexdigest()
            try:
                self.srs_id = srs_id_of_file(self.srs)
            except ZkAlertError as exc:
                self.problems.append(f"the SRS file ({self.srs_source}) is not an EZKL SRS: {exc}")
        self.srs_development = summary.get("srs_development_only")
        if summary and str(summary.get("model_id", "")).lower() != self.model_id:
            self.problems.append(
                f"the utility says it runs model {summary.get('model_id')}, the chain records {self.model_id}"
            )
        if self.vk.is_file():
            self.vk_matches = "0x" + keccak(self.vk.read_bytes()).hex() == self.model_id
            if not self.vk_matches:
                self.problems.append(
                    f"the utility's verifying key hashes to 0x{keccak(self.vk.read_bytes()).hex()}, not the model id {self.model_id}"
                )

    @property
    def can_verify_offchain(self) -> bool:
        return bool(self.vk_matches) and self.settings.is_file() and self.srs.is_file()

    def offchain(
        self, proof: bytes, instances: list[int] | tuple[int, ...]
    ) -> tuple[bool | None, str, float]:
        import ezkl

        if not self.can_verify_offchain:
            return None, "no verifying key matching the model id", 0.0
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "proof.json"
            path.write_text(json.dumps(ezkl_proof_json(proof, instances)))
            try:
                ok = bool(
                    ezkl.verify(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
                        str(path), str(self.settings), str(self.vk), srs_path=str(self.srs)
                    )
                )
                detail = "" if ok else "EZKL verify returned false"
            except Exception as exc:  # noqa: BLE001 - ezkl raises RuntimeError (and others) for a proof that does not verify
                ok, detail = False, f"EZKL: {str(exc).splitlines()[0][:200]}"
        return ok, detail, time.perf_counter() - started

    def onchain(self, proof: bytes, instances: list[int] | tuple[int, ...]) -> tuple[bool, float]:
        return verifier_eth_call(self.w3, self.verifier, verifier_calldata(proof, instances))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _environment() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for package in ("zkalert", "ezkl", "web3", "fastapi"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "versions": versions,
    }


def run_audit(
    w3: Web3,
    client: UtilityClient | None,
    options: AuditOptions,
    regulator_dir: Path,
    echo: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Audit one stream; returns the report (see :func:`markdown` for its reading)."""
    started = time.perf_counter()
    started_at = _now()
    chain_id = int(w3.eth.chain_id)
    deployment = Deployment.load(chain_id)
    registry = deployment.registry(w3)
    log_deployment = WindowLogDeployment.load(chain_id)
    window_log = log_deployment.contract(w3)

    latest = int(w3.eth.block_number)
    genesis = min(deployment.block, log_deployment.block)
    from_block = genesis if options.from_block is None else options.from_block
    to_block = latest if options.to_block is None else options.to_block
    if from_block > latest:
        raise AuditError(f"from block {from_block} is beyond the chain head {latest}")
    if to_block > latest:
        raise AuditError(f"to block {to_block} is beyond the chain head {latest}")
    if to_block < from_block:
        raise AuditError(f"to block {to_block} is below from block {from_block}")
    complete = from_block <= genesis and to_block == latest

    name, stream_id = stream_of(options.stream)
    if name is None and client is not None:
        try:
            name = next(
                (s["stream"] for s in client.streams() if s["stream_id"] == stream_id), None
            )
        except UtilityError:
            name = None
    stream = bytes.fromhex(stream_id[2:])
    echo(
        f"reading stream {name or stream_id} on chain {chain_id}, blocks {from_block}-{to_block} ..."
    )
    windows = fetch_windows(
        window_log, from_block, to_block, stream, options.chunk_blocks, limit=options.max_records
    )
    alerts = fetch_alerts(registry, from_block, to_block, stream, limit=options.max_records)
    if not windows and not alerts:
        raise AuditError(
            f"stream {name or stream_id} has no commitments or alerts in blocks {from_block}-{to_block}"
        )

    window_checks = (
        check_window_chain(window_log, windows, complete_history=complete) if windows else []
    )
    alert_checks = check_chain(registry, alerts, complete_history=complete) if alerts else []
    window_check = window_checks[0] if window_checks else None
    alert_check = alert_checks[0] if alert_checks else None
    orphans = alert_check.orphans if alert_check else []
    alerts = without_orphans(
        alerts, alert_checks
    )  # events the registry's storage does not hold: reported, never audited

    # --- key invariance
    model_ids = sorted({w.model_id for w in windows} | {a.model_id for a in alerts})
    key_problems: list[str] = []
    if len(model_ids) > 1:
        changes = [
            f"seq {b.seq} (window {b.window_index}): {a.model_id[:10]}.. -> {b.model_id[:10]}.."
            for a, b in itertools.pairwise(windows)
            if a.model_id != b.model_id
        ]
        key_problems.append(
            f"the stream uses {len(model_ids)} models: " + "; ".join(changes or model_ids)
        )
    gateways = sorted({w.gateway for w in windows} | {a.gateway for a in alerts})
    model_id = (windows or alerts)[0].model_id
    registered = registry.functions.model(bytes.fromhex(model_id[2:])).call()
    verifier = Web3.to_checksum_address(registered[0])
    threshold = int(registered[1])
    if int(verifier, 16) == 0:
        key_problems.append(f"model {model_id} is not registered in the registry")
    elif not w3.eth.get_code(verifier):
        key_problems.append(f"model {model_id}'s verifier {verifier} has no code")
    material = ModelMaterial(regulator_dir / "models" / model_id, model_id, verifier, w3)
    if int(registered[4]) < len(SCHEMES):
        material.commitment = SCHEMES[int(registered[4])]
    material.fetch(client, options.srs)
    key_problems.extend(material.problems)
    # what the owner registered, against the circuit: the verifier's code and the registration's shape
    code_matches: bool | None = None
    registration_matches: bool | None = None
    if material.can_verify_offchain and int(verifier, 16) != 0:
        code = verifier_problems(w3, verifier, material.vk, material.settings, material.srs)
        shape = registration_problems(
            json.loads(material.settings.read_text()), int(registered[2]), int(registered[4])
        )
        code_matches, registration_matches = not code, not shape
        key_problems.extend(code + shape)

    # --- proofs of committed windows
    rows: list[dict[str, Any]] = []
    requested = 0
    for entry in windows:
        row: dict[str, Any] = {
            "window": entry.window_index,
            "seq": entry.seq,
            "block": entry.block,
            "tx_hash": entry.tx_hash,
            "input_commitment": entry.input_commitment,
            "score": entry.score,
            "alarm": entry.alarm,
            "commit_hash": entry.commit_hash,
            "status": "unchecked",
            "offchain": None,
            "onchain": None,
            "detail": "",
        }
        wanted = options.proofs == "all" or (options.proofs == "alarms" and entry.alarm)
        if wanted and client is not None and requested < options.max_proofs:
            requested += 1
            expected = (
                int(entry.input_commitment, 16),
                entry.score,
                binding_of(entry.gateway, stream, entry.window_index),
            )
            _check_window_proof(row, client, stream_id, material, expected, echo)
        elif wanted and client is None:
            row["detail"] = "no utility to ask"
        rows.append(row)

    # --- gaps: windows never committed; ask the utility about them all the same
    gaps: list[dict[str, Any]] = []
    missing = window_check.missing_indexes if window_check else []
    missing_count = window_check.missing_count if window_check else 0
    by_index = {e.window_index: e for e in windows}
    committed = sorted(by_index)
    for k, idx in enumerate(missing):
        position = bisect.bisect_left(committed, idx)
        before = committed[position - 1] if position > 0 else None
        after = committed[position] if position < len(committed) else None
        gap: dict[str, Any] = {
            "window": idx,
            "status": "gap",
            "between": [before, after],
            "blocks": [
                by_index[before].block if before is not None else None,
                by_index[after].block if after is not None else None,
            ],
            "utility": "not asked",
        }
        if client is not None and k < options.max_gap_probes:
            answer = client.proof(stream_id, idx)
            if answer.ok:
                body = answer.body
                proof = bytes.fromhex(body["proof"]["hex_proof"].removeprefix("0x"))
                from zkalert.services.utility import felts_of

                instances = felts_of(body["proof"])
                ok, _detail, _ = material.offchain(proof, instances)
                onchain_ok, _ = material.onchain(proof, instances)
                score = instances[1]
                gap["utility"] = (
                    f"holds it and proved it on request: score {score}, alarm {score >= threshold}, "
                    f"proof {'verifies' if ok and onchain_ok else 'does NOT verify'}"
                )
                gap.update(
                    {
                        "score": score,
                        "alarm": score >= threshold,
                        "offchain": ok,
                        "onchain": onchain_ok,
                    }
                )
            else:
                gap["utility"] = f"no proof ({answer.error}, HTTP {answer.status})"
        gaps.append(gap)
        echo(
            f"window {idx}: never committed (gap between {before} and {after}); utility: {gap['utility']}"
        )

    # --- registry alerts (eager policy): re-verify from the transactions' calldata
    alert_rows = _check_alerts(w3, registry, alerts, material, windows)

    # --- the SRS behind every registered model
    echo("reading the SRS each registered model's verifier embeds ...")
    srs_checks = registry_srs_checks(
        w3, registry, deployment.block, options.accepted_srs, options.max_records
    )
    stream_srs = next((c for c in srs_checks if c.model_id == model_id), None)

    # --- summary
    counts = {
        status: sum(1 for r in rows if r["status"] == status)
        for status in ("verified", "invalid", "proof-missing", "unchecked")
    }
    findings: list[str] = []
    for gap in gaps:
        findings.append(
            f"window {gap['window']} was withheld: never committed on-chain (gap between windows {gap['between'][0]} and {gap['between'][1]}); utility: {gap['utility']}"
        )
    if missing_count > len(gaps):
        findings.append(
            f"{missing_count - len(gaps):,} more windows were never committed on-chain (not listed: the first {len(gaps):,} are)"
        )
    for r in rows:
        if r["status"] in ("invalid", "proof-missing"):
            findings.append(
                f"window {r['window']} (seq {r['seq']}, claimed score {r['score']}{', ALARM' if r['alarm'] else ''}): {r['status']}: {r['detail']}"
            )
    for a in alert_rows:
        if a["status"] != "verified":
            findings.append(f"registry alert seq {a['seq']}: {a['status']}: {a['detail']}")
        if a["window_log_index"] is not None and a["window_log_index"] != a["window"]:
            findings.append(
                f"registry alert seq {a['seq']} is recorded for window {a['window']}, but its statement was committed for window {a['window_log_index']}"
            )
    if window_check and not window_check.intact:
        findings.extend(f"window log: {p}" for p in window_check.problems)
    findings.extend(_repeated_commitments(windows))
    if alert_check and not alert_check.ok:
        findings.extend(f"alert registry: {p}" for p in alert_check.problems)
    findings.extend(f"key: {p}" for p in key_problems)
    findings.extend(f"srs: {p}" for c in srs_checks for p in c.problems)
    if len(gateways) > 1:
        findings.append(
            f"the stream was written by {len(gateways)} gateways: {', '.join(gateways)}"
        )
    alarms_unrecorded = [
        r["window"]
        for r in rows
        if r["alarm"] and not any(a.get("window") == r["window"] for a in alert_rows)
    ]

    report: dict[str, Any] = {
        "audit": {
            "stream": name,
            "stream_id": stream_id,
            "chain_id": chain_id,
            "registry": deployment.registry_address,
            "window_log": log_deployment.address,
            "from_block": from_block,
            "to_block": to_block,
            "complete_history": complete,
            "proofs": options.proofs,
            "utility": client.base_url if client else None,
            "started_at": started_at,
            "finished_at": _now(),
            "duration_s": round(time.perf_counter() - started, 3),
        },
        **_environment(),
        "window_log": {
            "records": len(windows),
            "intact": window_check.intact if window_check else None,
            "onchain_count": window_check.onchain_count if window_check else 0,
            "first_index": window_check.first_index if window_check else None,
            "last_index": window_check.last_index if window_check else None,
            "missing_indexes": missing,
            "missing_count": missing_count,
            "problems": window_check.problems if window_check else [],
        },
        "registry_log": {
            "records": len(alerts),
            "intact": alert_check.ok if alert_check else None,
            "problems": alert_check.problems if alert_check else [],
            "orphan_events": [o.to_json() for o in orphans],
        },
        "key": {
            "model_ids": model_ids,
            "invariant": not key_problems,
            "model_id": model_id,
            "verifier": verifier,
            "threshold": str(threshold),
            "gateways": gateways,
            "vk_matches_model_id": material.vk_matches,
            "verifier_code_matches_vk": code_matches,
            "registration_matches_circuit": registration_matches,
            "srs": {
                "source": material.srs_source,
                "sha256": material.srs_sha256,
                "id": material.srs_id,
                "development_only": material.srs_development,
                "verifier_srs_id": stream_srs.verifier_srs_id if stream_srs else None,
                "recorded_srs_id": stream_srs.recorded_srs_id if stream_srs else None,
                "accepted_srs_id": options.accepted_srs,
            },
            "problems": key_problems,
        },
        "srs": {
            "accepted_srs_id": options.accepted_srs,
            "models": [c.to_json() for c in srs_checks],
            "findings": [p for c in srs_checks for p in c.problems],
        },
        "windows": rows,
        "gaps": gaps,
        "alerts": alert_rows,
        "summary": {
            "windows_committed": len(windows),
            "gaps": missing_count,
            "withheld_windows": [g["window"] for g in gaps],
            "proofs_requested": requested,
            **counts,
            "alarms_claimed": sum(1 for r in rows if r["alarm"]),
            "alarms_without_registry_alert": alarms_unrecorded,
            "registry_alerts": len(alert_rows),
            "registry_alerts_verified": sum(1 for a in alert_rows if a["status"] == "verified"),
            "utility_requests": client.requests if client else 0,
            "utility_rate_limited": client.rate_limited if client else 0,
            "prove_and_fetch_s": round(sum(r.get("fetch_s", 0.0) for r in rows), 3),
            "verify_offchain_s": round(sum(r.get("offchain_s", 0.0) for r in rows), 3),
            "verify_onchain_s": round(sum(r.get("onchain_s", 0.0) for r in rows), 3),
            "findings": findings,
            "verdict": "PASS" if not findings else "FAIL",
        },
    }
    return report


def registry_srs_checks(
    w3: Web3, registry: Any, from_block: int, accepted: str | None, limit: int
) -> list[SrsCheck]:
    """The SRS of every model the registry registered (its ModelRegistered events from
    ``from_block``, at most ``limit``; each model read back from the registry's storage): the SRS
    id its verifier's code embeds against the id the model records and the accepted one."""
    checks: dict[bytes, SrsCheck] = {}
    latest = int(w3.eth.block_number)
    for event in iter_logs(
        registry.events.ModelRegistered, from_block, latest, None, "model registrations", limit
    ):
        mid = bytes(event["args"]["modelId"])
        if mid in checks:
            continue
        registered = registry.functions.model(mid).call()
        checks[mid] = srs_check(
            "alert registry",
            "0x" + mid.hex(),
            verifier_srs(w3, str(registered[0])),
            bytes(registered[5]),
            accepted,
        )
    return list(checks.values())


def _repeated_commitments(windows: list[Any]) -> list[str]:
    """Commitments committed at more than one index: an honest window's commitment covers its binding
    (gateway, stream, index), so no two indexes share one; a repeat stands for a copied window."""
    seen: dict[str, list[int]] = {}
    for w in windows:
        seen.setdefault(w.input_commitment, []).append(w.window_index)
    return [
        f"windows {', '.join(map(str, idx[:8]))}{' ...' if len(idx) > 8 else ''}: the same input commitment {c[:18]}.. at {len(idx)} indexes "
        "(a window's commitment covers its index: a copied window)"
        for c, idx in seen.items()
        if len(idx) > 1
    ]


def _check_window_proof(
    row: dict[str, Any],
    client: UtilityClient,
    stream_id: str,
    material: ModelMaterial,
    expected: tuple[int, int, int],
    echo: Callable[[str], None],
) -> None:
    """Fetch window ``row["window"]``'s proof and check it: its instances must be exactly the committed
    commitment and score and the binding of the committing gateway, this stream and this index (so one
    proof cannot stand for several indexes), and it must verify off-chain and with the registered verifier."""
    from zkalert.services.utility import felts_of

    started = time.perf_counter()
    answer = client.proof(stream_id, row["window"])
    row["fetch_s"] = round(time.perf_counter() - started, 3)
    if not answer.ok:
        row["status"], row["detail"] = (
            "proof-missing",
            f"the utility gave no proof: {answer.error} (HTTP {answer.status})",
        )
        echo(f"window {row['window']}: proof missing ({answer.error})")
        return
    try:
        proof = bytes.fromhex(answer.body["proof"]["hex_proof"].removeprefix("0x"))
        instances = felts_of(answer.body["proof"])
    except (KeyError, TypeError, ValueError, ZkAlertError) as exc:
        row["status"], row["detail"] = (
            "invalid",
            f"malformed proof from the utility ({type(exc).__name__})",
        )
        return
    try:
        (commitment,), (score,), (bound,) = split_bound_statement(
            tuple(instances), proof, material.commitment
        )
    except (ValueError, ZkAlertError):
        commitment = score = bound = -1
    if (commitment, score) != expected[:2]:
        row["status"] = "invalid"
        row["detail"] = "the proof is of another statement (c, s) than the one committed on-chain"
        echo(f"window {row['window']}: proof statement differs from the commitment")
        return
    if bound != expected[2]:
        row["status"] = "invalid"
        row["detail"] = (
            "the proof is bound to another gateway, stream or window index than this commitment"
        )
        echo(f"window {row['window']}: proof bound to another window")
        return
    ok, detail, offchain_s = material.offchain(proof, instances)
    onchain_ok, onchain_s = material.onchain(proof, instances)
    row.update(
        {
            "offchain": ok,
            "onchain": onchain_ok,
            "offchain_s": round(offchain_s, 4),
            "onchain_s": round(onchain_s, 4),
            "cached": answer.body.get("cached"),
            "prove_s": answer.body.get("prove_s"),
        }
    )
    if onchain_ok and ok is not False:
        row["status"] = "verified"
        row["detail"] = "" if ok else f"on-chain only ({detail})"
    else:
        row["status"] = "invalid"
        row["detail"] = "; ".join(
            x for x in (detail, "" if onchain_ok else "the on-chain verifier refuses it") if x
        )
    echo(
        f"window {row['window']}: {row['status']} (off-chain {ok}, eth_call {onchain_ok}, fetch {row['fetch_s']:.2f} s)"
    )


def _check_alerts(
    w3: Web3, registry: Any, alerts: list[Any], material: ModelMaterial, windows: list[Any]
) -> list[dict[str, Any]]:
    by_statement = {(int(w.input_commitment, 16), w.score): w.window_index for w in windows}
    rows = []
    verified_tx: dict[str, tuple[bool | None, bool, str]] = {}
    for a in alerts:
        if a.tx_hash not in verified_tx:
            try:
                tx = w3.eth.get_transaction(a.tx_hash)
                _, args = registry.decode_function_input(tx["input"])
                proof, instances = bytes(args["proof"]), [int(v) for v in args["instances"]]
                ok, detail, _ = material.offchain(proof, instances)
                onchain_ok, _ = material.onchain(proof, instances)
                verified_tx[a.tx_hash] = (ok, onchain_ok, detail)
            except Exception as exc:  # noqa: BLE001 - a transaction that does not decode is itself a finding
                verified_tx[a.tx_hash] = (
                    None,
                    False,
                    f"could not decode the transaction ({type(exc).__name__})",
                )
        ok, onchain_ok, detail = verified_tx[a.tx_hash]
        status = "verified" if onchain_ok and ok is not False else "invalid"
        rows.append(
            {
                "seq": a.seq,
                "block": a.block,
                "tx_hash": a.tx_hash,
                "score": a.score,
                "alarm": a.alarm,
                "input_commitment": a.input_commitment,
                "alert_hash": a.alert_hash,
                "window": a.window_index,
                "window_log_index": by_statement.get((int(a.input_commitment, 16), a.score)),
                "offchain": ok,
                "onchain": onchain_ok,
                "status": status,
                "detail": detail,
            }
        )
    return rows


# ---------------------------------------------------------------------- report files


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = report["audit"]["finished_at"].replace(":", "").replace("-", "")
    base = out_dir / f"audit-{report['audit']['stream_id'][2:10]}-{stamp}"
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(markdown(report))
    return json_path, md_path


def markdown(report: dict[str, Any]) -> str:
    a, s, k, wl = report["audit"], report["summary"], report["key"], report["window_log"]
    lines = [
        f"# Audit of stream {a['stream'] or a['stream_id']}: {s['verdict']}",
        "",
        f"Chain {a['chain_id']}, blocks {a['from_block']}–{a['to_block']} ({'complete history' if a['complete_history'] else 'partial range'}); "
        f"WindowLog {a['window_log']}, AlertRegistry {a['registry']}; utility {a['utility'] or '—'}; proofs asked for: {a['proofs']}. "
        f"Run {a['started_at']} – {a['finished_at']} ({a['duration_s']} s) on {report['machine']['platform']}, Python {report['machine']['python']}, "
        + ", ".join(f"{p} {v}" for p, v in report["versions"].items())
        + ".",
        "",
        "## Findings",
        "",
    ]
    lines += [f"- {f}" for f in s["findings"]] or [
        "- none: every committed window checked was proven and verified, no gaps, chains intact."
    ]
    lines += [
        "",
        "## Summary",
        "",
        "| what | value |",
        "| --- | ---: |",
        f"| windows committed | {s['windows_committed']} |",
        f"| window indexes | {wl['first_index']}–{wl['last_index']} |",
        f"| withheld windows (gaps) | {', '.join(map(str, s['withheld_windows'])) or 'none'} |",
        f"| proofs requested | {s['proofs_requested']} |",
        f"| verified | {s['verified']} |",
        f"| invalid | {s['invalid']} |",
        f"| proof missing | {s['proof-missing']} |",
        f"| not checked | {s['unchecked']} |",
        f"| alarms claimed | {s['alarms_claimed']} |",
        f"| registry alerts (verified) | {s['registry_alerts']} ({s['registry_alerts_verified']}) |",
        f"| window log chain intact | {wl['intact']} |",
        f"| registry chain intact | {report['registry_log']['intact']} |",
        f"| key invariant | {k['invariant']} |",
        f"| utility requests (rate-limited) | {s['utility_requests']} ({s['utility_rate_limited']}) |",
        f"| fetch + prove at the utility (s) | {s['prove_and_fetch_s']} |",
        f"| verify off-chain / on-chain (s) | {s['verify_offchain_s']} / {s['verify_onchain_s']} |",
        "",
        "## Key",
        "",
        (
            f"Model {k['model_id']} (verifier {k['verifier']}, threshold {k['threshold']}); gateways {', '.join(k['gateways'])}; "
            f"utility's verifying key matches the model id: {k['vk_matches_model_id']}; SRS from {k['srs']['source']} "
            f"(sha256 {k['srs']['sha256']}, SRS id {k['srs'].get('id') or '—'}, development only: {k['srs']['development_only']})."
        ),
        "",
        (
            f"The verifier embeds [τ]G2 of SRS {k['srs'].get('verifier_srs_id') or '— (none recognised)'}; "
            f"the model records SRS {k['srs'].get('recorded_srs_id') or '—'}; "
            + (
                f"the accepted SRS is {k['srs']['accepted_srs_id']}."
                if k["srs"].get("accepted_srs_id")
                else "no accepted SRS was given."
            )
        ),
        *_srs_markdown(report.get("srs")),
        "",
        "## Windows",
        "",
        "| window | seq | block | score | alarm | status | off-chain | eth_call | detail |",
        "| ---: | ---: | ---: | ---: | :---: | --- | :---: | :---: | --- |",
    ]
    rows = sorted([*report["windows"], *report["gaps"]], key=lambda r: r["window"])
    for r in rows:
        if r["status"] == "gap":
            lines.append(
                f"| {r['window']} | — | — | {r.get('score', '—')} | {'yes' if r.get('alarm') else '—'} | **GAP (withheld)** | {_mark(r.get('offchain'))} | {_mark(r.get('onchain'))} | utility: {r['utility']} |"
            )
        else:
            lines.append(
                f"| {r['window']} | {r['seq']} | {r['block']} | {r['score']} | {'yes' if r['alarm'] else ''} | {r['status']} | {_mark(r['offchain'])} | {_mark(r['onchain'])} | {r['detail']} |"
            )
    if report["alerts"]:
        lines += [
            "",
            "## Registry alerts",
            "",
            "| seq | window | block | score | alarm | status |",
            "| ---: | ---: | ---: | ---: | :---: | --- |",
        ]
        lines += [
            f"| {r['seq']} | {r['window'] if r['window'] is not None else '—'} | {r['block']} | {r['score']} | {'yes' if r['alarm'] else ''} | {r['status']} |"
            for r in report["alerts"]
        ]
    return "\n".join(lines) + "\n"


def _srs_markdown(srs: dict[str, Any] | None) -> list[str]:
    """The report's SRS section: every registered model's verifier and its SRS ids."""
    if not srs:
        return []
    accepted = srs.get("accepted_srs_id")
    lines = [
        "",
        "## SRS of every registered model",
        "",
        (
            f"Accepted SRS: {accepted}."
            if accepted
            else "No accepted SRS was given (--srs-id, --accepted-srs or [srs] accepted_id): "
            "each verifier's SRS is listed, and checked against its model's record only."
        ),
        "",
        "| model | verifier | code (bytes) | SRS in the code | SRS recorded | matches record | accepted |",
        "| --- | --- | ---: | --- | --- | :---: | :---: |",
    ]
    for m in srs["models"]:
        lines.append(
            f"| {m['model_id']} | {m['verifier']} | {m['code_bytes']:,} | {m['verifier_srs_id'] or '— (none)'} | "
            f"{m['recorded_srs_id'] or '—'} | {_mark(m['matches_record'])} | {_mark(m['accepted'])} |"
        )
    return lines


def _mark(value: bool | None) -> str:
    return "—" if value is None else ("✓" if value else "✗")
