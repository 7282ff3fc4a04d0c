"""The regulator's check of an acceptance bundle (``zkalert accept check``).

With the labelled reference set it kept, the model's verifying key and settings (its own
copies, or the bundle's, checked against the model id) and its own SRS, the regulator:

1. refuses, in one line, a bundle of another reference set or model, and a reference set
   that lacks the detector's columns (nothing is written then);
2. for every proof: checks that each window's binding is the acceptance binding of its
   position, recomputes each window's commitment from the regulator's own copy of the window
   (scaled with the bundle's scaler, quantized as the circuit's settings say; Poseidon or KZG)
   and verifies the proof with EZKL under the verifying key, settings and SRS;
3. computes detection rate, false-alarm rate, ROC-AUC, precision and F1 from the *proven*
   scores of the verified windows at the circuit's threshold (fixed-point units, as the
   registry compares), next to the float detector's figures the operator claims for the same
   windows, and how often the two decide alike;
4. writes the report, JSON and Markdown, into one folder (complete, or not at all).

Each reference window gets one status: ``verified``, ``invalid`` (a proof about another
window, bound elsewhere, or that does not verify) or ``proof-missing``. Every invalid or
missing window is a finding, as is a model that raises no alarm on any anomalous window (or
alarms on every normal one) and any figure outside the regulator's bounds; the verdict is
PASS only without findings.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from eth_utils import keccak

from zkalert.config import development_srs
from zkalert.detector.quality import binary_metrics, decision_agreement, group_rates
from zkalert.errors import AcceptanceError, ZkAlertError
from zkalert.services.acceptance import (
    Bundle,
    BundleProof,
    ReferenceSet,
    acceptance_binding,
    acceptance_stream,
    environment,
    now,
    scaler_digest,
)
from zkalert.zk.commitment import InputSpec, commitment_of, felt_to_signed, quantize_window
from zkalert.zk.prover import verify_proof
from zkalert.zk.srsid import ezkl_srs_logrows, ezkl_srs_tau_g2
from zkalert.zk.statement import limbs_of, split_bound_statement

#: Windows listed one by one among the findings; the rest are counted.
MAX_LISTED = 20


@dataclass(frozen=True)
class CheckOptions:
    """The regulator's own material and bounds (None: the bundle's copy, or no bound)."""

    vk: Path | None = None
    settings: Path | None = None
    srs: Path | None = None
    model_id: str | None = None
    #: the registered threshold in the circuit's fixed-point units (default: the bundle's)
    threshold_felt: int | None = None
    min_detection_rate: float | None = None
    max_false_alarm_rate: float | None = None
    min_roc_auc: float | None = None

    def __post_init__(self) -> None:
        for name in ("min_detection_rate", "max_false_alarm_rate", "min_roc_auc"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise AcceptanceError(f"{name.replace('_', ' ')} must be in [0, 1], got {value}")
        if self.threshold_felt is not None and self.threshold_felt < 0:
            raise AcceptanceError(f"the threshold must not be negative, got {self.threshold_felt}")


@dataclass(frozen=True)
class Material:
    """The verifying key, settings and SRS the proofs are checked with, and where each came from."""

    vk: Path
    vk_source: str
    settings: Path
    settings_source: str
    srs: Path
    srs_source: str
    model_id: str
    spec: InputSpec

    def to_json(self) -> dict[str, Any]:
        srs_bytes = self.srs.read_bytes()
        return {
            "model_id": self.model_id,
            "vk": str(self.vk),
            "vk_source": self.vk_source,
            "settings": str(self.settings),
            "settings_source": self.settings_source,
            "settings_sha256": hashlib.sha256(self.settings.read_bytes()).hexdigest(),
            "srs": str(self.srs),
            "srs_source": self.srs_source,
            "srs_sha256": hashlib.sha256(srs_bytes).hexdigest(),
            "srs_id": ezkl_srs_tau_g2(self.srs).srs_id_hex,
            "srs_logrows": ezkl_srs_logrows(self.srs),
        }


def material(bundle: Bundle, options: CheckOptions) -> Material:
    """The key material, checked: the verifying key must be the bundle's model (and the one the
    regulator names), the settings a committed circuit of the bundle's shape, the SRS large enough."""
    vk = options.vk or bundle.vk
    settings = options.settings or bundle.settings
    for path, what in ((vk, "verifying key"), (settings, "settings")):
        if not path.is_file():
            raise AcceptanceError(f"{path}: no such file (the model's {what})")
    model_id = "0x" + keccak(vk.read_bytes()).hex()
    if model_id != bundle.model_id:
        raise AcceptanceError(
            f"the bundle's proofs are for model {bundle.model_id}, but the verifying key {vk} is "
            f"model {model_id} (keccak256 of the key)"
        )
    if options.model_id is not None and options.model_id.lower() != model_id:
        raise AcceptanceError(f"the bundle is for model {model_id}, not {options.model_id}")
    try:
        spec = InputSpec.of_settings(settings)
    except ZkAlertError as exc:
        raise AcceptanceError(str(exc)) from None
    if (spec.commitment, spec.windows_per_proof) != (bundle.commitment, bundle.windows_per_proof):
        raise AcceptanceError(
            f"the settings {settings} describe a {spec.commitment}-committed circuit of "
            f"{spec.windows_per_proof} window(s) per proof, the bundle one of "
            f"{bundle.windows_per_proof} ({bundle.commitment})"
        )
    if options.srs is not None:
        srs, srs_source = options.srs, "given (--srs)"
    else:
        srs = development_srs(spec.logrows)
        srs_source = "this machine's development SRS (no --srs given)"
    if not srs.is_file():
        raise AcceptanceError(
            f"{srs}: no such SRS file: pass --srs with your own copy of the SRS the model was set up with"
        )
    try:
        logrows = ezkl_srs_logrows(srs)
    except ZkAlertError as exc:
        raise AcceptanceError(str(exc)) from None
    if logrows < spec.logrows:
        raise AcceptanceError(
            f"{srs}: an SRS for 2^{logrows} rows, the circuit needs 2^{spec.logrows}"
        )
    return Material(
        vk=vk,
        vk_source="given (--vk)" if options.vk else "the bundle's",
        settings=settings,
        settings_source="given (--settings)" if options.settings else "the bundle's",
        srs=srs,
        srs_source=srs_source,
        model_id=model_id,
        spec=spec,
    )


