"""Stress response patterns and the stress profile (ENGINE.md 5.4), over 90 days.

One record per session with its latest load, local start hour, duration, topic (the
dominant objective), days to the next exam, difficulty and performance. Stored
patterns are matched by (type, trigger): kept ones are updated (``detectedAt`` stays the
first detection), new ones inserted, vanished ones deleted. Refreshes happen once per
learner at a time (``LearnerLock.STRESS_ANALYSIS``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.cognitive.stress import (
    HISTORY_DAYS,
    MIN_PATTERN_CONFIDENCE,
    SessionStressRecord,
    StressPattern,
    StressPatternResult,
    StressProfile,
    detect_stress_patterns,
    stress_profile,
)
from twin.analysis.common import aware_utc, iso_utc, local_date, naive_utc
from twin.db.base import new_id
from twin.db.models import StressResponsePattern
from twin.db.models.cognitive import LearnerLoadProfile
from twin.learners import Learner, LearnerLock, lock_learner, try_lock_learner
from twin.services.cognitive.profile import (
    load_profile,
    mean_load_7d,
    update_mean_load_7d,
    upsert_load_profile,
)
from twin.services.cognitive.summaries import session_summaries

# GET stress-patterns / stress-profile analyse again when the last analysis is older.
STRESS_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class StressAnalysis:
    """Detected patterns and the profile built from them."""

    patterns: StressPatternResult
    profile: StressProfile
    analyzed_at: datetime


def stress_records(session: Session, learner: Learner, now: datetime) -> list[SessionStressRecord]:
    """The learner's sessions of the last 90 days with a load, as stress records."""
    end = naive_utc(now)
    start = end - timedelta(days=HISTORY_DAYS)
    summaries = session_summaries(session, learner.user_id, start, end, content=True)
    exams = sorted(
        r[0]
        for r in session.execute(
            sa.text('SELECT date FROM exams WHERE "userId" = :u AND date >= :a'),
            {"u": learner.user_id, "a": start},
        )
    )
    zone = learner.zone
    records = []
    for s in summaries:
        if s.load is None:
            continue
        upcoming = [e for e in exams if e >= s.started_at]
        days_to_exam = (upcoming[0] - s.started_at).total_seconds() / 86_400.0 if upcoming else None
        records.append(
            SessionStressRecord(
                started_at=s.started_at,
                load=s.load,
                local_hour=aware_utc(s.started_at).astimezone(zone).hour,
                duration_minutes=s.duration_minutes,
                topic_id=s.topic_id,
                days_to_exam=days_to_exam,
                difficulty=s.difficulty,
                performance=s.performance,
            )
        )
    return records


def _pattern_key(pattern_data: dict[str, Any]) -> tuple[str, str]:
    trigger = pattern_data.get("trigger") or {}
    return str(pattern_data.get("type")), repr(sorted(trigger.items()))


def _store_patterns(
    session: Session, user_id: str, patterns: Sequence[StressPattern], now: datetime
) -> None:
    """Update kept patterns, insert new ones, delete those no longer detected."""
    existing = {
        _pattern_key(row.patternData): row
        for row in session.scalars(
            sa.select(StressResponsePattern).where(StressResponsePattern.userId == user_id)
        )
    }
    seen: set[tuple[str, str]] = set()
    for p in patterns:
        data = {**p.pattern_data(), "lastSeenAt": iso_utc(now)}
        key = _pattern_key(data)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            session.add(
                StressResponsePattern(
                    id=new_id(),
                    userId=user_id,
                    patternData=data,
                    confidence=p.confidence,
                    detectedAt=now,
                )
            )
        else:
            row.patternData = data
            row.confidence = p.confidence
    for key, row in existing.items():
        if key not in seen:
            session.delete(row)


def refresh_stress(session: Session, learner: Learner, now: datetime) -> StressAnalysis:
    """Detect stress patterns over 90 days, store them and the profile's load fields."""
    at = naive_utc(now)
    lock_learner(session, LearnerLock.STRESS_ANALYSIS, learner.user_id)
    records = stress_records(session, learner, at)
    patterns = detect_stress_patterns(records, at)
    profile = stress_profile(records, at, patterns=patterns)
    _store_patterns(session, learner.user_id, patterns.patterns, at)
    details = {
        **profile.details_json(),
        "patterns": {
            "sessions": patterns.sessions,
            "insufficient": None
            if patterns.insufficient is None
            else patterns.insufficient.to_json(),
        },
    }
    upsert_load_profile(
        session,
        learner.user_id,
        {"loadTolerance": profile.load_tolerance, "details": details, "stressAnalyzedAt": at},
        at,
    )
    update_mean_load_7d(session, learner.user_id, at)
    session.flush()
    return StressAnalysis(patterns, profile, at)


def _fresh_profile(session: Session, learner: Learner, now: datetime) -> LearnerLoadProfile:
    """The load profile, analysed again when its stress analysis is missing or stale."""
    at = naive_utc(now)
    profile = load_profile(session, learner.user_id)
    if (
        profile is None
        or profile.stressAnalyzedAt is None
        or at - profile.stressAnalyzedAt > STRESS_MAX_AGE
    ):
        refresh_stress(session, learner, at)
        profile = load_profile(session, learner.user_id)
    assert profile is not None
    return profile


