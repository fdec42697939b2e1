"""The learner's personalization switches: read, change, reset.

Reading and changing them needs no consent to analysis (they are the learner's settings,
not an analysis); a reset (``lastResetAt``) puts every switch back to its default and
clears the learner's arms (their statistics and stored effectiveness go with them, by the
seed's cascade) — the decision log stays, for off-line evaluation. Lowering the level, or
switching a context off, within 24 hours of a decision the bandit made there is the
implicit signal "settings changed back" on that decision (ENGINE 5.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.preferences import (
    CONTEXT_FEATURES,
    DEFAULT_PREFERENCES,
    LEVEL_RANK,
    MIN_CONFIDENCE_BY_LEVEL,
    PersonalizationFeature,
    level_features,
    parse_features,
)
from twin.analysis.personalization.reward import ImplicitSignal
from twin.db.models import PersonalizationConfig, PersonalizationDecision
from twin.enums import PersonalizationContext, PersonalizationLevel
from twin.learners import LearnerLock, get_learner, lock_learner
from twin.services.personalization.common import (
    CONTEXT_TOGGLES,
    ensure_preferences_row,
    invalid,
    preferences_of,
    preferences_row,
)
from twin.services.personalization.outcomes import record_signal

CHANGED_BACK_WITHIN = timedelta(hours=24)
"""A setting lowered this soon after a decision says the decision was not wanted."""

LEVEL_MEANINGS: dict[PersonalizationLevel, str] = {
    PersonalizationLevel.NONE: "engine defaults; nothing is personalized",
    PersonalizationLevel.LOW: "timing and duration only, from evidence with confidence ≥ 0.85",
    PersonalizationLevel.MEDIUM: "+ content and assessment, from evidence with confidence ≥ 0.7",
    PersonalizationLevel.HIGH: "+ automatic load adjustment, from evidence with confidence ≥ 0.6",
}


@dataclass(frozen=True)
class PreferencesView:
    """The learner's switches and what they mean now."""

    user_id: str
    level: str
    level_meaning: str
    min_confidence: float | None
    features: list[str]
    """What the level allows, less what the learner switched off."""
    mission_enabled: bool
    content_enabled: bool
    assessment_enabled: bool
    session_enabled: bool
    disabled_features: list[str]
    auto_adapt: bool
    paused_until: datetime | None
    paused: bool
    last_reset_at: datetime | None
    stored: bool
    """False: nothing chosen yet (these are the defaults)."""


@dataclass(frozen=True)
class PreferencesChange:
    """A PATCH: only the fields given change (``paused_until`` None with ``clear_pause``)."""

    level: PersonalizationLevel | None = None
    mission_enabled: bool | None = None
    content_enabled: bool | None = None
    assessment_enabled: bool | None = None
    session_enabled: bool | None = None
    disabled_features: tuple[str, ...] | None = None
    auto_adapt: bool | None = None
    paused_until: datetime | None = None
    clear_pause: bool = False


@dataclass(frozen=True)
class ResetResult:
    """What a reset did."""

    preferences: PreferencesView
    arms_cleared: int


def preferences_view(session: Session, user_id: str, now: datetime) -> PreferencesView:
    """The learner's preferences (404 for an unknown learner; no consent needed)."""
    get_learner(session, user_id)
    row = preferences_row(session, user_id)
    p = preferences_of(row)
    paused = p.paused_until is not None and aware_utc(now) < p.paused_until
    features = sorted(f.value for f in level_features(p.level) - p.disabled_features)
    return PreferencesView(
        user_id=user_id,
        level=p.level.value,
        level_meaning=LEVEL_MEANINGS[p.level],
        min_confidence=MIN_CONFIDENCE_BY_LEVEL.get(p.level),
        features=features,
        mission_enabled=p.mission_enabled,
        content_enabled=p.content_enabled,
        assessment_enabled=p.assessment_enabled,
        session_enabled=p.session_enabled,
        disabled_features=sorted(f.value for f in p.disabled_features),
        auto_adapt=p.auto_adapt,
        paused_until=p.paused_until,
        paused=paused,
        last_reset_at=None if row is None or row.lastResetAt is None else row.lastResetAt,
        stored=row is not None,
    )


