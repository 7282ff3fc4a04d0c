"""The whole path once, for real: TE data -> detector -> EZKL proofs -> AlertRegistry -> log.

Used by ``zkalert demo`` (``make demo``). Every figure printed is measured in
this run; the report goes to ``build/reports/demo/metrics.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from zkalert.config import DEFAULT_SCHEME, Workspace, reports_dir, rpc_url
from zkalert.data.loaders import FloatArray, TennesseeEastman, load_tennessee_eastman
from zkalert.detector.kinds import DEFAULT_DETECTOR
from zkalert.detector.model import Detector, TrainConfig, train
from zkalert.errors import DataError, RevertedError
from zkalert.evm import registry as chainmod
from zkalert.evm import rpc
from zkalert.evm.ids import stream_id
from zkalert.evm.log import check_chain, fetch_alerts
from zkalert.lab.ceremony import PARTIES, two_party_transcript
from zkalert.lab.metrics import AlertMetrics, table, write_report
from zkalert.zk import ceremony
from zkalert.zk.circuit import CircuitConfig, compile_circuit, srs_summary
from zkalert.zk.prover import Prover
from zkalert.zk.statement import BINDING_LIMBS, Binding, instances_per_window

DEMO_FAULTS = (1, 2, 4, 6, 7)
#: Power of the demo's own ceremony: one above the demo circuit's logrows (13), for margin.
DEMO_CEREMONY_POWER = 14


@dataclass(frozen=True)
class DemoOptions:
    alerts_per_stream: int = 2
    faults: tuple[int, ...] = DEMO_FAULTS
    epochs: int = 200
    workspace: Path | None = None
    report_path: Path = field(default_factory=lambda: reports_dir("demo") / "metrics.json")
    show_tamper: bool = True
    rpc_url: str | None = None
    #: register the demo's development-SRS circuit on a chain that is not a development chain
    allow_dev_srs: bool = False
    #: the SRS: a transcript or EZKL SRS file; unset: a two-party ceremony run here (cached)
    srs: Path | None = None
    #: the two-party ceremony's power (the demo circuit needs logrows 13)
    ceremony_power: int = DEMO_CEREMONY_POWER
    #: the member of the detector family (zkalert.detector.kinds.DETECTORS)
    detector: str = DEFAULT_DETECTOR


def run(options: DemoOptions, echo: Callable[[str], None] = print) -> dict[str, Any]:
    url = options.rpc_url or rpc_url()
    workspace = Workspace.at(options.workspace)
    w3 = rpc.connect(url)
    echo(f"chain: {url} (chain id {w3.eth.chain_id}); workspace: {workspace.root}")

    echo("[1/6] data: Tennessee Eastman (bibmon, offline)")
    te = load_tennessee_eastman()
    echo(
        f"      train {te.train.shape[0]} normal rows, validation {len(te.validation)}, test {len(te.test)} rows x {te.width} variables"
    )

    echo(f"[2/6] detector: {options.detector}")
    detector = train(
        te.train,
        te.validation.windows,
        te.validation.labels,
        TrainConfig(epochs=options.epochs, kind=options.detector),
    )
    detector.save(workspace)
    echo(
        f"      threshold {detector.threshold:.4f} (best validation F1 {detector.validation['f1']:.3f})"
    )

    echo("[3/6] circuit: ONNX -> EZKL settings, keys, Solidity verifier")
    srs = options.srs
    if srs is None:
        # the beacon: the chain's latest block hash, which neither party chose (a real ceremony
        # announces a future block's hash before it starts)
        beacon = bytes(w3.eth.get_block("latest")["hash"]).hex()
        echo(
            f"      SRS: a two-party ceremony ({' then '.join(PARTIES)}, then a beacon), "
            f"power {options.ceremony_power}"
        )
        srs = two_party_transcript(
            options.ceremony_power, beacon, echo=lambda m: echo("      " + m)
        )
    info = compile_circuit(
        detector, workspace, te.train, CircuitConfig.for_detector(detector.kind).with_commitment(DEFAULT_SCHEME),
        ceremony_srs=srs,
        echo=lambda m: echo("      " + m),
    )  # fmt: skip
    echo(f"      SRS: {srs_summary(info.srs_kind, info.srs_id, info.srs_transcript_hash)}")
    echo(
        f"      logrows {info.logrows}, setup {info.setup_s:.1f} s, pk {info.pk_bytes / 1e6:.0f} MB, model id {info.model_id[:18]}..."
    )
    if info.srs_development_only:
        echo("      WARNING: development SRS (gen_srs): fine for a demo, never for production")

    echo("[4/6] deploy: verifier + AlertRegistry with Foundry")
    deployment = chainmod.deploy(info, url, allow_dev_srs=options.allow_dev_srs, warn=echo)
    model = deployment.model(info.model_id)
    echo(f"      registry {deployment.registry_address}, verifier {model.verifier}")
    gateway = chainmod.Gateway(w3, deployment)

    echo("[5/6] prove and submit alerts from Tennessee Eastman fault runs")
    scores = detector.score(te.test.windows)
    picks: list[tuple[int, int]] = []
    for fault in options.faults:
        # a window's index must be above the stream's last recorded one, so a rerun against the
        # same chain records the next alarming windows instead of replaying the first ones
        next_index = int(
            gateway.registry.functions.nextIndex(stream_id(f"te/fault-{fault:02d}")).call()
        )
        in_fault = np.flatnonzero(
            (te.test.fault_ids == fault)
            & (te.test.labels == 1)
            & (scores >= detector.threshold)
            & (np.asarray(te.test.rows) >= next_index)
        )
        picks += [(fault, int(i)) for i in in_fault[: options.alerts_per_stream]]
    if not picks:
        raise DataError("the detector raised no alarm on the chosen faults: nothing to submit")
    prover = Prover(workspace)
    rows: list[AlertMetrics] = []
    for fault, index in tqdm(picks, desc="prove+submit", unit="alert"):
        started = time.perf_counter()
        window = detector.scale(te.test.windows[index : index + 1])
        stream_name = f"te/fault-{fault:02d}"
        stream = stream_id(stream_name)
        binding = Binding(
            gateway.account.address, stream, int(te.test.rows[index])
        )  # the window's row in its fault run
        proven = prover.prove(
            window,
            f"{stream_name.replace('/', '_')}-row{int(te.test.rows[index])}",
            binding,
            float(scores[index]),
        )
        calldata = chainmod.ezkl_calldata(proven)
        verified, eth_call_s = rpc.verifier_eth_call(w3, model.verifier, calldata)
        submission = gateway.submit(stream, info.model_id, proven)
        seq = int(gateway.registry.functions.count(stream).call()) - 1
        rows.append(
            AlertMetrics(
                stream=stream_name,
                seq=seq,
                fault=fault,
                row=int(te.test.rows[index]),
                float_score=float(scores[index]),
                proven_score=info.felt_to_score(proven.score_felt),
                alarm=proven.score_felt >= info.threshold_felt,
                witness_s=proven.witness_s,
                prove_s=proven.prove_s,
                encode_s=submission.encode_s,
                eth_call_s=eth_call_s,
                tx_s=submission.tx_s,
                end_to_end_s=time.perf_counter() - started,
                gas_used=submission.gas_used,
                calldata_bytes=submission.calldata_bytes,
                proof_bytes=len(proven.proof),
                verified_eth_call=verified,
                recorded=True,
                tx_hash=submission.tx_hash,
            )
        )

    tamper: dict[str, str] = {}
    if options.show_tamper:
        tamper = _tamper_checks(detector, prover, gateway, info.model_id, te, scores, picks, echo)

    echo("[6/6] log: read the alerts back and refold the hash chains")
    entries = fetch_alerts(gateway.registry, from_block=deployment.block)
    checks = check_chain(gateway.registry, entries)
    for check in checks:
        echo(
            f"      stream {check.stream_id[:10]}...: {check.records} records, chain {'intact' if check.ok else 'BROKEN: ' + '; '.join(check.problems)}"
        )

    report = write_report(
        options.report_path,
        rows,
        {
            "chain": {
                "rpc_url": url,
                "chain_id": deployment.chain_id,
                "registry": deployment.registry_address,
                "verifier": model.verifier,
            },
            "circuit": {k: v for k, v in info.__dict__.items() if k != "verifier_source"},
            "srs": _srs_report(info.srs_kind, info.srs_id, info.srs_transcript_hash),
            "detector": {"threshold": detector.threshold, "validation": detector.validation},
            "tamper_checks": tamper,
            "log_check": [
                {"stream_id": c.stream_id, "records": c.records, "ok": c.ok, "problems": c.problems}
                for c in checks
            ],
        },
    )
    echo("")
    echo(table(report["summary"]))
    echo(f"\nreport: {options.report_path}")
    return report


def _srs_report(kind: str, srs_id: str, transcript_hash: str) -> dict[str, Any]:
    """The SRS the circuit was built on; for a ceremony, its contributors as verified."""
    report: dict[str, Any] = {"kind": kind, "srs_id": srs_id, "transcript_hash": transcript_hash}
    if kind == "ceremony":
        record = ceremony.cache_folder(transcript_hash) / ceremony.RECORD
        if record.is_file():
            verified = json.loads(record.read_text())
            report["contributions"] = verified.get("contributions", [])
            report["verified"] = verified.get("verified")
    return report


def _refusal(action: Callable[[], object]) -> str:
    try:
        action()
    except RevertedError as exc:
        return f"refused: {exc.reason}"
    return "ACCEPTED (a defect)"


def _tamper_checks(
    detector: Detector,
    prover: Prover,
    gateway: chainmod.Gateway,
    model_id: str,
    te: TennesseeEastman,
    scores: FloatArray,
    picks: list[tuple[int, int]],
    echo: Callable[[str], None],
) -> dict[str, str]:
    """A forged proof, a forged score, a proof moved to another stream or index, and a replay must
    all be refused, leaving the head as it was."""
    fault = picks[0][0]
    last_row = max(int(te.test.rows[index]) for f, index in picks if f == fault)
    spare = [
        int(i)
        for i in np.flatnonzero(
            (te.test.fault_ids == fault) & (te.test.labels == 1) & (scores >= detector.threshold)
        )
        if int(te.test.rows[int(i)]) > last_row
    ]
    stream = stream_id(f"te/fault-{fault:02d}")
    row = int(te.test.rows[spare[0]])
    proven = prover.prove(
        detector.scale(te.test.windows[spare[0] : spare[0] + 1]),
        "tamper-check",
        Binding(gateway.account.address, stream, row),
        float(scores[spare[0]]),
    )
    before = gateway.head(stream)
    forged_proof = bytearray(proven.proof)
    forged_proof[100] ^= 0x01
    score_at = (
        instances_per_window(proven.commitment) - BINDING_LIMBS - 1
    ) * proven.windows  # the first score
    forged_score = tuple(v + 1 if i == score_at else v for i, v in enumerate(proven.instances))
    other = stream_id("te/another-stream")
    gateway.ensure_stream(other, "te/another-stream")
    outcome = {
        "tampered_proof": _refusal(
            lambda: gateway.submit(stream, model_id, replace(proven, proof=bytes(forged_proof)))
        ),
        "tampered_score": _refusal(
            lambda: gateway.submit(stream, model_id, replace(proven, instances=forged_score))
        ),
        "copied_to_another_stream": _refusal(
            lambda: gateway.submit(other, model_id, proven, check=False)
        ),
        "moved_to_another_index": _refusal(
            lambda: gateway.submit(stream, model_id, proven, index=row + 1, check=False)
        ),
    }
    outcome["head_unchanged_after_forgeries"] = (
        "yes" if gateway.head(stream) == before else "NO (a defect)"
    )
    gateway.submit(stream, model_id, proven)
    outcome["honest_proof_after_forgeries"] = "recorded"
    outcome["replay"] = _refusal(lambda: gateway.submit(stream, model_id, proven))
    for name, result in outcome.items():
        echo(f"      {name}: {result}")
    return outcome
