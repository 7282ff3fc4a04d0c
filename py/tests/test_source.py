"""A plant's own data (zkalert.data.source): reading, column choice, time order, labels, splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zkalert.data.source import (
    DataSource,
    data_source,
    load,
    load_windows,
    minimum_train_rows,
    select_named,
)
from zkalert.errors import DataError
from zkalert.lab.plant import synthetic_plant


@pytest.fixture(scope="module")
def plants(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plants")
    return {
        fmt: synthetic_plant(folder / f"plant.{fmt}", sensors=8, rows=300, faults=4, fmt=fmt)
        for fmt in ("csv", "parquet")
    }


def test_csv_and_parquet_of_one_plant_load_the_same_splits(plants):
    csv, parquet = (load(plants[f].source()) for f in ("csv", "parquet"))
    assert csv.columns == parquet.columns == plants["csv"].sensors
    for a, b in ((csv.train, parquet.train), (csv.validation.windows, parquet.validation.windows)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert (csv.test.rows == parquet.test.rows).all()


def test_normal_rows_split_in_time_order_and_anomalous_rows_never_train(plants):
    plant = plants["csv"]
    data = load(plant.source())
    faults = set(plant.fault_rows)
    # 20 fault rows: validation takes the first half in time, test the rest
    val_faults = data.validation.rows[data.validation.labels == 1]
    test_faults = data.test.rows[data.test.labels == 1]
    assert len(val_faults) == len(test_faults) == 10 and val_faults.max() < test_faults.min()
    assert set(val_faults) | set(test_faults) == faults
    # normal rows: train, then validation, then test, in time order (60/20/20)
    normal = sorted(set(range(plant.rows)) - faults)
    val_normal = data.validation.rows[data.validation.labels == 0]
    test_normal = data.test.rows[data.test.labels == 0]
    assert len(data.train) == 168 and len(val_normal) == 56 and len(test_normal) == 56
    assert val_normal.min() == normal[168] and test_normal.min() == normal[224]
    assert data.labelled and data.threshold_rule == "best-f1"
    frame = pd.read_csv(plant.path)
    np.testing.assert_allclose(
        data.train[0], frame.loc[normal[0], list(plant.sensors)].astype(float)
    )


def test_rows_out_of_time_order_are_sorted_and_reported(plants, tmp_path):
    frame = pd.read_csv(plants["csv"].path)
    shuffled = frame.iloc[np.r_[150:300, 0:150]]
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    data = load(plants["csv"].source(path=tmp_path / "shuffled.csv"))
    reference = load(plants["csv"].source())
    np.testing.assert_allclose(data.train, reference.train)
    assert any("out of order of 'time' (first: row 150 is earlier than row 149): sorted" in n
               for n in data.notes)  # fmt: skip


def test_without_labels_every_row_is_normal_and_the_threshold_comes_from_normal_rows(plants):
    data = load(plants["csv"].source(label_column=None))
    assert not data.labelled and data.threshold_rule == "far"
    assert data.validation.labels.sum() == 0 and len(data.train) == 180
    # the label column is then just another numeric column: name the sensors
    assert data.columns[-1] == "fault"
    named = load(plants["csv"].source(label_column=None, column_pattern="^s"))
    assert named.columns == plants["csv"].sensors


def test_columns_by_name_in_the_order_given_and_by_pattern_in_file_order(plants):
    source = plants["parquet"].source(columns=["s03", "s01"])
    data = load(source)
    full = load(plants["parquet"].source())
    assert data.columns == ("s03", "s01")
    np.testing.assert_allclose(data.train, full.train[:, [3, 1]])
    assert load(plants["parquet"].source(column_pattern=r"s0[15]$")).columns == ("s01", "s05")


def test_default_columns_leave_out_text_columns_with_a_note(plants, tmp_path):
    frame = pd.read_csv(plants["csv"].path).assign(unit="A")
    frame.to_csv(tmp_path / "with_text.csv", index=False)
    data = load(plants["csv"].source(path=tmp_path / "with_text.csv"))
    assert data.columns == plants["csv"].sensors
    assert "not numeric, left out: ['unit']" in data.notes


def test_text_labels_and_a_text_normal_label(plants, tmp_path):
    frame = pd.read_csv(plants["csv"].path)
    frame["state"] = np.where(frame["fault"] == 1, "trip", "ok")
    frame.drop(columns="fault").to_csv(tmp_path / "text.csv", index=False)
    data = load(plants["csv"].source(path=tmp_path / "text.csv", label_column="state",
                                     normal_label="ok"))  # fmt: skip
    reference = load(plants["csv"].source())
    assert (data.validation.labels == reference.validation.labels).all()


def test_the_bundled_demo_data_stays_the_default_and_takes_a_column_choice():
    from zkalert.data.loaders import load_te_file

    assert DataSource().path is None
    few = load(DataSource(columns=["XMV(3)", "XMEAS(1)"]))
    assert few.columns == ("XMV(3)", "XMEAS(1)") and few.labelled
    np.testing.assert_allclose(few.train, load_te_file("d00.dat")[:, [43, 0]])
    # its validation split holds fault rows only: best F1 against cross-fitted normal scores
    assert few.threshold_rule == "best-f1" and few.validation.labels.all()


def test_new_windows_are_read_by_the_detectors_column_names(plants, tmp_path):
    frame = pd.read_csv(plants["csv"].path).iloc[:5]
    frame.assign(extra=1.0)[["extra", "s02", "time", "s00"]].to_csv(tmp_path / "w.csv", index=False)
    windows, notes = load_windows(tmp_path / "w.csv", ["s00", "s02"], 2, "time")
    np.testing.assert_allclose(windows, frame[["s00", "s02"]].to_numpy())
    assert notes == ["columns the detector does not read, ignored: ['extra']"]
    with pytest.raises(
        DataError, match=r"column\(s\) \['s01'\] the detector was trained on are missing"
    ):
        load_windows(tmp_path / "w.csv", ["s00", "s01"], 2)
    frame[["s00", "s01", "s02", "s03"]].to_csv(tmp_path / "four.csv", index=False)
    with pytest.raises(DataError, match="each window must have 3 values, got 4"):
        load_windows(
            tmp_path / "four.csv", None, 3
        )  # a detector that recorded no names: by position
    frame.iloc[::-1].to_csv(tmp_path / "backwards.csv", index=False)
    with pytest.raises(DataError, match="not in order of 'time' .*sort the file"):
        load_windows(tmp_path / "backwards.csv", ["s00"], 1, "time")


def test_select_named_picks_and_refuses_by_name():
    matrix = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        select_named(matrix, ["a", "b", "c"], ["c", "a"], "m"), [[2, 0], [5, 3]]
    )
    with pytest.raises(DataError, match=r"\['d'\] the detector reads are not in it"):
        select_named(matrix, ["a", "b", "c"], ["d"], "m")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"path": "p.csv", "column_pattern": "s(("}, "data column_pattern: 's((' is not a regular expression"),
        ({"path": "p.csv", "columns": ["a"], "column_pattern": "a"}, "data: give columns or column_pattern, not both"),
        ({"path": "p.csv", "columns": ["a", "a"]}, "data: columns names ['a'] more than once"),
        ({"path": "p.csv", "columns": ["a"], "label_column": "a"}, "data: label_column 'a' is also in columns"),
        ({"path": "p.csv", "validation_fraction": 0.5, "test_fraction": 0.5}, "data: validation_fraction + test_fraction is 1: leave rows to train on"),
        ({"label_column": "y"}, "data: label_column needs a path"),
        ({"path": "p.csv", "sampling_s": -1}, "data sampling_s: Input should be greater than 0"),
        ({"path": "p.csv", "colums": ["a"]}, "data colums: Extra inputs are not permitted"),
        ({"path": "p.csv", "format": "xlsx"}, "data format: Input should be 'csv' or 'parquet'"),
    ],
)  # fmt: skip
def test_a_bad_data_setting_is_one_line_naming_it(fields, message):
    with pytest.raises(DataError) as info:
        data_source(fields)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_every_setting_is_described_for_the_configuration_reference():
    for name, spec in DataSource.model_fields.items():
        assert spec.description and len(spec.description) > 30, name


def test_the_minimum_of_training_rows_grows_with_the_columns():
    assert minimum_train_rows(20) == 50 and minimum_train_rows(40) == 80
