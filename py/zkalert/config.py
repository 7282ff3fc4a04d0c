"""Where every artifact lives.

Every stage takes its paths from one :class:`Workspace`, so no stage guesses
where another wrote. The default workspace is ``build/`` under the project
root; ``ZKALERT_HOME`` or ``--workdir`` moves it.

The shared folders (deployments, reports, SRS files, cached circuit keys) come from
:func:`configure` when the command line read them from ``zkalert.toml`` or an option,
else from their environment variable, else from the defaults under :data:`HOME`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

StrPath = str | os.PathLike[str]

#: The project root (the folder holding foundry.toml).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: Where the default folders live: the project root in a source checkout, else the working
#: directory (an installed package has no project root to write into).
HOME = PROJECT_ROOT if (PROJECT_ROOT / "foundry.toml").is_file() else Path.cwd()

#: The shared folders (and the networks file) :func:`configure` can set, each with the
#: environment variable that sets it otherwise and its default under :data:`HOME`.
SHARED_PATHS: dict[str, tuple[str, Path]] = {
    "workdir": ("ZKALERT_HOME", HOME / "build"),
    "deployments": ("ZKALERT_DEPLOYMENTS", HOME / "deployments"),
    "reports": ("ZKALERT_REPORTS", HOME / "build" / "reports"),
    "srs_dir": ("ZKALERT_SRS_DIR", HOME / "build" / "srs"),
    "key_cache": ("ZKALERT_KEY_CACHE", HOME / "build" / "keys"),
    "networks": ("ZKALERT_NETWORKS", HOME / "networks.toml"),
}
_configured: dict[str, Path] = {}


def configure(**folders: Path) -> None:
    """Set shared folders for this process (the CLI does, from zkalert.toml and its options);
    they win over the environment variables in :data:`SHARED_PATHS`."""
    unknown = set(folders) - set(SHARED_PATHS)
    if unknown:
        raise ValueError(f"not a shared path: {', '.join(sorted(unknown))}")
    _configured.update({name: Path(path) for name, path in folders.items()})


@contextmanager
def configured(**folders: Path) -> Iterator[None]:
    """:func:`configure` for the duration of a ``with`` block."""
    previous = dict(_configured)
    configure(**folders)
    try:
        yield
    finally:
        _configured.clear()
        _configured.update(previous)


def shared_path(name: str) -> Path:
    """A shared folder or file: configured, else its environment variable, else its default
    (not created)."""
    env, default = SHARED_PATHS[name]
    if name in _configured:
        return _configured[name]
    return Path(os.environ.get(env) or default)


#: BN254 scalar field modulus: public instances must be below it.
BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

DEFAULT_RPC_URL = "http://127.0.0.1:8545"

#: How a compiled circuit commits to each window unless told otherwise (`zkalert compile`, the
#: settings file, `make demo`): "kzg", the proof's G1 point, for the default detector about 4x
#: faster to prove than "poseidon", a hash among the public instances.
DEFAULT_SCHEME: Final = "kzg"

#: Steps per detection window of a time-series detector unless told otherwise (`zkalert ts
#: train`), and D, steps per TC proof (one proof per window): 8 TE samples, 24 minutes.
DEFAULT_WINDOW_STEPS: Final = 8


def rpc_url() -> str:
    return os.environ.get("RPC_URL", DEFAULT_RPC_URL)


@dataclass(frozen=True)
class Workspace:
    """The artifact layout of one detector: model, circuit, keys, proofs."""

    root: Path

    @classmethod
    def at(cls, root: StrPath | None = None) -> Workspace:
        path = Path(root if root is not None else shared_path("workdir")).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    # detector stage
    @property
    def detector(self) -> Path:
        return self.root / "detector.pt"

    @property
    def detector_meta(self) -> Path:
        return self.root / "detector.json"

    # circuit stage
    @property
    def onnx(self) -> Path:
        return self.root / "detector.onnx"

    @property
    def calibration_input(self) -> Path:
        return self.root / "calibration.json"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def compiled(self) -> Path:
        return self.root / "detector.compiled"

    @property
    def vk(self) -> Path:
        return self.root / "vk.key"

    @property
    def pk(self) -> Path:
        return self.root / "pk.key"

    @property
    def tune(self) -> Path:
        return self.root / "tune.json"

    @property
    def circuit_meta(self) -> Path:
        return self.root / "circuit.json"

    @property
    def verifier_abi(self) -> Path:
        return self.root / "verifier.abi"

    # prover stage
    @property
    def proofs(self) -> Path:
        path = self.root / "proofs"
        path.mkdir(exist_ok=True)
        return path

    @property
    def windows(self) -> Path:
        return self.root / "windows.npz"


def reports_dir(kind: str) -> Path:
    """Where commands that measure write their reports (created): ``build/reports/<kind>``, or
    ``$ZKALERT_REPORTS/<kind>``; the committed ``reports/`` change only when it points there
    (``make bench REPORTS=reports``)."""
    path = shared_path("reports") / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def srs_dir() -> Path:
    """Folder for SRS files (shared across workspaces: they depend only on logrows)."""
    path = shared_path("srs_dir")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (created) while the block runs: one process at
    a time, across processes, makes what several may need at once (a development SRS, a forge
    build)."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def development_srs(logrows: int) -> Path:
    """Where `zkalert compile` keeps the development SRS it makes for ``logrows`` (gen_srs)."""
    return srs_dir() / f"kzg{logrows}.dev.srs"


def deployments_dir(chain_id: int) -> Path:
    """Deployment records of one chain: ``<deployments>/<chain id>/`` (not created)."""
    return shared_path("deployments") / str(chain_id)


def key_cache_dir() -> Path:
    """Circuit keys cached by circuit hash, shared across workspaces (created)."""
    path = shared_path("key_cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


#: Production EZKL verifiers (``zkalert compile``, ``zkalert ts compile``): deployed with a registry.
GENERATED_DIR = HOME / "contracts" / "generated"

#: Verifiers generated for tests only: the committed proof fixtures' (``make fixtures``,
#: ``make fixtures-ts``) and those pytest generates; forge compiles them with the test suite.
TEST_GENERATED_DIR = PROJECT_ROOT / "test" / "generated"
