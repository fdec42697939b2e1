"""Outcomes, explicit feedback and implicit signals → the decision's reward → its arm.

An outcome (``POST …/personalization/outcomes``) is what a personalized session or mission
produced: retention (0–1), performance (0–100), completion (0–1), engagement (0–100) and
length. It is stored in ``personalization_outcomes`` (with the decision, the arm and the
level in effect) and, when it names a decision, scored by ENGINE's reward
(:func:`compute_reward`) against the learner's own baseline: the mean retention and
performance of their outcomes of the same context in the 14 days before (every arm; at
least 3 outcomes, else the gains count as neutral). Feedback (``…/personalization/feedback``)
and implicit signals (``…/personalization/signals``: mission skipped, recommendation
dismissed, settings changed back) enter the same decision's reward: it is recomputed from
what is known (the outcome's measures and baseline kept in ``rewardDetail``), and the arm's
``totalReward`` moves by new − old reward (``timesSelected`` grows once, with the decision's
first reward). A decision rewarded after a reset, when its arm is gone, still keeps its
reward for the off-policy log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData, storage_time
from twin.analysis.personalization.bandit import arm_confidences
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.reward import (
    Baseline,
    DifficultyFeedback,
    Feedback,
    ImplicitSignal,
    Outcome,
    compute_reward,
)
from twin.db.models import PersonalizationConfig, PersonalizationDecision, PersonalizationOutcome
from twin.enums import OutcomeType, PersonalizationContext, PersonalizationLevel
from twin.errors import Conflict
from twin.learners import LearnerLock, analysis_learner, lock_learner
from twin.services.personalization.common import (
    arm_rows,
    decision_row,
    invalid,
    invalid_field,
    stats_of,
)

BASELINE_DAYS = 14
"""The learner's recent baseline: outcomes of the same context in the 14 days before."""

OUTCOME_TYPES: dict[PersonalizationContext, OutcomeType] = {
    PersonalizationContext.MISSION: OutcomeType.MISSION_COMPLETED,
    PersonalizationContext.SESSION: OutcomeType.SESSION_COMPLETED,
    PersonalizationContext.ASSESSMENT: OutcomeType.ASSESSMENT_COMPLETED,
    PersonalizationContext.CONTENT: OutcomeType.CONTENT_ENGAGED,
}

_BASELINE_SQL = sa.text(
    """
    SELECT avg("retentionScore") AS retention, avg("performanceScore") AS performance,
           count(*) AS n
    FROM personalization_outcomes
    WHERE "userId" = :u AND context = CAST(:context AS "PersonalizationContext")
      AND timestamp >= :since AND timestamp < :now
    """
)


@dataclass(frozen=True)
class OutcomeIn:
    """One outcome as the platform reports it (None: not measured)."""

    context: PersonalizationContext | None = None
    decision_id: str | None = None
    retention: float | None = None
    performance: float | None = None
    completion: float | None = None
    engagement: float | None = None
    duration_minutes: int | None = None
    content_type: str | None = None
    difficulty_level: str | None = None
    signals: tuple[ImplicitSignal, ...] = ()


@dataclass(frozen=True)
class RewardView:
    """A decision's reward now, and how it was made."""

    decision_id: str
    strategy: str
    context: str
    reward: float | None
    detail: dict[str, Any] | None
    arm_times_selected: int | None
    arm_avg_reward: float | None


@dataclass(frozen=True)
class OutcomeRecorded:
    """What ``POST …/personalization/outcomes`` stored."""

    outcome_id: str
    context: str
    personalization_applied: bool
    personalization_level: str
    reward: RewardView | None


def baseline_at(
    session: Session, user_id: str, context: PersonalizationContext, now: datetime
) -> Baseline:
    """The learner's own recent level in ``context``: the 14 days before ``now``."""
    at = storage_time(now)
    row = session.execute(
        _BASELINE_SQL,
        {
            "u": user_id,
            "context": context.value,
            "since": at - timedelta(days=BASELINE_DAYS),
            "now": at,
        },
    ).one()
    return Baseline(
        None if row.retention is None else float(row.retention),
        None if row.performance is None else float(row.performance),
        int(row.n),
    )


def _baseline_json(b: Baseline) -> dict[str, Any]:
    return {"retention": b.retention, "performance": b.performance, "outcomes": b.outcomes}


