"""The adapter from simulated rows to the analyses' value objects, and the truth check script."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from benchmarks.simulator_truth_check import TARGETS, evaluate_learner, summarise
from twin.analysis.cognitive.burnout import assess_burnout_risk
from twin.analysis.patterns.profile import analyze_learner
from twin.simulate.generate import DEFAULT_START, LearnerData, generate_cohort_learner
from twin.simulate.truth_adapter import (
    adapt_learner,
    mission_days,
    session_loads,
)

SEED = 31
WEEKS = 12


@pytest.fixture(scope="module")
def learner() -> LearnerData:
    """One simulated learner over twelve weeks."""
    return generate_cohort_learner(SEED, 2, DEFAULT_START, WEEKS)


def test_sessions_and_reviews_map_one_to_one(learner: LearnerData) -> None:
    """One SessionObs per study session, local start hours as the events say, repeat reviews only."""
    adapted = adapt_learner(learner)
    data = adapted.patterns_input
    assert len(data.sessions) == len(learner.table("study_sessions"))
    ev = learner.table("behavioral_events")
    start_hour = {
        json.loads(p)["sessionId"]: h
        for p, k, h in zip(
            ev.column("eventData"),
            ev.column("eventType"),
            np.asarray(ev.column("timeOfDay")).tolist(),
            strict=True,
        )
        if k == "SESSION_STARTED"
    }
    zone = ZoneInfo(learner.truth["timezone"])
    for s in data.sessions:
        assert s.started_at.tzinfo is not None
        assert s.started_at.utcoffset() == s.started_at.astimezone(zone).utcoffset()
        assert s.hour == start_hour[s.session_id]
        assert 0 <= s.performance <= 100
    n_reviews = len(learner.table("reviews"))
    n_cards = len(set(learner.table("reviews").column("cardId")))
    assert data.review_count == n_reviews
    assert len(data.reviews) == n_reviews - n_cards  # every review but each card's first
    assert sum(len(s.reviews) for s in data.sessions) == n_reviews
    assert {c.content_type for c in data.content} <= {
        "lecture",
        "flashcard",
        "validation",
        "clinical_reasoning",
    }
    assert sum(c.items for c in data.content) == len(data.sessions)


def test_load_inputs_use_a_running_baseline(learner: LearnerData) -> None:
    """The latency baseline exists only after three sessions with reviews, from earlier ones only."""
    adapted = adapt_learner(learner)
    inputs = adapted.load_inputs(45.0)
    assert len(inputs) == len(adapted.sessions)
    with_reviews = [i for i, x in enumerate(inputs) if x.latencies_ms]
    assert inputs[with_reviews[0]].baseline_latency_ms is None
    assert inputs[with_reviews[3]].baseline_latency_ms is not None
    assert all(x.optimal_session_minutes == 45.0 for x in inputs)


def test_daily_aggregates_count_missions_and_minutes(learner: LearnerData) -> None:
    """Per local day: study minutes add up, missions are planned / done / skipped as stored."""
    adapted = adapt_learner(learner)
    loads = session_loads(adapted, None)
    missions = mission_days(learner, adapted.timezone)
    days = adapted.daily_aggregates(loads, missions)
    total = sum(d.study_minutes for d in days)
    assert total == pytest.approx(sum(s.duration_minutes for s in adapted.sessions))
    status = [m for _d, m in missions if m != "PENDING"]
    assert sum(d.sessions_planned for d in days) == len(status)
    assert sum(d.sessions_skipped for d in days) == status.count("SKIPPED")
    assert len({d.day for d in days}) == len(days)
    result = assess_burnout_risk(
        days, DEFAULT_START + timedelta(days=30), history_start=DEFAULT_START
    )
    assert 0 <= result.risk_score <= 100


def test_analyses_run_on_adapted_data(learner: LearnerData) -> None:
    """analyze_learner accepts the adapted data and has enough of it for a full analysis."""
    analysis = analyze_learner(adapt_learner(learner).patterns_input)
    assert analysis.sufficiency.sufficient
    assert analysis.forgetting.fitted
    assert analysis.duration.detected


def test_truth_check_evaluates_and_summarises() -> None:
    """The truth check's per-learner evaluation and summary produce every reported measure."""
    outcomes = [evaluate_learner(SEED, i, WEEKS, DEFAULT_START) for i in range(3)]
    summary = summarise(outcomes)
    for key, _label, _target in TARGETS:
        assert key in summary
    assert summary["load_spearman"]["n"] == sum(o.sessions for o in outcomes)
    assert summary["accuracy"]["value"] is not None
