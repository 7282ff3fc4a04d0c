"""The detector family: every member through the same train/save/load/score interface, the
in-circuit PCA monitor equal to the float baseline, the default rule, and a linear member's
circuit proving its score from the standardised window."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from zkalert.config import Workspace
from zkalert.data.datasets import tennessee_eastman
from zkalert.detector.baseline import PcaMonitor
from zkalert.detector.family import (
    WHITEN_RIDGE,
    PcaT2Q,
    Spectrum,
    TriangularSquares,
    WhitenedNorm,
    cholesky_factor,
    new_scorer,
)
from zkalert.detector.kinds import (
    DEFAULT_DETECTOR,
    DETECTORS,
    circuit_columns,
    circuit_exact,
    circuit_scale,
    is_linear,
)
from zkalert.detector.model import Detector, TrainConfig, fit_detector, train
from zkalert.errors import DetectorError, ProofError, WitnessOutOfRange
from zkalert.lab.family import choose_default


@pytest.fixture(scope="module")
def te():  # type: ignore[no-untyped-def]
    return tennessee_eastman()


def test_the_names_are_the_members_and_the_settings_offer_exactly_them():
    from zkalert.cli.settings import DetectorSection

    kinds = DetectorSection.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    assert tuple(kinds) == DETECTORS
    assert DetectorSection().kind == DEFAULT_DETECTOR == "whitened-sq"
    with pytest.raises(DetectorError, match="detector 'svm' is not one of autoencoder"):
        TrainConfig(kind="svm")
    assert TrainConfig(kind="autoencoder-small").hidden == (16, 4)
    assert TrainConfig().hidden == (32, 12)


@pytest.mark.parametrize("kind", DETECTORS)
def test_every_member_trains_saves_loads_and_scores_the_same(kind, te, tmp_path):
    config = TrainConfig(kind=kind, epochs=2, cv_folds=2)
    detector = train(te.train, te.validation.windows, te.validation.labels, config, progress=False)
    workspace = Workspace.at(tmp_path)
    detector.save(workspace)
    loaded = Detector.load(workspace)
    assert loaded.kind == kind and type(loaded.model) is type(detector.model)
    windows = te.test.windows[:50]
    np.testing.assert_allclose(loaded.score(windows), detector.score(windows), rtol=1e-6)
    # the circuit's function is width x the float score, for every member
    scaled = torch.as_tensor(detector.scale(windows), dtype=torch.float32)
    bound = torch.cat([scaled, torch.zeros(len(windows), 3)], dim=1)
    with torch.no_grad():
        total, limbs = detector.circuit_model()(bound)
    np.testing.assert_allclose(
        total.numpy().ravel() / detector.width, detector.score(windows), rtol=1e-4
    )
    assert limbs.shape == (50, 3)
    # a linear member reads the standardised window: its scaler does not whiten
    assert (detector.scaler.rotation is None) == is_linear(kind)


def test_the_in_circuit_pca_monitor_is_the_float_baseline(te):
    """pca-t2q scores exactly what the PCA T²/Q baseline scores (max(T²/t, Q/q), the same
    components, the same normalisers), as one network the circuit can prove."""
    detector = fit_detector(te.train, TrainConfig(kind="pca-t2q"))
    assert isinstance(detector.model, PcaT2Q)
    baseline = PcaMonitor.fit(te.train)
    windows = te.test.windows[::40]
    np.testing.assert_allclose(detector.score(windows), baseline.score(windows), rtol=2e-4)


def test_whitened_sq_is_hotellings_t2_over_every_component_with_a_ridge(te):
    detector = fit_detector(te.train, TrainConfig(kind="whitened-sq"))
    assert isinstance(detector.model, WhitenedNorm) and detector.model.norm == "sq"
    standardised = detector.scale(te.test.windows[:100])
    covariance = np.cov(detector.scale(te.train), rowvar=False)
    inverse = np.linalg.inv(covariance + WHITEN_RIDGE * np.eye(52))
    t2 = np.einsum("ij,jk,ik->i", standardised, inverse, standardised)
    np.testing.assert_allclose(detector.score(te.test.windows[:100]), t2 / 52, rtol=1e-3)


def test_the_spectrum_is_refitted_to_the_same_matrix_and_refuses_too_few_rows(te):
    a = Spectrum.of(te.train[:, :5]).whitening()
    b = Spectrum.of(te.train[:, :5].copy()).whitening()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(DetectorError, match="at least 3 normal training windows, got 2"):
        Spectrum.of(te.train[:2])
    with pytest.raises(DetectorError, match="whitened norm 'l2'"):
        WhitenedNorm(4, "l2")
    assert circuit_scale("whitened-l1") == 13 and circuit_scale("autoencoder") == 10
    assert circuit_exact("whitened-sq") and not circuit_exact("whitened-l1")
    assert circuit_columns("whitened-sq") == 3 and circuit_columns("autoencoder") is None
    assert (
        type(new_scorer("autoencoder", 5, hidden=(4, 2))).__name__ == "SparseDenoisingAutoencoder"
    )


def test_whitened_sq_proves_the_same_score_through_its_triangular_factor(te):
    """The circuit form of whitened-sq (``sum (R x)²``, ``RᵀR = WᵀW``, in bands that skip the
    zeros below the diagonal) scores every window as the whitening does."""
    detector = fit_detector(te.train, TrainConfig(kind="whitened-sq"))
    form = detector.model.circuit_form()
    assert isinstance(form, TriangularSquares) and form.edges == [0, 13, 26, 39, 52]
    assert [tuple(b.weight.shape) for b in form.bands] == [(13, 52), (13, 39), (13, 26), (13, 13)]
    windows = torch.as_tensor(detector.scale(te.test.windows[::50]), dtype=torch.float32)
    with torch.no_grad():
        np.testing.assert_allclose(
            form.double().total(windows.double()).numpy(),
            detector.model.double().total(windows.double()).numpy(),
            rtol=1e-5,
        )
    l1 = fit_detector(te.train, TrainConfig(kind="whitened-l1")).model
    assert l1.circuit_form() is l1
    with pytest.raises(DetectorError, match="square upper-triangular"):
        TriangularSquares(np.ones((3, 3)))
    with pytest.raises(DetectorError, match="not positive definite"):
        cholesky_factor(-np.eye(3))


def _member(at_far: float, agreement: float, prove_s: float) -> dict[str, object]:
    return {
        "quality": {"at_compare_far": {"mean_detection_rate": at_far}},
        "parity": {"agreement": agreement},
        "prove_s_median": prove_s,
    }


def test_the_default_is_the_fastest_member_within_a_point_of_the_best_with_parity():
    members = {
        "best": _member(0.830, 1.0, 2.0),
        "close-and-fast": _member(0.821, 0.9995, 1.0),
        "fastest-but-worse": _member(0.815, 1.0, 0.5),
        "fast-but-unfaithful": _member(0.829, 0.998, 0.4),
    }
    chosen = choose_default(members)  # type: ignore[arg-type]
    assert chosen["chosen"] == "close-and-fast"
    assert set(chosen["excluded"]) == {"fastest-but-worse", "fast-but-unfaithful"}
    assert "parity 99.800% is under 99.9%" in chosen["excluded"]["fast-but-unfaithful"]


def test_train_refuses_an_unknown_member_in_one_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "zkalert", "train", "--workdir", str(tmp_path), "--detector", "svm"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        (
            "error: detector 'svm' is not one of autoencoder, autoencoder-small, whitened-l1, "
            "whitened-sq, pca-t2q"
        )
    ]
    assert not (tmp_path / "detector.pt").exists()


def _exact_total(factor: np.ndarray, scaled: np.ndarray, scale: int) -> int:
    """``sum (R_q x_q)²`` in integers, with the weights and the window rounded as EZKL rounds them
    (float32 weights and values; half away from zero): what an exact circuit proves, at scale
    ``4 x scale``."""
    unit = 2.0**scale
    weights = np.float64(np.float32(factor)) * unit
    rounded = (np.sign(weights) * np.floor(np.abs(weights) + 0.5)).astype(object)
    window = np.float64(np.float32(scaled)) * unit
    x = (np.sign(window) * np.floor(np.abs(window) + 0.5)).astype(object)
    return int(sum(int(v) ** 2 for v in rounded.dot(x)))


@pytest.fixture(scope="module")
def exact(te, tmp_path_factory):  # type: ignore[no-untyped-def]
    """whitened-sq's exact circuit with a KZG commitment, and its triangular factor as a matrix."""
    from zkalert.config import TEST_GENERATED_DIR
    from zkalert.zk.circuit import CircuitConfig, compile_circuit

    detector = fit_detector(te.train, TrainConfig(kind="whitened-sq"))
    detector.threshold = 2.0
    workspace = Workspace.at(tmp_path_factory.mktemp("exact"))
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        te.train,
        CircuitConfig.for_detector("whitened-sq").with_commitment("kzg"),
        contract_name="PytestFamilyVerifier",
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
    )
    form = detector.model.circuit_form()
    upper = np.zeros((detector.width, detector.width))
    for a, band in zip(form.edges, form.bands):
        rows = band.weight.detach().numpy()
        upper[a : a + rows.shape[0], a:] = rows
    yield workspace, detector, info, upper
    (TEST_GENERATED_DIR / "PytestFamilyVerifier.sol").unlink(missing_ok=True)


