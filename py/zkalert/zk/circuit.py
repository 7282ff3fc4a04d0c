"""Circuit: PyTorch -> ONNX -> EZKL settings, compiled circuit, keys, verifier.

The statement each proof makes:

* the model is the committed one: its weights are *fixed* in the circuit, so
  they are private and identified by the verifying key (``model_id`` is the
  keccak256 of the vk file);
* the input window is private and committed, in one of two ways (fixed per
  model, ``CircuitInfo.commitment``):

  - ``poseidon`` (the default; EZKL ``input_visibility="hashed"``): its
    Poseidon hash is the first public instance;
  - ``kzg`` (EZKL ``"polycommit"``): the window sits in an unblinded advice
    column whose KZG commitment is the proof's first G1 point (window i of a
    batch: the i-th point); the registry records keccak256 of that point.
    It proves about twice as fast: the Poseidon sponge is most of the tuned
    circuit's rows. Both are deterministic in the window, so both hide it
    only as far as it cannot be guessed.

* the score is public: the second instance, a fixed-point integer at the
  output scale. The circuit outputs the *sum* of absolute reconstruction errors
  (``width`` x the mean: exact, where EZKL's mean is biased by a quantized
  1/width), and the registered threshold is scaled the same way, so the alarm
  bit is decided on-chain from proven data with no rounding bias.

SRS: EZKL's ``get_srs`` downloads and cannot work offline. By default we make
a *development* SRS with ``gen_srs`` (its toxic waste is known to this
machine: never use it for production). For real deployments pass a ceremony's
powers-of-tau transcript (``--srs FILE.ptau``, imported for the circuit's logrows
by :mod:`zkalert.zk.ceremony`) or an EZKL SRS file. The circuit's record keeps
which (``srs_kind``), the SRS id (keccak256 of its [τ]G2, :mod:`zkalert.zk.srsid`)
and a ceremony's transcript hash.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import torch
from eth_utils import keccak

from zkalert.config import (
    BN254_R,
    GENERATED_DIR,
    PROJECT_ROOT,
    StrPath,
    Workspace,
    development_srs,
    exclusive,
    key_cache_dir,
)
from zkalert.data.loaders import FloatArray
from zkalert.detector.kinds import (
    EXACT_INPUT_BOUND,
    circuit_columns,
    circuit_exact,
    circuit_scale,
)
from zkalert.detector.model import BatchScoreModel, Detector
from zkalert.errors import CircuitError
from zkalert.toolchain import link_solc_for_consumers
from zkalert.zk.ceremony import check_published_hash, import_transcript, is_transcript
from zkalert.zk.srsid import ezkl_srs_logrows, ezkl_srs_tau_g2
from zkalert.zk.statement import BINDING_LIMBS, instances_per_window


@dataclass(frozen=True)
class CircuitConfig:
    """EZKL run arguments.

    The default is the project's hand-set circuit: scale 10 (inputs and
    weights), non-linearities decomposed in base 1024 with 3 legs so range
    checks need only a 1024-row table, and the smallest logrows that holds the
    circuit's rows. ``calibrate=True`` is EZKL's own default path
    (``calibrate_settings``), kept for comparison.
    """

    input_scale: int = 10
    param_scale: int = 10
    decomp_base: int | None = 1024
    decomp_legs: int | None = 3
    logrows: int | None = None
    calibrate: bool = False
    calibrate_target: str = "resources"
    #: "hashed" (public Poseidon commitment of the window), "polycommit" (KZG commitment of the
    #: window's column, carried in the proof). "private" commits to nothing and is only used by the
    #: benchmark to measure what a commitment costs.
    input_visibility: str = "hashed"
    #: advice columns per row of EZKL's einsum layout (EZKL's default 2): more columns, fewer
    #: rows, so a circuit may fit the next smaller power of two
    inner_columns: int | None = None
    #: an exact circuit (:data:`zkalert.detector.kinds.EXACT_DETECTORS`): no rescaling (the
    #: score's scale is four times the input's) and none of EZKL's range checks on inputs and
    #: outputs; compiling refuses a network that would still round or range-check a value
    exact: bool = False

    def __post_init__(self) -> None:
        if self.input_visibility not in _COMMITMENTS:
            raise CircuitError(
                f"input visibility {self.input_visibility!r}: expected one of {', '.join(_COMMITMENTS)}"
            )

    @classmethod
    def for_detector(cls, kind: str, scale: int | None = None) -> CircuitConfig:
        """The hand-set circuit at the family member's own scale and range-check legs (or at
        ``scale``)."""
        scale = scale or circuit_scale(kind)
        return cls(
            input_scale=scale,
            param_scale=scale,
            inner_columns=circuit_columns(kind),
            exact=circuit_exact(kind),
        )

    @property
    def commitment(self) -> str:
        """The registry's name for the input commitment: "poseidon", "kzg" or "none"."""
        return _COMMITMENTS[self.input_visibility]

    def with_commitment(self, commitment: str) -> CircuitConfig:
        """This config, committing to inputs with ``commitment`` ("poseidon" or "kzg")."""
        visibility = {scheme: vis for vis, scheme in _COMMITMENTS.items() if scheme != "none"}.get(
            commitment
        )
        if visibility is None:
            raise CircuitError(f"input commitment {commitment!r}: expected 'poseidon' or 'kzg'")
        return replace(self, input_visibility=visibility)

    @classmethod
    def ezkl_default(cls) -> CircuitConfig:
        """EZKL's own path: default run args, then ``calibrate_settings`` picks scales and sizes."""
        return cls(input_scale=0, param_scale=0, decomp_base=None, decomp_legs=None, calibrate=True)


