"""Cognitive service round trips through the real database (ENGINE.md 5.4)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PgServer
from tests.services.cognitive.support import (
    T0,
    R,
    add_baseline_sessions,
    add_loaded_days,
    add_metric,
    add_mission,
    add_session,
    calm_reviews,
    make_learner,
    strained_reviews,
)
from twin.analysis.cognitive.load import SessionLoadInput, compute_cognitive_load, overload_severity
from twin.analysis.cognitive.trend import Granularity
from twin.api.schemas.cognitive import BurnoutOut, StressPatternsOut, StressProfileOut
from twin.clock import utcnow
from twin.db.engine import Database, create_db_engine
from twin.db.models import (
    BurnoutRiskAssessment,
    CognitiveLoadMetric,
    Review,
    StressResponsePattern,
    StruggleIndicator,
)
from twin.db.models.cognitive import LearnerLoadProfile
from twin.enums import IndicatorType, MissionStatus, ReviewRating
from twin.learners import LearnerLock, analysis_learner, lock_learner
from twin.services import cognitive as svc
from twin.services import ingest as ingest_service


@pytest.fixture(scope="module")
def db(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """One migrated database for the module: every test works on a learner of its own."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)


@pytest.fixture
def U(request: pytest.FixtureRequest) -> str:
    """A learner id unique to the test."""
    return "u-" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[-60:]


def _metrics(db: Database, uid: str) -> list[CognitiveLoadMetric]:
    with db.session() as s:
        return list(
            s.scalars(
                sa.select(CognitiveLoadMetric)
                .where(CognitiveLoadMetric.userId == uid)
                .order_by(CognitiveLoadMetric.timestamp)
            )
        )


def _overloads(db: Database, uid: str) -> list[StruggleIndicator]:
    with db.session() as s:
        return list(
            s.scalars(
                sa.select(StruggleIndicator).where(
                    StruggleIndicator.userId == uid,
                    StruggleIndicator.indicatorType == IndicatorType.COGNITIVE_OVERLOAD,
                )
            )
        )


def test_session_load_is_stored_with_the_learners_own_baseline(db: Database, U: str) -> None:
    """The stored score is the analysis's on the session's reviews, baseline = earlier sessions' median."""
    reviews = [R(at_s=60.0 * (i + 1), spent_ms=9000, rating="GOOD") for i in range(10)]
    with db.session() as s:
        make_learner(s, U, default_minutes=40)
        add_baseline_sessions(s, U, T0)
        add_session(s, U, f"{U}-s1", T0, reviews, duration_min=30)
    with db.session() as s:
        readings = svc.on_session_activity(s, U, [f"{U}-s1", f"{U}-not-a-session"], now=utcnow())
    assert [r.session_id for r in readings] == [f"{U}-s1"]
    expected = compute_cognitive_load(
        SessionLoadInput(
            latencies_ms=(9000.0,) * 10,
            correct=(True,) * 10,
            pause_count=0,
            pause_seconds=0.0,
            active_seconds=1800.0,
            performance_scores=(100.0, 100.0, 100.0, 100.0),
            duration_minutes=30.0,
            baseline_latency_ms=6000.0,
            optimal_session_minutes=40.0,
        )
    )
    (row,) = _metrics(db, U)
    assert row.sessionId == f"{U}-s1"
    assert row.loadScore == pytest.approx(expected.load_score)
    assert row.loadScore == pytest.approx(0.30 * 50)  # latency 1.5× baseline → 50
    assert row.timestamp == T0 + timedelta(minutes=30)
    assert row.stressIndicators[0]["type"] == "RESPONSE_LATENCY"
    assert row.confidenceLevel == pytest.approx(expected.confidence)
    with db.session() as s:
        profile = svc.load_profile(s, U)
        assert profile is not None and profile.meanLoad7d is None  # reading is older than 7 days