@pytest.mark.ezkl
@pytest.mark.slow
def test_a_linear_member_proves_its_score_from_the_standardised_window(te, exact):
    """whitened-sq: the whitening is in the circuit, the proof commits to the standardised
    window (KZG), and the circuit is exact: no rescaling, no range check, 2^10 rows, and the proven
    score is the integer sum of squares of the quantised triangular factor times the quantised
    window, on a normal window, on the window that drives the whitened values highest on the
    test runs (a fault), and on one a million times past it (which a rounded circuit's range
    refused, leaving a gap). Past the exact circuit's input bound the prover refuses the window,
    said as such."""
    from zkalert.detector.kinds import EXACT_INPUT_BOUND
    from zkalert.zk.prover import Prover
    from zkalert.zk.statement import Binding

    workspace, detector, info, upper = exact
    settings = json.loads(workspace.settings.read_text())
    run = settings["run_args"]
    assert (run["input_scale"], run["num_inner_cols"], run["scale_rebase_multiplier"]) == (
        13,
        3,
        4,
    )
    assert run["ignore_range_check_inputs_outputs"] is True
    assert settings["required_range_checks"] == [] and settings["required_lookups"] == []
    assert (info.logrows, info.output_scale, info.input_bound) == (10, 52, EXACT_INPUT_BOUND)
    with torch.no_grad():
        whitened = detector.model.whiten(  # type: ignore[operator]
            torch.as_tensor(detector.scale(te.test.windows), dtype=torch.float32)
        )
    extreme = int(torch.abs(whitened).max(dim=1).values.argmax())
    normal = int(np.flatnonzero(te.test.labels == 0)[0])
    wild = te.test.windows[extreme : extreme + 1].copy()
    wild[0, 0] *= 1e6
    prover = Prover(workspace)
    cases = [te.test.windows[i : i + 1] for i in (normal, extreme)] + [wild]
    for i, window in enumerate(cases):
        scaled = detector.scale(window)
        proven = prover.prove(scaled, f"w{i}", Binding("0x" + "22" * 20, b"f" * 32, i))
        assert prover.verify_offchain(proven)
        assert proven.score_felt == _exact_total(upper, scaled[0], 13), i
        score = proven.score_felt / (2**info.output_scale * detector.width)
        assert score == pytest.approx(float(detector.score(window)[0]), rel=5e-3)
        assert (score >= detector.threshold) == (i > 0)

    # past the bound (a value of 10^15 standard deviations) the prover refuses the window
    past = te.test.windows[normal : normal + 1].copy()
    past[0, 0] = detector.scaler.mean[0] + 1e15 * detector.scaler.std[0]
    assert float(np.abs(detector.scale(past)).max()) > EXACT_INPUT_BOUND
    with pytest.raises(WitnessOutOfRange) as out:
        prover.statement_instances(detector.scale(past), "past")
    assert str(out.value).startswith(
        "no witness: a value leaves the circuit's fixed-point range (largest standardized input "
    ), out.value
    with pytest.raises(WitnessOutOfRange) as named:  # a proof names its window
        prover.prove(detector.scale(past), "past-7", Binding("0x" + "22" * 20, b"f" * 32, 7))
    assert str(named.value).startswith("proof past-7: no witness: "), named.value
    # a circuit file that is gone is not the windows' fault: a plain proof error
    workspace.compiled.rename(workspace.compiled.with_suffix(".gone"))
    try:
        with pytest.raises(ProofError) as gone:
            prover.statement_instances(detector.scale(te.test.windows[normal : normal + 1]), "n")
    finally:
        workspace.compiled.with_suffix(".gone").rename(workspace.compiled)
    assert not isinstance(gone.value, WitnessOutOfRange)
    assert str(gone.value).startswith("EZKL could not make the witness: "), gone.value


