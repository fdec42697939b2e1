"""Writing one analysis: the pattern lifecycle, new insights with their keys, the profile row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.patterns.common import DetectedPattern
from twin.analysis.patterns.insights import generate_insights
from twin.analysis.patterns.lifecycle import LifecyclePlan, StoredPattern, plan_lifecycle
from twin.analysis.patterns.profile import TwinAnalysis
from twin.db.base import new_id
from twin.db.models import (
    BehavioralInsight,
    BehavioralPattern,
    InsightKey,
    InsightPattern,
    User,
    UserLearningProfile,
)
from twin.enums import BehavioralPatternType, InsightType

STYLE_PATTERN_TYPE = BehavioralPatternType.CONTENT_TYPE_PREFERENCE.value
PATTERN_DATA_KEY = "key"
PATTERN_DATA_MISSES = "consecutiveMisses"


# --- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    plan: LifecyclePlan
    insight_ids: tuple[str, ...]
    style_deleted: int


def pattern_key(row: BehavioralPattern) -> str | None:
    """The lifecycle key stored in ``patternData`` (None for rows written elsewhere)."""
    key = row.patternData.get(PATTERN_DATA_KEY) if isinstance(row.patternData, dict) else None
    return key if isinstance(key, str) else None


def _pattern_key(row: BehavioralPattern) -> str:
    # A row without a key (written by something else) never matches and fades out.
    return pattern_key(row) or f"unkeyed:{row.id}"


def _misses(row: BehavioralPattern) -> int:
    value = row.patternData.get(PATTERN_DATA_MISSES) if isinstance(row.patternData, dict) else None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _pattern_data(pattern: DetectedPattern, misses: int) -> dict[str, Any]:
    return {**pattern.data, PATTERN_DATA_KEY: pattern.key, PATTERN_DATA_MISSES: misses}


def stored_insight_keys(session: Session, user_id: str) -> set[str]:
    """Keys stored in ``insight_keys`` for the learner's unacknowledged insights."""
    return set(
        session.scalars(
            sa.select(InsightKey.key)
            .join(BehavioralInsight, BehavioralInsight.id == InsightKey.insightId)
            .where(
                InsightKey.userId == user_id,
                BehavioralInsight.userId == user_id,
                BehavioralInsight.acknowledgedAt.is_(None),
            )
        )
    )


def linked_insight_keys(session: Session, user_id: str) -> set[str]:
    """Keys derived from the patterns still linked to unacknowledged insights (type, key)."""
    rows = session.execute(
        sa.select(
            BehavioralInsight.insightType,
            BehavioralPattern.patternType,
            BehavioralPattern.patternData,
        )
        .join(InsightPattern, InsightPattern.insightId == BehavioralInsight.id)
        .join(BehavioralPattern, BehavioralPattern.id == InsightPattern.patternId)
        .where(BehavioralInsight.userId == user_id, BehavioralInsight.acknowledgedAt.is_(None))
    ).all()
    keys = set()
    for insight_type, pattern_type, data in rows:
        key = data.get(PATTERN_DATA_KEY) if isinstance(data, dict) else None
        if isinstance(key, str):
            keys.add(f"{insight_type.value}:{pattern_type.value}:{key}")
    return keys


def open_insight_keys(session: Session, user_id: str) -> set[str]:
    """Keys no new insight may take: those of the learner's unacknowledged insights.

    The stored key of each insight (``insight_keys``, written with it since migration
    0008) survives the deletion of the pattern it came from; the keys derived from the
    patterns still linked cover insights written before 0008 (no stored key) and keep
    blocking an insight about a secondary linked pattern, as before 0008.
    """
    return stored_insight_keys(session, user_id) | linked_insight_keys(session, user_id)


def write_analysis(session: Session, user: User, analysis: TwinAnalysis, now: datetime) -> _Written:
    stamp = storage_time(now)
    rows = list(
        session.scalars(sa.select(BehavioralPattern).where(BehavioralPattern.userId == user.id))
    )
    style_rows = (
        []
        if user.learningStyleProfilingEnabled
        else [r for r in rows if r.patternType.value == STYLE_PATTERN_TYPE]
    )
    rows = [r for r in rows if r not in style_rows]
    by_id = {r.id: r for r in rows}
    stored = [
        StoredPattern(
            pattern_id=r.id,
            pattern_type=r.patternType.value,
            key=_pattern_key(r),
            confidence=r.confidence,
            occurrence_count=r.occurrenceCount,
            consecutive_misses=_misses(r),
            first_detected_at=aware_utc(r.firstDetectedAt),
            last_seen_at=aware_utc(r.lastSeenAt),
        )
        for r in rows
    ]
    plan = plan_lifecycle(stored, analysis.patterns, now=now, new_data=analysis.new_data)

    ids: dict[tuple[str, str], str] = {}
    for c in plan.creates:
        pattern_id = new_id()
        ids[(str(c.pattern.pattern_type), c.pattern.key)] = pattern_id
        session.add(
            BehavioralPattern(
                id=pattern_id,
                userId=user.id,
                patternType=c.pattern.pattern_type,
                patternData=_pattern_data(c.pattern, 0),
                confidence=c.confidence,
                firstDetectedAt=stamp,
                lastSeenAt=stamp,
                detectedAt=stamp,
                patternName=c.pattern.name,
                evidence=list(c.pattern.evidence),
                occurrenceCount=c.occurrence_count,
            )
        )
    for u in plan.updates:
        row = by_id[u.pattern_id]
        row.confidence = u.confidence
        row.occurrenceCount = u.occurrence_count
        row.lastSeenAt = storage_time(u.last_seen_at)
        if u.pattern is not None:
            ids[(u.pattern_type, u.key)] = u.pattern_id
            row.patternData = _pattern_data(u.pattern, u.consecutive_misses)
            row.patternName = u.pattern.name
            row.evidence = list(u.pattern.evidence)
            row.detectedAt = stamp
        else:
            row.patternData = {**row.patternData, PATTERN_DATA_MISSES: u.consecutive_misses}
    doomed = [d.pattern_id for d in plan.deletes] + [r.id for r in style_rows]
    session.flush()
    if doomed:
        session.execute(sa.delete(BehavioralPattern).where(BehavioralPattern.id.in_(doomed)))

    insights = generate_insights(
        plan.current(), open_insight_keys=open_insight_keys(session, user.id)
    )
    insight_ids = []
    for insight in insights:
        insight_id = new_id()
        insight_ids.append(insight_id)
        session.add(
            BehavioralInsight(
                id=insight_id,
                userId=user.id,
                insightType=InsightType(str(insight.insight_type)),
                title=insight.title,
                description=insight.description,
                actionableRecommendation=insight.actionable_recommendation,
                confidence=round(insight.confidence, 6),
                createdAt=stamp,
            )
        )
        session.add(
            InsightKey(
                id=new_id(), insightId=insight_id, userId=user.id, key=insight.key, createdAt=stamp
            )
        )
        linked = {ids[p] for p in insight.patterns if p in ids}
        for pattern_id in sorted(linked):
            session.add(InsightPattern(id=new_id(), insightId=insight_id, patternId=pattern_id))

    values = {
        **analysis.profile.columns(),
        "lastAnalyzedAt": stamp,
    }
    insert = pg_insert(UserLearningProfile).values(id=new_id(), userId=user.id, **values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[UserLearningProfile.userId],
            set_={k: getattr(insert.excluded, k) for k in values},
        )
    )
    session.flush()
    return _Written(plan=plan, insight_ids=tuple(insight_ids), style_deleted=len(style_rows))
