"""``twin analyze USER``: analyse one learner and print their twin.

Runs the pattern analysis as an operator (so ``--force`` is honoured like a service
key's), then prints what is stored: data sufficiency, the profile, patterns with their
confidence and evidence, open insights and the forgetting curve with the recall
model. When the once-a-day limit stops a new run, the stored twin is printed anyway.
Patterns and insights are printed as indented blocks (their evidence is prose), so the
output reads at 80 columns.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from twin.cli.common import (
    JsonOption,
    console,
    database,
    err_console,
    hanging,
    print_json,
    words,
)

if TYPE_CHECKING:
    from twin.analysis.patterns.sufficiency import Sufficiency
    from twin.db.engine import Database
    from twin.services import patterns as patterns_service
    from twin.services import recall as recall_service

CURVE_DAYS: tuple[int, ...] = (1, 3, 7, 14, 30)
MAX_EVIDENCE_LINES = 4
MAX_PATTERNS_SHOWN = 100
TYPICAL_DECAY_PER_DAY = 0.14
"""The typical forgetting rate k the curve is compared with (ENGINE.md 5.1)."""


def _fmt_time(ts: datetime | None) -> str:
    from twin.analysis.common import aware_utc

    if ts is None:
        return "—"
    return aware_utc(ts).strftime("%Y-%m-%d %H:%M UTC")


def _figure(value: float) -> str:
    """A count or amount without a spurious decimal: ``64``, ``982``, ``42``."""
    return f"{value:,.0f}"


def sufficiency_table(suff: Sufficiency) -> Table:
    """Each minimum of a full analysis: have, need, met; progress in the caption."""
    table = Table("minimum", "have", "need", "met", title="data sufficiency")
    table.columns[1].justify = table.columns[2].justify = "right"
    for name, values in suff.minimums.items():
        met = suff.met[name]
        table.add_row(
            words(name),
            _figure(values["have"]),
            _figure(values["need"]),
            "[green]yes[/]" if met else "[red]no[/]",
        )
    table.caption = (
        f"progress {suff.progress:.0%} · {suff.sessions_since_last_analysis} sessions since "
        "the last analysis"
    )
    table.caption_justify = "left"
    return table


def _shares(values: dict[str, Any]) -> str:
    if not values:
        return "—"
    return ", ".join(
        f"{k} {float(v):.0%}" for k, v in sorted(values.items(), key=lambda kv: -float(kv[1]))
    )


def study_times_text(times: list[Any]) -> str:
    """The profile's best study windows with their lift and confidence."""
    return ", ".join(
        f"{t.get('window', t.get('label'))} (+{float(t.get('liftPercent', 0)):.0f}%, "
        f"confidence {float(t.get('confidence', 0)):.2f})"
        for t in times
        if isinstance(t, dict)
    )


def profile_table(view: patterns_service.ProfileView, style_profiling: bool) -> Table:
    """The stored profile (or why there is none)."""
    from twin.analysis.patterns.content import LEARNING_STYLE_CAVEAT

    table = Table("field", "value", title="profile", show_header=False)
    p = view.profile
    if p is None:
        table.add_row("status", view.status.replace("_", " "))
        return table
    times = study_times_text(list(p.preferredStudyTimes))
    table.add_row("last analysed", _fmt_time(p.lastAnalyzedAt))
    table.add_row("data quality", f"{p.dataQualityScore:.2f} (0–1)")
    table.add_row("best study times", times or "none stands out (no hour passed the 95% test)")
    table.add_row("average session", f"{p.averageSessionDuration} min")
    table.add_row("optimal session", f"{p.optimalSessionDuration} min")
    if style_profiling:
        # Empty: fewer than two content types used, so there is nothing to compare.
        unmeasured = "insufficient: fewer than 2 content types used"
        table.add_row(
            "content preferences",
            _shares(p.contentPreferences) if p.contentPreferences else unmeasured,
        )
        table.add_row(
            "learning style",
            _shares(p.learningStyleProfile) if p.learningStyleProfile else unmeasured,
        )
        table.caption = LEARNING_STYLE_CAVEAT
        table.caption_justify = "left"
    else:
        table.add_row("content / style", "not profiled (learning-style profiling is off)")
    return table


def _block(confidence: float, heading: str, lines: list[tuple[str, str]]) -> tuple[Text, Group]:
    """One row of a block list: the confidence, then a heading and labelled lines."""
    return Text(f"{confidence:.2f}", justify="right"), Group(
        Text(heading, style="bold"), hanging(lines)
    )