def test_five_minute_rule_updates_then_inserts(db: Database, U: str) -> None:
    """Readings within 5 minutes of activity of the latest row update it; later ones insert."""
    with db.session() as s:
        make_learner(s, U)
        add_session(s, U, f"{U}-live", T0, [R(60), R(120), R(180)])
    with db.session() as s:
        (first,) = svc.on_session_activity(s, U, [f"{U}-live"], now=utcnow())
    assert first.inserted and first.timestamp == T0 + timedelta(minutes=3)
    with db.session() as s:
        s.add(
            Review(
                id=f"{U}-live-r3",
                userId=U,
                cardId=f"{U}-kA0",
                sessionId=f"{U}-live",
                rating=ReviewRating.AGAIN,
                timeSpentMs=20_000,
                reviewedAt=T0 + timedelta(minutes=4),
            )
        )
    with db.session() as s:
        (second,) = svc.on_session_activity(s, U, [f"{U}-live"], now=utcnow())
    rows = _metrics(db, U)
    assert not second.inserted and len(rows) == 1
    assert rows[0].timestamp == T0 + timedelta(minutes=3)  # the window keeps its start
    assert rows[0].loadScore == pytest.approx(second.load.load_score)
    assert second.load.load_score != pytest.approx(first.load.load_score)
    with db.session() as s:
        add_session(s, U, f"{U}-other", T0 + timedelta(hours=1), [R(60)])
        s.add(
            Review(
                id=f"{U}-live-r4",
                userId=U,
                cardId=f"{U}-kA1",
                sessionId=f"{U}-live",
                rating=ReviewRating.GOOD,
                timeSpentMs=5000,
                reviewedAt=T0 + timedelta(minutes=9),
            )
        )
    with db.session() as s:
        third = {
            r.session_id: r
            for r in svc.on_session_activity(s, U, [f"{U}-live", f"{U}-other"], now=utcnow())
        }
    assert third[f"{U}-live"].inserted
    rows = [r for r in _metrics(db, U) if r.sessionId == f"{U}-live"]
    assert [r.timestamp for r in rows] == [T0 + timedelta(minutes=3), T0 + timedelta(minutes=9)]


def test_overload_writes_one_indicator_on_the_dominant_objective(db: Database, U: str) -> None:
    """An overloaded session gets one COGNITIVE_OVERLOAD indicator, updated by later readings."""
    with db.session() as s:
        make_learner(s, U, default_minutes=20)
        add_baseline_sessions(s, U, T0)
        reviews = [*strained_reviews(20, card="B0"), R(1300, 14_000, "AGAIN", "A0")]
        add_session(s, U, f"{U}-hard", T0, reviews, duration_min=45)
    with db.session() as s:
        (reading,) = svc.on_session_activity(s, U, [f"{U}-hard"], now=utcnow())
    assert reading.load.overloaded
    (indicator,) = _overloads(db, U)
    assert indicator.learningObjectiveId == f"{U}-oB"
    assert indicator.severity.value == overload_severity(reading.load.load_score).value
    assert indicator.context is not None
    assert indicator.context["sessionId"] == f"{U}-hard"
    assert indicator.context["metricId"] == reading.metric_id
    assert indicator.context["subScores"]["errors"] > 0
    with db.session() as s:
        svc.on_session_activity(s, U, [f"{U}-hard"], now=utcnow())
    assert len(_overloads(db, U)) == 1


def test_overload_without_objective_uses_the_sentinel(db: Database, U: str) -> None:
    """A session whose cards have no objective gets learningObjectiveId = NO_OBJECTIVE_ID."""
    with db.session() as s:
        make_learner(s, U, default_minutes=20)
        add_baseline_sessions(s, U, T0)
        add_session(s, U, f"{U}-x", T0, strained_reviews(20, card="X"), duration_min=45)
    with db.session() as s:
        (reading,) = svc.on_session_activity(s, U, [f"{U}-x"], now=utcnow())
    assert reading.load.overloaded and reading.objective_id is None
    (indicator,) = _overloads(db, U)
    assert indicator.learningObjectiveId == svc.NO_OBJECTIVE_ID
    assert indicator.context is not None and indicator.context["objectiveSource"] == "none"


def test_pauses_from_review_gaps_or_the_session_ended_event(db: Database, U: str) -> None:
    """Gaps over 2 minutes of idle time count as pauses unless SESSION_ENDED says otherwise."""
    gaps = [R(60), R(120), R(420, spent_ms=5000), R(480), R(900)]  # idle 295 s and 414 s
    with db.session() as s:
        make_learner(s, U)
        add_session(s, U, f"{U}-gaps", T0, gaps, duration_min=20)
        add_session(
            s,
            U,
            f"{U}-events",
            T0 + timedelta(hours=2),
            gaps,
            duration_min=20,
            ended={"pauseCount": 1, "pausedMs": 60_000},
        )
    with db.session() as s:
        readings = {
            r.session_id: r
            for r in svc.on_session_activity(s, U, [f"{U}-gaps", f"{U}-events"], now=utcnow())
        }
    assert readings[f"{U}-gaps"].load.evidence["pauseCount"] == 2
    assert readings[f"{U}-gaps"].load.evidence["pauseShare"] == pytest.approx((295 + 414) / 1200)
    assert readings[f"{U}-events"].load.evidence["pauseCount"] == 1
    assert readings[f"{U}-events"].load.evidence["pauseShare"] == pytest.approx(60 / 1200)


