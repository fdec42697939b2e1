"""``twin analyze USER``: analyse one learner and print their twin as tables.

Runs the pattern analysis as an operator (so ``--force`` is honoured like a service
key's), then prints what is stored: data sufficiency, the profile, patterns with their
confidence and evidence, open insights and the forgetting curve with the recall
model. When the once-a-day limit stops a new run, the stored twin is printed anyway.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table

from twin.analysis.common import aware_utc
from twin.analysis.patterns.content import LEARNING_STYLE_CAVEAT
from twin.analysis.patterns.sufficiency import Sufficiency
from twin.cli.common import console, database, err_console
from twin.clock import utcnow
from twin.db.engine import Database
from twin.errors import Conflict
from twin.services import patterns as patterns_service
from twin.services import recall as recall_service

CURVE_DAYS: tuple[int, ...] = (1, 3, 7, 14, 30)
MAX_EVIDENCE_LINES = 4
MAX_PATTERNS_SHOWN = 100


def _fmt_time(ts: datetime | None) -> str:
    if ts is None:
        return "—"
    return aware_utc(ts).strftime("%Y-%m-%d %H:%M UTC")


def sufficiency_table(suff: Sufficiency) -> Table:
    """Each minimum of a full analysis: have, need, met; progress in the caption."""
    table = Table("minimum", "have", "need", "met", title="data sufficiency")
    for name, values in suff.minimums.items():
        met = suff.met[name]
        table.add_row(
            name,
            f"{values['have']:g}",
            f"{values['need']:g}",
            "[green]yes[/]" if met else "[red]no[/]",
        )
    table.caption = (
        f"progress {suff.progress:.0%} · {suff.sessions_since_last_analysis} sessions since "
        "the last analysis"
    )
    return table


def _shares(values: dict[str, Any]) -> str:
    if not values:
        return "—"
    return ", ".join(
        f"{k} {float(v):.0%}" for k, v in sorted(values.items(), key=lambda kv: -float(kv[1]))
    )


def profile_table(view: patterns_service.ProfileView, style_profiling: bool) -> Table:
    """The stored profile (or why there is none)."""
    table = Table("field", "value", title="profile", show_header=False)
    p = view.profile
    if p is None:
        table.add_row("status", view.status.replace("_", " "))
        return table
    times = ", ".join(
        f"{t.get('window', t.get('label'))} (+{float(t.get('liftPercent', 0)):.0f}%, "
        f"confidence {float(t.get('confidence', 0)):.2f})"
        for t in p.preferredStudyTimes
        if isinstance(t, dict)
    )
    table.add_row("last analysed", _fmt_time(p.lastAnalyzedAt))
    table.add_row("data quality", f"{p.dataQualityScore:.2f}")
    table.add_row("best study times", times or "none stands out (no hour passed the 95% test)")
    table.add_row("average session", f"{p.averageSessionDuration} min")
    table.add_row("optimal session", f"{p.optimalSessionDuration} min")
    if style_profiling:
        table.add_row("content preferences", _shares(p.contentPreferences))
        table.add_row("learning style", _shares(p.learningStyleProfile))
        table.caption = LEARNING_STYLE_CAVEAT
    else:
        table.add_row("content / style", "not profiled (learning-style profiling is off)")
    return table


def patterns_table(session: Any, user_id: str) -> Table:
    """Every stored pattern with its confidence, occurrences and evidence."""
    table = Table(title="patterns", expand=True)
    table.add_column("type", max_width=18, overflow="fold")
    table.add_column("pattern", max_width=28)
    table.add_column("confidence", justify="right")
    table.add_column("seen", justify="right")
    table.add_column("evidence", ratio=1)
    rows = patterns_service.list_patterns(
        session, user_id, min_confidence=0.0, limit=MAX_PATTERNS_SHOWN
    )
    for r in rows:
        evidence = "\n".join(f"• {e}" for e in list(r.evidence)[:MAX_EVIDENCE_LINES])
        table.add_row(
            r.patternType.value,
            r.patternName or "",
            f"{r.confidence:.2f}",
            f"{r.occurrenceCount}×",
            evidence,
        )
    if not rows:
        table.caption = "no pattern stored yet"
    return table


def insights_table(session: Any, user_id: str) -> Table:
    """Open (unacknowledged) insights."""
    table = Table("type", "insight", "what to do", "confidence", title="open insights")
    found = patterns_service.open_insights(session, user_id)
    for insight, _patterns in found:
        table.add_row(
            insight.insightType.value,
            f"[bold]{insight.title}[/]\n{insight.description}",
            insight.actionableRecommendation,
            f"{insight.confidence:.2f}",
        )
    if not found:
        table.caption = "no open insight"
    return table


def forgetting_table(
    view: patterns_service.ProfileView, model: recall_service.StoredMemoryModel
) -> Table:
    """The personal forgetting curve R(t) = R0·e^(−k·t) and the per-card recall model."""
    table = Table("field", "value", title="forgetting curve", show_header=False)
    curve: dict[str, Any] = dict(view.profile.personalizedForgettingCurve) if view.profile else {}
    if curve:
        r0, k = float(curve.get("R0", 1.0)), float(curve.get("k", 0.14))
        table.add_row("source", str(curve.get("source", "—")))
        table.add_row("R(t) = R0·e^(−k·t)", f"R0 {r0:.2f}, k {k:.3f}/day")
        table.add_row("half-life", f"{float(curve.get('halfLife', math.log(2) / k)):.1f} days")
        table.add_row(
            "vs typical (k 0.14)",
            f"{float(curve.get('deviationFromBaselinePercent', 0)):+.0f}% decay rate",
        )
        table.add_row("confidence", f"{float(curve.get('confidence', 0)):.2f}")
        table.add_row(
            "recall after", ", ".join(f"{d} d {r0 * math.exp(-k * d):.0%}" for d in CURVE_DAYS)
        )
        interval = curve.get("reviewIntervalDays")
        table.add_row(
            "review every",
            "—" if interval is None else f"{interval} day{'' if interval == 1 else 's'}",
        )
    model_text = (
        f"FSRS-6 fitted on {model.model.reviews_used:,} reviews ({_fmt_time(model.fitted_at)})"
        if model.model.fitted
        else "FSRS-6 default weights (not enough reviews to fit yet)"
    )
    table.add_row("per-card recall model", model_text)
    return table


def outcome_line(outcome: patterns_service.AnalysisOutcome) -> str:
    """One line on what the analysis did."""
    if outcome.status == patterns_service.STATUS_ANALYZED:
        return (
            f"[green]analysed[/] in {outcome.seconds * 1000:.0f} ms: patterns "
            f"+{outcome.created} new, {outcome.updated} updated, {outcome.deleted} removed; "
            f"{len(outcome.insight_ids)} new insight(s)"
        )
    return f"[yellow]{outcome.status.replace('_', ' ')}[/]: {outcome.reason or ''}"


def show_twin(db: Database, user_id: str, outcome: patterns_service.AnalysisOutcome | None) -> None:
    """Print the stored twin of ``user_id``."""
    with db.session() as session:
        user = patterns_service.analysis_user(session, user_id)
        now = aware_utc(utcnow())
        view = patterns_service.learning_profile(session, user_id, now)
        model = recall_service.load_memory_model(session, user_id)
        parts: list[Any] = [
            sufficiency_table(view.sufficiency),
            profile_table(view, user.learningStyleProfilingEnabled),
            patterns_table(session, user_id),
            insights_table(session, user_id),
            forgetting_table(view, model),
        ]
    title = f"twin of {user_id} ({user.timezone})"
    console.rule(f"[bold]{title}[/]")
    if outcome is not None:
        console.print(outcome_line(outcome))
    console.print(Group(*parts))


def analyze_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Analyse even if the learner was analysed less than a day ago."
        ),
    ] = False,
) -> None:
    """Analyse a learner's patterns now and print their twin (profile, patterns, insights)."""
    with database(migrated=True) as db:
        outcome: patterns_service.AnalysisOutcome | None = None
        try:
            with db.session() as session:
                outcome = patterns_service.analyze_user(session, user, now=utcnow(), force=force)
        except Conflict as exc:
            err_console.print(f"[yellow]not re-analysed:[/] {exc.message} (CLI: --force)")
        show_twin(db, user, outcome)
