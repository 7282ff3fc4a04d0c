"""A plant's own data through the real command line: train -> compile -> prove -> verify, and
every bad input refused as one line on stderr with exit code 1 (``zkalert --help``: "1 error").

The plant is synthetic (zkalert.lab.plant): 20 sensors, 400 rows, four labelled fault
episodes, written as CSV and Parquet. The circuit is the hand-set one (logrows 13 for 20
columns), so compiling and proving take seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zkalert.config import PROJECT_ROOT, Workspace
from zkalert.lab.plant import SyntheticPlant, synthetic_plant

EXIT_ERROR = 1


def zkalert(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("ZKALERT_DEBUG", None)
    if home is not None:
        env["ZKALERT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "zkalert", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=False,
    )


def refused(out: subprocess.CompletedProcess[str], message: str) -> None:
    """Exit code 1 and one line, ``error: ...`` holding ``message``; no traceback."""
    lines = out.stderr.strip().splitlines()
    assert out.returncode == EXIT_ERROR, out.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert message in lines[0], lines[0]


@pytest.fixture(scope="module")
def plant(tmp_path_factory) -> SyntheticPlant:
    return synthetic_plant(tmp_path_factory.mktemp("plant") / "plant.csv")


# ---------------------------------------------------------------- bad input, one line each


def _edited(
    plant: SyntheticPlant, tmp: Path, name: str, edit: Callable[[pd.DataFrame], None]
) -> Path:
    frame = pd.read_csv(plant.path)
    edit(frame)
    path = tmp / name
    frame.to_parquet(path) if name.endswith(".parquet") else frame.to_csv(path, index=False)
    return path


def _nan(frame: pd.DataFrame) -> None:
    frame.loc[17, "s03"] = np.nan


def _inf(frame: pd.DataFrame) -> None:
    frame.loc[5, "s01"] = np.inf


def _text(frame: pd.DataFrame) -> None:
    frame["s02"] = frame["s02"].astype(object)
    frame.loc[3, "s02"] = "stuck"


def _noop(frame: pd.DataFrame) -> None:
    pass


LABELLED = ["--label-column", "fault", "--order-column", "time"]


@pytest.mark.parametrize(
    ("name", "edit", "args", "message"),
    [
        ("plant.csv", _noop, ["--columns", "s00,s98,s99"], "column(s) ['s98', 's99'] not found; columns are ['time', 's00'"),
        ("nan.csv", _nan, LABELLED, "1 row(s) with NaN/inf; first is NaN (an empty cell?) at row 17, column 's03'"),
        ("inf.parquet", _inf, LABELLED, "first is inf at row 5, column 's01'"),
        ("text.csv", _text, LABELLED, "column 's02' is not numeric: row 3 holds 'stuck'"),
        ("plant.csv", _noop, ["--column-pattern", "s(("], "data column_pattern: 's((' is not a regular expression"),
        ("plant.csv", _noop, ["--columns", "s01", "--column-pattern", "^s"], "data: give columns or column_pattern, not both"),
        ("plant.csv", _noop, [*LABELLED, "--sampling-s", "30"], "sampling_s is 30 s but order column 'time' steps by 60 s (median)"),
    ],
)  # fmt: skip
def test_bad_plant_data_is_refused_in_one_line(plant, tmp_path, name, edit, args, message):
    path = _edited(plant, tmp_path, name, edit)
    refused(zkalert("train", "--data", str(path), *args, home=tmp_path / "ws"), message)
    assert not (tmp_path / "ws" / "detector.json").exists()


def test_too_few_normal_rows_to_train_names_the_minimum(tmp_path):
    small = synthetic_plant(tmp_path / "small.parquet", rows=90, faults=2, fmt="parquet")
    refused(
        zkalert("train", "--data", str(small.path), *LABELLED, home=tmp_path / "ws"),
        "48 normal rows to train on (60% of 80 normal rows); training needs at least 50",
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.parquet", b"PAR1 not really", "broken.parquet: not a readable parquet file ("),
        ("plant.xlsx", b"PK", "plant.xlsx: cannot tell the format from the file name"),
    ],
)
def test_an_unreadable_file_is_refused_in_one_line(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    refused(zkalert("train", "--data", str(tmp_path / name), home=tmp_path / "ws"), message)


def test_evaluating_a_plant_file_without_labels_is_refused(plant, tmp_path):
    refused(
        zkalert("evaluate", "--data", str(plant.path), "--no-parity", home=tmp_path / "ws"),
        "evaluating needs a label column (normal and anomalous rows)",
    )


def test_a_missing_file_is_refused_in_one_line(tmp_path):
    refused(zkalert("train", "--data", str(tmp_path / "nope.csv")), "nope.csv: no such file")


# ---------------------------------------------------------------- a trained detector (CLI)


@pytest.fixture(scope="module")
def trained(plant, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("trained")
    parquet = synthetic_plant(home / "plant.parquet", fmt="parquet")
    out = zkalert("train", "--data", str(parquet.path), *LABELLED, "--sampling-s", "60",
                  "--epochs", "20", home=home)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "20 columns" in out.stdout and "validation F1" in out.stdout
    return home


@pytest.mark.slow
def test_the_detector_records_its_data_source_and_columns(trained):
    meta = json.loads((trained / "detector.json").read_text())
    assert meta["width"] == 20
    assert meta["data"]["columns"] == [f"s{i:02d}" for i in range(20)]
    source = meta["data"]["source"]
    assert source["path"] == str(trained / "plant.parquet")
    assert (source["label_column"], source["order_column"], source["sampling_s"]) == (
        "fault",
        "time",
        60.0,
    )


@pytest.mark.slow
def test_tuning_on_data_with_other_columns_than_the_detector_is_refused(trained, tmp_path):
    wider = synthetic_plant(tmp_path / "wider.csv", sensors=21)
    refused(
        zkalert("tune", "--data", str(wider.path), "--column-pattern", "^s", home=trained),
        "its columns are not the 20 the detector was trained on (not trained on ['s20'])",
    )


# ---------------------------------------------------------------- the whole path, with EZKL


@pytest.fixture(scope="module")
def compiled(trained, tmp_path_factory) -> Path:
    verifiers = tmp_path_factory.mktemp("verifiers")
    out = zkalert("compile", "--contract", "PytestPlantVerifier", "--verifier-dir", str(verifiers),
                  home=trained)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "circuit: 20 values per window" in out.stdout
    assert (verifiers / "PytestPlantVerifier.sol").is_file()
    return trained


@pytest.mark.ezkl
@pytest.mark.slow
def test_a_plant_window_is_proven_by_column_name_and_verifies_with_ezkl(compiled, plant, tmp_path):
    from zkalert.detector.model import Detector
    from zkalert.zk.circuit import CircuitInfo
    from zkalert.zk.prover import ProvenWindow, Prover

    frame = pd.read_csv(plant.path)
    row = plant.fault_rows[0]
    # the window as a plant exports it: other columns first, the sensors in another order
    one = frame.iloc[[row]][["fault", "time", *reversed(plant.sensors)]]
    one.to_csv(tmp_path / "window.csv", index=False)
    out = zkalert("prove", str(tmp_path / "window.csv"), "--stream", "plant/unit-1",
                  "--first-index", str(row), "--json", home=compiled)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "ignored: ['fault']" in out.stderr
    (result,) = json.loads(out.stdout)
    assert result["index"] == row and result["alarm"] is True

    workspace = Workspace.at(compiled)
    prover = Prover(workspace)
    proven = ProvenWindow.from_proof_file(
        Path(result["proof"]), commitment=CircuitInfo.load(Workspace.at(compiled)).commitment
    )
    assert prover.verify_offchain(proven)
    detector = Detector.load(workspace)
    float_score = float(detector.score(frame.loc[[row], list(plant.sensors)].to_numpy(float))[0])
    assert result["score"] == pytest.approx(float_score, rel=0.05)


@pytest.mark.ezkl
@pytest.mark.slow
def test_proving_windows_without_the_detectors_columns_is_refused(compiled, plant, tmp_path):
    frame = pd.read_csv(plant.path).iloc[:3]
    before = sorted(p.name for p in (compiled / "proofs").iterdir())
    frame.drop(columns=["s05", "s11"]).to_csv(tmp_path / "missing.csv", index=False)
    refused(
        zkalert("prove", str(tmp_path / "missing.csv"), "--stream", "s", home=compiled),
        "column(s) ['s05', 's11'] the detector was trained on are missing",
    )
    frame.assign(s07=[1.0, np.nan, 2.0]).to_csv(tmp_path / "nan.csv", index=False)
    refused(
        zkalert("outbox", "enqueue", str(tmp_path / "nan.csv"), "--stream", "s", home=compiled),
        "first is NaN (an empty cell?) at row 1, column 's07'",
    )
    assert sorted(p.name for p in (compiled / "proofs").iterdir()) == before


def test_the_data_options_override_the_fields_they_name_and_keep_the_rest(tmp_path):
    from zkalert.cli.options import data_source
    from zkalert.data.source import DataSource

    base = DataSource(path=tmp_path / "a.dat", format="csv", columns=["s1", "s0"],
                      label_column="fault", order_column="time")  # fmt: skip
    assert data_source(base=base) == base
    pattern = data_source(column_pattern="^s", base=base)
    assert (pattern.columns, pattern.column_pattern, pattern.label_column) == (None, "^s", "fault")
    other = data_source(tmp_path / "b.parquet", columns="s2, s3", normal_label="ok", base=base)
    assert (other.path, other.format, other.columns) == (tmp_path / "b.parquet", None, ["s2", "s3"])
    assert (other.normal_label, other.order_column) == ("ok", "time")
    assert data_source() == DataSource()  # no option: the bundled demo data