@pytest.mark.ezkl
@pytest.mark.slow
def test_field_elements_no_window_quantises_to_prove_a_wrapped_low_score_the_prover_never_makes(
    exact,
):
    """The exact circuit checks no range, so a gateway driving EZKL itself can commit to field
    elements that are no reading: here ``t`` in the last value with ``c t² = s (mod p)``, the
    score wrapped around the field's modulus to a handful of units. The proof verifies and the
    score is below the threshold; what stops it is what stops any fabricated window (the
    threat model's "What no proof can stop"): the commitment is of those field elements, and no
    window the prover takes quantises to them (read as a value, ``t`` is past the input bound)."""
    import ezkl
    from sympy.ntheory.residue_ntheory import sqrt_mod

    from zkalert.config import BN254_R
    from zkalert.detector.kinds import EXACT_INPUT_BOUND
    from zkalert.zk.circuit import felt_to_le_hex
    from zkalert.zk.prover import Prover, felt_hex_to_int
    from zkalert.zk.statement import BINDING_LIMBS

    workspace, detector, info, upper = exact
    unit = 2.0**info.input_scale
    last = np.float64(np.float32(upper[:, -1])) * unit
    c = sum(int(v) ** 2 for v in np.sign(last) * np.floor(np.abs(last) + 0.5))
    small, t = next(
        (s, root)
        for s in range(1, 100)
        if (root := sqrt_mod(s * pow(c, -1, BN254_R) % BN254_R, BN254_R)) is not None
    )
    assert c * t * t % BN254_R == small
    values = [0.0] * (detector.width - 1) + [felt_to_le_hex(t)]
    data = workspace.root / "wrapped.input.json"
    data.write_text(json.dumps({"input_data": [values + [felt_to_le_hex(0)] * BINDING_LIMBS]}))
    witness_path, proof_path = (
        workspace.root / "wrapped.witness.json",
        workspace.root / "wrapped.pf",
    )
    srs = info.srs_path
    witness = ezkl.gen_witness(
        str(data),
        str(workspace.compiled),
        str(witness_path),
        vk_path=str(workspace.vk),
        srs_path=srs,
    )
    assert felt_hex_to_int(witness["outputs"][0][0]) == small
    ezkl.prove(
        str(witness_path), str(workspace.compiled), str(workspace.pk), str(proof_path), srs_path=srs
    )
    assert ezkl.verify(str(proof_path), str(workspace.settings), str(workspace.vk), srs_path=srs)
    assert small < info.threshold_felt  # a valid proof of "no alarm"

    # read as a window, t is astronomically far past what the prover takes
    read_as_value = min(t, BN254_R - t) / unit
    assert read_as_value > 1e40 * EXACT_INPUT_BOUND
    window = np.zeros((1, detector.width))
    window[0, -1] = read_as_value
    with pytest.raises(WitnessOutOfRange):
        Prover(workspace).statement_instances(window, "wrapped")


