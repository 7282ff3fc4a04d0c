"""Receipts: one self-contained, offline-checkable file per recorded alert.

A receipt holds the alert as the ``AlertRecorded`` event gave it, where it was
recorded (chain, registry, block with hash and time, transaction), the proof
and public instances taken from the transaction's own calldata, the model's
verifier and threshold, and the chain links around it (the previous alert's
hash and the next alert's ``prevHash``, plus the stream head and count when
exported). ``zkalert receipt check`` later re-derives, with no node:

- the alert hash from the receipt's fields (the registry's formula);
- the links: previous alert hash == prevHash, next prevHash == alert hash;
- the proof's instances carry this alert's commitment and score, and the alarm
  bit follows from the threshold;
- with the model's verifying key, settings and SRS: keccak256(vk) == model id
  and the proof verifies (EZKL).
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import HexStr
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from zkalert.config import StrPath
from zkalert.errors import ReceiptError, ZkAlertError
from zkalert.evm.log import ZERO32, AlertEntry, alert_hash
from zkalert.zk.statement import SCHEMES, binding_of, split_bound_statement

RECEIPT_KIND = "zkalert-alert-receipt"
RECEIPT_VERSION = 2


def build_receipts(
    w3: Web3,
    registry: Contract,
    chain_id: int,
    entries: list[AlertEntry],
    stream_entries: dict[str, list[AlertEntry]],
) -> list[dict[str, Any]]:
    """Receipts of ``entries``; ``stream_entries`` holds every read alert per stream (for the links)."""
    blocks: dict[int, Any] = {}
    txs: dict[str, Any] = {}
    models: dict[str, Any] = {}
    heads: dict[str, tuple[str, int]] = {}
    receipts = []
    for e in entries:
        if e.block not in blocks:
            blocks[e.block] = w3.eth.get_block(e.block)
        if e.tx_hash not in txs:
            tx = w3.eth.get_transaction(HexStr(e.tx_hash))
            _, args = registry.decode_function_input(tx["input"])
            txs[e.tx_hash] = (tx, bytes(args["proof"]), [int(v) for v in args["instances"]])
        if e.model_id not in models:
            models[e.model_id] = registry.functions.model(bytes.fromhex(e.model_id[2:])).call()
        if e.stream_id not in heads:
            sid = bytes.fromhex(e.stream_id[2:])
            heads[e.stream_id] = (
                "0x" + bytes(registry.functions.head(sid).call()).hex(),
                int(registry.functions.count(sid).call()),
            )
        tx, proof, instances = txs[e.tx_hash]
        verifier, threshold, windows_per_proof = (
            models[e.model_id][0],
            int(models[e.model_id][1]),
            int(models[e.model_id][2]),
        )
        commitment = SCHEMES[
            int(models[e.model_id][4])
        ]  # IAlertRegistry.CommitmentScheme, in enum order
        siblings = [s for s in stream_entries.get(e.stream_id, []) if s.tx_hash == e.tx_hash]
        position = [s.seq for s in siblings].index(e.seq) if e in siblings else 0
        by_seq = {s.seq: s for s in stream_entries.get(e.stream_id, [])}
        previous, following = by_seq.get(e.seq - 1), by_seq.get(e.seq + 1)
        block = blocks[e.block]
        receipts.append(
            {
                "kind": RECEIPT_KIND,
                "version": RECEIPT_VERSION,
                "chain_id": chain_id,
                "registry": registry.address,
                "alert": e.to_json(),
                "model": {
                    "model_id": e.model_id,
                    "verifier": Web3.to_checksum_address(verifier),
                    "threshold": str(threshold),
                    "windows_per_proof": windows_per_proof,
                    "commitment": commitment,
                },
                "block": {
                    "number": e.block,
                    "hash": "0x" + bytes(block["hash"]).hex(),
                    "timestamp": int(block["timestamp"]),
                },
                "transaction": {
                    "hash": e.tx_hash,
                    "from": Web3.to_checksum_address(tx["from"]),
                    "index": int(tx["transactionIndex"]),
                },
                "proof": {
                    "hex": "0x" + proof.hex(),
                    "instances": [str(v) for v in instances],
                    "window_in_proof": position,
                },
                "links": {
                    "previous": None
                    if previous is None
                    else {
                        "seq": previous.seq,
                        "alert_hash": previous.alert_hash,
                        "tx_hash": previous.tx_hash,
                    },
                    "next": None
                    if following is None
                    else {
                        "seq": following.seq,
                        "prev_hash": following.prev_hash,
                        "alert_hash": following.alert_hash,
                        "tx_hash": following.tx_hash,
                    },
                    "stream_head_at_export": heads[e.stream_id][0],
                    "stream_count_at_export": heads[e.stream_id][1],
                },
                "exported_at": int(time.time()),
            }
        )
    return receipts


def write_receipts(receipts: list[dict[str, Any]], folder: StrPath) -> list[Path]:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for r in receipts:
        path = out / f"receipt-{r['alert']['stream_id'][2:10]}-{r['alert']['seq']:06d}.json"
        path.write_text(json.dumps(r, indent=2) + "\n")
        paths.append(path)
    return paths


@dataclass
class ReceiptCheck:
    path: str
    checks: dict[str, bool | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_receipt(path: StrPath) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ReceiptError(f"{path}: no such receipt") from None
    except ValueError as exc:
        raise ReceiptError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != RECEIPT_KIND:
        raise ReceiptError(f"{path}: not a zkalert alert receipt")
    if data.get("version") != RECEIPT_VERSION:
        raise ReceiptError(
            f"{path}: receipt version {data.get('version')}, this zkalert reads {RECEIPT_VERSION}"
        )
    return data


def check_receipt(
    path: StrPath,
    vk: StrPath | None = None,
    settings: StrPath | None = None,
    srs: StrPath | None = None,
) -> ReceiptCheck:
    """Check a receipt offline (no node); with vk, settings and SRS also the proof itself."""
    data = load_receipt(path)
    result = ReceiptCheck(str(path))
    try:
        a = data["alert"]
        proof = bytes.fromhex(data["proof"]["hex"].removeprefix("0x"))
        instances = [int(v) for v in data["proof"]["instances"]]
        position = int(data["proof"]["window_in_proof"])
        threshold = int(data["model"]["threshold"])
        recomputed = (
            "0x"
            + alert_hash(
                bytes.fromhex(a["prev_hash"][2:]),
                bytes.fromhex(a["stream_id"][2:]),
                int(a["seq"]),
                int(a["window_index"]),
                bytes.fromhex(a["model_id"][2:]),
                a["gateway"],
                int(a["input_commitment"], 16),
                int(a["score"]),
                bool(a["alarm"]),
            ).hex()
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReceiptError(f"{path}: malformed receipt ({type(exc).__name__}: {exc})") from None

    def record(name: str, ok: bool | None, problem: str) -> None:
        result.checks[name] = ok
        if ok is False:
            result.problems.append(problem)

    record(
        "alert_hash",
        recomputed == a["alert_hash"],
        f"alert hash {a['alert_hash']} != recomputed {recomputed}",
    )
    links = data["links"]
    if int(a["seq"]) == 0:
        record(
            "previous_link",
            a["prev_hash"] == "0x" + ZERO32.hex(),
            "seq 0 does not start from the zero hash",
        )
    elif links["previous"] is not None:
        record(
            "previous_link",
            links["previous"]["alert_hash"] == a["prev_hash"],
            "prevHash does not match the previous alert's hash",
        )
    else:
        record("previous_link", None, "")
    if links["next"] is not None:
        record(
            "next_link",
            links["next"]["prev_hash"] == a["alert_hash"],
            "the next alert's prevHash does not match this alert's hash",
        )
    else:
        record(
            "next_link",
            links["stream_head_at_export"] == a["alert_hash"]
            if int(a["seq"]) + 1 == int(links["stream_count_at_export"])
            else None,
            "the last alert's hash is not the stream head at export",
        )
    try:
        commitments, scores, bindings = split_bound_statement(
            tuple(instances), proof, data["model"].get("commitment", "poseidon")
        )
        carried = 0 <= position < len(scores) and (commitments[position], scores[position]) == (
            int(a["input_commitment"], 16),
            int(a["score"]),
        )
        bound = carried and bindings[position] == binding_of(
            a["gateway"], bytes.fromhex(a["stream_id"][2:]), int(a["window_index"])
        )
    except ZkAlertError:
        carried = bound = False
    record(
        "instances",
        carried,
        "the proof and its instances do not carry this alert's commitment and score",
    )
    record(
        "binding", bound, "the proof is not bound to this alert's gateway, stream and window index"
    )
    record(
        "alarm",
        (int(a["score"]) >= threshold) == bool(a["alarm"]),
        "the alarm bit does not follow from the score and threshold",
    )
    if vk is not None:
        vk_bytes = Path(vk).read_bytes()
        record(
            "model_id",
            "0x" + keccak(vk_bytes).hex() == a["model_id"],
            f"keccak256 of {vk} is not the model id {a['model_id']}",
        )
        if settings is not None and srs is not None:
            record(
                "proof",
                _ezkl_verify(proof, instances, Path(vk), Path(settings), Path(srs)),
                "EZKL does not verify the proof",
            )
    return result


def _ezkl_verify(proof: bytes, instances: list[int], vk: Path, settings: Path, srs: Path) -> bool:
    import ezkl

    from zkalert.zk.prover import ezkl_proof_json

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "proof.json"
        path.write_text(json.dumps(ezkl_proof_json(proof, instances)))
        try:
            return bool(
                ezkl.verify(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
                    str(path), str(settings), str(vk), srs_path=str(srs)
                )
            )
        except Exception:  # noqa: BLE001 - EZKL raises for a proof that does not verify
            return False
