"""A plant's own sensor data: where it is, which columns the detector reads, how it splits.

:class:`DataSource` is the description (the ``[data]`` settings; every field has a default):
a CSV or Parquet file with one row per sampling instant, or, with no path, the bundled
Tennessee Eastman demo data. :func:`load` reads it into :class:`PlantData`:

* rows are put in time order (by ``order_column``, else file order);
* normal rows (``label_column`` equal to ``normal_label``; every row without a label
  column) are cut in time order: the first ``1 - validation_fraction - test_fraction``
  train the detector, the next ``validation_fraction`` choose the alarm threshold, the
  last ``test_fraction`` are kept for evaluation;
* anomalous rows never train: in time order, validation takes the first
  ``validation_fraction / (validation_fraction + test_fraction)`` of them, test the rest.

The threshold rule follows (:attr:`PlantData.threshold_rule`): best F1 on the validation
split when it holds anomalous rows, else the false-alarm-rate rule on normal
rows only: the threshold is then the lowest score at which at most ``target_far`` (1% by
default) of the held-out normal scores alarm, i.e. their 99th percentile (held-out: the
training rows cross-fitted, plus the normal validation rows).

A window is one row: the detector scores each row's sensor values on their own. The detector
records the columns it was trained on, by name and in order, and :func:`load_windows` reads new
windows by those names, so a file may hold other columns (a timestamp, a label, more sensors)
in any order.

Every problem is one :class:`~zkalert.errors.DataError` line naming the file, the row and the
column; rows count from 0 after the header, in file order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zkalert.data.loaders import (
    TE_VARIABLES,
    FloatArray,
    LabelledSet,
    check_matrix,
    load_tennessee_eastman,
)
from zkalert.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

DataFormat = Literal["csv", "parquet"]

#: The bundled Tennessee Eastman data is sampled every 3 minutes.
TE_SAMPLING_S = 180.0
#: Fewest normal training rows the detector is fitted on (or twice the column count, if more):
#: it cross-fits itself on five contiguous folds and whitens by the rows' covariance.
MIN_TRAIN_ROWS = 50
#: How far the order column's median step may be from ``sampling_s`` (relative).
SAMPLING_TOLERANCE = 0.01
#: A step longer than this many sampling intervals is reported as a gap.
GAP_FACTOR = 1.5
#: Column names listed in full in a message before it says "... and N more".
_LISTED = 12


def minimum_train_rows(width: int) -> int:
    """Fewest normal training rows for a detector of ``width`` columns."""
    return max(MIN_TRAIN_ROWS, 2 * width)


class DataSource(BaseModel):
    """Where the sensor data is, which columns the detector reads, and how the rows split."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path | None = Field(
        default=None,
        description=(
            "The plant's sensor data: a CSV file with a header row, or a Parquet file, one row "
            "per sampling instant. Unset: the bundled Tennessee Eastman demo data (52 "
            "variables, every 3 minutes, with its own fixed splits and fault labels)."
        ),
    )
    format: DataFormat | None = Field(
        default=None,
        description=(
            "File format, 'csv' or 'parquet'. Unset: from the file name (.csv, also "
            "compressed as .csv.gz/.bz2/.zip/.xz; .parquet or .pq)."
        ),
    )
    columns: list[str] | None = Field(
        default=None,
        description=(
            "The sensor columns the detector reads, by name, in this order (its input order). "
            "Not together with column_pattern. With neither: every numeric column except the "
            "label and order columns, in file order (a column of mostly numbers with some text "
            "is refused, naming the row; a text column is left out)."
        ),
    )
    column_pattern: str | None = Field(
        default=None,
        description=(
            "A regular expression (Python syntax) choosing the sensor columns, in file order: a "
            "column is chosen when the pattern matches anywhere in its name (anchor it with "
            "^...$ for whole names); the label and order columns never are. Not together with "
            "columns."
        ),
    )
    label_column: str | None = Field(
        default=None,
        description=(
            "Column labelling each row: normal_label marks normal operation, any other value an "
            "anomaly. Anomalous rows never train; they are split between validation (threshold "
            "at best F1) and test. Unset: every row is taken as normal operation and the "
            "threshold is set on normal rows only (at most target_far of held-out normal "
            "scores alarm: their 99th percentile at the default 1%)."
        ),
    )
    normal_label: int | str = Field(
        default=0,
        description=(
            "The label_column value of normal rows: a number for a numeric label column "
            "(0 = normal, anything else anomalous), a text for a text one ('normal')."
        ),
    )
    order_column: str | None = Field(
        default=None,
        description=(
            "Time or sequence column (numbers, or timestamps such as 2024-05-01T12:00:00Z): "
            "rows are sorted by it before splitting; rows out of order and repeated values "
            "are reported. Unset: file order. Never a sensor column."
        ),
    )
    sampling_s: float | None = Field(
        default=None,
        gt=0,
        description=(
            "The sampling interval in seconds. Checked against the order column when there is "
            "one (timestamps, or numbers read as seconds): its median step must be within 1%, "
            "and steps longer than 1.5 intervals are reported as gaps."
        ),
    )
    validation_fraction: float = Field(
        default=0.2,
        gt=0,
        lt=1,
        description=(
            "Share of the normal rows, in time order after the training rows, that choose the "
            "alarm threshold (plant files only)."
        ),
    )
    test_fraction: float = Field(
        default=0.2,
        ge=0,
        lt=1,
        description=(
            "Share of the normal rows, the last in time order, kept for evaluation and never "
            "used to train or set the threshold (plant files only)."
        ),
    )

    @field_validator("column_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a regular expression ({exc})") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DataSource:
        if self.columns is not None and self.column_pattern is not None:
            raise ValueError("give columns or column_pattern, not both")
        if self.columns is not None:
            if not self.columns:
                raise ValueError("columns is empty: name at least one sensor column")
            repeated = sorted({c for c in self.columns if self.columns.count(c) > 1})
            if repeated:
                raise ValueError(f"columns names {_names(repeated)} more than once")
            for role in ("label_column", "order_column"):
                if getattr(self, role) in self.columns:
                    raise ValueError(f"{role} {getattr(self, role)!r} is also in columns")
        if self.label_column is not None and self.label_column == self.order_column:
            raise ValueError(f"label_column and order_column are both {self.label_column!r}")
        if self.validation_fraction + self.test_fraction >= 1:
            raise ValueError(
                f"validation_fraction + test_fraction is "
                f"{self.validation_fraction + self.test_fraction:g}: leave rows to train on"
            )
        if self.path is None:
            for name in ("format", "label_column", "order_column"):
                if getattr(self, name) is not None:
                    raise ValueError(
                        f"{name} needs a path: the bundled Tennessee Eastman data has its own "
                        "order and labels"
                    )
            if self.sampling_s is not None and self.sampling_s != TE_SAMPLING_S:
                raise ValueError(
                    f"sampling_s is {self.sampling_s:g} but the bundled Tennessee Eastman data "
                    f"is sampled every {TE_SAMPLING_S:g} s"
                )
        return self

    @property
    def name(self) -> str:
        return "Tennessee Eastman (bibmon)" if self.path is None else str(self.path)

    def resolved_format(self) -> DataFormat:
        """:attr:`format`, or the one the file name says; refused when neither tells."""
        if self.format is not None:
            return self.format
        if self.path is None:
            raise DataError("the bundled Tennessee Eastman data is not a file")
        return infer_format(self.path)


