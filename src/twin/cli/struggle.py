"""``twin predict USER`` and ``twin model …``: struggle predictions and the model registry.

``predict`` generates predictions now (as ``POST predictions:generate`` does: stored,
open ones updated in place) and prints them as rich tables: the risks with their
reasons in words and interventions, then the alerts. ``model train`` trains a
candidate on shared outcomes and deploys it only when it beats the current model;
``model list`` shows the registry. :func:`predictions_table`, :func:`alerts_table` and
:func:`comparison_table` are reused by ``twin demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from twin.analysis.struggle.features import feature_reason
from twin.analysis.struggle.model import ModelMetrics
from twin.analysis.struggle.rules import RULE_MODEL_VERSION
from twin.cli.common import console, database, num
from twin.clock import utcnow
from twin.db.engine import Database
from twin.services import struggle
from twin.services.struggle import GenerationResult
from twin.services.struggle import models as struggle_models

model_app = typer.Typer(help="Struggle-prediction models: train, list.", no_args_is_help=True)

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
    c = result.counts
    table.caption = (
        f"{c.candidates} objectives predicted ({c.created} new, {c.updated} updated), "
        f"{c.at_risk} at risk (p > 0.5), {c.indicators} indicators, "
        f"{c.interventions} interventions"
        + (
            f"; {c.awaiting_outcome} kept as they were while their outcome is measured"
            if c.awaiting_outcome
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
    with database(migrated=True) as db, db.session() as session:
        result = struggle.generate_predictions(session, user_id, utcnow(), days_ahead)
    if not result.predictions:
        console.print(
            f"No objective of {user_id} is due within {days_ahead} days and none has been "
            "studied yet: nothing to predict."
        )
        return
    console.print(predictions_table(result, limit=limit))
    console.print(alerts_table(result))


# --- twin model ---------------------------------------------------------------------

T = TypeVar("T")
STATUS_STYLES = {
    struggle_models.STATUS_DEPLOYED: "bold green",
    struggle_models.STATUS_KEPT: "yellow",
    struggle_models.STATUS_INSUFFICIENT: "red",
    struggle_models.STATUS_SKIPPED: "dim",
}


def _in_session(db: Database, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one committed transaction."""
    with db.session() as session:
        return work(session)


def comparison_table(report: struggle_models.TrainingReport) -> Table:
    """Candidate against current model on the candidate's held-out learners."""
    table = Table(
        "model",
        "version",
        "n",
        "struggled",
        "AUC",
        "Brier",
        "log loss",
        "ECE",
        title=f"Held-out comparison ({report.held_out_learners} learners)",
    )
    rows: list[tuple[str, str | None, ModelMetrics | None]] = [
        ("candidate", report.candidate_version, report.candidate),
        ("current", report.current_version, report.current),
    ]
    for label, version, m in rows:
        if m is None:
            continue
        table.add_row(
            label,
            version or "—",
            str(m.n),
            str(m.n_struggled),
            num(m.auc, 3),
            num(m.brier, 3),
            num(m.log_loss, 3),
            num(m.ece, 3),
        )
    return table


@model_app.command("train")
def train_command(
    force: Annotated[
        bool,
        typer.Option("--force", help="Train even when no outcome was recorded since the last run."),
    ] = False,
) -> None:
    """Train a candidate on shared outcomes; deploy it only if it beats the current model."""
    with database(migrated=True) as db:
        report = _in_session(db, lambda s: struggle_models.train(s, utcnow(), force=force))
    style = STATUS_STYLES.get(report.status, "")
    console.print(
        f"outcomes {report.outcomes} from {report.learners} sharing learners "
        f"({report.excluded_learners} learners not sharing: excluded); "
        f"current model {report.current_version}"
    )
    if report.candidate is not None:
        console.print(comparison_table(report))
    console.print(f"[{style}]{report.status}[/]: {report.decision}" if style else report.decision)


@model_app.command("list")
def list_command() -> None:
    """List the registered model versions, newest first (the active one marked)."""
    with database(migrated=True) as db:
        rows = _in_session(
            db,
            lambda s: [
                (
                    r.version,
                    r.kind,
                    r.isActive,
                    r.trainedAt,
                    r.trainingWindowStart,
                    r.trainingWindowEnd,
                    r.outcomeCount,
                    r.learnerCount,
                    dict(r.metrics),
                    r.decision,
                )
                for r in struggle_models.list_models(s)
            ],
        )
    table = Table(
        "active",
        "version",
        "kind",
        "trained",
        "window",
        "outcomes",
        "learners",
        "AUC",
        "Brier",
        "current AUC",
        "decision",
        title="Struggle-prediction models",
    )
    for version, kind, active, trained, w0, w1, n, learners, metrics, decision in rows:
        current = metrics.get("current") or {}
        window = "—" if w0 is None or w1 is None else f"{w0:%Y-%m-%d} … {w1:%Y-%m-%d}"
        table.add_row(
            "[bold green]●[/]" if active else "",
            version,
            kind,
            f"{trained:%Y-%m-%d %H:%M}",
            window,
            str(n),
            str(learners),
            num(metrics.get("auc"), 3),
            num(metrics.get("brier"), 3),
            num(current.get("auc"), 3),
            (decision or "").split(":", 1)[0],
        )
    if not any(r[2] for r in rows):
        table.caption = (
            f"no trained model is active: the rule baseline {RULE_MODEL_VERSION} predicts"
        )
    console.print(table)