def _positions(values: list[int]) -> str:
    shown = ", ".join(map(str, values[:MAX_LISTED]))
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


def _rate(metrics: dict[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    return None if value is None else float(value)


def _figures(metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures a regulator reads first, under their acceptance names."""
    return {
        "detection_rate": _rate(metrics, "recall"),
        "false_alarm_rate": _rate(metrics, "false_positive_rate"),
        "roc_auc": _rate(metrics, "roc_auc"),
        "precision": _rate(metrics, "precision"),
        "f1": _rate(metrics, "f1"),
        **metrics,
    }


class _Checker:
    """The per-proof checks of :func:`check_bundle` (state: the rows it fills)."""

    def __init__(
        self, reference: ReferenceSet, bundle: Bundle, material: Material, threshold: int
    ) -> None:
        self.reference, self.bundle, self.material = reference, bundle, material
        self.threshold = threshold
        self.spec = material.spec
        size = self.spec.windows_per_proof
        self.total = -(-len(reference) // size) * size
        raw = reference.matrix_for(
            bundle.columns, bundle.width, f"reference set {reference.id[:12]}"
        )
        self.scaled = bundle.scaler.transform(raw)
        self.proof_problems: list[str] = []
        assert reference.labels is not None and reference.groups is not None
        assert reference.origins is not None
        self.rows: list[dict[str, Any]] = [
            {
                "position": p,
                "origin": reference.origins[p],
                "label": int(reference.labels[p]),
                "group": reference.group_names.get(
                    int(reference.groups[p]), str(reference.groups[p])
                ),
                "status": "proof-missing",
                "detail": "no proof in the bundle covers this window",
                "proof": None,
                "proven_score_felt": None,
                "proven_score": None,
                "proven_alarm": None,
                "float_score": None,
                "float_alarm": None,
            }
            for p in range(len(reference))
        ]
        self.padding: list[dict[str, Any]] = []

    def score(self, felt: int) -> float:
        return float(felt / (self.bundle.score_divisor * 2**self.spec.output_scale))

    def check(self, k: int, entry: BundleProof) -> None:
        size = self.spec.windows_per_proof
        first = entry.first_position
        label = f"proof {k} (windows {first}-{first + entry.windows - 1})"
        if entry.windows != size or first < 0 or first % size or first + size > self.total:
            self.proof_problems.append(
                f"{label}: covers positions the circuit's batches of {size} do not "
                f"(0..{self.total - 1} in steps of {size}); not checked"
            )
            return
        try:
            commitments, scores, bindings = split_bound_statement(
                entry.instances, entry.proof, self.spec.commitment
            )
            if len(scores) != size:
                raise AcceptanceError(f"{len(scores)} windows in its instances, not {size}")
        except (ZkAlertError, ValueError) as exc:
            for i in range(size):
                self._record(
                    first + i,
                    k,
                    entry,
                    i,
                    None,
                    [f"its instances are not a statement of {size} window(s): {exc}"],
                )
            return
        ok, why = verify_proof(
            entry.proof,
            entry.instances,
            self.material.vk,
            self.material.settings,
            self.material.srs,
        )
        tags = acceptance_binding(self.reference.id, first).tags(size)
        for i in range(size):
            position = first + i
            problems: list[str] = []
            notes: list[str] = []
            if bindings[i] != tags[i]:
                problems.append(
                    f"bound to another gateway, stream or index than acceptance position {position}"
                )
            source = min(position, len(self.reference) - 1)  # padding repeats the last window
            own = quantize_window(self.scaled[source], self.spec.input_scale, self.spec.input_type)
            limbs = limbs_of(tags[i])
            expected = self._commitment(own, limbs)
            if expected != commitments[i]:
                declared = list(entry.inputs[i]) if i < len(entry.inputs) else []
                off = (
                    [abs(a - b) for a, b in zip(declared, own, strict=True)]
                    if len(declared) == len(own)
                    else []
                )
                if off and max(off) <= 1 and self._commitment(declared, limbs) == commitments[i]:
                    notes.append(
                        f"its commitment is of reference window {source} with "
                        f"{sum(1 for d in off if d)} value(s) one fixed-point step off "
                        "(the scaler's float arithmetic on another machine)"
                    )
                else:
                    problems.append(
                        f"its commitment is not that of reference window {source}: the proof is "
                        "about another window"
                    )
            if not ok:
                problems.append(f"the proof does not verify ({why})")
            self._record(position, k, entry, i, felt_to_signed(scores[i]), problems, notes)

    def _commitment(self, quantized: list[int], limbs: tuple[int, ...]) -> int:
        m = self.material
        return commitment_of(self.spec, quantized, limbs, m.vk, m.settings, m.srs)

    def _record(
        self,
        position: int,
        k: int,
        entry: BundleProof,
        i: int,
        felt: int | None,
        problems: list[str],
        notes: list[str] | None = None,
    ) -> None:
        float_score = entry.float_scores[i] if i < len(entry.float_scores) else None
        row = {
            "position": position,
            "status": "invalid" if problems else "verified",
            "detail": "; ".join(problems + (notes or [])),
            "proof": k,
            "proven_score_felt": felt,
            "proven_score": None if felt is None else self.score(felt),
            "proven_alarm": None if felt is None else felt >= self.threshold,
            "float_score": float_score,
            "float_alarm": None if float_score is None else float_score >= self.bundle.threshold,
        }
        if position >= len(self.reference):
            self.padding.append(row)
            return
        target = self.rows[position]
        if target["proof"] is not None:
            target["status"] = "invalid"
            target["detail"] = (
                f"proofs {target['proof']} and {k} of the bundle both cover this window"
            )
            return
        target.update(row)


def check_bundle(
    reference: ReferenceSet,
    bundle: Bundle,
    options: CheckOptions = CheckOptions(),
    echo: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Check every proof of ``bundle`` against the regulator's labelled ``reference`` set and
    compute the acceptance figures; returns the report (:func:`markdown` reads it)."""
    started, started_at = time.perf_counter(), now()
    if not reference.labelled:
        raise AcceptanceError(
            f"{reference.path or 'the reference set'} is the operator's copy (no labels): check "
            "with the labelled reference file you kept"
        )
    if bundle.reference_id != reference.id:
        raise AcceptanceError(
            f"the bundle was made for reference set {bundle.reference_id[:12]}.., not "
            f"{reference.id[:12]}.. (this reference file)"
        )
    if bundle.reference_windows != len(reference):
        raise AcceptanceError(
            f"the bundle counts {bundle.reference_windows} reference windows, the reference set has {len(reference)}"
        )
    keys = material(bundle, options)
    if reference.model_id is not None and reference.model_id != keys.model_id:
        raise AcceptanceError(
            f"the reference set was issued for model {reference.model_id}, the bundle is model {keys.model_id}"
        )
    threshold = bundle.threshold_felt if options.threshold_felt is None else options.threshold_felt
    checker = _Checker(reference, bundle, keys, threshold)
    echo(
        f"checking {len(bundle.proofs)} proof(s) of {len(reference)} reference windows: model "
        f"{keys.model_id[:18]}.., {keys.spec.commitment} commitments, SRS {keys.srs}"
    )
    for k, entry in enumerate(bundle.proofs):
        checker.check(k, entry)
        if (k + 1) % 10 == 0 or k + 1 == len(bundle.proofs):
            echo(f"  {k + 1}/{len(bundle.proofs)} proofs checked")
    rows = checker.rows
    assert reference.labels is not None and reference.groups is not None
    labels, groups = reference.labels, reference.groups

    # --- figures over the verified windows
    verified = np.array([r["status"] == "verified" for r in rows])
    proven: dict[str, Any] | None = None
    claimed: dict[str, Any] | None = None
    agreement: dict[str, Any] | None = None
    group_rows: list[dict[str, Any]] = []
    if verified.any():
        felts = np.array([r["proven_score_felt"] for r in rows if r["status"] == "verified"], float)
        floats = np.array([r["float_score"] for r in rows if r["status"] == "verified"], float)
        v_labels, v_groups = labels[verified], groups[verified]
        proven = _figures(binary_metrics(felts, v_labels, threshold))
        claimed = _figures(binary_metrics(floats, v_labels, bundle.threshold))
        proven_alarm, float_alarm = felts >= threshold, floats >= bundle.threshold
        agreement = decision_agreement(float_alarm, proven_alarm)
        agreement["differing_positions"] = [
            int(p) for p in np.flatnonzero(verified)[proven_alarm != float_alarm]
        ]
        names = reference.group_names
        float_rates = {g.group: g for g in group_rates(float_alarm, v_labels, v_groups, names)}
        for g in group_rates(proven_alarm, v_labels, v_groups, names):
            group_rows.append(
                {
                    "group": g.name,
                    "anomalous_windows": g.anomalous_windows,
                    "normal_windows": g.normal_windows,
                    "proven_detection_rate": g.detection_rate,
                    "proven_false_alarm_rate": g.false_alarm_rate,
                    "float_detection_rate": float_rates[g.group].detection_rate,
                    "float_false_alarm_rate": float_rates[g.group].false_alarm_rate,
                }
            )

    # --- findings
    findings = list(checker.proof_problems)
    missing = [r["position"] for r in rows if r["status"] == "proof-missing"]
    invalid = [r for r in rows if r["status"] == "invalid"]
    if missing:
        findings.append(
            f"{len(missing)} reference window(s) without a proof: positions {_positions(missing)}"
        )
    for r in invalid[:MAX_LISTED]:
        findings.append(f"window {r['position']} ({r['origin']}): {r['detail']}")
    if len(invalid) > MAX_LISTED:
        findings.append(f"{len(invalid) - MAX_LISTED} more invalid windows (see the windows table)")
    for r in checker.padding:
        if r["status"] != "verified":
            findings.append(f"padding window {r['position']}: {r['detail']}")
    if (
        invalid
        and all(r["detail"].startswith("the proof does not verify") for r in invalid)
        and len(invalid) == len(rows)
    ):
        findings.append(
            f"no proof verifies: is {keys.srs} the SRS the model's keys were made with, and "
            f"{keys.settings} its settings?"
        )
    gates: list[dict[str, Any]] = []
    if proven is not None:
        if proven["anomalous_windows"] and not proven["confusion"]["tp"]:
            findings.append(
                f"the model raised no alarm on any of the {proven['anomalous_windows']} anomalous "
                "reference windows it was proven on"
            )
        if proven["normal_windows"] and not proven["confusion"]["tn"]:
            findings.append(
                f"the model alarmed on every one of the {proven['normal_windows']} normal reference windows"
            )
        for name, key, bound, at_least in (
            ("detection rate", "detection_rate", options.min_detection_rate, True),
            ("false-alarm rate", "false_alarm_rate", options.max_false_alarm_rate, False),
            ("ROC-AUC", "roc_auc", options.min_roc_auc, True),
        ):
            if bound is None:
                continue
            value = proven[key]
            met = value is not None and (value >= bound if at_least else value <= bound)
            gates.append(
                {"figure": name, "bound": bound, "at_least": at_least, "value": value, "met": met}
            )
            if not met:
                shown = "undefined" if value is None else f"{value:.4f}"
                findings.append(
                    f"proven {name} {shown}, the regulator asks {'at least' if at_least else 'at most'} {bound:.4f}"
                )
    elif rows:
        findings.append("no reference window has a verified proof: there is nothing to measure")

    counts = {
        s: sum(1 for r in rows if r["status"] == s)
        for s in ("verified", "invalid", "proof-missing")
    }
    stream_name, stream = acceptance_stream(reference.id)
    return {
        "acceptance": {
            "verdict": "PASS" if not findings else "FAIL",
            "model_id": keys.model_id,
            "reference_id": reference.id,
            "reference_file": str(reference.path) if reference.path else None,
            "bundle": str(bundle.folder),
            "commitment": keys.spec.commitment,
            "windows_per_proof": keys.spec.windows_per_proof,
            "threshold_felt": str(threshold),
            "threshold_source": "the bundle's (the circuit's)"
            if options.threshold_felt is None
            else "given (--threshold)",
            "threshold": checker.score(threshold),
            "float_threshold": bundle.threshold,
            "binding": {
                "gateway": acceptance_binding(reference.id, 0).gateway,
                "stream": stream_name,
                "stream_id": "0x" + stream.hex(),
            },
            "started_at": started_at,
            "finished_at": now(),
            "duration_s": round(time.perf_counter() - started, 3),
        },
        "material": keys.to_json(),
        "reference": {
            "data": reference.data,
            "seed": reference.seed,
            "selection": reference.selection,
            "windows": len(reference),
            "normal": int(np.sum(labels == 0)),
            "anomalous": int(np.sum(labels == 1)),
            "issued_for_model": reference.model_id,
        },
        "detector": {
            "columns": list(bundle.columns) if bundle.columns is not None else None,
            "width": bundle.width,
            "scaler_sha256": scaler_digest(bundle.scaler),
            "float_threshold": bundle.threshold,
        },
        "proving": {
            "proofs": len(bundle.proofs),
            "padding": bundle.meta.get("padding", 0),
            **bundle.meta.get("proving", {}),
            "operator_circuit": bundle.meta.get("circuit", {}),
            "operator_environment": bundle.meta.get("environment"),
        },
        "summary": {
            **counts,
            "windows": len(rows),
            "padding": len(checker.padding),
            # verified with a note: the commitment is the operator's input, one fixed-point step off
            "verified_within_one_step": sum(
                1 for r in rows if r["status"] == "verified" and r["detail"]
            ),
        },
        "proven": proven,
        "float_claimed": claimed,
        "agreement": agreement,
        "groups": group_rows,
        "gates": gates,
        "findings": findings,
        "windows": rows,
        "padding": checker.padding,
        "environment": environment(),
    }


# ---------------------------------------------------------------------- report files


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """``report.json`` and ``report.md`` in ``out``, written together (complete, or not at all)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (tmp / "report.md").write_text(markdown(report))
    if out.exists():
        for name in ("report.json", "report.md"):
            (out / name).unlink(missing_ok=True)
        for name in ("report.json", "report.md"):
            (tmp / name).replace(out / name)
        tmp.rmdir()
    else:
        tmp.rename(out)
    return out / "report.json", out / "report.md"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def markdown(report: dict[str, Any]) -> str:
    a, m, r, s = report["acceptance"], report["material"], report["reference"], report["summary"]
    p, f, ag = report["proven"], report["float_claimed"], report["agreement"]
    lines = [
        f"# Model acceptance of {a['model_id']}: {a['verdict']}",
        "",
        (
            f"Reference set `{a['reference_id'][:12]}` ({r['windows']} windows: {r['normal']} normal, "
            f"{r['anomalous']} anomalous; seed {r['seed']}; {r['data']}). Checked {a['started_at']} – "
            f"{a['finished_at']} ({a['duration_s']} s). Threshold {a['threshold_felt']} in the circuit's "
            f"fixed-point units ({a['threshold']:.4f}; {a['threshold_source']})."
        ),
        "",
        "## Findings",
        "",
    ]
    lines += [f"- {x}" for x in report["findings"]] or [
        (
            "- none: every reference window has a proof that verifies under the model's key, about "
            "exactly that window, bound to its acceptance position."
        )
    ]
    lines += [
        "",
        "## Detection, from the proven scores",
        "",
        (
            f"Over the {s['verified']} verified windows of {s['windows']} (invalid {s['invalid']}, "
            f"without proof {s['proof-missing']}"
            + (
                f"; {s['verified_within_one_step']} verified one fixed-point step off, see their notes"
                if s["verified_within_one_step"]
                else ""
            )
            + "). The float figures are the operator's claim for "
            "the same windows (its detector's float scores, not proven)."
        ),
        "",
        "| figure | proven | float (claimed) |",
        "| --- | ---: | ---: |",
    ]
    if p is not None and f is not None:
        for name, key, fmt in (
            ("detection rate", "detection_rate", _pct),
            ("false-alarm rate", "false_alarm_rate", _pct),
            ("ROC-AUC", "roc_auc", _num),
            ("precision", "precision", _pct),
            ("F1", "f1", _num),
        ):
            lines.append(f"| {name} | {fmt(p[key])} | {fmt(f[key])} |")
        c, fc = p["confusion"], f["confusion"]
        lines.append(
            f"| alarms on anomalous / normal windows | {c['tp']} / {c['fp']} | {fc['tp']} / {fc['fp']} |"
        )
    if ag is not None:
        lines += [
            "",
            f"Decision parity: proven and float decisions agree on {ag['windows'] - ag['differing']} "
            f"of {ag['windows']} windows ({_pct(ag['agreement'])})"
            + (
                f"; they differ at positions {_positions(ag['differing_positions'])}."
                if ag["differing"]
                else "."
            ),
        ]
    if report["gates"]:
        lines += ["", "| bound | asked | proven | met |", "| --- | ---: | ---: | :---: |"]
        lines += [
            f"| {g['figure']} | {'≥' if g['at_least'] else '≤'} {g['bound']:.4f} | {_num(g['value'])} | {'yes' if g['met'] else '**no**'} |"
            for g in report["gates"]
        ]
    if report["groups"]:
        lines += [
            "",
            "## By group",
            "",
            "| group | anomalous | normal | detection (proven) | false alarms (proven) | detection (float) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {g['group']} | {g['anomalous_windows']} | {g['normal_windows']} | {_pct(g['proven_detection_rate'])} | "
            f"{_pct(g['proven_false_alarm_rate'])} | {_pct(g['float_detection_rate'])} |"
            for g in report["groups"]
        ]
    pr, d = report["proving"], report["detector"]
    lines += [
        "",
        "## Key material and proving",
        "",
        f"- model id {m['model_id']} = keccak256 of the verifying key ({m['vk_source']}: {m['vk']})",
        (
            f"- settings {m['settings_source']} (sha256 {m['settings_sha256'][:16]}..); "
            f"{a['commitment']} commitments, {a['windows_per_proof']} window(s) per proof"
        ),
        (
            f"- SRS {m['srs_source']}: {m['srs']} (2^{m['srs_logrows']}, sha256 {m['srs_sha256'][:16]}.., "
            f"SRS id {m['srs_id']})"
        ),
        (
            f"- detector input: {d['width']} columns scaled by the bundle's scaler (sha256 "
            f"{d['scaler_sha256'][:16]}..), outside the circuit"
        ),
        (
            f"- acceptance binding: gateway {a['binding']['gateway']}, stream {a['binding']['stream']}, "
            "index = position in the reference set (no registry takes these proofs as alerts)"
        ),
        (
            f"- proving (the operator's figures): {pr['proofs']} proof(s), {pr.get('padding', 0)} padding "
            f"window(s), {pr.get('prove_s_sum', '—')} s proving in total "
            f"(median {pr.get('prove_s_median', '—')} s per proof, {pr.get('cached', 0)} from an earlier run)"
        ),
        "",
        "## Windows",
        "",
        "| position | origin | label | status | proven score | alarm | float score | alarm | detail |",
        "| ---: | --- | :---: | --- | ---: | :---: | ---: | :---: | --- |",
    ]

    def mark(value: bool | None) -> str:
        return "—" if value is None else ("yes" if value else "")

    for w in report["windows"]:
        lines.append(
            f"| {w['position']} | {w['origin']} | {w['label']} | {w['status']} | "
            f"{_num(w['proven_score'])} | {mark(w['proven_alarm'])} | {_num(w['float_score'])} | "
            f"{mark(w['float_alarm'])} | {w['detail']} |"
        )
    return "\n".join(lines) + "\n"
