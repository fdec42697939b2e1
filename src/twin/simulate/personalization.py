"""A learner with a hidden response to each strategy, driven through the personalization services.

The learner's outcomes in one context (default MISSION) come from a hidden effect per
arm: an arm with effect ``e`` raises expected retention by ``0.5·e``, performance by
``50·e`` points and each of three objectives' completion chance by ``0.5·e`` (the
benchmark's model, ``benchmarks/personalization_quality.py``). First ``baseline_weeks`` of
engine defaults (outcomes without a decision), then ``weeks`` personalized: each session
asks ``personalization:apply``'s service for a decision, the simulated outcome of the
chosen arm is recorded against it, and the reward moves the arm. Feedback on 15% of
sessions (helpful with probability 0.5 + 2·e). Everything goes through the services and
the database, exactly as requests would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from twin.analysis.personalization.strategy import StrategyArm
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services.personalization import outcomes
from twin.services.personalization.decisions import apply_personalization

SESSIONS_PER_WEEK = 4
BASE_RETENTION = 0.6
RETENTION_SD = 0.08
BASE_PERFORMANCE = 60.0
PERFORMANCE_SD = 10.0
BASE_COMPLETION = 0.6
OBJECTIVES = 3
FEEDBACK_SHARE = 0.15
RETENTION_PER_EFFECT = 0.5
PERFORMANCE_PER_EFFECT = 50.0
COMPLETION_PER_EFFECT = 0.5
HELPFUL_PER_EFFECT = 2.0

DEFAULT_EFFECTS: dict[StrategyArm, float] = {
    StrategyArm.PATTERN_HEAVY: 0.2,
    StrategyArm.PREDICTION_HEAVY: 0.05,
    StrategyArm.BALANCED: 0.08,
    StrategyArm.CONSERVATIVE: 0.0,
}
"""A learner for whom pattern-heavy personalization works best."""


@dataclass(frozen=True)
class SimulatedRun:
    """What the run did."""

    baseline_outcomes: int
    decisions: int
    chosen: dict[str, int]
    start: datetime
    personalized_from: datetime
    end: datetime


def _outcome(rng: np.random.Generator, effect: float) -> tuple[float, float, float]:
    retention = float(
        np.clip(rng.normal(BASE_RETENTION + RETENTION_PER_EFFECT * effect, RETENTION_SD), 0, 1)
    )
    performance = float(
        np.clip(
            rng.normal(BASE_PERFORMANCE + PERFORMANCE_PER_EFFECT * effect, PERFORMANCE_SD), 0, 100
        )
    )
    p = min(1.0, BASE_COMPLETION + COMPLETION_PER_EFFECT * effect)
    completion = float(rng.binomial(OBJECTIVES, p)) / OBJECTIVES
    return retention, performance, completion


def simulate_personalized_weeks(
    db: Database,
    user_id: str,
    end: datetime,
    rng: np.random.Generator,
    *,
    effects: Mapping[StrategyArm, float] = DEFAULT_EFFECTS,
    context: PersonalizationContext = PersonalizationContext.MISSION,
    baseline_weeks: int = 4,
    weeks: int = 8,
) -> SimulatedRun:
    """Baseline weeks, then personalized weeks ending at ``end``; one transaction per session."""
    start = end - timedelta(weeks=baseline_weeks + weeks)
    step = timedelta(days=7) / SESSIONS_PER_WEEK
    at = start
    baseline = 0
    for _ in range(baseline_weeks * SESSIONS_PER_WEEK):
        retention, performance, completion = _outcome(rng, 0.0)
        with db.session() as session:
            outcomes.record_outcome(
                session,
                user_id,
                outcomes.OutcomeIn(
                    context=context,
                    retention=retention,
                    performance=performance,
                    completion=completion,
                ),
                at,
            )
        baseline += 1
        at += step
    personalized_from = at
    chosen: dict[str, int] = {a.value: 0 for a in StrategyArm}
    decisions = 0
    for _ in range(weeks * SESSIONS_PER_WEEK):
        with db.session() as session:
            applied = apply_personalization(session, user_id, context, None, at, rng)
            if applied.decision_id is None or applied.strategy is None:
                at += step
                continue
            effect = effects.get(StrategyArm(applied.strategy), 0.0)
            retention, performance, completion = _outcome(rng, effect)
            done = at + timedelta(minutes=50)
            outcomes.record_outcome(
                session,
                user_id,
                outcomes.OutcomeIn(
                    decision_id=applied.decision_id,
                    retention=retention,
                    performance=performance,
                    completion=completion,
                ),
                done,
            )
            if rng.random() < FEEDBACK_SHARE:
                helpful = bool(rng.random() < min(1.0, 0.5 + HELPFUL_PER_EFFECT * effect))
                outcomes.record_feedback(
                    session, user_id, applied.decision_id, helpful, None, None, done
                )
        chosen[applied.strategy] += 1
        decisions += 1
        at += step
    return SimulatedRun(baseline, decisions, chosen, start, personalized_from, at)