def test_analysis_switched_off_writes_nothing(db: Database, U: str) -> None:
    """The ingestion hook is a no-op for learners with analysis off, and for others' sessions."""
    with db.session() as s:
        make_learner(s, U, enabled=False)
        make_learner(s, U + "-other")
        add_session(s, U, f"{U}-s1", T0, calm_reviews())
        add_session(s, U + "-other", f"{U}-o1", T0, calm_reviews())
    with db.session() as s:
        assert svc.on_session_activity(s, U, [f"{U}-s1"], now=utcnow()) == []
        assert svc.on_session_activity(s, U + "-other", [f"{U}-s1"], now=utcnow()) == []
        assert svc.on_session_activity(s, U + "-nobody", [f"{U}-o1"], now=utcnow()) == []
    assert _metrics(db, U) == [] and _metrics(db, U + "-other") == []


def test_explicit_calculation_dry_run_and_store(db: Database, U: str) -> None:
    """Explicit data: a dry run stores nothing; a stored overload gets its indicator."""
    data = svc.ExplicitLoadData(
        latencies_ms=(12_000.0,) * 10,
        correct=(False,) * 6 + (True,) * 4,
        pause_count=4,
        pause_seconds=600.0,
        performance_scores=(90.0, 80.0, 40.0, 20.0),
        duration_minutes=60.0,
        baseline_latency_ms=6000.0,
        optimal_session_minutes=30.0,
    )
    with db.session() as s:
        make_learner(s, U)
    with db.session() as s:
        learner = analysis_learner(s, U)
        dry = svc.calculate_load(s, learner, data, timestamp=T0, now=utcnow(), dry_run=True)
    assert dry.metric_id is None and dry.load.overloaded and _metrics(db, U) == []
    with db.session() as s:
        learner = analysis_learner(s, U)
        stored = svc.calculate_load(s, learner, data, timestamp=T0, now=utcnow())
    assert stored.metric_id is not None
    assert stored.load.load_score == pytest.approx(dry.load.load_score)
    assert len(_metrics(db, U)) == 1
    (indicator,) = _overloads(db, U)
    assert indicator.learningObjectiveId == svc.NO_OBJECTIVE_ID


def test_current_load_and_history_in_the_learners_zone(db: Database, U: str) -> None:
    """Current = latest reading with trend; history buckets by local day (Tokyo, UTC+9)."""
    with db.session() as s:
        make_learner(s, U, timezone="Asia/Tokyo")
        add_metric(s, U, None, datetime(2026, 3, 1, 14, 0), 30.0)  # local 03-01 23:00
        add_metric(s, U, None, datetime(2026, 3, 1, 16, 0), 50.0)  # local 03-02 01:00
        add_metric(s, U, None, datetime(2026, 3, 1, 17, 0), 70.0)  # local 03-02 02:00
    with db.session() as s:
        current = svc.current_load(s, U)
        learner = analysis_learner(s, U)
        history = svc.load_history(
            s,
            learner,
            datetime(2026, 2, 28, tzinfo=UTC),
            datetime(2026, 3, 3, tzinfo=UTC),
            Granularity.DAY,
        )
    assert current.current is not None and current.current.load_score == 70.0
    assert current.trend is not None and current.trend.direction.value == "INCREASING"
    assert [(b.start.date().isoformat(), b.count, b.mean_load) for b in history.buckets] == [
        ("2026-03-01", 1, 30.0),
        ("2026-03-02", 2, 60.0),
    ]


