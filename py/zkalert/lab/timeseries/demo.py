"""``zkalert ts demo``: a Tennessee Eastman fault scenario through time-series mode on a local chain.

Trains (or loads) the reactor EKF, compiles the TC (D steps) and SC circuits,
deploys TimeSeriesRegistry with the model on a fresh anvil (port 8877, chain
31777, unless ``--rpc-url``), operates a stream over the fault run in lazy mode
(witnesses and durable storage per interval), proves every window on demand,
submits them in order, and on the way tries each attack on the chain of proofs. The
regulator's check then reads the chain back: every honest window must pass and
every attack must be found with its error. Writes ``build/reports/timeseries/demo.json``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zkalert.config import DEFAULT_WINDOW_STEPS, Workspace, deployments_dir, reports_dir
from zkalert.data.loaders import TE_FAULT_START_ROW, load_te_file
from zkalert.errors import ChainError, ConfigError, RevertedError
from zkalert.evm.ids import stream_id
from zkalert.evm.localnode import Anvil
from zkalert.evm.rpc import connect
from zkalert.evm.srs import SrsCheck
from zkalert.keys import resolve_signer
from zkalert.lab.metrics import machine
from zkalert.timeseries import audit as audit_mod
from zkalert.timeseries.chain import TsDeployment, TsGateway, deploy
from zkalert.timeseries.circuits import (
    CircuitDir,
    Kind,
    Precision,
    Proof,
    compile_circuit,
    detector_dir,
    is_current,
    prove,
    run_witness,
    sc_dir,
    tc_block,
    tc_dir,
)
from zkalert.timeseries.ekf import SUBSYSTEMS, Detector, EKFConfig, train
from zkalert.timeseries.graphs import NONCE_LEN
from zkalert.timeseries.plant import (
    PlantRule,
    PlantView,
    format_plant,
    plant_alarms,
    plant_view,
    subsystems_of_models,
)
from zkalert.timeseries.store import Store
from zkalert.timeseries.stream import Operator, fresh_nonce, store_path

DEMO_PORT = 8877
DEMO_CHAIN_ID = 31777


@dataclass(frozen=True)
class DemoOptions:
    subsystem: str = "reactor"
    fault: int = 4
    steps: int = DEFAULT_WINDOW_STEPS
    psf: int = 12
    #: the first row streamed; None: three normal windows before the fault starts (row 160)
    start_row: int | None = None
    windows: int = 6
    workspace: Path | None = None
    rpc_url: str | None = None
    #: register the demo's development-SRS circuits on a chain that is not a development chain
    allow_dev_srs: bool = False
    #: then run the plant's other two subsystems over the same rows and show the plant view
    plant: bool = True

    def first_row(self, window_steps: int) -> int:
        """The first TE row streamed: ``start_row``, or three normal windows before the fault."""
        if self.start_row is not None:
            return self.start_row
        return max(0, TE_FAULT_START_ROW - 3 * window_steps)


def verifier_names(subsystem: str, steps: int) -> tuple[str, str]:
    title = subsystem.capitalize()
    return f"TsTcVerifier{title}D{steps}", f"TsScVerifier{title}"


def trained_detector(
    workspace: Workspace,
    subsystem: str,
    echo: Callable[..., Any],
    window_steps: int | None = None,
) -> Detector:
    """The workspace's detector of ``subsystem``, trained with the defaults when it has none
    (or, with ``window_steps``, when its windows are another length)."""
    folder = detector_dir(workspace, subsystem)
    if (folder / "ekf.pt").is_file():
        detector = Detector.load(folder)
        if window_steps in (None, detector.config.window_steps):
            return detector
    echo(f"training the {subsystem} EKF on d00.dat ...")
    config = EKFConfig(subsystem=subsystem)
    if window_steps is not None:
        config = replace(config, window_steps=window_steps)
    detector = train(config, progress=False)
    detector.save(folder)
    return detector


def prepare(
    workspace: Workspace, subsystem: str, steps: int, psf: int, echo: Callable[..., Any]
) -> tuple[Detector, CircuitDir, CircuitDir]:
    """The trained detector and compiled circuits (reused when already in the workspace)."""
    detector = trained_detector(workspace, subsystem, echo)
    tc_name, sc_name = verifier_names(subsystem, steps)
    precision = Precision(psf=psf)
    tc, sc = tc_dir(workspace, subsystem, steps, psf), sc_dir(workspace, subsystem, psf)
    from zkalert.config import GENERATED_DIR

    circuits: tuple[tuple[CircuitDir, Kind, str], ...] = (
        (tc, "tc", tc_name),
        (sc, "sc", sc_name),
    )
    for folder_, kind, name in circuits:
        if (
            not is_current(detector, kind, folder_, steps, precision)
            or not (GENERATED_DIR / f"{name}.sol").is_file()
        ):
            compile_circuit(detector, kind, folder_, name, steps, precision, echo=echo)
    return detector, tc, sc


class _Anvil:
    """The demo's own chain (port 8877, chain id 31777), so no developer deployment is touched."""

    def __init__(self) -> None:
        try:
            self.node = Anvil(DEMO_PORT, DEMO_CHAIN_ID).start()
        except ChainError as exc:
            raise ChainError(
                f"could not start anvil on port {DEMO_PORT} (is the port taken?): {exc}"
            ) from None
        self.url = self.node.url

    def stop(self) -> None:
        self.node.stop()
        shutil.rmtree(deployments_dir(DEMO_CHAIN_ID), ignore_errors=True)


