"""The time-series report, README.md (+ prove_time.png), from detection.json, bench.json,
agreement*.json, cells.json and demo.json in the reports folder (:func:`zkalert.config.reports_dir`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zkalert.config import reports_dir

TARGETS = {
    "tc_d16_prove_s": 20.0,
    "sc_prove_s": 5.0,
    "setup_s": 60.0,
    "rss_gb": 8.0,
    "agreement": 0.99,
}


def _load(name: str) -> dict[str, Any] | None:
    path = reports_dir("timeseries") / name
    return json.loads(path.read_text()) if path.is_file() else None


def _opt(row: dict[str, Any], key: str, spec: str) -> str:
    return format(row[key], spec) if key in row else "-"


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f}"


def write_report() -> Path:
    bench, agreement, demo = _load("bench.json"), _load("agreement.json"), _load("demo.json")
    detection = _load("detection.json")
    lines = ["# Time-series mode: measured figures", ""]
    source = bench or agreement or demo or detection
    if source:
        m = source["machine"]
        lines += [
            f"Machine: {m['cpus']} × {m['cpu']}, {m['memory_gb']} GB RAM, {m['platform']}; Python {m['python']}, ezkl {m['ezkl']}, torch {m['torch']}.",
            f"Load average when the run started: {', '.join(f'{x:.1f}' for x in m['load_average_at_start'])} (the measurement itself keeps the 2 cores busy, a load of about 2; above that, other jobs shared the machine and timings are noisy).",
            "",
        ]
    if detection:
        from zkalert.lab.timeseries.detection import report_lines

        lines += report_lines(detection, reports_dir("evaluate") / "family.json")
    if bench:
        rows = [r for r in bench["results"] if "error" not in r]
        lines += [
            "## Circuits and proving (`zkalert ts bench`)",
            "",
            f"Reactor subsystem (n = 4 states, m = 4 measurements, hidden 4), windows of 16 steps, {bench['proofs_per_config']} real TE intervals per configuration. Development SRS.",
            "",
            "Wall times are what the machine gave (the load when each row started is below the table); CPU seconds (all threads of the proving process) show how much of it was waiting: on an idle 2-core machine a proof cannot take less than about CPU / 2.",
            "",
            "| D | PSF | logrows | rows | export s | settings s | compile s | setup s | pk MiB | vk KiB | circuit KiB | witness KiB | proof B | TC prove s (mean ± std) | prove CPU s | per step s | verify s | eth_call s | verify gas | verifier B | peak RSS GB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows:
            t = r["tc"]
            lines.append(
                f"| {r['steps']} | {r['psf']} | {t['logrows']} | {t['num_rows']:,} | {t['export_s']:.2f} | {t['settings_s']:.2f} | {t['compile_s']:.2f} | {t['setup_s']:.1f} | {_mib(t['pk_bytes'])} | {t['vk_bytes'] / 1024:.0f} | {t['circuit_bytes'] / 1024:.0f} | {t['witness_bytes'] / 1024:.0f} | {t['proof_bytes']:,} | {t['prove_mean_s']:.1f} ± {t['prove_std_s']:.1f} | {_opt(t, 'prove_cpu_mean_s', '.1f')} | {t['prove_mean_s'] / r['steps']:.2f} | {t['verify_mean_s']:.2f} | {_opt(t, 'eth_call_mean_s', '.3f')} | {_opt(t, 'verify_gas_mean', ',.0f')} | {_opt(t, 'verifier_runtime_bytes', ',')} | {r['peak_rss_bytes'] / 2**30:.2f} |"
            )
        reused = [r for r in rows if r.get("reused")]
        columns = ", ".join(
            f"D = {d}: {c}" for d, c in sorted({r["steps"]: r["cols"] for r in rows}.items())
        )
        loads = "; ".join(
            f"D = {r['steps']}, PSF {r['psf']}: {r['load_average_at_start'][0]:.1f}"
            for r in rows
            if "load_average_at_start" in r
        )
        lines += [
            "",
            (
                f"Rows of D = {', '.join(str(r['steps']) for r in reused)}: measured in an earlier run of the same code and reused (`--reuse`). "
                if reused
                else ""
            )
            + f"TC inner columns: {columns}."
            + (
                f" 1-minute load average when each row's measurement started: {loads}."
                if loads
                else ""
            ),
        ]
        by_d = {(r["steps"], r["psf"], r["cols"]): r for r in rows}
        lines += [
            "",
            "Speedup of proving a 16-step horizon with interval D versus D = 1 (16 · t(D=1) / ((16/D) · t(D))):",
            "",
        ]
        for (d, p, c), r in sorted(by_d.items()):
            base = next((b for (d1, p1, _), b in by_d.items() if d1 == 1 and p1 == p), None)
            if base and d != 1:
                speedup = 16 * base["tc"]["prove_mean_s"] / ((16 / d) * r["tc"]["prove_mean_s"])
                lines.append(f"- D = {d}, PSF {p}: {speedup:.2f}×")
        sc_rows = [r for r in rows if "sc" in r]
        if sc_rows:
            lines += [
                "",
                "| SC circuit | PSF | logrows | rows | setup s | pk MiB | proof B | prove s (mean ± std) | prove CPU s | verify s | eth_call s | verify gas | verifier B |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for r in sc_rows:
                s = r["sc"]
                lines.append(
                    f"| T² + SVD check | {r['psf']} | {s['logrows']} | {s['num_rows']:,} | {s['setup_s']:.1f} | {_mib(s['pk_bytes'])} | {s['proof_bytes']:,} | {s['prove_mean_s']:.1f} ± {s['prove_std_s']:.1f} | {_opt(s, 'prove_cpu_mean_s', '.1f')} | {s['verify_mean_s']:.2f} | {_opt(s, 'eth_call_mean_s', '.3f')} | {_opt(s, 'verify_gas_mean', ',.0f')} | {_opt(s, 'verifier_runtime_bytes', ',')} |"
                )
            by_psf = {r["psf"]: r for r in sc_rows}
            lines += [
                "",
                "Gas to verify one window on-chain (verifiers only; the registry's own bookkeeping is in the demo's figures): W · TC + SC.",
                "",
            ]
            for (d, p, _), r in sorted(by_d.items()):
                if (
                    p in by_psf
                    and "verify_gas_mean" in r["tc"]
                    and "verify_gas_mean" in by_psf[p]["sc"]
                ):
                    lines.append(
                        f"- D = {d}, PSF {p}: {16 // d} × {r['tc']['verify_gas_mean']:,.0f} + {by_psf[p]['sc']['verify_gas_mean']:,.0f} = {(16 // d) * r['tc']['verify_gas_mean'] + by_psf[p]['sc']['verify_gas_mean']:,.0f} gas"
                    )
        _plot(rows)
        lines += ["", "![TC proving time per D](prove_time.png)", ""]
    cells = _load("cells.json")
    if cells:
        lines += _cells_section(cells, bench)
    if demo:
        s = demo["summary"]
        lines += [
            "## Demo on a local chain (`zkalert ts demo`)",
            "",
            f"Stream `{demo['stream']}`, {len(demo['windows'])} windows of D = {demo['options']['steps']}: honest stream passes the regulator's check: **{s['honest_stream_passes']}**; every attack refused with its error and the stream unchanged: **{s['attacks_refused']}**; every refusal found by the check: **{s['attacks_found_by_audit']}**. Load average at its start: {', '.join(f'{x:.1f}' for x in demo['machine']['load_average_at_start'])}.",
            "",
            "| metric | value |",
            "| --- | ---: |",
            f"| TC prove (mean, s) | {s['tc_prove_mean_s']:.1f} |",
            f"| SC prove (mean, s) | {s['sc_prove_mean_s']:.1f} |",
            f"| gas per TC submission (verify + record) | {s['tc_gas_mean']:,.0f} |",
            f"| gas per SC submission | {s['sc_gas_mean']:,.0f} |",
            f"| gas per window | {s['gas_per_window_mean']:,.0f} |",
            f"| alarm agreement with float (demo windows) | {s['alarm_agreement']:.2%} |",
            "",
            "| attack | refused with | stream unchanged |",
            "| --- | --- | --- |",
        ]
        for a in demo["attacks"]:
            lines.append(
                f"| {a['attack']} | `{a['outcome'].split('(')[0]}` | {a['stream_unchanged']} |"
            )
        lines += [""]
        if "plant" in demo:
            lines += _demo_plant(demo["plant"])
    if agreement:
        lines += [
            "## Alarm agreement with the float EKF (`zkalert ts agreement`)",
            "",
            (
                f"D = {agreement['steps']}, PSF {agreement['psf']}, windows of {agreement['window_steps']} steps, UCL {agreement['ucl']:.2f}; circuit alarms are the SC witness outputs (what a proof attests). "
                f"**{agreement['agreement']:.2%}** of {agreement['windows']} windows agree (target ≥ 99%), over {len(agreement['runs'])} of the {len(agreement.get('runs_requested', agreement['runs']))} TE runs requested"
                f"{'' if agreement.get('complete', True) else ' (the measurement was stopped before the rest)'}. The fault starts at window {agreement['fault_starts_at_window']}. "
                f"Load average at the start: {', '.join(f'{x:.1f}' for x in agreement['machine']['load_average_at_start'])}; {agreement['elapsed_s'] / 60:.0f} min."
            ),
            "",
        ]
        lines += [
            "| run | windows | agree | KRC ok | SVD ok | alarms before fault (circuit / float) | alarms in fault (circuit / float) | first alarm window in fault (circuit / float) | max abs T² diff |",
            "| ---: | ---: | ---: | --- | --- | --- | --- | --- | ---: |",
        ]
        for r in agreement["runs"]:
            in_fault = (
                "-"
                if r["circuit_alarm_rate_in_fault"] is None
                else f"{r['circuit_alarm_rate_in_fault']:.2f} / {r['float_alarm_rate_in_fault']:.2f}"
            )
            first = (
                "-"
                if r["fault"] == 0
                else f"{r['circuit_first_alarm_window_in_fault']} / {r['float_first_alarm_window_in_fault']}"
            )
            lines.append(
                f"| d{r['fault']:02d} | {r['windows']} | {r['agree']} | {r['krc_ok']} | {r['svd_ok']} | {r['circuit_alarm_rate_before_fault']:.2f} / {r['float_alarm_rate_before_fault']:.2f} | {in_fault} | {first} | {r['max_abs_t2_difference']:.3f} |"
            )
        lines += [""]
    others = {s: a for s in OTHER_SUBSYSTEMS if (a := _load(f"agreement-{s}.json"))}
    if others:
        lines += _other_subsystems(others, agreement)
    path = reports_dir("timeseries") / "README.md"
    path.write_text("\n".join(lines) + "\n")
    return path


OTHER_SUBSYSTEMS = ("separator", "stripper")
FALSE_ALARM_FLAG = (
    0.05  # flagged above 5x the 1% the UCL (a 99th percentile of normal windows) is set for
)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _sessions(a: dict[str, Any]) -> str:
    """Load average at the start of each measuring session (runs kept with --reuse were measured earlier)."""
    sessions = a.get("sessions") or []
    if len(sessions) < 2:
        return ", ".join(f"{x:.1f}" for x in a["machine"]["load_average_at_start"])
    return "; ".join(
        f"{', '.join(f'{x:.1f}' for x in s['load_average_at_start'])} ({', '.join(f'd{f:02d}' for f in s['faults'])}: {s['elapsed_s'] / 60:.0f} min)"
        for s in sessions
    )


def _other_subsystems(
    others: dict[str, dict[str, Any]], reactor: dict[str, Any] | None
) -> list[str]:
    """``zkalert ts agreement --subsystem S`` for the subsystems other than the reactor."""
    reactor_normal = (
        next((r for r in reactor["runs"] if r["fault"] == 0), None) if reactor else None
    )
    lines = [
        "## Other subsystems",
        "",
        (
            "Each subsystem has its own EKF (`zkalert ts train --subsystem S`, default settings), its own TC and SC circuits (`zkalert ts compile --subsystem S`) "
            "and its own agreement file (`agreement-S.json`, from `zkalert ts agreement --subsystem S`), over the TE runs listed; circuit alarms are the "
            "SC witness outputs, as above. The false-alarm rate is the share of alarmed windows over the whole normal test run d00_te; the UCL is the "
            "99th percentile of window T² over the detector's held-out normal training rows (see the detection section for what that gives on the test runs)."
            + (
                f" The reactor's file records d00 before window {reactor['fault_starts_at_window']} only: {reactor_normal['circuit_alarm_rate_before_fault']:.2f} (circuit) / {reactor_normal['float_alarm_rate_before_fault']:.2f} (float)."
                if reactor and reactor_normal
                else ""
            )
        ),
        "",
        "| subsystem | n, m | UCL | TC logrows (rows) | SC logrows | runs measured | windows | agreement | KRC ok (runs) | SVD ok (runs) | false alarms on d00 (circuit / float) | 1/5/15-min load at start | duration |",
        "| --- | --- | ---: | --- | ---: | --- | ---: | ---: | --- | --- | --- | --- | ---: |",
    ]
    for name, a in others.items():
        runs = a["runs"]
        normal = next((r for r in runs if r["fault"] == 0), None)
        tc, sc = a.get("circuits", {}).get("tc"), a.get("circuits", {}).get("sc")
        dims = f"{tc['n']}, {tc['m']}" if tc else "-"
        tc_size = f"{tc['logrows']} ({tc['num_rows']:,})" if tc else "-"
        false_alarms = (
            f"{normal['circuit_alarm_rate_all']:.3f} / {normal['float_alarm_rate_all']:.3f}"
            if normal and "circuit_alarm_rate_all" in normal
            else "-"
        )
        measured = ", ".join(f"d{r['fault']:02d}" for r in runs) + (
            "" if a.get("complete", True) else " (stopped early)"
        )
        lines.append(
            f"| {name} | {dims} | {a['ucl']:.2f} | {tc_size} | {sc['logrows'] if sc else '-'} | {measured} | {a['windows']} | **{a['agreement']:.2%}** | "
            f"{sum(r['krc_ok'] for r in runs)}/{len(runs)} | {sum(r['svd_ok'] for r in runs)}/{len(runs)} | {false_alarms} | {_sessions(a)} | {a['elapsed_s'] / 60:.0f} min |"
        )
    lines.append("")
    reactor_runs = {r["fault"]: r for r in reactor["runs"]} if reactor else {}
    for name, a in others.items():
        lines += [
            f"### {name.capitalize()}",
            "",
            "| run | windows | agree | KRC ok | SVD ok | alarms before fault (circuit / float) | alarms in fault (circuit / float) | first alarm window in fault (circuit / float) | reactor on this run: alarms in fault, first alarm (circuit) | max abs T² diff |",
            "| ---: | ---: | ---: | --- | --- | --- | --- | --- | --- | ---: |",
        ]
        for r in a["runs"]:
            in_fault = (
                "-"
                if r["circuit_alarm_rate_in_fault"] is None
                else f"{r['circuit_alarm_rate_in_fault']:.2f} / {r['float_alarm_rate_in_fault']:.2f}"
            )
            first = (
                "-"
                if r["fault"] == 0
                else f"{r['circuit_first_alarm_window_in_fault']} / {r['float_first_alarm_window_in_fault']}"
            )
            ref = reactor_runs.get(r["fault"])
            ref_text = (
                "-"
                if ref is None or r["fault"] == 0
                else f"{_rate(ref['circuit_alarm_rate_in_fault'])}, {ref['circuit_first_alarm_window_in_fault']}"
            )
            lines.append(
                f"| d{r['fault']:02d} | {r['windows']} | {r['agree']} | {r['krc_ok']} | {r['svd_ok']} | {r['circuit_alarm_rate_before_fault']:.2f} / {r['float_alarm_rate_before_fault']:.2f} | {in_fault} | {first} | {ref_text} | {r['max_abs_t2_difference']:.3f} |"
            )
        disagreements = [
            f"d{r['fault']:02d} window {d['window']} (T² {d['t2']:.2f} circuit, {d['float_t2']:.2f} float, UCL {d['ucl']:.2f})"
            for r in a["runs"]
            for d in r["disagreements"]
        ]
        if disagreements:
            lines += ["", f"Windows where circuit and float disagree: {'; '.join(disagreements)}."]
        short = []
        normal = next(
            (r for r in a["runs"] if r["fault"] == 0 and "circuit_alarm_rate_all" in r), None
        )
        if normal and normal["circuit_alarm_rate_all"] > FALSE_ALARM_FLAG:
            short.append(
                f"the detector alarms on {normal['circuit_alarm_rate_all']:.1%} of the normal run's windows (float {normal['float_alarm_rate_all']:.1%}), above the 1% its UCL (99th percentile of the training run's windows) is set for"
            )
        if a["agreement"] < TARGETS["agreement"]:
            short.append(
                f"agreement {a['agreement']:.2%} is below the {TARGETS['agreement']:.0%} target"
            )
        silent = [
            f"d{r['fault']:02d}"
            for r in a["runs"]
            if r["fault"] and not r["circuit_alarm_rate_in_fault"]
        ]
        if silent:
            short.append(f"the circuit raises no alarm in the fault period of {', '.join(silent)}")
        failed = [f"d{r['fault']:02d}" for r in a["runs"] if not (r["krc_ok"] and r["svd_ok"])]
        if failed:
            short.append(f"KRC or SVD checks fail on honest intervals of {', '.join(failed)}")
        lines += [
            "",
            f"Short: {'; '.join(short)}."
            if short
            else f"No shortfall on these runs: agreement ≥ 99%, every check passes, every fault run alarms in its fault period, false alarms on d00 ≤ {FALSE_ALARM_FLAG:.0%}.",
            "",
        ]
    return lines


def _demo_plant(plant: dict[str, Any]) -> list[str]:
    """The demo's plant: the three streams over the same rows, one window first withheld."""
    view, withheld = plant["view"], plant["withheld"]
    marks = {True: "ALARM", False: "-", None: "unknown"}
    subsystems = list(view["streams"])
    lines = [
        "### The plant view",
        "",
        (
            f"The other subsystems' streams over the same rows ({', '.join(f'`{n}`' for n in plant['streams'].values())}), "
            f"proven and recorded in {plant['seconds'] / 60:.1f} min with their compilation. The {withheld['subsystem']} "
            f"gateway first withheld window {withheld['window']}: the plant view showed it unknown: "
            f"**{plant['withheld_shown_unknown']}**. Once recorded: {view['rule']['text']} (on-delay "
            f"{view['rule']['on_delay']}, fusion {view['rule']['fusion']}); the float filters give the same "
            f"plant alarms under the same rule: **{plant['agrees_with_float']}**."
        ),
        "",
        "| window | " + " | ".join(f"{s} proven / held" for s in subsystems) + " | plant |",
        "| ---: | " + " | ".join("---" for _ in subsystems) + " | --- |",
    ]
    for w in view["windows"]:
        cells = [f"{marks[w['proven'][s]]} / {marks[w['held'][s]]}" for s in subsystems]
        lines.append(f"| {w['window']} | " + " | ".join(cells) + f" | {marks[w['alarm']]} |")
    return [*lines, ""]


