"""Sender: moves outbox rows onto the chain and keeps them there.

One pass (:meth:`Sender.step`) does, in order:

1. watch the chain tip; a lower tip or a changed block hash means a reorg or a
   node restored from an older state, and triggers a reconcile;
2. sync every ``sent`` row: a receipt at the configured depth on the canonical
   chain confirms it; a reverted transaction is requeued unless its proof was
   recorded by another transaction (a twin gateway); a nonce used by some
   other transaction is treated the same way; a transaction the node no longer
   knows (dropped, reorged out, node restarted) is rebroadcast from the signed
   bytes in the outbox; one pending longer than ``stuck_after_s`` is replaced
   (same nonce, fees x ``fee_bump``, capped);
3. reconcile: a confirmed row whose proof record the registry no longer holds
   (a reorg deeper than the confirmation depth, a node restored from a dump) is
   requeued, with the stream's later rows;
4. send, per stream in outbox order: the next proven row goes out only when its
   predecessor is recorded on-chain, and only after asking the registry whether
   its proof is recorded already (``proofRecord`` at its first index; then it
   is confirmed without a transaction). Nonces come from the chain's pending count, skipping the
   nonces of the outbox's own live transactions (and filling gaps first);
5. prove one scored row, if a prover was given.

RPC failures of any kind are retried with capped exponential backoff; after
``outage_budget_s`` without an answer the sender stops with one clear line and
the outbox intact. Registry answers that no retry can change (the gateway is
not allowed, the stream is bound to another gateway, the model is unknown)
stop it too, naming the registry's custom error.
"""

from __future__ import annotations

import http.client
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import (
    BadFunctionCallOutput,
    BadResponseFormat,
    BlockNotFound,
    ContractCustomError,
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import TxParams

from zkalert.errors import ChainError, SenderStopped, WitnessOutOfRange
from zkalert.evm.log import alert_hash, fetch_alerts
from zkalert.evm.registry import Deployment, Gateway
from zkalert.evm.rpc import decode_revert, fee_fields, revert_data
from zkalert.gateway.networks import Network, check_chain_id, web3_for
from zkalert.gateway.outbox import Outbox, OutboxRow
from zkalert.keys import Signer, signer_for

if TYPE_CHECKING:
    from zkalert.cluster.backend import ProvingCluster

#: Failures that say nothing about the alert: the node is away, slow or restarting.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.RequestException,
    ProviderConnectionError,
    TimeExhausted,
    BadResponseFormat,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
)

#: What a step may meet while the node restarts, reorganises or answers from a restored state: the
#: step is retried (after a setup check), the outbox holds everything needed to go on.
RETRYABLE_IN_STEP: tuple[type[BaseException], ...] = (
    *TRANSIENT_ERRORS,
    BlockNotFound,
    BadFunctionCallOutput,
    Web3RPCError,
)

#: Registry refusals that are about this proof: the row is refused, the others go on.
REFUSED_FOREVER = (
    "AlertRegistryInvalidProof",
    "AlertRegistryInstanceCount",
    "AlertRegistryInstanceOutOfField",
    "AlertRegistryBindingMismatch",
    "AlertRegistryIndexGap",
    "AlertRegistryIndexNotIncreasing",
)
#: Refusals another pass will resolve (the row is recorded meanwhile, or the head moved).
RETRY_LATER = ("AlertRegistryStalePrevHash",)
#: Broadcast errors that mean "a transaction with this nonce exists already"; sync sorts it out.
NONCE_TAKEN_MARKERS = (
    "nonce too low",
    "already known",
    "already imported",
    "known transaction",
    "replacement transaction underpriced",
    "nonce too high",
)
#: Broadcast errors that mean "bid more": the base fee rose above the transaction's fee cap.
UNDERPRICED_MARKERS = (
    "less than block base fee",
    "fee cap less than",
    "max fee per gas less than",
    "feecap",
)

ZERO32 = b"\x00" * 32

#: proves a scored row: (proof, instances, commitment scheme "poseidon" | "kzg")
Prove = Callable[[OutboxRow], tuple[bytes, tuple[int, ...], str]]


@dataclass
class SenderStats:
    proven: int = 0
    sent: int = 0  # first transactions of a row
    replaced: int = 0
    rebroadcast: int = 0
    reverted: int = 0
    confirmed: int = 0
    confirmed_without_tx: int = 0  # recorded already (a twin, or an earlier run)
    requeued: int = 0
    rolled_back: int = 0
    refused: int = 0  # by the registry, or unprovable
    unprovable: int = 0  # windows the circuit cannot take (no witness): refused before sending
    rpc_errors: int = 0
    outages: int = 0
    longest_outage_s: float = 0.0
    reorgs_seen: int = 0
    phantom_receipts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _ChainView:
    block: int = -1
    block_hash: bytes = b""