def run(options: DemoOptions, echo: Callable[..., Any] = print) -> dict[str, Any]:
    node = None if options.rpc_url else _Anvil()
    try:
        # the demo's own fresh node is a development chain, where anvil's funded account signs
        dev_chains = [DEMO_CHAIN_ID] if node else []
        return _run(options, node.url if node else options.rpc_url or "", dev_chains, echo)
    finally:
        if node is not None:
            node.stop()


def _run(
    options: DemoOptions, url: str, dev_chains: list[int], echo: Callable[..., Any]
) -> dict[str, Any]:
    started_all = time.perf_counter()
    workspace = Workspace.at(options.workspace)
    detector, tc, sc = prepare(workspace, options.subsystem, options.steps, options.psf, echo)
    L = detector.config.window_steps
    W = L // options.steps
    first = options.first_row(L)
    if options.windows < 4:
        raise ConfigError("the demo needs at least 4 windows to stage every attack")

    w3 = connect(url)
    signer = resolve_signer(w3.eth.chain_id, dev_chains=dev_chains)
    deployment, mid = deploy(
        tc, sc, url, key=signer, allow_dev_srs=options.allow_dev_srs, warn=echo
    )
    gateway = TsGateway(w3, deployment, signer)
    echo(f"chain {deployment.chain_id}: TimeSeriesRegistry {deployment.address}; model {mid}")

    # Operation (lazy): witnesses and durable storage for every interval of the scenario.
    store = Store(store_path(workspace))
    stamp = int(time.time())
    name = f"te/{options.subsystem}/fault-{options.fault:02d}/{stamp}"
    operator = Operator.open(name, detector, tc, sc, store, workspace, eager=False, echo=echo)
    rows = load_te_file(f"d{options.fault:02d}_te.dat")[first : first + options.windows * L]
    measurements = detector.measurements(rows)
    started = time.perf_counter()
    operator.feed(measurements)
    operate_s = time.perf_counter() - started
    echo(
        f"stream {name}: {store.interval_count(name)} intervals witnessed and stored in {operate_s:.1f} s (lazy mode)"
    )

    # Proving on demand, window by window.
    for j in range(options.windows):
        operator.prove_window(j)
    intervals = store.intervals(name)
    windows = store.windows(name)
    tc_proofs = [Proof.load(Path(i.proof or ""), i.prove_s or 0.0) for i in intervals]
    sc_proofs = [Proof.load(Path(w.proof or ""), w.prove_s or 0.0) for w in windows]

    # Extra proofs for the attacks (same keys unless said otherwise).
    attack_dir = operator.folder / "attacks"
    attack_dir.mkdir(exist_ok=True)
    precision = operator.precision
    fork_inputs = [list(x) for x in intervals[W].inputs]
    fork_inputs[2] = fork_inputs[2][: -2 * NONCE_LEN] + fresh_nonce() + fresh_nonce()
    fork = _prove_inputs(tc, "tc", fork_inputs, attack_dir / "stale-fork")
    head_inputs = intervals[2 * W].inputs
    forged_state = list(head_inputs[0])
    forged_state[0] += 1.0  # the utility pretends the reactor state was elsewhere
    forged_ys = head_inputs[2][: options.steps * detector.m]
    import numpy as np

    ys = np.asarray(forged_ys).reshape(options.steps, detector.m)
    forged_block = tc_block(detector, precision, forged_state, ys, fresh_nonce() + fresh_nonce())
    forged = _prove_inputs(
        tc,
        "tc",
        [forged_state, head_inputs[1], forged_block, head_inputs[3]],
        attack_dir / "forged-state",
    )
    other_dir = tc_dir(workspace, options.subsystem, 1, options.psf)
    if not (other_dir.root / "circuit.json").is_file():
        compile_circuit(
            detector,
            "tc",
            other_dir,
            verifier_names(options.subsystem, 1)[0],
            1,
            precision,
            echo=echo,
        )
    head3 = intervals[3 * W].inputs
    block1 = tc_block(
        detector,
        precision,
        head3[0],
        np.asarray(head3[2][: detector.m]).reshape(1, detector.m),
        fresh_nonce() + fresh_nonce(),
    )
    other_key = _prove_inputs(
        other_dir, "tc", [head3[0], head3[1], block1, head3[3]], attack_dir / "other-key"
    )

    sid = stream_id(name)
    genesis = store.stream(name).genesis_instances
    gateway.open_stream(sid, mid, genesis[0], genesis[1])
    gas: dict[str, list[int]] = {"tc": [], "sc": []}
    attacks: list[dict[str, Any]] = []

    def attempt(label: str, expected: str, send: Callable[[], Any]) -> None:
        before = gateway.stream(sid)
        try:
            send()
            outcome = "ACCEPTED"
        except RevertedError as exc:
            outcome = exc.reason
        unchanged = gateway.stream(sid) == before
        ok = outcome.startswith(expected) and unchanged
        attacks.append(
            {
                "attack": label,
                "expected": expected,
                "outcome": outcome,
                "stream_unchanged": unchanged,
                "refused_as_expected": ok,
            }
        )
        echo(
            f"  attack: {label}: {'refused, ' + outcome.split('(')[0] if outcome != 'ACCEPTED' else 'ACCEPTED (!)'}{'' if unchanged else ' (stream CHANGED!)'}"
        )

    for j in range(options.windows):
        if j == 3:
            attempt(
                "proof under an unregistered key",
                "TimeSeriesRegistryInvalidProof",
                lambda: gateway.submit_interval(sid, other_key, mine_refused=True),
            )
        for k in range(j * W, (j + 1) * W):
            if k == 2 * W:
                attempt(
                    "starting from a forged state",
                    "TimeSeriesRegistryStateLinkBroken",
                    lambda: gateway.submit_interval(sid, forged, mine_refused=True),
                )
                attempt(
                    "skipping an interval",
                    "TimeSeriesRegistryStateLinkBroken",
                    lambda: gateway.submit_interval(sid, tc_proofs[3 * W], mine_refused=True),
                )
            gas["tc"].append(gateway.submit_interval(sid, tc_proofs[k]).gas_used)
        if j == 1:
            attempt(
                "replaying an old interval's proof",
                "TimeSeriesRegistryReplay",
                lambda: gateway.submit_interval(sid, tc_proofs[0], mine_refused=True),
            )
            attempt(
                "starting from a stale state",
                "TimeSeriesRegistryStaleState",
                lambda: gateway.submit_interval(sid, fork, mine_refused=True),
            )
        if j == 2:
            flipped = list(sc_proofs[2].instances)
            flipped[3] = 1 - flipped[3]

            def send_flipped(flipped: list[int] = flipped) -> Any:
                return gateway.submit_window(
                    sid, 2, sc_proofs[2], tuple(flipped), mine_refused=True
                )

            attempt(
                "alarm flipped in the submitted instances",
                "TimeSeriesRegistryInvalidProof",
                send_flipped,
            )
            attempt(
                "SC over residuals not from the window's TC chain",
                "TimeSeriesRegistryResidualsNotFromChain",
                lambda: gateway.submit_window(sid, 2, sc_proofs[0], mine_refused=True),
            )
        gas["sc"].append(gateway.submit_window(sid, j, sc_proofs[j]).gas_used)
        if (
            j == 1
        ):  # at a window boundary: restart the filter from a state of the gateway's choosing
            attempt(
                "restarting the filter from a chosen state (rotation the owner did not approve)",
                "TimeSeriesRegistryRotationNotApproved",
                lambda: gateway.rotate_model(
                    sid, mid, forged.instances[0], forged.instances[1], mine_refused=True
                ),
            )

    echo("regulator's check (read back from the chain):")
    reports = audit_mod.audit(
        w3, deployment, sid, circuits=[tc, sc]
    )  # the regulator holds the circuits here
    report = reports[0]
    for line in format_audit(report, detector_t2_scale=sc.info.output_scales[0]):
        echo(line)
    found = {r.meaning for r in report.refused}
    expected_found = len(report.refused) == len(attacks)
    summary = {
        "honest_stream_passes": report.ok,
        "attacks_refused": all(a["refused_as_expected"] for a in attacks),
        "attacks_found_by_audit": expected_found,
        "alarm_agreement": sum(w.alarm == w.float_alarm for w in windows) / len(windows),
        "tc_prove_mean_s": sum(p.prove_s for p in tc_proofs) / len(tc_proofs),
        "sc_prove_mean_s": sum(p.prove_s for p in sc_proofs) / len(sc_proofs),
        "tc_gas_mean": sum(gas["tc"]) / len(gas["tc"]),
        "sc_gas_mean": sum(gas["sc"]) / len(gas["sc"]),
        "gas_per_window_mean": (sum(gas["tc"]) + sum(gas["sc"])) / options.windows,
        "operate_s": operate_s,
        "total_s": time.perf_counter() - started_all,
    }
    result: dict[str, Any] = {
        "machine": machine(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in options.__dict__.items()},
        "stream": name,
        "windows": [
            {
                "window": w.idx,
                "rows": [
                    first + w.idx * L,
                    first + (w.idx + 1) * L,
                ],
                "t2": w.t2,
                "alarm": w.alarm,
                "float_t2": w.float_t2,
                "float_alarm": w.float_alarm,
                "svd_ok": w.svd_ok,
            }
            for w in windows
        ],
        "attacks": attacks,
        "audit": report.to_json(),
        "audit_meanings": sorted(found),
        "summary": summary,
    }
    plant_ok = True
    if options.plant:
        echo("the plant: the other subsystems' streams over the same rows")
        result["plant"] = _plant(
            options, workspace, url, signer, {options.subsystem: (name, tc, sc)}, stamp, echo
        )
        plant_ok = result["plant"]["ok"]
        summary["plant_view_ok"] = plant_ok
    (reports_dir("timeseries") / "demo.json").write_text(json.dumps(result, indent=2))
    echo(f"summary: {json.dumps(summary)}")
    if not (report.ok and summary["attacks_refused"] and expected_found and plant_ok):
        raise ChainError(
            "time-series demo: the honest stream did not pass, an attack was not refused and found, or the plant view was wrong (see build/reports/timeseries/demo.json, or $ZKALERT_REPORTS)"
        )
    return result