def test_recompiling_a_workspace_leaves_the_key_cache_of_its_earlier_circuit_intact(te, tmp_path):  # type: ignore[no-untyped-def]
    """A compile leaves the workspace's keys hard-linked into the key cache, and EZKL writes its
    keys in place: compiling another circuit into the same workspace must not overwrite the
    cached keys of the first (every later compile of the first circuit would get wrong keys)."""
    import hashlib

    from zkalert.config import TEST_GENERATED_DIR, configured
    from zkalert.zk.circuit import CircuitConfig, compile_circuit

    detector = fit_detector(te.train, TrainConfig(kind="whitened-sq"))
    config = CircuitConfig.for_detector("whitened-sq")

    def build(commitment: str, into: Workspace) -> dict[str, str]:
        compile_circuit(
            detector,
            into,
            te.train,
            config.with_commitment(commitment),
            contract_name="PytestKeyCacheVerifier",
            verifier_dir=TEST_GENERATED_DIR,
            echo=lambda _m: None,
        )
        return {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in keys(into).items()}

    def keys(into: Workspace):  # type: ignore[no-untyped-def]
        return {"pk.key": into.pk, "vk.key": into.vk}

    cache = tmp_path / "keys"
    try:
        with configured(key_cache=cache):
            workspace = Workspace.at(tmp_path / "ws")
            detector.save(workspace)
            first = build("kzg", workspace)
            (entry,) = [p for p in cache.iterdir() if p.is_dir()]
            build("poseidon", workspace)  # another circuit into the same workspace: a setup
            cached = {k: hashlib.sha256((entry / k).read_bytes()).hexdigest() for k in first}
            assert cached == first
            again = Workspace.at(tmp_path / "again")
            detector.save(again)
            assert build("kzg", again) == first  # the first circuit, keys from the cache
    finally:
        (TEST_GENERATED_DIR / "PytestKeyCacheVerifier.sol").unlink(missing_ok=True)
