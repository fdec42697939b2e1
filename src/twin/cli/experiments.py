"""``twin experiment create|list|results|stop|metrics``: A/B experiments from the command line.

``create FILE`` reads a definition in the API's JSON shape (``-``: standard input) and checks
it exactly as ``POST /v1/experiments`` does; ``results ID`` prints the verdict, the split and
every comparison; ``stop ID`` stops an experiment and computes its final metrics and verdict
at once; ``metrics [ID]`` runs the daily metrics computation now (one experiment, or every
running one). :func:`print_results` is reused by ``twin demo``.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from twin.cli.common import JsonOption, console, database, fail, num, print_json
from twin.clock import utcnow
from twin.enums import ExperimentStatus, PersonalizationContext

if TYPE_CHECKING:
    # The services and the statistics load SQLAlchemy, numpy and scipy: imported inside
    # the commands, so that `twin --help` stays fast (benchmarks/cli_startup.py).
    from twin.analysis.experiments.statistics import DifferenceType
    from twin.db.engine import Database
    from twin.services import experiments as service

experiment_app = typer.Typer(
    help="A/B experiments: define, list, read results, stop, measure.", no_args_is_help=True
)

CLI_CREATOR = "twin-cli"
"""``createdBy`` of experiments defined from the command line."""

VERDICT_STYLES = {
    "winner": "bold green",
    "no_difference": "yellow",
    "keep_running": "cyan",
    "invalid": "bold red",
}


def _effect(expected: float, low: float, high: float, difference: DifferenceType) -> str:
    from twin.analysis.experiments.statistics import DifferenceType

    # The interval on its own line: the column stays narrow and wraps between, not within.
    if difference is DifferenceType.RELATIVE:
        return f"{100 * expected:+.1f}%\n[{100 * low:+.1f}, {100 * high:+.1f}]"
    return f"{expected:+.3g}\n[{low:+.3g}, {high:+.3g}]"


def experiment_table(items: list[service.Experiment]) -> Table:
    """Experiments, one row each."""
    table = Table(title="Experiments")
    table.add_column("id", no_wrap=True)
    for name in ("name", "context", "state", "ends", "n"):
        table.add_column(name)
    for e in items:
        table.add_row(
            e.id,
            e.name,
            e.context.value,
            e.state.value,
            f"{e.end_date:%Y-%m-%d}",
            str(e.participants),
        )
    if not items:
        table.caption = "no experiments yet: define one with `twin experiment create FILE`"
    return table


def print_results(results: service.ExperimentResults) -> None:
    """The verdict, the split and every comparison, in tables that fit 80 columns."""
    e = results.experiment
    r = results.result
    style = VERDICT_STYLES.get(r.verdict.value, "")
    console.print(
        f"[bold]{e.name}[/] ({e.id}) · {e.context.value} · {e.state.value} · "
        f"{r.start:%Y-%m-%d} → {r.end:%Y-%m-%d} · metrics as of "
        + (f"{results.metrics_as_of:%Y-%m-%d %H:%M}" if results.metrics_as_of else "—")
        + f" (day {r.days_elapsed})"
    )
    console.print(f"method: {r.method_description}")
    arms = Table("variant", "weight", "assigned", "expected", "analysed", title="Split")
    for arm, expected in zip(r.arms, r.srm.expected, strict=True):
        arms.add_row(
            arm.variant_id + (" (control)" if arm.variant_id == e.control_id else ""),
            f"{arm.weight:g}",
            str(arm.assigned),
            f"{expected:.1f}",
            str(arm.analysed),
        )
    arms.caption = f"sample-ratio χ² p = {r.srm.p_value:.3g}" + (
        " — MISMATCH" if r.srm.mismatch else ""
    )
    console.print(arms)
    means = {(m.metric, m.variant_id): m for m in results.arm_metrics}
    # Seven columns fit 80 without vertical rules (each costs a column of text).
    table = Table(
        "metric",
        "variant",
        "control",
        "variant",
        "effect\n[95% CI]",
        "p",
        "P(win)",
        title=f"Comparisons ({r.method.value} decides)",
        box=box.SIMPLE_HEAD,
    )
    table.columns[0].no_wrap = True
    for c in r.comparisons:
        d = c.decision
        control = means.get((c.metric, c.control_id))
        variant = means.get((c.metric, c.variant_id))
        table.add_row(
            c.metric + (" *" if c.role.value == "primary" else ""),
            c.variant_id,
            num(control.mean if control else None, 3),
            num(variant.mean if variant else None, 3),
            "—" if d.error else _effect(d.expected, *d.ci, d.difference_type),
            "—" if d.error else f"{d.p_value:.3g}",
            f"{c.bayesian.chance_to_win:.2f}",
        )
    table.caption = "* primary metric; means of the post-period values"
    console.print(table)
    console.print(f"verdict: [{style}]{r.verdict.value}[/]" if style else r.verdict.value)
    for reason in r.reasons:
        console.print(f"  · {reason}")
    for note in results.notes:
        console.print(f"  note: {note}")


@experiment_app.command("create")
def create_command(
    file: Annotated[
        str, typer.Argument(help="A JSON definition (the POST /v1/experiments body); - for stdin.")
    ],
) -> None:
    """Define an experiment from a JSON file; every problem is named with its field."""
    from pydantic import ValidationError

    from twin.api.schemas.experiments import ExperimentIn
    from twin.services import experiments as service

    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None
    try:
        body = ExperimentIn.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        raise fail(f"invalid definition in {file}: {problems}") from None
    with database(migrated=True) as db, db.session() as session:
        experiment = service.create_experiment(
            session, body.to_new(), utcnow(), created_by=CLI_CREATOR
        )
    console.print(
        f"experiment [bold]{experiment.id}[/] defined: {experiment.name} "
        f"({experiment.context.value}, {experiment.start_date:%Y-%m-%d} → "
        f"{experiment.end_date:%Y-%m-%d}, τ = "
        f"{experiment.analysis.sequential_tuning_parameter:g}); learners are assigned on their "
        "first personalization in its context",
        soft_wrap=True,
    )


@experiment_app.command("list")
def list_command(
    status: Annotated[ExperimentStatus | None, typer.Option(help="Only this status.")] = None,
    context: Annotated[
        PersonalizationContext | None, typer.Option(help="Only this context.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Rows.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Experiments, newest first."""
    from twin.services import experiments as service

    with database(migrated=True) as db, db.session() as session:
        items, _ = service.list_experiments(
            session, utcnow(), status=status, context=context, limit=limit
        )
    if as_json:
        from twin.api.schemas.experiments import ExperimentOut

        print_json(
            {
                "experiments": [
                    ExperimentOut.model_validate(e).model_dump(mode="json") for e in items
                ]
            }
        )
        return
    console.print(experiment_table(items))


