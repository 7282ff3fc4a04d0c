"""Real faults for the durability tests and the soak run: a local anvil that can be
killed, restarted from a state dump, reorganised, stripped of pending transactions
or given a base-fee spike, and a TCP proxy that takes the RPC away.

Nothing here fakes the chain: every fault is an anvil process or a real socket
misbehaving. Processes are started in their own session and stopped by pid.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from web3 import Web3

from zkalert.errors import ChainError
from zkalert.toolchain import tool

PORT_RANGE = (8700, 8799)


def free_port(lo: int = PORT_RANGE[0], hi: int = PORT_RANGE[1], exclude: set[int] | None = None) -> int:
    """A port in [lo, hi] nobody listens on (the project keeps its anvils in 8700-8799)."""
    for port in range(lo, hi + 1):
        if exclude and port in exclude:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ChainError(f"no free port in {lo}-{hi}")


class Anvil:
    """One anvil process; restartable on the same port and chain id."""

    def __init__(
        self,
        port: int,
        chain_id: int,
        *,
        block_time_s: float | None = None,
        state_file: Path | None = None,
        load_state: Path | None = None,
        state_interval_s: float | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.port = port
        self.chain_id = chain_id
        self.block_time_s = block_time_s
        self.state_file = state_file
        self.load_state = load_state
        self.state_interval_s = state_interval_s
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None
        #: The block the node was started at: a node loaded from a dump has no older states.
        self.restored_at_block = 0
        self.url = f"http://127.0.0.1:{port}"
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 10}, exception_retry_configuration=None))

    def _args(self, load: Path | None) -> list[str]:
        args = [str(tool("anvil")), "--host", "127.0.0.1", "--port", str(self.port), "--chain-id", str(self.chain_id), "--silent"]
        if self.block_time_s:
            args += ["--block-time", str(self.block_time_s)]
        if load is not None and load.is_file():
            args += ["--load-state", str(load)]
        if self.state_file is not None:
            args += ["--dump-state", str(self.state_file)]
            if self.state_interval_s:
                args += ["--state-interval", str(int(self.state_interval_s))]
        return args

    def start(self, load: Path | None = None) -> Anvil:
        if self.proc is not None and self.proc.poll() is None:
            raise ChainError(f"anvil on port {self.port} is already running")
        args = self._args(load if load is not None else self.load_state)
        if self.log_file:
            with open(self.log_file, "ab") as log:
                self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        else:
            self.proc = subprocess.Popen(
                args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if int(self.w3.eth.chain_id) == self.chain_id:
                    self.restored_at_block = int(self.w3.eth.block_number)
                    return self
            except Exception:  # noqa: BLE001, S110 - any failure here means "not listening yet"
                pass
            if self.proc.poll() is not None:
                raise ChainError(f"anvil on port {self.port} exited at start (code {self.proc.returncode})")
            time.sleep(0.1)
        raise ChainError(f"anvil on port {self.port} did not answer within 30 s")

    def stop(self) -> None:
        """Graceful: anvil writes its --dump-state file on the way out."""
        if self.proc is None:
            return
        _signal_group(self.proc, signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _signal_group(self.proc, signal.SIGKILL)
            self.proc.wait()
        _wait_group_gone(self.proc)

    def kill(self) -> None:
        """SIGKILL: no final dump; whatever was mined since the last interval dump is lost."""
        if self.proc is None:
            return
        _signal_group(self.proc, signal.SIGKILL)
        self.proc.wait()
        _wait_group_gone(self.proc)

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

    def rpc(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"{method} failed: {response['error']}")
        return response.get("result")

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


def _signal_group(proc: subprocess.Popen[Any], sig: int) -> None:
    """Signal the process group we started (the npm `anvil` launcher and the native binary it runs:
    killing only the launcher would orphan the node)."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _wait_group_gone(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    _signal_group(proc, signal.SIGKILL)


def kill_process(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL one process we started (never by name)."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