def _feedback(d: PersonalizationDecision) -> Feedback:
    return Feedback(
        helpful=d.feedbackHelpful,
        difficulty=None
        if d.feedbackDifficulty is None
        else DifficultyFeedback(d.feedbackDifficulty),
    )


def _rescore(
    session: Session,
    d: PersonalizationDecision,
    now: datetime,
    arms: Sequence[PersonalizationConfig] | None = None,
) -> RewardView:
    """Recompute the decision's reward from what is known and move its arm by the change.

    ``arms``: the learner's arms when the caller has them loaded (saves two statements);
    the caller then refreshes the arms' confidences (:func:`refresh_confidences`) once.
    """
    detail = d.rewardDetail or {}
    measured = detail.get("outcome") or {}
    base = detail.get("baseline")
    baseline = (
        None
        if base is None
        else Baseline(base.get("retention"), base.get("performance"), int(base.get("outcomes", 0)))
    )
    outcome = Outcome(
        retention=measured.get("retention"),
        performance=measured.get("performance"),
        completion=measured.get("completion"),
        feedback=_feedback(d),
        signals=frozenset(ImplicitSignal(s) for s in d.signals),
    )
    result = compute_reward(outcome, baseline)
    arm = None
    if d.configId is not None:
        if arms is None:
            arm = session.get(PersonalizationConfig, d.configId)
        else:
            arm = next((a for a in arms if a.id == d.configId), None)
    if isinstance(result, InsufficientData):
        return _view(d, arm)
    old = d.reward
    new = float(result.reward)
    d.reward = new
    d.rewardDetail = {
        **detail,
        "outcome": measured,
        "baseline": base,
        "reward": result.to_json(),
    }
    d.rewardedAt = storage_time(now)
    if arm is not None and arm.userId == d.userId:
        if old is None:
            arm.timesSelected += 1
            arm.totalReward = float(arm.totalReward) + new
        else:
            arm.totalReward = float(arm.totalReward) + new - old
        arm.totalReward = min(max(0.0, arm.totalReward), float(arm.timesSelected))
        arm.avgReward = arm.totalReward / arm.timesSelected if arm.timesSelected else 0.0
        arm.updatedAt = storage_time(now)
        if arms is None:  # else the caller refreshes once after all its outcomes
            siblings = arm_rows(session, d.userId, PersonalizationContext(d.context))
            refresh_confidences(siblings, d.rewardScale)
    session.flush()
    return _view(d, arm)


def refresh_confidences(siblings: Sequence[PersonalizationConfig], scale: float) -> None:
    """Each arm's ``confidenceScore``: the posterior probability that it is the best."""
    by_arm = {r.strategyVariant: r for r in siblings}
    bounded = min(25.0, max(1.0, float(scale)))
    for a, c in arm_confidences(stats_of(siblings), scale=bounded).items():
        by_arm[a.value].confidenceScore = round(c, 6)


def _view(d: PersonalizationDecision, arm: PersonalizationConfig | None) -> RewardView:
    return RewardView(
        decision_id=d.id,
        strategy=d.strategyVariant,
        context=d.context,
        reward=d.reward,
        detail=d.rewardDetail,
        arm_times_selected=None if arm is None else int(arm.timesSelected),
        arm_avg_reward=None if arm is None else float(arm.avgReward),
    )


def record_outcome(
    session: Session, user_id: str, body: OutcomeIn, now: datetime
) -> OutcomeRecorded:
    """Store one outcome; with a decision, its reward and its arm follow."""
    analysis_learner(session, user_id)
    try:
        Outcome(retention=body.retention, performance=body.performance, completion=body.completion)
    except InvalidParameter as exc:
        raise invalid(exc) from None
    lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
    decision = None
    if body.decision_id is not None:
        decision = decision_row(session, user_id, body.decision_id)
        if decision.outcomeId is not None:
            raise Conflict(
                f"decisionId: decision {decision.id!r} already has its outcome "
                f"({decision.outcomeId}); send feedback with POST …/personalization/feedback",
                details={"field": "decisionId", "outcomeId": decision.outcomeId},
            )
        if body.context is not None and body.context.value != decision.context:
            raise invalid_field(
                "context", f"decision {decision.id!r} is a {decision.context} decision"
            )
        context = PersonalizationContext(decision.context)
    elif body.context is None:
        raise invalid_field("context", "give the context, or the decisionId of the decision")
    else:
        context = body.context
    if decision is not None:
        for s in body.signals:
            if s.value in decision.signals:
                raise Conflict(
                    f"signals: {s.value} is already recorded for decision {decision.id!r}",
                    details={"field": "signals", "signal": s.value},
                )
    return store_outcome(session, user_id, context, decision, body, now, now)