def test_burnout_assessment_is_stored_with_factors_signals_and_override(
    db: Database, U: str
) -> None:
    """A fortnight of long, overloaded days with skipped plans and falling performance: HIGH+."""
    first = datetime(2026, 3, 1)
    perf = [90 - 4 * i for i in range(14)]
    with db.session() as s:
        make_learner(s, U)
        add_loaded_days(s, U, first, 14, load=75.0, minutes=240, performance=perf)
        for i in range(0, 14, 3):
            add_mission(s, U, f"{U}-m{i}", first + timedelta(days=i), MissionStatus.SKIPPED)
    now = first + timedelta(days=13, hours=23)
    with db.session() as s:
        view = svc.assess_burnout(s, analysis_learner(s, U), now)
    assert view.assessment_id is not None and view.level.value in {"HIGH", "CRITICAL"}
    body = BurnoutOut.model_validate(view).model_dump(mode="json")
    assert body["missionOverride"] is not None and body["missionOverride"]["reviewOnly"]
    assert body["window"] == {
        "start": "2026-03-01",
        "end": "2026-03-14",
        "coveredDays": 14,
        "insufficient": None,
    }
    with db.session() as s:
        (row,) = s.scalars(
            sa.select(BurnoutRiskAssessment).where(BurnoutRiskAssessment.userId == U)
        ).all()
        assert row.assessmentDate == now
        factors = {f["factor"]: f for f in row.contributingFactors}
        assert set(factors) == {
            "INTENSITY",
            "PERFORMANCE_DECLINE",
            "CHRONIC_LOAD",
            "IRREGULARITY",
            "ENGAGEMENT_DECAY",
            "RECOVERY_DEFICIT",
        }
        assert factors["CHRONIC_LOAD"]["score"] == 100.0
        assert factors["INTENSITY"]["value"] == pytest.approx(28.0)
        signals = {w["type"] for w in row.warningSignals or []}
        assert {"CHRONIC_OVERLOAD", "PERFORMANCE_DROP", "IRREGULAR_PATTERN"} <= signals
        assert row.recommendations
    assert body["recovery"] is None


def test_recovery_is_tracked_between_assessments(db: Database, U: str) -> None:
    """After a week of calm days the next assessment reports IMPROVING against the previous."""
    first = datetime(2026, 3, 1)
    with db.session() as s:
        make_learner(s, U)
        add_loaded_days(s, U, first, 14, load=78.0, minutes=240, performance=[80.0] * 14)
        add_loaded_days(s, U, first + timedelta(days=14), 14, load=20.0, minutes=60, prefix="calm")
    with db.session() as s:
        learner = analysis_learner(s, U)
        before = svc.assess_burnout(s, learner, first + timedelta(days=13, hours=23))
        after = svc.assess_burnout(s, learner, first + timedelta(days=27, hours=23))
    assert before.level.value in {"HIGH", "CRITICAL"}
    assert after.recovery is not None
    assert after.recovery.direction.value == "IMPROVING" and after.recovery.recovered
    assert after.recovery.days_between == 14
    with db.session() as s:
        latest = svc.latest_burnout(s, analysis_learner(s, U))
    assert latest is not None and latest.recovery is not None
    assert latest.assessment_id == after.assessment_id


def test_burnout_reads_the_reference_period_before_the_window(db: Database, U: str) -> None:
    """Issue 14: 28 days at performance 85, then a fortnight flat at 60. Inside the window nothing
    falls; against the 28 days before it the learner is 25 points down, so the decline factor is
    100 (a drop ≥ 20 points) on a sustained basis. Loads stay calm (30) throughout."""
    first = datetime(2026, 3, 1)
    with db.session() as s:
        make_learner(s, U)
        add_loaded_days(s, U, first, 28, load=30.0, minutes=60, performance=[85.0] * 28)
        window_first = first + timedelta(days=28)
        add_loaded_days(
            s, U, window_first, 14, load=30.0, minutes=60, performance=[60.0] * 14, prefix="w"
        )
    with db.session() as s:
        view = svc.assess_burnout(
            s, analysis_learner(s, U), window_first + timedelta(days=13, hours=23)
        )
    body = BurnoutOut.model_validate(view).model_dump(mode="json")
    factors = {f["factor"]: f for f in body["contributingFactors"]}
    decline = factors["PERFORMANCE_DECLINE"]
    assert decline["evidence"]["referenceLevel"] == pytest.approx(85.0)
    assert decline["evidence"]["recentLevel"] == pytest.approx(60.0)
    assert decline["evidence"]["sustainedDropPoints"] == pytest.approx(25.0)
    assert decline["evidence"]["basis"] == "reference"
    assert decline["score"] == 100.0
    assert factors["CHRONIC_LOAD"]["score"] == 0.0