@dataclass(frozen=True)
class StoredStressPattern:
    """A stress pattern as stored: its row (id None when computed for an earlier instant)."""

    id: str | None
    confidence: float
    detected_at: datetime
    pattern_data: dict[str, Any]


@dataclass(frozen=True)
class StressPatternsView:
    """Stored patterns above a confidence, and what the last analysis saw."""

    analyzed_at: datetime | None
    min_confidence: float
    sessions: int
    insufficient: dict[str, dict[str, int]] | None
    """The unmet minimum of the last analysis, as stored with the profile."""
    patterns: list[StoredStressPattern]


def _computed_as_of(session: Session, learner: Learner, now: datetime) -> StressAnalysis | None:
    """The analysis as of ``now``, computed and not stored, when the stored one is newer.

    The stored patterns and profile are those of the latest analysis; asked about an
    earlier instant, the answer must not use anything recorded after it.
    """
    at = naive_utc(now)
    profile = load_profile(session, learner.user_id)
    if profile is None or profile.stressAnalyzedAt is None or profile.stressAnalyzedAt <= at:
        return None
    records = stress_records(session, learner, at)
    patterns = detect_stress_patterns(records, at)
    return StressAnalysis(patterns, stress_profile(records, at, patterns=patterns), at)


def stress_patterns(
    session: Session,
    learner: Learner,
    now: datetime,
    min_confidence: float = MIN_PATTERN_CONFIDENCE,
) -> StressPatternsView:
    """Stored patterns with confidence ≥ ``min_confidence`` (analysed anew when stale).

    For an instant before the stored analysis the patterns are computed as of it (not stored).
    """
    computed = _computed_as_of(session, learner, now)
    if computed is not None:
        found = computed.patterns
        kept = sorted(
            (p for p in found.patterns if p.confidence >= min_confidence),
            key=lambda p: -p.confidence,
        )
        seen = iso_utc(computed.analyzed_at)
        return StressPatternsView(
            analyzed_at=computed.analyzed_at,
            min_confidence=min_confidence,
            sessions=found.sessions,
            insufficient=None if found.insufficient is None else found.insufficient.to_json(),
            patterns=[
                StoredStressPattern(
                    None,
                    p.confidence,
                    computed.analyzed_at,
                    {**p.pattern_data(), "lastSeenAt": seen},
                )
                for p in kept
            ],
        )
    profile = _fresh_profile(session, learner, now)
    rows = session.scalars(
        sa.select(StressResponsePattern)
        .where(
            StressResponsePattern.userId == learner.user_id,
            StressResponsePattern.confidence >= min_confidence,
        )
        .order_by(StressResponsePattern.confidence.desc(), StressResponsePattern.id)
    )
    meta = (profile.details or {}).get("patterns") or {}
    return StressPatternsView(
        analyzed_at=profile.stressAnalyzedAt,
        min_confidence=min_confidence,
        sessions=meta.get("sessions", 0),
        insufficient=meta.get("insufficient"),
        patterns=[
            StoredStressPattern(r.id, float(r.confidence), r.detectedAt, dict(r.patternData))
            for r in rows
        ],
    )


@dataclass(frozen=True)
class StressProfileView:
    """The stress profile: its details (``StressProfile.details_json``) and load columns."""

    details: dict[str, Any]
    load_tolerance: float | None
    mean_load_7d: float | None
    analyzed_at: datetime | None


def stress_profile_view(session: Session, learner: Learner, now: datetime) -> StressProfileView:
    """Primary stressors, load tolerance, recovery time and the 7-day mean load.

    For an instant before the stored analysis the profile is computed as of it (not stored).
    """
    computed = _computed_as_of(session, learner, now)
    if computed is not None:
        return StressProfileView(
            details=computed.profile.details_json(),
            load_tolerance=computed.profile.load_tolerance,
            mean_load_7d=mean_load_7d(session, learner.user_id, computed.analyzed_at),
            analyzed_at=computed.analyzed_at,
        )
    profile = _fresh_profile(session, learner, now)
    return StressProfileView(
        details=dict(profile.details or {}),
        load_tolerance=profile.loadTolerance,
        mean_load_7d=profile.meanLoad7d,
        analyzed_at=profile.stressAnalyzedAt,
    )


def weekly_stress_refresh(session: Session, learner: Learner, now: datetime) -> str:
    """The weekly job's stress analysis of one learner: ``"refreshed"``, ``"locked"`` or ``"already_refreshed"``."""
    if not try_lock_learner(session, LearnerLock.STRESS_ANALYSIS, learner.user_id):
        return "locked"
    profile = load_profile(session, learner.user_id)
    at = naive_utc(now)
    if (
        profile is not None
        and profile.stressAnalyzedAt is not None
        and local_date(profile.stressAnalyzedAt, learner.zone) >= local_date(at, learner.zone)
    ):
        return "already_refreshed"
    refresh_stress(session, learner, at)
    return "refreshed"