#: EZKL input visibility -> the registry's commitment scheme.
_COMMITMENTS = {"hashed": "poseidon", "polycommit": "kzg", "private": "none"}

#: Rows EZKL reserves at the end of the table (blinding factors and friends), with margin.
_RESERVED_ROWS = 64


def smallest_logrows(settings: dict[str, Any]) -> int:
    """The least k with 2^k rows for the circuit and its range-check / lookup tables."""
    needed = int(settings["num_rows"]) + _RESERVED_ROWS
    for low, high in settings.get("required_range_checks", []):
        needed = max(needed, int(high) - int(low) + 1 + _RESERVED_ROWS)
    return max(math.ceil(math.log2(needed)), 10)


@dataclass(frozen=True)
class CircuitInfo:
    """What the chain and the prover need to know about a compiled circuit."""

    model_id: str  # 0x-prefixed bytes32: keccak256(vk)
    logrows: int
    input_scale: int
    output_scale: int
    threshold: float
    threshold_felt: int
    width: int
    windows_per_proof: int
    verifier_contract: str
    verifier_source: str
    srs_path: str
    srs_development_only: bool
    setup_s: float
    pk_bytes: int
    vk_bytes: int
    num_rows: int = 0
    decomp_base: int | None = None
    decomp_legs: int | None = None
    calibrated: bool = False
    circuit_digest: str = ""
    keys_cached: bool = False
    verifier_runtime_bytes: int = 0
    score_divisor: int = 1  # the score instance is score_divisor x the mean absolute error
    commitment: str = (
        "poseidon"  # "poseidon" (hash in the instances) or "kzg" (G1 point in the proof)
    )
    #: Each window's binding (gateway, stream, index) is an input and a public output of the circuit.
    bound: bool = False
    #: "development" (gen_srs on this machine), "ceremony" (an imported powers-of-tau transcript)
    #: or "file" (an EZKL SRS file given as it is); empty in records older than the field.
    srs_kind: str = ""
    #: keccak256 of the SRS's [τ]G2 in EIP-197 order (zkalert.zk.srsid), 0x-prefixed.
    srs_id: str = ""
    #: A ceremony's transcript, by its blake2b-512 (hex).
    srs_transcript_hash: str = ""
    #: "own" (the circuit's generated verifier) or "vka" (a VkaVerifier: EZKL's reusable verifier
    #: and the circuit's VKA at ``vka_path``, for a verifier past EIP-170; :mod:`zkalert.zk.vka`)
    verifier_kind: str = "own"
    vka_path: str = ""
    #: The largest standardised value the prover gives the circuit (an exact circuit's bound,
    #: :data:`zkalert.detector.kinds.EXACT_INPUT_BOUND`); None: the circuit's own range checks
    #: decide, a window past them has no witness.
    input_bound: float | None = None

    def save(self, workspace: Workspace) -> None:
        workspace.circuit_meta.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, workspace: Workspace) -> CircuitInfo:
        if not workspace.circuit_meta.is_file():
            raise CircuitError(
                f"no compiled circuit in {workspace.root}: run `zkalert compile` first"
            )
        return cls(**json.loads(workspace.circuit_meta.read_text()))

    @property
    def instance_count(self) -> int:
        return instances_per_window(self.commitment) * self.windows_per_proof

    @property
    def srs_source(self) -> str:
        """The SRS's kind; for records older than ``srs_kind``, from ``srs_development_only``."""
        return self.srs_kind or ("development" if self.srs_development_only else "file")

    def require_poseidon(self, what: str) -> None:
        """Refuse a KZG-committed circuit where only Poseidon-committed ones are supported."""
        if self.commitment != "poseidon":
            raise CircuitError(
                f"{what} supports circuits with Poseidon input commitments only; this circuit commits with "
                f"{self.commitment!r}: compile it with `--commitment poseidon`, or send its proofs with `zkalert submit` or `zkalert outbox`"
            )

    def score_to_felt(self, score: float) -> int:
        return cast(int, round(score * self.score_divisor * 2**self.output_scale))

    def felt_to_score(self, felt: int) -> float:
        return float(felt / (self.score_divisor * 2**self.output_scale))