def test_burnout_risk_reassesses_only_after_24_hours(db: Database, U: str) -> None:
    with db.session() as s:
        make_learner(s, U)
        add_loaded_days(s, U, datetime(2026, 3, 1), 10, load=40.0, minutes=60)
    now = datetime(2026, 3, 11, 12)
    with db.session() as s:
        first = svc.burnout_risk(s, analysis_learner(s, U), now)
    with db.session() as s:
        again = svc.burnout_risk(s, analysis_learner(s, U), now + timedelta(hours=23))
        later = svc.burnout_risk(s, analysis_learner(s, U), now + timedelta(hours=25))
    assert first.fresh and not again.fresh and later.fresh
    assert again.assessment_id == first.assessment_id != later.assessment_id


def test_burnout_for_a_learner_without_data_is_not_stored(db: Database, U: str) -> None:
    with db.session() as s:
        make_learner(s, U)
    with db.session() as s:
        view = svc.burnout_risk(s, analysis_learner(s, U), T0)
    assert view.assessment_id is None and view.level.value == "LOW"
    assert view.window["insufficient"] == {"days": {"have": 0, "need": 7}}
    with db.session() as s:
        assert not s.scalars(
            sa.select(BurnoutRiskAssessment).where(BurnoutRiskAssessment.userId == U)
        ).all()


def test_daily_assessment_runs_once_per_local_day_and_respects_the_lock(
    db: Database, U: str
) -> None:
    """The job's assessment: yesterday's window; skipped when done today or locked elsewhere."""
    with db.session() as s:
        make_learner(s, U, timezone="Asia/Tokyo")
        add_loaded_days(s, U, datetime(2026, 3, 1), 10, load=40.0, minutes=60)
    tick = datetime(2026, 3, 10, 19, 0)  # 04:00 on 03-11 in Tokyo
    holding = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        with db.session() as s:
            lock_learner(s, LearnerLock.BURNOUT_ASSESSMENT, U)
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    holding.wait(10)
    try:
        with db.session() as s:
            assert svc.daily_burnout_assessment(s, analysis_learner(s, U), tick) == "locked"
    finally:
        release.set()
        holder.join()
    with db.session() as s:
        assert svc.daily_burnout_assessment(s, analysis_learner(s, U), tick) == "assessed"
    with db.session() as s:
        learner = analysis_learner(s, U)
        later = tick + timedelta(hours=4)
        assert svc.daily_burnout_assessment(s, learner, later) == "already_assessed"
        view = svc.latest_burnout(s, learner)
    assert view is not None and view.window["end"] == "2026-03-10"


def test_daily_assessment_backfills_missing_session_loads(db: Database, U: str) -> None:
    """Sessions ingested without the live hook get their loads before the assessment."""
    with db.session() as s:
        make_learner(s, U)
        for i in range(5):
            add_session(
                s, U, f"{U}-s{i}", datetime(2026, 3, 1 + i, 9), calm_reviews(10), duration_min=20
            )
    with db.session() as s:
        assert svc.daily_burnout_assessment(s, analysis_learner(s, U), datetime(2026, 3, 7)) == (
            "assessed"
        )
    assert {m.sessionId for m in _metrics(db, U)} == {f"{U}-s{i}" for i in range(5)}


