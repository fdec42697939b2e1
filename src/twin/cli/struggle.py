"""``twin predict USER`` and ``twin model …``: struggle predictions and the model registry.

``predict`` generates predictions now (as ``POST predictions:generate`` does: stored,
open ones updated in place) and prints each risk as a block: the objective, its
probability, the reasons in words, what is not known yet, and the interventions with
their priority; then the alerts. ``--wide`` prints one wide table instead. ``model
train`` trains a candidate on shared outcomes and deploys it only when it beats the
current model; ``model list`` shows the registry. :func:`predictions_block`,
:func:`counts_line` and :func:`comparison_table` are reused by ``twin demo``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from twin.analysis.struggle.horizon import DEFAULT_DAYS_AHEAD, MAX_DAYS_AHEAD, MIN_DAYS_AHEAD
from twin.cli.common import (
    JsonOption,
    WideOption,
    console,
    database,
    hanging,
    num,
    print_json,
    wide_console,
    words,
)

if TYPE_CHECKING:
    from twin.services.struggle import GeneratedPrediction, GenerationResult
    from twin.services.struggle import models as struggle_models

model_app = typer.Typer(help="Struggle-prediction models: train, list.", no_args_is_help=True)

HIGH_RISK_FROM = 0.7
"""Probabilities from here are shown in red, above 0.5 in yellow."""
DEFAULT_ROWS = 15
REASONS_SHOWN = 3
PRIORITY_SCALE_MAX = 10
"""Intervention priorities run 1–10 (ENGINE.md 5.2), higher first."""
UNKNOWN_SHOWN = 4


def _probability(p: float) -> str:
    from twin.services.struggle import AT_RISK_ABOVE

    style = "bold red" if p >= HIGH_RISK_FROM else "yellow" if p > AT_RISK_ABOVE else ""
    text = f"{p:.2f}"
    return f"[{style}]{text}[/]" if style else text


def readable_reasons(prediction: GeneratedPrediction, limit: int = REASONS_SHOWN) -> list[str]:
    """The reasons worth reading: measured features that raise the risk *and* read as a risk.

    A trained model may credit a feature whose value is harmless by itself (no open
    objective, a far exam); such a contribution is real but says nothing to the learner,
    so only values on the risky side of the rule baseline's direction are put in words,
    most influential first. Unknown features are never reasons (see :func:`unknown_text`).
    """
    from twin.analysis.struggle.features import UNKNOWN_VALUE, feature_reason
    from twin.analysis.struggle.rules import DEFAULT_RULE_WEIGHTS

    values = prediction.features.as_dict()
    direction = dict(zip(values, DEFAULT_RULE_WEIGHTS.as_tuple(), strict=True))
    ranked = sorted(prediction.contributions.items(), key=lambda kv: -kv[1])
    reasons = [
        feature_reason(name, values[name])
        for name, contribution in ranked
        if contribution > 0
        and name not in prediction.features.unknown
        and direction[name] * (values[name] - UNKNOWN_VALUE) > 0
    ]
    return reasons[:limit]


def unknown_text(prediction: GeneratedPrediction) -> str:
    """The features not measured for this objective (scored as neutral), in words."""
    unknown = [words(n) for n in prediction.features.names() if n in prediction.features.unknown]
    if not unknown:
        return ""
    shown = ", ".join(unknown[:UNKNOWN_SHOWN])
    more = f" and {len(unknown) - UNKNOWN_SHOWN} more" if len(unknown) > UNKNOWN_SHOWN else ""
    return f"not known yet (counted as neutral): {shown}{more}"


def intervention_lines(prediction: GeneratedPrediction) -> list[str]:
    """``priority 9/10: Review the weak prerequisites first …`` per intervention."""
    return [
        f"priority {i.priority}/{PRIORITY_SCALE_MAX}: {i.description}"
        for _id, i in prediction.interventions
    ]


def counts_line(result: GenerationResult) -> str:
    """What the run did, with counts that add up."""
    from twin.api.schemas.struggle import GenerationCountsOut

    c = GenerationCountsOut.model_validate(result.counts).model_dump(mode="json")
    predicted, kept = c["candidates"], c["awaitingOutcome"]
    text = f"{predicted + kept} objectives due or weakest: {predicted} predicted now"
    text += f" ({c['created']} new, {c['updated']} updated)"
    if kept:
        text += f", {kept} kept as they were while their outcome is measured"
    text += (
        f"; {c['atRisk']} at risk (p > 0.5), {c['indicators']} indicators, "
        f"{c['interventions']} interventions"
    )
    return text


def _rows(result: GenerationResult, at_risk_only: bool) -> list[GeneratedPrediction]:
    from twin.services.struggle import AT_RISK_ABOVE

    return [p for p in result.predictions if not at_risk_only or p.probability > AT_RISK_ABOVE]


def _objective_title(p: GeneratedPrediction) -> str:
    """The objective's text, with its course unless the text already names it."""
    text, course = p.objective.text, p.objective.course_name
    return text if not course or f"({course})" in text else f"{text} ({course})"


