"""``twin insights USER``: a learner's recommendations, goals and weekly behavioral score."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from twin.cli.common import JsonOption, console, database, num, print_json
from twin.clock import utcnow
from twin.enums import GoalStatus

if TYPE_CHECKING:
    # The services load SQLAlchemy and numpy: imported inside the commands, so that
    # `twin --help` stays fast (benchmarks/cli_startup.py).
    from twin.db.engine import Database
    from twin.services.insights import goals, recommendations, score

SPARK_BARS = "▁▂▃▄▅▆▇█"
SCORE_MAX = 100.0
MAX_TITLE = 44


def spark(values: list[float | None]) -> str:
    """A text sparkline of 0–100 values (a space where a week was not measured)."""
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        else:
            out.append(SPARK_BARS[min(len(SPARK_BARS) - 1, int(v / SCORE_MAX * len(SPARK_BARS)))])
    return "".join(out)


def _short(text: str, width: int = MAX_TITLE) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


TYPE_LABEL_CHARS = 20


def _type_label(value: str, width: int = TYPE_LABEL_CHARS) -> str:
    """``SESSION_DURATION_ADJUSTMENT`` → ``session duration``: whole words up to ``width``."""
    words = value.replace("_", " ").lower().split()
    label = words[0]
    for word in words[1:]:
        if len(label) + 1 + len(word) > width:
            break
        label += " " + word
    return label


def recommendations_table(views: list[recommendations.RecommendationView]) -> Table:
    """Open recommendations, highest priority first."""
    table = Table("priority", "type", "recommendation", "conf.", title="Recommendations")
    for v in views:
        table.add_row(
            f"{v.priority_score:.2f}",
            _type_label(v.recommendation_type.value),
            _short(v.title),
            f"{v.confidence:.2f}",
        )
    if not views:
        table.caption = "no open recommendation"
    return table


def goals_table(views: list[goals.GoalView]) -> Table:
    """Goals with their progress."""
    table = Table("goal", "status", "value / target", "progress", "deadline", title="Goals")
    for g in views:
        table.add_row(
            _short(g.title, 30),
            g.status.value.lower() + (" (expired)" if g.expired else ""),
            f"{g.current_value:g} / {g.target_value:g}",
            f"{g.progress:.0%}",
            f"{g.deadline:%Y-%m-%d}",
        )
    if not views:
        table.caption = "no goal yet"
    return table


def score_table(history: score.ScoreHistory) -> Table:
    """The latest weekly score, its components and their sparklines over the shown weeks."""
    latest = history.latest
    title = (
        "Behavioral score: no week scored yet"
        if latest is None
        else f"Behavioral score {latest.score:.1f}/100 (week of {latest.week_start})"
    )
    table = Table("component", "weight", "latest", "weeks", title=title)
    weeks = list(history.weeks)
    table.add_row(
        "score", "", num(latest.score if latest else None, 1), spark([w.score for w in weeks])
    )
    for name, weight in history.weights.items():
        table.add_row(
            name,
            f"{weight:.2f}",
            num(latest.components.get(name) if latest else None, 1),
            spark([w.components.get(name) for w in weeks]),
        )
    return table


def show_insights(
    db: Database, user: str, now: datetime, *, refresh: bool, as_json: bool = False
) -> None:
    """Print the learner's recommendations, goals and score (after a daily run if asked)."""
    from twin.services.insights import daily, goals, recommendations, score

    run = None
    if refresh:
        with db.session() as session:
            run = daily.run_daily(session, user, now)
    if run is not None and not as_json:
        console.print(
            f"daily run: {run.weeks_scored} weeks scored, {run.recommendations_created} new "
            f"recommendations, {run.evaluated} evaluated, {run.notifications} notifications",
            soft_wrap=True,
        )
    with db.session() as session:
        recs = recommendations.list_recommendations(session, user)
        goal_views = goals.list_goals(session, user)
        history = score.score_history(session, user, now, score.DEFAULT_HISTORY_WEEKS)
    if as_json:
        # The API's own answer models, so the JSON reads as the insights routes answer.
        from twin.api.schemas.insights import GoalOut, RecommendationOut, ScoreHistoryOut

        print_json(
            {
                "userId": user,
                "dailyRun": None
                if run is None
                else {
                    "weeksScored": run.weeks_scored,
                    "recommendationsCreated": run.recommendations_created,
                    "evaluated": run.evaluated,
                    "notifications": run.notifications,
                },
                "recommendations": [
                    RecommendationOut.model_validate(r).model_dump(mode="json") for r in recs
                ],
                "goals": [GoalOut.model_validate(g).model_dump(mode="json") for g in goal_views],
                "score": ScoreHistoryOut.model_validate(history).model_dump(mode="json"),
            }
        )
        return
    console.print(recommendations_table(recs))
    console.print(
        goals_table([g for g in goal_views if g.status is GoalStatus.ACTIVE] or goal_views)
    )
    console.print(score_table(history))


def insights_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh/--no-refresh",
            help="Run the learner's daily insights work first (scores, goals, recommendations).",
        ),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Show a learner's recommendations, goals and weekly behavioral score."""
    with database(migrated=True) as db:
        show_insights(db, user, utcnow(), refresh=refresh, as_json=as_json)


def demo_insights(db: Database, user: str, now: datetime) -> None:
    """The demo's section: one learner's daily run, a suggested goal set, and what they see."""
    from twin.analysis.insights.goals import GoalRequest
    from twin.services.insights import daily, goals

    with db.session() as session:
        daily.run_daily(session, user, now)
    with db.session() as session:
        active = [g for g in goals.list_goals(session, user) if g.status is GoalStatus.ACTIVE]
        suggested = [] if active else goals.suggestions(session, user, now)
    if active:
        # An earlier run set one: runs do not pile goals onto the learner.
        console.print(f"goal already set by an earlier run: {active[0].title}")
    if suggested:
        s = suggested[0]
        with db.session() as session:
            goals.create_goal(
                session,
                user,
                GoalRequest(str(s.goal_type), str(s.metric), s.target_value, s.deadline),
                now,
            )
        console.print(
            # The title says what is measured; the metric's identifier is for the API.
            f"goal set from a suggestion: {s.title} (target {s.target_value:g} by "
            f"{s.deadline:%Y-%m-%d})"
        )
    console.print(f"insights of learner {user!r}:")
    show_insights(db, user, now, refresh=False)
