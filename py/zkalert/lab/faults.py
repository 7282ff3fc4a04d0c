"""Real faults for the durability tests and the soak run: a local anvil that can be
killed, restarted from a state dump, reorganised, stripped of pending transactions
or given a base-fee spike, and a TCP proxy that takes the RPC away.

Nothing here fakes the chain: every fault is an anvil process or a real socket
misbehaving. Processes are started in their own session and stopped by pid.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from web3 import Web3

from zkalert.evm.localnode import Anvil


class FaultyAnvil(Anvil):
    """An anvil that can be checkpointed, crashed and restored, reorganised, stripped of pending
    transactions or given a base-fee spike."""

    @contextmanager
    def _miner_paused(self) -> Iterator[None]:
        """No block is mined while anvil dumps or reorganises: a real node snapshots and switches
        forks atomically, and anvil 1.7.1 was seen to leave receipts without their effects when
        these calls overlapped other work (see zkalert.lab.soak._isolated)."""
        if not self.block_time_s:
            yield
            return
        self.rpc("evm_setIntervalMining", [0])
        try:
            yield
        finally:
            self.rpc("evm_setIntervalMining", [max(1, int(self.block_time_s))])

    def checkpoint(self, path: Path) -> Path:
        """Write the node's state now (``anvil_dumpState``, un-gzipped: what --load-state reads)."""
        import gzip

        with self._miner_paused():
            dumped = bytes.fromhex(str(self.rpc("anvil_dumpState", [])).removeprefix("0x"))
        path.write_bytes(gzip.decompress(dumped) if dumped[:2] == b"\x1f\x8b" else dumped)
        return path

    def crash_and_restore(self, checkpoint: Path) -> None:
        """SIGKILL, then start again from an older state dump: the blocks after it are gone."""
        self.kill()
        self.start(load=checkpoint)

    # ---------------------------------------------------------------- faults on a running node

    def reorg(self, depth: int) -> None:
        """Replace the last ``depth`` blocks with empty ones: their transactions vanish."""
        depth = max(1, min(depth, int(self.w3.eth.block_number)))
        with self._miner_paused():
            self.rpc("anvil_reorg", [depth, []])

    def pending_hashes(self) -> list[str]:
        content = self.rpc("txpool_content", [])
        hashes = []
        for section in ("pending", "queued"):
            for by_nonce in (content.get(section) or {}).values():
                for tx in by_nonce.values():
                    hashes.append(tx["hash"])
        return hashes

    def drop(self, tx_hash: str) -> None:
        self.rpc("anvil_dropTransaction", [tx_hash])

    def set_automine(self, enabled: bool) -> None:
        self.rpc("evm_setAutomine", [enabled])

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", [hex(blocks)])

    def spike_base_fee(self, wei: int) -> None:
        """The next block's base fee: transactions bidding less stay pending until replaced."""
        self.rpc("anvil_setNextBlockBaseFeePerGas", [hex(wei)])

    def set_balance(self, address: str, wei: int) -> None:
        self.rpc("anvil_setBalance", [Web3.to_checksum_address(address), hex(wei)])


class RpcProxy:
    """A TCP proxy in front of the node. ``down()`` cuts every connection and resets new ones
    (the node "goes away"); ``blackhole()`` accepts and never answers (a hung node: clients time
    out). The listening port stays bound throughout, so nobody else can take it meanwhile."""

    def __init__(self, target_port: int, listen_port: int) -> None:
        self.target_port = target_port
        self.listen_port = listen_port
        self.url = f"http://127.0.0.1:{listen_port}"
        self.mode = "up"
        self._server: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> RpcProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.listen_port))
        server.listen(64)
        self._server = server
        self._thread = threading.Thread(target=self._accept, args=(server,), daemon=True)
        self._thread.start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            if self.mode == "down":
                # reset at once: the client sees its connection refused/aborted
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            with self._lock:
                self._conns.add(client)
            if self.mode == "blackhole":
                continue  # hold the connection, say nothing
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                self._close(client)
                continue
            with self._lock:
                self._conns.add(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close(src)
            self._close(dst)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for sock in conns:
            self._close(sock)

    def down(self) -> None:
        """Cut every open connection and reset new ones."""
        self.mode = "down"
        self._drop_all()

    def blackhole(self) -> None:
        self._drop_all()
        self.mode = "blackhole"

    def up(self) -> None:
        self._drop_all()
        self.mode = "up"

    def close(self) -> None:
        self.mode = "down"
        if self._server is not None:
            self._server.close()
            self._server = None
        self._drop_all()
