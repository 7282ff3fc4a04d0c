"""The plant view: the subsystems' proven window alarms fused into one plant alarm per window.

The owner names the stream of each subsystem (``reactor=te/plant-1/reactor``, ...); the streams'
window ``w`` covers the same rows when the owner opened them at the same row (the registry binds
each stream to its genesis and lets no interval be skipped, so a gateway cannot shift its
windows against the others). The rule, :class:`PlantRule`:

- **on-delay** ``k``: a subsystem holds an alarm at window ``w`` when its proven alarms of
  windows ``w-k+1 .. w`` are all raised (windows before a stream's first count as not raised).
  One window of the default 8 samples is 24 minutes of Tennessee Eastman data, so ``k = 2``
  answers after 48 minutes at the earliest.
- **fusion**: the plant alarms at ``w`` when ``any`` subsystem holds an alarm, or with ``two``,
  when at least two do.

Only proven alarms enter: a window counts when the audit found it verified, linked and under
unchanged keys, its stream's log and models check out, and (given the regulator's circuits) the
model it ran was compiled for that subsystem. Any other window (never recorded, withheld, failed
a check) is *unknown*, and unknowns propagate in three-valued logic: a held alarm or the plant
alarm is unknown only when the unknown windows could change it. Every unknown window is listed
with its reason, so a gateway that withholds one subsystem's windows cannot turn the plant
alarm into "no alarm".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zkalert.errors import ConfigError

if TYPE_CHECKING:  # the rule itself is light: the command line builds it before web3 loads
    from zkalert.timeseries.audit import StreamAudit, WindowReport

#: Fusions of the subsystems' held alarms: how many must hold one for the plant alarm.
FUSIONS = {"any": 1, "two": 2}

Alarm = bool | None  # None: unknown (not proven)


#: The plant rule's defaults (``--on-delay``, ``--fusion``).
DEFAULT_ON_DELAY = 2
DEFAULT_FUSION = "any"


@dataclass(frozen=True)
class PlantRule:
    on_delay: int = DEFAULT_ON_DELAY
    fusion: str = DEFAULT_FUSION

    def __post_init__(self) -> None:
        if self.on_delay < 1:
            raise ConfigError(
                f"plant rule: on-delay must be at least 1 window, got {self.on_delay}"
            )
        if self.fusion not in FUSIONS:
            raise ConfigError(
                f"plant rule: unknown fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}"
            )

    def describe(self) -> str:
        who = "any subsystem has" if self.fusion == "any" else "at least two subsystems have"
        if self.on_delay == 1:
            return f"the plant alarms at a window when {who} a proven alarm in it"
        before = {2: "the window before it", 3: "the two windows before it"}.get(
            self.on_delay, f"the {self.on_delay - 1} windows before it"
        )
        return f"the plant alarms at a window when {who} proven alarms in it and in {before}"


def held_alarms(proven: Sequence[Alarm], on_delay: int) -> list[Alarm]:
    """Each window's held alarm under the on-delay, in three-valued logic."""
    held: list[Alarm] = []
    for w in range(len(proven)):
        run = [False] * max(0, on_delay - 1 - w) + list(proven[max(0, w - on_delay + 1) : w + 1])
        if any(a is False for a in run):
            held.append(False)
        elif all(a is True for a in run):
            held.append(True)
        else:
            held.append(None)
    return held


def fuse(held: Sequence[Alarm], fusion: str) -> Alarm:
    """The plant alarm of one window from the subsystems' held alarms of it."""
    need = FUSIONS[fusion]
    raised = sum(a is True for a in held)
    unknown = sum(a is None for a in held)
    if raised >= need:
        return True
    if raised + unknown < need:
        return False
    return None


def plant_alarms(alarms: Sequence[Sequence[Alarm]], rule: PlantRule) -> list[Alarm]:
    """The plant alarm of each window from the subsystems' window alarms (one sequence each,
    cut to the shortest): held by the on-delay, then fused."""
    n = min(len(a) for a in alarms)
    held = [held_alarms(a[:n], rule.on_delay) for a in alarms]
    return [fuse([h[w] for h in held], rule.fusion) for w in range(n)]


@dataclass
class PlantWindow:
    window: int
    proven: dict[str, Alarm]
    held: dict[str, Alarm]
    alarm: Alarm


