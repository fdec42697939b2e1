"""Reading a learner's patterns, insights, profile and study-time heatmap; deleting them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.patterns.forgetting import (
    BASELINE_DECAY_PER_DAY,
    BASELINE_R0,
    CurvePoints,
    forgetting_curve_points,
)
from twin.analysis.patterns.study_time import StudyTimeResult, analyze_study_time
from twin.analysis.patterns.sufficiency import Sufficiency
from twin.db.models import (
    BehavioralInsight,
    BehavioralPattern,
    InsightPattern,
    User,
    UserLearningProfile,
)
from twin.enums import BehavioralPatternType
from twin.errors import NotFound
from twin.services.patterns.loading import REPEAT_REVIEWS_SQL, data_counts, load_sessions

DEFAULT_HEATMAP_WEEKS = 6


# --- reads -------------------------------------------------------------------------------------


def list_patterns(
    session: Session,
    user_id: str,
    *,
    pattern_type: str | None = None,
    min_confidence: float = 0.6,
    limit: int = 20,
) -> list[BehavioralPattern]:
    """The learner's patterns, most confident first, then most recently seen."""
    query = sa.select(BehavioralPattern).where(
        BehavioralPattern.userId == user_id, BehavioralPattern.confidence >= min_confidence
    )
    if pattern_type is not None:
        query = query.where(BehavioralPattern.patternType == BehavioralPatternType(pattern_type))
    query = query.order_by(
        BehavioralPattern.confidence.desc(),
        BehavioralPattern.lastSeenAt.desc(),
        BehavioralPattern.id,
    ).limit(limit)
    return list(session.scalars(query))


def open_insights(
    session: Session, user_id: str, *, with_patterns: bool = True
) -> list[tuple[BehavioralInsight, list[BehavioralPattern]]]:
    """Unacknowledged insights, newest and most confident first, each with its patterns
    (none read, each list empty, when ``with_patterns`` is false)."""
    insights = list(
        session.scalars(
            sa.select(BehavioralInsight)
            .where(BehavioralInsight.userId == user_id, BehavioralInsight.acknowledgedAt.is_(None))
            .order_by(
                BehavioralInsight.createdAt.desc(),
                BehavioralInsight.confidence.desc(),
                BehavioralInsight.id,
            )
        )
    )
    links: dict[str, list[BehavioralPattern]] = {i.id: [] for i in insights}
    if insights and with_patterns:
        rows = session.execute(
            sa.select(InsightPattern.insightId, BehavioralPattern)
            .join(BehavioralPattern, BehavioralPattern.id == InsightPattern.patternId)
            .where(InsightPattern.insightId.in_(list(links)))
            .order_by(BehavioralPattern.confidence.desc(), BehavioralPattern.id)
        ).all()
        for insight_id, pattern in rows:
            links[insight_id].append(pattern)
    return [(i, links[i.id]) for i in insights]


def insight_patterns(session: Session, insight_id: str) -> list[BehavioralPattern]:
    """The patterns linked to one insight."""
    return list(
        session.scalars(
            sa.select(BehavioralPattern)
            .join(InsightPattern, InsightPattern.patternId == BehavioralPattern.id)
            .where(InsightPattern.insightId == insight_id)
            .order_by(BehavioralPattern.confidence.desc(), BehavioralPattern.id)
        )
    )


def acknowledge_insight(
    session: Session, user_id: str, insight_id: str, *, applied: bool | None, now: datetime
) -> BehavioralInsight:
    """Mark the insight seen (and applied, if said); a second call only updates ``applied``."""
    insight = session.scalar(
        sa.select(BehavioralInsight).where(
            BehavioralInsight.id == insight_id, BehavioralInsight.userId == user_id
        )
    )
    if insight is None:
        raise NotFound(f"learner {user_id!r} has no insight {insight_id!r}")
    if insight.acknowledgedAt is None:
        insight.acknowledgedAt = storage_time(now)
    if applied is not None:
        insight.applied = applied
    session.flush()
    return insight


ProfileStatus = Literal["analyzed", "not_analyzed", "insufficient_data"]


@dataclass(frozen=True)
class ProfileView:
    """The stored profile (None before the first full analysis) and the data sufficiency now."""

    profile: UserLearningProfile | None
    sufficiency: Sufficiency
    status: ProfileStatus


def learning_profile(session: Session, user_id: str, now: datetime) -> ProfileView:
    """The learner's profile, or why there is none yet (progress towards each minimum)."""
    now = aware_utc(now)
    profile = session.scalar(
        sa.select(UserLearningProfile).where(UserLearningProfile.userId == user_id)
    )
    suff = data_counts(session, user_id, now).sufficiency(now, requested=False, forced=False)
    status: ProfileStatus
    if profile is not None:
        status = "analyzed"
    elif suff.sufficient:
        status = "not_analyzed"
    else:
        status = "insufficient_data"
    return ProfileView(profile=profile, sufficiency=suff, status=status)


@dataclass(frozen=True)
class HeatmapView:
    """Weekday × local-hour performance over the last ``weeks`` weeks, with optimal windows."""

    weeks: int
    since: datetime
    until: datetime
    timezone: str
    sessions: int
    study_time: StudyTimeResult


def study_time_heatmap(session: Session, user: User, now: datetime, weeks: int) -> HeatmapView:
    """The 7 × 24 grid (mean performance, session count) and the optimal hours of the window."""
    now = aware_utc(now)
    since = now - timedelta(weeks=weeks)
    # Only the sessions: the grid needs none of a full analysis' repeat reviews, content
    # fallback or sufficiency counts (the same sessions, so the same answer, in one query).
    loaded = load_sessions(session, user, now, since=since)
    result = analyze_study_time(loaded.sessions)
    return HeatmapView(
        weeks=weeks,
        since=since,
        until=now,
        timezone=user.timezone,
        sessions=len(loaded.sessions),
        study_time=result,
    )


def forgetting_points(
    session: Session,
    user_id: str,
    now: datetime,
    *,
    r0: float = BASELINE_R0,
    decay_per_day: float = BASELINE_DECAY_PER_DAY,
    level_spread: float = 0.0,
) -> CurvePoints:
    """The learner's observed recall per interval (all repeat reviews before ``now``) beside the
    curve ``R0, k, σ`` (their fitted one from the profile; the typical one by default)."""
    params = {"u": user_id, "now": storage_time(now), "since": datetime(1900, 1, 1)}
    rows = session.execute(REPEAT_REVIEWS_SQL, params).all()
    return forgetting_curve_points(
        [max(0.0, float(r.elapsed_days)) for r in rows],
        [bool(r.recalled) for r in rows],
        r0,
        decay_per_day,
        level_spread,
    )


def delete_patterns(session: Session, user_id: str) -> dict[str, int]:
    """Delete the learner's patterns, insights (with their links) and profile; raw inputs stay."""
    counts = {}
    for table in ("behavioral_insights", "behavioral_patterns", "user_learning_profiles"):
        result = session.execute(
            sa.text(f'DELETE FROM "{table}" WHERE "userId" = :u'), {"u": user_id}
        )
        counts[table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