def export_onnx(
    detector: Detector, path: StrPath, windows_per_proof: int = 1, exact: bool = False
) -> None:
    """Export the score model (eval mode): one input tensor of shape (1, width + BINDING_LIMBS) per
    window, the window and its binding's limbs; outputs the scores and the limbs. ``exact``: the
    member's exact circuit form (whitened-sq: its triangular factor), else the trained network."""
    if windows_per_proof < 1:
        raise CircuitError(f"windows per proof must be at least 1, got {windows_per_proof}")
    model: torch.nn.Module = detector.circuit_model(exact)
    names = ["window"]
    if windows_per_proof > 1:
        model = BatchScoreModel(model, windows_per_proof).eval()
        names = [f"window_{i}" for i in range(windows_per_proof)]
    examples = tuple(torch.zeros(1, detector.width + BINDING_LIMBS) for _ in names)
    # The TorchScript exporter gives the plain Gemm/Relu/Abs/ReduceMean graph EZKL expects;
    # its deprecation notice is not actionable for us.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            examples,
            str(path),
            input_names=names,
            output_names=["score", "binding"],
            opset_version=17,
            dynamo=False,
        )


def felt_to_le_hex(value: int) -> str:
    """A field element as EZKL reads it in ``input_data``: 32 bytes little-endian, hex, no 0x."""
    if not 0 <= value < BN254_R:
        raise CircuitError(f"{value} is not a BN254 field element")
    return value.to_bytes(32, "little").hex()


def bound_input_rows(
    scaled_windows: FloatArray, limbs: Sequence[Sequence[int]]
) -> list[list[float | str]]:
    """EZKL ``input_data``: each window's values then its binding's limbs as raw field elements (not scaled)."""
    if len(limbs) != len(scaled_windows):
        raise CircuitError(f"{len(scaled_windows)} window(s) but {len(limbs)} binding(s)")
    return [
        [*map(float, window), *map(felt_to_le_hex, window_limbs)]
        for window, window_limbs in zip(scaled_windows, limbs)
    ]


def run_args(config: CircuitConfig) -> Any:
    import ezkl

    args: Any = ezkl.PyRunArgs()  # ezkl's stub declares none of its attributes
    args.input_visibility = (
        config.input_visibility
    )  # "hashed": private window, public Poseidon commitment
    args.param_visibility = "fixed"  # weights baked into the circuit, identified by the vk
    args.output_visibility = "public"  # the score and the binding's limbs
    if config.input_scale:  # 0 keeps EZKL's default (calibration then chooses)
        args.input_scale = config.input_scale
        args.param_scale = config.param_scale
    if config.decomp_base is not None:
        args.decomp_base = config.decomp_base
    if config.decomp_legs is not None:
        args.decomp_legs = config.decomp_legs
    if config.logrows is not None:
        args.logrows = config.logrows
    if config.inner_columns is not None:
        args.num_inner_cols = config.inner_columns
    # EZKL may check a matrix product at a random point (Freivalds) instead of multiplying it out:
    # a batch of stacked windows then needs a fraction of the rows (whitened-sq, 16 windows: 2,847
    # rows against 13,246), but its verifier grows past EIP-170 (31,929 bytes against 16,782) and
    # costs more gas per alert (98,276 with the limit lifted, 120,489 through the reusable
    # verifier); multiplied out, every batch up to 32 windows deploys its own verifier.
    args.disable_freivalds = True
    if config.exact:
        # a product of weights and window, squared, is at four times the input scale: keep it
        args.scale_rebase_multiplier = EXACT_SCALE_MULTIPLIER
        args.ignore_range_check_inputs_outputs = True
    return args


