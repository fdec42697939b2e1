"""The pattern service on a simulated cohort: round trip through the database, lifecycle, gates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.services.patterns_support import (
    END,
    START,
    cohort_db,
    cohort_module_db,
    count_rows,
    execute,
    learner,
    naive,
    rows,
    scalar,
)
from twin.analysis.common import aware_utc, iso_utc
from twin.analysis.patterns.study_time import analyze_study_time
from twin.analysis.recall import MIN_REVIEWS_FOR_FIT
from twin.api.schemas.patterns import AnalyzeOut
from twin.db.engine import Database
from twin.db.models import BehavioralPattern
from twin.enums import BehavioralPatternType
from twin.errors import Conflict, Forbidden, NotFound
from twin.learners import LearnerLock
from twin.services import patterns as ps
from twin.services import recall as recall_service
from twin.services.learners import get_user

__all__ = ["cohort_db", "cohort_module_db"]  # fixtures used here

L0, L1 = learner(0), learner(1)


def _analyze(db: Database, user: str, now: datetime, **kw: object) -> ps.AnalysisOutcome:
    with db.session() as session:
        return ps.analyze_user(session, user, now=now, **kw)  # type: ignore[arg-type]


def _patterns(db: Database, user: str) -> dict[tuple[str, str], BehavioralPattern]:
    with db.session() as session:
        found = session.scalars(
            sa.select(BehavioralPattern).where(BehavioralPattern.userId == user)
        )
        return {(p.patternType.value, p.patternData["key"]): p for p in found}


def _fake_pattern(
    db: Database, user: str, pid: str, key: str, confidence: float, misses: int
) -> None:
    with db.session() as session:
        session.add(
            BehavioralPattern(
                id=pid,
                userId=user,
                patternType=BehavioralPatternType.OPTIMAL_STUDY_TIME,
                patternData={"key": key, "consecutiveMisses": misses, "hour": 3},
                confidence=confidence,
                occurrenceCount=4,
                firstDetectedAt=naive(START),
                lastSeenAt=naive(START),
                patternName="a stale hour",
            )
        )


def test_round_trip_stores_patterns_insights_and_profile(cohort_db: Database) -> None:
    outcome = _analyze(cohort_db, L0, END)
    assert outcome.status == ps.STATUS_ANALYZED and outcome.analysis is not None
    stored = _patterns(cohort_db, L0)
    assert len(stored) == outcome.created > 0
    for (_type, key), p in stored.items():
        assert p.patternData["consecutiveMisses"] == 0 and key
        assert p.occurrenceCount == 1 and 0.6 <= p.confidence <= 0.95
        assert p.firstDetectedAt == p.lastSeenAt == naive(END)
        assert p.evidence and p.patternName
    insights = rows(
        cohort_db,
        "SELECT i.id, i.confidence, count(ip.id) AS links FROM behavioral_insights i "
        'LEFT JOIN insight_patterns ip ON ip."insightId" = i.id WHERE i."userId" = :u GROUP BY i.id',
        u=L0,
    )
    assert 0 < len(insights) == len(outcome.insight_ids) <= 5
    assert all(i.links >= 1 and i.confidence >= 0.7 for i in insights)
    with cohort_db.session() as session:
        linked = ps.open_insights(session, L0)
        bare = ps.open_insights(session, L0, with_patterns=False)
    assert {i.id: len(p) for i, p in linked} == {i.id: i.links for i in insights}
    assert [i.id for i, _p in bare] == [i.id for i, _p in linked]  # same insights, same order
    assert all(p == [] for _i, p in bare)
    profile = rows(cohort_db, 'SELECT * FROM user_learning_profiles WHERE "userId" = :u', u=L0)[0]
    assert profile.lastAnalyzedAt == naive(END)
    assert profile.dataQualityScore == pytest.approx(outcome.analysis.profile.data_quality_score)
    assert {"R0", "k", "halfLife"} <= set(profile.personalizedForgettingCurve)
    assert sum(profile.contentPreferences.values()) == pytest.approx(1.0, abs=1e-4)
    assert sum(profile.learningStyleProfile.values()) == pytest.approx(1.0, abs=1e-4)
    reviews = count_rows(cohort_db, "reviews", L0)
    memory = rows(cohort_db, 'SELECT * FROM learner_memory_models WHERE "userId" = :u', u=L0)
    assert len(memory) == (1 if reviews >= MIN_REVIEWS_FOR_FIT else 0)
    if memory:
        assert memory[0].reviewsUsed == reviews and memory[0].model["fitted"] is True
    summary = AnalyzeOut.model_validate(outcome).model_dump(mode="json")
    assert summary["patterns"]["created"] == outcome.created
    assert summary["sufficiency"]["sufficient"] is True


def test_second_analysis_applies_the_lifecycle(cohort_db: Database) -> None:
    first_at = END - timedelta(days=2)
    first = _analyze(cohort_db, L0, first_at)
    assert first.status == ps.STATUS_ANALYZED
    before = _patterns(cohort_db, L0)
    _fake_pattern(cohort_db, L0, "fake-fades", "hour=03", 0.7, 0)
    _fake_pattern(cohort_db, L0, "fake-too-low", "hour=04", 0.45, 0)
    _fake_pattern(cohort_db, L0, "fake-third-miss", "hour=05", 0.9, 2)
    open_before = rows(cohort_db, 'SELECT id FROM behavioral_insights WHERE "userId" = :u', u=L0)

    second = _analyze(cohort_db, L0, END)  # more than a day later: allowed without force
    assert second.status == ps.STATUS_ANALYZED
    after = _patterns(cohort_db, L0)
    seen_again = [k for k in before if k in after]
    assert seen_again, "the same learner's patterns should be detected again"
    for k in seen_again:
        assert after[k].occurrenceCount == 2
        assert after[k].confidence == pytest.approx(min(0.95, before[k].confidence + 0.05))
        assert after[k].lastSeenAt == naive(END)
        assert after[k].firstDetectedAt == naive(first_at)
    fades = after[("OPTIMAL_STUDY_TIME", "hour=03")]
    assert fades.confidence == pytest.approx(0.6)
    assert fades.patternData["consecutiveMisses"] == 1 and fades.lastSeenAt == naive(START)
    assert ("OPTIMAL_STUDY_TIME", "hour=04") not in after  # 0.35 < 0.4
    assert ("OPTIMAL_STUDY_TIME", "hour=05") not in after  # third miss
    # No duplicate of an unacknowledged insight: each (insight type, pattern) once.
    links = rows(
        cohort_db,
        'SELECT i."insightType", ip."patternId" FROM behavioral_insights i '
        'JOIN insight_patterns ip ON ip."insightId" = i.id WHERE i."userId" = :u',
        u=L0,
    )
    assert len(links) == len(set(links))
    total = scalar(cohort_db, 'SELECT count(*) FROM behavioral_insights WHERE "userId" = :u', u=L0)
    assert total == len(open_before) + len(second.insight_ids)


def test_insufficient_data_is_an_answer_and_stores_nothing(cohort_db: Database) -> None:
    early = START + timedelta(weeks=3)
    outcome = _analyze(cohort_db, L1, early)
    assert outcome.status == ps.STATUS_INSUFFICIENT
    assert outcome.sufficiency is not None and not outcome.sufficiency.sufficient
    missing = outcome.sufficiency.missing
    assert missing["daysSinceFirstSession"]["need"] == 42
    assert missing["daysSinceFirstSession"]["have"] < 21.5
    for table in ("behavioral_patterns", "behavioral_insights", "user_learning_profiles"):
        assert count_rows(cohort_db, table, L1) == 0
    with cohort_db.session() as session:
        view = ps.learning_profile(session, L1, early)
    assert view.status == ps.STATUS_INSUFFICIENT and view.profile is None
    assert 0 < view.sufficiency.progress < 1


def test_analysis_off_is_forbidden_and_skipped_by_schedule(cohort_db: Database) -> None:
    execute(cohort_db, 'UPDATE users SET "behavioralAnalysisEnabled" = false WHERE id = :u', u=L0)
    with pytest.raises(Forbidden, match="switched off"):
        _analyze(cohort_db, L0, END)
    skipped = _analyze(cohort_db, L0, END, trigger=ps.TRIGGER_SCHEDULED)
    assert skipped.status == ps.STATUS_SKIPPED
    assert count_rows(cohort_db, "user_learning_profiles", L0) == 0
    with pytest.raises(NotFound):
        _analyze(cohort_db, "nobody", END)


def test_style_profiling_off_stores_no_style_profile(cohort_db: Database) -> None:
    execute(
        cohort_db, 'UPDATE users SET "learningStyleProfilingEnabled" = false WHERE id = :u', u=L0
    )
    with cohort_db.session() as session:
        session.add(
            BehavioralPattern(
                id="old-content",
                userId=L0,
                patternType=BehavioralPatternType.CONTENT_TYPE_PREFERENCE,
                patternData={"key": "dominant=lecture"},
                confidence=0.9,
            )
        )
    outcome = _analyze(cohort_db, L0, END)
    assert outcome.status == ps.STATUS_ANALYZED and outcome.analysis is not None
    assert outcome.analysis.content is None
    profile = rows(cohort_db, 'SELECT * FROM user_learning_profiles WHERE "userId" = :u', u=L0)[0]
    assert profile.contentPreferences == {} and profile.learningStyleProfile == {}
    kinds = {k[0] for k in _patterns(cohort_db, L0)}
    assert "CONTENT_TYPE_PREFERENCE" not in kinds
    assert "contentPreference" not in outcome.analysis.analyser_confidences


def test_once_a_day_on_request_unless_forced(cohort_db: Database) -> None:
    assert _analyze(cohort_db, L0, END).status == ps.STATUS_ANALYZED
    with pytest.raises(Conflict) as caught:
        _analyze(cohort_db, L0, END + timedelta(hours=1))
    assert "once a day" in caught.value.message
    # A day after END, written like every timestamp: ISO 8601 UTC with a Z.
    assert caught.value.details["nextAllowedAt"] == iso_utc(END + timedelta(days=1))
    forced = _analyze(cohort_db, L0, END + timedelta(hours=1), force=True)
    assert forced.status == ps.STATUS_ANALYZED and forced.updated > 0
    later = _analyze(cohort_db, L0, END + timedelta(days=1, hours=2))
    assert later.status == ps.STATUS_ANALYZED


def test_a_running_analysis_blocks_a_second_one(cohort_db: Database) -> None:
    with cohort_db.engine.connect() as holder:
        assert holder.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:c, hashtext(:u))"),
            {"c": int(LearnerLock.PATTERN_ANALYSIS), "u": L0},
        ).scalar_one()
        with pytest.raises(Conflict, match="already running"):
            _analyze(cohort_db, L0, END)
        skipped = _analyze(cohort_db, L0, END, trigger=ps.TRIGGER_SCHEDULED)
        assert skipped.status == ps.STATUS_SKIPPED and "running" in (skipped.reason or "")
        holder.rollback()
    assert _analyze(cohort_db, L0, END).status == ps.STATUS_ANALYZED


def test_loader_reads_local_times_and_content_types(cohort_db: Database) -> None:
    zone_name = scalar(cohort_db, "SELECT timezone FROM users WHERE id = :u", u=L1)
    with cohort_db.session() as session:
        user = get_user(session, L1)
        loaded = ps.load_learner_data(session, user, END)
    data = loaded.data
    starts = dict(
        rows(
            cohort_db,
            'SELECT id, "startedAt" FROM study_sessions WHERE "userId" = :u '
            'AND "completedAt" IS NOT NULL',
            u=L1,
        )
    )
    assert len(data.sessions) == len(starts) > 20
    zone = ZoneInfo(zone_name)
    for s in data.sessions:
        local = starts[s.session_id].replace(tzinfo=UTC).astimezone(zone)
        assert (s.hour, s.weekday) == (local.hour, local.weekday())
        assert 0 <= s.performance <= 100 and s.reviews
    primary = dict(
        rows(
            cohort_db,
            'SELECT "eventData"->>\'sessionId\', "contentType" FROM behavioral_events '
            'WHERE "userId" = :u AND "eventType" = \'SESSION_STARTED\'',
            u=L1,
        )
    )
    assert loaded.primary_types == {k: v for k, v in primary.items() if k in loaded.primary_types}
    assert sum(c.items for c in data.content) == len(loaded.primary_types)
    assert data.review_count == count_rows(cohort_db, "reviews", L1)
    assert len(data.reviews) < data.review_count  # first reviews of a card are not repeats
    assert all(r.elapsed_days > 0 for r in data.reviews)


def test_card_recall_uses_the_learners_model(cohort_db: Database) -> None:
    _analyze(cohort_db, L0, END)
    card = scalar(
        cohort_db,
        'SELECT "cardId" FROM reviews WHERE "userId" = :u GROUP BY "cardId" '
        'ORDER BY count(*) DESC, "cardId" LIMIT 1',
        u=L0,
    )
    other = scalar(cohort_db, 'SELECT "cardId" FROM reviews WHERE "userId" = :u LIMIT 1', u=L1)
    with cohort_db.session() as session:
        user = get_user(session, L0)
        result = recall_service.card_recall(session, user, card, END)
        earlier = recall_service.card_recall(session, user, card, START)
        with pytest.raises(NotFound):
            recall_service.card_recall(session, user, other, END)
    assert 0.0 < result.recall_probability < 1.0
    assert result.model.model.fitted and result.reviews_before > 1
    assert result.last_reviewed_at is not None and result.last_reviewed_at < END
    assert earlier.recall_probability == 0.0 and earlier.reviews_before == 0
    execute(cohort_db, 'UPDATE users SET "behavioralAnalysisEnabled" = false WHERE id = :u', u=L0)
    with cohort_db.session() as session:
        off = recall_service.card_recall(session, get_user(session, L0), card, END)
    assert not off.model.model.fitted and off.model.source == "default"


def test_heatmap_is_the_study_time_analysis_of_the_window_sessions(cohort_db: Database) -> None:
    """The heatmap reads sessions only (no repeat reviews, content or counts) and answers what
    the full loader's sessions of its window give: the same grid and optimal hours."""
    weeks = 3
    with cohort_db.session() as session:
        user = get_user(session, L1)
        view = ps.study_time_heatmap(session, user, END, weeks)
        everything = ps.load_learner_data(session, user, END).data.sessions
    since = aware_utc(END) - timedelta(weeks=weeks)
    window = [s for s in everything if s.started_at >= since]
    assert 0 < len(window) < len(everything)  # the window cuts the history
    assert view.sessions == len(window)
    assert view.study_time == analyze_study_time(window)
