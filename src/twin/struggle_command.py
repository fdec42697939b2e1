"""``twin predict USER``: a learner's upcoming struggle risks with their reasons.

Generates predictions now (as ``POST predictions:generate`` does: stored, open ones
updated in place) and prints them as rich tables: the risks with their reasons in
words and interventions, then the alerts. :func:`predictions_table` and
:func:`alerts_table` can be reused (``twin demo``).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from twin.analysis.struggle.features import feature_reason
from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import open_database
from twin.db.migrate import ensure_migrated
from twin.errors import TwinError
from twin.services import struggle
from twin.services.struggle import GenerationResult

HIGH_RISK_FROM = 0.7
"""Probabilities from here are shown in red, above 0.5 in yellow."""
DEFAULT_ROWS = 15
REASONS_SHOWN = 3
INTERVENTIONS_SHOWN = 2


def _probability(p: float) -> str:
    style = "bold red" if p >= HIGH_RISK_FROM else "yellow" if p > struggle.AT_RISK_ABOVE else ""
    text = f"{p:.2f}"
    return f"[{style}]{text}[/]" if style else text


def predictions_table(
    result: GenerationResult, *, limit: int = DEFAULT_ROWS, at_risk_only: bool = False
) -> Table:
    """Predicted struggles, most likely first: objective, due, probability, model, reasons."""
    rows = [p for p in result.predictions if not at_risk_only or p.probability > 0.5]
    table = Table(
        "objective",
        "course",
        "due",
        "p",
        "conf.",
        "why (top reasons)",
        "interventions",
        title=f"Upcoming struggle risks of {result.user_id} (model {result.model_version})",
    )
    for p in rows[:limit]:
        values = p.features.as_dict()
        reasons = [feature_reason(n, values[n]) for n, _c in p.top_factors]
        table.add_row(
            p.objective.text,
            p.objective.course_name,
            f"{p.candidate.dueAt:%Y-%m-%d} ({p.candidate.source})",
            _probability(p.probability),
            f"{p.confidence:.2f}",
            "\n".join(reasons[:REASONS_SHOWN]) or "—",
            "\n".join(f"{i.priority} {i.description}" for _id, i in p.interventions)
            if p.interventions
            else "—",
        )
    c = result.to_json()["counts"]
    table.caption = (
        f"{c['candidates']} objectives predicted ({c['created']} new, {c['updated']} updated), "
        f"{c['atRisk']} at risk (p > 0.5), {c['indicators']} indicators, "
        f"{c['interventions']} interventions"
        + (
            f"; {c['awaitingOutcome']} kept as they were while their outcome is measured"
            if c["awaitingOutcome"]
            else ""
        )
        + (f"; showing {limit} of {len(rows)}" if len(rows) > limit else "")
    )
    table.caption_justify = "left"
    return table


def alerts_table(result: GenerationResult) -> Table:
    """The top 3 alerts: likely struggles (p ≥ 0.7) due within 3 days."""
    table = Table("priority", "objective", "due", "p", title="Alerts")
    for a in result.alerts:
        table.add_row(
            f"{a.priority:.0f}",
            a.objective.text,
            f"{a.due_at:%Y-%m-%d %H:%M}",
            _probability(a.probability),
        )
    if not result.alerts:
        table.caption = "no likely struggle due within 3 days"
    return table


def predict_command(
    user_id: Annotated[str, typer.Argument(help="The learner's id.")],
    days_ahead: Annotated[
        int,
        typer.Option(
            "--days-ahead",
            "-d",
            min=struggle.MIN_DAYS_AHEAD,
            max=struggle.MAX_DAYS_AHEAD,
            help="Objectives due within this many days (missions, exams), plus the weakest.",
        ),
    ] = struggle.DEFAULT_DAYS_AHEAD,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Rows of the risk table.")
    ] = DEFAULT_ROWS,
) -> None:
    """Predict the learner's upcoming struggles now, store them and print the reasons."""
    console = Console()
    err_console = Console(stderr=True)
    try:
        settings = load_settings()
        db = open_database(settings)
    except TwinError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    try:
        ensure_migrated(db.engine)
        with db.session() as session:
            result = struggle.generate_predictions(session, user_id, utcnow(), days_ahead)
    except TwinError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        db.close()
    if not result.predictions:
        console.print(
            f"No objective of {user_id} is due within {days_ahead} days and none has been "
            "studied yet: nothing to predict."
        )
        return
    console.print(predictions_table(result, limit=limit))
    console.print(alerts_table(result))
