"""A hand-built learner and calendars for the orchestration service, API and command tests.

The learner ``uid`` (Europe/Berlin) has, relative to ``now``:

- one course with a lecture and two objectives, ``{uid}-oA`` (ADVANCED) and ``{uid}-oB``
  (BASIC); cards ``{uid}-k0`` … ``k9`` (``oA`` for even numbers, ``oB`` for odd) reviewed
  and due now, and new cards ``{uid}-n0`` … ``n4`` (on ``oA``);
- 21 completed study sessions over the last 3 weeks: one a day at 07:00 local (every
  review GOOD) and, every other day, one at 19:00 local (half the reviews AGAIN), so the
  learner's morning hour scores well above the evening;
- an open mission for the local day after ``now`` with both objectives;
- a pending struggle prediction on ``oA`` (p = 0.8) with a PREREQUISITE_REVIEW intervention.

Times are local wall times turned into naive UTC (the storage convention).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tests.calendar_servers import VTIMEZONE_BERLIN as VTIMEZONE_BERLIN
from twin.db.models import (
    Card,
    Course,
    InterventionRecommendation,
    LearningObjective,
    Lecture,
    Mission,
    Review,
    StrugglePrediction,
    StudySession,
    User,
)
from twin.enums import (
    InterventionType,
    MissionStatus,
    ObjectiveComplexity,
    PredictionStatus,
    ReviewRating,
)

ZONE_NAME = "Europe/Berlin"
ZONE = ZoneInfo(ZONE_NAME)
MORNING_HOUR = 7
EVENING_HOUR = 19
HISTORY_DAYS = 21
REVIEWS_PER_SESSION = 10


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Naive UTC of local wall time ``hour:minute`` on ``day`` in Berlin."""
    aware = datetime.combine(day, time(hour, minute), tzinfo=ZONE)
    return aware.astimezone(UTC).replace(tzinfo=None)


def make_schedule_learner(
    session: Session, uid: str, now: datetime, *, enabled: bool = True, history: bool = True
) -> None:
    """Everything described in the module docstring, relative to ``now`` (naive UTC)."""
    session.add(User(id=uid, timezone=ZONE_NAME, behavioralAnalysisEnabled=enabled))
    session.flush()
    session.add(Course(id=f"{uid}-c", userId=uid, name="Physiology"))
    session.flush()
    session.add(Lecture(id=f"{uid}-l", userId=uid, courseId=f"{uid}-c", title="Renal"))
    session.flush()
    for key, complexity in (
        ("oA", ObjectiveComplexity.ADVANCED),
        ("oB", ObjectiveComplexity.BASIC),
    ):
        session.add(
            LearningObjective(
                id=f"{uid}-{key}", lectureId=f"{uid}-l", objective=key, complexity=complexity
            )
        )
    session.flush()
    for i in range(10):
        session.add(
            Card(
                id=f"{uid}-k{i}",
                courseId=f"{uid}-c",
                lectureId=f"{uid}-l",
                objectiveId=f"{uid}-o{'A' if i % 2 == 0 else 'B'}",
                stability=1.0 + i,
                difficulty=5.0,
                lastReviewedAt=now - timedelta(days=2 + i),
                nextReviewAt=now - timedelta(hours=1),
                reviewCount=3,
            )
        )
    for i in range(5):
        session.add(Card(id=f"{uid}-n{i}", courseId=f"{uid}-c", objectiveId=f"{uid}-oA"))
    session.flush()
    today = now.replace(tzinfo=UTC).astimezone(ZONE).date()
    if history:
        _history(session, uid, today)
    tomorrow = today + timedelta(days=1)
    session.add(
        Mission(
            id=f"{uid}-m",
            userId=uid,
            date=local(tomorrow, 0),
            status=MissionStatus.PENDING,
            estimatedMinutes=50,
            objectives=[
                {"objectiveId": f"{uid}-oA", "estimatedMinutes": 20, "completed": False},
                {"objectiveId": f"{uid}-oB", "estimatedMinutes": 10, "completed": False},
            ],
        )
    )
    session.add(
        StrugglePrediction(
            id=f"{uid}-p",
            userId=uid,
            learningObjectiveId=f"{uid}-oA",
            predictedStruggleProbability=0.8,
            predictionConfidence=0.7,
            predictionStatus=PredictionStatus.PENDING,
            strugglingFactors=[],
            predictionDate=now + timedelta(days=2),
            predictedAt=now - timedelta(hours=2),
        )
    )
    session.flush()
    session.add(
        InterventionRecommendation(
            id=f"{uid}-i",
            userId=uid,
            predictionId=f"{uid}-p",
            interventionType=InterventionType.PREREQUISITE_REVIEW,
            description="Review the prerequisite",
            reasoning="gap",
            priority=8,
            relatedObjectiveId=f"{uid}-oA",
        )
    )
    session.flush()


def _history(session: Session, uid: str, today: date) -> None:
    """Morning sessions (all GOOD) daily, evening sessions (half AGAIN) every other day."""
    n = 0
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        slots = [(MORNING_HOUR, ReviewRating.GOOD)]
        if back % 2 == 0:
            slots.append((EVENING_HOUR, ReviewRating.AGAIN))
        for hour, bad in slots:
            start = local(day, hour)
            sid = f"{uid}-s{n}"
            n += 1
            session.add(
                StudySession(
                    id=sid,
                    userId=uid,
                    startedAt=start,
                    completedAt=start + timedelta(minutes=40),
                    durationMs=40 * 60_000,
                    reviewsCompleted=REVIEWS_PER_SESSION,
                )
            )
            session.flush()
            for j in range(REVIEWS_PER_SESSION):
                rating = bad if (bad is ReviewRating.AGAIN and j % 2 == 0) else ReviewRating.GOOD
                session.add(
                    Review(
                        id=f"{sid}-r{j}",
                        userId=uid,
                        cardId=f"{uid}-k{j}",
                        sessionId=sid,
                        rating=rating,
                        timeSpentMs=15_000,
                        reviewedAt=start + timedelta(minutes=2 + 3 * j),
                    )
                )
    session.flush()


def daily_ics(
    first_day: date, hour: int, minute: int, minutes: int, *, days: int = 60, uid: str = "daily"
) -> str:
    """A calendar with one daily recurring Berlin event ``hour:minute`` for ``minutes`` minutes."""
    start = datetime.combine(first_day, time(hour, minute))
    end = start + timedelta(minutes=minutes)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//twin tests//EN\r\n"
        + VTIMEZONE_BERLIN.replace("\n", "\r\n")
        + "BEGIN:VEVENT\r\n"
        + f"UID:{uid}@tests\r\nDTSTAMP:20250101T000000Z\r\n"
        + f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}\r\n"
        + f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}\r\n"
        + f"RRULE:FREQ=DAILY;COUNT={days}\r\nSUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def single_ics(
    start: datetime, end: datetime, *, uid: str = "one", status: str | None = None
) -> str:
    """A calendar with one event ``[start, end)`` (aware instants, written in UTC)."""
    extra = f"STATUS:{status}\r\n" if status else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//twin tests//EN\r\nBEGIN:VEVENT\r\n"
        + f"UID:{uid}@tests\r\nDTSTAMP:20250101T000000Z\r\n"
        + f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        + f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        + extra
        + "SUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
