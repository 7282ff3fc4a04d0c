"""Stage 1, data: the Tennessee Eastman benchmark and user CSVs, checked and scaled.

The default data set is the Tennessee Eastman process (TEP) benchmark that the
PyPI package ``bibmon`` ships as plain text files: 52 variables (41 XMEAS, 11
XMV) sampled every 3 minutes.

* ``d00.dat``: 500 normal training rows (stored transposed);
* ``dNN.dat`` (NN = 01..21): 480 training rows recorded after fault NN began;
* ``dNN_te.dat`` (NN = 00..21): 960 test rows, the fault starting at row 160.

Splits never mix files: the detector is fitted on part of ``d00.dat``, the
threshold is chosen on the rest of ``d00.dat`` plus rows of the fault training
files, and every reported figure comes from the ``_te`` test files. Scaling is
fitted on the training rows only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .config import StrPath
from .errors import DataError

FloatArray = npt.NDArray[np.float64]

TE_VARIABLES: tuple[str, ...] = tuple(
    [f"XMEAS({i})" for i in range(1, 42)] + [f"XMV({i})" for i in range(1, 12)]
)
TE_FAULTS: tuple[int, ...] = tuple(range(1, 22))
TE_FAULT_START_ROW = 160


def _te_path(filename: str) -> Path:
    try:
        folder = resources.files("bibmon") / "tennessee_eastman"
    except ModuleNotFoundError as exc:  # pragma: no cover - bibmon is a hard dependency
        raise DataError("the Tennessee Eastman data needs the 'bibmon' package: run make setup") from exc
    path = Path(str(folder / filename))
    if not path.is_file():
        raise DataError(f"Tennessee Eastman file {filename} is missing from bibmon ({path})")
    return path


def load_te_file(filename: str) -> FloatArray:
    """One TEP file as a (rows, 52) array."""
    matrix = np.loadtxt(_te_path(filename), dtype=np.float64)
    if filename == "d00.dat":  # the normal training file is stored variables x rows
        matrix = matrix.T
    return check_matrix(matrix, width=len(TE_VARIABLES), what=filename)


def check_matrix(matrix: npt.ArrayLike, width: int | None, what: str) -> FloatArray:
    """Refuse data that would make a wrong proof: wrong width, NaN/inf, empty.

    The error names the offending row and column so the user can find it.
    """
    array = np.asarray(matrix, dtype=np.float64)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise DataError(f"{what}: expected a 2-D table of windows, got {array.ndim} dimensions")
    if array.shape[0] == 0:
        raise DataError(f"{what}: no rows")
    if width is not None and array.shape[1] != width:
        raise DataError(f"{what}: each window must have {width} values, got {array.shape[1]}")
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(array[row, col]) else "inf"
        raise DataError(
            f"{what}: {int(bad.sum())} non-finite value(s); first is {kind} at row {row}, column {col}"
        )
    return array


def load_csv(path: StrPath, width: int | None = None, label_column: str | None = None) -> tuple[FloatArray, npt.NDArray[np.int64] | None]:
    """Windows from a CSV with a header row; optional label column (0 normal, 1 anomalous)."""
    import pandas as pd

    csv_path = Path(path)
    if not csv_path.is_file():
        raise DataError(f"{csv_path}: no such file")
    try:
        frame = pd.read_csv(csv_path)
    except Exception as exc:  # pandas raises many types for malformed files
        raise DataError(f"{csv_path}: not a readable CSV ({exc})") from exc
    labels = None
    if label_column is not None:
        if label_column not in frame.columns:
            raise DataError(f"{csv_path}: label column {label_column!r} not found; columns are {list(frame.columns)}")
        labels = frame.pop(label_column).to_numpy(dtype=np.int64)
    non_numeric = [c for c in frame.columns if not np.issubdtype(frame[c].dtype, np.number)]
    if non_numeric:
        raise DataError(f"{csv_path}: non-numeric column(s) {non_numeric}")
    return check_matrix(frame.to_numpy(dtype=np.float64), width, str(csv_path)), labels


@dataclass(frozen=True)
class Scaler:
    """Per-variable standardisation fitted on training rows only."""

    mean: FloatArray
    std: FloatArray

    @classmethod
    def fit(cls, rows: FloatArray) -> Scaler:
        std = rows.std(axis=0)
        std[std < 1e-12] = 1.0  # a constant variable carries no information; keep it finite
        return cls(mean=rows.mean(axis=0), std=std)

    def transform(self, rows: FloatArray) -> FloatArray:
        rows = check_matrix(rows, width=self.mean.shape[0], what="windows")
        return (rows - self.mean) / self.std

    def to_json(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> Scaler:
        return cls(mean=np.asarray(data["mean"]), std=np.asarray(data["std"]))


@dataclass(frozen=True)
class LabelledSet:
    """Raw (unscaled) windows with labels (1 = fault) and where each came from."""

    windows: FloatArray
    labels: npt.NDArray[np.int64]
    fault_ids: npt.NDArray[np.int64]  # 0 for normal-operation files
    rows: npt.NDArray[np.int64]  # row index inside its file

    def __len__(self) -> int:
        return int(self.windows.shape[0])


@dataclass(frozen=True)
class TennesseeEastman:
    """The TEP splits: train (normal), validation (both classes), test (the _te files)."""

    train: FloatArray
    validation: LabelledSet
    test: LabelledSet

    @property
    def width(self) -> int:
        return int(self.train.shape[1])


def _concat(parts: list[LabelledSet]) -> LabelledSet:
    return LabelledSet(
        windows=np.concatenate([p.windows for p in parts]),
        labels=np.concatenate([p.labels for p in parts]),
        fault_ids=np.concatenate([p.fault_ids for p in parts]),
        rows=np.concatenate([p.rows for p in parts]),
    )


def load_tennessee_eastman(
    faults: tuple[int, ...] = TE_FAULTS,
    validation_normal_fraction: float = 0.2,
    validation_fault_rows: int = 5,
    seed: int = 0,
) -> TennesseeEastman:
    """Build the splits from bibmon's files (offline; nothing is downloaded)."""
    for fault in faults:
        if fault not in TE_FAULTS:
            raise DataError(f"Tennessee Eastman fault {fault} does not exist (faults are 1..21)")
    rng = np.random.default_rng(seed)
    normal = load_te_file("d00.dat")
    order = rng.permutation(normal.shape[0])
    n_val = int(round(validation_normal_fraction * normal.shape[0]))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    if len(train_idx) == 0 or len(val_idx) == 0:
        raise DataError("validation_normal_fraction leaves an empty training or validation split")

    val_parts = [
        LabelledSet(normal[val_idx], np.zeros(len(val_idx), np.int64), np.zeros(len(val_idx), np.int64), val_idx.astype(np.int64))
    ]
    for fault in faults:
        rows = load_te_file(f"d{fault:02d}.dat")
        pick = np.sort(rng.choice(rows.shape[0], size=min(validation_fault_rows, rows.shape[0]), replace=False))
        val_parts.append(LabelledSet(rows[pick], np.ones(len(pick), np.int64), np.full(len(pick), fault, np.int64), pick.astype(np.int64)))

    test_parts = []
    for fault in (0, *faults):
        rows = load_te_file(f"d{fault:02d}_te.dat")
        index = np.arange(rows.shape[0], dtype=np.int64)
        labels = ((index >= TE_FAULT_START_ROW) & (fault != 0)).astype(np.int64)
        test_parts.append(LabelledSet(rows, labels, np.full(len(index), fault, np.int64), index))

    return TennesseeEastman(train=normal[train_idx], validation=_concat(val_parts), test=_concat(test_parts))


def save_windows(path: StrPath, windows: FloatArray) -> None:
    np.savez(path, windows=windows)


def windows_to_json(windows: FloatArray) -> str:
    return json.dumps({"input_data": [w.tolist() for w in windows]})
