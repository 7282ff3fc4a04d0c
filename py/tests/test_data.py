import numpy as np
import pytest

from zkalert.data.loaders import (
    TE_FAULT_START_ROW,
    Scaler,
    check_matrix,
    load_csv,
    load_te_file,
    load_tennessee_eastman,
)
from zkalert.errors import DataError


def test_te_files_have_the_published_shapes():
    assert load_te_file("d00.dat").shape == (500, 52)  # stored transposed in bibmon
    assert load_te_file("d01.dat").shape == (480, 52)
    assert load_te_file("d05_te.dat").shape == (960, 52)


def test_te_splits_label_faults_from_row_160_and_never_mix_files():
    te = load_tennessee_eastman()
    assert te.width == 52
    # by default all of d00.dat trains (the detector cross-fits its own held-out normal scores)
    assert te.train.shape == (500, 52)
    assert set(np.unique(te.validation.labels)) == {1}
    assert set(np.unique(te.validation.fault_ids)) == set(range(1, 22))
    # test labels: all zero for d00_te, and from row 160 on for faults
    normal = te.test.fault_ids == 0
    assert te.test.labels[normal].sum() == 0
    fault1 = te.test.fault_ids == 1
    assert (te.test.labels[fault1] == (te.test.rows[fault1] >= TE_FAULT_START_ROW)).all()


def test_te_held_out_normals_are_the_last_rows_of_d00_and_never_trained_on():
    te = load_tennessee_eastman(validation_normal_fraction=0.2)
    assert te.train.shape == (400, 52)
    val_normal = te.validation.labels == 0
    assert te.validation.rows[val_normal].tolist() == list(range(400, 500))
    train_rows = {tuple(r) for r in te.train}
    assert not any(tuple(r) in train_rows for r in te.validation.windows[val_normal])
    assert set(np.unique(te.validation.labels)) == {0, 1}
    with pytest.raises(DataError, match="must be in \\[0, 1\\)"):
        load_tennessee_eastman(validation_normal_fraction=1.0)


def test_te_unknown_fault_is_refused():
    with pytest.raises(DataError, match="fault 22 does not exist"):
        load_tennessee_eastman(faults=(22,))


@pytest.mark.parametrize(
    "matrix, message",
    [
        (np.zeros((3, 51)), "must have 52 values, got 51"),
        (np.zeros((0, 52)), "no rows"),
        (np.array([[1.0] * 51 + [np.nan]]), "NaN at row 0, column 51"),
        (np.array([[0.0] * 52, [0.0] * 10 + [np.inf] + [0.0] * 41]), "inf at row 1, column 10"),
    ],
)
def test_check_matrix_names_the_problem(matrix, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        check_matrix(matrix, 52, "windows")


def test_scaler_is_fitted_on_training_rows_and_survives_constant_columns():
    rows = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    scaler = Scaler.fit(rows)
    out = scaler.transform(rows)
    assert np.allclose(out[:, 0].mean(), 0) and np.allclose(out[:, 0].std(), 1)
    assert np.all(np.isfinite(out[:, 1]))
    assert np.allclose(Scaler.from_json(scaler.to_json()).transform(rows), out)


def test_whitening_decorrelates_training_rows_and_keeps_dead_directions_at_unit_scale():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(400, 3))
    # column 3 follows column 0 almost exactly (a valve tracking its controller); column 4 is constant
    rows = np.column_stack([base, base[:, 0] + 1e-3 * rng.normal(size=400), np.full(400, 7.0)])
    scaler = Scaler.fit(rows, whiten=True)
    white = scaler.transform(rows)
    covariance = np.cov(white, rowvar=False)
    kept = np.abs(np.diag(covariance)) > 0.5
    assert kept.sum() == 4  # the constant column adds no direction
    assert np.allclose(covariance[np.ix_(kept, kept)], np.eye(4), atol=1e-6)
    assert np.allclose(white[:, ~kept], 0.0)
    # a constant training column that moves later is still visible, at its standardised size
    moved = rows[:1].copy()
    moved[0, 4] = 9.0
    assert np.abs(scaler.transform(moved)[0, ~kept]).max() == pytest.approx(2.0)
    # breaking the tracking relation is invisible per variable but huge once whitened
    broken = rows[:1].copy()
    broken[0, 3] = broken[0, 0] + 0.05
    assert np.abs(scaler.transform(broken)).max() > 20
    again = Scaler.from_json(scaler.to_json())
    assert np.allclose(again.transform(rows), white)
    assert np.allclose(Scaler.fit(rows, whiten=True).rotation, scaler.rotation)


def test_csv_loader_errors(tmp_path):
    good = tmp_path / "w.csv"
    good.write_text("a,b,label\n1,2,0\n3,4,1\n")
    windows, labels = load_csv(good, width=2, label_column="label")
    assert windows.shape == (2, 2) and labels.tolist() == [0, 1]
    with pytest.raises(DataError, match="label column 'y' not found"):
        load_csv(good, width=2, label_column="y")
    with pytest.raises(DataError, match="must have 3 values, got 2"):
        load_csv(good, width=3, label_column="label")
    text = tmp_path / "t.csv"
    text.write_text("a,b\n1,x\n")
    with pytest.raises(DataError, match="non-numeric"):
        load_csv(text, width=2)
    nan = tmp_path / "n.csv"
    nan.write_text("a,b\n1,2\n3,\n")
    with pytest.raises(DataError, match="NaN at row 1, column 1"):
        load_csv(nan, width=2)
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
