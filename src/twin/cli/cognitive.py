"""``twin health USER``: a learner's cognitive load history, burnout risk and stress patterns."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from twin.cli.common import JsonOption, console, database, insufficient_text, num, print_json

if TYPE_CHECKING:
    from twin.services import cognitive

MAX_HISTORY_DAYS = 365
LEVEL_STYLES = {
    "LOW": "green",
    "MODERATE": "yellow",
    "MEDIUM": "yellow",
    "HIGH": "red",
    "CRITICAL": "bold red",
}
SHARE_UNIT_PREFIX = "share of "
"""Burnout measures whose unit starts so are shares, shown as percentages."""
FACTOR_NAMES = {
    "INTENSITY": "intensity",
    "PERFORMANCE_DECLINE": "performance drop",
    "CHRONIC_LOAD": "chronic load",
    "IRREGULARITY": "irregularity",
    "ENGAGEMENT_DECAY": "engagement drop",
    "RECOVERY_DEFICIT": "recovery deficit",
}
NEGLIGIBLE = 0.05
"""Measures closer to zero than this are shown as 0 (no ``-0``)."""


def _level(level: str) -> str:
    style = LEVEL_STYLES.get(level, "")
    return f"[{style}]{level}[/]" if style else level


def measure_text(value: float | None, unit: str, measured: bool) -> str:
    """A burnout factor's measurement with its unit: ``40% of study days with load > 60``."""
    if not measured or value is None:
        return "not measured (too little data)"
    if unit.startswith(SHARE_UNIT_PREFIX):
        return f"{100 * value:.0f}% of {unit.removeprefix(SHARE_UNIT_PREFIX)}"
    if abs(value) < NEGLIGIBLE:
        value = 0.0
    if " lost" in unit and value < 0:  # a negative loss is a gain: say so
        value, unit = -value, unit.replace(" lost", " gained")
    if value == 1 and unit.startswith("days "):
        unit = "day " + unit.removeprefix("days ")
    digits = 0 if float(value).is_integer() else 1
    return f"{value:.{digits}f} {unit}"


def history_table(history: cognitive.LoadHistory, days: int) -> RenderableType:
    """Load readings per local day."""
    from twin.analysis.cognitive.load import load_level

    title = f"cognitive load per day, last {days} days ({history.timezone})"
    if not history.buckets:
        return Group(
            Text(title, style="italic"),
            Text(f"no load reading in the last {days} days (--days shows more)"),
        )

    table = Table(
        "day",
        "readings",
        "mean load",
        "max load",
        "level",
        title=title,
    )
    for bucket in history.buckets:
        table.add_row(
            bucket.start.date().isoformat(),
            str(bucket.count),
            num(bucket.mean_load, 1),
            num(bucket.max_load, 1),
            _level(load_level(bucket.mean_load).value),
        )
    return table


def burnout_title(body: dict[str, Any]) -> str:
    """``burnout risk 57/100 HIGH over 2026-11-24 … 2026-12-07 (confidence 0.70)``."""
    window = body["window"]
    return (
        f"burnout risk {body['riskScore']:.0f}/100 {_level(body['level'])} over "
        f"{window.get('start')} … {window.get('end')} (confidence {body['confidence']:.2f})"
    )


def burnout_table(view: cognitive.BurnoutView) -> Table:
    """The assessment's factors, with risk, signals and recommendations in the caption."""
    from twin.api.schemas.cognitive import BurnoutOut

    body = BurnoutOut.model_validate(view).model_dump(mode="json")
    table = Table("factor", "score", "weight", "adds", "measured", title=burnout_title(body))
    for column in table.columns[1:4]:
        column.justify = "right"
    for factor in body["contributingFactors"]:
        table.add_row(
            FACTOR_NAMES.get(factor["factor"], factor["factor"]),
            num(factor["score"], 0),
            f"{factor['weight']:.2f}",
            num(factor["contribution"], 1),
            measure_text(factor["value"], factor["unit"], factor["measured"]),
        )
    lines = ["score: 0–100 per factor; adds = score × weight, summed into the risk"]
    lines += [f"[bold]{s['severity']}[/] {s['message']}" for s in body["warningSignals"]]
    lines += [f"→ {r}" for r in body["recommendations"]]
    if body["missionOverride"] is not None:
        o = body["missionOverride"]
        when = "starting now" if o["restWithinHours"] == 0 else f"within {o['restWithinHours']} h"
        lines.append(
            f"mission override: sessions ≤ {o['maxMinutes']} min, review only, "
            f"{o['restDays']} rest day(s) {when}"
        )
    if body["recovery"] is not None:
        r = body["recovery"]
        lines.append(
            f"since the previous assessment, {r['daysBetween']} day(s) earlier: "
            f"{r['direction']} ({r['scoreChange']:+.0f} points)"
        )
    insufficient = body["window"].get("insufficient")
    if insufficient:
        lines.append(f"not enough data yet: {insufficient_text(insufficient)}")
    table.caption = "\n".join(lines)
    table.caption_justify = "left"
    return table


