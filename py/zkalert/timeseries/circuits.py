"""Time-series mode: the TC and SC circuits, their keys, witnesses and proofs.

Visibility (EZKL run args), as in the zkSTAR statement:

* TC: inputs ``hashed`` (state_in, acc_in, block, reset), outputs ``hashed`` (state_out, acc_out,
  krc_ok), parameters ``fixed``;
* SC: inputs ``hashed`` (acc_end, advice), outputs ``public`` (t2, alarm, svd_ok),
  parameters ``fixed``.

Parameters are ``fixed`` rather than EZKL's ``private``: both keep the weights out of the
proof, but only fixed columns are bound by the verifying key; with ``private`` the prover
could substitute other weights. The KRC verdict is a hashed output, so its instance is the
Poseidon hash of a one-element tensor: the contract compares it with the registered hash
of ``[1]`` (:func:`pass_commitment`); likewise the ``reset`` input's hash is one of two
constants (:func:`reset_commitments`), which the contract expects at and between window starts.

Instances: TC ``[h(state_in), h(acc_in), h(block), h(reset), h(state_out), h(acc_out),
h(krc_ok)]``; SC ``[h(acc_end), h(advice), t2, alarm, svd_ok]`` (t2 in fixed point at the
output scale, alarm and svd_ok 0/1).
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import torch
from eth_utils import keccak

from zkalert.config import GENERATED_DIR, StrPath, Workspace
from zkalert.data.loaders import FloatArray
from zkalert.errors import CircuitError, DetectorError, ProofError
from zkalert.timeseries.ekf import Detector, ekf_step
from zkalert.timeseries.graphs import Layout, StatisticalConsistency, TemporalConsistency
from zkalert.zk.circuit import generate_verifier, smallest_logrows, srs_file
from zkalert.zk.prover import felt_hex_to_int

Kind = Literal["tc", "sc"]

TC_INSTANCES = ("state_in", "acc_in", "block", "reset", "state_out", "acc_out", "krc_ok")
SC_INSTANCES = ("acc_end", "advice", "t2", "alarm", "svd_ok")


@dataclass(frozen=True)
class Precision:
    """Fixed-point settings shared by TC and SC: the precision scale factor (PSF) and tolerances.

    Tolerances are absolute, in the units of the quantity checked, and exact at any PSF ≥ 7.
    """

    psf: int = 12  # bits: values are integers of 2**-psf
    decomp_base: int = 4096
    decomp_legs: int = 2
    sc_decomp_base: int = 1024  # T² can be large during faults: 1024**4 = 2**40, and a
    sc_decomp_legs: int = 4  # 1024-row range table keeps the SC circuit at logrows 12
    # TC inner columns; 0 = chosen per circuit (:func:`resolve_columns`): 4 puts D = 16 (about
    # 119k cells) in 2^15 rows, next to the 23k rows its Poseidon commitments take anyway (with 2
    # it needs 2^16 and proved slower); where 4 columns do not lower logrows (D = 1, 4), 2 prove
    # faster and verify for less gas. The 4-column verifier stays under EIP-170 (about 24.3 kB).
    num_inner_cols: int = 0
    sc_num_inner_cols: int = 2  # SC: logrows 12 either way
    krc_epsilon: float = 2**-6  # ‖K S − P⁻Hᵀ‖∞
    svd_epsilon: float = 2**-4  # ‖U diag(s) Uᵀ − Σ‖∞, Σ summed over a window (order 10)
    orthogonality_epsilon: float = 2**-7  # ‖UᵀU − I‖∞
    inverse_epsilon: float = 2**-7  # ‖s ⊙ w² − 1‖∞

    def quantize(self, values: npt.ArrayLike) -> FloatArray:
        """How EZKL rounds an input at this scale."""
        return cast(
            FloatArray, np.round(np.asarray(values, dtype=np.float64) * 2**self.psf) / 2**self.psf
        )


@dataclass(frozen=True)
class CircuitInfo:
    kind: str
    subsystem: str
    steps: int  # D for TC, window steps L for SC
    n: int
    m: int
    psf: int
    logrows: int
    num_rows: int
    output_scales: list[int]
    key_id: str  # keccak256(vk) as 0x bytes32
    verifier_contract: str
    verifier_source: str
    srs_path: str
    srs_development_only: bool
    export_s: float
    settings_s: float
    compile_s: float
    setup_s: float
    pk_bytes: int
    vk_bytes: int
    circuit_bytes: int
    pass_commitment: int  # Poseidon hash of [1]: the krc_ok instance of a passing TC proof
    reset_commitment: int  # h([1.0]) at the PSF: the reset instance of a window's first interval
    continue_commitment: int  # h([0.0]): the reset instance of every other interval
    precision: dict[str, Any]
    #: The SRS's kind, id and transcript hash, as in :class:`zkalert.zk.circuit.CircuitInfo`.
    srs_kind: str = ""
    srs_id: str = ""
    srs_transcript_hash: str = ""

    @classmethod
    def load(cls, folder: Path) -> CircuitInfo:
        path = folder / "circuit.json"
        if not path.is_file():
            raise CircuitError(f"no compiled circuit in {folder}: run `zkalert ts compile` first")
        return cls(**json.loads(path.read_text()))

    def save(self, folder: Path) -> None:
        (folder / "circuit.json").write_text(json.dumps(asdict(self), indent=2))


def poseidon_of_felts(felts: list[int]) -> int:
    """EZKL's Poseidon commitment of one tensor of field elements (a hashed instance)."""
    import ezkl

    return felt_hex_to_int(ezkl.poseidon_hash([f.to_bytes(32, "little").hex() for f in felts])[0])