@experiment_app.command("results")
def results_command(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    as_json: JsonOption = False,
) -> None:
    """The verdict, the split, and every comparison of an experiment."""
    from twin.services import experiments as service

    with database(migrated=True) as db, db.session() as session:
        results = service.experiment_results(session, experiment_id, utcnow())
    if as_json:
        from twin.api.schemas.experiments import ExperimentResultsOut

        print_json(ExperimentResultsOut.model_validate(results).model_dump(mode="json"))
        return
    print_results(results)


@experiment_app.command("stop")
def stop_command(
    experiment_id: Annotated[str, typer.Argument(help="The experiment's id.")],
    as_json: JsonOption = False,
) -> None:
    """Stop an experiment now, then compute its final metrics and verdict."""
    from twin.services import experiments as service

    now = utcnow()
    with database(migrated=True) as db:
        with db.session() as session:
            stopped = service.stop_experiment(session, experiment_id, now)
        if not as_json:
            console.print(f"stopped {stopped.id} at {now:%Y-%m-%d %H:%M} UTC; measuring …")
        with db.session() as session:
            report = service.refresh_metrics(session, experiment_id, now)
            final = service.finalize(session, experiment_id, now)
    if as_json:
        from twin.api.schemas.experiments import ExperimentResultsOut

        print_json(
            {
                "stoppedAt": now,
                "measured": report.measured,
                "participants": report.participants,
                "results": None
                if final is None
                else ExperimentResultsOut.model_validate(final).model_dump(mode="json"),
            }
        )
        return
    console.print(f"{report.measured} of {report.participants} participants measured")
    if final is not None:
        print_results(final)


