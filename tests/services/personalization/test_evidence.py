"""The evidence loader: every source ENGINE 5.5's apply names, present when stored, absent when not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session

from tests.conftest import PgServer
from tests.services.experiments.support import add_learner
from twin.db.engine import Database, create_db_engine
from twin.db.models import (
    BehavioralPattern,
    CalendarBusyBlock,
    CalendarIntegration,
    Course,
    LearningObjective,
    Lecture,
    ObjectivePrerequisite,
    StrugglePrediction,
    User,
    ValidationResponse,
)
from twin.enums import BehavioralPatternType, MasteryLevel, PersonalizationContext
from twin.services.personalization.decisions import apply_personalization
from twin.services.personalization.evidence import load_evidence

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None)


def _store_everything(session: Session, uid: str) -> None:
    add_learner(session, uid)
    session.add(Course(id=f"{uid}-c", userId=uid, name="Physiology"))
    session.flush()
    session.add(Lecture(id=f"{uid}-l", userId=uid, courseId=f"{uid}-c", title="L"))
    session.flush()
    levels = {
        "strong": (MasteryLevel.MASTERED, 0.1),
        "target": (MasteryLevel.INTERMEDIATE, 0.5),
        "pre-weak": (MasteryLevel.BEGINNER, 0.7),
        "pre-ok": (MasteryLevel.ADVANCED, 0.3),
    }
    for name, (level, weakness) in levels.items():
        session.add(
            LearningObjective(
                id=f"{uid}-{name}",
                lectureId=f"{uid}-l",
                objective=name,
                masteryLevel=level,
                weaknessScore=weakness,
            )
        )
    session.flush()
    for pre in ("pre-weak", "pre-ok"):
        session.add(
            ObjectivePrerequisite(objectiveId=f"{uid}-target", prerequisiteId=f"{uid}-{pre}")
        )
    session.add(
        StrugglePrediction(
            userId=uid,
            learningObjectiveId=f"{uid}-target",
            predictedStruggleProbability=0.8,
            predictionConfidence=0.7,
            strugglingFactors=[],
            predictionDate=_naive(NOW - timedelta(hours=1)),
        )
    )
    # calibration: confidence 0.9, scores 0.5/0.6 alternating (6 answers)
    for i in range(6):
        session.add(
            ValidationResponse(
                id=f"{uid}-v{i}",
                userId=uid,
                promptType="EXPLAIN",
                score=0.5 if i % 2 == 0 else 0.6,
                confidence=0.9,
                respondedAt=_naive(NOW - timedelta(days=i + 1)),
            )
        )
    session.add(
        BehavioralPattern(
            userId=uid,
            patternType=BehavioralPatternType.CONTENT_TYPE_PREFERENCE,
            patternData={
                "types": [
                    {"contentType": "flashcard", "items": 40, "score": 0.8},
                    {"contentType": "lecture", "items": 12, "score": 0.55},
                    {"contentType": "validation", "items": 0, "score": None},
                ]
            },
            confidence=0.75,
        )
    )
    session.add(
        CalendarIntegration(
            id=f"{uid}-cal",
            userId=uid,
            calendarProvider="caldav",
            accessToken="-",
            lastSyncAt=_naive(NOW - timedelta(hours=1)),
        )
    )
    session.flush()
    session.add(
        CalendarBusyBlock(
            userId=uid,
            integrationId=f"{uid}-cal",
            startsAt=_naive(NOW + timedelta(hours=1)),
            endsAt=_naive(NOW + timedelta(hours=3)),
            weight=1.0,
            syncedAt=_naive(NOW - timedelta(hours=1)),
        )
    )
    session.flush()


@pytest.fixture(scope="module")
def stored(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """One database for the module: a learner with every source, one with none."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    with database.session() as session:
        _store_everything(session, "full")
        add_learner(session, "bare")
    yield database
    database.close()
    pg_server.drop_database(name)


