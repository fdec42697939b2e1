"""The pattern service on a simulated cohort: round trip through the database, lifecycle, gates."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
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
from twin.analysis.insights.articles import PLACEHOLDERS
from twin.analysis.patterns.memory_curve import SOURCE_FITTED
from twin.analysis.patterns.study_time import analyze_study_time
from twin.analysis.recall import MIN_REVIEWS_FOR_FIT
from twin.api.schemas.patterns import AnalyzeOut
from twin.db.engine import Database
from twin.db.models import BehavioralPattern
from twin.enums import BehavioralPatternType
from twin.errors import Conflict, Forbidden, NotFound
from twin.ingest.revlog import import_revlog
from twin.learners import LearnerLock, analysis_learner
from twin.services import patterns as ps
from twin.services import recall as recall_service
from twin.services.insights.articles import twin_snapshot
from twin.services.learners import get_user

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

__all__ = ["cohort_db", "cohort_module_db"]  # fixtures used here

L0, L1 = learner(0), learner(1)
# The learner with stored patterns at END (a 20:00 chronotype: study time, peak, forgetting);
# learner 0 has no hour effect and, since the forgetting curve is fitted on first repeats
# only (wider intervals), no pattern at the 0.6 saving threshold.
RICH = L1


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
    outcome = _analyze(cohort_db, RICH, END)
    assert outcome.status == ps.STATUS_ANALYZED and outcome.analysis is not None
    stored = _patterns(cohort_db, RICH)
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
        u=RICH,
    )
    assert 0 < len(insights) == len(outcome.insight_ids) <= 5
    assert all(i.links >= 1 and i.confidence >= 0.7 for i in insights)
    with cohort_db.session() as session:
        linked = ps.open_insights(session, RICH)
        bare = ps.open_insights(session, RICH, with_patterns=False)
    assert {i.id: len(p) for i, p in linked} == {i.id: i.links for i in insights}
    assert [i.id for i, _p in bare] == [i.id for i, _p in linked]  # same insights, same order
    assert all(p == [] for _i, p in bare)
    profile = rows(cohort_db, 'SELECT * FROM user_learning_profiles WHERE "userId" = :u', u=RICH)[0]
    assert profile.lastAnalyzedAt == naive(END)
    assert profile.dataQualityScore == pytest.approx(outcome.analysis.profile.data_quality_score)
    assert {"R0", "k", "halfLife"} <= set(profile.personalizedForgettingCurve)
    assert sum(profile.contentPreferences.values()) == pytest.approx(1.0, abs=1e-4)
    assert sum(profile.learningStyleProfile.values()) == pytest.approx(1.0, abs=1e-4)
    reviews = count_rows(cohort_db, "reviews", RICH)
    memory = rows(cohort_db, 'SELECT * FROM learner_memory_models WHERE "userId" = :u', u=RICH)
    assert len(memory) == (1 if reviews >= MIN_REVIEWS_FOR_FIT else 0)
    if memory:
        assert memory[0].reviewsUsed == reviews and memory[0].model["fitted"] is True
    summary = AnalyzeOut.model_validate(outcome).model_dump(mode="json")
    assert summary["patterns"]["created"] == outcome.created
    assert summary["sufficiency"]["sufficient"] is True


def test_second_analysis_applies_the_lifecycle(cohort_db: Database) -> None:
    first_at = END - timedelta(days=6)
    first = _analyze(cohort_db, RICH, first_at)
    assert first.status == ps.STATUS_ANALYZED
    before = _patterns(cohort_db, RICH)
    _fake_pattern(cohort_db, RICH, "fake-fades", "hour=03", 0.7, 0)
    _fake_pattern(cohort_db, RICH, "fake-too-low", "hour=04", 0.45, 0)
    _fake_pattern(cohort_db, RICH, "fake-third-miss", "hour=05", 0.9, 2)
    open_before = rows(cohort_db, 'SELECT id FROM behavioral_insights WHERE "userId" = :u', u=RICH)

    new_sessions = scalar(
        cohort_db,
        'SELECT count(*) FROM study_sessions WHERE "userId" = :u AND "startedAt" > :a '
        'AND "startedAt" < :b',
        u=RICH,
        a=naive(first_at),
        b=naive(END),
    )
    assert new_sessions > 0  # only data since the first analysis makes a pattern "seen again"
    second = _analyze(cohort_db, RICH, END)  # more than a day later: allowed without force
    assert second.status == ps.STATUS_ANALYZED
    assert second.analysis is not None and second.analysis.new_data
    after = _patterns(cohort_db, RICH)
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
        u=RICH,
    )
    assert len(links) == len(set(links))
    total = scalar(
        cohort_db, 'SELECT count(*) FROM behavioral_insights WHERE "userId" = :u', u=RICH
    )
    assert total == len(open_before) + len(second.insight_ids)


def test_insufficient_data_is_an_answer_and_stores_nothing(cohort_db: Database) -> None:
    early = START + timedelta(weeks=3)
    outcome = _analyze(cohort_db, L1, early)
    assert outcome.status == ps.STATUS_INSUFFICIENT
    assert outcome.sufficiency is not None and not outcome.sufficiency.sufficient
    missing = outcome.sufficiency.missing
    assert missing["dataSpanDays"]["need"] == 42
    assert missing["dataSpanDays"]["have"] < 21.5
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
    assert _analyze(cohort_db, RICH, END).status == ps.STATUS_ANALYZED
    with pytest.raises(Conflict) as caught:
        _analyze(cohort_db, RICH, END + timedelta(hours=1))
    assert "once a day" in caught.value.message
    # A day after END, written like every timestamp: ISO 8601 UTC with a Z.
    assert caught.value.details["nextAllowedAt"] == iso_utc(END + timedelta(days=1))
    forced = _analyze(cohort_db, RICH, END + timedelta(hours=1), force=True)
    assert forced.status == ps.STATUS_ANALYZED and forced.updated > 0
    later = _analyze(cohort_db, RICH, END + timedelta(days=1, hours=2))
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


# --- issue 14: same data same answer, one content type, the data-span gate ---------------


def _state(db: Database, user: str) -> tuple[object, ...]:
    """Everything an analysis writes that must not change on the same data."""
    patterns = sorted(
        (k, p.confidence, p.occurrenceCount, p.lastSeenAt, p.patternData, list(p.evidence))
        for k, p in _patterns(db, user).items()
    )
    insights = rows(
        db,
        'SELECT "insightType"::text, title, description, confidence FROM behavioral_insights '
        'WHERE "userId" = :u ORDER BY 1, 2',
        u=user,
    )
    profile = rows(
        db,
        'SELECT "preferredStudyTimes", "averageSessionDuration", "optimalSessionDuration", '
        '"contentPreferences", "learningStyleProfile", "personalizedForgettingCurve", '
        '"dataQualityScore" FROM user_learning_profiles WHERE "userId" = :u',
        u=user,
    )
    return patterns, [tuple(r) for r in insights], [tuple(r) for r in profile]


def test_forced_reanalysis_of_unchanged_data_gives_the_same_answer(cohort_db: Database) -> None:
    """The source raised ATTENTION_CYCLE 0.76 → 0.86 → 0.91 → 0.95 on forced re-runs of the same
    data; here three forced re-runs leave patterns, insights and profile exactly as the first."""
    assert _analyze(cohort_db, RICH, END).status == ps.STATUS_ANALYZED
    first = _state(cohort_db, RICH)
    assert first[0], "the learner should have patterns"
    for hours in (1, 2, 3):
        again = _analyze(cohort_db, RICH, END + timedelta(hours=hours), force=True)
        assert again.status == ps.STATUS_ANALYZED and again.analysis is not None
        assert not again.analysis.new_data and again.created == 0 and not again.insight_ids
        assert _state(cohort_db, RICH) == first


def _revlog(cards: int, days: int, seed: int = 3) -> str:
    """A flashcard-only review log: one session a day, every card reviewed every few days."""
    rng = np.random.default_rng(seed)
    lines = ["card_id,review_rating,review_time,review_duration"]
    t0 = datetime(2025, 1, 6, 8, tzinfo=UTC)
    for day in range(days):
        for c in range(cards):
            if (c + day) % 4:
                continue
            at = t0 + timedelta(days=day, minutes=int(c))
            rating = int(rng.choice([1, 3, 3, 3, 4]))
            lines.append(f"{c},{rating},{at.isoformat().replace('+00:00', 'Z')},6000")
    return "\n".join(lines) + "\n"


def test_one_content_type_is_insufficient_not_a_flat_25_percent(cohort_db: Database) -> None:
    """A flashcards-only learner (as the real log) gets no content preference or learning style:
    empty, with 'insufficient: one content type' — not 25% each for formats never used."""
    import_revlog(cohort_db, io.StringIO(_revlog(cards=40, days=60)), "flash-only")
    outcome = _analyze(cohort_db, "flash-only", datetime(2025, 3, 20, tzinfo=UTC))
    assert outcome.status == ps.STATUS_ANALYZED and outcome.analysis is not None
    assert outcome.analysis.insufficient["contentPreference"] == {
        "contentTypesUsed": {"have": 1, "need": 2}
    }
    assert any("one content type (flashcard)" in n for n in outcome.analysis.notes)
    profile = rows(
        cohort_db, 'SELECT * FROM user_learning_profiles WHERE "userId" = :u', u="flash-only"
    )[0]
    assert profile.contentPreferences == {} and profile.learningStyleProfile == {}
    assert "CONTENT_TYPE_PREFERENCE" not in {k[0] for k in _patterns(cohort_db, "flash-only")}


def test_the_minimum_data_gate_measures_the_data_span(cohort_db: Database) -> None:
    """One review, analysed 1,071 days later: a span of 0 days, not 'met' (the source said 1,071
    days since the first session); a 60-day log analysed years later has a span of ~59 days."""
    one = "card_id,review_rating,review_time,review_duration\n1,3,2023-01-10T10:00:00Z,5000\n"
    import_revlog(cohort_db, io.StringIO(one), "one-review")
    later = datetime(2023, 1, 10, 10, tzinfo=UTC) + timedelta(days=1_071)
    with cohort_db.session() as session:
        counts = ps.data_counts(session, "one-review", later)
    suff = counts.sufficiency(later, requested=False, forced=False)
    assert suff.minimums["dataSpanDays"]["have"] == 0.0 and not suff.met["dataSpanDays"]
    import_revlog(cohort_db, io.StringIO(_revlog(cards=8, days=60)), "old-log")
    years = datetime(2028, 1, 1, tzinfo=UTC)
    with cohort_db.session() as session:
        span = ps.data_counts(session, "old-log", years).sufficiency(
            years, requested=False, forced=False
        )
    assert 58.0 <= span.minimums["dataSpanDays"]["have"] <= 60.0 and span.met["dataSpanDays"]


def test_articles_quote_the_learner_facing_curve_they_read(cohort_db: Database) -> None:
    """The insights articles read the stored profile: a fitted learner-facing curve counts as
    fitted (its source is ``newCardCurve``, not the ENGINE exponential's ``fitted``), and the
    half-life and count they quote are that curve's (its first repeats), not the exponential's
    review count, which lives under ``exponentialFit`` since issue 14."""
    assert _analyze(cohort_db, RICH, END).status == ps.STATUS_ANALYZED
    (curve,) = rows(
        cohort_db,
        'SELECT "personalizedForgettingCurve" FROM user_learning_profiles WHERE "userId" = :u',
        u=RICH,
    )[0]
    assert curve["source"] == SOURCE_FITTED and curve["firstRepeats"] > 0
    assert curve["firstRepeats"] != curve["exponentialFit"]["reviews"]
    with cohort_db.session() as session:
        snap = twin_snapshot(session, analysis_learner(session, RICH), END)
    assert snap.first_repeats == curve["firstRepeats"]
    assert snap.half_life_days == pytest.approx(curve["halfLife"])
    text = PLACEHOLDERS["your_forgetting_curve"].render(snap)
    assert f"Fitted on your {curve['firstRepeats']} first repeats" in text
    assert f"your half-life is {curve['halfLife']:.1f} days" in text
