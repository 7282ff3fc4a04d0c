"""Model acceptance with real EZKL proofs (``zkalert accept``).

The regulator draws reference windows, the operator proves a small detector's scores on
them, the regulator checks the bundle through the real command line; then the operator's
cheats, each found: a proof of another window at a reference position (it verifies: only the
commitment shows it), an altered proof, a missing proof, another model's key; an acceptance
proof sent to an AlertRegistry on anvil is refused. The KZG-committed circuit's commitments
are recomputed too.

The detector reads 8 Tennessee Eastman columns through an (8, 4) code; its Poseidon circuit
proves B = 2 windows per proof (logrows 12). The reference set has 7 windows (3 normal, 4 of
faults 1 and 6), so its last proof carries one padding window.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import OWNER_KEY

from zkalert.config import PROJECT_ROOT, TEST_GENERATED_DIR, Workspace
from zkalert.data.source import DataSource, load
from zkalert.detector.model import TrainConfig, train
from zkalert.detector.quality import binary_metrics
from zkalert.errors import AcceptanceError, ChainError, DataError, RevertedError
from zkalert.services.acceptance import (
    ACCEPTANCE_GATEWAY,
    BUNDLE_MANIFEST,
    acceptance_binding,
    acceptance_stream,
    build_reference,
    load_bundle,
    load_reference,
    prove_reference,
)
from zkalert.services.acceptance_check import CheckOptions, check_bundle
from zkalert.zk.circuit import CircuitConfig, compile_circuit
from zkalert.zk.commitment import quantize_window
from zkalert.zk.prover import ProvenWindow, Prover
from zkalert.zk.statement import binding_of

COLUMNS = [f"XMEAS({i})" for i in range(1, 9)]
EXIT_ERROR, EXIT_FINDINGS = 1, 2

ezkl = pytest.mark.ezkl
slow = pytest.mark.slow


def zkalert(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("ZKALERT_DEBUG", None)
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


# ---------------------------------------------------------------------- the reference set


@pytest.fixture(scope="module")
def te_plant():
    return load(DataSource())


def test_a_reference_set_is_drawn_from_its_seed_and_spread_over_the_faults(te_plant, tmp_path):
    reference = build_reference(te_plant, seed=5, normal=6, anomalous=10, faults=[1, 2, 6, 7])
    again = build_reference(te_plant, seed=5, normal=6, anomalous=10, faults=[1, 2, 6, 7])
    other = build_reference(te_plant, seed=6, normal=6, anomalous=10, faults=[1, 2, 6, 7])
    assert reference.id == again.id and np.array_equal(reference.windows, again.windows)
    assert other.id != reference.id
    assert int(reference.labels.sum()) == 10 and len(reference) == 16
    # normal windows come from d00_te, anomalous ones from the faults' rows after onset
    normal = reference.labels == 0
    assert set(reference.groups[normal]) == {0}
    assert all(o.startswith("d00_te.dat") for o, n in zip(reference.origins, normal) if n)
    fault_rows = [int(o.split()[-1]) for o, n in zip(reference.origins, normal) if not n]
    assert min(fault_rows) >= 160
    per_fault = {g: int(np.sum(reference.groups == g)) for g in (1, 2, 6, 7)}
    assert sorted(per_fault.values()) == [2, 2, 3, 3]  # 10 over 4 faults
    assert reference.selection["per_fault"] == {str(k): v for k, v in per_fault.items()}
    # the windows are shuffled: positions say nothing about labels
    assert not np.array_equal(reference.labels, np.sort(reference.labels))

    path = tmp_path / "reference.json"
    labelled, copy = reference.save(path)
    assert load_reference(labelled).id == reference.id
    text = copy.read_text()
    assert '"label"' not in text and '"origin"' not in text and "_te.dat row" not in text
    operator = load_reference(copy)
    assert not operator.labelled and operator.id == reference.id
    assert np.array_equal(operator.windows, reference.windows)

    # a label flipped after the fact: the file no longer hashes to its id
    data = json.loads(labelled.read_text())
    data["windows"][0]["label"] = 1 - data["windows"][0]["label"]
    labelled.write_text(json.dumps(data))
    with pytest.raises(AcceptanceError, match="does not hash to its id"):
        load_reference(labelled)


def test_bad_reference_choices_are_refused_in_one_line(te_plant):
    with pytest.raises(AcceptanceError, match="faults are 1..21"):
        build_reference(te_plant, seed=0, faults=[0, 22])
    with pytest.raises(
        AcceptanceError, match="961 normal windows asked for, the test data has 960"
    ):
        build_reference(te_plant, seed=0, normal=961)
    with pytest.raises(AcceptanceError, match="needs windows"):
        build_reference(te_plant, seed=0, normal=0, anomalous=0)


def test_a_plants_labelled_file_gives_a_reference_set_from_its_test_split(tmp_path):
    from zkalert.lab.plant import synthetic_plant

    plant_file = synthetic_plant(tmp_path / "plant.csv")
    plant = load(plant_file.source())
    reference = build_reference(plant, seed=0, normal=5, anomalous=3)
    assert reference.columns == plant_file.sensors and len(reference) == 8
    assert reference.group_names == {0: "normal", 1: "anomalous"}
    assert np.array_equal(reference.groups, reference.labels)
    # every window is a row of the test split (the last rows in time order), labelled as it is
    rows = [int(o.removeprefix("plant.csv row ")) for o in reference.origins]
    assert set(rows) <= set(plant.test.rows.tolist())
    for row, label in zip(rows, reference.labels):
        assert label == int(plant.test.labels[plant.test.rows.tolist().index(row)])
    with pytest.raises(AcceptanceError, match="a plant's file has none"):
        build_reference(plant, seed=0, faults=[1])
    unlabelled = load(plant_file.source(label_column=None))
    with pytest.raises(AcceptanceError, match="needs labelled windows"):
        build_reference(unlabelled, seed=0, normal=5, anomalous=3)


def test_the_acceptance_binding_is_no_gateways():
    """Acceptance proofs are bound to the zero address, which sends no transaction: no
    registry's bindingOf(msg.sender, ...) equals theirs."""
    name, stream = acceptance_stream("ab" * 32)
    binding = acceptance_binding("ab" * 32, 5)
    assert binding.gateway == ACCEPTANCE_GATEWAY and int(ACCEPTANCE_GATEWAY, 16) == 0
    assert name == "zkalert-acceptance/" + "ab" * 32 and binding.stream == stream
    owner = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert binding.tags(1)[0] == binding_of(ACCEPTANCE_GATEWAY, stream, 5)
    assert binding.tags(1)[0] != binding_of(owner, stream, 5)
    # another reference set's windows at the same positions are bound elsewhere
    assert acceptance_binding("cd" * 32, 5).tags(1) != binding.tags(1)


