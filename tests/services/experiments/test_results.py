"""Results: the SQL aggregate equals the statistics of the stored values; verdicts; the end."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest

from tests.services.experiments.support import DAY, NOW, START, assign, new_experiment
from twin.analysis.experiments.frequentist import welch_ttest
from twin.analysis.experiments.metrics import MetricValue, arm_statistic
from twin.analysis.experiments.periods import (
    ParticipantMetrics,
    PeriodMetrics,
    participant_periods,
)
from twin.analysis.experiments.statistics import (
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from twin.analysis.experiments.verdict import Verdict
from twin.analysis.insights.common import SourceKind
from twin.analysis.insights.recommendations import generate_candidates
from twin.db.engine import Database
from twin.enums import ExperimentStatus, PersonalizationContext, RecommendationType
from twin.learners import Learner
from twin.services import experiments as service
from twin.services.experiments.measurement import store_metrics
from twin.services.experiments.results import arm_sums
from twin.services.insights.providers import ExperimentWinnerProvider, gather_sources

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

METRIC = "performance"


def document(
    assigned: datetime, as_of: datetime, post: float | None, pre: float | None
) -> ParticipantMetrics:
    periods = participant_periods(assigned, as_of)
    assert periods is not None
    return ParticipantMetrics(
        as_of=as_of,
        pre=PeriodMetrics(periods.pre, {METRIC: MetricValue(pre, 0 if pre is None else 5)}),
        post=PeriodMetrics(periods.post, {METRIC: MetricValue(post, 0 if post is None else 5)}),
    )


def populate(
    db: Database,
    experiment_id: str,
    variants: list[str],
    post: np.ndarray,
    pre: list[float | None],
    as_of: datetime,
) -> None:
    """Assign learner i to variants[i] at the start and store their values."""
    with db.session() as session:
        docs = {}
        for i, variant in enumerate(variants):
            uid = f"u{i:04d}"
            assign(session, experiment_id, uid, variant, START + DAY)
            value = None if math.isnan(post[i]) else float(post[i])
            docs[uid] = document(START + DAY, as_of, value, pre[i])
        store_metrics(session, experiment_id, docs)
        session.execute(
            __import__("sqlalchemy").text(
                'UPDATE personalization_experiments SET "metricsAsOf" = :t WHERE id = :e'
            ),
            {"t": as_of, "e": experiment_id},
        )


def test_sql_sums_equal_the_stored_values_statistics(db: Database) -> None:
    """Random values (some missing post or pre): the aggregate's statistics are the values'."""
    rng = np.random.default_rng(18)
    n = 300
    variants = ["control" if u < 0.5 else "short" for u in rng.random(n)]
    post = rng.uniform(20, 90, n)
    post[rng.random(n) < 0.1] = np.nan
    pre_values = rng.uniform(20, 90, n)
    pre: list[float | None] = [
        None if u < 0.2 else float(v) for u, v in zip(rng.random(n), pre_values, strict=True)
    ]
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(cuped_covariate=True), NOW)
    as_of = START + 20 * DAY
    populate(db, experiment.id, variants, post, pre, as_of)
    with db.session() as session:
        sums = {a.variant_id: a for a in arm_sums(session, experiment.id, (METRIC,))}
    measured = ~np.isnan(post)
    pre_known = np.array([p is not None for p in pre])
    fill = float(np.mean(pre_values[measured & pre_known]))
    x = np.where(pre_known, pre_values, fill)
    for variant in ("control", "short"):
        mask = np.array([v == variant for v in variants]) & measured
        assert sums[variant].assigned == sum(v == variant for v in variants)
        plain = arm_statistic(METRIC, sums[variant].metrics[METRIC], cuped=False)
        expected = SampleMeanStatistic.from_values(post[mask])
        assert isinstance(plain, SampleMeanStatistic)
        assert plain.n == expected.n
        assert math.isclose(plain.mean, expected.mean, rel_tol=1e-12)
        assert math.isclose(plain.variance, expected.variance, rel_tol=1e-9)
        cuped = arm_statistic(METRIC, sums[variant].metrics[METRIC], cuped=True)
        reference = RegressionAdjustedStatistic.from_values(post[mask], x[mask])
        assert isinstance(cuped, RegressionAdjustedStatistic)
        assert math.isclose(cuped.pre.mean, reference.pre.mean, rel_tol=1e-12)
        assert math.isclose(cuped.covariance, reference.covariance, rel_tol=1e-8)
        assert sums[variant].metrics[METRIC].pre_n == int(np.sum(mask & pre_known))
    with db.session() as session:
        results = service.experiment_results(session, experiment.id, as_of)
    # The service's comparison is the pure test of those statistics.
    stats = {
        v: arm_statistic(METRIC, sums[v].metrics[METRIC], cuped=True) for v in ("control", "short")
    }
    primary = next(c for c in results.result.comparisons if c.metric == METRIC)
    assert primary.fixed == welch_ttest(
        stats["control"], stats["short"], experiment.settings.frequentist_config()
    )
    assert primary.cuped and primary.fixed.theta is not None
    assert results.participants == n and results.pending_participants == 0


def _split(n_control: int, n_short: int) -> list[str]:
    return ["control"] * n_control + ["short"] * n_short


def test_a_clear_effect_wins_and_the_end_is_written_once(db: Database) -> None:
    rng = np.random.default_rng(7)
    variants = _split(60, 60)
    post = np.where(np.array(variants) == "short", rng.normal(70, 5, 120), rng.normal(60, 5, 120))
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(guardrail_metrics=()), NOW)
    end = START + 28 * DAY
    populate(db, experiment.id, variants, post, [None] * 120, end)
    with db.session() as session:
        results = service.experiment_results(session, experiment.id, end)
    assert results.result.verdict is Verdict.WINNER and results.result.winner == "short"
    assert [a.assigned for a in results.result.arms] == [60, 60]
    assert results.result.ended and results.result.days_elapsed == 28
    assert "sequential" in results.result.method_description
    with db.session() as session:
        final = service.finalize(session, experiment.id, end)
        assert final is not None
        assert service.finalize(session, experiment.id, end) is None  # written once
        stored = service.load_experiment(session, experiment.id, end)
        winners = service.experiment_winners(session, context=PersonalizationContext.MISSION)
        none = service.experiment_winners(session, context=PersonalizationContext.SESSION)
        mine = service.experiment_winners(session, user_id="u0100")
    assert stored.status is ExperimentStatus.COMPLETED and stored.completed_at == end
    assert stored.final is not None and stored.final.winner == "short"
    assert stored.final.p_value is not None and stored.final.p_value < 0.05
    assert [w.variant_id for w in winners] == ["short"] and none == ()
    assert winners[0].config == {"durationFactor": 0.8} and not winners[0].is_control
    assert winners[0].effect["expected"] == pytest.approx(
        results.result.comparisons[0].decision.expected
    )
    assert mine[0].assigned_variant_id == "short"
    # Recommendations read the winner (issue 19): a control learner is offered the winning
    # change; a learner already in the winning arm is not; nothing before the experiment ended.
    with db.session() as session:
        provider = ExperimentWinnerProvider()
        control = gather_sources(session, _participant("u0000"), end)  # every provider
        treated = provider.provide(session, _participant("u0100"), end)
        early = provider.provide(session, _participant("u0000"), end - DAY)
    (signal,) = control.experiment_winners
    assert signal.experiment_id == experiment.id and signal.winning_variant == "short"
    assert signal.learner_variant == "control" and signal.metric == METRIC
    assert signal.relative_lift == pytest.approx(winners[0].effect["expected"])
    assert signal.ci_low < signal.relative_lift < signal.ci_high and signal.ci_low > 0
    assert early.experiment_winners == ()
    (candidate,) = generate_candidates(control)
    assert candidate.recommendation_type is RecommendationType.EXPERIMENTAL_SUGGESTION
    assert [(s.kind, s.id) for s in candidate.sources] == [(SourceKind.EXPERIMENT, experiment.id)]
    assert generate_candidates(treated) == []


def _participant(uid: str) -> Learner:
    """A participant as the recommendation providers see them (the experiment rows only)."""
    return Learner(uid, "UTC", True, False, None, "default")


def test_sample_ratio_mismatch_withholds_the_verdict(db: Database) -> None:
    """A 60/40 split of 1,000 learners planned 50/50: χ² p ≈ 3e-10 → invalid, and why."""
    rng = np.random.default_rng(3)
    variants = _split(600, 400)
    post = np.where(np.array(variants) == "short", rng.normal(70, 5, 1000), rng.normal(60, 5, 1000))
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(guardrail_metrics=()), NOW)
    end = START + 28 * DAY
    populate(db, experiment.id, variants, post, [None] * 1000, end)
    with db.session() as session:
        results = service.experiment_results(session, experiment.id, end)
    assert results.result.verdict is Verdict.INVALID and results.result.winner is None
    assert results.result.srm.mismatch and results.result.srm.p_value < 1e-9
    assert "sample ratio mismatch" in results.result.reasons[0]


def test_keep_running_before_the_minimums_and_pending_final_metrics(db: Database) -> None:
    rng = np.random.default_rng(5)
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
    populate(db, experiment.id, _split(10, 10), rng.normal(60, 5, 20), [None] * 20, START + 5 * DAY)
    with db.session() as session:
        early = service.experiment_results(session, experiment.id, START + 5 * DAY)
        service.stop_experiment(session, experiment.id, START + 6 * DAY)
        pending = service.experiment_results(session, experiment.id, START + 7 * DAY)
    assert early.result.verdict is Verdict.KEEP_RUNNING
    assert {i.requirement for i in early.result.insufficient} >= {
        "participants in control",
        "days",
    }
    # Stopped, but the metrics are as of day 5: not ended for the analysis yet, and it says so.
    assert not pending.result.ended
    assert any("final metrics" in note for note in pending.notes)
    with db.session() as session:
        service.refresh_metrics(session, experiment.id, START + 7 * DAY)
        final = service.finalize(session, experiment.id, START + 7 * DAY)
    assert final is not None and final.result.verdict is Verdict.INVALID
    assert "ended before its minimums were met" in final.result.reasons[0]
