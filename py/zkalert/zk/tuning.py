"""Circuit tuning: the smallest circuit that keeps the detector's decisions.

``zkalert tune`` tries fixed-point scales and decomposition base/legs, sizes
each candidate (rows -> logrows), runs the quantized circuit (witness only,
no proofs) on the validation windows and compares its alarm decisions and
scores with the float model. The chosen candidate is the one with the fewest
logrows whose decisions all agree (then the widest decomposition range, then
the smallest score error); every candidate's figures are
written to ``<workdir>/tune.json`` so the accuracy cost of the choice is on
record. ``zkalert compile --tuned`` then builds that circuit.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from zkalert.config import Workspace
from zkalert.data.loaders import FloatArray, TennesseeEastman
from zkalert.data.source import PlantData
from zkalert.detector.model import Detector
from zkalert.errors import CircuitError
from zkalert.zk.circuit import (
    CircuitConfig,
    bound_input_rows,
    export_onnx,
    run_args,
    smallest_logrows,
)
from zkalert.zk.prover import felt_hex_to_int
from zkalert.zk.statement import UNBOUND_LIMBS

DEFAULT_SCALES = (7, 8, 9, 10, 11)
DEFAULT_DECOMPOSITIONS = ((1024, 2), (1024, 3), (4096, 2))


@dataclass(frozen=True)
class Candidate:
    input_scale: int
    decomp_base: int
    decomp_legs: int
    num_rows: int
    logrows: int
    windows: int
    agreement: float  # share of windows whose alarm decision equals the float model's
    disagreements: int
    max_abs_score_error: float
    mean_abs_score_error: float
    failed: str = ""

    @property
    def config(self) -> CircuitConfig:
        return CircuitConfig(
            input_scale=self.input_scale,
            param_scale=self.input_scale,
            decomp_base=self.decomp_base,
            decomp_legs=self.decomp_legs,
        )


def _score_windows(compiled: Path, scaled: FloatArray, folder: Path) -> FloatArray:
    import ezkl

    scores = np.empty(len(scaled))
    for i, window in enumerate(scaled):
        data = folder / "input.json"
        data.write_text(
            json.dumps({"input_data": bound_input_rows(window[None, :], [UNBOUND_LIMBS])})
        )
        witness = ezkl.gen_witness(  # type: ignore[call-arg]  # ezkl's stub omits its defaults
            str(data), str(compiled), str(folder / "witness.json")
        )
        scores[i] = felt_hex_to_int(witness["outputs"][0][0])
    return scores


def evaluate_candidate(
    detector: Detector,
    onnx: Path,
    scaled: FloatArray,
    scale: int,
    base: int,
    legs: int,
    folder: Path,
) -> Candidate:
    import ezkl

    settings_path, compiled = folder / "settings.json", folder / "circuit.compiled"
    config = CircuitConfig(input_scale=scale, param_scale=scale, decomp_base=base, decomp_legs=legs)
    ezkl.gen_settings(str(onnx), str(settings_path), py_run_args=run_args(config))
    settings = json.loads(settings_path.read_text())
    logrows = smallest_logrows(settings)
    settings["run_args"]["logrows"] = logrows
    settings_path.write_text(json.dumps(settings))
    float_scores = detector.score_scaled(scaled)
    float_alarm = float_scores >= detector.threshold
    rows = int(settings["num_rows"])
    try:
        ezkl.compile_circuit(str(onnx), str(compiled), str(settings_path))
        felts = _score_windows(compiled, scaled, folder)
    except Exception as exc:  # noqa: BLE001 - a range too small for the values fails witness generation
        return Candidate(
            scale,
            base,
            legs,
            rows,
            logrows,
            len(scaled),
            0.0,
            len(scaled),
            float("inf"),
            float("inf"),
            failed=str(exc)[:200],
        )
    output_scale = int(settings["model_output_scales"][0])
    circuit_scores = felts / (
        detector.width * 2**output_scale
    )  # the circuit outputs width x the score
    circuit_alarm = felts >= round(detector.threshold * detector.width * 2**output_scale)
    errors = np.abs(circuit_scores - float_scores)
    disagreements = int((circuit_alarm != float_alarm).sum())
    return Candidate(
        scale,
        base,
        legs,
        rows,
        logrows,
        len(scaled),
        1.0 - disagreements / len(scaled),
        disagreements,
        float(errors.max()),
        float(errors.mean()),
    )


def tuning_windows(data: PlantData | TennesseeEastman) -> FloatArray:
    """Windows for checking quantization: training normals (every other row) and the
    validation rows. Never test data; no fitting happens here, so reusing
    training rows is sound, and it puts normal windows near the threshold."""
    return cast(FloatArray, np.r_[data.train[::2], data.validation.windows])


def tune(
    detector: Detector,
    workspace: Workspace,
    windows: FloatArray,
    scales: tuple[int, ...] = DEFAULT_SCALES,
    decompositions: tuple[tuple[int, int], ...] = DEFAULT_DECOMPOSITIONS,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Try every candidate on ``windows`` (raw units; training/validation data, never test data)."""
    if len(windows) == 0:
        raise CircuitError("tuning needs at least one window")
    scaled = detector.scale(windows)
    started = time.perf_counter()
    candidates: list[Candidate] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        onnx = folder / "detector.onnx"
        export_onnx(detector, onnx)
        for scale in scales:
            for base, legs in decompositions:
                candidate = evaluate_candidate(detector, onnx, scaled, scale, base, legs, folder)
                candidates.append(candidate)
                status = (
                    candidate.failed
                    or f"agreement {candidate.agreement:.2%}, max |score error| {candidate.max_abs_score_error:.4f}"
                )
                echo(
                    f"  scale {scale:>2}, base {base:>5} x {legs} legs: {candidate.num_rows:>6} rows (logrows {candidate.logrows}) -> {status}"
                )
    valid = [c for c in candidates if not c.failed and c.disagreements == 0]
    if not valid:
        raise CircuitError(
            "no candidate circuit keeps every validation decision: widen the scales tried"
        )
    # Proving cost follows 2^logrows, not the rows inside it: among the smallest
    # logrows prefer the widest decomposition range (headroom for extreme
    # windows: a value outside it fails witness generation), then precision.
    chosen = min(
        valid, key=lambda c: (c.logrows, -(c.decomp_base**c.decomp_legs), c.max_abs_score_error)
    )
    report = {
        "chosen": asdict(chosen),
        "candidates": [asdict(c) for c in candidates],
        "windows": len(scaled),
        "threshold": detector.threshold,
        "tune_s": time.perf_counter() - started,
    }
    tmp_path = workspace.tune.with_suffix(".tmp")
    tmp_path.write_text(json.dumps(report, indent=2))
    tmp_path.replace(workspace.tune)
    return report


def tuned_config(workspace: Workspace) -> CircuitConfig:
    if not workspace.tune.is_file():
        raise CircuitError(f"no tuning result in {workspace.root}: run `zkalert tune` first")
    chosen = json.loads(workspace.tune.read_text())["chosen"]
    return CircuitConfig(
        input_scale=chosen["input_scale"],
        param_scale=chosen["input_scale"],
        decomp_base=chosen["decomp_base"],
        decomp_legs=chosen["decomp_legs"],
    )