def profile_line(profile: dict[str, Any]) -> str:
    """The stress profile's measured figures in words (unmeasured ones say so)."""
    parts = []
    tolerance = profile.get("loadTolerance")
    if tolerance is None:
        parts.append("load tolerance not measured yet")
    else:
        parts.append(
            f"load tolerance {tolerance:.0f}/100 ({words_of(profile.get('loadToleranceMethod'))})"
        )
    mean = profile.get("meanLoad7d")
    parts.append(
        "no load reading in the last 7 days"
        if mean is None
        else f"mean load over the last 7 days {mean:.0f}/100"
    )
    recovery = profile.get("meanRecoveryHours")
    parts.append(
        "recovery time not measured yet"
        if recovery is None
        else f"recovery from a high-load session takes {recovery:.1f} h on average"
    )
    return "; ".join(parts)


def words_of(method: Any) -> str:
    """A method name for a sentence (``p90_of_sessions`` → ``p90 of sessions``)."""
    return str(method or "unknown").replace("_", " ")


def stress_table(patterns: dict[str, Any], profile: dict[str, Any]) -> RenderableType:
    """Detected stress patterns, with the profile's tolerance and recovery in the caption."""
    if not patterns["patterns"]:
        lines = [profile_line(profile)]
        if patterns.get("insufficient"):
            lines.append(f"not enough data yet: {insufficient_text(patterns['insufficient'])}")
        else:
            lines.append("no stress pattern detected")
        return Group(Text("stress patterns", style="italic"), Text("\n".join(lines)))
    table = Table("pattern", "trigger", "sessions", "mean load", "above usual", "conf.")
    table.title = "stress patterns"
    for column in table.columns[2:]:
        column.justify = "right"
    for p in patterns["patterns"]:
        trigger = ", ".join(f"{k} {v}" for k, v in (p.get("trigger") or {}).items())
        table.add_row(
            words_of(p.get("type")).lower(),
            trigger,
            str(p.get("occurrences")),
            num(p.get("meanLoad"), 0),
            "—" if p.get("referenceLoad") is None else f"+{num(p.get('elevation'), 0)}",
            f"{p['confidence']:.2f}",
        )
    caption = [profile_line(profile)]
    if patterns.get("insufficient"):
        caption.append(f"not enough data yet: {insufficient_text(patterns['insufficient'])}")
    elif not patterns["patterns"]:
        caption.append("no stress pattern detected")
    table.caption = "\n".join(caption)
    table.caption_justify = "left"
    return table


def current_line(current: cognitive.CurrentLoad) -> str:
    """The latest reading and its trend in one line (or that there is none)."""
    if current.current is None:
        return "No load reading yet."
    from twin.api.schemas.cognitive import StoredReadingOut

    c = StoredReadingOut.model_validate(current.current).model_dump(mode="json")
    trend = (
        "first reading"
        if current.trend is None
        else f"{current.trend.direction.value.lower()} since the reading before"
    )
    return (
        f"Current load [bold]{c['loadScore']:.0f}/100[/] {_level(c['level'])} at "
        f"{c['timestamp']} ({trend}; confidence {c['confidence']:.2f})"
    )


def health_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    days: Annotated[
        int,
        typer.Option("--days", "-d", min=1, max=MAX_HISTORY_DAYS, help="Days of load history."),
    ] = 14,
    as_json: JsonOption = False,
) -> None:
    """Show a learner's cognitive load per day, burnout risk and stress patterns.

    Burnout risk and stress patterns are analysed anew when the stored ones are
    older than 24 hours (and the result is stored), as the API does.
    """
    from twin.analysis.cognitive.trend import Granularity
    from twin.api.schemas.cognitive import (
        BurnoutOut,
        CurrentLoadOut,
        LoadHistoryOut,
        StressPatternsOut,
        StressProfileOut,
    )
    from twin.clock import utcnow
    from twin.learners import analysis_learner
    from twin.services import cognitive

    with database(migrated=True) as db, db.session() as session:
        now = utcnow()
        learner = analysis_learner(session, user)
        history = cognitive.load_history(
            session, learner, now - timedelta(days=days), now, Granularity.DAY
        )
        current = cognitive.current_load(session, user)
        burnout = cognitive.burnout_risk(session, learner, now)
        patterns = StressPatternsOut.model_validate(
            cognitive.stress_patterns(session, learner, now)
        ).model_dump(mode="json")
        profile = StressProfileOut.model_validate(
            cognitive.stress_profile_view(session, learner, now)
        ).model_dump(mode="json")
    if as_json:
        print_json(
            {
                "userId": user,
                "currentLoad": CurrentLoadOut.model_validate(current).model_dump(mode="json"),
                "loadHistory": LoadHistoryOut.model_validate(history).model_dump(mode="json"),
                "burnoutRisk": BurnoutOut.model_validate(burnout).model_dump(mode="json"),
                "stressPatterns": patterns,
                "stressProfile": profile,
            }
        )
        return
    console.print(current_line(current))
    console.print(history_table(history, days))
    console.print(burnout_table(burnout))
    console.print(stress_table(patterns, profile))
