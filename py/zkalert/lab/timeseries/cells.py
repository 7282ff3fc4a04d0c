"""``zkalert ts cells``: where the TC circuit's cells go, measured with ``ezkl.gen_settings`` (no setup).

EZKL lays every operation out in advice cells (``total_assignments``; rows = cells / inner
columns). Two figures explain the TC layout:

* the cost of EZKL's primitives on 16 private fixed-point values (2 inner columns, the TC's
  range checks), each minus the cost of passing the values through: a product of two private
  values is rescaled (a division with a range-checked remainder), a comparison is a
  range-checked decomposition, additions and products with scale-0 values are cheap;
* the cells of one EKF step of the TC circuit, ``(cells(D = 4) − cells(D = 2)) / 2``, for 2 and
  4 inner columns.

Writes ``build/reports/timeseries/cells.json``.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zkalert.config import reports_dir
from zkalert.timeseries.circuits import (
    Precision,
    export_graph,
    export_module_onnx,
    resolve_columns,
    run_args,
)
from zkalert.timeseries.ekf import Detector


class _Probe(nn.Module):
    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.fn(a)


def _cells(path: Path, precision: Precision, visibility: str = "private") -> int:
    import ezkl

    args = run_args("tc", precision)
    args.input_visibility = visibility
    args.output_visibility = visibility
    settings = path.with_suffix(".json")
    if not ezkl.gen_settings(str(path), str(settings), py_run_args=args):
        raise RuntimeError(f"gen_settings failed for {path.name}")
    return int(json.loads(settings.read_text())["total_assignments"])


PRIMITIVES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "product of two private values, rescaled (16)": lambda a: a[:, :16] * a[:, 16:],
    "product with a constant, rescaled (16)": lambda a: (
        a[:, :16] * torch.linspace(-1.0, 1.0, 16).reshape(1, 16)
    ),
    "comparison making scale-0 bits, then product with them (16)": lambda a: (
        a[:, :16] * (a[:, 16:] > 0.5).to(torch.float32)
    ),
    "4×4 by 4×4 private matrix product, rescaled (16 outputs)": lambda a: (
        a[:, :16].reshape(4, 4) @ a[:, 16:].reshape(4, 4)
    ),
    "comparison with a constant (16)": lambda a: (a[:, :16] > 0.01).to(torch.float32),
    "abs, then comparison (16)": lambda a: (torch.abs(a[:, :16]) > 0.01).to(torch.float32),
    "addition of two private values (16)": lambda a: a[:, :16] + a[:, 16:],
}


def measure(detector: Detector, precision: Precision | None = None) -> dict[str, Any]:
    precision = precision or Precision()
    base = replace(precision, num_inner_cols=2)
    out: dict[str, Any] = {"primitives": {}, "tc_step": {}}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root = Path(tmp)
        example = (torch.zeros(1, 32),)
        export_module_onnx(
            _Probe(lambda a: a[:, :16] * 1.0), example, root / "base.onnx", ["a"], ["o"]
        )
        reference = _cells(root / "base.onnx", base)
        for index, (name, fn) in enumerate(PRIMITIVES.items()):
            path = root / f"p{index}.onnx"
            export_module_onnx(_Probe(fn), example, path, ["a"], ["o"])
            out["primitives"][name] = _cells(path, base) - reference
        for cols in (2, 4):
            precision_c = replace(precision, num_inner_cols=cols)
            cells = {}
            for steps in (2, 4):
                path = root / f"tc-{steps}-{cols}.onnx"
                export_graph(detector, "tc", steps, precision_c, path)
                cells[steps] = _cells(path, precision_c, "hashed")
            out["tc_step"][str(cols)] = (cells[4] - cells[2]) / 2
    out["tc_columns_by_d"] = {
        str(d): resolve_columns(detector, "tc", d, precision).num_inner_cols for d in (1, 4, 8, 16)
    }
    return out


def run(detector: Detector) -> Path:
    path = reports_dir("timeseries") / "cells.json"
    path.write_text(json.dumps(measure(detector), indent=2))
    return path