class Sender:
    """Drains one outbox into the registry for one gateway key on one network."""

    def __init__(
        self,
        outbox: Outbox,
        network: Network,
        deployment: Deployment,
        key: Signer | str | None,
        *,
        w3: Web3 | None = None,
        prover: Prove | None = None,
        echo: Callable[[str], None] | None = None,
        reconcile_every: int = 10,
    ) -> None:
        self.outbox = outbox
        self.network = network
        self.deployment = deployment
        self.w3 = w3 or web3_for(network)
        #: checked for the network's chain (anvil's public keys only on development chains)
        self.signer = signer_for(network.chain_id, key, network.dev_chains)
        self.account: LocalAccount = self.signer.account
        self.registry = self.w3.eth.contract(
            address=deployment.registry_address, abi=deployment.registry_abi
        )
        self.prover = prover
        self.echo = echo or (lambda message: None)
        self.stats = SenderStats()
        self.reconcile_every = reconcile_every
        self._steps = 0
        self._view = _ChainView()
        self._suspects: dict[
            int, int
        ] = {}  # row id -> passes in a row with a receipt lacking effect
        self._fee_cap_wei = int(network.max_fee_gwei * 1e9)
        self._tip_wei = int(network.priority_fee_gwei * 1e9)

    # ------------------------------------------------------------------ setup

    def check_setup(self) -> None:
        """Refuse to start against the wrong chain, a deployment file that does not match it, or a
        registry that does not let this gateway submit."""
        chain_id = int(self.w3.eth.chain_id)
        check_chain_id(self.network, chain_id)
        if self.deployment.chain_id != chain_id:
            raise SenderStopped(
                f"the deployment is for chain {self.deployment.chain_id}, but the node is chain {chain_id}"
            )
        address = self.deployment.registry_address
        if not self.w3.eth.get_code(address):
            raise SenderStopped(
                f"deployments/{chain_id}/AlertRegistry.json names {address}, but chain {chain_id} has no contract there "
                "(a reset node, or a deployment file from another chain): redeploy or fix the file"
            )
        try:
            self.registry.functions.version().call()
            allowed = bool(self.registry.functions.isGateway(self.account.address).call())
        except (ContractLogicError, Web3RPCError, ValueError) as exc:
            raise SenderStopped(
                f"the contract at {address} on chain {chain_id} is not an AlertRegistry ({type(exc).__name__})"
            ) from None
        models = {
            row.model_id for row in self.outbox.rows() if row.state not in ("confirmed", "refused")
        }
        for model_id in sorted(models):
            registered = self.registry.functions.model(bytes.fromhex(model_id[2:])).call()
            verifier = Web3.to_checksum_address(registered[0])
            if int(verifier, 16) == 0:
                raise SenderStopped(
                    f"model {model_id} is not registered on the registry at {address} (chain {chain_id}): deploy it first"
                )
            recorded = self.deployment.models.get(model_id)
            if recorded is not None and recorded.verifier != verifier:
                raise SenderStopped(
                    f"deployments/{chain_id}/models/{model_id}.json says verifier {recorded.verifier}, but the registry "
                    f"has {verifier}: the deployment file does not match the chain"
                )
        if not allowed:
            raise SenderStopped(
                f"gateway {self.account.address} is not allowed by the registry at {address}: the owner must call setGateway"
            )
        self._open_streams()

    def _open_streams(self) -> None:
        """Streams with rows to send must be open (only the registry's owner opens a stream). Where
        this gateway's account is the owner it opens its own; otherwise it stops and names who must.
        A stream open for another gateway is left to the registry's refusal at send time."""
        pending = {
            row.stream: row.stream_id
            for row in self.outbox.rows()
            if row.state not in ("confirmed", "refused")
        }
        gateway: Gateway | None = None
        for name, stream in sorted(pending.items()):
            if int(self.registry.functions.streamGateway(stream).call(), 16) != 0:
                continue
            gateway = gateway or Gateway(self.w3, self.deployment, self.signer)
            try:
                gateway.ensure_stream(stream, name)
            except ChainError as exc:
                raise SenderStopped(str(exc)) from None
            self.echo(f"opened stream {name!r} for this gateway (this account owns the registry)")

    # ------------------------------------------------------------------ the loop

    def run(
        self,
        until_done: bool = True,
        timeout_s: float | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> SenderStats:
        """Step until every row is confirmed or refused (or forever with ``until_done=False``)."""
        started = time.monotonic()
        outage_started: float | None = None
        backoff = self.network.poll_interval_s
        needs_check = True
        while True:
            try:
                if needs_check:
                    self.check_setup()
                    needs_check = False
                self.step()
            except RETRYABLE_IN_STEP as exc:
                now = time.monotonic()
                self.stats.rpc_errors += 1
                if outage_started is None:
                    outage_started = now
                    self.stats.outages += 1
                    self.outbox.event(None, "rpc-down", f"{type(exc).__name__}: {str(exc)[:160]}")
                    self.echo(f"RPC error ({type(exc).__name__}); retrying with backoff")
                down_s = now - outage_started
                self.stats.longest_outage_s = max(self.stats.longest_outage_s, down_s)
                if down_s > self.network.outage_budget_s:
                    raise ChainError(
                        f"the RPC at {self.network.rpc_url} has not answered for {down_s:.0f} s ({type(exc).__name__}): "
                        "stopping; the outbox is intact, run again when the node is back"
                    ) from None
                needs_check = True  # after an outage the node may be a different (restarted) one
                time.sleep(backoff * random.uniform(0.5, 1.0))
                backoff = min(backoff * 2, 5.0)
                continue
            if outage_started is not None:
                down_s = time.monotonic() - outage_started
                self.outbox.event(None, "rpc-up", f"after {down_s:.1f} s")
                self.echo(f"RPC back after {down_s:.1f} s")
                outage_started = None
            backoff = self.network.poll_interval_s
            if until_done and self.outbox.done():
                return self.stats
            if should_stop is not None and should_stop():
                return self.stats
            if timeout_s is not None and time.monotonic() - started > timeout_s:
                counts = self.outbox.counts()
                raise ChainError(f"the outbox is not drained after {timeout_s:.0f} s: {counts}")
            time.sleep(self.network.poll_interval_s)

    def step(self) -> None:
        self._steps += 1
        rolled_back = self._watch_tip()
        self._sync_sent()
        if rolled_back or self._steps % self.reconcile_every == 1:
            self._reconcile()
        self._send_ready()
        self._prove_one()

    # ------------------------------------------------------------------ chain tip

    def _watch_tip(self) -> bool:
        """True when the chain went backwards or the block we saw last was replaced."""
        latest = self.w3.eth.get_block("latest")
        number, block_hash = int(latest["number"]), bytes(latest["hash"])
        view = self._view
        changed = False
        if view.block >= 0:
            if number < view.block:
                changed = True
            elif number == view.block:
                changed = block_hash != view.block_hash
            else:
                try:
                    changed = bytes(self.w3.eth.get_block(view.block)["hash"]) != view.block_hash
                except BlockNotFound:  # a node restored from a state without that block
                    changed = True
        if changed:
            self.stats.reorgs_seen += 1
            self.outbox.event(None, "reorg", f"tip {view.block} -> {number}")
            self.echo(
                f"chain reorganised or rolled back (tip {view.block} -> {number}): reconciling"
            )
        view.block, view.block_hash = number, block_hash
        return changed

    # ------------------------------------------------------------------ registry reads

    def _recorded_hashes(self, row: OutboxRow) -> tuple[bytes, ...] | None:
        """The alert hashes the registry recorded for the row's windows, or None if it holds no
        record of this row's proof.

        The registry keeps one record per proof: its last window's alert hash, under its first
        index. The hashes predicted when the row was sent are the answer when their last one is
        that record (the hash chain ties every window to it); otherwise (a row recorded by another
        process, or sent from another head) the stream's events are read and must give the row's
        own windows, folding to the record."""
        last = bytes(self.registry.functions.proofRecord(row.stream_id, row.window_index).call())
        if last == ZERO32:
            return None
        if row.alert_hashes and row.alert_hashes[-1] == last:
            return row.alert_hashes
        return self._hashes_from_events(row, last)

    def _hashes_from_events(self, row: OutboxRow, last: bytes) -> tuple[bytes, ...] | None:
        """The row's windows among the stream's events, if they fold to ``last``."""
        first, windows = row.window_index, row.windows
        entries = [
            e
            for e in fetch_alerts(self.registry, self.deployment.block, stream=row.stream_id)
            if first <= e.window_index < first + windows
        ]
        commitments, scores = row.statement_parts()
        candidates = [e for e in entries if e.alert_hash == "0x" + last.hex()]
        if not candidates:
            return None
        end = candidates[0]
        chain = [e for e in entries if e.tx_hash == end.tx_hash and e.seq <= end.seq]
        chain = chain[-windows:]
        if len(chain) != windows:
            return None
        for i, e in enumerate(chain):
            linked = i == 0 or e.prev_hash == chain[i - 1].alert_hash
            if not (
                linked
                and e.window_index == first + i
                and e.recomputed_hash() == e.alert_hash
                and int(e.input_commitment, 16) == commitments[i]
                and e.score == scores[i]
                and e.model_id == row.model_id.lower()
            ):
                return None  # another proof holds the index: not this row's record
        return tuple(bytes.fromhex(e.alert_hash[2:]) for e in chain)

    def _confirm_if_recorded(
        self, row: OutboxRow, tx_hash: str | None, block: int | None, how: str
    ) -> bool:
        hashes = self._recorded_hashes(row)
        if hashes is None:
            return False
        self.outbox.mark_confirmed(row.id, hashes, tx_hash, block, how)
        self.stats.confirmed += 1
        if tx_hash is None:
            self.stats.confirmed_without_tx += 1
        return True

    # ------------------------------------------------------------------ sync

    def _receipt(self, tx_hash: str) -> Any:
        try:
            return self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            return None

    def _known(self, tx_hash: str) -> bool:
        try:
            return self.w3.eth.get_transaction(HexStr(tx_hash)) is not None
        except TransactionNotFound:
            return False

    def _sync_sent(self) -> None:
        sent = self.outbox.rows("sent")
        if not sent:
            return
        latest = self._view.block
        chain_nonce = self.w3.eth.get_transaction_count(self.account.address, "latest")
        for row in sent:
            attempts = self.outbox.live_attempts(row.id)
            receipt = None
            for attempt in reversed(attempts):
                receipt = self._receipt(attempt.tx_hash)
                if receipt is not None:
                    break
            if receipt is not None:
                tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
                mined = int(receipt["blockNumber"])
                if int(receipt["status"]) == 1:
                    if row.tx_hash != tx_hash or row.block != mined:
                        row = self.outbox.mark_mined(row.id, tx_hash, mined)
                    depth = latest - mined + 1
                    # A successful receipt whose effects the node's state lacks (the account nonce has
                    # not passed it, or the registry does not hold the proof's record) happened on
                    # anvil when a reorg raced its interval miner. Seen on three passes in a row, the
                    # receipt is not trusted: the row is sent again (if it was recorded after all, the
                    # registry refuses the index and the row is confirmed from its record).
                    phantom = row.nonce is not None and row.nonce >= chain_nonce
                    if not phantom and depth >= self.network.confirmations:
                        try:
                            canonical = bytes(self.w3.eth.get_block(mined)["hash"]) == bytes(
                                receipt["blockHash"]
                            )
                        except BlockNotFound:
                            canonical = False
                        if not canonical:
                            continue
                        if self._confirm_if_recorded(
                            row, tx_hash, mined, f"receipt {tx_hash} at depth {depth}"
                        ):
                            self._suspects.pop(row.id, None)
                            continue
                        phantom = True
                    if phantom:
                        self._suspects[row.id] = self._suspects.get(row.id, 0) + 1
                        self.outbox.event(
                            row.id,
                            "receipt-without-effect",
                            f"tx {tx_hash} block {mined} nonce {row.nonce} chain nonce {chain_nonce}",
                        )
                        if self._suspects[row.id] >= 3:
                            del self._suspects[row.id]
                            self.outbox.requeue(
                                row.id,
                                f"the node's receipt for {tx_hash} (block {mined}) has no effect in its state",
                            )
                            self.stats.phantom_receipts += 1
                            self.stats.requeued += 1
                    else:
                        self._suspects.pop(row.id, None)
                    continue
                self.stats.reverted += 1
                self.outbox.event(row.id, "reverted", f"tx {tx_hash} in block {mined}")
                if self._confirm_if_recorded(
                    row,
                    None,
                    None,
                    f"its transaction {tx_hash} reverted: recorded by another transaction",
                ):
                    continue
                if row.reverts + 1 >= self.network.max_reverts:
                    raise SenderStopped(
                        f"row {row.id} ({row.window_key}) reverted on-chain {row.reverts + 1} times; last {tx_hash}"
                    )
                self.outbox.requeue(
                    row.id, f"transaction {tx_hash} reverted in block {mined}", reverted=True
                )
                self.stats.requeued += 1
                continue

            if row.block is not None:  # it had a receipt; the block is gone
                row = self.outbox.mark_mined(row.id, None, None)
                self.outbox.event(row.id, "unmined", "its block left the canonical chain")
            assert row.nonce is not None
            if row.nonce < chain_nonce:
                # the nonce went to a transaction that is not ours (a twin with the same key)
                if self._confirm_if_recorded(
                    row, None, None, f"nonce {row.nonce} used by another transaction; recorded"
                ):
                    continue
                self.outbox.requeue(row.id, f"nonce {row.nonce} was used by another transaction")
                self.stats.requeued += 1
                continue
            newest = attempts[-1]
            if not any(self._known(a.tx_hash) for a in attempts):
                # dropped, reorged out, or lost with a restarted node: the signed bytes are in the outbox
                if self._broadcast(newest.raw_tx, row.id, "rebroadcast") == "underpriced":
                    self._replace(row, newest)  # evicted because the base fee rose past its bid
                else:
                    self.outbox.touch_attempt(newest.id)
                    self.outbox.event(
                        row.id, "rebroadcast", f"nonce {row.nonce} tx {newest.tx_hash}"
                    )
                    self.stats.rebroadcast += 1
            elif time.time() - newest.sent_at > self.network.stuck_after:
                self._replace(row, newest)

    # ------------------------------------------------------------------ reconcile

    def _reconcile(self) -> None:
        """Requeue confirmed rows whose record the chain lost, newest first, per stream."""
        confirmed = self.outbox.rows("confirmed")
        streams: dict[str, list[OutboxRow]] = {}
        for row in confirmed:
            streams.setdefault(row.stream, []).append(row)
        for rows in streams.values():
            for row in reversed(rows):
                hashes = self._recorded_hashes(row)
                if hashes is not None:
                    break  # its predecessors are in its hash chain: recorded too
                self.outbox.requeue(
                    row.id,
                    "its record is no longer on the chain (reorg deeper than the confirmation depth, or a restored node)",
                )
                self.stats.rolled_back += 1
                self.stats.requeued += 1

    # ------------------------------------------------------------------ send

    def _send_ready(self) -> None:
        proven = self.outbox.rows("proven")
        if not proven:
            return
        first_of_stream: dict[str, OutboxRow] = {}
        for row in proven:
            first_of_stream.setdefault(row.stream, row)
        for row in first_of_stream.values():
            earlier = [
                r
                for r in self.outbox.rows(stream=row.stream)
                if r.id < row.id and r.state != "refused"
            ]
            if earlier:
                predecessor = earlier[-1]
                if predecessor.state in ("scored", "proven"):
                    continue
                if predecessor.state == "sent" and predecessor.block is None:
                    continue  # not mined yet
                if self._recorded_hashes(predecessor) is None:
                    continue  # mined in a block that has since gone; its sync will resend it
            if self._confirm_if_recorded(row, None, None, "already recorded on-chain"):
                continue
            self._send(row)

    def _tx_fields(self, row: OutboxRow, prev_hash: bytes) -> dict[str, Any]:
        assert row.proof is not None and row.instances is not None
        call = self.registry.functions.submitAlert(
            row.stream_id,
            bytes.fromhex(row.model_id[2:]),
            prev_hash,
            row.window_index,
            row.proof,
            list(row.instances),
        )
        return {
            "from": self.account.address,
            "to": self.registry.address,
            "data": call._encode_transaction_data(),
            "chainId": self.network.chain_id,
            "value": 0,
        }

    def _send(self, row: OutboxRow) -> None:
        stream = row.stream_id
        head = bytes(self.registry.functions.head(stream).call())
        count = int(self.registry.functions.count(stream).call())
        tx = self._tx_fields(row, head)
        try:
            gas = int(self.w3.eth.estimate_gas(cast(TxParams, tx)) * self.network.gas_margin)
        except (ContractCustomError, ContractLogicError, Web3RPCError, ValueError) as exc:
            data = revert_data(exc)
            if isinstance(exc, TRANSIENT_ERRORS) or (
                isinstance(exc, Web3RPCError) and data is None and "revert" not in str(exc).lower()
            ):
                raise  # the node failed, the registry did not answer: retried by run()
            reason = decode_revert(self.deployment.registry_abi, data)
            name = reason.split("(", 1)[0]
            if name in RETRY_LATER:
                return
            if name == "AlertRegistryIndexNotIncreasing" and self._confirm_if_recorded(
                row, None, None, "already recorded on-chain"
            ):
                return  # this very row landed meanwhile (another process, or a receipt not seen yet)
            if name in REFUSED_FOREVER:
                self.outbox.mark_refused(row.id, reason)
                self.stats.refused += 1
                self.echo(f"REFUSED row {row.id} ({row.window_key}): {reason}")
                return
            raise SenderStopped(
                f"the registry refuses submissions from {self.account.address}: {reason}"
            ) from None
        nonce = self._next_nonce()
        fees = self._fees()
        signed = self.account.sign_transaction({**tx, "gas": gas, "nonce": nonce, **fees})
        tx_hash = "0x" + bytes(signed.hash).hex()
        predicted = self._predicted_hashes(row, head, count)
        self.outbox.record_attempt(
            row.id,
            nonce,
            tx_hash,
            bytes(signed.raw_transaction),
            gas,
            head,
            predicted,
            fees.get("maxFeePerGas"),
            fees.get("maxPriorityFeePerGas"),
            fees.get("gasPrice"),
        )
        self.stats.sent += 1
        self._broadcast(bytes(signed.raw_transaction), row.id, "send")

    def _predicted_hashes(self, row: OutboxRow, head: bytes, count: int) -> tuple[bytes, ...]:
        model = self.registry.functions.model(bytes.fromhex(row.model_id[2:])).call()
        threshold = int(model[1])
        commitments, scores = row.statement_parts()
        hashes = []
        prev = head
        for i, (commitment, score) in enumerate(zip(commitments, scores)):
            prev = alert_hash(
                prev,
                row.stream_id,
                count + i,
                row.window_index + i,
                bytes.fromhex(row.model_id[2:]),
                self.account.address,
                commitment,
                score,
                score >= threshold,
            )
            hashes.append(prev)
        return tuple(hashes)

    def _next_nonce(self) -> int:
        nonce = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
        used = {a.nonce for a in self.outbox.all_live_attempts()}
        while nonce in used:
            nonce += 1
        return nonce

    def _fees(self) -> dict[str, int]:
        return fee_fields(
            self.w3, tip_wei=min(self._tip_wei, self._fee_cap_wei), cap_wei=self._fee_cap_wei
        )

    def _replace(self, row: OutboxRow, newest: Any) -> None:
        bump = self.network.fee_bump
        current = self._fees()
        if newest.gas_price is not None:
            fees = {"gasPrice": max(math.ceil(newest.gas_price * bump), current.get("gasPrice", 0))}
            top = fees["gasPrice"]
        else:
            tip = max(math.ceil(newest.priority_fee * bump), current["maxPriorityFeePerGas"])
            max_fee = max(math.ceil(newest.max_fee * bump), current["maxFeePerGas"], tip)
            fees = {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip}
            top = max_fee
        if top > self._fee_cap_wei:
            self.outbox.touch_attempt(newest.id)  # wait another stuck period before looking again
            self.outbox.event(
                row.id,
                "fee-cap",
                f"nonce {row.nonce} stuck; a replacement would bid {top} wei > cap {self._fee_cap_wei}",
            )
            return
        assert row.prev_hash is not None and row.nonce is not None
        tx = self._tx_fields(row, row.prev_hash)
        signed = self.account.sign_transaction(
            {**tx, "gas": newest.gas, "nonce": row.nonce, **fees}
        )
        tx_hash = "0x" + bytes(signed.hash).hex()
        assert row.alert_hashes is not None
        self.outbox.record_attempt(
            row.id,
            row.nonce,
            tx_hash,
            bytes(signed.raw_transaction),
            newest.gas,
            row.prev_hash,
            row.alert_hashes,
            fees.get("maxFeePerGas"),
            fees.get("maxPriorityFeePerGas"),
            fees.get("gasPrice"),
            replacing=True,
        )
        self.stats.replaced += 1
        self._broadcast(bytes(signed.raw_transaction), row.id, "replace")

    def _broadcast(self, raw_tx: bytes, alert_id: int, why: str) -> str:
        """'sent', 'nonce-taken' (a transaction with this nonce exists; sync sorts it out) or
        'underpriced' (the bid is below the current base fee)."""
        try:
            self.w3.eth.send_raw_transaction(raw_tx)
            return "sent"
        except Web3RPCError as exc:
            message = str(exc).lower()
            if "insufficient funds" in message:
                raise SenderStopped(
                    f"gateway {self.account.address} cannot pay for gas: {exc}"
                ) from None
            if any(marker in message for marker in UNDERPRICED_MARKERS):
                self.outbox.event(alert_id, f"{why}-underpriced", str(exc)[:200])
                return "underpriced"
            if any(marker in message for marker in NONCE_TAKEN_MARKERS):
                self.outbox.event(alert_id, f"{why}-nonce-taken", str(exc)[:200])
                return "nonce-taken"
            raise SenderStopped(f"the node refused a transaction ({why}): {exc}") from None

    # ------------------------------------------------------------------ prove

    def _prove_one(self) -> None:
        """Prove scored rows in order: at least one, more while they take under a second in all
        (cached proofs), so sending is never starved by a slow proof. A prover on a cluster
        proves as many rows at once as it has workers (:class:`ClusterProver`)."""
        if self.prover is None:
            return
        if isinstance(self.prover, ClusterProver):
            rows = self.outbox.rows("scored")[: self.prover.slots()]
            try:
                for row, (proof, instances, commitment) in self.prover.prove_rows(rows):
                    self.outbox.mark_proven(row.id, proof, instances, commitment)
                    self.stats.proven += 1
            except WitnessOutOfRange:
                # which row it was: each on its own (those proven meanwhile come from the cache)
                for row in rows:
                    if self.outbox.get(row.id).state == "scored":
                        self._prove_row(row)
            return
        started = time.monotonic()
        for row in self.outbox.rows("scored"):
            self._prove_row(row)
            if time.monotonic() - started > 1.0:
                return

    def _prove_row(self, row: OutboxRow) -> None:
        """Prove one scored row; a window the circuit cannot take (no witness, so no proof can
        ever exist) is refused with the reason, so it does not hold up the rows behind it."""
        assert self.prover is not None
        try:
            proof, instances, commitment = self.prover(row)
        except WitnessOutOfRange as exc:
            reason = f"unprovable: {exc}"
            self.outbox.mark_refused(row.id, reason)
            self.stats.refused += 1
            self.stats.unprovable += 1
            self.echo(f"REFUSED row {row.id} ({row.window_key}): {reason}")
            return
        self.outbox.mark_proven(row.id, proof, instances, commitment)
        self.stats.proven += 1


def statement_hex(statement: bytes) -> str:
    return "0x" + statement.hex()


# ---------------------------------------------------------------------- wiring for the CLI


def _proof_name(row: OutboxRow) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]", "_", row.window_key)