def _block_list(title: str, rows: list[tuple[Text, Group]], empty: str) -> RenderableType:
    grid = Table.grid(padding=(0, 1, 1, 0))
    grid.add_column(width=4)
    grid.add_column(ratio=1)
    for row in rows:
        grid.add_row(*row)
    heading = Text(f"{title} (confidence 0–1 first)", style="bold underline")
    return Group(heading, grid if rows else Text(empty, style="dim"))


def pattern_rows(session: Any, user_id: str) -> list[dict[str, Any]]:
    """Every stored pattern, most confident first, as plain values."""
    from twin.services import patterns as patterns_service

    rows = patterns_service.list_patterns(
        session, user_id, min_confidence=0.0, limit=MAX_PATTERNS_SHOWN
    )
    return [
        {
            "id": r.id,
            "patternType": r.patternType.value,
            "name": r.patternName,
            "confidence": r.confidence,
            "occurrenceCount": r.occurrenceCount,
            "evidence": list(r.evidence),
            "lastSeenAt": r.lastSeenAt,
        }
        for r in rows
    ]


def patterns_block(rows: list[dict[str, Any]]) -> RenderableType:
    """Every stored pattern with its confidence, occurrences and evidence."""
    blocks = [
        _block(
            r["confidence"],
            f"{words(r['patternType'])}: {r['name'] or ''} (seen {r['occurrenceCount']}×)",
            [("•", e) for e in r["evidence"][:MAX_EVIDENCE_LINES]],
        )
        for r in rows
    ]
    return _block_list("patterns", blocks, "no pattern stored yet")


def insight_rows(session: Any, user_id: str) -> list[dict[str, Any]]:
    """Open (unacknowledged) insights as plain values."""
    from twin.services import patterns as patterns_service

    return [
        {
            "id": insight.id,
            "insightType": insight.insightType.value,
            "title": insight.title,
            "description": insight.description,
            "actionableRecommendation": insight.actionableRecommendation,
            "confidence": insight.confidence,
            "patternIds": [p.id for p in patterns],
        }
        for insight, patterns in patterns_service.open_insights(session, user_id)
    ]


def insights_block(rows: list[dict[str, Any]]) -> RenderableType:
    """Open (unacknowledged) insights: what was found, what to do."""
    blocks = [
        _block(
            r["confidence"],
            f"{words(r['insightType'])}: {r['title']}",
            [("", r["description"]), ("→", r["actionableRecommendation"])],
        )
        for r in rows
    ]
    return _block_list("open insights", blocks, "no open insight")


def forgetting_table(
    view: patterns_service.ProfileView, model: recall_service.StoredMemoryModel
) -> Table:
    """The personal forgetting curve R(t) = R0·e^(−k·t) and the per-card recall model."""
    table = Table("field", "value", title="forgetting curve", show_header=False)
    curve: dict[str, Any] = dict(view.profile.personalizedForgettingCurve) if view.profile else {}
    if curve:
        r0 = float(curve.get("R0", 1.0))
        k = float(curve.get("k", TYPICAL_DECAY_PER_DAY))
        table.add_row("source", str(curve.get("source", "—")))
        table.add_row("R(t) = R0·e^(−k·t)", f"R0 {r0:.2f}, k {k:.3f}/day")
        ci = curve.get("halfLifeCi95")
        ci_text = f" (95% interval {ci[0]:.1f}–{ci[1]:.1f})" if isinstance(ci, list) else ""
        table.add_row(
            "half-life", f"{float(curve.get('halfLife', math.log(2) / k)):.1f} days{ci_text}"
        )
        table.add_row(
            f"vs typical (k {TYPICAL_DECAY_PER_DAY})",
            f"{float(curve.get('deviationFromBaselinePercent', 0)):+.0f}% decay rate",
        )
        table.add_row("confidence", f"{float(curve.get('confidence', 0)):.2f} (0–1)")
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
    from twin.services import patterns as patterns_service

    if outcome.status == patterns_service.STATUS_ANALYZED:
        return (
            f"[green]analysed[/] in {outcome.seconds * 1000:.0f} ms: patterns "
            f"+{outcome.created} new, {outcome.updated} updated, {outcome.deleted} removed; "
            f"{len(outcome.insight_ids)} new insight(s)"
        )
    return f"[yellow]{outcome.status.replace('_', ' ')}[/]: {outcome.reason or ''}"