def prediction_block(p: GeneratedPrediction) -> tuple[Text, Group]:
    """One prediction: probability, then objective, due date, reasons, unknowns, interventions."""
    reasons = readable_reasons(p)
    lines = [("why", "; ".join(reasons) if reasons else "no single measured factor stands out")]
    unknown = unknown_text(p)
    if unknown:
        lines.append(("unknown", unknown.split(": ", 1)[-1] + " (counted as neutral)"))
    lines += [
        (f"priority {i.priority}/{PRIORITY_SCALE_MAX}", i.description) for _id, i in p.interventions
    ]
    body = Group(
        Text(_objective_title(p), style="bold"),
        Text(
            f"due {p.candidate.dueAt:%Y-%m-%d} ({p.candidate.source}) · confidence "
            f"{p.confidence:.2f}"
        ),
        hanging(lines),
    )
    return Text.from_markup(_probability(p.probability), justify="right"), body


def predictions_block(
    result: GenerationResult, *, limit: int = DEFAULT_ROWS, at_risk_only: bool = False
) -> RenderableType:
    """Predicted struggles, most likely first, one block each (reads at 80 columns)."""
    rows = _rows(result, at_risk_only)
    grid = Table.grid(padding=(0, 1, 1, 0))
    grid.add_column(width=4)
    grid.add_column(ratio=1)
    for p in rows[:limit]:
        grid.add_row(*prediction_block(p))
    heading = Text(
        f"struggle risks of {result.user_id} · model {result.model_version}", style="bold"
    )
    legend = Text(
        "p (left): probability of struggling · interventions: priority 1–10, higher first",
        style="dim",
    )
    caption = counts_line(result)
    if len(rows) > limit:
        caption += f"; showing {limit} of {len(rows)} (--limit shows more)"
    return Group(heading, legend, grid, Text(caption, style="dim"))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def predictions_table(
    result: GenerationResult, *, limit: int = DEFAULT_ROWS, at_risk_only: bool = False
) -> Table:
    """The same as one wide table (``--wide``): a row per objective."""
    rows = _rows(result, at_risk_only)
    table = Table(
        "objective",
        "course",
        "due",
        "p",
        "conf.",
        "why (top reasons)",
        "not known yet",
        "interventions",
        title=f"Upcoming struggle risks of {result.user_id} (model {result.model_version})",
    )
    for p in rows[:limit]:
        table.add_row(
            p.objective.text,
            p.objective.course_name,
            f"{p.candidate.dueAt:%Y-%m-%d} ({p.candidate.source})",
            _probability(p.probability),
            f"{p.confidence:.2f}",
            "\n".join(readable_reasons(p)) or "—",
            unknown_text(p).split(": ", 1)[-1] or "—",
            "\n".join(intervention_lines(p)) or "—",
        )
    table.caption = counts_line(result) + (
        f"; showing {limit} of {len(rows)}" if len(rows) > limit else ""
    )
    table.caption_justify = "left"
    return table


def alerts_table(result: GenerationResult) -> Table:
    """The top 3 alerts: likely struggles (p ≥ 0.7) due within 3 days."""
    table = Table("priority", "objective", "due (UTC)", "p", title="alerts (priority 0–100)")
    table.columns[0].justify = "right"
    for a in result.alerts:
        table.add_row(
            f"{a.priority:.0f}",
            a.objective.text,
            f"{a.due_at:%Y-%m-%d %H:%M}",
            _probability(a.probability),
        )
    if not result.alerts:
        table.caption = "no likely struggle (p ≥ 0.7) due within 3 days"
    return table


def predict_command(
    user_id: Annotated[str, typer.Argument(help="The learner's id.")],
    days_ahead: Annotated[
        int,
        typer.Option(
            "--days-ahead",
            "-d",
            min=MIN_DAYS_AHEAD,
            max=MAX_DAYS_AHEAD,
            help="Objectives due within this many days (missions, exams), plus the weakest.",
        ),
    ] = DEFAULT_DAYS_AHEAD,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Predictions shown.")
    ] = DEFAULT_ROWS,
    wide: WideOption = False,
    as_json: JsonOption = False,
) -> None:
    """Predict the learner's upcoming struggles now, store them and print the reasons."""
    from twin.clock import utcnow
    from twin.services import struggle

    with database(migrated=True) as db, db.session() as session:
        result = struggle.generate_predictions(session, user_id, utcnow(), days_ahead)
    if as_json:
        from twin.api.schemas.struggle import GenerateOut

        print_json(GenerateOut.model_validate(result).model_dump(mode="json"))
        return
    if not result.predictions and not result.awaiting_outcome:
        console.print(
            f"No objective of {user_id} is due within {days_ahead} days and none has been "
            "studied yet: nothing to predict."
        )
        return
    if wide:
        wide_console().print(predictions_table(result, limit=limit))
    else:
        console.print(predictions_block(result, limit=limit))
    console.print(alerts_table(result))