def test_every_source_is_loaded_with_its_confidence(stored: Database) -> None:
    with stored.session() as session:
        e = load_evidence(session, "full", NOW)
    # calibration: mean confidence 0.9, mean score 0.55, n 6; the paired differences 0.4/0.3
    # have se ≈ 0.022, so the gap 0.35 is certain (strength ≈ 1) and the confidence is the
    # data factor min(1, 6/30) = 0.2
    assert e.calibration is not None and e.calibration.responses == 6
    assert e.calibration.gap == pytest.approx(0.35)
    assert e.calibration.confidence == pytest.approx(0.2, abs=1e-9)
    # content: the pattern's types with items, at the pattern's confidence
    assert e.content is not None and e.content.confidence == 0.75
    assert [(o.content_type, o.score, o.items) for o in e.content.outcomes] == [
        ("flashcard", 0.8, 40),
        ("lecture", 0.55, 12),
    ]
    # strong area: MASTERED (mastery 1) at confidence 1 − weakness 0.1
    assert [(a.objective_id, a.mastery, a.confidence) for a in e.strong_areas] == [
        ("full-strong", 1.0, pytest.approx(0.9))
    ]
    # the struggle's prerequisite gap: BEGINNER (0.25 < 0.7) is a gap, ADVANCED (0.75) not
    assert [(s.objective_id, s.prerequisite_gap_ids) for s in e.struggles] == [
        ("full-target", ("full-pre-weak",))
    ]
    # calendar synced 1 h ago (≤ 2 h: confidence 1); busy 09:00–11:00 UTC: free 08:00–09:00
    # (60 min) and 11:00–24:00 (780 min)
    assert e.schedule is not None and e.schedule.confidence == 1.0
    assert [(w.start_hour, w.free_minutes) for w in e.schedule.windows] == [(8, 60), (11, 780)]


def test_nothing_stored_means_no_finding(stored: Database) -> None:
    with stored.session() as session:
        e = load_evidence(session, "bare", NOW)
        assert (e.calibration, e.content, e.schedule) == (None, None, None)
        assert e.strong_areas == () and e.struggles == ()
        # no consent to style profiling: content outcomes are not used
        assert load_evidence(session, "full", NOW, content_allowed=False).content is None
        # the sync ages: 13 h after the 2-hour limit of a 22-hour span → 1 − 11/22 = 0.5
        later = load_evidence(session, "full", NOW + timedelta(hours=12))
        assert later.schedule is not None and later.schedule.confidence == pytest.approx(0.5)
        # four answers are too few for calibration (5 needed)
        assert load_evidence(session, "full", NOW - timedelta(days=2, hours=12)).calibration is None


@pytest.mark.parametrize(
    ("context", "sources"),
    [
        (PersonalizationContext.ASSESSMENT, {"CALIBRATION", "STRUGGLE_PREDICTION"}),
        (PersonalizationContext.CONTENT, {"CONTENT_TYPE_PREFERENCE", "STRONG_AREA"}),
        (PersonalizationContext.MISSION, {"SCHEDULE"}),
    ],
)
def test_the_answer_shows_each_source_with_its_confidence(
    stored: Database, context: PersonalizationContext, sources: set[str]
) -> None:
    with stored.session() as session:
        full = apply_personalization(session, "full", context, None, NOW, np.random.default_rng(1))
        bare = apply_personalization(session, "bare", context, None, NOW, np.random.default_rng(1))
        session.rollback()
    shown = {e["source"]: e for e in full.evidence}
    assert sources <= set(shown)
    for s in sources:
        assert shown[s]["confidence"] is not None
    assert not sources & {e["source"] for e in bare.evidence}


def test_an_unknown_time_zone_reads_the_utc_day(stored: Database) -> None:
    with stored.session() as session:
        user = session.get(User, "full")
        assert user is not None
        e = load_evidence(session, "full", NOW, timezone="Not/AZone")
    assert e.schedule is not None and e.schedule.windows[-1].free_minutes == 780