def pass_commitment() -> int:
    """The hashed instance of the one-element boolean output [1] (scale 0): a passed check."""
    return poseidon_of_felts([1])


def reset_commitments(psf: int) -> tuple[int, int]:
    """Hashed instances of the reset input [1.0] and [0.0] at the PSF."""
    return poseidon_of_felts([2**psf]), poseidon_of_felts([0])


def run_args(kind: Kind, precision: Precision) -> Any:
    import ezkl

    args: Any = ezkl.PyRunArgs()  # ezkl's stub declares none of its attributes
    args.input_visibility = "hashed"
    args.output_visibility = "hashed" if kind == "tc" else "public"
    args.param_visibility = "fixed"
    args.input_scale = precision.psf
    args.param_scale = precision.psf
    args.decomp_base = precision.decomp_base if kind == "tc" else precision.sc_decomp_base
    args.decomp_legs = precision.decomp_legs if kind == "tc" else precision.sc_decomp_legs
    args.num_inner_cols = precision.num_inner_cols if kind == "tc" else precision.sc_num_inner_cols
    # Nonces (up to 2**32 at scale psf) travel through the circuit untouched; the Poseidon
    # hashes bind every input and output, so their range checks only cost rows.
    args.ignore_range_check_inputs_outputs = True
    # Freivalds' check for matrix products needs a second proving phase that made proving
    # several times slower for these small matrices; plain einsum layout is used.
    args.disable_freivalds = True
    return args


