"""``twin personalize USER``: a learner's level, arms, rewards, latest decisions and effectiveness;
``--evaluate POLICY`` adds the off-policy value of another policy from the decision log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from twin.cli.common import console, database, fail, num
from twin.clock import utcnow
from twin.enums import PersonalizationContext
from twin.errors import TwinError

if TYPE_CHECKING:
    # `twin --help` imports this module: the services, SQLAlchemy and numpy load in commands.
    from twin.db.engine import Database
    from twin.services.personalization import overview
    from twin.services.personalization.effectiveness import EffectivenessView

DEMO_SEED = 17
DEMO_ADAPTED_WEEKS = 8


def arms_table(view: overview.Overview) -> Table:
    """Every context's arms: sessions rewarded, mean reward, chance of being the best."""
    table = Table(title=f"strategy arms of {view.user_id}")
    for column in ("context", "strategy", "rewarded", "mean", "P(best)", "effect."):
        table.add_column(column, justify="left" if column in ("context", "strategy") else "right")
    for ctx in view.contexts:
        for a in ctx.arms:
            table.add_row(
                ctx.context,
                a.strategy,
                str(a.times_selected),
                num(a.avg_reward if a.times_selected else None, 3),
                num(a.confidence, 2),
                num(a.effectiveness_score, 1),
            )
    if not any(ctx.arms for ctx in view.contexts):
        table.add_row("—", "no decision yet", "", "", "", "")
    return table


def effectiveness_lines(view: EffectivenessView) -> list[str]:
    """The effectiveness in a few lines (or what is still missing)."""
    head = f"effectiveness {view.window_start:%Y-%m-%d} → {view.window_end:%Y-%m-%d}"
    if view.result is None:
        miss = view.insufficient
        have = "?" if miss is None else f"{miss.requirement}: {miss.have} of {miss.need}"
        return [f"{head}: insufficient data ({have})"]
    r = view.result
    ci = r.get("confidenceInterval") or {}
    corr = (
        f"r = {r['correlation']:.2f} (p = {r['pValue']:.3g}, 95% "
        f"[{ci.get('low', 0):.2f}, {ci.get('high', 0):.2f}])"
        if r.get("correlation") is not None
        else "no correlation (one level only)"
    )
    return [
        f"{head}: {r['sampleSize']} vs {r['baselineSize']} outcomes",
        f"  retention {num(r['retentionImprovement'], 3)}, performance "
        f"{num(r['performanceImprovement'], 1)}, completion {num(r['completionRateChange'], 3)}",
        f"  level vs outcome {corr}",
        f"  composite {r['compositeScore']:.1f}/100 (50 = no change), "
        + ("significant" if r["isStatisticallySignificant"] else "not significant"),
    ]


def show_personalization(db: Database, user: str, now: datetime) -> None:
    """Print the learner's preferences, arms, latest decisions and effectiveness."""
    from twin.services.personalization import overview

    with db.session() as session:
        view = overview.overview(session, user, now)
    p = view.preferences
    console.print(
        f"level {p.level}; auto-adapt {'on' if p.auto_adapt else 'off'}"
        + ("; paused" if p.paused else "")
    )
    console.print(f"  {p.level_meaning}")
    console.print(arms_table(view))
    for ctx in view.contexts:
        if ctx.latest is not None:
            d = ctx.latest
            console.print(
                f"{ctx.context}: latest {d.strategy} (p = {d.propensity:.2f}, {d.mode}), "
                f"reward {num(d.reward, 3)}",
                soft_wrap=True,
            )
    console.print(f"{view.decisions} decisions logged, {view.rewarded} rewarded")
    for line in effectiveness_lines(view.effectiveness):
        console.print(line, soft_wrap=True)


def evaluation_lines(
    db: Database, context: PersonalizationContext, policy: str, user: str | None
) -> list[str]:
    """The IPS and DR value of ``policy`` on the log (of ``user``, or everyone)."""
    from twin.analysis.common import InsufficientData
    from twin.services.personalization import offpolicy

    with db.session() as session:
        result = offpolicy.evaluate_logged(session, context, policy, user)
    if isinstance(result, InsufficientData):
        if result.requirement == "decisions":
            return [
                f"{policy}: insufficient data ({result.have} of {result.need} rewarded decisions)"
            ]
        return [f"{policy}: insufficient data (no logged decision takes an arm the policy would)"]
    lines = [
        f"{policy.upper()} on {result.decisions} {context.value} decisions",
        f"  the logged policy earned {result.logged_value:.3f}; effective sample "
        f"{result.effective_sample_size:.1f}",
    ]
    for e in (result.ips, result.dr):
        lines.append(f"  {e.method}: {e.value:.3f}  95% [{e.low:.3f}, {e.high:.3f}]")
    return lines


def personalize_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    evaluate: Annotated[
        str | None,
        typer.Option(help="Also evaluate a policy off-line: an arm's name or UNIFORM."),
    ] = None,
    context: Annotated[
        PersonalizationContext, typer.Option(help="Context of the evaluation.")
    ] = PersonalizationContext.MISSION,
    everyone: Annotated[
        bool, typer.Option("--everyone", help="Evaluate on every learner's log.")
    ] = False,
) -> None:
    """Show a learner's personalization: level, arms and rewards, effectiveness."""
    with database(migrated=True) as db:
        try:
            show_personalization(db, user, utcnow())
            if evaluate is not None:
                for line in evaluation_lines(db, context, evaluate, None if everyone else user):
                    console.print(line, soft_wrap=True)
        except TwinError as exc:
            raise fail(f"{exc} (see `twin personalize --help`)") from None


def demo_personalization(db: Database, user: str, end: datetime) -> None:
    """The demo's section: 4 weeks of defaults, 8 personalized, then the arms and effectiveness."""
    import numpy as np

    from twin.services.personalization import overview
    from twin.services.personalization.effectiveness import learner_effectiveness
    from twin.simulate.personalization import DEFAULT_EFFECTS, simulate_personalized_weeks

    hidden = ", ".join(f"{a.value} +{e:.2f}" for a, e in DEFAULT_EFFECTS.items())
    console.print(f"learner {user}, hidden effect of each strategy on MISSION: {hidden}")
    with db.session() as session:
        done_before = overview.overview(session, user, end).decisions
    if done_before:
        # a second demo run shows the learner as the first one left them
        console.print(f"{done_before} personalized sessions already simulated")
        personalized_from = end - timedelta(weeks=DEMO_ADAPTED_WEEKS)
    else:
        run = simulate_personalized_weeks(
            db, user, end, np.random.default_rng(DEMO_SEED), weeks=DEMO_ADAPTED_WEEKS
        )
        personalized_from = run.personalized_from
        console.print(
            f"{run.baseline_outcomes} sessions of engine defaults, then {run.decisions} "
            f"personalized: " + ", ".join(f"{k} {v}" for k, v in run.chosen.items()),
            soft_wrap=True,
        )
    with db.session() as session:
        view = overview.overview(session, user, end)
        eff = learner_effectiveness(
            session,
            user,
            end,
            personalized_from,
            end + timedelta(minutes=1),
            PersonalizationContext.MISSION,
        )
    console.print(arms_table(view))
    for line in effectiveness_lines(eff):
        console.print(line, soft_wrap=True)
    for line in evaluation_lines(db, PersonalizationContext.MISSION, "UNIFORM", user):
        console.print(line, soft_wrap=True)
