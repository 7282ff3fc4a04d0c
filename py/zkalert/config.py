"""Where every artifact lives.

Every stage takes its paths from one :class:`Workspace`, so no stage guesses
where another wrote. The default workspace is ``build/`` under the project
root; ``ZKALERT_HOME`` or ``--workdir`` moves it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

StrPath = str | os.PathLike[str]

#: The project root (the folder holding foundry.toml).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

#: BN254 scalar field modulus: public instances must be below it.
BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

DEFAULT_RPC_URL = "http://127.0.0.1:8545"


def rpc_url() -> str:
    return os.environ.get("RPC_URL", DEFAULT_RPC_URL)


@dataclass(frozen=True)
class Workspace:
    """The artifact layout of one detector: model, circuit, keys, proofs."""

    root: Path

    @classmethod
    def at(cls, root: StrPath | None = None) -> Workspace:
        if root is None:
            root = os.environ.get("ZKALERT_HOME", PROJECT_ROOT / "build")
        path = Path(root).resolve()
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
    path = Path(os.environ.get("ZKALERT_REPORTS") or PROJECT_ROOT / "build" / "reports") / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def srs_dir() -> Path:
    """Folder for SRS files (shared across workspaces: they depend only on logrows)."""
    path = Path(os.environ.get("ZKALERT_SRS_DIR", PROJECT_ROOT / "build" / "srs"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def deployments_dir(chain_id: int) -> Path:
    return PROJECT_ROOT / "deployments" / str(chain_id)


#: Production EZKL verifiers (``zkalert compile``, ``zkalert ts compile``): deployed with a registry.
GENERATED_DIR = PROJECT_ROOT / "contracts" / "generated"

#: Verifiers generated for tests only: the committed proof fixtures' (``make fixtures``,
#: ``make fixtures-ts``) and those pytest generates; forge compiles them with the test suite.
TEST_GENERATED_DIR = PROJECT_ROOT / "test" / "generated"