class CircuitDir:
    """The files of one compiled circuit (TC for one D, or SC) of one subsystem."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    @property
    def onnx(self) -> Path:
        return self.root / "model.onnx"

    @property
    def settings(self) -> Path:
        return self.root / "settings.json"

    @property
    def compiled(self) -> Path:
        return self.root / "model.compiled"

    @property
    def pk(self) -> Path:
        return self.root / "pk.key"

    @property
    def vk(self) -> Path:
        return self.root / "vk.key"

    @property
    def info(self) -> CircuitInfo:
        return CircuitInfo.load(self.root)


def tc_dir(workspace: Workspace, subsystem: str, steps: int, psf: int) -> CircuitDir:
    return CircuitDir(workspace.root / "ts" / subsystem / f"tc-d{steps}-psf{psf}")


def sc_dir(workspace: Workspace, subsystem: str, psf: int) -> CircuitDir:
    return CircuitDir(workspace.root / "ts" / subsystem / f"sc-psf{psf}")


def detector_dir(workspace: Workspace, subsystem: str) -> Path:
    return workspace.root / "ts" / subsystem


def export_module_onnx(
    module: torch.nn.Module,
    example: tuple[torch.Tensor, ...],
    path: Path,
    inputs: list[str],
    outputs: list[str],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            module.eval(),
            example,
            str(path),
            input_names=inputs,
            output_names=outputs,
            opset_version=17,
            dynamo=False,
        )


def export_graph(
    detector: Detector, kind: Kind, steps: int, precision: Precision, path: Path
) -> None:
    """The ONNX graph of the TC (D = ``steps``) or SC circuit."""
    layout = Layout(detector.n, detector.m, steps, detector.model.hidden)
    if kind == "tc":
        module: torch.nn.Module = TemporalConsistency(detector.model, steps, precision.krc_epsilon)
        example: tuple[torch.Tensor, ...] = (
            torch.zeros(1, layout.state_len),
            torch.zeros(1, layout.acc_len),
            torch.zeros(1, layout.block_len),
            torch.zeros(1, 1),
        )
        export_module_onnx(
            module,
            example,
            path,
            ["state_in", "acc_in", "block", "reset"],
            ["state_out", "acc_out", "krc_ok"],
        )
    else:
        module = StatisticalConsistency(
            detector.m,
            detector.ucl,
            precision.svd_epsilon,
            precision.inverse_epsilon,
            precision.orthogonality_epsilon,
        )
        example = (torch.zeros(1, layout.acc_len), torch.zeros(1, layout.advice_len))
        export_module_onnx(module, example, path, ["acc_end", "advice"], ["t2", "alarm", "svd_ok"])


TC_COLUMN_CHOICES = (2, 4)


def resolve_columns(detector: Detector, kind: Kind, steps: int, precision: Precision) -> Precision:
    """``precision`` with the TC's inner columns fixed: of :data:`TC_COLUMN_CHOICES`, the one that
    gives the fewest rows as a power of two (logrows), the fewer columns on a tie."""
    import tempfile

    import ezkl

    if kind != "tc" or precision.num_inner_cols:
        return precision
    best: tuple[int, int] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        onnx, settings = Path(tmp) / "model.onnx", Path(tmp) / "settings.json"
        export_graph(detector, kind, steps, precision, onnx)
        for cols in TC_COLUMN_CHOICES:
            trial = replace(precision, num_inner_cols=cols)
            if not ezkl.gen_settings(str(onnx), str(settings), py_run_args=run_args(kind, trial)):
                raise CircuitError("ezkl.gen_settings failed for the TC circuit")
            logrows = smallest_logrows(json.loads(settings.read_text()))
            if best is None or logrows < best[0]:
                best = (logrows, cols)
    assert best is not None
    return replace(precision, num_inner_cols=best[1])


def is_current(
    detector: Detector, kind: Kind, folder: CircuitDir, steps: int, precision: Precision
) -> bool:
    """Whether ``folder`` holds a compiled circuit of this very graph and precision (else recompile:
    a workspace compiled before a circuit change must not be reused)."""
    import tempfile

    if not (folder.root / "circuit.json").is_file() or not folder.onnx.is_file():
        return False
    if folder.info.precision != asdict(resolve_columns(detector, kind, steps, precision)):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "model.onnx"
        export_graph(detector, kind, steps, precision, fresh)
        return fresh.read_bytes() == folder.onnx.read_bytes()


def compile_circuit(
    detector: Detector,
    kind: Kind,
    folder: CircuitDir,
    contract_name: str,
    steps: int = 16,
    precision: Precision = Precision(),
    ceremony_srs: StrPath | None = None,
    verifier_dir: Path = GENERATED_DIR,
    echo: Any = print,
    srs_hash: str | None = None,
) -> CircuitInfo:
    """ONNX export, EZKL settings, compile, SRS, key setup and Solidity verifier."""
    import ezkl

    precision = resolve_columns(detector, kind, steps, precision)
    started = time.perf_counter()
    export_graph(detector, kind, steps, precision, folder.onnx)
    export_s = time.perf_counter() - started

    started = time.perf_counter()
    if not ezkl.gen_settings(
        str(folder.onnx), str(folder.settings), py_run_args=run_args(kind, precision)
    ):
        raise CircuitError(f"ezkl.gen_settings failed for the {kind.upper()} circuit")
    settings = json.loads(folder.settings.read_text())
    settings["run_args"]["logrows"] = smallest_logrows(settings)
    folder.settings.write_text(json.dumps(settings))
    settings_s = time.perf_counter() - started

    started = time.perf_counter()
    if not ezkl.compile_circuit(str(folder.onnx), str(folder.compiled), str(folder.settings)):
        raise CircuitError(f"ezkl.compile_circuit failed for the {kind.upper()} circuit")
    compile_s = time.perf_counter() - started
    logrows = int(settings["run_args"]["logrows"])
    srs = srs_file(logrows, ceremony_srs, srs_hash, echo)
    srs_path = srs.path

    echo(
        f"{kind.upper()} setup ({detector.config.subsystem}, {'D=' + str(steps) if kind == 'tc' else 'window'}, PSF {precision.psf}): logrows {logrows}, {settings['num_rows']} rows ..."
    )
    started = time.perf_counter()
    if not ezkl.setup(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
        str(folder.compiled), str(folder.vk), str(folder.pk), srs_path=str(srs_path)
    ):
        raise CircuitError(f"ezkl.setup failed for the {kind.upper()} circuit")
    setup_s = time.perf_counter() - started

    source = generate_verifier(_AsWorkspace(folder), srs_path, contract_name, verifier_dir)
    info = CircuitInfo(
        kind=kind,
        subsystem=detector.config.subsystem,
        steps=steps if kind == "tc" else detector.config.window_steps,
        n=detector.n,
        m=detector.m,
        psf=precision.psf,
        logrows=logrows,
        num_rows=int(settings["num_rows"]),
        output_scales=[int(s) for s in settings["model_output_scales"]],
        key_id="0x" + keccak(folder.vk.read_bytes()).hex(),
        verifier_contract=contract_name,
        verifier_source=str(source),
        srs_path=str(srs_path),
        srs_development_only=srs.development,
        export_s=export_s,
        settings_s=settings_s,
        compile_s=compile_s,
        setup_s=setup_s,
        pk_bytes=folder.pk.stat().st_size,
        vk_bytes=folder.vk.stat().st_size,
        circuit_bytes=folder.compiled.stat().st_size,
        pass_commitment=pass_commitment(),
        reset_commitment=reset_commitments(precision.psf)[0],
        continue_commitment=reset_commitments(precision.psf)[1],
        precision=asdict(precision),
        srs_kind=srs.kind,
        srs_id=srs.srs_id,
        srs_transcript_hash=srs.transcript_hash,
    )
    info.save(folder.root)
    return info


class _AsWorkspace:
    """What :func:`zkalert.zk.circuit.generate_verifier` reads from a workspace."""

    def __init__(self, folder: CircuitDir) -> None:
        self.root = folder.root
        self.vk = folder.vk
        self.settings = folder.settings
        self.verifier_abi = folder.root / "verifier.abi"


# ---------------------------------------------------------------- witness and proof


@dataclass(frozen=True)
class Witness:
    """One circuit run: public instances and the dequantised outputs (what the next interval reads)."""

    path: Path
    instances: tuple[int, ...]
    outputs: list[list[float]]
    witness_s: float


def _instances(witness: dict[str, Any], kind: Kind) -> tuple[int, ...]:
    hashed_in = [
        felt_hex_to_int(f)
        for group in witness["processed_inputs"]["poseidon_hash"]
        for f in (group if isinstance(group, list) else [group])
    ]
    if kind == "tc":
        out = [
            felt_hex_to_int(f)
            for group in witness["processed_outputs"]["poseidon_hash"]
            for f in (group if isinstance(group, list) else [group])
        ]
    else:
        out = [felt_hex_to_int(f) for group in witness["outputs"] for f in group]
    return tuple(hashed_in + out)


def run_witness(folder: CircuitDir, kind: Kind, inputs: list[list[float]], path: Path) -> Witness:
    """EZKL witness generation for already-quantised inputs; files go next to ``path``."""
    started = time.perf_counter()
    data = _gen_witness(folder, inputs, path, kind.upper())
    witness_s = time.perf_counter() - started
    return Witness(path, _instances(data, kind), _rescaled_outputs(data), witness_s)


def _gen_witness(folder: CircuitDir, inputs: list[list[float]], path: Path, what: str) -> Any:
    """The witness file EZKL writes at ``path`` for ``inputs`` (written next to it), parsed."""
    import ezkl

    input_path = path.with_suffix(".input.json")
    input_path.write_text(json.dumps({"input_data": inputs}))
    try:
        ezkl.gen_witness(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
            str(input_path), str(folder.compiled), str(path)
        )
    except RuntimeError as exc:
        raise ProofError(f"{what} witness generation failed ({path.name}): {exc}") from None
    return json.loads(path.read_text())


def _rescaled_outputs(data: Any) -> list[list[float]]:
    return [[float(v) for v in group] for group in data["pretty_elements"]["rescaled_outputs"]]


@dataclass(frozen=True)
class Proof:
    path: Path
    proof: bytes
    instances: tuple[int, ...]
    prove_s: float

    @classmethod
    def load(cls, path: Path, prove_s: float = 0.0) -> Proof:
        data = json.loads(path.read_text())
        instances = tuple(felt_hex_to_int(f) for group in data["instances"] for f in group)
        return cls(path, bytes.fromhex(data["hex_proof"].removeprefix("0x")), instances, prove_s)


def prove(folder: CircuitDir, witness_path: Path, proof_path: Path) -> Proof:
    import ezkl

    info = folder.info
    started = time.perf_counter()
    try:
        ezkl.prove(
            str(witness_path),
            str(folder.compiled),
            str(folder.pk),
            str(proof_path),
            srs_path=info.srs_path,
        )
    except RuntimeError as exc:
        raise ProofError(
            f"{info.kind.upper()} proving failed ({witness_path.name}): {exc}"
        ) from None
    return Proof.load(proof_path, time.perf_counter() - started)


def verify(folder: CircuitDir, proof_path: Path) -> bool:
    import ezkl

    return bool(
        ezkl.verify(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
            str(proof_path), str(folder.settings), str(folder.vk), srs_path=folder.info.srs_path
        )
    )


# ---------------------------------------------------------------- offline "compute, then validate online"


def interval_gains(detector: Detector, state: list[float], ys: FloatArray) -> FloatArray:
    """Kalman gains K_1..K_D for one interval, from the float EKF run on the circuit's own start state."""
    return interval_advice(detector, state, ys)[0]


