"""Data: the Tennessee Eastman benchmark and user CSVs, checked and scaled.

The default data set is the Tennessee Eastman process (TEP) benchmark that the
PyPI package ``bibmon`` ships as plain text files: 52 variables (41 XMEAS, 11
XMV) sampled every 3 minutes.

* ``d00.dat``: 500 normal training rows (stored transposed);
* ``dNN.dat`` (NN = 01..21): 480 training rows recorded after fault NN began;
* ``dNN_te.dat`` (NN = 00..21): 960 test rows, the fault starting at row 160.

Splits never mix files: the detector is fitted on ``d00.dat``, the threshold is
chosen on held-out normal scores (cross-fitted on ``d00.dat``) plus rows of the
fault training files, and every reported figure comes from the ``_te`` test
files. Scaling is fitted on the training rows only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from zkalert.config import StrPath
from zkalert.errors import DataError

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
        raise DataError(
            "the Tennessee Eastman data needs the 'bibmon' package: run make setup"
        ) from exc
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


def load_csv(
    path: StrPath, width: int | None = None, label_column: str | None = None
) -> tuple[FloatArray, npt.NDArray[np.int64] | None]:
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
            raise DataError(
                f"{csv_path}: label column {label_column!r} not found; columns are {list(frame.columns)}"
            )
        labels = frame.pop(label_column).to_numpy(dtype=np.int64)
    non_numeric = [c for c in frame.columns if not np.issubdtype(frame[c].dtype, np.number)]
    if non_numeric:
        raise DataError(f"{csv_path}: non-numeric column(s) {non_numeric}")
    return check_matrix(frame.to_numpy(dtype=np.float64), width, str(csv_path)), labels


#: Directions whose training variance is below this fraction of the largest (constant or exactly
#: dependent columns) have no scale to divide by: whitening passes them through at unit scale,
#: as standardisation does for a constant column, so a change there still shows.
WHITEN_RANK_TOLERANCE = 1e-12


def principal_directions(standardised: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The variances and directions (columns) of the rows' covariance, largest first, each
    direction's sign fixed (an eigenvector's is arbitrary) so that a refit gives the same ones."""
    covariance = np.atleast_2d(np.cov(standardised, rowvar=False))
    variances, vectors = np.linalg.eigh(covariance)
    order = np.argsort(variances)[::-1]
    variances, vectors = variances[order], vectors[:, order]
    signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])])
    return variances, vectors * signs


@dataclass(frozen=True)
class Scaler:
    """Per-variable standardisation, optionally followed by PCA whitening; fitted on training rows only.

    With whitening the output is ``((x - mean) / std) @ rotation``: the training rows'
    principal components, each divided by its standard deviation, so normal
    windows have identity covariance and a window that breaks a correlation the
    plant always keeps (a valve no longer following its level controller) stands
    out even when every single variable is within its usual range.
    """

    mean: FloatArray
    std: FloatArray
    rotation: FloatArray | None = None

    @classmethod
    def fit(cls, rows: FloatArray, whiten: bool = False) -> Scaler:
        rows = check_matrix(rows, None, "training windows")
        std = rows.std(axis=0)
        std[std < 1e-12] = 1.0  # a constant variable carries no information; keep it finite
        mean = rows.mean(axis=0)
        if not whiten:
            return cls(mean=mean, std=std)
        if rows.shape[0] < 2:
            raise DataError("whitening needs at least 2 training windows")
        eigenvalues, vectors = principal_directions((rows - mean) / std)
        kept = eigenvalues > WHITEN_RANK_TOLERANCE * max(float(eigenvalues[0]), 1e-300)
        inverse_sd = np.where(kept, 1.0 / np.sqrt(np.where(kept, eigenvalues, 1.0)), 1.0)
        return cls(mean=mean, std=std, rotation=vectors * inverse_sd)

    @property
    def width(self) -> int:
        return int(self.mean.shape[0])

    def transform(self, rows: FloatArray) -> FloatArray:
        rows = check_matrix(rows, width=self.width, what="windows")
        scaled = (rows - self.mean) / self.std
        return scaled if self.rotation is None else scaled @ self.rotation

    def to_json(self) -> dict[str, list[float] | list[list[float]]]:
        data: dict[str, list[float] | list[list[float]]] = {
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }
        if self.rotation is not None:
            data["rotation"] = self.rotation.tolist()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scaler:
        rotation = data.get("rotation")
        return cls(
            mean=np.asarray(data["mean"], dtype=np.float64),
            std=np.asarray(data["std"], dtype=np.float64),
            rotation=None if rotation is None else np.asarray(rotation, dtype=np.float64),
        )


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
    validation_normal_fraction: float = 0.0,
    validation_fault_rows: int = 5,
    seed: int = 0,
) -> TennesseeEastman:
    """Build the splits from bibmon's files (offline; nothing is downloaded).

    By default all 500 ``d00.dat`` rows are training data and the validation
    split holds fault rows only: the detector's training cross-fits itself on
    ``d00.dat`` to get held-out normal scores (``TrainConfig.cv_folds``), which
    uses the few normal rows there are far better than holding 100 back. With
    ``validation_normal_fraction > 0`` the *last* rows of ``d00.dat`` are held
    out instead, as one contiguous block: neighbouring rows are correlated, so
    a random split would leak validation rows' neighbours into training.
    """
    for fault in faults:
        if fault not in TE_FAULTS:
            raise DataError(f"Tennessee Eastman fault {fault} does not exist (faults are 1..21)")
    if not 0.0 <= validation_normal_fraction < 1.0:
        raise DataError(
            f"validation_normal_fraction must be in [0, 1), got {validation_normal_fraction}"
        )
    rng = np.random.default_rng(seed)
    normal = load_te_file("d00.dat")
    n_val = round(validation_normal_fraction * normal.shape[0])
    if validation_normal_fraction > 0 and n_val == 0:
        raise DataError("validation_normal_fraction leaves an empty validation split")
    train_idx = np.arange(normal.shape[0] - n_val)
    val_idx = np.arange(normal.shape[0] - n_val, normal.shape[0])

    val_parts = [
        LabelledSet(
            normal[val_idx],
            np.zeros(len(val_idx), np.int64),
            np.zeros(len(val_idx), np.int64),
            val_idx.astype(np.int64),
        )
    ]
    for fault in faults:
        rows = load_te_file(f"d{fault:02d}.dat")
        pick = np.sort(
            rng.choice(rows.shape[0], size=min(validation_fault_rows, rows.shape[0]), replace=False)
        )
        val_parts.append(
            LabelledSet(
                rows[pick],
                np.ones(len(pick), np.int64),
                np.full(len(pick), fault, np.int64),
                pick.astype(np.int64),
            )
        )

    test_parts = []
    for fault in (0, *faults):
        rows = load_te_file(f"d{fault:02d}_te.dat")
        index = np.arange(rows.shape[0], dtype=np.int64)
        labels = ((index >= TE_FAULT_START_ROW) & (fault != 0)).astype(np.int64)
        test_parts.append(LabelledSet(rows, labels, np.full(len(index), fault, np.int64), index))

    return TennesseeEastman(
        train=normal[train_idx], validation=_concat(val_parts), test=_concat(test_parts)
    )


def save_windows(path: StrPath, windows: FloatArray) -> None:
    np.savez(path, windows=windows)


def windows_to_json(windows: FloatArray) -> str:
    return json.dumps({"input_data": [w.tolist() for w in windows]})