@dataclass
class PlantView:
    rule: PlantRule
    streams: dict[str, str]  # subsystem -> stream id
    windows: list[PlantWindow]
    #: Why windows are unknown, and anything else the plant's streams fail.
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(w.alarm is not None for w in self.windows)

    @property
    def alarms(self) -> list[Alarm]:
        return [w.alarm for w in self.windows]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": {
                "on_delay": self.rule.on_delay,
                "fusion": self.rule.fusion,
                "text": self.rule.describe(),
            },
            "streams": self.streams,
            "ok": self.ok,
            "problems": self.problems,
            "plant_alarm_windows": [w.window for w in self.windows if w.alarm is True],
            "unknown_windows": [w.window for w in self.windows if w.alarm is None],
            "windows": [
                {"window": w.window, "alarm": w.alarm, "proven": w.proven, "held": w.held}
                for w in self.windows
            ],
        }


def parse_plant(specs: Sequence[str]) -> dict[str, str]:
    """``subsystem=stream-name`` pairs (the command line's ``--plant``) -> {subsystem: name}."""
    plant: dict[str, str] = {}
    for spec in specs:
        subsystem, sep, name = spec.partition("=")
        subsystem, name = subsystem.strip(), name.strip()
        if not sep or not subsystem or not name:
            raise ConfigError(f"--plant {spec!r}: expected SUBSYSTEM=STREAM-NAME")
        if subsystem in plant:
            raise ConfigError(f"--plant: subsystem {subsystem!r} is named twice")
        if name in plant.values():
            raise ConfigError(f"--plant: stream {name!r} is named for two subsystems")
        plant[subsystem] = name
    if not plant:
        raise ConfigError("--plant: name at least one SUBSYSTEM=STREAM-NAME")
    return plant


def _stream_trust(report: StreamAudit) -> list[str]:
    """Why none of a stream's windows can count as proven (empty: they can, window by window)."""
    reasons = []
    if not report.log_head_ok:
        reasons.append("its log head does not match its recorded intervals")
    reasons.extend(report.problems)
    for model in report.models:
        if model.matches is False:
            reasons.append(f"model {model.model_id} does not match the regulator's circuits")
        reasons.extend(model.srs_problems)
    return reasons


def _unknown_because(
    window: WindowReport | None, subsystem: str, subsystem_of_model: Mapping[str, str] | None
) -> str | None:
    """Why a stream's window is not a proven alarm of ``subsystem`` (None: it is)."""
    if window is None:
        return "not recorded on chain"
    if not window.ok or window.alarm is None:
        failed = [
            text
            for text, good in (
                ("a TC proof does not verify", window.tc_verified),
                ("the hash linkage is broken", window.linkage_intact),
                ("no SC proof recorded", window.sc_recorded),
                ("the SC proof does not verify", window.sc_verified),
                ("a verifier's code changed", window.keys_unchanged),
            )
            if not good
        ]
        return "; ".join(window.problems or failed) or "no proven alarm"
    if subsystem_of_model is not None:
        compiled_for = subsystem_of_model.get(window.model_id.lower())
        if compiled_for is None:
            return f"ran model {window.model_id}, which none of the regulator's circuits make"
        if compiled_for != subsystem:
            return f"ran model {window.model_id}, compiled for the {compiled_for}"
    return None


def _ranges(reasons: list[tuple[int, str]]) -> list[str]:
    """Runs of consecutive windows unknown for the same reason, one line each."""
    lines: list[str] = []
    i = 0
    while i < len(reasons):
        j = i
        while (
            j + 1 < len(reasons)
            and reasons[j + 1][1] == reasons[i][1]
            and reasons[j + 1][0] == reasons[j][0] + 1
        ):
            j += 1
        first, last = reasons[i][0], reasons[j][0]
        span = f"window {first}" if first == last else f"windows {first}-{last}"
        lines.append(f"{span} unknown: {reasons[i][1]}")
        i = j + 1
    return lines


