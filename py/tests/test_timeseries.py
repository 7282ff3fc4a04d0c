"""Time-series mode: EKF maths, the committed real TC/SC proofs on a real anvil, attacks, the audit.

The chain tests use test/fixtures/ts (real EZKL proofs, `make fixtures-ts`) and their generated
verifiers; the pipeline test builds a tiny real circuit (D = 1, windows of 2 steps) and proves one
window, so the whole path store -> witness -> proof -> chain is exercised on fresh keys too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
import torch
from conftest import FIXTURES, OTHER_KEY
from eth_utils import keccak
from web3 import Web3

from zkalert.config import PROJECT_ROOT, Workspace
from zkalert.errors import ChainError, TooManyRecords
from zkalert.evm.rpc import RevertedError
from zkalert.lab.timeseries.demo import format_audit
from zkalert.timeseries.audit import audit, match_rotations
from zkalert.timeseries.chain import ModelParams, TsGateway, deploy
from zkalert.timeseries.circuits import Proof, pass_commitment, reset_commitments
from zkalert.timeseries.ekf import EKFConfig, EKFModel, ekf_step, train
from zkalert.timeseries.graphs import TemporalConsistency

pytestmark = [pytest.mark.anvil, pytest.mark.ezkl, pytest.mark.slow]

TS_FIXTURES = FIXTURES / "ts"
STREAM = Web3.keccak(text="te/reactor/fault-04")


def _proof(name: str) -> Proof:
    data = json.loads((TS_FIXTURES / f"{name}.json").read_text())
    return Proof(
        TS_FIXTURES / f"{name}.json",
        bytes.fromhex(data["proof"][2:]),
        tuple(int(v, 16) for v in data["instances"]),
        0.0,
    )


@pytest.fixture(scope="module")
def model_json() -> dict:
    return json.loads((TS_FIXTURES / "model.json").read_text())


# ---------------------------------------------------------------- maths (no EZKL)


def test_jacobians_match_autodiff() -> None:
    torch.manual_seed(3)
    model = EKFModel(4, 4, 4)
    with torch.no_grad():
        model.b1.copy_(torch.randn(4))
        model.c1.copy_(torch.randn(4))
    for _ in range(5):
        x = torch.randn(4, dtype=torch.float64)
        assert torch.allclose(model.F(x), torch.func.jacrev(model.f)(x), atol=1e-12)
        assert torch.allclose(model.H(x), torch.func.jacrev(model.h)(x), atol=1e-12)


def test_the_ucl_is_the_quantile_of_held_out_normal_windows(tmp_path: Path) -> None:
    """The filter is fitted on the first 70 % of the normal run; the UCL is the 99th percentile of
    T² over the windows of the other 30 %, which no fitting saw; a detector saved before this
    field existed loads as calibrated on its fitted rows (and fitted without the window term)."""
    import numpy as np

    from zkalert.data.loaders import load_te_file
    from zkalert.errors import DetectorError
    from zkalert.timeseries.ekf import Detector, t2_statistic

    detector = train(EKFConfig(window_steps=4, epochs=5), progress=False)
    assert detector.training["rows"] == 350 and detector.training["calibration_rows"] == 150
    assert detector.training["windows_for_ucl"] == 150 - 4 + 1
    trajectory = detector.run(detector.measurements(load_te_file("d00.dat")))
    held_out = [
        t2_statistic(trajectory.residuals[s : s + 4].sum(0), trajectory.S[s : s + 4].sum(0))
        for s in range(350, 500 - 4 + 1)
    ]
    # from the detector's x0 and P0 over the whole run, as training ran it
    assert detector.ucl == pytest.approx(float(np.quantile(held_out, 0.99)), rel=1e-9)
    on_fitted = train(EKFConfig(window_steps=4, epochs=5, calibration_share=0.0), progress=False)
    assert on_fitted.training["calibration_rows"] == 0 and on_fitted.training["rows"] == 500

    for share, needs in ((1.0, "is not in [0, 1)"), (0.99, "leaves 5 to fit")):
        with pytest.raises(DetectorError, match=re.escape(needs)):
            train(EKFConfig(window_steps=4, epochs=1, calibration_share=share), progress=False)

    detector.save(tmp_path / "new")
    loaded = Detector.load(tmp_path / "new").config
    assert (loaded.calibration_share, loaded.window_weight) == (0.3, 1.0)
    meta = json.loads((tmp_path / "new" / "ekf.json").read_text())
    del meta["config"]["calibration_share"], meta["config"]["window_weight"]
    (tmp_path / "new" / "ekf.json").write_text(json.dumps(meta))
    older = Detector.load(tmp_path / "new").config
    assert (older.calibration_share, older.window_weight) == (0.0, 0.0)


def test_training_fits_the_window_sums_the_detector_is_judged_by() -> None:
    """The training loss's window term is the likelihood of each window's (Σ r, Σ S), the pair
    the T² statistic is made of, as the float run computes them; a weight that cannot apply is
    refused by name."""
    import numpy as np

    from zkalert.data.loaders import load_te_file
    from zkalert.errors import DetectorError
    from zkalert.timeseries.ekf import _sequence_nll

    detector = train(EKFConfig(window_steps=4, epochs=5), progress=False)
    assert np.isfinite(detector.training["window_nll"])
    ys = detector.measurements(load_te_file("d00.dat"))[:12]
    trajectory = detector.run(ys)
    step_nll, window_nll = _sequence_nll(
        detector.model,
        torch.as_tensor(ys)[None],
        torch.as_tensor(detector.x0),
        torch.as_tensor(detector.P0),
        4,
    )

    def nll(r: np.ndarray, S: np.ndarray) -> float:
        return 0.5 * float(np.linalg.slogdet(S)[1] + r @ np.linalg.solve(S, r))

    windows = [
        nll(trajectory.residuals[s : s + 4].sum(0), trajectory.S[s : s + 4].sum(0))
        for s in (0, 4, 8)
    ]
    steps = [nll(r, S) for r, S in zip(trajectory.residuals, trajectory.S, strict=True)]
    assert float(window_nll) == pytest.approx(np.mean(windows), rel=1e-9)
    assert float(step_nll) == pytest.approx(np.mean(steps), rel=1e-9)

    for config, needs in (
        (EKFConfig(window_steps=4, epochs=1, window_weight=-1.0), "window weight -1.0 needs"),
        (EKFConfig(window_steps=40, epochs=1), "sequences of 32 steps to hold a window of 40"),
    ):
        with pytest.raises(DetectorError, match=re.escape(needs)):
            train(config, progress=False)


def test_detection_figures_and_the_plant_rule() -> None:
    """Rates, the first alarm's delay (at the end of the first alarming window after row 160) and
    pre-fault alarms of one run; the plant alarm of a window is any subsystem's held alarm, or
    two of them."""
    import numpy as np

    from zkalert.lab.timeseries.detection import _fault_figures, plant
    from zkalert.timeseries.plant import PlantRule

    alarms = np.zeros(60, dtype=bool)
    alarms[[3, 12, 13, 40]] = True  # window 10 is the first in the fault (rows 160-175)
    figures = _fault_figures(alarms, 16)
    assert figures["windows_before_fault"] == 10 and figures["alarms_before_fault"] == 1
    assert figures["detection_rate"] == pytest.approx(3 / 50)
    assert figures["first_alarm_delay_min"] == (13 * 16 - 160) * 3  # window 12 ends at row 208
    assert _fault_figures(np.zeros(60, dtype=bool), 16)["first_alarm_delay_min"] is None

    a, b, c = (np.array(v, dtype=bool) for v in ([1, 0, 0, 1], [0, 0, 1, 1], [0, 0, 1, 0, 1]))
    assert plant([a, b, c], PlantRule(1, "any")).tolist() == [True, False, True, True]
    assert plant([a, b, c], PlantRule(1, "two")).tolist() == [False, False, True, True]
    # on-delay 2: a subsystem holds an alarm from its second alarming window in a row
    assert plant([a, b, c], PlantRule(2, "any")).tolist() == [False, False, False, True]
    assert plant([a, b, c], PlantRule(2, "two")).tolist() == [False, False, False, False]


def test_tc_graph_is_the_float_ekf() -> None:
    """The module exported to ONNX computes the same D steps as the float reference."""
    torch.manual_seed(4)
    model = EKFModel(4, 4, 4)
    graph = TemporalConsistency(model, steps=3, krc_epsilon=2**-6).double()
    x = torch.randn(4, dtype=torch.float64)
    P = torch.eye(4, dtype=torch.float64) * 0.3
    ys = torch.randn(3, 4, dtype=torch.float64)
    xs, Ps, rsum, Ssum, gains, patterns = (
        x,
        P,
        torch.zeros(4, dtype=torch.float64),
        torch.zeros(4, 4, dtype=torch.float64),
        [],
        [],
    )
    with torch.no_grad():
        for y in ys:
            patterns.append(
                torch.cat(
                    [xs @ model.W1.T + model.b1 > 0, model.f(xs) @ model.V1.T + model.c1 > 0]
                ).double()
            )
            step = ekf_step(model, xs, Ps, y)
            xs, Ps, rsum, Ssum = step.x, step.P, rsum + step.residual, Ssum + step.S
            gains.append(step.K)
        nonce = torch.arange(6, dtype=torch.float64)
        state_in = torch.cat([x, P.ravel(), nonce]).unsqueeze(0)
        acc_in = torch.cat([torch.full((20,), 7.0, dtype=torch.float64), nonce]).unsqueeze(
            0
        )  # reset zeroes it
        block = torch.cat(
            [
                ys.ravel(),
                torch.stack(gains).ravel(),
                torch.stack(patterns).ravel(),
                nonce + 10,
                nonce + 20,
            ]
        ).unsqueeze(0)
        state_out, acc_out, krc_ok = graph(
            state_in, acc_in, block, torch.ones(1, 1, dtype=torch.float64)
        )
    assert torch.allclose(state_out[0, :4], xs, atol=1e-9) and torch.allclose(
        state_out[0, 4:20], Ps.ravel(), atol=1e-9
    )
    assert torch.equal(state_out[0, 20:], nonce + 10), "the fresh state nonce travels to the output"
    assert torch.allclose(acc_out[0, :4], rsum, atol=1e-9) and torch.allclose(
        acc_out[0, 4:20], Ssum.ravel(), atol=1e-9
    )
    assert krc_ok.item() == 1.0
    P_out = state_out[0, 4:20].reshape(4, 4)
    assert torch.equal(P_out, P_out.T), (
        "covariances are computed on their upper triangle and mirrored"
    )
    block_soft = block.clone()
    block_soft[0, 12 + 48 : 12 + 48 + 24] = (
        0.1 + 0.8 * block[0, 12 + 48 : 12 + 48 + 24]
    )  # 0.1 / 0.9: read as bits 0 / 1
    assert torch.allclose(
        graph(state_in, acc_in, block_soft, torch.ones(1, 1, dtype=torch.float64))[0],
        state_out,
        atol=0,
    )
    block_bad = block.clone()
    block_bad[0, 12:28] *= 2  # forged gains of step 1
    assert (
        graph(state_in, acc_in, block_bad, torch.ones(1, 1, dtype=torch.float64))[2].item() == 0.0
    )
    with torch.no_grad():
        z = x @ model.W1.T + model.b1
        unit = int(torch.argmax(z.abs()))  # clearly on one side of the kink
        block_flip = block.clone()
        block_flip[0, 12 + 48 + unit] = (
            1 - block_flip[0, 12 + 48 + unit]
        )  # a false activation bit at step 0
        assert (
            graph(state_in, acc_in, block_flip, torch.ones(1, 1, dtype=torch.float64))[2].item()
            == 0.0
        )


def test_fixture_constants_are_the_circuit_constants(model_json: dict) -> None:
    reset, keep = reset_commitments(12)
    assert int(model_json["krc_pass"], 16) == pass_commitment()
    assert (int(model_json["reset"], 16), int(model_json["continue"], 16)) == (reset, keep)
    assert _proof("tc0").instances[3] == reset and _proof("tc1").instances[3] == keep
    assert _proof("tc0").instances[6] == pass_commitment()
    assert _proof("tc2_badgain").instances[6] != pass_commitment()


def test_fixture_chain_links_state_and_accumulator(model_json: dict) -> None:
    chain = [_proof(f"tc{k}") for k in range(4)]
    assert chain[0].instances[0] == int(model_json["genesis_state"], 16)
    for prev, nxt in pairwise(chain):
        assert prev.instances[4] == nxt.instances[0] and prev.instances[5] == nxt.instances[1]
    assert (
        _proof("sc0").instances[0] == chain[1].instances[5]
        and _proof("sc1").instances[0] == chain[3].instances[5]
    )


# ---------------------------------------------------------------- the registry on a real anvil


@pytest.fixture(scope="module")
def ts_deployment(anvil_url: str, model_json: dict):
    params = ModelParams(
        model_json["model_id"],
        "TsFixtureTcVerifier",
        "TsFixtureScVerifier",
        int(model_json["krc_pass"], 16),
        int(model_json["reset"], 16),
        int(model_json["continue"], 16),
        model_json["steps_per_interval"],
        model_json["intervals_per_window"],
    )
    deployment, _ = deploy(params, url=anvil_url)
    return deployment


def test_attacks_refused_and_pinpointed_by_the_audit(
    w3: Web3, ts_deployment, model_json: dict, isolated: None
) -> None:
    gateway = TsGateway(w3, ts_deployment)  # owner and gateway: the deployer's account
    stream = Web3.keccak(text=f"te/reactor/fault-04/{w3.eth.block_number}")
    gateway.open_stream(
        stream,
        model_json["model_id"],
        int(model_json["genesis_state"], 16),
        int(model_json["genesis_acc"], 16),
    )
    refused = []

    def attack(expected: str, send) -> None:
        before = gateway.stream(stream)
        with pytest.raises(RevertedError) as info:
            send()
        assert info.value.reason.startswith(expected), info.value.reason
        assert gateway.stream(stream) == before, "a refused submission changed the stream"
        refused.append(expected)

    attack(
        "TimeSeriesRegistryStateLinkBroken",
        lambda: gateway.submit_interval(stream, _proof("tcb0"), mine_refused=True),
    )  # forged
    attack(
        "TimeSeriesRegistryInvalidProof",
        lambda: gateway.submit_interval(stream, _proof("tc0_otherkey"), mine_refused=True),
    )
    gateway.submit_interval(stream, _proof("tc0"))
    attack(
        "TimeSeriesRegistryStateLinkBroken",
        lambda: gateway.submit_interval(stream, _proof("tc2"), mine_refused=True),
    )  # skip
    gateway.submit_interval(stream, _proof("tc1"))
    attack(
        "TimeSeriesRegistryReplay",
        lambda: gateway.submit_interval(stream, _proof("tc0"), mine_refused=True),
    )
    attack(
        "TimeSeriesRegistryStaleState",
        lambda: gateway.submit_interval(stream, _proof("tc0_fork"), mine_refused=True),
    )
    attack(
        "TimeSeriesRegistryKrcCheckFailed",
        lambda: gateway.submit_interval(stream, _proof("tc2_badgain"), mine_refused=True),
    )
    sc0 = _proof("sc0")
    flipped = list(sc0.instances)
    flipped[3] = 1 - flipped[3]
    attack(
        "TimeSeriesRegistryInvalidProof",
        lambda: gateway.submit_window(stream, 0, sc0, tuple(flipped), mine_refused=True),
    )
    attack(
        "TimeSeriesRegistryResidualsNotFromChain",
        lambda: gateway.submit_window(stream, 0, _proof("sc1"), mine_refused=True),
    )
    gateway.submit_window(stream, 0, sc0)
    gateway.submit_interval(stream, _proof("tc2"))
    gateway.submit_interval(stream, _proof("tc3"))
    gateway.submit_window(stream, 1, _proof("sc1"))

    report = audit(w3, ts_deployment, stream)[0]
    assert report.ok, report.to_json()
    assert [w.alarm for w in report.windows] == model_json["alarms"]
    assert all(
        w.tc_verified and w.sc_verified and w.linkage_intact and w.keys_unchanged
        for w in report.windows
    )
    assert [r.error.split("(")[0] for r in report.refused] == refused
    meanings = [r.meaning for r in report.refused]
    assert meanings[0].startswith("a forged state") and meanings[2].startswith("a skipped interval")
    assert report.refusal_scan["complete"] is True and report.refusal_scan["more"] == 0

    # the refusal search is bounded and says so: the last block only finds none of them
    narrow = audit(w3, ts_deployment, stream, scan_blocks=1)[0]
    assert narrow.ok and narrow.refused == []
    assert narrow.refusal_scan == {
        "from_block": w3.eth.block_number,
        "to_block": w3.eth.block_number,
        "complete": False,
        "more": 0,
    }
    # the records the gateway wrote are read up to a bound: a longer history is refused, never held
    with pytest.raises(
        TooManyRecords, match=r"more than 3 IntervalRecorded events from block \d+ .*--max-records"
    ):
        audit(w3, ts_deployment, stream, max_records=3)


def test_plant_view_fuses_proven_alarms_and_keeps_withheld_windows_unknown(
    w3: Web3, ts_deployment, model_json: dict, anvil_url: str, tmp_path: Path, isolated: None
) -> None:
    """Two streams of one plant: the reactor's records are real proofs, its second SC proof first
    withheld; the separator's gateway never submits. A withheld or missing window is unknown,
    never "no alarm"; it decides the plant alarm only where it could change it. A stream named for
    a subsystem its model was not compiled for counts for nothing. The command line and the
    regulator's service show the same view."""
    from zkalert.timeseries.plant import PlantRule, format_plant, plant_view

    gateway = TsGateway(w3, ts_deployment)
    tag = w3.eth.block_number
    names = {"reactor": f"plant-{tag}/reactor", "separator": f"plant-{tag}/separator"}
    genesis_state = int(model_json["genesis_state"], 16)
    genesis_acc = int(model_json["genesis_acc"], 16)
    gateway.open_stream(
        Web3.keccak(text=names["reactor"]), model_json["model_id"], genesis_state, genesis_acc
    )
    # a genesis nobody holds a state for: no interval of it can ever be proven
    gateway.open_stream(
        Web3.keccak(text=names["separator"]), model_json["model_id"], 12345, genesis_acc
    )
    reactor = Web3.keccak(text=names["reactor"])
    for name in ("tc0", "tc1"):
        gateway.submit_interval(reactor, _proof(name))
    gateway.submit_window(reactor, 0, _proof("sc0"))
    for name in ("tc2", "tc3"):
        gateway.submit_interval(reactor, _proof(name))

    def view(rule: PlantRule, plant: tuple[str, ...] = ("reactor", "separator"), **kw):
        reports = {s: audit(w3, ts_deployment, Web3.keccak(text=names[s]))[0] for s in plant}
        return plant_view(reports, rule, **kw)

    assert model_json["alarms"] == [False, True]
    single = PlantRule(1, "any")
    withheld = view(single)
    assert [w.proven for w in withheld.windows] == [
        {"reactor": False, "separator": None},
        {"reactor": None, "separator": None},
    ]
    assert withheld.alarms == [None, None] and not withheld.ok
    assert any(
        p.startswith("reactor (")
        and p.endswith("window 1 unknown: no SC proof recorded for this window")
        for p in withheld.problems
    ), withheld.problems
    assert any(
        p.startswith("separator (") and p.endswith("windows 0-1 unknown: not recorded on chain")
        for p in withheld.problems
    ), withheld.problems
    assert view(single, ("reactor",)).alarms == [False, None]

    gateway.submit_window(reactor, 1, _proof("sc1"))
    alone = view(single, ("reactor",))
    assert alone.alarms == [False, True] and alone.ok, alone.problems
    both = view(single)
    assert both.alarms == [None, True], (
        "the reactor's proven alarm decides whatever the separator hid"
    )
    # two of two: the reactor's quiet window 0 settles it; window 1 waits for the separator's
    assert view(PlantRule(1, "two")).alarms == [False, None]
    # on-delay 2: nobody can hold an alarm at window 0, and window 1 needs the separator's
    assert view(PlantRule(2, "any")).alarms == [False, None]
    assert view(PlantRule(2, "any"), ("reactor",)).alarms == [False, False]
    lines = format_plant(both)
    assert "| 1 | ALARM / ALARM | unknown / unknown | ALARM |" in lines
    assert lines[-1] == "Plant view: INCOMPLETE"

    # the regulator's circuits say the model is a reactor model: named as the separator it counts
    # for nothing; a model none of the circuits make neither
    mid = model_json["model_id"].lower()
    misnamed = plant_view(
        {"separator": audit(w3, ts_deployment, reactor)[0]}, single, {mid: "reactor"}
    )
    assert misnamed.alarms == [None, None]
    assert misnamed.problems[0].endswith(
        f"windows 0-1 unknown: ran model {mid}, compiled for the reactor"
    )
    unknown_model = plant_view({"reactor": audit(w3, ts_deployment, reactor)[0]}, single, {})
    assert unknown_model.alarms == [None, None]

    # the command line: the plant view in the JSON, exit 2 while a window is unknown; a stream the
    # registry never opened is one line
    out = _ts(
        "ts", "audit", "--rpc-url", anvil_url, "--json", "--on-delay", "1",
        "--plant", f"reactor={names['reactor']}", "--plant", f"separator={names['separator']}",
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    plant = json.loads(out.stdout)["plant"]
    assert plant["plant_alarm_windows"] == [1] and plant["unknown_windows"] == [0]
    assert plant["rule"] == {"on_delay": 1, "fusion": "any", "text": single.describe()}
    out = _ts(
        "ts",
        "audit",
        "--rpc-url",
        anvil_url,
        "--on-delay",
        "1",
        "--plant",
        f"reactor={names['reactor']}",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert (
        "Plant view: OK" in out.stdout
        and "Plant alarms at windows: 1; unknown: none." in out.stdout
    )
    out = _ts(
        "ts", "audit", "--rpc-url", anvil_url, "--plant", f"reactor={names['reactor']}",
        "--plant", "stripper=never-opened",
    )  # fmt: skip
    assert out.returncode == 1 and out.stderr.strip().splitlines() == [
        "error: --plant: the registry never opened stripper=never-opened (check the stream names)"
    ], out.stderr

    # the regulator's service: the same view as JSON and as a page; 404 when no plant is named
    from fastapi.testclient import TestClient

    from zkalert.services.regulator import Regulator, RegulatorConfig, create_app

    config = RegulatorConfig(tmp_path / "regulator", anvil_url, plant=names, plant_rule=single)
    with TestClient(create_app(Regulator(config)), raise_server_exceptions=False) as client:
        data = client.get("/api/plant").json()
        assert data["plant"] == both.to_json() and data["circuits_checked"] is False
        assert [(s["subsystem"], s["name"], s["windows"]) for s in data["streams"]] == [
            ("reactor", names["reactor"], 2),
            ("separator", names["separator"], 0),
        ]
        html = client.get("/plant").text
        assert 'class="badge FAIL">INCOMPLETE' in html
        assert '<tr class="alarm" data-window="1">' in html
        assert '<tr class="unknown" data-window="0">' in html
        assert "windows 0-1 unknown: not recorded on chain" in html
    from zkalert.services.page import render_index

    assert '<a href="/plant">' in render_index({}, [], names)  # the front page links to it
    assert "/plant" not in render_index({}, [], {})
    config = RegulatorConfig(tmp_path / "regulator", anvil_url)
    with TestClient(create_app(Regulator(config)), raise_server_exceptions=False) as client:
        answer = client.get("/api/plant")
        assert answer.status_code == 404 and "no plant configured" in answer.text


RIVAL_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # anvil account 2


def _refused(expected: str, send) -> None:
    with pytest.raises(RevertedError) as info:
        send()
    assert info.value.reason.startswith(expected + "("), info.value.reason


def test_a_time_series_registry_of_another_version_is_refused_in_one_line(
    w3: Web3, ts_deployment, monkeypatch
) -> None:
    import zkalert.timeseries.chain as ts_chain

    assert ts_deployment.registry(w3).functions.version().call() == ts_chain.TS_REGISTRY_VERSION
    monkeypatch.setattr(ts_chain, "TS_REGISTRY_VERSION", "9.9.9")
    with pytest.raises(
        ChainError,
        match=r"TimeSeriesRegistry at 0x[0-9a-fA-F]{40} is version 0\.5\.0; this zkalert speaks 9\.9\.9 .*run `zkalert ts deploy`",
    ):
        ts_deployment.registry(w3)


def test_match_rotations_needs_an_approval_of_exactly_that_rotation_since_the_last_one() -> None:
    m1, m2 = b"\x01" * 32, b"\x02" * 32
    approvals = [(10, 0, m1, 5, 6), (30, 0, m2, 7, 8)]
    rotations = [(11, 0, m1, 5, 6), (20, 0, m1, 5, 6), (31, 0, m2, 7, 9)]
    # the first is approved; the second reuses a used-up approval; the third differs in its accumulator
    assert match_rotations(approvals, rotations) == [True, False, False]
    assert match_rotations([], [(1, 0, m1, 1, 2)]) == [False]


def test_owner_opens_and_approves_gateway_rotates_rival_cannot_take_the_stream(
    w3: Web3, ts_deployment, model_json: dict, isolated: None
) -> None:
    owner = TsGateway(w3, ts_deployment)
    gateway = TsGateway(w3, ts_deployment, OTHER_KEY)
    rival = TsGateway(w3, ts_deployment, RIVAL_KEY)
    owner.set_gateway(gateway.account.address)
    owner.set_gateway(rival.account.address)
    stream = Web3.keccak(text=f"te/reactor/rotation/{w3.eth.block_number}")
    genesis = int(model_json["genesis_state"], 16), int(model_json["genesis_acc"], 16)
    genesis_b = int(model_json["genesis_state_b"], 16), int(model_json["genesis_acc_b"], 16)

    # a rival gateway can neither open (front-run) the stream nor submit to it once it is open
    _refused(
        "TimeSeriesRegistryUnauthorized",
        lambda: rival.open_stream(stream, model_json["model_id"], *genesis),
    )
    owner.open_stream(stream, model_json["model_id"], *genesis, gateway=gateway.account.address)
    _refused(
        "TimeSeriesRegistryUnknownGateway", lambda: rival.submit_interval(stream, _proof("tc0"))
    )
    # each state belongs to one stream: a careless owner cannot open a second stream from the same
    # genesis, and a rival copying the gateway's pending proof into a stream of its own meets that
    # stream's state; the gateway's own submission then lands
    rival_stream = Web3.keccak(text=f"te/reactor/rival/{w3.eth.block_number}")
    _refused(
        "TimeSeriesRegistryStateInUse",
        lambda: owner.open_stream(
            rival_stream, model_json["model_id"], *genesis, gateway=rival.account.address
        ),
    )
    owner.open_stream(
        rival_stream, model_json["model_id"], 12345, 678, gateway=rival.account.address
    )
    _refused(
        "TimeSeriesRegistryStateLinkBroken",
        lambda: rival.submit_interval(rival_stream, _proof("tc0")),
    )
    assert gateway.stream(rival_stream)["intervals"] == 0
    for k in range(4):
        gateway.submit_interval(stream, _proof(f"tc{k}"))
        if k % 2 == 1:
            gateway.submit_window(stream, k // 2, _proof(f"sc{k // 2}"))

    # the state-reset attack: restart the same model from a genesis of the gateway's choosing
    before = gateway.stream(stream)
    _refused(
        "TimeSeriesRegistryRotationNotApproved",
        lambda: gateway.rotate_model(stream, model_json["model_id"], *genesis_b, mine_refused=True),
    )
    assert gateway.stream(stream) == before
    _refused(
        "TimeSeriesRegistrySameModel",
        lambda: owner.approve_rotation(stream, model_json["model_id"], *genesis_b),
    )

    other = ModelParams(
        model_json["other_model_id"],
        "TsFixtureOtherTcVerifier",
        "TsFixtureScVerifier",
        int(model_json["krc_pass"], 16),
        int(model_json["reset"], 16),
        int(model_json["continue"], 16),
        model_json["steps_per_interval"],
        model_json["intervals_per_window"],
    )
    deployment, _ = deploy(other, url=w3.provider.endpoint_uri)
    owner.approve_rotation(stream, other.model_id, *genesis_b)
    gateway.rotate_model(stream, other.model_id, *genesis_b)
    gateway.submit_interval(stream, _proof("tcb0_otherkey"))
    _refused(
        "TimeSeriesRegistryReplay", lambda: gateway.submit_interval(stream, _proof("tc0"))
    )  # the history cannot be recorded again under the new model

    report = audit(w3, deployment, stream)[0]
    assert report.gateway == gateway.account.address
    assert report.genesis_state == f"0x{genesis[0]:064x}"
    assert [(r.at_interval, r.new_model_id, r.approved) for r in report.rotations] == [
        (4, other.model_id.lower(), True)
    ]
    assert [r.error.split("(")[0] for r in report.refused] == [
        "TimeSeriesRegistryRotationNotApproved"
    ]
    assert not report.problems and report.log_head_ok, report.problems
    assert all(w.ok for w in report.windows[:2]), [w.problems for w in report.windows]
    # the interval under the new model is linked to the approved genesis; its window is still open
    assert report.windows[2].linkage_intact and report.windows[2].tc_verified
    assert report.windows[2].problems == ["window open: 1 of 2 intervals recorded"]


# ---------------------------------------------------------------- fresh pipeline (tiny real circuit)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """A tiny real detector and its TC (D = 1) and SC (W = 2) circuits, compiled once for the
    module, where `zkalert ts` finds them (reactor, --steps 1 --psf 12)."""
    from zkalert.timeseries.circuits import Precision, compile_circuit, detector_dir, sc_dir, tc_dir

    root = tmp_path_factory.mktemp("tiny-ts")
    workspace = Workspace.at(root)
    detector = train(EKFConfig(window_steps=2, epochs=15), progress=False)
    detector.save(detector_dir(workspace, detector.config.subsystem))
    tc = tc_dir(workspace, detector.config.subsystem, 1, 12)
    sc = sc_dir(workspace, detector.config.subsystem, 12)
    out = root / "generated"
    compile_circuit(
        detector,
        "tc",
        tc,
        "TsPytestTcVerifier",
        1,
        Precision(),
        verifier_dir=out,
        echo=lambda *_: None,
    )
    compile_circuit(
        detector,
        "sc",
        sc,
        "TsPytestScVerifier",
        1,
        Precision(),
        verifier_dir=out,
        echo=lambda *_: None,
    )
    return workspace, detector, tc, sc


def test_lazy_stream_store_prove_window_here_and_on_a_cluster(tiny) -> None:
    """Operation stores every interval; a window is proven later from the stored rows, in this
    process, then again with `zkalert ts prove --workers 2`: its two TC intervals and its SC at
    once on an embedded cluster of two workers, each proof verified with EZKL, written where the
    in-process proof was, recorded in the store, and proving the same instances."""
    from zkalert.data.loaders import load_te_file
    from zkalert.timeseries.circuits import verify
    from zkalert.timeseries.store import Store
    from zkalert.timeseries.stream import Operator, store_path, tensor_commitment

    workspace, detector, tc, sc = tiny
    ys = detector.measurements(load_te_file("d04_te.dat"))[150:156]
    store = Store(store_path(workspace))
    operator = Operator.open("pytest", detector, tc, sc, store, workspace, echo=lambda *_: None)
    assert operator.feed(ys[:3]) == 3 and operator.feed(ys) == 3, "feeding is incremental"
    intervals = store.intervals("pytest")
    genesis = store.stream("pytest").genesis
    assert intervals[0].instances[:2] == (
        tensor_commitment(genesis[0], 12),
        tensor_commitment(genesis[1], 12),
    )
    for prev, nxt in pairwise(intervals):
        assert prev.instances[4] == nxt.instances[0] and prev.instances[5] == nxt.instances[1]
    windows = store.windows("pytest")
    assert len(windows) == 3 and all(w.svd_ok for w in windows)
    assert all(abs(w.t2 - w.float_t2) <= 0.02 * max(1.0, w.float_t2) for w in windows)

    store.close()
    reopened = Store(store_path(workspace))  # durable: a new process proves from the stored rows
    operator = Operator.open("pytest", detector, tc, sc, reopened, workspace, echo=lambda *_: None)
    operator.prove_window(1)
    proven = reopened.intervals("pytest", 2, 4)
    assert all(i.proof and verify(tc, Path(i.proof)) for i in proven)
    assert verify(sc, Path(reopened.window("pytest", 1).proof or ""))
    assert Proof.load(Path(proven[0].proof or "")).instances == proven[0].instances
    assert operator.unproven(1) == []
    folder = operator.folder
    paths = [folder / "tc-00002.proof.json", folder / "tc-00003.proof.json"]
    paths.append(folder / "sc-00001.proof.json")
    in_process = [Proof.load(path).instances for path in paths]
    assert in_process == [*(i.instances for i in proven), reopened.window("pytest", 1).instances]
    reopened.close()

    # the same window on an embedded cluster of two workers, from the same stored inputs
    for path in paths:
        path.rename(path.with_suffix(".in-process"))
    out = _ts("ts", "prove", "pytest", "--window", "1", "--steps", "1", "--workers", "2",
              "--workdir", str(workspace.root))  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "(3 proofs) on an embedded cluster of 2 worker(s)" in out.stderr, out.stderr
    assert out.stdout.count(" on tcp://127.0.0.1:") == 3, out.stdout
    store = Store(store_path(workspace))
    intervals, window = store.intervals("pytest", 2, 4), store.window("pytest", 1)
    assert [Path(i.proof or "") for i in [*intervals, window]] == paths
    assert all((row.prove_s or 0) > 0 for row in [*intervals, window])
    assert all(verify(tc, path) for path in paths[:2]) and verify(sc, paths[2])
    assert [Proof.load(path).instances for path in paths] == in_process
    assert not list(folder.glob(".*.tmp"))
    store.close()


def test_gains_the_circuit_rejects_are_recomputed_from_its_own_fixed_point_states(
    tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deep in a fault the float filter's state drifts from the circuit's fixed-point one, and
    its gains can fail the circuit's KRC check: an honest stream would stop there. The operator
    then recomputes each step's gain from the circuit's own state (the one-step graph's witness,
    chained), which is exactly the state the D-step circuit holds between its steps. Here the
    float gains are made 1.5 times too large, so every interval's check fails with them."""
    import ezkl
    import numpy as np

    from zkalert.data.loaders import load_te_file
    from zkalert.timeseries import stream as stream_module
    from zkalert.timeseries.circuits import (
        CircuitDir,
        Precision,
        compile_stepper,
        exact_tc_block,
        export_graph,
        run_args,
        step_outputs,
        tc_block,
    )
    from zkalert.timeseries.store import Store
    from zkalert.timeseries.stream import Operator, fresh_nonce

    workspace, detector, tc, sc = tiny
    precision = Precision(num_inner_cols=2)
    ys = precision.quantize(detector.measurements(load_te_file("d06_te.dat"))[400:404])
    state = [
        *precision.quantize(detector.x0).tolist(),
        *precision.quantize(detector.P0).ravel().tolist(),
        *fresh_nonce(),
    ]
    acc = [0.0] * (detector.m + detector.m**2) + fresh_nonce()
    nonces = fresh_nonce() + fresh_nonce()

    # the one-step graph chained four times is the four-step graph, to the last bit
    stepper = compile_stepper(detector, precision, CircuitDir(tmp_path / "stepper"))
    four = CircuitDir(tmp_path / "four")
    export_graph(detector, "tc", 4, precision, four.onnx)
    args = run_args("tc", precision)
    args.input_visibility = args.output_visibility = "private"
    assert ezkl.gen_settings(str(four.onnx), str(four.settings), py_run_args=args)
    assert ezkl.compile_circuit(str(four.onnx), str(four.compiled), str(four.settings))
    block = exact_tc_block(detector, precision, stepper, state, acc, ys, nonces)
    whole = step_outputs(four, [state, acc, block, [1.0]], tmp_path / "four.witness.json")
    stepped = list(state)
    n, m, hid = detector.n, detector.m, detector.model.hidden
    for k in range(4):
        one = [
            *ys[k].tolist(),
            *block[4 * m + k * n * m : 4 * m + (k + 1) * n * m],
            *block[4 * m + 4 * n * m + k * 2 * hid : 4 * m + 4 * n * m + (k + 1) * 2 * hid],
            *nonces,
        ]
        stepped = step_outputs(stepper, [stepped, acc, one, [0.0]], tmp_path / "s.json")[0]
    assert whole[0] == stepped and whole[2] == [1.0]
    bad = tc_block(detector, precision, state, ys, nonces, gain_factor=1.5)
    assert step_outputs(four, [state, acc, bad, [1.0]], tmp_path / "bad.json")[2] == [0.0]

    # an operator given such gains recomputes them and every interval passes
    monkeypatch.setattr(
        stream_module,
        "tc_block",
        lambda *a, **kw: tc_block(*a, **kw, gain_factor=1.5),
    )
    lines: list[str] = []
    store = Store(tmp_path / "store.sqlite")
    operator = Operator.open("drift", detector, tc, sc, store, workspace, echo=lines.append)
    assert operator.feed(ys) == 4
    assert len(lines) == 4 and all("recomputed" in x and x.endswith("passes") for x in lines)
    intervals = store.intervals("drift")
    assert all(i.instances[6] == pass_commitment() for i in intervals)
    for prev, nxt in pairwise(intervals):
        assert prev.instances[4] == nxt.instances[0]
    assert all(w.svd_ok for w in store.windows("drift"))
    float_t2 = np.array([w.float_t2 for w in store.windows("drift")])
    assert np.allclose([w.t2 for w in store.windows("drift")], float_t2, rtol=0.02, atol=0.02)
    store.close()


def test_a_relu_bit_the_circuit_refutes_near_zero_is_flipped_with_its_own_gain(
    tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deep in a fault (states of magnitude 20) a ReLU input the float filter puts just above
    zero can be just below it in the circuit's fixed point, beyond the activation check's
    tolerance: that step's KRC verdict fails with the float pattern. The operator then flips the
    bits of near-zero units, each with the gain of its own Jacobians, and keeps the one the
    circuit accepts. Here the float advice is given the wrong bit for a unit whose input is
    -0.01 (the circuit tolerates 2^-8)."""
    import numpy as np

    from zkalert.data.loaders import load_te_file
    from zkalert.timeseries import circuits
    from zkalert.timeseries.circuits import (
        CircuitDir,
        Precision,
        compile_stepper,
        exact_tc_block,
        preactivations,
        step_outputs,
    )
    from zkalert.timeseries.stream import fresh_nonce

    _, detector, _, _ = tiny
    precision = Precision(num_inner_cols=2)
    model, m = detector.model, detector.m
    # a state whose f-unit 0 has input -0.01 (moved along that unit's weights)
    w, bias = model.W1[0].detach().numpy(), float(model.b1[0].detach())
    x = np.asarray(detector.x0, dtype=float)
    x = x + (-0.01 - (w @ x + bias)) * w / (w @ w)
    state = [
        *precision.quantize(x).tolist(),
        *precision.quantize(detector.P0).ravel().tolist(),
        *fresh_nonce(),
    ]
    assert abs(preactivations(detector, state)[0] + 0.01) < 1e-3
    acc = [0.0] * (m + m * m) + fresh_nonce()
    ys = precision.quantize(detector.measurements(load_te_file("d00_te.dat"))[:1])
    nonces = fresh_nonce() + fresh_nonce()
    stepper = compile_stepper(detector, precision, CircuitDir(tmp_path / "stepper"))

    honest = circuits.interval_advice
    honest_block = circuits.tc_block(detector, precision, state, ys, nonces)

    def wrong_bit(detector, state, ys):  # the float sign the circuit's value contradicts
        gains, patterns = honest(detector, state, ys)
        patterns = patterns.copy()
        patterns[0, 0] = 1.0
        return gains, patterns

    monkeypatch.setattr(circuits, "interval_advice", wrong_bit)
    refuted = circuits.tc_block(detector, precision, state, ys, nonces)
    assert step_outputs(stepper, [state, acc, refuted, [0.0]], tmp_path / "r.json")[2] == [0.0]
    block = exact_tc_block(detector, precision, stepper, state, acc, ys, nonces)
    # the flipped bit, and the gain of its Jacobians (to the last fixed-point bit)
    assert refuted != honest_block and block == honest_block
    assert step_outputs(stepper, [state, acc, block, [0.0]], tmp_path / "b.json")[2] == [1.0]


@pytest.fixture(scope="module")
def tiny_stream(tiny):
    """A stream of one window (two intervals) of the tiny circuits, witnessed and stored in the
    workspace's own store (where `zkalert ts prove` reads it), nothing proven."""
    from zkalert.data.loaders import load_te_file
    from zkalert.timeseries.store import Store
    from zkalert.timeseries.stream import Operator, store_path

    workspace, detector, tc, sc = tiny
    ys = detector.measurements(load_te_file("d04_te.dat"))[150:152]
    store = Store(store_path(workspace))
    operator = Operator.open("queued", detector, tc, sc, store, workspace, echo=lambda *_: None)
    assert operator.feed(ys) == 2 and len(store.windows("queued")) == 1
    store.close()
    return "queued", operator.folder


def _ts(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zkalert", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )


def test_ts_prove_to_an_unreachable_cluster_is_one_line_and_writes_no_proof(
    tiny, tiny_stream, dead_port
) -> None:
    from zkalert.timeseries.store import Store
    from zkalert.timeseries.stream import store_path

    workspace = tiny[0]
    name, folder = tiny_stream
    nobody = f"tcp://127.0.0.1:{dead_port}"
    before = sorted(p.name for p in folder.iterdir())
    out = _ts(
        "--set", "cluster.connect_timeout_s=2", "ts", "prove", name, "--window", "0",
        "--steps", "1", "--workdir", str(workspace.root), "--cluster", nobody,
    )  # fmt: skip
    assert out.returncode == 4, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"error: the proving cluster at {nobody} cannot be reached")
    assert "nothing was proven" in lines[0]
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not any(p.name.endswith(".proof.json") for p in folder.iterdir())
    store = Store(store_path(workspace))
    assert all(i.proof is None for i in store.intervals(name))
    assert store.window(name, 0).proof is None
    store.close()


def _set_code(w3: Web3, code: bytes) -> str:
    """Put ``code`` at a fresh address of the real anvil (what a deployment leaves there)."""
    address = Web3.to_checksum_address(keccak(code + w3.eth.block_number.to_bytes(8, "big"))[-20:])
    w3.provider.make_request("anvil_setCode", [address, "0x" + code.hex()])
    return address


def _runtime(folder) -> bytes:
    from zkalert.zk.circuit import compile_runtime

    info = folder.info
    return compile_runtime(
        Path(info.verifier_source).read_text(),
        Path(info.verifier_source).name,
        info.verifier_contract,
    )


def test_ts_audit_checks_each_models_verifiers_and_registration_against_its_keys(
    w3: Web3, ts_deployment, tiny, isolated: None
) -> None:
    """The owner registers a model whose TC verifier is a proxy (EIP-1167) in front of the real one,
    with the wrong intervals per window: the chain accepts it, the regulator's audit with the
    circuits finds both; registered as compiled, the same model passes."""
    from zkalert.evm.srs import srs_id_of_file
    from zkalert.timeseries.audit import check_model, circuits_by_model
    from zkalert.timeseries.chain import model_id

    _, _, tc, sc = tiny
    owner = TsGateway(w3, ts_deployment)
    tc_verifier, sc_verifier = _set_code(w3, _runtime(tc)), _set_code(w3, _runtime(sc))
    proxy = _set_code(
        w3,
        bytes.fromhex(
            "363d3d373d3d3d363d73" + tc_verifier[2:].lower() + "5af43d82803e903d91602b57fd5bf3"
        ),
    )
    mid = model_id(tc, sc)
    keys = circuits_by_model([tc, sc])

    def register(tc_address: str, per_window: int) -> tuple:
        params = (
            tc_address,
            sc_verifier,
            b"\0" * 32,
            b"\0" * 32,
            tc.info.pass_commitment,
            tc.info.reset_commitment,
            tc.info.continue_commitment,
            1,
            per_window,
            0,
            srs_id_of_file(Path(tc.info.srs_path)),
            srs_id_of_file(Path(sc.info.srs_path)),
        )
        owner._send(owner.registry.functions.registerModel(bytes.fromhex(mid[2:]), params))
        return owner.registry.functions.model(bytes.fromhex(mid[2:])).call()

    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    bad = check_model(w3, bytes.fromhex(mid[2:]), register(proxy, 3), keys)
    assert bad.matches is False
    assert any(
        p.startswith(f"TC: the verifier {proxy} runs")
        and "a wrapper, a proxy or another circuit" in p
        for p in bad.problems
    ), bad.problems
    assert (
        "the model is registered with intervals per window 3, its circuits have 2" in bad.problems
    )
    assert not any(p.startswith("SC:") for p in bad.problems), bad.problems
    # through the audit: the stream that runs it fails, in the JSON and the Markdown lines
    stream = Web3.keccak(text=f"te/reactor/proxied/{w3.eth.block_number}")
    owner.open_stream(stream, mid, 7 + w3.eth.block_number, 8)
    report = audit(w3, ts_deployment, stream, circuits=[tc, sc])[0]
    assert not report.ok and report.to_json()["models"][0]["matches"] is False
    assert any("DOES NOT MATCH its keys" in line for line in format_audit(report))
    unchecked = audit(w3, ts_deployment, stream)[0]
    assert unchecked.models[0].matches is None, "without circuits nothing is claimed of the keys"
    # the SRS is read from the code itself: a proxy carries no [τ]G2, so which SRS it uses is unknown
    assert not unchecked.ok and unchecked.models[0].srs_problems == [
        (
            f"model {mid} (time-series registry): TC verifier {proxy} embeds no recognisable [τ]G2 in "
            "its 45 bytes of code: not an EZKL KZG verifier, so the SRS it was made with cannot be told"
        )
    ]
    assert (
        audit(w3, ts_deployment, stream, circuits=[])[0]
        .models[0]
        .problems[0]
        .startswith("none of the circuits given has the verifying keys")
    )
    w3.provider.make_request("evm_revert", [snapshot])

    good = check_model(w3, bytes.fromhex(mid[2:]), register(tc_verifier, 2), keys)
    assert good.matches is True and good.problems == []


# ---------------------------------------------------------------- CLI mistakes


@pytest.mark.parametrize(
    "args, message",
    [
        (["ts", "train", "--subsystem", "boiler"], "unknown subsystem 'boiler'"),
        (
            ["ts", "agreement", "--subsystem", "boiler", "--fault", "0"],
            "unknown subsystem 'boiler'",
        ),
        (["ts", "bench", "--subsystem", "boiler", "--steps", "16"], "unknown subsystem 'boiler'"),
        (
            ["ts", "detection", "--subsystem", "reactor", "--subsystem", "boiler"],
            "unknown subsystem 'boiler'",
        ),
        (
            ["ts", "prove", "nothing", "--window", "0", "--workdir", "/tmp/zkalert-ts-empty"],
            "run `zkalert ts train` first",
        ),
        (
            ["ts", "audit", "--circuits", "/nonexistent/circuits"],
            "--circuits: no folder /nonexistent/circuits",
        ),
    ],
)
def test_cli_mistakes_are_one_line(args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "zkalert", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr


def test_the_window_length_is_the_trained_detectors_and_the_interval_must_divide_it(
    tmp_path: Path,
) -> None:
    def zk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zkalert", "ts", *args, "--workdir", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=False,
        )

    trained = zk("train", "--epochs", "1", "--window-steps", "4")
    assert trained.returncode == 0, trained.stderr
    assert (
        json.loads((tmp_path / "ts" / "reactor" / "ekf.json").read_text())["config"]["window_steps"]
        == 4
    )
    refused = zk("compile")  # D = 8 by default
    assert refused.returncode == 1
    lines = [line for line in refused.stderr.strip().splitlines() if line]
    assert lines == ["error: --steps 8 must divide the window length 4"], refused.stderr
    assert not (tmp_path / "ts" / "reactor" / "tc-d8-psf12").exists()


def test_reports_per_subsystem_keep_the_reactor_names() -> None:
    from zkalert.lab.timeseries import agreement, bench

    assert agreement.report_name("reactor") == "agreement.json"
    assert agreement.report_name("separator") == "agreement-separator.json"
    assert bench.report_name("reactor") == "bench.json"
    assert bench.report_name("stripper") == "bench-stripper.json"