def interval_advice(
    detector: Detector, state: list[float], ys: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Gains and ReLU activation patterns for one interval (float EKF from the circuit's start state)."""
    n = detector.n
    x = np.asarray(state[:n])
    P = np.asarray(state[n : n + n * n]).reshape(n, n)
    trajectory = detector.run(ys, x, P)
    return trajectory.K, trajectory.patterns


#: A ReLU input this close to zero may have the other sign in the circuit's fixed point: the
#: error of a product of a state of magnitude 20 (a plant deep in a fault) with weights of
#: magnitude 1 at 12 fractional bits reaches 1e-2.
AMBIGUOUS_PREACTIVATION = 2**-4


def preactivations(detector: Detector, state: list[float]) -> FloatArray:
    """The ReLU inputs of one step from ``state``: f's (at x) then h's (at the prediction f(x))."""
    x = torch.as_tensor(state[: detector.n], dtype=torch.float64)
    with torch.no_grad():
        return cast(FloatArray, detector.model.preactivations(x).numpy())


def ambiguous_patterns(
    detector: Detector, state: list[float], pattern: FloatArray
) -> list[FloatArray]:
    """``pattern`` with the bits of near-zero ReLU inputs flipped: each alone (nearest zero
    first), then all of them together."""
    pre = np.abs(preactivations(detector, state))
    near = [int(i) for i in np.argsort(pre) if pre[i] < AMBIGUOUS_PREACTIVATION]
    flips = [[i] for i in near] + ([near] if len(near) > 1 else [])
    out = []
    for units in flips:
        flipped = np.array(pattern, dtype=float)
        flipped[units] = 1.0 - flipped[units]
        out.append(flipped)
    return out


def pattern_gain(
    detector: Detector, state: list[float], y: FloatArray, pattern: FloatArray
) -> FloatArray:
    """The Kalman gain of one step from ``state`` (measurement ``y``) with the Jacobians of the
    given ReLU pattern (f's bits then h's), as the circuit builds them from the supplied bits."""
    n = detector.n
    x = torch.as_tensor(state[:n], dtype=torch.float64)
    P = torch.as_tensor(state[n : n + n * n], dtype=torch.float64).reshape(n, n)
    with torch.no_grad():
        step = ekf_step(
            detector.model,
            x,
            P,
            torch.as_tensor(y, dtype=torch.float64),
            pattern=torch.as_tensor(pattern, dtype=torch.float64),
        )
    return cast(FloatArray, step.K.numpy())


def tc_block(
    detector: Detector,
    precision: Precision,
    state: list[float],
    ys: FloatArray,
    nonces: list[float],
    gain_factor: float = 1.0,
) -> list[float]:
    """The block input of a TC proof: measurements, offline gains and patterns, then the fresh nonces."""
    gains, patterns = interval_advice(detector, state, ys)
    return [
        *np.asarray(ys).ravel().tolist(),
        *precision.quantize(gain_factor * gains).ravel().tolist(),
        *patterns.ravel().tolist(),
        *nonces,
    ]


def compile_stepper(detector: Detector, precision: Precision, folder: CircuitDir) -> CircuitDir:
    """The TC graph of one step with private inputs and outputs, compiled for witnesses only (no
    keys: it is never proven). Its witness is the TC circuit's own fixed-point arithmetic for that
    step (each step of a D-step circuit is the same layout), so chained step by step it gives the
    exact state the D-step circuit holds between its steps (:func:`exact_tc_block`)."""
    import ezkl

    # the values do not depend on the layout's columns: any number will do
    precision = replace(precision, num_inner_cols=precision.num_inner_cols or TC_COLUMN_CHOICES[0])
    export_graph(detector, "tc", 1, precision, folder.onnx)
    args = run_args("tc", precision)
    args.input_visibility = args.output_visibility = "private"
    if not ezkl.gen_settings(str(folder.onnx), str(folder.settings), py_run_args=args):
        raise CircuitError("ezkl.gen_settings failed for the one-step TC graph")
    settings = json.loads(folder.settings.read_text())
    settings["run_args"]["logrows"] = smallest_logrows(settings)
    folder.settings.write_text(json.dumps(settings))
    if not ezkl.compile_circuit(str(folder.onnx), str(folder.compiled), str(folder.settings)):
        raise CircuitError("ezkl.compile_circuit failed for the one-step TC graph")
    return folder


def step_outputs(stepper: CircuitDir, inputs: list[list[float]], path: Path) -> list[list[float]]:
    """The one-step graph's outputs ``[state_out, acc_out, krc_ok]`` for ``inputs`` (a witness only)."""
    return _rescaled_outputs(_gen_witness(stepper, inputs, path, "one-step TC"))


def exact_tc_block(
    detector: Detector,
    precision: Precision,
    stepper: CircuitDir,
    state: list[float],
    acc: list[float],
    ys: FloatArray,
    nonces: list[float],
) -> list[float]:
    """The block input of a TC proof with each step's gain and activation pattern computed from
    the state the circuit itself holds at that step (:func:`compile_stepper`), not from the float
    filter's state: the fixed-point and float runs drift apart over an interval, and where they
    do the float gains can fail the circuit's KRC check. Same layout as :func:`tc_block`."""
    gains, patterns = [], []
    scratch = stepper.root / "step.witness.json"

    def step(gain: FloatArray, pattern: FloatArray) -> list[list[float]]:
        block = [
            *np.asarray(ys[k : k + 1]).ravel().tolist(),
            *precision.quantize(gain).ravel().tolist(),
            *pattern.ravel().tolist(),
            *nonces,
        ]
        return step_outputs(stepper, [state, acc, block, [0.0]], scratch)

    for k in range(len(ys)):
        gain, pattern = interval_advice(detector, state, ys[k : k + 1])
        outputs = step(gain, pattern)
        if outputs[2][0] < 0.5:
            # A ReLU whose input is within the fixed-point error of zero: the float filter's
            # activation bit can be the one the circuit's own value refutes. Its other bit is
            # the same function there (the unit's output is ~0 either way), with its own gain.
            for flipped in ambiguous_patterns(detector, state, pattern[0]):
                other_gain = pattern_gain(detector, state, ys[k], flipped)[None]
                other = step(other_gain, flipped[None])
                if other[2][0] > 0.5:
                    gain, pattern, outputs = other_gain, flipped[None], other
                    break
        state, acc = outputs[0], outputs[1]
        gains.append(gain)
        patterns.append(pattern)
    return [
        *np.asarray(ys).ravel().tolist(),
        *precision.quantize(np.concatenate(gains)).ravel().tolist(),
        *np.concatenate(patterns).ravel().tolist(),
        *nonces,
    ]


def svd_advice(acc_end: list[float], m: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """U, s, w = 1/√s of the window's accumulated innovation covariance (symmetric: eigh)."""
    covariance = np.asarray(acc_end[m : m + m * m]).reshape(m, m)
    s, U = np.linalg.eigh(0.5 * (covariance + covariance.T))
    if (s <= 0).any():
        raise DetectorError(
            f"accumulated innovation covariance is not positive definite (eigenvalues {s})"
        )
    return U, s, 1.0 / np.sqrt(s)
