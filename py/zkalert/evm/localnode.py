"""Local anvil nodes: one launcher for every chain the project starts itself.

:class:`Anvil` is one anvil process on a port and chain id, started in its own
session and stopped by process group, restartable from a state dump. The tests,
the benches and demos start theirs with it; ``zkalert node start`` starts one
detached (:func:`start`) that outlives the command: its pid and log live in
``build/anvil.pid`` / ``build/anvil.log``, and its state is kept in memory (a
restart is a fresh chain, and deployments are redone).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from web3 import Web3
from web3.types import RPCEndpoint

from zkalert.config import HOME
from zkalert.errors import ChainError
from zkalert.toolchain import tool

PID_FILE = HOME / "build" / "anvil.pid"
LOG_FILE = HOME / "build" / "anvil.log"
#: anvil's default chain id, which ``zkalert node start`` keeps
DEV_CHAIN_ID = 31337


PORT_RANGE = (8700, 8799)


def free_port(
    lo: int = PORT_RANGE[0], hi: int = PORT_RANGE[1], exclude: set[int] | None = None
) -> int:
    """A port in [lo, hi] nobody listens on (the project keeps its anvils in 8700-8799). The
    search starts at a random port: two processes looking at once (two test workers, two
    nodes started side by side) would otherwise both find the lowest free port."""
    start: int = random.randint(lo, hi)
    ports: list[int] = [*range(start, hi + 1), *range(lo, start)]
    for port in ports:
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
        extra_args: Sequence[str] = (),
    ) -> None:
        self.port = port
        self.chain_id = chain_id
        self.block_time_s = block_time_s
        self.state_file = state_file
        self.load_state = load_state
        self.state_interval_s = state_interval_s
        self.log_file = log_file
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None
        #: The block the node was started at: a node loaded from a dump has no older states.
        self.restored_at_block = 0
        self.url = f"http://127.0.0.1:{port}"
        self.w3 = Web3(
            Web3.HTTPProvider(
                self.url, request_kwargs={"timeout": 10}, exception_retry_configuration=None
            )
        )

    def _args(self, load: Path | None) -> list[str]:
        args = [
            str(tool("anvil")),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--silent",
        ]
        if self.block_time_s:
            args += ["--block-time", str(self.block_time_s)]
        if load is not None and load.is_file():
            args += ["--load-state", str(load)]
        if self.state_file is not None:
            args += ["--dump-state", str(self.state_file)]
            if self.state_interval_s:
                args += ["--state-interval", str(int(self.state_interval_s))]
        return args + self.extra_args

    def start(self, load: Path | None = None) -> Anvil:
        if self.proc is not None and self.proc.poll() is None:
            raise ChainError(f"anvil on port {self.port} is already running")
        args = self._args(load if load is not None else self.load_state)
        if self.log_file:
            with open(self.log_file, "ab") as log:
                self.proc = subprocess.Popen(
                    args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
                )
        else:
            self.proc = subprocess.Popen(
                args,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
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
                raise ChainError(
                    f"anvil on port {self.port} exited at start (code {self.proc.returncode})"
                )
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

    def rpc(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(RPCEndpoint(method), params)
        if "error" in response:
            raise ChainError(f"{method} failed: {response['error']}")
        return response.get("result")


def answers(url: str) -> bool:
    from web3 import Web3

    try:
        return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 3})).eth.chain_id > 0
    except Exception:  # noqa: BLE001 - any connection failure means "not there"
        return False


def start(url: str, block_time: float | None = None) -> bool:
    """Start anvil for ``url`` unless something already answers there; True if started."""
    if answers(url):
        return False
    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        raise ChainError(
            f"nothing answers at {url}, and a local anvil can only be started on 127.0.0.1"
        )
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    node = Anvil(parsed.port or 8545, DEV_CHAIN_ID, block_time_s=block_time, log_file=LOG_FILE)
    try:
        node.start()
    except ChainError as exc:
        raise ChainError(f"{exc}; see {LOG_FILE}") from None
    assert node.proc is not None
    PID_FILE.write_text(str(node.proc.pid))
    return True


def stop() -> bool:
    if not PID_FILE.is_file():
        return False
    pid = int(PID_FILE.read_text().strip())
    PID_FILE.unlink()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


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