def _cells_section(cells: dict[str, Any], bench: dict[str, Any] | None) -> list[str]:
    """Where the TC circuit's cells go (``zkalert ts cells``)."""
    lines = [
        "## Where the TC circuit's cells go (`zkalert ts cells`)",
        "",
        (
            "EZKL lays every operation out in advice cells; rows = cells / inner columns, and a circuit needs the next power of two above its rows "
            "(and above the rows of its Poseidon commitments: 6,000 at D = 1, 23,220 at D = 16). Cost of EZKL's primitives on 16 private fixed-point values "
            "(`ezkl.gen_settings`, 2 inner columns, decomposition 4096², each net of passing the values through):"
        ),
        "",
        "| operation | cells |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {value:,} |" for name, value in cells["primitives"].items()]
    step = cells["tc_step"]
    lines += [
        "",
        (
            f"One EKF step of the current TC circuit: **{step['2']:,.0f} cells** with 2 inner columns, {step['4']:,.0f} with 4 (padding); "
            f"inner columns chosen per D: {', '.join(f'D = {d}: {c}' for d, c in cells['tc_columns_by_d'].items())}."
        ),
        "",
    ]
    lines += [
        (
            "Per step the circuit has 98 rescaled products (z, x⁻, g, ŷ, x: 4 each; F P: 16; P⁻, S, K H P⁻ upper triangles: 10 each; H P⁻ and K S: 16 each), "
            "about 4,300 cells; the KRC check (16 products K S, 16 abs + comparisons) about 1,350; the activation patterns 8 comparisons to bits and 8 pattern "
            "comparisons, about 370; the rest is matrix-product and addition layout. The previous layout (before commit c8a3f5e) rescaled 204 products per step "
            "(each ReLU output, W2 diag(a), the Jacobian products, full 4×4 covariances) and took 11,596 cells per step, measured the same way."
        ),
        "",
    ]
    return lines


def _plot(rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for psf in sorted({r["psf"] for r in rows}):
        sel = sorted((r for r in rows if r["psf"] == psf), key=lambda r: r["steps"])
        ax.errorbar(
            [r["steps"] for r in sel],
            [r["tc"]["prove_mean_s"] for r in sel],
            yerr=[r["tc"]["prove_std_s"] for r in sel],
            marker="o",
            label=f"PSF {psf}",
        )
    ax.axhline(
        TARGETS["tc_d16_prove_s"], color="grey", linestyle="--", label="target at D=16 (20 s)"
    )
    ax.set_xlabel("D (EKF steps per TC proof)")
    ax.set_ylabel("TC prove time (s)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(reports_dir("timeseries") / "prove_time.png", dpi=110)
    plt.close(fig)