# --- twin model ---------------------------------------------------------------------


def status_style(status: str) -> str:
    """The colour of a training run's status."""
    from twin.services.struggle import models as struggle_models

    return {
        struggle_models.STATUS_DEPLOYED: "bold green",
        struggle_models.STATUS_KEPT: "yellow",
        struggle_models.STATUS_INSUFFICIENT: "red",
        struggle_models.STATUS_SKIPPED: "dim",
    }.get(status, "")


def comparison_table(report: struggle_models.TrainingReport) -> Table:
    """Candidate against current model on the candidate's held-out learners."""
    table = Table(
        "model",
        "n (struggled)",
        "AUC",
        "Brier",
        "log loss",
        "ECE",
        title=f"held-out comparison ({report.held_out_learners} learners)",
    )
    for column in table.columns[1:]:
        column.justify = "right"
    rows: list[tuple[str, str | None, Any]] = [
        ("candidate", report.candidate_version, report.candidate),
        ("current", report.current_version, report.current),
    ]
    for label, version, m in rows:
        if m is None:
            continue
        table.add_row(
            f"{label}\n[dim]{version or '—'}[/]",
            f"{m.n} ({m.n_struggled})",
            num(m.auc, 3),
            num(m.brier, 3),
            num(m.log_loss, 3),
            num(m.ece, 3),
        )
    table.caption = "n: held-out outcomes · AUC: higher is better · Brier, log loss, ECE: lower"
    return table


@model_app.command("train")
def train_command(
    force: Annotated[
        bool,
        typer.Option("--force", help="Train even when no outcome was recorded since the last run."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Train a candidate on shared outcomes; deploy it only if it beats the current model."""
    from twin.clock import utcnow
    from twin.services.struggle import models as struggle_models

    with database(migrated=True) as db, db.session() as session:
        report = struggle_models.train(session, utcnow(), force=force)
    if as_json:
        print_json(report.to_dict())
        return
    style = status_style(report.status)
    console.print(
        f"outcomes {report.outcomes} from {report.learners} sharing learners "
        f"({report.excluded_learners} learners not sharing: excluded); "
        f"current model {report.current_version}"
    )
    if report.candidate is not None:
        console.print(comparison_table(report))
    console.print(f"[{style}]{report.status}[/]: {report.decision}" if style else report.decision)


@model_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """List the registered model versions, newest first (the active one marked)."""
    from twin.analysis.struggle.rules import RULE_MODEL_VERSION
    from twin.services.struggle import models as struggle_models

    with database(migrated=True) as db, db.session() as session:
        rows: list[dict[str, Any]] = [
            {
                "version": r.version,
                "kind": r.kind,
                "active": r.isActive,
                "trainedAt": r.trainedAt,
                "trainingWindowStart": r.trainingWindowStart,
                "trainingWindowEnd": r.trainingWindowEnd,
                "outcomes": r.outcomeCount,
                "learners": r.learnerCount,
                "metrics": dict(r.metrics),
                "decision": r.decision,
            }
            for r in struggle_models.list_models(session)
        ]
    if as_json:
        print_json({"models": rows, "rulesBaseline": RULE_MODEL_VERSION})
        return
    if not rows:
        console.print(
            f"no trained model yet: the rule baseline {RULE_MODEL_VERSION} predicts "
            "(`twin model train` trains one on recorded outcomes)"
        )
        return
    table = Table(
        "version",
        "trained",
        "outcomes",
        "AUC",
        "Brier",
        "decision",
        title="struggle-prediction models",
    )
    table.columns[0].no_wrap = True
    for column in table.columns[2:5]:
        column.justify = "right"
    for r in rows:
        current = r["metrics"].get("current") or {}
        was = current.get("auc")
        table.add_row(
            r["version"] + ("\n[bold green]active[/]" if r["active"] else ""),
            f"{r['trainedAt']:%Y-%m-%d}\n{r['trainedAt']:%H:%M}",
            f"{r['outcomes']:,}",
            num(r["metrics"].get("auc"), 3),
            num(r["metrics"].get("brier"), 3),
            (r["decision"] or "").split(":", 1)[0].split(" ", 1)[0]
            + ("" if was is None else f"\nvs {was:.3f}"),
        )
    caption = "trained: UTC · AUC, Brier: on held-out learners · vs: the AUC it had to beat"
    if not any(r["active"] for r in rows):
        caption += f"\nno trained model is active: the rule baseline {RULE_MODEL_VERSION} predicts"
    table.caption = caption
    table.caption_justify = "left"
    console.print(table)
