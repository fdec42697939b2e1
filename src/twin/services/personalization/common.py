"""Rows ↔ value objects: the learner's preferences and arms; bad input as a 422 naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.personalization.bandit import ArmStats
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.preferences import (
    DEFAULT_PREFERENCES,
    PersonalizationFeature,
    Preferences,
)
from twin.analysis.personalization.strategy import ARMS, StrategyArm
from twin.db.models import (
    PersonalizationConfig,
    PersonalizationDecision,
    PersonalizationPreferences,
)
from twin.enums import PersonalizationContext
from twin.errors import NotFound, ValidationFailed

CONTEXT_TOGGLES: dict[PersonalizationContext, str] = {
    PersonalizationContext.MISSION: "missionPersonalizationEnabled",
    PersonalizationContext.CONTENT: "contentPersonalizationEnabled",
    PersonalizationContext.ASSESSMENT: "assessmentPersonalizationEnabled",
    PersonalizationContext.SESSION: "sessionPersonalizationEnabled",
}
"""The ``personalization_preferences`` toggle of each context."""


def invalid(exc: InvalidParameter) -> ValidationFailed:
    """The 422 of an analysis's InvalidParameter, naming its field."""
    return ValidationFailed(
        f"{exc.field}: {exc.reason}",
        details=[{"index": None, "field": exc.field, "reason": exc.reason}],
    )


def invalid_field(field: str, reason: str) -> ValidationFailed:
    """A 422 naming ``field``."""
    return ValidationFailed(
        f"{field}: {reason}", details=[{"index": None, "field": field, "reason": reason}]
    )


def preferences_row(session: Session, user_id: str) -> PersonalizationPreferences | None:
    """The learner's stored preferences (None before the first change or decision)."""
    return session.scalars(
        sa.select(PersonalizationPreferences).where(PersonalizationPreferences.userId == user_id)
    ).first()


def ensure_preferences_row(
    session: Session, user_id: str, now: datetime
) -> PersonalizationPreferences:
    """The learner's preferences row, created with the defaults when missing."""
    row = preferences_row(session, user_id)
    if row is None:
        at = storage_time(now)
        row = PersonalizationPreferences(
            userId=user_id,
            personalizationLevel=DEFAULT_PREFERENCES.level,
            disabledFeatures=[],
            createdAt=at,
            updatedAt=at,
        )
        session.add(row)
        session.flush()
    return row


def preferences_of(row: PersonalizationPreferences | None) -> Preferences:
    """The value object of a stored row (the defaults without one)."""
    if row is None:
        return DEFAULT_PREFERENCES
    features = frozenset(
        PersonalizationFeature(f)
        for f in row.disabledFeatures
        if f in PersonalizationFeature.__members__
    )
    return Preferences(
        level=row.personalizationLevel,
        mission_enabled=row.missionPersonalizationEnabled,
        content_enabled=row.contentPersonalizationEnabled,
        assessment_enabled=row.assessmentPersonalizationEnabled,
        session_enabled=row.sessionPersonalizationEnabled,
        disabled_features=features,
        auto_adapt=row.autoAdaptEnabled,
        paused_until=None if row.pausedUntil is None else aware_utc(row.pausedUntil),
    )


def arm_rows(
    session: Session, user_id: str, context: PersonalizationContext | None = None
) -> list[PersonalizationConfig]:
    """The learner's arms (of one context), in context then arm order."""
    query = sa.select(PersonalizationConfig).where(PersonalizationConfig.userId == user_id)
    if context is not None:
        query = query.where(PersonalizationConfig.context == context)
    rows = list(session.scalars(query))
    order = {a.value: i for i, a in enumerate(ARMS)}
    ctx_order = {c: i for i, c in enumerate(PersonalizationContext)}
    return sorted(rows, key=lambda r: (ctx_order[r.context], order.get(r.strategyVariant, 99)))


def ensure_arms(
    session: Session,
    user_id: str,
    context: PersonalizationContext,
    preferences: PersonalizationPreferences,
    now: datetime,
) -> list[PersonalizationConfig]:
    """The four arms of ``context`` (created fresh when missing), in arm order."""
    rows = {r.strategyVariant: r for r in arm_rows(session, user_id, context)}
    at = storage_time(now)
    for arm in ARMS:
        if arm.value not in rows:
            row = PersonalizationConfig(
                userId=user_id,
                preferencesId=preferences.id,
                context=context,
                strategyVariant=arm.value,
                confidenceScore=1.0 / len(ARMS),
                timesSelected=0,
                totalReward=0.0,
                avgReward=0.0,
                isActive=True,
                activatedAt=at,
                createdAt=at,
                updatedAt=at,
            )
            session.add(row)
            rows[arm.value] = row
    session.flush()
    return [rows[a.value] for a in ARMS]


def stats_of(rows: Sequence[PersonalizationConfig]) -> tuple[ArmStats, ...]:
    """The bandit's statistics of stored arms."""
    return tuple(
        ArmStats(
            StrategyArm(r.strategyVariant),
            int(r.timesSelected),
            min(float(r.totalReward), float(r.timesSelected)),
            bool(r.isActive),
        )
        for r in rows
        if r.strategyVariant in StrategyArm.__members__
    )


def decision_row(
    session: Session, user_id: str, decision_id: str | None
) -> PersonalizationDecision:
    """The learner's decision ``decision_id`` (their latest when None); 404 naming decisionId."""
    query = sa.select(PersonalizationDecision).where(PersonalizationDecision.userId == user_id)
    if decision_id is None:
        row = session.scalars(
            query.order_by(
                PersonalizationDecision.decidedAt.desc(), PersonalizationDecision.id.desc()
            ).limit(1)
        ).first()
        if row is None:
            raise NotFound(
                f"learner {user_id!r} has no personalization decision yet: call "
                f"POST /v1/users/{user_id}/personalization:apply first",
                details={"field": "decisionId"},
            )
        return row
    row = session.scalars(query.where(PersonalizationDecision.id == decision_id)).first()
    if row is None:
        raise NotFound(
            f"decisionId: no personalization decision {decision_id!r} of learner {user_id!r}",
            details={"field": "decisionId", "decisionId": decision_id},
        )
    return row