def _plant(
    options: DemoOptions,
    workspace: Workspace,
    url: str,
    signer: Any,
    streams: dict[str, tuple[str, CircuitDir, CircuitDir]],
    stamp: int,
    echo: Callable[..., Any],
) -> dict[str, Any]:
    """Operate, prove and record the plant's other subsystems over the demo's rows, with the
    last window of one of them first withheld by its gateway; the regulator's plant view (with
    the circuits) must show that window unknown, then, once recorded, the plant alarm the float
    filters give under the same rule."""
    w3 = connect(url)
    store = Store(store_path(workspace))
    started = time.perf_counter()
    others = [s for s in SUBSYSTEMS if s not in streams]
    withheld_by, withheld = others[-1], options.windows - 1
    pending: tuple[Any, ...] = ()
    for subsystem in others:
        detector, tc, sc = prepare(workspace, subsystem, options.steps, options.psf, echo)
        deployment, mid = deploy(
            tc, sc, url, key=signer, allow_dev_srs=options.allow_dev_srs, warn=echo
        )
        gateway = TsGateway(w3, deployment, signer)
        name = f"te/{subsystem}/fault-{options.fault:02d}/{stamp}"
        operator = Operator.open(name, detector, tc, sc, store, workspace, eager=False, echo=echo)
        L = detector.config.window_steps
        first = options.first_row(L)
        rows = load_te_file(f"d{options.fault:02d}_te.dat")[first : first + options.windows * L]
        operator.feed(detector.measurements(rows))
        for j in range(options.windows):
            operator.prove_window(j)
        sid = stream_id(name)
        genesis = store.stream(name).genesis_instances
        gateway.open_stream(sid, mid, genesis[0], genesis[1])
        for interval in store.intervals(name):
            gateway.submit_interval(sid, Proof.load(Path(interval.proof or "")))
        for window in store.windows(name):
            proof = Proof.load(Path(window.proof or ""))
            if subsystem == withheld_by and window.idx == withheld:
                pending = (gateway, sid, window.idx, proof)
                continue
            gateway.submit_window(sid, window.idx, proof)
        streams[subsystem] = (name, tc, sc)
        echo(f"  {subsystem}: {options.windows} windows proven and recorded as {name}")
    deployment = TsDeployment.load(w3.eth.chain_id)
    circuits = [c for _, tc, sc in streams.values() for c in (tc, sc)]
    models = subsystems_of_models(circuits)
    rule = PlantRule()

    def view() -> PlantView:
        reports = {
            s: audit_mod.audit(w3, deployment, stream_id(n), circuits=circuits)[0]
            for s, (n, _, _) in streams.items()
        }
        return plant_view(reports, rule, models)

    hidden = view()
    caught = (
        hidden.windows[withheld].proven[withheld_by] is None
        and any(
            p.startswith(withheld_by) and f"window {withheld} unknown" in p for p in hidden.problems
        )
        and not hidden.ok
    )
    echo(
        f"  the {withheld_by} gateway withholds window {withheld}: the plant view shows it "
        + ("unknown" if caught else "as something else (!)")
    )
    gateway, sid, idx, proof = pending
    gateway.submit_window(sid, idx, proof)
    final = view()
    expected = plant_alarms(
        [[w.float_alarm for w in store.windows(n)] for n, _, _ in streams.values()], rule
    )
    agrees = final.alarms == expected
    for line in format_plant(final):
        echo(line)
    echo(
        f"  the float filters' plant alarms under the same rule: {'the same' if agrees else expected}"
    )
    return {
        "streams": {s: n for s, (n, _, _) in streams.items()},
        "withheld": {"subsystem": withheld_by, "window": withheld, "view": hidden.to_json()},
        "withheld_shown_unknown": caught,
        "view": final.to_json(),
        "float_plant_alarms": expected,
        "agrees_with_float": agrees,
        "seconds": time.perf_counter() - started,
        "ok": caught and final.ok and agrees,
    }