def workspace_prover(workspace_root: Any, gateway: str) -> Prove:
    """Proves scored rows with the workspace's circuit, bound to ``gateway``, each row's stream and
    window index; proofs are cached by window key, so a prover killed mid-proof proves that window
    again and nothing else."""
    from pathlib import Path

    state: dict[str, Any] = {}

    def prove(row: OutboxRow) -> tuple[bytes, tuple[int, ...], str]:
        from zkalert.config import Workspace
        from zkalert.zk.prover import Prover
        from zkalert.zk.statement import Binding

        if "prover" not in state:
            state["prover"] = Prover(Workspace.at(Path(workspace_root)))
        prover = state["prover"]
        _check_model(row, prover.info.model_id, workspace_root)
        assert row.window is not None
        proven = prover.prove_cached(
            row.window,
            _proof_name(row),
            Binding(gateway, row.stream_id, row.window_index),
            row.float_score,
        )
        return proven.proof, proven.instances, proven.commitment

    return prove


def _check_model(row: OutboxRow, model_id: str, workspace_root: Any) -> None:
    if model_id.lower() != row.model_id:
        raise SenderStopped(
            f"row {row.id} is for model {row.model_id}, but {workspace_root} proves model {model_id}"
        )


class ClusterProver:
    """Proves scored rows on a proving cluster (:mod:`zkalert.cluster`), as many at once as it has
    workers; like :func:`workspace_prover`, a window proven before (a stopped run) is not proven
    again, and a row is marked proven only once its proof is back, so a worker or a cluster lost
    mid-proof leaves the row scored, to be proven again."""

    def __init__(self, workspace_root: Any, gateway: str, cluster: ProvingCluster) -> None:
        from pathlib import Path

        from zkalert.config import Workspace
        from zkalert.zk.prover import Prover

        self.workspace = Workspace.at(Path(workspace_root))
        self.gateway = gateway
        self.cluster = cluster
        self.prover = Prover(self.workspace)  # what is cached here; proving is on the cluster

    def slots(self) -> int:
        return max(1, len(self.cluster.workers()))

    def __call__(self, row: OutboxRow) -> tuple[bytes, tuple[int, ...], str]:
        return next(self.prove_rows([row]))[1]

    def prove_rows(
        self, rows: list[OutboxRow]
    ) -> Iterator[tuple[OutboxRow, tuple[bytes, tuple[int, ...], str]]]:
        """``(row, (proof, instances, commitment))`` for each row, as each proof is done."""
        from zkalert.cluster.worker import ProofJob
        from zkalert.zk.statement import Binding

        jobs: list[tuple[OutboxRow, ProofJob]] = []
        for row in rows:
            _check_model(row, self.prover.info.model_id, self.workspace.root)
            assert row.window is not None
            binding = Binding(self.gateway, row.stream_id, row.window_index)
            cached = self.prover.cached(_proof_name(row), row.window, binding)
            if cached is not None:
                yield row, (cached.proof, cached.instances, cached.commitment)
                continue
            jobs.append((row, ProofJob(row.window, _proof_name(row), binding, row.float_score)))
        if not jobs:
            return
        for i, result in self.cluster.prove_each(self.workspace, [job for _, job in jobs]):
            proven = result.proven
            yield jobs[i][0], (proven.proof, proven.instances, proven.commitment)