def _changed_back(
    session: Session,
    user_id: str,
    contexts: set[PersonalizationContext],
    now: datetime,
) -> None:
    """Mark the latest recent decision of each context as "settings changed back"."""
    since = storage_time(now - CHANGED_BACK_WITHIN)
    for context in sorted(contexts, key=lambda c: c.value):
        d = session.scalars(
            sa.select(PersonalizationDecision)
            .where(
                PersonalizationDecision.userId == user_id,
                PersonalizationDecision.context == context.value,
                PersonalizationDecision.decidedAt >= since,
            )
            .order_by(PersonalizationDecision.decidedAt.desc(), PersonalizationDecision.id.desc())
            .limit(1)
        ).first()
        if d is not None and ImplicitSignal.SETTINGS_CHANGED_BACK.value not in d.signals:
            record_signal(
                session, user_id, d.id, ImplicitSignal.SETTINGS_CHANGED_BACK, now, take_lock=False
            )


def update_preferences(
    session: Session, user_id: str, change: PreferencesChange, now: datetime
) -> PreferencesView:
    """Apply a PATCH (bad feature names → 422 naming disabledFeatures, nothing written)."""
    get_learner(session, user_id)
    features = None
    if change.disabled_features is not None:
        try:
            features = parse_features("disabledFeatures", change.disabled_features)
        except InvalidParameter as exc:
            raise invalid(exc) from None
    lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
    row = ensure_preferences_row(session, user_id, now)
    before = preferences_of(row)
    if change.level is not None:
        row.personalizationLevel = change.level
    for context, column in CONTEXT_TOGGLES.items():
        value = getattr(change, f"{context.value.lower()}_enabled")
        if value is not None:
            setattr(row, column, value)
    if features is not None:
        row.disabledFeatures = sorted(f.value for f in features)
    if change.auto_adapt is not None:
        row.autoAdaptEnabled = change.auto_adapt
    if change.clear_pause:
        row.pausedUntil = None
    elif change.paused_until is not None:
        row.pausedUntil = storage_time(change.paused_until)
    row.updatedAt = storage_time(now)
    session.flush()
    after = preferences_of(row)
    lowered: set[PersonalizationContext] = set()
    if LEVEL_RANK[after.level] < LEVEL_RANK[before.level]:
        lowered |= set(PersonalizationContext)
    for context in PersonalizationContext:
        if before.context_enabled(context) and not after.context_enabled(context):
            lowered.add(context)
    newly_off = after.disabled_features - before.disabled_features
    if newly_off:
        lowered |= {c for c in PersonalizationContext if _context_uses(c, newly_off)}
    if lowered:
        _changed_back(session, user_id, lowered, now)
    return preferences_view(session, user_id, now)


def _context_uses(
    context: PersonalizationContext, features: frozenset[PersonalizationFeature]
) -> bool:
    """Whether ``context``'s answer contains one of ``features``."""
    return bool(CONTEXT_FEATURES[context] & features)


def reset_preferences(session: Session, user_id: str, now: datetime) -> ResetResult:
    """Every switch back to its default, ``lastResetAt`` = now, the learner's arms cleared."""
    get_learner(session, user_id)
    lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
    row = ensure_preferences_row(session, user_id, now)
    d = DEFAULT_PREFERENCES
    row.personalizationLevel = d.level
    for column in CONTEXT_TOGGLES.values():
        setattr(row, column, True)
    row.disabledFeatures = []
    row.autoAdaptEnabled = d.auto_adapt
    row.pausedUntil = None
    row.lastResetAt = storage_time(now)
    row.updatedAt = storage_time(now)
    result = session.execute(
        sa.delete(PersonalizationConfig).where(PersonalizationConfig.userId == user_id)
    )
    session.flush()
    cleared = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return ResetResult(preferences_view(session, user_id, now), cleared)