def _prove_inputs(folder: CircuitDir, kind: Kind, inputs: list[list[float]], stem: Path) -> Proof:
    witness = run_witness(folder, kind, inputs, stem.with_suffix(".witness.json"))
    return prove(folder, witness.path, stem.with_suffix(".proof.json"))


def format_srs(checks: list[SrsCheck], accepted: str | None) -> list[str]:
    """The SRS section of `zkalert ts audit`: every registered model's verifiers and their SRS."""
    lines = [
        f"SRS of every registered model (accepted SRS: {accepted})"
        if accepted
        else "SRS of every registered model (no accepted SRS given: --srs-id, --accepted-srs or "
        "[srs] accepted_id; checked against each model's record only)"
    ]
    for check in checks:
        lines.append(
            f"  model {check.model_id[:10]}… {check.kind} verifier {check.verifier}: "
            f"SRS {check.verifier_srs_id or '— (none recognised)'}"
        )
        lines.extend(f"    {p}" for p in check.problems)
    if not checks:
        lines.append("  no model registered")
    return lines


def format_audit(report: audit_mod.StreamAudit, detector_t2_scale: int | None = None) -> list[str]:
    lines = [
        f"stream {report.stream_id[:18]}…: {report.intervals} intervals, log head {'refolds' if report.log_head_ok else 'BROKEN'}"
    ]
    lines.append(
        f"  opened by the owner for gateway {report.gateway} at genesis {report.genesis_state[:18]}…"
    )
    for rot in report.rotations:
        lines.append(
            f"  rotation at interval {rot.at_interval}: {rot.old_model_id[:10]}… -> {rot.new_model_id[:10]}…, genesis "
            f"{rot.genesis_state[:18]}…, {'approved by the owner' if rot.approved else 'NOT APPROVED'}"
        )
    lines.append(
        f"  {'window':>6} {'intervals':<10} {'TC proofs':<9} {'linkage':<8} {'SC proof':<9} {'keys':<9} {'alarm':<6} T²"
    )
    for w in report.windows:
        t2 = (
            "-"
            if w.t2_fixed is None
            else (
                f"{w.t2_fixed / 2**detector_t2_scale:.2f}"
                if detector_t2_scale is not None
                else str(w.t2_fixed)
            )
        )
        lines.append(
            f"  {w.window:>6} {str(w.intervals[0]) + '-' + str(w.intervals[-1]):<10} {'verified' if w.tc_verified else 'FAILED':<9} "
            f"{'intact' if w.linkage_intact else 'BROKEN':<8} {('verified' if w.sc_verified else 'FAILED') if w.sc_recorded else 'missing':<9} "
            f"{'unchanged' if w.keys_unchanged else 'CHANGED':<9} {w.alarm!s:<6} {t2}{'  ' + '; '.join(w.problems) if w.problems else ''}"
        )
    for m in report.models:
        state = {
            None: "verifier code not checked (no --circuits)",
            True: "verifiers are EZKL's from its keys, registration matches",
        }.get(m.matches, "DOES NOT MATCH its keys")
        lines.append(f"  model {m.model_id[:10]}…: {state}")
        lines.extend(f"    {p}" for p in m.problems)
        for check in m.srs:
            lines.append(
                f"    {check.kind} verifier {check.verifier}: SRS {check.verifier_srs_id or '— (none recognised)'}"
                f", recorded {check.recorded_srs_id or '—'}"
                + (f", accepted {check.accepted_srs_id}" if check.accepted_srs_id else "")
            )
        lines.extend(f"    SRS: {p}" for p in m.srs_problems)
    for p in report.problems:
        lines.append(f"  problem: {p}")
    for r in report.refused:
        lines.append(
            f"  refused at block {r.block} ({r.function}, {r.target}): {r.error.split('(')[0]}: {r.meaning}"
        )
    scan = report.refusal_scan
    if scan and (not scan["complete"] or scan["more"]):
        lines.append(
            f"  refused transactions searched in blocks {scan['from_block']}-{scan['to_block']} only"
            + (f"; {scan['more']} more not listed" if scan["more"] else "")
            + " (--scan-blocks)"
        )
    lines.append(f"  verdict: {'PASS' if report.ok else 'FAIL'}")
    return lines