def open_sender(
    network: Network,
    outbox_path: Any,
    key: Signer | str | None,
    workspace_root: Any = None,
    echo: Callable[[str], None] | None = None,
    dev_chains: Iterable[int] = (),
    cluster: ProvingCluster | None = None,
) -> Sender:
    """Connect (checking the chain id), check the key for that chain, load the deployment, open
    and bind the outbox.

    ``key`` None is the environment's key settings (:mod:`zkalert.keys`); development chains are
    the built-in ones, the network's if it is marked ``dev`` and ``dev_chains``. A node that does
    not answer yet is waited for (a gateway booting before its node), up to the network's outage
    budget; a node that answers with another chain id is refused at once."""
    from zkalert.errors import NetworkConfigError
    from zkalert.gateway.networks import connect_checked

    deadline = time.monotonic() + network.outage_budget_s
    delay = 0.5
    while True:
        try:
            w3 = connect_checked(network)
            break
        except NetworkConfigError:
            raise
        except ChainError:
            if time.monotonic() + delay > deadline:
                raise
            if echo is not None and delay == 0.5:
                echo(
                    f"waiting for the node at {network.rpc_url} (up to {network.outage_budget_s:.0f} s)"
                )
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    # the node answered with the network's chain id: the key is checked for that chain
    signer = signer_for(network.chain_id, key, [*network.dev_chains, *dev_chains])
    deployment = Deployment.load(network.chain_id)
    outbox = Outbox.open(
        outbox_path,
        chain_id=network.chain_id,
        registry=deployment.registry_address,
        gateway=signer.address,
    )
    prover: Prove | None = None
    if workspace_root is not None:
        prover = (
            ClusterProver(workspace_root, signer.address, cluster)
            if cluster is not None
            else workspace_prover(workspace_root, signer.address)
        )
    return Sender(
        outbox, network, deployment, signer, w3=w3, prover=prover, echo=echo
    )  # run() checks the setup first


