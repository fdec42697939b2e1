"""One learner's personalization in one call: level, each context's arms and latest decision
(its parameters and why), recent decisions, effectiveness — for the dashboard page and
``twin personalize``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import storage_time
from twin.analysis.personalization.bandit import posterior
from twin.db.models import PersonalizationDecision
from twin.enums import PersonalizationContext
from twin.learners import analysis_learner
from twin.services.personalization.common import arm_rows, stats_of
from twin.services.personalization.effectiveness import EffectivenessView, learner_effectiveness
from twin.services.personalization.preferences import PreferencesView, preferences_view

MAX_DECISIONS = 200


@dataclass(frozen=True)
class ArmView:
    """One stored arm (a ``personalization_configs`` row)."""

    config_id: str
    context: str
    strategy: str
    times_selected: int
    total_reward: float
    avg_reward: float
    posterior_mean: float
    confidence: float
    """Posterior probability that this arm is the learner's best (``confidenceScore``)."""
    is_active: bool
    effectiveness_score: float | None


@dataclass(frozen=True)
class DecisionView:
    """One logged decision."""

    decision_id: str
    context: str
    strategy: str
    propensity: float
    mode: str
    level: str
    decided_at: datetime
    parameters: dict[str, Any]
    reasons: list[str]
    overrides: list[str]
    reward: float | None
    feedback_helpful: bool | None
    feedback_difficulty: str | None
    signals: list[str]


@dataclass(frozen=True)
class ContextView:
    """A context: its switch, its arms, and the latest decision (the config in use and why)."""

    context: str
    enabled: bool
    arms: list[ArmView]
    latest: DecisionView | None


@dataclass(frozen=True)
class Overview:
    """The learner's personalization at a glance."""

    user_id: str
    preferences: PreferencesView
    contexts: list[ContextView]
    decisions: int
    rewarded: int
    effectiveness: EffectivenessView


def arm_views(
    session: Session, user_id: str, context: PersonalizationContext | None = None
) -> list[ArmView]:
    """The learner's arms with their posterior means (uniform prior, each reward one trial)."""
    rows = arm_rows(session, user_id, context)
    stats = {s.arm.value: s for s in stats_of(rows)}
    out = []
    for r in rows:
        s = stats.get(r.strategyVariant)
        mean = posterior(s).mean if s is not None else 0.5
        out.append(
            ArmView(
                config_id=r.id,
                context=r.context.value,
                strategy=r.strategyVariant,
                times_selected=int(r.timesSelected),
                total_reward=float(r.totalReward),
                avg_reward=float(r.avgReward),
                posterior_mean=mean,
                confidence=float(r.confidenceScore),
                is_active=bool(r.isActive),
                effectiveness_score=r.effectivenessScore,
            )
        )
    return out


def learner_arms(
    session: Session, user_id: str, context: PersonalizationContext | None = None
) -> list[ArmView]:
    """The learner's arms (404 unknown learner, 403 without consent to analysis)."""
    analysis_learner(session, user_id)
    return arm_views(session, user_id, context)


def decision_view(d: PersonalizationDecision) -> DecisionView:
    """A stored decision as the API and pages show it."""
    explanation = d.explanation or {}
    return DecisionView(
        decision_id=d.id,
        context=d.context,
        strategy=d.strategyVariant,
        propensity=d.propensity,
        mode=d.mode,
        level=d.personalizationLevel,
        decided_at=d.decidedAt,
        parameters=d.parameters,
        reasons=list(explanation.get("reasons", [])),
        overrides=list(explanation.get("overrides", [])),
        reward=d.reward,
        feedback_helpful=d.feedbackHelpful,
        feedback_difficulty=d.feedbackDifficulty,
        signals=list(d.signals),
    )


def decisions(
    session: Session,
    user_id: str,
    context: PersonalizationContext | None = None,
    limit: int = 50,
    *,
    until: datetime | None = None,
) -> list[DecisionView]:
    """The learner's latest decisions (of one context; taken at or before ``until``), newest first."""
    analysis_learner(session, user_id)
    query = sa.select(PersonalizationDecision).where(PersonalizationDecision.userId == user_id)
    if until is not None:
        query = query.where(PersonalizationDecision.decidedAt <= storage_time(until))
    if context is not None:
        query = query.where(PersonalizationDecision.context == context.value)
    query = query.order_by(
        PersonalizationDecision.decidedAt.desc(), PersonalizationDecision.id.desc()
    ).limit(min(limit, MAX_DECISIONS))
    return [decision_view(d) for d in session.scalars(query)]


def overview(session: Session, user_id: str, now: datetime) -> Overview:
    """Level, arms, latest decision per context, counts and the last 28 days' effectiveness.

    Decisions are those taken at or before ``now`` (an ``asOf`` reads the log as it was).
    """
    analysis_learner(session, user_id)
    at = storage_time(now)
    prefs = preferences_view(session, user_id, now)
    toggles = {
        "MISSION": prefs.mission_enabled,
        "CONTENT": prefs.content_enabled,
        "ASSESSMENT": prefs.assessment_enabled,
        "SESSION": prefs.session_enabled,
    }
    arms = arm_views(session, user_id)
    contexts = []
    for context in PersonalizationContext:
        latest = session.scalars(
            sa.select(PersonalizationDecision)
            .where(
                PersonalizationDecision.userId == user_id,
                PersonalizationDecision.context == context.value,
                PersonalizationDecision.decidedAt <= at,
            )
            .order_by(PersonalizationDecision.decidedAt.desc(), PersonalizationDecision.id.desc())
            .limit(1)
        ).first()
        contexts.append(
            ContextView(
                context=context.value,
                enabled=toggles[context.value],
                arms=[a for a in arms if a.context == context.value],
                latest=None if latest is None else decision_view(latest),
            )
        )
    counts = session.execute(
        sa.text(
            "SELECT count(*), count(reward) FROM personalization_decisions "
            'WHERE "userId" = :u AND "decidedAt" <= :at'
        ),
        {"u": user_id, "at": at},
    ).one()
    return Overview(
        user_id=user_id,
        preferences=prefs,
        contexts=contexts,
        decisions=int(counts[0]),
        rewarded=int(counts[1]),
        effectiveness=learner_effectiveness(session, user_id, now),
    )