def data_source(fields: Mapping[str, Any]) -> DataSource:
    """A :class:`DataSource` from settings (a ``[data]`` table, command-line options), its
    first problem as one :class:`DataError` line naming the setting."""
    try:
        return DataSource.model_validate(dict(fields))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DataError(f"data{' ' + where if where else ''}: {message}{more}") from None


def infer_format(path: Path) -> DataFormat:
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return "parquet"
    if ".csv" in suffixes:
        return "csv"
    raise DataError(
        f"{path}: cannot tell the format from the file name: name it .csv or .parquet, "
        "or set the data format"
    )


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(repr(str(n)) for n in names[:_LISTED])
    return f"[{shown}{f', ... and {len(names) - _LISTED} more' if len(names) > _LISTED else ''}]"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def read_frame(path: Path, fmt: DataFormat | None = None) -> pd.DataFrame:
    """The file as a table with text column names; refused when it is missing, unreadable or empty."""
    import pandas as pd

    kind = fmt or infer_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if kind == "csv":
            frame = pd.read_csv(path, low_memory=False)
        else:
            frame = _read_parquet(path)
    except Exception as exc:  # pandas and pyarrow raise many types for malformed files
        raise DataError(f"{path}: not a readable {kind} file ({_one_line(exc)})") from exc
    if len(frame.columns) == 0 or len(frame) == 0:
        raise DataError(f"{path}: no data rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    """A parquet file read on the calling thread.

    pyarrow's reader threads can outlive the interpreter's teardown and abort the
    process ("terminate called without an active exception") after it has already
    printed its result; a single-threaded read leaves no thread behind.
    """
    import pyarrow.parquet as pq

    table = pq.read_table(path, use_threads=False, pre_buffer=False)
    return table.to_pandas(use_threads=False)


def _numeric_column(frame: pd.DataFrame, column: str, what: str) -> FloatArray:
    """A column as floats; refused, naming the first offending row, when it holds text."""
    import pandas as pd

    values = frame[column]
    if values.dtype == bool:
        return np.asarray(values, dtype=np.float64)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return np.asarray(values, dtype=np.float64)
    numeric = pd.to_numeric(values, errors="coerce")
    text = numeric.isna() & values.notna()
    if text.any():
        row = int(np.flatnonzero(text.to_numpy())[0])
        raise DataError(
            f"{what}: column {column!r} is not numeric: row {row} holds {str(values.iloc[row])[:40]!r}"
        )
    return np.asarray(numeric, dtype=np.float64)


def _is_numeric(frame: pd.DataFrame, column: str) -> bool:
    import pandas as pd

    dtype = frame[column].dtype
    return bool(dtype == bool or pd.api.types.is_numeric_dtype(dtype))


def _mostly_numbers(frame: pd.DataFrame, column: str) -> bool:
    """A text column most of whose cells are numbers: a sensor with a few text readings (a
    historian's "Bad" or "I/O Timeout"), chosen so that the text is refused by row, not
    the sensor silently left out."""
    import pandas as pd

    values = frame[column]
    present = int(values.notna().sum())
    return present > 0 and int(pd.to_numeric(values, errors="coerce").notna().sum()) > present / 2


def select_columns(
    frame: pd.DataFrame, source: DataSource, what: str
) -> tuple[list[str], list[str]]:
    """The sensor columns ``source`` chooses in ``frame`` and notes on what was left out."""
    roles = {c for c in (source.label_column, source.order_column) if c is not None}
    available = list(frame.columns)
    for role in ("label_column", "order_column"):
        name = getattr(source, role)
        if name is not None and name not in available:
            raise DataError(f"{what}: {role} {name!r} not found; columns are {_names(available)}")
    notes: list[str] = []
    if source.columns is not None:
        missing = [c for c in source.columns if c not in available]
        if missing:
            raise DataError(
                f"{what}: column(s) {_names(missing)} not found; columns are {_names(available)}"
            )
        return list(source.columns), notes
    if source.column_pattern is not None:
        pattern = re.compile(source.column_pattern)
        chosen = [c for c in available if c not in roles and pattern.search(c)]
        if not chosen:
            raise DataError(
                f"{what}: column pattern {source.column_pattern!r} matches no column; "
                f"columns are {_names(available)}"
            )
        return chosen, notes
    candidates = [c for c in available if c not in roles]
    chosen = [c for c in candidates if _is_numeric(frame, c) or _mostly_numbers(frame, c)]
    skipped = [c for c in candidates if c not in chosen]
    if skipped:
        notes.append(f"not numeric, left out: {_names(skipped)}")
    if not chosen:
        raise DataError(
            f"{what}: no numeric column to read besides the label and order columns; "
            f"columns are {_names(available)}"
        )
    return chosen, notes


def _matrix(
    frame: pd.DataFrame, columns: Sequence[str], rows: npt.NDArray[np.int64], what: str
) -> FloatArray:
    """The chosen columns as a finite float matrix; NaN/inf named by file row and column."""
    matrix = np.column_stack([_numeric_column(frame, c, what) for c in columns])
    bad = ~np.isfinite(matrix)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        kind = "NaN (an empty cell?)" if np.isnan(matrix[row, col]) else "inf"
        raise DataError(
            f"{what}: {int(bad.any(axis=1).sum())} row(s) with NaN/inf; first is {kind} at row "
            f"{int(rows[row])}, column {columns[col]!r}"
        )
    return matrix


def _order_seconds(frame: pd.DataFrame, column: str, what: str) -> FloatArray:
    """The order column as seconds: numbers as they are, timestamps since the epoch (UTC)."""
    import pandas as pd

    values = frame[column]
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataError(f"{what}: order column {column!r} is empty at row {row}")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values, utc=True)
    elif values.dtype != bool and pd.api.types.is_numeric_dtype(values.dtype):
        return np.asarray(values, dtype=np.float64)
    else:
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all():
            return np.asarray(numeric, dtype=np.float64)
        try:
            stamps = pd.to_datetime(values.astype(str), errors="coerce", utc=True, format="mixed")
        except (ValueError, TypeError) as exc:
            raise DataError(f"{what}: order column {column!r}: {_one_line(exc)}") from None
        if stamps.isna().any():
            row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
            raise DataError(
                f"{what}: order column {column!r} holds {str(values.iloc[row])[:40]!r} at row {row}: "
                "neither a number nor a timestamp"
            )
    nanos = np.asarray(stamps.to_numpy(dtype="datetime64[ns]")).astype(np.int64)
    return nanos.astype(np.float64) / 1e9


def _time_order(
    frame: pd.DataFrame, source: DataSource, what: str
) -> tuple[npt.NDArray[np.int64], list[str]]:
    """File rows in time order, and notes on rows out of order, repeated values and gaps."""
    n = len(frame)
    if source.order_column is None:
        return np.arange(n, dtype=np.int64), (
            [f"sampling_s {source.sampling_s:g} s not checked: no order column"]
            if source.sampling_s is not None
            else []
        )
    column = source.order_column
    seconds = _order_seconds(frame, column, what)
    notes: list[str] = []
    backwards = np.flatnonzero(np.diff(seconds) < 0)
    if len(backwards):
        row = int(backwards[0]) + 1
        notes.append(
            f"{len(backwards)} row(s) out of order of {column!r} (first: row {row} is earlier "
            f"than row {row - 1}): sorted"
        )
    order = np.argsort(seconds, kind="stable").astype(np.int64)
    ordered = seconds[order]
    steps = np.diff(ordered)
    repeated = np.flatnonzero(steps == 0)
    if len(repeated):
        a, b = int(order[repeated[0]]), int(order[repeated[0] + 1])
        notes.append(
            f"{len(repeated)} repeated value(s) of {column!r} (first: rows {a} and {b}): "
            "kept in file order"
        )
    if source.sampling_s is not None and np.any(steps > 0):
        median = float(np.median(steps[steps > 0]))
        if abs(median - source.sampling_s) > SAMPLING_TOLERANCE * source.sampling_s:
            raise DataError(
                f"{what}: sampling_s is {source.sampling_s:g} s but order column {column!r} "
                f"steps by {median:g} s (median)"
            )
        gaps = np.flatnonzero(steps > GAP_FACTOR * source.sampling_s)
        if len(gaps):
            longest = int(gaps[np.argmax(steps[gaps])])
            notes.append(
                f"{len(gaps)} gap(s) longer than {GAP_FACTOR:g} sampling intervals in "
                f"{column!r}; the longest is {steps[longest]:g} s, before row {int(order[longest + 1])}"
            )
    return order, notes


def _labels(frame: pd.DataFrame, source: DataSource, what: str) -> npt.NDArray[np.int64]:
    """1 for anomalous rows, 0 for normal ones (``normal_label``), in file order."""
    import pandas as pd

    column = source.label_column
    if column is None:
        return np.zeros(len(frame), np.int64)
    values = frame[column]
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataError(f"{what}: label column {column!r} is empty at row {row}")
    if values.dtype != bool and pd.api.types.is_numeric_dtype(values.dtype):
        try:
            normal_value = float(source.normal_label)
        except ValueError:
            raise DataError(
                f"{what}: label column {column!r} is numeric but normal_label is "
                f"{source.normal_label!r}: give the number normal rows carry"
            ) from None
        normal: npt.NDArray[np.bool_] = np.asarray(values, dtype=np.float64) == normal_value
    else:
        normal = np.asarray(values.astype(str) == str(source.normal_label), dtype=bool)
    return (~normal).astype(np.int64)


@dataclass(frozen=True)
class PlantData:
    """A data source read and split: raw (unscaled) windows, one row each, in time order."""

    source: DataSource
    columns: tuple[str, ...]
    train: FloatArray  # normal rows only
    validation: LabelledSet
    test: LabelledSet
    labelled: bool
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def threshold_rule(self) -> str:
        """``best-f1`` when the validation split holds anomalous rows (the normal scores it is
        weighed against include the training rows' cross-fitted ones), else ``far``: the
        threshold from normal rows only (see the module's notes)."""
        return "best-f1" if bool(self.validation.labels.any()) else "far"

    def summary(self) -> str:
        def part(split: LabelledSet) -> str:
            anomalous = int(split.labels.sum())
            return f"{len(split)} rows" + (f" ({anomalous} anomalous)" if self.labelled else "")

        return (
            f"{self.name}: {self.width} columns; train {len(self.train)} normal rows, "
            f"validation {part(self.validation)}, test {part(self.test)}"
        )


def _split(n: int, fractions: Sequence[float]) -> list[npt.NDArray[np.int64]]:
    """``0..n-1`` cut in order into parts of the given shares (the last takes the rest)."""
    edges = np.round(np.cumsum(fractions)[:-1] * n).astype(int)
    return [part.astype(np.int64) for part in np.split(np.arange(n), edges)]


def _labelled(
    windows: FloatArray, labels: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]
) -> LabelledSet:
    return LabelledSet(windows, labels, labels.copy(), rows)


def _tennessee_eastman(source: DataSource, seed: int) -> PlantData:
    te = load_tennessee_eastman(seed=seed)
    names = list(TE_VARIABLES)
    if source.columns is not None:
        missing = [c for c in source.columns if c not in names]
        if missing:
            raise DataError(
                f"{source.name}: column(s) {_names(missing)} not found; its columns are "
                f"XMEAS(1)..XMEAS(41) and XMV(1)..XMV(11)"
            )
        chosen = list(source.columns)
    elif source.column_pattern is not None:
        pattern = re.compile(source.column_pattern)
        chosen = [c for c in names if pattern.search(c)]
        if not chosen:
            raise DataError(
                f"{source.name}: column pattern {source.column_pattern!r} matches none of "
                "XMEAS(1)..XMEAS(41), XMV(1)..XMV(11)"
            )
    else:
        chosen = names
    pick = [names.index(c) for c in chosen]

    def sub(split: LabelledSet) -> LabelledSet:
        return LabelledSet(split.windows[:, pick], split.labels, split.fault_ids, split.rows)

    return PlantData(
        source=source,
        columns=tuple(chosen),
        train=te.train[:, pick],
        validation=sub(te.validation),
        test=sub(te.test),
        labelled=True,
    )


def load(source: DataSource, seed: int = 0) -> PlantData:
    """Read, check and split a data source (see the module's notes); ``seed`` picks the
    Tennessee Eastman validation rows and is unused for plant files (they split in time order)."""
    if source.path is None:
        return _tennessee_eastman(source, seed)
    what = str(source.path)
    frame = read_frame(source.path, source.resolved_format())
    columns, notes = select_columns(frame, source, what)
    order, order_notes = _time_order(frame, source, what)
    notes += order_notes
    labels = _labels(frame, source, what)[order]
    matrix = _matrix(frame, columns, np.arange(len(frame), dtype=np.int64), what)[order]
    normal, anomalous = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
    if len(normal) == 0:
        raise DataError(
            f"{what}: no normal rows (label column {source.label_column!r} never equals "
            f"normal_label {source.normal_label!r}): the detector learns normal operation from them"
        )
    v, t = source.validation_fraction, source.test_fraction
    train_at, val_normal, test_normal = (normal[p] for p in _split(len(normal), (1 - v - t, v, t)))
    val_anomalous, test_anomalous = (
        (anomalous[p] for p in _split(len(anomalous), (v / (v + t), t / (v + t))))
        if t > 0
        else (anomalous, anomalous[:0])
    )
    need = minimum_train_rows(len(columns))
    if len(train_at) < need:
        raise DataError(
            f"{what}: {len(train_at)} normal rows to train on ({1 - v - t:.0%} of {len(normal)} "
            f"normal rows); training needs at least {need} (50, or twice the {len(columns)} "
            "columns): give more normal rows"
        )

    def split_of(*parts: npt.NDArray[np.intp]) -> LabelledSet:
        at = np.sort(np.concatenate(parts)).astype(np.int64)
        return _labelled(matrix[at], labels[at], order[at])

    if source.label_column is not None:
        notes.append(
            f"labels: {len(normal)} normal and {len(anomalous)} anomalous rows "
            f"({source.label_column!r} == {source.normal_label!r} is normal)"
        )
    else:
        notes.append("no label column: every row is taken as normal operation")
    return PlantData(
        source=source,
        columns=tuple(columns),
        train=matrix[train_at],
        validation=split_of(val_normal, val_anomalous),
        test=split_of(test_normal, test_anomalous),
        labelled=source.label_column is not None,
        notes=tuple(notes),
    )


def load_windows(
    path: Path,
    columns: Sequence[str] | None,
    width: int,
    order_column: str | None = None,
    fmt: DataFormat | None = None,
) -> tuple[FloatArray, list[str]]:
    """New windows to score or prove, one per row in file order, and notes.

    With ``columns`` (a detector's, by name and in order) exactly those are read, wherever
    they are in the file, and a file missing any is refused; without (a detector that recorded
    none) every column is read and there must be ``width`` of them. A file holding the
    ``order_column`` must be in its order: each row's window index is its position.
    """
    what = str(path)
    frame = read_frame(path, fmt)
    notes: list[str] = []
    rows = np.arange(len(frame), dtype=np.int64)
    if columns is None:
        chosen = list(frame.columns)
        matrix = _matrix(frame, chosen, rows, what)
        return check_matrix(matrix, width, what), notes
    if len(columns) != width:
        raise DataError(f"{what}: the detector names {len(columns)} columns but takes {width}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what}: column(s) {_names(missing)} the detector was trained on are missing; "
            f"columns are {_names(list(frame.columns))}"
        )
    if order_column is not None and order_column in frame.columns:
        seconds = _order_seconds(frame, order_column, what)
        backwards = np.flatnonzero(np.diff(seconds) < 0)
        if len(backwards):
            row = int(backwards[0]) + 1
            raise DataError(
                f"{what}: rows are not in order of {order_column!r} (row {row} is earlier than "
                f"row {row - 1}): sort the file, each row's window index is its position"
            )
    ignored = [c for c in frame.columns if c not in columns and c != order_column]
    if ignored:
        notes.append(f"columns the detector does not read, ignored: {_names(ignored)}")
    return _matrix(frame, list(columns), rows, what), notes


def select_named(
    matrix: FloatArray, names: Sequence[str], wanted: Sequence[str], what: str
) -> FloatArray:
    """The ``wanted`` columns of a matrix whose columns are ``names``, in ``wanted``'s order."""
    missing = [c for c in wanted if c not in names]
    if missing:
        raise DataError(f"{what}: column(s) {_names(missing)} the detector reads are not in it")
    index = {name: k for k, name in enumerate(names)}
    return np.asarray(matrix, dtype=np.float64)[:, [index[c] for c in wanted]]