# ---------------------------------------------------------------------- real proofs


@pytest.fixture(scope="module")
def detector_data():
    plant = load(DataSource(columns=COLUMNS))
    detector = train(
        plant.train,
        plant.validation.windows,
        plant.validation.labels,
        TrainConfig(epochs=10, hidden=(8, 4)),
        progress=False,
    )
    detector.trained_on(plant.source, plant.columns)
    return detector, plant


def _compiled(root: Path, detector, plant, commitment: str, size: int, name: str):
    workspace = Workspace.at(root)
    detector.save(workspace)
    info = compile_circuit(
        detector,
        workspace,
        plant.train,
        CircuitConfig().with_commitment(commitment),
        name,
        verifier_dir=TEST_GENERATED_DIR,
        echo=lambda _m: None,
        windows_per_proof=size,
    )
    return workspace, info


@pytest.fixture(scope="module")
def model(tmp_path_factory, detector_data):
    detector, plant = detector_data
    workspace, info = _compiled(
        tmp_path_factory.mktemp("accept-model"),
        detector,
        plant,
        "poseidon",
        2,
        "PytestAcceptVerifier",
    )
    yield workspace, detector, info
    (TEST_GENERATED_DIR / "PytestAcceptVerifier.sol").unlink(missing_ok=True)


