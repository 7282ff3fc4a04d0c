"""The regulator's read-only web page: server-rendered HTML with an inline SVG timeline, no scripts."""

from __future__ import annotations

import html
from typing import Any

STATUS_LABEL = {
    "verified": "verified",
    "invalid": "INVALID",
    "proof-missing": "proof missing",
    "unchecked": "not audited",
    "gap": "WITHHELD (never committed)",
}

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2733; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
.meta { color: #5b6875; font-size: .85rem; }
table { border-collapse: collapse; font-size: .85rem; margin-top: .5rem; }
th, td { border-bottom: 1px solid #dde3ea; padding: .25rem .6rem; text-align: left; }
th { background: #f1f4f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .8rem; }
tr.gap td { background: #fff1d6; font-weight: 600; }
tr.invalid td, tr.proof-missing td { background: #fde2e1; }
tr.unknown td { background: #fff1d6; } tr.alarm td { background: #fde2e1; font-weight: 600; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .6rem; font-size: .75rem; }
.badge.verified { background: #d9f2df; color: #14632b; }
.badge.invalid, .badge.proof-missing { background: #f8c9c6; color: #8a1c14; }
.badge.gap { background: #ffd88a; color: #6b4600; } .badge.unchecked { background: #e8ecf1; color: #46525e; }
.badge.PASS { background: #d9f2df; color: #14632b; } .badge.FAIL { background: #f8c9c6; color: #8a1c14; }
.cards { display: flex; gap: .8rem; flex-wrap: wrap; margin: .8rem 0; }
.card { border: 1px solid #dde3ea; border-radius: .4rem; padding: .4rem .8rem; min-width: 7rem; }
.card b { display: block; font-size: 1.3rem; }
ul.findings li { margin: .2rem 0; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _short(value: str | None, n: int = 10) -> str:
    if not value:
        return ""
    return f'<code title="{_e(value)}">{_e(value[: n + 2])}…</code>'


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
        f"<body>{body}</body></html>"
    )


def render_index(
    chain: dict[str, Any], streams: list[dict[str, Any]], plant: dict[str, str] | None = None
) -> str:
    rows = []
    for s in streams:
        audit = s.get("audit")
        verdict = (
            f'<span class="badge {_e(audit["verdict"])}">{_e(audit["verdict"])}</span> {_e(audit["finished_at"])}'
            if audit
            else "not audited"
        )
        rows.append(
            f'<tr data-stream="{_e(s["stream_id"])}"><td><a href="/streams/{_e(s["stream_id"])}">{_e(s.get("name") or s["stream_id"][:18] + "…")}</a></td>'
            f'<td class="num">{s["windows"]}</td><td class="num">{s["alerts"]}</td><td class="num">{s["alarms"]}</td>'
            f'<td class="num gaps">{s["gaps"]}</td><td>{"intact" if s["intact"] else "<b>BROKEN</b>"}</td><td>{verdict}</td></tr>'
        )
    body = (
        "<h1>zkalert: alert log</h1>"
        f'<p class="meta">Chain {_e(chain.get("chain_id"))} · AlertRegistry {_short(chain.get("registry"))} · '
        f"WindowLog {_short(chain.get('window_log'))} · head block {_e(chain.get('block'))} · read-only view</p>"
        '<h2>Streams</h2><table id="streams"><thead><tr><th>stream</th><th>windows committed</th><th>registry alerts</th>'
        "<th>alarms</th><th>gaps</th><th>hash chain</th><th>last audit</th></tr></thead><tbody>"
        + ("".join(rows) or '<tr><td colspan="7">no streams on this chain yet</td></tr>')
        + "</tbody></table>"
        + (
            '<h2>Plant</h2><p><a href="/plant">The plant view</a> of the time-series streams '
            + ", ".join(f"{_e(s)} <code>{_e(n)}</code>" for s, n in plant.items())
            + ".</p>"
            if plant
            else ""
        )
    )
    return _page("zkalert alert log", body)


def timeline_svg(
    points: list[dict[str, Any]], gaps: list[int], width: int = 900, height: int = 260
) -> str:
    """Score / threshold per window index; alarms red, gaps as amber bands, audit status as marker shape."""
    if not points and not gaps:
        return ""
    indexes = [p["window"] for p in points] + gaps
    lo, hi = min(indexes), max(indexes)
    span = max(hi - lo, 1)
    ratios = [p["ratio"] for p in points] or [1.0]
    top: float = max(max(ratios) * 1.1, 1.3)
    left, right, upper, lower = 48, 16, 16, 34
    plot_w, plot_h = width - left - right, height - upper - lower

    def x(i: float) -> float:
        return left + (i - lo) / span * plot_w if hi > lo else left + plot_w / 2

    def y(r: float) -> float:
        return upper + plot_h - min(r, top) / top * plot_h

    parts = [
        f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="score timeline">',
        f'<rect x="{left}" y="{upper}" width="{plot_w}" height="{plot_h}" fill="#fafbfc" stroke="#dde3ea"/>',
    ]
    band = max(plot_w / (span + 1) * 0.8, 6)
    for g in gaps:
        parts.append(
            f'<rect class="gap-band" data-window="{g}" x="{x(g) - band / 2:.1f}" y="{upper}" width="{band:.1f}" height="{plot_h}" fill="#ffd88a" opacity="0.8"><title>window {g}: withheld (never committed)</title></rect>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}" stroke="#c0392b" stroke-dasharray="5,4"/>'
    )
    parts.append(
        f'<text x="{left + plot_w - 4}" y="{y(1.0) - 4:.1f}" font-size="11" text-anchor="end" fill="#c0392b">threshold</text>'
    )
    ordered = sorted(points, key=lambda p: p["window"])
    if len(ordered) > 1:
        path = " ".join(
            f"{'M' if k == 0 else 'L'}{x(p['window']):.1f},{y(p['ratio']):.1f}"
            for k, p in enumerate(ordered)
        )
        parts.append(f'<path d="{path}" fill="none" stroke="#8796a8" stroke-width="1"/>')
    for p in ordered:
        colour = "#c0392b" if p["alarm"] else "#2f6db5"
        cx, cy = x(p["window"]), y(p["ratio"])
        title = f"window {p['window']}: score {p['score']} ({p['ratio']:.2f} x threshold), {STATUS_LABEL.get(p['status'], p['status'])}"
        if p["status"] == "verified":
            shape = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}"/>'
        elif p["status"] in ("invalid", "proof-missing"):
            shape = f'<path d="M{cx - 5:.1f},{cy - 5:.1f}L{cx + 5:.1f},{cy + 5:.1f}M{cx - 5:.1f},{cy + 5:.1f}L{cx + 5:.1f},{cy - 5:.1f}" stroke="{colour}" stroke-width="2.5"/>'
        else:
            shape = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="white" stroke="{colour}" stroke-width="2"/>'
        parts.append(
            f'<g class="point" data-window="{p["window"]}" data-alarm="{str(p["alarm"]).lower()}" data-status="{_e(p["status"])}">{shape}<title>{_e(title)}</title></g>'
        )
    for ratio in (0.0, 1.0, round(top * 0.9, 1)):
        parts.append(
            f'<text x="{left - 4}" y="{y(ratio) + 4:.1f}" font-size="10" text-anchor="end" fill="#5b6875">{ratio:g}</text>'
        )
    for tick in sorted({lo, hi, *(g for g in gaps)}):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - 16}" font-size="11" text-anchor="middle">{tick}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" font-size="11" text-anchor="middle" fill="#5b6875">window index</text>'
    )
    parts.append(
        f'<text x="12" y="{upper + plot_h / 2:.1f}" font-size="11" text-anchor="middle" fill="#5b6875" transform="rotate(-90 12 {upper + plot_h / 2:.1f})">score / threshold</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def render_stream(view: dict[str, Any]) -> str:
    audit = view.get("audit")
    statuses: dict[int, dict[str, Any]] = {r["window"]: r for r in (audit or {}).get("windows", [])}
    threshold = int(view["threshold"]) or 1
    points, rows = [], []
    gap_set = set(view["missing_indexes"])
    for w in view["windows"]:
        audited = statuses.get(w["window_index"])
        status = (
            audited["status"]
            if audited and audited.get("commit_hash") == w["commit_hash"]
            else "unchecked"
        )
        points.append(
            {
                "window": w["window_index"],
                "score": w["score"],
                "ratio": w["score"] / threshold,
                "alarm": w["alarm"],
                "status": status,
            }
        )
    entries = [("w", w) for w in view["windows"]] + [
        ("g", {"window_index": g}) for g in view["missing_indexes"]
    ]
    entries.sort(key=lambda e: e[1]["window_index"])
    gap_info = {g["window"]: g for g in (audit or {}).get("gaps", [])}
    for kind, w in entries:
        idx = w["window_index"]
        if kind == "g":
            utility = gap_info.get(idx, {}).get("utility", "not audited yet")
            rows.append(
                f'<tr class="gap" data-window="{idx}" data-status="gap"><td class="num">{idx}</td><td colspan="4">never committed on-chain: '
                f'a suppressed window</td><td><span class="badge gap">{STATUS_LABEL["gap"]}</span></td><td colspan="3">utility: {_e(utility)}</td></tr>'
            )
            continue
        point = next(p for p in points if p["window"] == idx)
        status = point["status"]
        detail = statuses.get(idx, {}).get("detail", "") if status != "unchecked" else ""
        rows.append(
            f'<tr class="{_e(status)}" data-window="{idx}" data-status="{_e(status)}" data-alarm="{str(w["alarm"]).lower()}">'
            f'<td class="num">{idx}</td><td class="num">{w["seq"]}</td><td class="num">{w["block"]}</td>'
            f'<td class="num">{w["score"]}</td><td>{"<b>ALARM</b>" if w["alarm"] else "normal"}</td>'
            f'<td><span class="badge {_e(status)}">{_e(STATUS_LABEL.get(status, status))}</span> {_e(detail)}</td>'
            f"<td>{_short(w['commit_hash'])}</td><td>{_short(w['prev_hash'])}</td><td>{_short(w['tx_hash'])}</td></tr>"
        )
    alert_rows = "".join(
        f'<tr data-seq="{a["seq"]}"><td class="num">{a["seq"]}</td><td class="num">{a["block"]}</td><td class="num">{a["score"]}</td>'
        f"<td>{'<b>ALARM</b>' if a['alarm'] else 'normal'}</td><td>{_short(a['alert_hash'])}</td><td>{_short(a['prev_hash'])}</td><td>{_short(a['tx_hash'])}</td></tr>"
        for a in view["alerts"]
    )
    if audit:
        s = audit["summary"]
        findings = "".join(f"<li>{_e(f)}</li>" for f in s["findings"]) or "<li>none</li>"
        audit_html = (
            f'<h2>Last audit <span class="badge {_e(s["verdict"])}" id="verdict">{_e(s["verdict"])}</span></h2>'
            f'<p class="meta">{_e(audit["audit"]["finished_at"])} · blocks {audit["audit"]["from_block"]}–{audit["audit"]["to_block"]} · '
            f'<a href="/api/audits/{view["audit_id"]}/report.md">report (Markdown)</a> · <a href="/api/audits/{view["audit_id"]}">JSON</a></p>'
            f'<ul class="findings" id="findings">{findings}</ul>'
        )
        cards = [
            ("committed", s["windows_committed"]),
            ("withheld", s["gaps"]),
            ("verified", s["verified"]),
            ("invalid", s["invalid"]),
            ("proof missing", s["proof-missing"]),
            ("not audited", s["unchecked"]),
        ]
    else:
        audit_html = '<h2>Last audit</h2><p id="verdict">not audited yet</p>'
        cards = [("committed", len(view["windows"])), ("withheld", len(gap_set))]
    cards_html = (
        '<div class="cards">'
        + "".join(
            f'<div class="card" data-card="{_e(n)}"><b>{v}</b>{_e(n)}</div>' for n, v in cards
        )
        + "</div>"
    )
    chain_state = "intact" if view["intact"] else "BROKEN: " + "; ".join(view["problems"])
    body = (
        f'<p><a href="/">← all streams</a></p><h1>Stream {_e(view.get("name") or view["stream_id"])}</h1>'
        f'<p class="meta">id <code>{_e(view["stream_id"])}</code> · chain {view["chain_id"]} · model {_short(view.get("model_id"))} · '
        f'threshold {view["threshold"]} · window-log hash chain <span id="chain-state">{_e(chain_state)}</span></p>'
        f"{cards_html}{audit_html}"
        f"<h2>Timeline</h2>{timeline_svg(points, sorted(gap_set))}"
        '<p class="meta">score / threshold per window; red = alarm; filled = proof verified, hollow = not audited, cross = invalid or missing; amber band = withheld window.</p>'
        '<h2>Committed windows</h2><table id="windows"><thead><tr><th>window</th><th>seq</th><th>block</th><th>score</th><th>alarm</th>'
        "<th>verification</th><th>commit hash</th><th>prev hash</th><th>tx</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + (
            f'<h2>Registry alerts (proven on submission)</h2><table id="alerts"><thead><tr><th>seq</th><th>block</th><th>score</th><th>alarm</th>'
            f"<th>alert hash</th><th>prev hash</th><th>tx</th></tr></thead><tbody>{alert_rows}</tbody></table>"
            if view["alerts"]
            else ""
        )
    )
    return _page(f"zkalert stream {view.get('name') or view['stream_id'][:12]}", body)


_MARK = {True: "ALARM", False: "–", None: "unknown"}


def render_plant(data: dict[str, Any]) -> str:
    """The plant view: per window each subsystem's proven and held alarm, and the plant alarm."""
    view = data["plant"]
    subsystems = list(view["streams"])
    verdict = "PASS" if view["ok"] else "FAIL"
    streams = "".join(
        f"<tr><td>{_e(s['subsystem'])}</td><td>{_e(s['name'])}</td><td>{_short(s['stream_id'])}</td>"
        f'<td class="num">{s["windows"]}</td><td>{"checks out" if s["ok"] else "<b>FAILS</b>"}</td></tr>'
        for s in data["streams"]
    )
    rows = []
    for w in view["windows"]:
        css = "alarm" if w["alarm"] is True else "unknown" if w["alarm"] is None else ""
        cells = "".join(
            f"<td>{_MARK[w['proven'][s]]} / {_MARK[w['held'][s]]}</td>" for s in subsystems
        )
        rows.append(
            f'<tr class="{css}" data-window="{w["window"]}"><td class="num">{w["window"]}</td>'
            f"{cells}<td><b>{_MARK[w['alarm']]}</b></td></tr>"
        )
    findings = "".join(f"<li>{_e(p)}</li>" for p in view["problems"])
    body = (
        "<h1>zkalert: plant view</h1>"
        f'<p class="meta">Chain {_e(data["chain_id"])} · TimeSeriesRegistry {_short(data["registry"])} · '
        f"block {_e(data['block'])} · models "
        + (
            "checked against the regulator's circuits"
            if data["circuits_checked"]
            else "not checked against keys (no circuits given)"
        )
        + f' · read-only view</p><p><span class="badge {verdict}">{"complete" if view["ok"] else "INCOMPLETE"}</span> '
        f"{_e(view['rule']['text'])} (on-delay {_e(view['rule']['on_delay'])}, fusion {_e(view['rule']['fusion'])}).</p>"
        '<div class="cards">'
        f'<div class="card"><b>{len(view["windows"])}</b>windows</div>'
        f'<div class="card"><b>{len(view["plant_alarm_windows"])}</b>plant alarms</div>'
        f'<div class="card"><b>{len(view["unknown_windows"])}</b>unknown</div></div>'
        "<h2>Streams</h2><table><thead><tr><th>subsystem</th><th>stream</th><th>id</th>"
        "<th>windows</th><th>audit</th></tr></thead><tbody>" + streams + "</tbody></table>"
        '<h2>Windows</h2><table id="plant"><thead><tr><th>window</th>'
        + "".join(f"<th>{_e(s)} proven / held</th>" for s in subsystems)
        + "<th>plant</th></tr></thead><tbody>"
        + (
            "".join(rows)
            or f'<tr><td colspan="{len(subsystems) + 2}">no windows recorded yet</td></tr>'
        )
        + "</tbody></table>"
        + (f'<h2>Findings</h2><ul class="findings">{findings}</ul>' if findings else "")
    )
    return _page("zkalert plant view", body)
