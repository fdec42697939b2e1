"""Builders of small learner worlds for the cognitive service, API and job tests (no tests here).

A learner gets one course, one lecture, two objectives (``{uid}-oA`` BASIC,
``{uid}-oB`` ADVANCED) with two cards each (``{uid}-kA0``, ``{uid}-kA1``,
``{uid}-kB0``, ``{uid}-kB1``); sessions are added with their reviews (time order)
and, optionally, a ``SESSION_ENDED`` event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from twin.db.models import (
    BehavioralEvent,
    Card,
    CognitiveLoadMetric,
    Course,
    LearningObjective,
    Lecture,
    Mission,
    Review,
    StudySession,
    User,
)
from twin.enums import EventType, MissionStatus, ObjectiveComplexity, ReviewRating

T0 = datetime(2026, 3, 2, 9, 0)  # a Monday, naive UTC


@dataclass(frozen=True)
class R:
    """One review: seconds after the session start, time spent, rating, card suffix."""

    at_s: float
    spent_ms: int = 6000
    rating: str = "GOOD"
    card: str = "A0"


def make_learner(
    session: Session,
    uid: str,
    *,
    timezone: str = "UTC",
    enabled: bool = True,
    default_minutes: int = 50,
) -> None:
    """The learner and their small curriculum."""
    session.add(
        User(
            id=uid,
            timezone=timezone,
            behavioralAnalysisEnabled=enabled,
            defaultMissionMinutes=default_minutes,
        )
    )
    session.flush()
    session.add(Course(id=f"{uid}-c", userId=uid, name="Physiology"))
    session.flush()
    session.add(Lecture(id=f"{uid}-l", userId=uid, courseId=f"{uid}-c", title="Renal"))
    session.flush()
    for key, complexity in (("A", ObjectiveComplexity.BASIC), ("B", ObjectiveComplexity.ADVANCED)):
        session.add(
            LearningObjective(
                id=f"{uid}-o{key}",
                lectureId=f"{uid}-l",
                objective=f"Objective {key}",
                complexity=complexity,
            )
        )
    session.flush()
    for key in ("A", "B"):
        for i in range(2):
            session.add(
                Card(
                    id=f"{uid}-k{key}{i}",
                    courseId=f"{uid}-c",
                    lectureId=f"{uid}-l",
                    objectiveId=f"{uid}-o{key}",
                )
            )
    session.add(Card(id=f"{uid}-kX", courseId=f"{uid}-c"))  # a card without objective
    session.flush()


def add_session(
    session: Session,
    uid: str,
    sid: str,
    start: datetime,
    reviews: Sequence[R],
    *,
    duration_min: float | None = None,
    ended: dict[str, Any] | None = None,
    mission_id: str | None = None,
) -> None:
    """A study session with its reviews and (when ``ended`` is given) a SESSION_ENDED event."""
    end = start + timedelta(minutes=duration_min) if duration_min is not None else None
    session.add(
        StudySession(
            id=sid,
            userId=uid,
            startedAt=start,
            completedAt=end,
            durationMs=None if duration_min is None else int(duration_min * 60_000),
            missionId=mission_id,
        )
    )
    session.flush()
    for i, r in enumerate(reviews):
        session.add(
            Review(
                id=f"{sid}-r{i}",
                userId=uid,
                cardId=f"{uid}-k{r.card}",
                sessionId=sid,
                rating=ReviewRating(r.rating),
                timeSpentMs=r.spent_ms,
                reviewedAt=start + timedelta(seconds=r.at_s),
            )
        )
    if ended is not None:
        session.add(
            BehavioralEvent(
                id=f"{sid}-ended",
                userId=uid,
                eventType=EventType.SESSION_ENDED,
                eventData={"sessionId": sid, **ended},
                timestamp=end or start,
                sessionPerformanceScore=ended.get("performance"),
            )
        )
    session.flush()


def calm_reviews(n: int = 12, *, spent_ms: int = 6000, every_s: float = 60.0) -> list[R]:
    """``n`` reviews a minute apart, all GOOD, on objective A."""
    return [
        R(at_s=(i + 1) * every_s, spent_ms=spent_ms, rating="GOOD", card="A0") for i in range(n)
    ]


def strained_reviews(n: int = 20, *, spent_ms: int = 14_000, card: str = "B0") -> list[R]:
    """Slow answers, GOOD early and AGAIN late (errors and a performance decline)."""
    out = []
    for i in range(n):
        rating = "GOOD" if i < n // 4 else "AGAIN"
        out.append(R(at_s=(i + 1) * 60.0, spent_ms=spent_ms, rating=rating, card=card))
    return out


def add_baseline_sessions(session: Session, uid: str, start: datetime, n: int = 3) -> None:
    """``n`` calm daily sessions before ``start`` (6 s answers) that define the baseline."""
    for i in range(n):
        day = start - timedelta(days=n - i)
        add_session(session, uid, f"{uid}-base{i}", day, calm_reviews(), duration_min=20)


def add_mission(session: Session, uid: str, mid: str, day: datetime, status: MissionStatus) -> None:
    """A mission planned for ``day`` (naive UTC midnight of the learner's day)."""
    session.add(
        Mission(id=mid, userId=uid, date=day, status=status, estimatedMinutes=50, objectives=[])
    )
    session.flush()


def add_metric(session: Session, uid: str, sid: str | None, at: datetime, load: float) -> None:
    """A stored load reading."""
    session.add(
        CognitiveLoadMetric(
            id=f"m-{uid}-{sid}-{at.isoformat()}",
            userId=uid,
            sessionId=sid,
            loadScore=load,
            stressIndicators=[],
            confidenceLevel=0.8,
            timestamp=at,
        )
    )
    session.flush()


def add_loaded_days(
    session: Session,
    uid: str,
    first_day: datetime,
    days: int,
    *,
    load: float,
    minutes: float,
    performance: Sequence[float] | None = None,
    prefix: str = "d",
) -> None:
    """One session a day with a stored load reading (and a SESSION_ENDED performance)."""
    for i in range(days):
        start = first_day + timedelta(days=i, hours=10)
        sid = f"{uid}-{prefix}{i}"
        perf = None if performance is None else performance[i]
        ended = None if perf is None else {"performance": int(perf), "engagementScore": int(perf)}
        add_session(session, uid, sid, start, calm_reviews(3), duration_min=minutes, ended=ended)
        add_metric(session, uid, sid, start + timedelta(minutes=minutes), load)