def store_outcome(
    session: Session,
    user_id: str,
    context: PersonalizationContext,
    decision: PersonalizationDecision | None,
    body: OutcomeIn,
    at: datetime,
    now: datetime,
    *,
    outcome_id: str | None = None,
    source: dict[str, Any] | None = None,
    arms: Sequence[PersonalizationConfig] | None = None,
) -> OutcomeRecorded:
    """Write one checked outcome that happened at ``at``; with a decision, reward it and its arm.

    The caller holds the learner's PERSONALIZATION lock and has checked the decision (the
    learner's, without an outcome). ``source`` (derived outcomes: the session or mission it
    was read from) is kept in the decision's ``rewardDetail``.
    """
    baseline = baseline_at(session, user_id, context, at)
    level = (
        decision.personalizationLevel if decision is not None else PersonalizationLevel.NONE.value
    )
    row = PersonalizationOutcome(
        userId=user_id,
        configId=None if decision is None else decision.configId,
        outcomeType=OUTCOME_TYPES[context],
        context=context,
        timestamp=storage_time(at),
        retentionScore=body.retention,
        performanceScore=body.performance,
        completionRate=body.completion,
        engagementScore=body.engagement,
        sessionDuration=body.duration_minutes,
        contentType=body.content_type,
        difficultyLevel=body.difficulty_level,
        personalizationApplied=decision is not None,
        strategyVariant=None if decision is None else decision.strategyVariant,
        decisionId=None if decision is None else decision.id,
        personalizationLevel=level,
    )
    if outcome_id is not None:
        row.id = outcome_id
    session.add(row)
    session.flush()
    reward = None
    if decision is not None:
        decision.outcomeId = row.id
        decision.signals = sorted({*decision.signals, *(s.value for s in body.signals)})
        decision.rewardDetail = {
            **(decision.rewardDetail or {}),
            "outcome": {
                "retention": body.retention,
                "performance": body.performance,
                "completion": body.completion,
            },
            "baseline": _baseline_json(baseline),
            **({} if source is None else {"source": source}),
        }
        reward = _rescore(session, decision, now, arms)
    return OutcomeRecorded(row.id, context.value, decision is not None, level, reward)


def record_feedback(
    session: Session,
    user_id: str,
    decision_id: str | None,
    helpful: bool | None,
    difficulty: DifficultyFeedback | None,
    comment: str | None,
    now: datetime,
) -> RewardView:
    """Explicit feedback on a decision (the latest when None): once per decision (else 409)."""
    analysis_learner(session, user_id)
    if helpful is None and difficulty is None:
        raise invalid_field("helpful", "give helpful, difficulty or both")
    lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
    d = decision_row(session, user_id, decision_id)
    if d.feedbackAt is not None:
        raise Conflict(
            f"decisionId: decision {d.id!r} already has feedback (given {d.feedbackAt:%Y-%m-%d})",
            details={"field": "decisionId", "decisionId": d.id},
        )
    d.feedbackHelpful = helpful
    d.feedbackDifficulty = None if difficulty is None else difficulty.value
    d.feedbackComment = comment
    d.feedbackAt = storage_time(now)
    return _rescore(session, d, now)


def record_signal(
    session: Session,
    user_id: str,
    decision_id: str | None,
    signal: ImplicitSignal,
    now: datetime,
    *,
    take_lock: bool = True,
) -> RewardView:
    """An implicit signal on a decision (the latest when None); the same signal twice is 409."""
    if take_lock:
        analysis_learner(session, user_id)
        lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
    d = decision_row(session, user_id, decision_id)
    if signal.value in d.signals:
        raise Conflict(
            f"signal: {signal.value} is already recorded for decision {d.id!r}",
            details={"field": "signal", "decisionId": d.id},
        )
    d.signals = sorted({*d.signals, signal.value})
    return _rescore(session, d, now)
