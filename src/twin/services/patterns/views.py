"""Reading a learner's patterns, insights, profile and study-time heatmap; deleting them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.patterns.forgetting import (
    BASELINE_DECAY_PER_DAY,
    BASELINE_R0,
    CurvePoints,
    forgetting_curve_points,
)
from twin.analysis.patterns.study_time import (
    HOURS_PER_DAY,
    WEEKDAY_LABELS,
    OptimalHour,
    StudyTimeResult,
    analyze_study_time,
)
from twin.analysis.patterns.sufficiency import Sufficiency
from twin.db.models import (
    BehavioralInsight,
    BehavioralPattern,
    InsightPattern,
    User,
    UserLearningProfile,
)
from twin.enums import BehavioralPatternType, InsightType
from twin.errors import NotFound
from twin.services.learners import get_user
from twin.services.patterns.loading import (
    REPEAT_REVIEWS_SQL,
    data_counts,
    load_sessions,
)
from twin.services.patterns.writing import PATTERN_DATA_KEY, PATTERN_DATA_MISSES, pattern_key

DEFAULT_HEATMAP_WEEKS = 6


@dataclass(frozen=True)
class PatternView:
    """A stored pattern: its row, with the lifecycle's bookkeeping taken out of its data."""

    id: str
    pattern_type: BehavioralPatternType
    key: str | None
    """Identity of the pattern across analyses."""
    name: str | None
    confidence: float
    evidence: list[str]
    occurrence_count: int
    consecutive_misses: int
    first_detected_at: datetime
    last_seen_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, row: BehavioralPattern) -> PatternView:
        """From the stored row (``key`` and ``consecutiveMisses`` live in ``patternData``)."""
        data = dict(row.patternData) if isinstance(row.patternData, dict) else {}
        data.pop(PATTERN_DATA_KEY, None)
        misses = data.pop(PATTERN_DATA_MISSES, 0)
        return cls(
            id=row.id,
            pattern_type=row.patternType,
            key=pattern_key(row),
            name=row.patternName,
            confidence=row.confidence,
            evidence=list(row.evidence),
            occurrence_count=row.occurrenceCount,
            consecutive_misses=misses if isinstance(misses, int) else 0,
            first_detected_at=aware_utc(row.firstDetectedAt),
            last_seen_at=aware_utc(row.lastSeenAt),
            data=data,
        )


@dataclass(frozen=True)
class InsightView:
    """A stored insight with the patterns behind it."""

    id: str
    insight_type: InsightType
    title: str
    description: str
    actionable_recommendation: str
    confidence: float
    created_at: datetime
    acknowledged_at: datetime | None
    applied: bool
    patterns: list[PatternView]

    @classmethod
    def of(cls, row: BehavioralInsight, patterns: list[BehavioralPattern]) -> InsightView:
        """From the stored row and its linked patterns."""
        return cls(
            id=row.id,
            insight_type=row.insightType,
            title=row.title,
            description=row.description,
            actionable_recommendation=row.actionableRecommendation,
            confidence=row.confidence,
            created_at=aware_utc(row.createdAt),
            acknowledged_at=None if row.acknowledgedAt is None else aware_utc(row.acknowledgedAt),
            applied=row.applied,
            patterns=[PatternView.of(p) for p in patterns],
        )


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


def open_insight_views(session: Session, user_id: str) -> list[InsightView]:
    """:func:`open_insights` as views."""
    return [InsightView.of(i, p) for i, p in open_insights(session, user_id)]


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

    user_id: str
    profile: UserLearningProfile | None
    sufficiency: Sufficiency
    status: ProfileStatus
    learning_style_profiling_enabled: bool


def learning_profile(session: Session, user_id: str, now: datetime) -> ProfileView:
    """The learner's profile, or why there is none yet (progress towards each minimum).

    A profile analysed after ``now`` is not shown: as of ``now`` it did not exist yet.
    """
    now = aware_utc(now)
    profile = session.scalar(
        sa.select(UserLearningProfile).where(UserLearningProfile.userId == user_id)
    )
    if (
        profile is not None
        and profile.lastAnalyzedAt is not None
        and profile.lastAnalyzedAt > storage_time(now)
    ):
        profile = None
    suff = data_counts(session, user_id, now).sufficiency(now, requested=False, forced=False)
    status: ProfileStatus
    if profile is not None:
        status = "analyzed"
    elif suff.sufficient:
        status = "not_analyzed"
    else:
        status = "insufficient_data"
    return ProfileView(
        user_id=user_id,
        profile=profile,
        sufficiency=suff,
        status=status,
        learning_style_profiling_enabled=get_user(session, user_id).learningStyleProfilingEnabled,
    )


@dataclass(frozen=True)
class HeatmapView:
    """Weekday × local-hour performance over the last ``weeks`` weeks, with optimal windows."""

    user_id: str
    weeks: int
    since: datetime
    until: datetime
    timezone: str
    sessions: int
    study_time: StudyTimeResult

    @property
    def weekdays(self) -> tuple[str, ...]:
        """Row labels of the grid, Monday first."""
        return WEEKDAY_LABELS

    @property
    def hours(self) -> tuple[int, ...]:
        """Column labels of the grid: local hours 0–23."""
        return tuple(range(HOURS_PER_DAY))

    @property
    def mean_performance(self) -> tuple[tuple[float | None, ...], ...]:
        """[weekday][hour] mean performance, 0–100 (None without sessions)."""
        return self.study_time.heatmap.mean_performance

    @property
    def session_counts(self) -> tuple[tuple[int, ...], ...]:
        """[weekday][hour] sessions."""
        return self.study_time.heatmap.sessions

    @property
    def optimal_windows(self) -> tuple[OptimalHour, ...]:
        """The optimal start hours of the window (simultaneous 95% test)."""
        return self.study_time.optimal

    @property
    def hours_tested(self) -> int:
        """Hours with enough sessions to be candidates."""
        return self.study_time.hours_tested


def study_time_heatmap(session: Session, user: User, now: datetime, weeks: int) -> HeatmapView:
    """The 7 × 24 grid (mean performance, session count) and the optimal hours of the window."""
    now = aware_utc(now)
    since = now - timedelta(weeks=weeks)
    # Only the sessions: the grid needs none of a full analysis' repeat reviews, content
    # fallback or sufficiency counts (the same sessions, so the same answer, in one query).
    loaded = load_sessions(session, user, now, since=since)
    result = analyze_study_time(loaded.sessions)
    return HeatmapView(
        user_id=user.id,
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
