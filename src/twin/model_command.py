"""``twin model …``: train and list struggle-prediction models (the ``struggle_models`` registry)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from twin.analysis.struggle.model import ModelMetrics
from twin.analysis.struggle.rules import RULE_MODEL_VERSION
from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import Database, open_database
from twin.db.migrate import ensure_migrated
from twin.errors import TwinError
from twin.services.struggle import models as struggle_models

model_app = typer.Typer(help="Struggle-prediction models: train, list.", no_args_is_help=True)

T = TypeVar("T")
STATUS_STYLES = {
    struggle_models.STATUS_DEPLOYED: "bold green",
    struggle_models.STATUS_KEPT: "yellow",
    struggle_models.STATUS_INSUFFICIENT: "red",
    struggle_models.STATUS_SKIPPED: "dim",
}


@contextmanager
def _database(err: Console) -> Iterator[Database]:
    """The configured, migrated database (errors printed, exit 1)."""
    try:
        db = open_database(load_settings())
    except TwinError as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    try:
        ensure_migrated(db.engine)
        yield db
    except TwinError as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        db.close()


def _in_session(db: Database, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one committed transaction."""
    with db.session() as session:
        return work(session)


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


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
            _num(m.auc),
            _num(m.brier),
            _num(m.log_loss),
            _num(m.ece),
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
    console, err = Console(), Console(stderr=True)
    with _database(err) as db:
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
    console, err = Console(), Console(stderr=True)
    with _database(err) as db:
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
            _num(metrics.get("auc")),
            _num(metrics.get("brier")),
            _num(current.get("auc")),
            (decision or "").split(":", 1)[0],
        )
    if not any(r[2] for r in rows):
        table.caption = (
            f"no trained model is active: the rule baseline {RULE_MODEL_VERSION} predicts"
        )
    console.print(table)
