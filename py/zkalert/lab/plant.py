"""A synthetic plant: correlated sensors with labelled fault episodes, as a CSV or Parquet file.

For tests and demonstrations of a plant's own data (``zkalert train --data``). The sensors
follow a few hidden process variables (slow cycles plus autocorrelated noise), each sensor a
fixed mix of them in its own units plus measurement noise, so normal rows keep correlations a
detector can learn. A fault episode adds a bias of several standard deviations to a few
sensors for a few consecutive rows; its rows carry label 1, every other row 0.

Columns: ``time`` (one row every ``sampling_s`` seconds from 2024-01-01T00:00:00Z; text in a
CSV, a timestamp in Parquet), ``s00`` .. ``s{sensors-1}`` and ``fault``.

    synthetic_plant(tmp_path / "plant.csv")                 # 20 sensors, 400 rows, 4 faults
    synthetic_plant(tmp_path / "plant.parquet", fmt="parquet", sensors=8)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from zkalert.config import StrPath
from zkalert.data.source import DataFormat, DataSource

#: The hidden process variables every sensor mixes.
LATENT = 3
#: Rows per fault episode, and the bias a fault adds (in the sensor's normal standard deviations).
FAULT_ROWS = 5
FAULT_BIAS_SD = 8.0


@dataclass(frozen=True)
class SyntheticPlant:
    """What :func:`synthetic_plant` wrote, and the data source that reads it."""

    path: Path
    sensors: tuple[str, ...]
    fault_rows: tuple[int, ...]  # file rows labelled 1
    rows: int
    sampling_s: float
    label_column: str = "fault"
    order_column: str = "time"

    def source(self, **fields: object) -> DataSource:
        """The data source of this file: its label and order columns and sampling interval,
        every numeric column the sensors; ``fields`` override."""
        return DataSource.model_validate(
            {
                "path": self.path,
                "label_column": self.label_column,
                "order_column": self.order_column,
                "sampling_s": self.sampling_s,
                **fields,
            }
        )


def plant_rows(
    sensors: int, rows: int, faults: int, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The sensor matrix (rows x sensors, raw units) and the 0/1 label of each row."""
    if sensors < 1 or rows < 1 or faults < 0:
        raise ValueError("a plant needs at least one sensor and one row, and no negative faults")
    if faults * (FAULT_ROWS + 2) > rows // 2:
        raise ValueError(f"{faults} fault episodes of {FAULT_ROWS} rows do not fit in {rows} rows")
    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=np.float64)
    periods = rng.uniform(40, 160, size=LATENT)
    latent = np.sin(2 * np.pi * t[:, None] / periods + rng.uniform(0, 2 * np.pi, size=LATENT))
    noise = np.zeros((rows, LATENT))
    for i in range(1, rows):  # AR(1): the process drifts, it does not jump
        noise[i] = 0.8 * noise[i - 1] + 0.3 * rng.normal(size=LATENT)
    mixing = rng.normal(size=(LATENT, sensors))
    scale = rng.uniform(0.5, 50.0, size=sensors)  # each sensor in its own units
    offset = rng.uniform(-100.0, 400.0, size=sensors)
    clean = (latent + noise) @ mixing + 0.05 * rng.normal(size=(rows, sensors))
    labels = np.zeros(rows, np.int64)
    # episodes spread over the whole run, each on a few sensors of its own
    starts: list[int] = (
        np.linspace(rows * 0.1, rows * 0.95 - FAULT_ROWS, faults).astype(int).tolist()
        if faults
        else []
    )
    sd = clean.std(axis=0)
    for start in starts:
        hit = rng.choice(sensors, size=min(3, sensors), replace=False)
        signs = rng.choice((-1.0, 1.0), size=len(hit))
        clean[start : start + FAULT_ROWS, hit] += FAULT_BIAS_SD * sd[hit] * signs
        labels[start : start + FAULT_ROWS] = 1
    return offset + scale * clean, labels


def synthetic_plant(
    path: StrPath,
    sensors: int = 20,
    rows: int = 400,
    faults: int = 4,
    seed: int = 0,
    fmt: DataFormat = "csv",
    sampling_s: float = 60.0,
) -> SyntheticPlant:
    """Write a synthetic plant's data to ``path`` (CSV or Parquet) and describe it."""
    import pandas as pd

    target = Path(path)
    matrix, labels = plant_rows(sensors, rows, faults, seed)
    names = tuple(f"s{i:02d}" for i in range(sensors))
    times = pd.date_range(
        "2024-01-01", periods=rows, freq=pd.Timedelta(seconds=sampling_s), tz="UTC"
    )
    frame = pd.DataFrame(matrix, columns=list(names))
    frame.insert(0, "time", times)
    frame["fault"] = labels
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.assign(time=times.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(target, index=False)
    else:
        frame.to_parquet(target, engine="pyarrow", index=False)
    return SyntheticPlant(
        path=target,
        sensors=names,
        fault_rows=tuple(int(i) for i in np.flatnonzero(labels)),
        rows=rows,
        sampling_s=sampling_s,
    )