#: The score of an exact circuit is at this many times the input scale (a degree-2 polynomial
#: in the window, with weights at the input's scale): EZKL rescales nothing below it.
EXACT_SCALE_MULTIPLIER = 4


def check_exact(settings: dict[str, Any]) -> None:
    """Refuse an exact circuit that still rounds or range-checks a value (EZKL would then need a
    range the exact circuit does not check)."""
    scales = [int(s) for s in settings["model_output_scales"]]
    input_scale = int(settings["run_args"]["input_scale"])
    if (
        settings.get("required_range_checks")
        or settings.get("required_lookups")
        or scales[0] != EXACT_SCALE_MULTIPLIER * input_scale
    ):
        raise CircuitError(
            "this network is not exact: EZKL rescales or range-checks a value in it "
            f"(score scale {scales[0]}, range checks {settings.get('required_range_checks')}, "
            f"lookups {settings.get('required_lookups')}), so its circuit needs the range checks "
            "an exact circuit leaves out"
        )


@dataclass(frozen=True)
class SrsChoice:
    """The SRS a circuit is set up with, and what is known of where it came from."""

    path: Path
    #: "development", "ceremony" or "file" (see :attr:`CircuitInfo.srs_kind`)
    kind: str
    srs_id: str
    transcript_hash: str = ""

    @property
    def development(self) -> bool:
        return self.kind == "development"


def srs_summary(kind: str, srs_id: str, transcript_hash: str = "") -> str:
    """One phrase for messages: ``ceremony (transcript 1a2b…, SRS id 0x3c4d…)``."""
    ident = f"SRS id {srs_id[:18]}…" if srs_id else "SRS id not recorded"
    if kind == "ceremony":
        return f"ceremony (transcript {transcript_hash[:16]}…, {ident})"
    return f"{kind} ({ident})"


def srs_file(
    logrows: int,
    srs: StrPath | None = None,
    published_hash: str | None = None,
    echo: Any = print,
) -> SrsChoice:
    """The SRS for circuits of ``logrows``: from a ceremony's powers-of-tau transcript (imported
    and cached, :func:`zkalert.zk.ceremony.import_transcript`), an EZKL SRS file as given (of at
    least ``logrows``), or else a cached development SRS. ``published_hash`` (blake2b-512 or
    SHA-256, hex) must match the given file."""
    import ezkl

    if srs is not None:
        path = Path(srs)
        if not path.is_file():
            raise CircuitError(f"SRS file {path} does not exist")
        if is_transcript(path):
            imported = import_transcript(path, logrows, published_hash, echo)
            return SrsChoice(imported.path, "ceremony", imported.srs_id, imported.transcript_hash)
        try:
            k = ezkl_srs_logrows(path)
        except CircuitError:
            raise CircuitError(
                f"{path}: neither a powers-of-tau transcript (.ptau) nor an EZKL SRS file"
            ) from None
        if k < logrows:
            raise CircuitError(
                f"{path}: an SRS file for logrows {k}; this circuit needs logrows {logrows}"
            )
        if published_hash:
            check_published_hash(path, published_hash)
        return SrsChoice(path, "file", ezkl_srs_tau_g2(path).srs_id_hex)
    if published_hash:
        raise CircuitError("a published SRS hash was given without an SRS file (--srs)")
    path = development_srs(logrows)
    # one maker at a time: another process's SRS replacing this one after its keys were made
    # would leave keys and SRS with different τ
    with exclusive(path.with_suffix(".lock")):
        if not path.is_file():
            echo(
                f"generating a DEVELOPMENT SRS for logrows={logrows} (gen_srs: not for production; pass --srs for a ceremony transcript)"
            )
            tmp = path.with_suffix(".tmp")
            ezkl.gen_srs(str(tmp), logrows)
            tmp.replace(path)
    return SrsChoice(path, "development", ezkl_srs_tau_g2(path).srs_id_hex)