@pytest.fixture(scope="module")
def flow(model, tmp_path_factory):
    """reference -> prove -> check, each through the real command line."""
    workspace, _, info = model
    folder = tmp_path_factory.mktemp("accept-flow")
    made = zkalert(
        "accept", "reference", "--out", str(folder / "reference.json"), "--seed", "3",
        "--normal", "3", "--anomalous", "4", "--faults", "1,6", "--model-id", info.model_id,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    proved = zkalert(
        "accept", "prove", str(folder / "reference.windows.json"), "--workdir",
        str(workspace.root), "--out", str(folder / "bundle"),
    )  # fmt: skip
    assert proved.returncode == 0, proved.stderr
    checked = zkalert(
        "accept", "check", str(folder / "reference.json"), str(folder / "bundle"),
        "--out", str(folder / "report"),
    )  # fmt: skip
    return folder, made, proved, checked


@ezkl
@slow
def test_the_proven_figures_are_the_float_models_where_decisions_agree(model, flow):
    _, detector, info = model
    folder, made, proved, checked = flow
    assert "reference set" in made.stdout and "reference.windows.json" in made.stdout
    # progress with an estimate of the time left, one line per proof
    progress = [line for line in proved.stderr.splitlines() if line.startswith("proof ")]
    assert len(progress) == 4 and all("left" in line for line in progress), proved.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("PASS: 7 of 7 reference windows verified")

    report = json.loads((folder / "report" / "report.json").read_text())
    assert (
        (folder / "report" / "report.md")
        .read_text()
        .startswith(f"# Model acceptance of {info.model_id}: PASS")
    )
    assert report["acceptance"]["verdict"] == "PASS" and report["findings"] == []
    assert report["summary"] == {
        "verified": 7, "invalid": 0, "proof-missing": 0, "windows": 7, "padding": 1,
        "verified_within_one_step": 0,
    }  # fmt: skip
    assert [p["status"] for p in report["padding"]] == ["verified"]
    assert report["material"]["model_id"] == info.model_id
    assert report["acceptance"]["threshold_felt"] == str(info.threshold_felt)

    # the float model's own figures on the same windows, computed here from the detector
    reference = load_reference(folder / "reference.json")
    floats = detector.score(reference.matrix_for(COLUMNS, 8, "test"))
    float_alarm = floats >= detector.threshold
    rows = report["windows"]
    felts = np.array([r["proven_score_felt"] for r in rows])
    proven_alarm = felts >= info.threshold_felt
    assert [r["proven_alarm"] for r in rows] == proven_alarm.tolist()
    for r, expected in zip(rows, floats):  # each proven score is the float score, to fixed point
        assert r["proven_score"] == pytest.approx(expected, rel=0.01, abs=0.01)
        assert r["float_score"] == pytest.approx(expected, rel=1e-6)
    # the decisions agree on every window, and the report says so
    assert (proven_alarm == float_alarm).all()
    assert report["agreement"]["agreement"] == 1.0 and report["agreement"]["differing"] == 0
    # so the proven figures are the float model's
    expected = binary_metrics(floats, reference.labels, detector.threshold)
    for key in ("recall", "false_positive_rate", "precision", "confusion"):
        assert report["proven"][key] == expected[key], key
    assert report["proven"]["roc_auc"] == pytest.approx(expected["roc_auc"], abs=1e-9)
    assert report["proven"]["detection_rate"] == expected["recall"]
    assert report["proven"]["false_alarm_rate"] == expected["false_positive_rate"]
    assert report["proven"]["anomalous_windows"] == 4 and report["proven"]["normal_windows"] == 3
    assert {g["group"] for g in report["groups"]} == {"normal", "fault 1", "fault 6"}


@ezkl
@slow
def test_accept_run_does_all_three_on_the_workspaces_model_on_an_embedded_cluster_of_two(
    model, tmp_path
):
    workspace, _, info = model
    out = zkalert(
        "accept", "run", "--workdir", str(workspace.root), "--seed", "2", "--normal", "2",
        "--anomalous", "2", "--faults", "6", "--workers", "2", "--out", str(tmp_path / "run"),
        "--min-detection-rate", "1.0",
    )  # fmt: skip
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["summary"]["verified"] == 4 and report["proving"]["workers"] == 2
    assert report["reference"]["issued_for_model"] == info.model_id
    assert report["material"]["srs_source"] == "given (--srs)"
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "bundle", "reference.json", "reference.windows.json", "report.json", "report.md",
    ]  # fmt: skip
    # the bound asked for is checked against the proven detection rate
    met = report["proven"]["detection_rate"] == 1.0
    assert report["gates"] == [
        {"figure": "detection rate", "bound": 1.0, "at_least": True,
         "value": report["proven"]["detection_rate"], "met": met},
    ]  # fmt: skip
    assert out.returncode == (0 if met else EXIT_FINDINGS), out.stderr


