"""A Dask cluster of separate nodes on this machine, started with Dask's own command line.

A head (``dask scheduler``) and worker nodes (``dask worker``), each in a process group of its
own (a node's nanny and worker die together, as when its machine is lost), each optionally
pinned to one CPU. The multi-node benchmark measures scaling on it; a plant runs the same
commands on its own machines (docs/guides/cluster.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

from zkalert.config import PROJECT_ROOT
from zkalert.errors import ClusterError

DASK = Path(sys.executable).parent / "dask"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pinned(cpu: int | None) -> list[str]:
    """``taskset -c CPU`` (util-linux): the node and every process it starts run on that CPU."""
    if cpu is None:
        return []
    taskset = shutil.which("taskset")
    if taskset is None:
        raise ClusterError("pinning a node to one CPU needs taskset (util-linux): install it")
    return [taskset, "-c", str(cpu)]


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """``sig`` to a node's whole process group (nanny and worker), then SIGKILL if it lingers."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class LocalNodes:
    """A scheduler and named worker nodes, logs under ``folder``."""

    def __init__(
        self, folder: Path, env: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.env = dict(env if env is not None else os.environ)
        self.port = port or _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._start(
            "scheduler",
            ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            None,
            self.env,
        )
        deadline = time.monotonic() + 60
        while not self._listening():
            if self.procs["scheduler"].poll() is not None or time.monotonic() > deadline:
                raise ClusterError(
                    f"`dask scheduler` did not start at {self.address} "
                    f"(see {folder / 'scheduler.log'})"
                )
            time.sleep(0.3)

    def _listening(self) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def _start(self, name: str, args: list[str], cpu: int | None, env: dict[str, str]) -> None:
        with (self.folder / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(
                [*_pinned(cpu), str(DASK), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=PROJECT_ROOT,
                start_new_session=True,
            )

    def add_worker(
        self,
        name: str,
        *,
        memory_bytes: int,
        memory_limit: int | None = None,
        cpu: int | None = None,
        threads: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        """``dask worker`` named ``name``: one task at a time, ``threads`` halo2 threads, declaring
        ``memory_bytes`` as its MEMORY resource and its memory limit (``memory_limit`` when
        given); pinned to ``cpu`` when given."""
        self._start(
            name,
            [
                "worker",
                self.address,
                "--name",
                name,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--resources",
                f"MEMORY={memory_bytes}",
                "--memory-limit",
                str(memory_limit or memory_bytes),
                "--host",
                "127.0.0.1",
                "--no-dashboard",
            ],
            cpu,
            {
                **self.env,
                "RAYON_NUM_THREADS": str(threads),
                # a proof is no Dask data to spill or pause for (as the embedded cluster)
                "DASK_DISTRIBUTED__WORKER__MEMORY__PAUSE": "False",
                **(env or {}),
            },
        )

    def wait_for_workers(self, count: int, timeout_s: float = 120.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=20) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(count, timeout=timeout_s)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        kill_group(self.procs.pop(name), sig)

    def close(self) -> None:
        for name in [n for n in self.procs if n != "scheduler"] + ["scheduler"]:
            if name in self.procs:
                self.kill(name, signal.SIGTERM)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


__all__ = ["DASK", "LocalNodes", "kill_group"]