def twin_json(db: Database, user_id: str, outcome: Any) -> dict[str, Any]:
    """The stored twin as one JSON document (what the tables show)."""
    from twin.analysis.common import aware_utc
    from twin.api.schemas.recall import MemoryModelOut
    from twin.clock import utcnow
    from twin.services import patterns as patterns_service
    from twin.services import recall as recall_service

    with db.session() as session:
        user = patterns_service.analysis_user(session, user_id)
        view = patterns_service.learning_profile(session, user_id, aware_utc(utcnow()))
        model = recall_service.load_memory_model(session, user_id)
        p = view.profile
        profile = (
            None
            if p is None
            else {
                "lastAnalyzedAt": p.lastAnalyzedAt,
                "dataQualityScore": p.dataQualityScore,
                "preferredStudyTimes": list(p.preferredStudyTimes),
                "averageSessionDuration": p.averageSessionDuration,
                "optimalSessionDuration": p.optimalSessionDuration,
                "contentPreferences": dict(p.contentPreferences),
                "learningStyleProfile": dict(p.learningStyleProfile),
                "personalizedForgettingCurve": dict(p.personalizedForgettingCurve),
            }
        )
        return {
            "userId": user_id,
            "timezone": user.timezone,
            "analysis": None if outcome is None else outcome.to_dict(),
            "status": view.status,
            "sufficiency": {
                "minimums": view.sufficiency.minimums,
                "progress": view.sufficiency.progress,
            },
            "profile": profile,
            "patterns": pattern_rows(session, user_id),
            "insights": insight_rows(session, user_id),
            "recallModel": MemoryModelOut.model_validate(model).model_dump(mode="json"),
        }


def show_twin(db: Database, user_id: str, outcome: patterns_service.AnalysisOutcome | None) -> None:
    """Print the stored twin of ``user_id``."""
    from twin.analysis.common import aware_utc
    from twin.clock import utcnow
    from twin.services import patterns as patterns_service
    from twin.services import recall as recall_service

    with db.session() as session:
        user = patterns_service.analysis_user(session, user_id)
        now = aware_utc(utcnow())
        view = patterns_service.learning_profile(session, user_id, now)
        model = recall_service.load_memory_model(session, user_id)
        parts: list[RenderableType] = [
            sufficiency_table(view.sufficiency),
            profile_table(view, user.learningStyleProfilingEnabled),
            patterns_block(pattern_rows(session, user_id)),
            insights_block(insight_rows(session, user_id)),
            forgetting_table(view, model),
        ]
    title = f"twin of {user_id} ({user.timezone})"
    console.rule(f"[bold]{title}[/]")
    if outcome is not None:
        console.print(outcome_line(outcome))
    console.print(Group(*parts))


def daily_limit_text(details: Any) -> str:
    """Why a learner was not re-analysed, from the daily limit's details."""
    if not isinstance(details, dict) or "nextAllowedAt" not in details:
        return "analysed less than a day ago; --force analyses now"
    needed = int(details.get("sessionsForEarlierRun", 0)) - int(
        details.get("sessionsSinceLastAnalysis", 0)
    )
    return (
        f"analysed at {_iso_text(details['lastAnalyzedAt'])}; on request a learner is analysed "
        f"at most once a day: next at {_iso_text(details['nextAllowedAt'])}, or sooner after "
        f"{max(needed, 0)} more session(s); --force analyses now"
    )


def _iso_text(value: Any) -> str:
    """An ISO timestamp from the details as ``2026-12-07 06:35 UTC``."""
    try:
        return _fmt_time(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def analyze_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Analyse even if the learner was analysed less than a day ago."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Analyse a learner's patterns now and print their twin (profile, patterns, insights)."""
    from twin.clock import utcnow
    from twin.errors import Conflict
    from twin.services import patterns as patterns_service

    with database(migrated=True) as db:
        outcome: patterns_service.AnalysisOutcome | None = None
        try:
            with db.session() as session:
                outcome = patterns_service.analyze_user(session, user, now=utcnow(), force=force)
        except Conflict as exc:
            err_console.print(
                f"[yellow]not re-analysed:[/] {daily_limit_text(exc.details)}", highlight=False
            )
        if as_json:
            print_json(twin_json(db, user, outcome))
        else:
            show_twin(db, user, outcome)