def test_stress_patterns_and_profile_are_stored_and_kept_current(db: Database, U: str) -> None:
    """A topic with loads above 65 becomes a TOPIC_SPECIFIC pattern; the profile gets its fields."""
    with db.session() as s:
        make_learner(s, U)
        for i in range(8):
            start = datetime(2026, 3, 1 + i, 9)
            hard = i % 2 == 0
            add_session(
                s,
                U,
                f"{U}-s{i}",
                start,
                calm_reviews(4) if not hard else strained_reviews(4, card="B1"),
                duration_min=30,
                ended={"performance": 50 if hard else 85},
            )
            add_metric(
                s, U, f"{U}-s{i}", start + timedelta(minutes=30), (78.0 + i) if hard else (24.0 + i)
            )
    now = datetime(2026, 3, 10)
    with db.session() as s:
        learner = analysis_learner(s, U)
        analysis = svc.refresh_stress(s, learner, now)
    kinds = {(p.type.value, tuple(p.trigger.items())) for p in analysis.patterns.patterns}
    assert ("TOPIC_SPECIFIC", (("topicId", f"{U}-oB"),)) in kinds
    with db.session() as s:
        rows = s.scalars(
            sa.select(StressResponsePattern).where(StressResponsePattern.userId == U)
        ).all()
        first_ids = {r.id for r in rows}
        assert rows and all(r.confidence >= 0.6 for r in rows)
        profile = s.scalars(
            sa.select(LearnerLoadProfile).where(LearnerLoadProfile.userId == U)
        ).one()
        assert profile.loadTolerance is not None and profile.stressAnalyzedAt == now
        assert profile.details["sessions"] == 8
    with db.session() as s:
        svc.refresh_stress(s, analysis_learner(s, U), now + timedelta(hours=1))
        rows = s.scalars(
            sa.select(StressResponsePattern).where(StressResponsePattern.userId == U)
        ).all()
        assert {r.id for r in rows} == first_ids  # updated in place, not duplicated
        s.execute(
            sa.update(CognitiveLoadMetric)
            .where(CognitiveLoadMetric.userId == U)
            .values(loadScore=30.0)
        )
    with db.session() as s:
        svc.refresh_stress(s, analysis_learner(s, U), now + timedelta(hours=2))
        assert (
            s.scalars(
                sa.select(StressResponsePattern).where(StressResponsePattern.userId == U)
            ).all()
            == []
        )


def test_stress_profile_of_a_learner_without_data(db: Database, U: str) -> None:
    with db.session() as s:
        make_learner(s, U)
    with db.session() as s:
        learner = analysis_learner(s, U)
        profile = StressProfileOut.model_validate(
            svc.stress_profile_view(s, learner, T0)
        ).model_dump(mode="json")
        patterns = StressPatternsOut.model_validate(svc.stress_patterns(s, learner, T0)).model_dump(
            mode="json"
        )
    assert profile["primaryStressors"] == [] and profile["loadTolerance"] is None
    assert profile["insufficient"] == {"sessions": {"have": 0, "need": 5}}
    assert patterns["patterns"] == []
    assert patterns["insufficient"] == {"sessions": {"have": 0, "need": 6}}


def test_touched_session_ids_of_ingested_batches() -> None:
    """Sessions, reviews and SESSION_ENDED events name the sessions whose load may change."""
    assert svc.touched_session_ids("sessions", [{"id": "b"}, {"id": "a"}]) == ["a", "b"]
    assert svc.touched_session_ids("reviews", [{"sessionId": "a"}, {"sessionId": None}]) == ["a"]
    events = [
        {"eventType": "SESSION_ENDED", "eventData": {"sessionId": "a"}},
        {"eventType": "CARD_REVIEWED", "eventData": {"sessionId": "b"}},
        {"eventType": "SESSION_ENDED", "eventData": "not an object"},
    ]
    assert svc.touched_session_ids("events", events) == ["a"]
    assert svc.touched_session_ids("cards", [{"id": "x", "sessionId": "y"}]) == []


def test_ingested_batches_update_the_load(db: Database, U: str) -> None:
    """Through the ingestion service: a session and its reviews, then the hook stores the load."""
    with db.session() as s:
        make_learner(s, U)
    session = {"id": f"{U}-live", "startedAt": "2026-03-02T09:00:00Z"}
    reviews = [
        {
            "id": f"{U}-live-r{i}",
            "cardId": f"{U}-kB0",
            "sessionId": f"{U}-live",
            "rating": "AGAIN" if i % 2 else "GOOD",
            "timeSpentMs": 9000,
            "reviewedAt": f"2026-03-02T09:{i + 1:02d}:00Z",
        }
        for i in range(6)
    ]
    ingest_service.ingest_batch(db, U, "sessions", [session], now=utcnow())
    assert (
        svc.on_batch_ingested(db, U, "sessions", [session], now=utcnow()) == []
    )  # nothing to measure yet
    ingest_service.ingest_batch(db, U, "reviews", reviews, now=utcnow())
    (reading,) = svc.on_batch_ingested(db, U, "reviews", reviews, now=utcnow())
    assert reading.load.evidence["responses"] == 6 and reading.objective_id == f"{U}-oB"
    assert [m.timestamp for m in _metrics(db, U)] == [datetime(2026, 3, 2, 9, 6)]
    assert svc.on_batch_ingested(db, U, "cards", [{"id": "x"}], now=utcnow()) == []