@experiment_app.command("metrics")
def metrics_command(
    experiment_id: Annotated[
        str | None, typer.Argument(help="One experiment (default: every one due).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run the daily metrics computation now (and write final verdicts of ended experiments)."""
    from twin.jobs.experiments import run_metrics_tick

    with database(migrated=True) as db, console.status("measuring participants …"):
        report = run_metrics_tick(
            db, utcnow(), experiments=None if experiment_id is None else [experiment_id]
        )
    if as_json:
        print_json(
            {
                "seconds": round(report.seconds, 3),
                "runs": [
                    {
                        "experimentId": run.experiment_id,
                        "participants": run.participants,
                        "written": run.written,
                        "verdict": run.verdict,
                        "error": run.error,
                        "skippedLocked": run.skipped_locked,
                    }
                    for run in report.runs
                ],
            }
        )
        if any(run.error for run in report.runs):
            raise typer.Exit(1)
        return
    table = Table("experiment", "participants", "written", "final", title="Metrics run")
    for run in report.runs:
        table.add_row(
            run.experiment_id,
            str(run.participants),
            str(run.written),
            run.error or run.verdict or ("busy" if run.skipped_locked else "—"),
        )
    table.caption = f"{report.seconds:.1f} s"
    console.print(table)
    if any(run.error for run in report.runs):
        raise typer.Exit(1)


# --- twin demo -----------------------------------------------------------------------------

DEMO_EXPERIMENT_SEED = 1805
DEMO_EXPERIMENT_LEARNERS = 120
DEMO_EXPERIMENT_WEEKS = 6
DEMO_EXPERIMENT_NAME = "demo: shorter, sharper missions"
DEMO_EXPERIMENT_DAYS = 28
DEMO_QUALITY_FACTOR = 1.15
"""The treatment's true effect on session quality (× GOOD/EASY share, scores, engagement)."""


def demo_experiment(
    db: Database, now: datetime | None = None, learners: int = DEMO_EXPERIMENT_LEARNERS
) -> None:
    """One experiment on a simulated cohort whose learners follow the variant the engine assigns.

    The cohort is the demo's own experiment cohort (:data:`DEMO_EXPERIMENT_SEED`): the variant
    must act on the learners' data, so they are simulated after the experiment is defined —
    the engine's hash picks each learner's variant, the simulator generates the learner under
    it (the treatment raises session quality by :data:`DEMO_QUALITY_FACTOR` from the start),
    each learner's first session in the window assigns them through ``active_variant``, the
    daily metrics job measures everyone as of the end and writes the final verdict.

    With ``now`` (the demo's), the cohort's weeks end just before it, like the demo's main
    cohort, so the experiment ended recently and its results read the same from the API
    today; an experiment placed on an earlier day is replaced (its learners too). Without
    it, the fixed dates of the benchmarks (:data:`~twin.simulate.generate.DEFAULT_START`).
    """
    import sqlalchemy as sa

    from twin.analysis.common import naive_utc
    from twin.analysis.experiments.definition import Variant
    from twin.jobs.experiments import run_experiment
    from twin.services import experiments as service
    from twin.services.experiments.assignment import assigned_variant_index
    from twin.simulate.experiments import (
        NO_EFFECT,
        SimulatedLearner,
        VariantEffect,
        enroll,
        first_sessions,
        load_learners,
    )
    from twin.simulate.generate import DEFAULT_START
    from twin.simulate.load import delete_seed
    from twin.simulate.traits import user_id
    from twin.simulate.window import start_ending_by

    sim_start = DEFAULT_START if now is None else start_ending_by(now, DEMO_EXPERIMENT_WEEKS)
    start = datetime.combine(
        sim_start + timedelta(days=DEMO_EXPERIMENT_WEEKS * 7 - DEMO_EXPERIMENT_DAYS),
        datetime.min.time(),
    )
    end = start + timedelta(days=DEMO_EXPERIMENT_DAYS)
    with db.session() as session:
        placed = session.execute(
            sa.text(
                'SELECT id, "startDate" FROM personalization_experiments '
                'WHERE "experimentName" = :n AND definition IS NOT NULL'
            ),
            {"n": DEMO_EXPERIMENT_NAME},
        ).all()
    existing = next((row.id for row in placed if row.startDate == start), None)
    if existing is None and placed:
        # Placed on another day: the experiment (its assignments cascade) and its learners go.
        with db.session() as session:
            session.execute(
                sa.text("DELETE FROM personalization_experiments WHERE id = ANY(:ids)"),
                {"ids": [row.id for row in placed]},
            )
        replaced = delete_seed(db, DEMO_EXPERIMENT_SEED)
        console.print(
            f"replaced the experiment of another day and its {replaced} simulated learners"
        )
    if existing is None:
        with db.session() as session:
            experiment = service.create_experiment(
                session,
                service.NewExperiment(
                    name=DEMO_EXPERIMENT_NAME,
                    description="Missions tuned for focus (simulated: quality × 1.15).",
                    context=PersonalizationContext.MISSION,
                    variants=(
                        Variant("control", "Usual missions", 1.0, {}),
                        Variant("sharper", "Shorter, sharper", 1.0, {"durationFactor": 0.8}),
                    ),
                    primary_metric="performance",
                    guardrail_metrics=("study_minutes", "retention"),
                    cuped_covariate=True,
                    start=start,
                    end=end,
                    expected_participants=learners,
                ),
                start - timedelta(hours=1),
                created_by="twin-demo",
            )
        effects = (NO_EFFECT, VariantEffect(DEMO_QUALITY_FACTOR))
        cohort = [
            SimulatedLearner(
                i,
                user_id(DEMO_EXPERIMENT_SEED, i),
                effects[assigned_variant_index(experiment, user_id(DEMO_EXPERIMENT_SEED, i))],
            )
            for i in range(learners)
        ]
        with console.status(f"simulating {len(cohort)} learners under their variants …"):
            load_learners(db, DEMO_EXPERIMENT_SEED, sim_start, DEMO_EXPERIMENT_WEEKS, start, cohort)
        with db.session() as session:
            first = first_sessions(session, [x.stored_id for x in cohort], start, end)
            enroll(session, PersonalizationContext.MISSION, first)
        console.print(
            f"experiment {experiment.id}: {len(first)} of {len(cohort)} simulated learners "
            f"assigned at their first session after {start:%Y-%m-%d}"
        )
        existing = experiment.id
    else:
        console.print(f"experiment {existing} ({start:%Y-%m-%d} → {end:%Y-%m-%d}) already there")
    # Measured after its end (the daily job's hour); read as of the demo's now, as the
    # API reads it (without ``now``: the day after the end).
    measured = end + timedelta(hours=2, minutes=30)
    seen = end + timedelta(days=1) if now is None else naive_utc(now)
    run = run_experiment(db, existing, min(measured, seen))
    if run.error:
        console.print(f"metrics run failed: {run.error}")
        return
    with db.session() as session:
        results = service.experiment_results(session, existing, seen)
    print_results(results)