def _tampered(flow, tmp_path: Path, edit) -> Path:
    """A copy of the flow's bundle with its manifest edited by ``edit(manifest)``."""
    folder = flow[0]
    bundle = tmp_path / "bundle"
    shutil.copytree(folder / "bundle", bundle)
    manifest = json.loads((bundle / BUNDLE_MANIFEST).read_text())
    edit(manifest)
    (bundle / BUNDLE_MANIFEST).write_text(json.dumps(manifest))
    return bundle


@ezkl
@slow
def test_a_proof_of_another_window_at_a_reference_position_is_found(model, flow, tmp_path):
    """The operator proves a window of its choosing for position 0: the proof verifies and is
    bound to position 0, only its commitment is not the reference window's."""
    workspace, detector, info = model
    folder = flow[0]
    reference = load_reference(folder / "reference.json")
    chosen = reference.labels.tolist().index(1)  # an anomalous window: swapped for a calm one
    calm = load(DataSource(columns=COLUMNS)).test.windows[:1]  # d00_te row 0
    mine = reference.matrix_for(COLUMNS, 8, "test")[
        chosen - chosen % 2 : chosen - chosen % 2 + 2
    ].copy()
    mine[chosen % 2] = calm[0]
    first = chosen - chosen % 2
    proven = Prover(workspace).prove(
        detector.scale(mine), "swap", acceptance_binding(reference.id, first)
    )
    assert Prover(workspace).verify_offchain(proven)  # a valid proof, of the wrong window

    def swap(manifest):
        entry = manifest["proofs"][first // 2]
        entry["proof"] = "0x" + proven.proof.hex()
        entry["instances"] = [hex(v) for v in proven.instances]
        entry["inputs"] = [
            quantize_window(w, info.input_scale, "F32") for w in detector.scale(mine)
        ]

    bundle = _tampered(flow, tmp_path, swap)
    out = zkalert(
        "accept",
        "check",
        str(folder / "reference.json"),
        str(bundle),
        "--out",
        str(tmp_path / "report"),
    )
    assert out.returncode == EXIT_FINDINGS, out.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["acceptance"]["verdict"] == "FAIL"
    row = report["windows"][chosen]
    assert row["status"] == "invalid"
    assert "is not that of reference window" in row["detail"] and "verify" not in row["detail"]
    assert report["windows"][first + 1 - chosen % 2]["status"] == "verified"
    assert any(f.startswith(f"window {chosen} (") for f in report["findings"])
    assert f"finding: window {chosen} (" in out.stderr


@ezkl
@slow
def test_an_altered_proof_or_score_and_a_missing_proof_are_findings(model, flow):
    folder = flow[0]
    reference = load_reference(folder / "reference.json")
    bundle = load_bundle(folder / "bundle")
    first = bundle.proofs[1]
    flipped = bytearray(first.proof)
    flipped[200] ^= 1
    raised = list(first.instances)
    raised[2] += 1_000  # window 2's score (instances: c1 c2 s1 s2 limbs)
    tampered = replace(
        bundle,
        proofs=(
            bundle.proofs[0],
            replace(first, proof=bytes(flipped)),
            replace(bundle.proofs[2], instances=tuple(raised)),
        ),  # the last proof (windows 6 and the padding) is left out
    )
    report = check_bundle(reference, tampered)
    status = [r["status"] for r in report["windows"]]
    assert status == [
        "verified",
        "verified",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "proof-missing",
    ]
    assert all("the proof does not verify" in r["detail"] for r in report["windows"][2:6])
    assert report["summary"]["verified"] == 2 and report["acceptance"]["verdict"] == "FAIL"
    assert "1 reference window(s) without a proof: positions 6" in report["findings"]
    # the figures cover the verified windows only
    assert report["proven"]["windows"] == 2


@ezkl
@slow
def test_the_scalers_float_rounding_passes_with_a_note_and_more_does_not(flow):
    """Another machine's float arithmetic may scale a window a hair differently: a commitment the
    operator's declared input reproduces, at most one fixed-point step from the regulator's own
    quantization, passes with a note; a window scaled further off does not."""
    from zkalert.data.loaders import Scaler

    folder = flow[0]
    reference, bundle = load_reference(folder / "reference.json"), load_bundle(folder / "bundle")
    scaler = bundle.scaler
    assert scaler.rotation is not None  # whitened: every output moves with input column 0

    def shifted(steps: float) -> Scaler:
        mean = scaler.mean.copy()
        mean[0] += steps / 1024 * scaler.std[0] / np.abs(scaler.rotation[0]).max()
        return Scaler(mean, scaler.std, scaler.rotation)

    near = check_bundle(reference, replace(bundle, scaler=shifted(0.45)))
    assert near["acceptance"]["verdict"] == "PASS", near["findings"]
    noted = near["summary"]["verified_within_one_step"]
    assert noted > 0 and noted == sum(
        "one fixed-point step off" in r["detail"] for r in near["windows"]
    )
    far = check_bundle(reference, replace(bundle, scaler=shifted(5.0)))
    assert far["summary"]["invalid"] == 7
    assert all("is not that of reference window" in r["detail"] for r in far["windows"])


@ezkl
@slow
def test_a_model_that_never_alarms_or_always_alarms_is_a_finding(model, flow):
    """Every proof verifies, yet a threshold no score reaches (or every score reaches) is no
    detector: the check says so, at the threshold the regulator gives (the registered one)."""
    folder = flow[0]
    reference, bundle = load_reference(folder / "reference.json"), load_bundle(folder / "bundle")
    never = check_bundle(reference, bundle, CheckOptions(threshold_felt=10**12))
    assert never["summary"]["verified"] == 7 and never["acceptance"]["verdict"] == "FAIL"
    assert never["acceptance"]["threshold_source"] == "given (--threshold)"
    assert never["proven"]["detection_rate"] == 0.0
    assert never["findings"] == [
        "the model raised no alarm on any of the 4 anomalous reference windows it was proven on"
    ]
    always = check_bundle(
        reference, bundle, CheckOptions(threshold_felt=0, max_false_alarm_rate=0.5)
    )
    assert always["proven"]["false_alarm_rate"] == 1.0
    assert always["findings"] == [
        "the model alarmed on every one of the 3 normal reference windows",
        "proven false-alarm rate 1.0000, the regulator asks at most 0.5000",
    ]


@ezkl
@slow
def test_proving_again_reuses_the_proofs_already_made(model, flow, tmp_path):
    workspace = model[0]
    reference = load_reference(flow[0] / "reference.windows.json")
    again = prove_reference(workspace, reference, tmp_path / "again")
    assert again.meta["proving"]["cached"] == 4 and again.meta["proving"]["proven_now"] == 0
    first = load_bundle(flow[0] / "bundle")
    assert [p.proof for p in again.proofs] == [p.proof for p in first.proofs]
    with pytest.raises(AcceptanceError, match="exists: pass --force"):
        prove_reference(workspace, reference, tmp_path / "again")


@ezkl
@slow
def test_bad_input_is_refused_in_one_line_and_writes_nothing(model, flow, kzg_model, tmp_path):
    workspace, _, info = model
    folder = flow[0]
    ref, bundle = str(folder / "reference.json"), str(folder / "bundle")
    report = tmp_path / "report"
    refused(
        zkalert("accept", "check", ref, bundle, "--vk", str(kzg_model[0].vk), "--out", str(report)),
        f"the bundle's proofs are for model {info.model_id}, but the verifying key",
    )
    refused(
        zkalert(
            "accept", "check", str(folder / "reference.windows.json"), bundle, "--out", str(report)
        ),
        "is the operator's copy (no labels)",
    )
    with pytest.raises(AcceptanceError, match="not an acceptance bundle"):
        load_bundle(tmp_path)
    # a reference set of other columns (another plant's width): prove and check refuse it
    other = build_reference(
        load(DataSource(columns=[f"XMEAS({i})" for i in range(20, 30)])),
        seed=1,
        normal=3,
        anomalous=4,
    )
    path, _ = other.save(tmp_path / "other.json")
    refused(
        zkalert(
            "accept",
            "prove",
            str(path),
            "--workdir",
            str(workspace.root),
            "--out",
            str(tmp_path / "b"),
        ),
        "its windows lack 8 of the 8 columns the detector reads (XMEAS(1), XMEAS(2)",
    )
    with pytest.raises(DataError, match="lack 8 of the 8 columns"):
        check_bundle(
            replace(other, id=load_bundle(folder / "bundle").reference_id),
            load_bundle(folder / "bundle"),
        )
    with pytest.raises(AcceptanceError, match="the bundle was made for reference set"):
        check_bundle(other, load_bundle(folder / "bundle"))
    with pytest.raises(AcceptanceError, match="not 0x" + "11" * 32):
        check_bundle(
            load_reference(folder / "reference.json"),
            load_bundle(folder / "bundle"),
            CheckOptions(model_id="0x" + "11" * 32),
        )
    refused(
        zkalert(
            "accept",
            "prove",
            ref,
            "--workdir",
            str(kzg_model[0].root),
            "--out",
            str(tmp_path / "b"),
        ),
        f"the reference set was issued for model {info.model_id}",
    )
    refused(zkalert("accept", "reference", "--faults", "x"), "--faults must be numbers")
    assert not report.exists() and not (tmp_path / "b").exists()


@pytest.mark.anvil
@ezkl
@slow
def test_an_acceptance_proof_is_never_recorded_as_an_alert(model, flow, anvil_url, w3, isolated):
    from zkalert.evm.registry import Gateway, ModelSpec, deploy

    _, _, info = model
    bundle = load_bundle(flow[0] / "bundle")
    entry = bundle.proofs[0]
    proven = ProvenWindow(Path("acceptance"), entry.proof, entry.instances, float("nan"), 0.0, 0.0)
    deployment = deploy(ModelSpec.of(info), anvil_url, key=OWNER_KEY)
    gateway = Gateway(w3, deployment, key=OWNER_KEY)
    # the acceptance stream itself, opened for this gateway: the binding names the zero address
    name, stream = acceptance_stream(bundle.reference_id)
    with pytest.raises(ChainError, match="not sent"):
        gateway.submit(stream, info.model_id, proven, index=0)
    with pytest.raises(RevertedError, match=r"AlertRegistryBindingMismatch\(window=0, "):
        gateway.submit(stream, info.model_id, proven, index=0, check=False)
    with pytest.raises(RevertedError, match=r"AlertRegistryBindingMismatch\(window=0, "):
        gateway.submit(acceptance_stream("00" * 32)[1], info.model_id, proven, index=0, check=False)
    assert gateway.registry.functions.count(stream).call() == 0
    assert name.startswith("zkalert-acceptance/")


# ---------------------------------------------------------------------- KZG commitments


@pytest.fixture(scope="module")
def kzg_model(tmp_path_factory, detector_data):
    detector, plant = detector_data
    workspace, info = _compiled(
        tmp_path_factory.mktemp("accept-kzg"), detector, plant, "kzg", 1, "PytestAcceptKzgVerifier"
    )
    yield workspace, info
    (TEST_GENERATED_DIR / "PytestAcceptKzgVerifier.sol").unlink(missing_ok=True)


@ezkl
@slow
def test_kzg_commitments_are_recomputed_from_the_reference_windows(
    kzg_model, detector_data, te_plant, tmp_path
):
    workspace, info = kzg_model
    detector, _ = detector_data
    reference = build_reference(
        te_plant, seed=11, normal=1, anomalous=1, faults=[6], model_id=info.model_id
    )
    bundle = prove_reference(workspace, reference, tmp_path / "bundle", workers=1)
    assert bundle.commitment == "kzg" and len(bundle.proofs) == 2
    report = check_bundle(
        reference, load_bundle(tmp_path / "bundle"), CheckOptions(srs=Path(info.srs_path))
    )
    assert report["acceptance"]["verdict"] == "PASS", report["findings"]
    assert report["acceptance"]["commitment"] == "kzg"

    # window 1 proven in place of window 0 (bound to position 0): a valid proof, the wrong point
    raw = reference.matrix_for(COLUMNS, 8, "test")
    swapped = Prover(workspace).prove(
        detector.scale(raw[1:2]), "kzg-swap", acceptance_binding(reference.id, 0)
    )
    first = bundle.proofs[0]
    forged = replace(
        bundle,
        proofs=(replace(first, proof=swapped.proof, instances=swapped.instances), bundle.proofs[1]),
    )
    report = check_bundle(reference, forged, CheckOptions(srs=Path(info.srs_path)))
    assert [r["status"] for r in report["windows"]] == ["invalid", "verified"]
    assert "is not that of reference window 0" in report["windows"][0]["detail"]
