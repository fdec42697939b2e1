"""``twin health USER``: a learner's cognitive load history, burnout risk and stress patterns."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from twin.analysis.cognitive.load import load_level
from twin.analysis.cognitive.trend import Granularity
from twin.cli.common import console, database, num
from twin.clock import utcnow
from twin.learners import analysis_learner
from twin.services import cognitive

MAX_HISTORY_DAYS = 365
LEVEL_STYLES = {
    "LOW": "green",
    "MODERATE": "yellow",
    "MEDIUM": "yellow",
    "HIGH": "red",
    "CRITICAL": "bold red",
}


def _level(level: str) -> str:
    style = LEVEL_STYLES.get(level, "")
    return f"[{style}]{level}[/]" if style else level


def history_table(history: cognitive.LoadHistory) -> Table:
    """Load readings per local day."""
    table = Table(
        "day",
        "readings",
        "mean load",
        "max load",
        "level",
        title=f"Cognitive load per day ({history.timezone})",
    )
    for bucket in history.buckets:
        table.add_row(
            bucket.start.date().isoformat(),
            str(bucket.count),
            num(bucket.mean_load, 1),
            num(bucket.max_load, 1),
            _level(load_level(bucket.mean_load).value),
        )
    if not history.buckets:
        table.caption = "no load readings in this period"
    return table


def burnout_table(view: cognitive.BurnoutView) -> Table:
    """The assessment's factors, with risk, signals and recommendations in the caption."""
    from twin.api.schemas.cognitive import BurnoutOut

    body = BurnoutOut.model_validate(view).model_dump(mode="json")
    window = body["window"]
    title = (
        f"Burnout risk {body['riskScore']:.1f} {_level(body['level'])} "
        f"({window.get('start')} … {window.get('end')}, confidence {body['confidence']:.2f})"
    )
    table = Table("factor", "score", "weight", "contribution", "measure", title=title)
    for factor in body["contributingFactors"]:
        value = factor["value"]
        measure = "not measured" if not factor["measured"] else f"{num(value, 2)} {factor['unit']}"
        table.add_row(
            factor["factor"],
            num(factor["score"], 1),
            f"{factor['weight']:.2f}",
            num(factor["contribution"], 1),
            measure,
        )
    lines = [f"[bold]{s['severity']}[/] {s['message']}" for s in body["warningSignals"]]
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
            f"since the previous assessment ({r['daysBetween']} days): {r['direction']} "
            f"({r['scoreChange']:+.1f} points)"
        )
    insufficient = window.get("insufficient")
    if insufficient:
        lines.append(f"insufficient data: {insufficient}")
    table.caption = "\n".join(lines)
    table.caption_justify = "left"
    return table


def stress_table(patterns: dict[str, Any], profile: dict[str, Any]) -> Table:
    """Detected stress patterns, with the profile's tolerance and recovery in the caption."""
    table = Table(
        "pattern",
        "trigger",
        "sessions",
        "mean load",
        "elevation",
        "confidence",
        title="Stress patterns",
    )
    for p in patterns["patterns"]:
        trigger = ", ".join(f"{k}={v}" for k, v in (p.get("trigger") or {}).items())
        table.add_row(
            str(p.get("type")),
            trigger,
            str(p.get("occurrences")),
            num(p.get("meanLoad"), 1),
            "—" if p.get("referenceLoad") is None else num(p.get("elevation"), 1),
            f"{p['confidence']:.2f}",
        )
    caption = [
        f"load tolerance {num(profile.get('loadTolerance'), 1)} "
        f"({profile.get('loadToleranceMethod')}), 7-day mean load {num(profile.get('meanLoad7d'), 1)}, "
        f"mean recovery {num(profile.get('meanRecoveryHours'), 1)} h"
    ]
    if patterns.get("insufficient"):
        caption.append(f"insufficient data: {patterns['insufficient']}")
    elif not patterns["patterns"]:
        caption.append("no stress pattern detected")
    table.caption = "\n".join(caption)
    table.caption_justify = "left"
    return table


def health_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    days: Annotated[
        int,
        typer.Option("--days", "-d", min=1, max=MAX_HISTORY_DAYS, help="Days of load history."),
    ] = 14,
) -> None:
    """Show a learner's cognitive load per day, burnout risk and stress patterns.

    Burnout risk and stress patterns are analysed anew when the stored ones are
    older than 24 hours (and the result is stored), as the API does.
    """
    from twin.api.schemas.cognitive import StoredReadingOut, StressPatternsOut, StressProfileOut

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
    if current.current is not None:
        c = StoredReadingOut.model_validate(current.current).model_dump(mode="json")
        trend = current.trend.direction.value if current.trend is not None else "NEW"
        console.print(
            f"Current load [bold]{c['loadScore']:.1f}[/] {_level(c['level'])} at {c['timestamp']} "
            f"(trend {trend}, confidence {c['confidence']:.2f})"
        )
    else:
        console.print("No load reading yet.")
    console.print(history_table(history))
    console.print(burnout_table(burnout))
    console.print(stress_table(patterns, profile))