def worker_main(argv: list[str] | None = None) -> int:
    """``python -m zkalert.gateway.sender --network N --outbox F [--workdir W] [--follow]``: the worker
    without the CLI around it (the soak runs it this way); its key comes from the environment
    (``ZKALERT_KEYSTORE``/``ZKALERT_ACCOUNT`` and a password, or ``PRIVATE_KEY``). Errors: one
    line, exit code 1 (3: anvil's development key on a chain that is not for development)."""
    import argparse
    import json
    import os
    import sys

    from zkalert.errors import DevelopmentKeyRefused, ZkAlertError
    from zkalert.gateway.networks import load_network

    parser = argparse.ArgumentParser(prog="python -m zkalert.gateway.sender")
    parser.add_argument("--network")
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--workdir")
    parser.add_argument("--follow", action="store_true")
    args = parser.parse_args(argv)
    try:
        network = load_network(args.network)
        sender = open_sender(
            network,
            args.outbox,
            None,
            args.workdir,
            echo=lambda m: print(m, file=sys.stderr, flush=True),
        )
        print(
            f"gateway {sender.account.address} on {network.name}; outbox {args.outbox}: {sender.outbox.counts()}",
            file=sys.stderr,
            flush=True,
        )
        stats = sender.run(until_done=not args.follow)
        print(json.dumps({"outbox": sender.outbox.counts(), "stats": stats.as_dict()}), flush=True)
        return 0
    except ZkAlertError as exc:
        if os.environ.get("ZKALERT_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, DevelopmentKeyRefused) else 1


if __name__ == "__main__":
    raise SystemExit(worker_main())