def contract_name_ok(name: str) -> bool:
    return re.fullmatch(r"[A-Z][A-Za-z0-9_]{0,63}", name) is not None


def ezkl_verifier_source(vk: Path, settings: Path, srs: Path, sol: Path, abi: Path) -> str:
    """EZKL's Solidity verifier for ``vk`` (written to ``sol``, its ABI to ``abi``), as generated:
    contract ``Halo2Verifier``. EZKL runs in a process of its own (see ``zkalert.zk._evm_codegen``)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zkalert.zk._evm_codegen",
            str(vk),
            str(settings),
            str(sol),
            str(abi),
            str(srs),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not sol.is_file():
        raise CircuitError(f"EZKL verifier generation failed: {proc.stderr.strip()[-800:]}")
    return sol.read_text()


class VerifierFiles(Protocol):
    """What :func:`generate_verifier` reads from a workspace (a :class:`Workspace` has them)."""

    @property
    def root(self) -> Path: ...

    @property
    def vk(self) -> Path: ...

    @property
    def settings(self) -> Path: ...

    @property
    def verifier_abi(self) -> Path: ...


def generate_verifier(
    workspace: VerifierFiles, srs_path: Path, contract_name: str, out_dir: Path = GENERATED_DIR
) -> Path:
    """EZKL Solidity verifier -> contracts/generated/<contract_name>.sol (never hand-edited)."""
    if not contract_name_ok(contract_name):
        raise CircuitError(
            f"verifier contract name {contract_name!r} must be a Solidity identifier starting with a capital"
        )
    link_solc_for_consumers()
    out_dir.mkdir(parents=True, exist_ok=True)
    source = ezkl_verifier_source(
        workspace.vk,
        workspace.settings,
        srs_path,
        workspace.root / "Halo2Verifier.sol",
        workspace.verifier_abi,
    )
    if "contract Halo2Verifier" not in source:
        raise CircuitError("unexpected EZKL verifier: no `contract Halo2Verifier`")
    header = (
        "// Generated by `zkalert compile` from EZKL 23.0.5 (create_evm_verifier). Do not edit:\n"
        "// regenerate it instead. Circuit vk keccak256: "
        + "0x"
        + keccak(workspace.vk.read_bytes()).hex()
        + "\n"
    )
    source = header + source.replace("contract Halo2Verifier", f"contract {contract_name}", 1)
    target = out_dir / f"{contract_name}.sol"
    target.write_text(source)
    return target


#: How a compiled circuit's proofs are verified on chain (see :func:`compile_circuit`).
VERIFIER_KINDS = ("auto", "own", "vka")


def compile_circuit(
    detector: Detector,
    workspace: Workspace,
    calibration_windows: FloatArray,
    config: CircuitConfig | None = None,
    contract_name: str = "DetectorVerifier",
    ceremony_srs: StrPath | None = None,
    verifier_dir: Path = GENERATED_DIR,
    echo: Any = print,
    windows_per_proof: int = 1,
    srs_hash: str | None = None,
    max_verifier_bytes: int | None = None,
    verifier: str = "auto",
) -> CircuitInfo:
    """ONNX export, settings (+ calibration), compile, SRS, setup (cached by circuit) and verifier.
    Without ``config``: the hand-set circuit at the detector's own scale, legs and columns.
    ``verifier``: "own" deploys the circuit's generated verifier, refused when its runtime code is
    over ``max_verifier_bytes`` (by default EIP-170's limit, which public chains enforce; a
    measurement on a node without the limit passes a larger one); "vka" deploys EZKL's reusable
    verifier and the circuit's VKA instead (:mod:`zkalert.zk.vka`); "auto" (the default) the own
    verifier when it fits, else the VKA."""
    import ezkl

    config = config or CircuitConfig.for_detector(detector.kind)
    export_onnx(detector, workspace.onnx, windows_per_proof, config.exact)
    scaled = detector.scale(calibration_windows)
    # EZKL splits a long input into chunks of the input shape: calibration sees many windows.
    calib_path = workspace.calibration_input
    # The binding's limbs pass through unscaled; calibration sees them as 0.
    bound = np.hstack([scaled, np.zeros((len(scaled), BINDING_LIMBS))])
    if windows_per_proof == 1:
        calib_path.write_text(
            json.dumps({"input_data": [bound[: min(len(bound), 64)].ravel().tolist()]})
        )
    else:
        calib_path.write_text(
            json.dumps(
                {"input_data": [bound[i % len(bound)].tolist() for i in range(windows_per_proof)]}
            )
        )

    if not ezkl.gen_settings(
        str(workspace.onnx), str(workspace.settings), py_run_args=run_args(config)
    ):
        raise CircuitError("ezkl.gen_settings failed")
    if config.calibrate:
        echo(f"calibrating circuit settings with EZKL (target={config.calibrate_target}) ...")
        scales = [config.input_scale] if config.input_scale else None
        ezkl.calibrate_settings(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
            str(calib_path),
            str(workspace.onnx),
            str(workspace.settings),
            config.calibrate_target,
            scales=scales,
        )
    elif config.logrows is None:
        settings = json.loads(workspace.settings.read_text())
        settings["run_args"]["logrows"] = smallest_logrows(settings)
        workspace.settings.write_text(json.dumps(settings))
    if config.exact:
        check_exact(json.loads(workspace.settings.read_text()))
    if not ezkl.compile_circuit(
        str(workspace.onnx), str(workspace.compiled), str(workspace.settings)
    ):
        raise CircuitError("ezkl.compile_circuit failed")
    settings = json.loads(workspace.settings.read_text())
    logrows = int(settings["run_args"]["logrows"])
    srs = srs_file(logrows, ceremony_srs, srs_hash, echo)
    srs_path = srs.path

    digest = circuit_digest(workspace.compiled, srs_path)
    cached = key_cache_dir() / digest
    keys_cached = (cached / "pk.key").is_file() and (cached / "vk.key").is_file()
    started = time.perf_counter()
    if keys_cached:
        echo(f"keys: cached for this circuit ({cached})")
        for name, target in (("pk.key", workspace.pk), ("vk.key", workspace.vk)):
            target.unlink(missing_ok=True)
            os.link(cached / name, target) if _same_device(cached, target.parent) else shutil.copy(
                cached / name, target
            )
    else:
        echo(f"setup: logrows={logrows}, {settings['num_rows']} rows ...")
        # The workspace's keys of an earlier compile are hard links into the key cache: EZKL
        # writes its keys in place, so it must get new files, or it would overwrite the cached
        # keys of the earlier circuit with this one's.
        workspace.pk.unlink(missing_ok=True)
        workspace.vk.unlink(missing_ok=True)
        if not ezkl.setup(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
            str(workspace.compiled), str(workspace.vk), str(workspace.pk), srs_path=str(srs_path)
        ):
            raise CircuitError("ezkl.setup failed")
        _store_keys(workspace, cached)
    setup_s = time.perf_counter() - started

    if verifier not in VERIFIER_KINDS:
        raise CircuitError(f"verifier {verifier!r}: expected one of {', '.join(VERIFIER_KINDS)}")
    echo("generating the Solidity verifier ...")
    source = generate_verifier(workspace, srs_path, contract_name, verifier_dir)
    runtime_bytes = verifier_runtime_size(source, contract_name)
    limit = EIP170_LIMIT if max_verifier_bytes is None else max_verifier_bytes
    if runtime_bytes > limit and verifier == "own":
        source.unlink()
        raise CircuitError(
            f"the plain verifier for this circuit is {runtime_bytes:,} bytes of runtime code, over the "
            + (f"EIP-170 limit of {limit:,}" if limit == EIP170_LIMIT else f"limit of {limit:,}")
            + ": use fewer windows per proof, or the reusable verifier and the circuit's VKA"
            ' (verifier "vka")'
        )
    verifier_kind, vka_path = "own", ""
    if verifier == "vka" or runtime_bytes > limit:
        from zkalert.zk.vka import (
            VKA_FILE,
            VKA_VERIFIER_CONTRACT,
            vka_words,
            write_reusable_verifier,
        )

        echo(
            f"the circuit's own verifier is {runtime_bytes:,} bytes of runtime code: verifying "
            "through EZKL's reusable verifier and the circuit's VKA instead"
        )
        source.unlink()
        write_reusable_verifier(workspace.vk, workspace.settings, srs_path, workspace.root)
        vka_words(workspace.vk, workspace.settings, srs_path, workspace.root / VKA_FILE)
        verifier_kind, vka_path = "vka", str(workspace.root / VKA_FILE)
        contract_name = VKA_VERIFIER_CONTRACT
        source = PROJECT_ROOT / "contracts" / f"{VKA_VERIFIER_CONTRACT}.sol"
    output_scale = int(settings["model_output_scales"][0])
    info = CircuitInfo(
        model_id="0x" + keccak(workspace.vk.read_bytes()).hex(),
        logrows=logrows,
        input_scale=int(settings["model_input_scales"][0]),
        output_scale=output_scale,
        threshold=detector.threshold,
        threshold_felt=round(detector.threshold * detector.width * 2**output_scale),
        width=detector.width,
        windows_per_proof=windows_per_proof,
        verifier_contract=contract_name,
        verifier_source=str(source),
        srs_path=str(srs_path),
        srs_development_only=srs.development,
        setup_s=setup_s,
        pk_bytes=workspace.pk.stat().st_size,
        vk_bytes=workspace.vk.stat().st_size,
        num_rows=int(settings["num_rows"]),
        decomp_base=int(settings["run_args"]["decomp_base"]),
        decomp_legs=int(settings["run_args"]["decomp_legs"]),
        calibrated=config.calibrate,
        circuit_digest=digest,
        keys_cached=keys_cached,
        verifier_runtime_bytes=runtime_bytes,
        score_divisor=detector.width,
        input_bound=EXACT_INPUT_BOUND if config.exact else None,
        commitment=config.commitment,
        bound=True,
        srs_kind=srs.kind,
        srs_id=srs.srs_id,
        srs_transcript_hash=srs.transcript_hash,
        verifier_kind=verifier_kind,
        vka_path=vka_path,
    )
    info.save(workspace)
    return info


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: EIP-170: the largest runtime bytecode a contract may have.
EIP170_LIMIT = 24_576


def circuit_digest(compiled: Path, srs_path: Path) -> str:
    """Keys depend only on the compiled circuit (weights included) and the SRS."""
    digest = hashlib.sha256()
    digest.update(compiled.read_bytes())
    digest.update(hashlib.sha256(srs_path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def _same_device(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def _store_keys(workspace: Workspace, cached: Path) -> None:
    """Copy fresh keys into the cache atomically (a crash leaves no half-written entry)."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=cached.name + ".", suffix=".tmp", dir=cached.parent))
    for name, source in (("pk.key", workspace.pk), ("vk.key", workspace.vk)):
        if _same_device(source.parent, tmp):
            os.link(source, tmp / name)
        else:
            shutil.copy(source, tmp / name)
    with exclusive(cached.with_name(cached.name + ".lock")):
        if (cached / "pk.key").is_file() and (cached / "vk.key").is_file():
            shutil.rmtree(tmp)  # another process stored the same circuit's keys meanwhile
            return
        shutil.rmtree(cached, ignore_errors=True)
        tmp.rename(cached)


