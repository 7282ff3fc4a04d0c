"""A local anvil for development and the demo, started detached so it outlives the command.

Its pid and log live in ``build/anvil.pid`` / ``build/anvil.log``; state is
kept in memory (a restart is a fresh chain, and deployments are redone).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from urllib.parse import urlparse

from zkalert.config import PROJECT_ROOT
from zkalert.errors import ChainError
from zkalert.toolchain import tool

PID_FILE = PROJECT_ROOT / "build" / "anvil.pid"
LOG_FILE = PROJECT_ROOT / "build" / "anvil.log"


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
        raise ChainError(f"nothing answers at {url}, and a local anvil can only be started on 127.0.0.1")
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    args = [str(tool("anvil")), "--host", "127.0.0.1", "--port", str(parsed.port or 8545), "--silent"]
    if block_time:
        args += ["--block-time", str(block_time)]
    with open(LOG_FILE, "ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    PID_FILE.write_text(str(proc.pid))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if answers(url):
            return True
        if proc.poll() is not None:
            raise ChainError(f"anvil exited at start (code {proc.returncode}); see {LOG_FILE}")
        time.sleep(0.2)
    raise ChainError(f"anvil did not answer at {url} within 30 s; see {LOG_FILE}")


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
