"""Data for evaluation: Tennessee Eastman, Edge-IIoTset and any labelled CSV as one shape.

Every loader returns :class:`EvaluationData`: normal training windows, a
labelled validation split (threshold choice) and a labelled test split (every
reported figure), plus names for the groups (TE faults, Edge-IIoTset attack
types) that per-group rates are reported for. Encoders are fitted on the
training split only; the detector then fits its own scaling on the training
windows, so nothing is ever fitted on validation or test data.

Edge-IIoTset (Ferrag et al., 2022) cannot be downloaded here: point
:func:`load_edge_iiotset` at your copy of ``DNN-EdgeIIoT-dataset.csv`` (or
``ML-EdgeIIoT-dataset.csv``). Its preprocessing follows the data set authors'
published recipe: drop identifiers, timestamps and payload strings, drop rows
with missing values and duplicate rows, one-hot encode the categorical
columns; the label is ``Attack_label`` (0 normal, 1 attack) and
``Attack_type`` names the group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

from zkalert.config import StrPath
from zkalert.data.loaders import (
    TE_FAULT_START_ROW,
    TE_VARIABLES,
    FloatArray,
    LabelledSet,
    load_tennessee_eastman,
)
from zkalert.data.source import PlantData
from zkalert.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

IndexArray = npt.NDArray[np.intp]

#: Identifiers, timestamps and payload strings the Edge-IIoTset authors drop before learning.
EDGE_IIOTSET_DROP = (
    "frame.time", "ip.src_host", "ip.dst_host", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
    "http.file_data", "http.request.full_uri", "icmp.transmit_timestamp", "http.request.uri.query",
    "tcp.options", "tcp.payload", "tcp.srcport", "tcp.dstport", "udp.port", "mqtt.msg",
)  # fmt: skip
#: The categorical columns they one-hot encode.
EDGE_IIOTSET_CATEGORICAL = (
    "http.request.method", "http.referer", "http.request.version", "dns.qry.name.len",
    "mqtt.conack.flags", "mqtt.protoname", "mqtt.topic",
)  # fmt: skip
EDGE_IIOTSET_LABEL = "Attack_label"
EDGE_IIOTSET_GROUP = "Attack_type"
EDGE_IIOTSET_NORMAL_TYPE = "Normal"

#: A non-numeric column with more distinct training values than this is an identifier or a
#: payload, not a category: refuse it by name rather than one-hot encode thousands of columns.
MAX_CATEGORIES = 64

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class EvaluationData:
    name: str
    train: FloatArray  # normal windows only, model units (encoded, unscaled)
    validation: LabelledSet
    test: LabelledSet
    feature_names: tuple[str, ...]
    group_names: dict[int, str]  # LabelledSet.fault_ids -> name; 0 is normal operation
    group_kind: str = "group"  # "fault" on TE, "attack type" on Edge-IIoTset
    onset_row: int | None = (
        None  # TE: anomalous windows start at this row of each run (delays make sense)
    )
    minutes_per_window: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return int(self.train.shape[1])


def tennessee_eastman(seed: int = 0) -> EvaluationData:
    te = load_tennessee_eastman(seed=seed)
    names = {0: "normal"} | {f: f"fault {f}" for f in range(1, 22)}
    return EvaluationData(
        name="Tennessee Eastman (bibmon)",
        train=te.train,
        validation=te.validation,
        test=te.test,
        feature_names=TE_VARIABLES,
        group_names=names,
        group_kind="fault",
        onset_row=TE_FAULT_START_ROW,
        minutes_per_window=3.0,
        notes=[
            (
                "train: all 500 rows of d00.dat (normal); validation: 5 rows of each fault training file dNN.dat "
                "plus cross-fitted held-out scores of the d00.dat rows; test: d00_te.dat and d01..d21_te.dat "
                "(960 rows each, fault from row 160)"
            ),
        ],
    )


def from_plant(plant: PlantData) -> EvaluationData:
    """A plant's data (:func:`zkalert.data.source.load`) for evaluation: it needs a label column,
    the figures being rates on anomalous and normal test rows."""
    if not plant.labelled:
        raise DataError(
            f"{plant.name}: evaluating needs a label column (normal and anomalous rows); "
            "without one the threshold is set on normal rows and there is nothing to detect"
        )
    if plant.source.path is None:  # its fault names, onset and sampling; the columns chosen
        return replace(
            tennessee_eastman(),
            train=plant.train,
            validation=plant.validation,
            test=plant.test,
            feature_names=plant.columns,
        )
    return EvaluationData(
        name=Path(plant.source.path).name,
        train=plant.train,
        validation=plant.validation,
        test=plant.test,
        feature_names=plant.columns,
        group_names={0: "normal", 1: "anomalous"},
        notes=[
            *plant.notes,
            f"split in time order: {plant.summary()}",
        ],
    )


def _read_csv(path: StrPath) -> pd.DataFrame:
    import pandas as pd

    csv_path = Path(path)
    if not csv_path.is_file():
        raise DataError(f"{csv_path}: no such file")
    try:
        frame = pd.read_csv(csv_path, low_memory=False)
    except Exception as exc:  # pandas raises many types for malformed files
        raise DataError(f"{csv_path}: not a readable CSV ({exc})") from exc
    if frame.empty:
        raise DataError(f"{csv_path}: no data rows")
    return frame


def _labels(frame: pd.DataFrame, column: str, what: str) -> npt.NDArray[np.int64]:
    import pandas as pd

    if column not in frame.columns:
        raise DataError(
            f"{what}: label column {column!r} not found; columns are {list(frame.columns)}"
        )
    values = frame[column]
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataError(f"{what}: label column {column!r} is empty at row {row}")
    numeric = pd.to_numeric(values, errors="coerce")
    if values.dtype == bool:
        numeric = values.astype(int)
    bad = numeric.isna() | ~numeric.isin([0, 1])
    if bad.any():
        found = sorted({str(v) for v in values[bad].unique()})[:5]
        raise DataError(
            f"{what}: label column {column!r} must hold 0 (normal) or 1 (anomalous); found {found}"
        )
    return cast(npt.NDArray[np.int64], numeric.to_numpy(dtype=np.int64))


def _split_indices(
    labels: npt.NDArray[np.int64], fractions: tuple[float, float, float], ordered: bool, seed: int
) -> list[IndexArray]:
    n = len(labels)
    if ordered:
        order = np.arange(n)
    else:  # stratified: each class is cut in the same proportions
        rng = np.random.default_rng(seed)
        order = np.concatenate([rng.permutation(np.flatnonzero(labels == c)) for c in (0, 1)])

    def edges_of(idx: IndexArray) -> npt.NDArray[np.int_]:
        return (np.cumsum(fractions)[:-1] * len(idx)).round().astype(int)

    if ordered:
        return [np.sort(part) for part in np.split(order, edges_of(order))]
    parts: list[list[IndexArray]] = [[], [], []]
    for c in (0, 1):
        idx = order[labels[order] == c]
        for k, part in enumerate(np.split(idx, edges_of(idx))):
            parts[k].append(part)
    return [np.sort(np.concatenate(p)) for p in parts]


def _cap(indices: IndexArray, limit: int | None, seed: int) -> IndexArray:
    if limit is None or len(indices) <= limit:
        return indices
    return np.sort(np.random.default_rng(seed).choice(indices, size=limit, replace=False))


def _encode(
    frame: pd.DataFrame, train_rows: IndexArray, categorical: Sequence[str], what: str
) -> tuple[FloatArray, tuple[str, ...]]:
    """Numeric matrix and feature names; categories learnt from the training rows only."""
    import pandas as pd

    columns: list[FloatArray] = []
    names: list[str] = []
    declared = set(categorical)
    for column in frame.columns:
        values = frame[column]
        numeric = pd.to_numeric(values, errors="coerce") if values.dtype == object else values
        is_numeric = (
            column not in declared
            and np.issubdtype(np.asarray(numeric).dtype, np.number)
            and not (numeric.isna() & values.notna()).any()
        )
        if is_numeric:
            columns.append(np.asarray(numeric, dtype=np.float64)[:, None])
            names.append(str(column))
            continue
        text = values.astype(str)
        categories = sorted(text.iloc[train_rows].unique())
        if len(categories) > MAX_CATEGORIES:
            raise DataError(
                f"{what}: column {column!r} is not numeric and has {len(categories)} distinct training values "
                f"(more than {MAX_CATEGORIES}): drop it (an identifier or payload?) or encode it yourself"
            )
        # a category first seen after training encodes as all zeros: it was never learnt
        columns.append(
            np.stack([(text == c).to_numpy(dtype=np.float64) for c in categories], axis=1)
            if categories
            else np.zeros((len(frame), 0))
        )
        names.extend(f"{column}={c}" for c in categories)
    if not columns:
        raise DataError(
            f"{what}: no feature columns left after dropping the label and excluded columns"
        )
    return np.concatenate(columns, axis=1), tuple(names)


def _check_finite(matrix: FloatArray, names: Sequence[str], row_ids: IndexArray, what: str) -> None:
    bad = ~np.isfinite(matrix)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(matrix[row, col]) else "inf"
        raise DataError(
            f"{what}: {int(bad.any(axis=1).sum())} row(s) with NaN/inf; first is {kind} at row {int(row_ids[row])}, "
            f"column {names[col]!r} (drop or fill them, or pass --drop-missing)"
        )


def load_labelled_csv(
    path: StrPath,
    label_column: str,
    drop_columns: Sequence[str] = (),
    categorical_columns: Sequence[str] = (),
    group_column: str | None = None,
    normal_group: str | None = None,
    ordered: bool = False,
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
    drop_missing: bool = False,
    drop_duplicates: bool = False,
    max_train_windows: int | None = None,
    max_eval_windows: int | None = None,
    seed: int = 0,
    name: str | None = None,
    group_kind: str = "group",
) -> EvaluationData:
    """Any CSV with a 0/1 label column: split, encode and check it for `zkalert evaluate`.

    Rows are split into train/validation/test by ``fractions`` (stratified and
    shuffled with ``seed``, or in file order with ``ordered=True`` for time
    series). The detector trains on the training split's normal rows only.
    """
    what = str(path)
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise DataError(
            f"split fractions must be three positive numbers summing to 1, got {fractions}"
        )
    frame = _read_csv(path)
    labels_all = _labels(frame, label_column, what)
    missing = [c for c in (*drop_columns, *categorical_columns) if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: column(s) {missing} not found; columns are {list(frame.columns)}")
    if group_column is not None and group_column not in frame.columns:
        raise DataError(
            f"{what}: group column {group_column!r} not found; columns are {list(frame.columns)}"
        )
    notes = []
    groups_text = frame[group_column].astype(str) if group_column else None
    features = frame.drop(
        columns=[
            c
            for c in {label_column, *drop_columns, *([group_column] if group_column else [])}
            if c in frame.columns
        ]
    )
    row_ids = np.arange(len(frame))
    keep = np.ones(len(frame), dtype=bool)
    if drop_missing:
        keep &= ~features.isna().any(axis=1).to_numpy()
        if (~keep).any():
            notes.append(f"dropped {int((~keep).sum())} row(s) with missing values")
    if drop_duplicates:
        duplicate = features.assign(_label=labels_all).duplicated(keep="first").to_numpy() & keep
        keep &= ~duplicate
        if duplicate.any():
            notes.append(f"dropped {int(duplicate.sum())} duplicate row(s)")
    if not keep.any():
        raise DataError(f"{what}: no rows left after dropping missing/duplicate rows")
    features, labels_all, row_ids = (
        features[keep].reset_index(drop=True),
        labels_all[keep],
        row_ids[keep],
    )
    if groups_text is not None:
        groups_text = groups_text[keep].reset_index(drop=True)

    parts = _split_indices(labels_all, fractions, ordered, seed)
    for split, idx in zip(SPLITS, parts):
        if len(idx) == 0:
            raise DataError(
                f"{what}: the {split} split is empty ({len(labels_all)} rows, fractions {fractions}): give more rows"
            )
    train_idx = parts[0][labels_all[parts[0]] == 0]
    if len(train_idx) == 0:
        raise DataError(
            f"{what}: the training split has no normal rows (label 0): the detector learns normal operation from them"
        )
    train_idx = _cap(train_idx, max_train_windows, seed)
    val_idx, test_idx = (
        _cap(p, max_eval_windows, seed + k) for k, p in enumerate(parts[1:], start=1)
    )
    # encode only the rows used (a capped multi-million-row file must not become one dense matrix)
    used = np.concatenate([train_idx, val_idx, test_idx])
    encoded, feature_names = _encode(
        features.iloc[used].reset_index(drop=True),
        np.arange(len(train_idx)),
        categorical_columns,
        what,
    )
    _check_finite(encoded, feature_names, row_ids[used], what)
    position = {
        split: np.arange(start, start + len(idx))
        for split, idx, start in zip(
            SPLITS, (train_idx, val_idx, test_idx), np.cumsum([0, len(train_idx), len(val_idx)])
        )
    }

    if groups_text is not None:
        normal_name = normal_group
        if normal_name is None:
            normal_types = sorted(groups_text[labels_all == 0].unique())
            normal_name = normal_types[0] if len(normal_types) == 1 else "normal"
        others = sorted(set(groups_text.unique()) - {normal_name})
        group_names = {0: normal_name} | {k + 1: g for k, g in enumerate(others)}
        ids = {g: k for k, g in group_names.items()}
        group_ids = groups_text.map(ids).to_numpy(dtype=np.int64)
    else:
        group_names = {0: "normal", 1: "anomalous"}
        group_ids = labels_all.astype(np.int64)

    def labelled(split: str, idx: IndexArray) -> LabelledSet:
        return LabelledSet(
            encoded[position[split]],
            labels_all[idx].astype(np.int64),
            group_ids[idx],
            row_ids[idx].astype(np.int64),
        )

    notes.append(
        f"{len(frame)} rows; split {'in file order' if ordered else f'stratified at random (seed {seed})'} "
        f"{'/'.join(f'{f:.0%}' for f in fractions)}; train on {len(train_idx)} normal rows, "
        f"validation {len(val_idx)}, test {len(test_idx)} rows; {len(feature_names)} features after encoding "
        "(categories from the training split only)"
    )
    return EvaluationData(
        name=name or Path(path).name,
        train=encoded[position["train"]],
        validation=labelled("validation", val_idx),
        test=labelled("test", test_idx),
        feature_names=feature_names,
        group_names=group_names,
        group_kind=group_kind,
        notes=notes,
    )


def load_edge_iiotset(
    path: StrPath,
    seed: int = 0,
    max_train_windows: int | None = 20_000,
    max_eval_windows: int | None = 100_000,
) -> EvaluationData:
    """Your copy of Edge-IIoTset's ``DNN-EdgeIIoT-dataset.csv``, preprocessed as its authors do."""
    import pandas as pd

    header = pd.read_csv(path, nrows=0).columns if Path(path).is_file() else None
    if header is None:
        raise DataError(f"{path}: no such file")
    for required in (EDGE_IIOTSET_LABEL, EDGE_IIOTSET_GROUP):
        if required not in header:
            raise DataError(
                f"{path}: not an Edge-IIoTset CSV: column {required!r} not found; columns are {list(header)}"
            )
    return load_labelled_csv(
        path,
        label_column=EDGE_IIOTSET_LABEL,
        drop_columns=[c for c in EDGE_IIOTSET_DROP if c in header],
        categorical_columns=[c for c in EDGE_IIOTSET_CATEGORICAL if c in header],
        group_column=EDGE_IIOTSET_GROUP,
        normal_group=EDGE_IIOTSET_NORMAL_TYPE,
        drop_missing=True,
        drop_duplicates=True,
        max_train_windows=max_train_windows,
        max_eval_windows=max_eval_windows,
        seed=seed,
        name=f"Edge-IIoTset ({Path(path).name})",
        group_kind="attack type",
    )