def compile_runtime(source_text: str, file_name: str, contract_name: str) -> bytes:
    """Runtime bytecode of one contract, compiled as forge compiles it (pinned solc, optimizer 200 runs, cancun)."""
    from zkalert.toolchain import solc

    request = {
        "language": "Solidity",
        "sources": {file_name: {"content": source_text}},
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "evmVersion": "cancun",
            "outputSelection": {"*": {"*": ["evm.deployedBytecode.object"]}},
        },
    }
    proc = subprocess.run(
        [str(solc()), "--standard-json"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
    )
    output: dict[str, Any] = {}
    try:
        output = json.loads(proc.stdout)
        code = output["contracts"][file_name][contract_name]["evm"]["deployedBytecode"]["object"]
    except (json.JSONDecodeError, KeyError) as exc:
        errors = [
            e.get("formattedMessage", "")
            for e in output.get("errors", [])
            if e.get("severity") == "error"
        ]
        raise CircuitError(
            f"could not compile {file_name}: {errors or proc.stderr[-400:]}"
        ) from exc
    return bytes.fromhex(code.removeprefix("0x"))


def verifier_runtime_size(source: Path, contract_name: str) -> int:
    """Runtime bytecode size of a generated verifier, compiled as forge compiles it."""
    return len(compile_runtime(source.read_text(), source.name, contract_name))


def quantize(window: FloatArray, scale: int) -> FloatArray:
    """How EZKL rounds an input at ``scale`` (used to explain parity, not to prove)."""
    return cast(FloatArray, np.round(window * 2**scale) / 2**scale)