def plant_view(
    reports: Mapping[str, StreamAudit],
    rule: PlantRule = PlantRule(),
    subsystem_of_model: Mapping[str, str] | None = None,
) -> PlantView:
    """Fuse the audited streams of a plant ({subsystem: its stream's audit}). With
    ``subsystem_of_model`` (model id -> the subsystem its circuits were compiled for, from the
    regulator's circuits), a window run under another subsystem's model is unknown."""
    if not reports:
        raise ConfigError("plant view: no streams")
    problems: list[str] = []
    proven: dict[str, list[Alarm]] = {}
    count = max(len(r.windows) for r in reports.values())
    for subsystem, report in reports.items():
        label = f"{subsystem} ({report.stream_id[:10]}…)"
        untrusted = _stream_trust(report)
        if untrusted:
            problems.extend(f"{label}: no window counts as proven: {r}" for r in untrusted)
            proven[subsystem] = [None] * count
            continue
        by_index = {w.window: w for w in report.windows}
        values: list[Alarm] = []
        reasons: list[tuple[int, str]] = []
        for index in range(count):
            window = by_index.get(index)
            why = _unknown_because(window, subsystem, subsystem_of_model)
            if why is not None:
                reasons.append((index, why))
            values.append(None if why is not None or window is None else window.alarm)
        problems.extend(f"{label}: {line}" for line in _ranges(reasons))
        proven[subsystem] = values
    held = {s: held_alarms(v, rule.on_delay) for s, v in proven.items()}
    windows = [
        PlantWindow(
            w,
            {s: proven[s][w] for s in proven},
            {s: held[s][w] for s in held},
            fuse([held[s][w] for s in held], rule.fusion),
        )
        for w in range(count)
    ]
    streams = {s: r.stream_id for s, r in reports.items()}
    return PlantView(rule, streams, windows, problems)


def audit_plant(
    w3: Any,
    deployment: Any,
    named: Mapping[str, str],
    rule: PlantRule = PlantRule(),
    circuits: Sequence[Any] | None = None,
    **audit_options: Any,
) -> tuple[PlantView, list[StreamAudit]]:
    """Audit the plant's streams ({subsystem: stream name}) and fuse them; ``circuits``: the
    regulator's compiled TC and SC circuits (model checks and each model's subsystem)."""
    from zkalert.evm.ids import stream_id
    from zkalert.timeseries.audit import audit

    reports: dict[str, StreamAudit] = {}
    missing = []
    for subsystem, name in named.items():
        found = audit(
            w3,
            deployment,
            stream_id(name),
            circuits=None if circuits is None else list(circuits),
            **audit_options,
        )
        if found:
            reports[subsystem] = found[0]
        else:
            missing.append(f"{subsystem}={name}")
    if missing:
        raise ConfigError(
            f"--plant: the registry never opened {', '.join(missing)} (check the stream names)"
        )
    models = None if circuits is None else subsystems_of_models(circuits)
    return plant_view(reports, rule, models), list(reports.values())


def format_plant(view: PlantView) -> list[str]:
    """The plant view as Markdown lines (the audit report's section)."""
    mark = {True: "ALARM", False: "-", None: "unknown"}
    subsystems = list(view.streams)
    lines = [
        "## Plant view",
        "",
        f"Rule: {view.rule.describe()} (on-delay {view.rule.on_delay}, fusion {view.rule.fusion}).",
        "Streams: " + ", ".join(f"{s} {sid}" for s, sid in view.streams.items()) + ".",
        "",
        "| window | " + " | ".join(f"{s} proven / held" for s in subsystems) + " | plant |",
        "| ---: | " + " | ".join("---" for _ in subsystems) + " | --- |",
    ]
    for w in view.windows:
        cells = [f"{mark[w.proven[s]]} / {mark[w.held[s]]}" for s in subsystems]
        lines.append(f"| {w.window} | " + " | ".join(cells) + f" | {mark[w.alarm]} |")
    alarms = [w.window for w in view.windows if w.alarm is True]
    unknown = [w.window for w in view.windows if w.alarm is None]
    lines += [
        "",
        (
            f"Plant alarms at windows: {', '.join(map(str, alarms)) or 'none'}; "
            f"unknown: {', '.join(map(str, unknown)) or 'none'}."
        ),
    ]
    if view.problems:
        lines += ["", "Findings:", *(f"- {p}" for p in view.problems)]
    lines.append(f"Plant view: {'OK' if view.ok else 'INCOMPLETE'}")
    return lines


def subsystems_of_models(circuits: Sequence[Any]) -> dict[str, str]:
    """Model id -> subsystem, over every (TC, SC) pair of the regulator's circuits that agree on it."""
    from zkalert.timeseries.audit import circuits_by_model

    return {
        mid: tc.info.subsystem
        for mid, (tc, sc) in circuits_by_model(list(circuits)).items()
        if tc.info.subsystem == sc.info.subsystem
    }
