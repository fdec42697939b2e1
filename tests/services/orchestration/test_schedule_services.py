"""The orchestration services over the real database on a hand-built learner (support.py):
what they read (golden values), slots and their stored rows, plans from real items, the
declared-constraint adaptation, effectiveness from stored data, consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.services.orchestration.support import (
    EVENING_HOUR,
    MORNING_HOUR,
    ZONE,
    local,
    make_schedule_learner,
)
from twin.analysis.common import InsufficientData
from twin.analysis.insights.common import SourceKind
from twin.analysis.insights.recommendations import generate_candidates
from twin.analysis.orchestration.adaptation import ConstraintKind, DeclaredConstraint
from twin.analysis.orchestration.effectiveness import OutcomeDifference
from twin.analysis.orchestration.slots import PRIOR_STRENGTH_SESSIONS
from twin.db.engine import Database
from twin.enums import RecommendationType
from twin.errors import Conflict, Forbidden, NotFound
from twin.learners import get_learner
from twin.services.insights import recommendations as recommendation_service
from twin.services.insights.providers import (
    ADHERENCE_FULL_CONFIDENCE_SLOTS,
    ADHERENCE_WINDOW_DAYS,
    ScheduleAdherenceProvider,
    ScheduleSlotProvider,
    gather_sources,
)
from twin.services.orchestration import adaptation, effectiveness, plans, slots
from twin.services.orchestration.content import plan_content
from twin.services.orchestration.loading import schedule_inputs

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

U = "orch-svc"
# A Monday noon (UTC): the learner's history is the 21 days before.
NOW = datetime(2025, 3, 10, 12, 0)
NOW_AWARE = NOW.replace(tzinfo=UTC)


@pytest.fixture
def learner(db: Database) -> str:
    with db.session() as s:
        make_schedule_learner(s, U, NOW)
    return U


def test_schedule_inputs_golden_values(db: Database, learner: str) -> None:
    """Morning sessions score 100 (all GOOD: performance 100, retention 1), evening ones 50 (half
    AGAIN: performance 50, retention 0.5) by 5.1's session score; shrinkage as the formula says."""
    with db.session() as s:
        inputs = schedule_inputs(s, get_learner(s, U), NOW_AWARE)
    assert inputs.sessions_scored == 21 + 10
    # Weekdays among the 21 history days before Monday 03-10: 15 mornings, 5 evenings on even
    # days back that fall on weekdays (back 2, 4, 8, 10, … see support.py).
    morning = inputs.hour_scores.historical("weekday", MORNING_HOUR)
    evening = inputs.hour_scores.historical("weekday", EVENING_HOUR)
    assert morning.own_mean == pytest.approx(100.0) and morning.sessions == 15
    assert evening.own_mean == pytest.approx(50.0)
    k = PRIOR_STRENGTH_SESSIONS
    assert morning.score == pytest.approx((15 * 100 + k * 50) / (15 + k))
    assert inputs.hour_scores.historical("weekday", 12).sessions == 0  # the prior only
    # Recent = since 02-24 12:00 UTC: mornings 1–13 days back (the one 14 days back started
    # at 06:00 UTC, before) and the 7 evenings on even days back 2 … 14.
    assert len(inputs.recent) == 20
    # Last 7 days: mornings 1–6 days back (07:00 Berlin on 03-03 is before 03-03 12:00 UTC)
    # and evenings 2, 4, 6 days back: 9 sessions of 40 minutes = 6 hours.
    assert inputs.timing.study_hours_last_7_days == pytest.approx(6.0)
    assert inputs.item_times.review == pytest.approx(15.0)  # median timeSpentMs 15,000


def test_plan_content_is_the_learners_real_items(db: Database, learner: str) -> None:
    tomorrow_10 = datetime(2025, 3, 11, 10, 0, tzinfo=ZONE)
    with db.session() as s:
        content = plan_content(s, get_learner(s, U), tomorrow_10, 120.0, None, NOW_AWARE)
    assert sorted(c.card_id for c in content.due_cards) == sorted(f"{U}-k{i}" for i in range(10))
    assert all(0.0 < c.recall < 1.0 for c in content.due_cards)
    # Recall falls as stability shrinks relative to the time since the last review.
    recall = {c.card_id: c.recall for c in content.due_cards}
    assert recall[f"{U}-k9"] > recall[f"{U}-k0"]
    assert [c.card_id for c in content.new_cards] == [f"{U}-n{i}" for i in range(5)]
    assert content.mission is not None and content.mission.mission_id == f"{U}-m"
    assert [v.objective_id for v in content.validations] == [f"{U}-oA", f"{U}-oB"]
    (struggle,) = content.struggles
    assert struggle.objective_id == f"{U}-oA" and struggle.probability == pytest.approx(0.8)
    assert [i.value for i in struggle.interventions] == ["PREREQUISITE_REVIEW"]
    assert content.complexity.value == "ADVANCED"


def test_plan_for_the_mission_day_is_persisted_with_its_reasons(db: Database, learner: str) -> None:
    start = datetime(2025, 3, 11, 10, 0, tzinfo=ZONE)
    with db.session() as s:
        plan = plans.create_plan(s, U, start, NOW_AWARE)
    kinds = [it["kind"] for it in plan.items]
    assert {"REVIEW", "INTERVENTION", "OBJECTIVE", "VALIDATION"} <= set(kinds)
    intervention = next(it for it in plan.items if it["kind"] == "INTERVENTION")
    assert intervention["phase"] == "PEAK" or intervention["phase"] == "WARM_UP"
    assert plan.mission_id == f"{U}-m"
    # ADVANCED mission: 45 (default optimal) + 15; no optimal window known (× 1).
    d = plan.reasons["duration"]
    assert d["optimalMinutes"] == 45 and d["complexityOffsetMinutes"] == 15
    assert plan.duration_minutes == d["minutes"]
    assert plan.planned_start == start
    with db.engine.connect() as conn:
        mission = conn.execute(
            sa.text(
                'SELECT "recommendedStartTime", "recommendedDuration" FROM missions WHERE id = :m'
            ),
            {"m": f"{U}-m"},
        ).one()
        placed = conn.execute(
            sa.text('SELECT status, "calendarUid" FROM planned_sessions WHERE "planId" = :p'),
            {"p": plan.id},
        ).one()
    assert mission.recommendedStartTime == start.astimezone(UTC).replace(tzinfo=None)
    assert mission.recommendedDuration == plan.duration_minutes
    assert placed.status == "PLANNED" and placed.calendarUid == f"{plan.id}@twin-engine"
    # Another plan overlapping this one cannot be made: the schedule is busy there.
    with db.session() as s, pytest.raises(Conflict):
        plans.create_plan(s, U, start + timedelta(minutes=15), NOW_AWARE)


def test_slots_prefer_the_learners_good_hour_and_rows_follow_the_offer(
    db: Database, learner: str
) -> None:
    with db.session() as s:
        answer = slots.recommend(s, U, NOW_AWARE, days=7)
    top = answer.slots[0]
    assert top.start.astimezone(ZONE).hour == MORNING_HOUR
    assert top.reasons["historicalOwnMean"] == 100.0
    assert len({s.start.astimezone(ZONE).date() for s in answer.slots}) == len(answer.slots) or all(
        sum(1 for x in answer.slots if x.local_date == d.local_date) <= 2 for d in answer.slots
    )
    with db.session() as s:
        accepted = slots.accept(s, U, top.id, NOW_AWARE)
    assert accepted.plan.slot_id == top.id
    # A new offer with another length replaces the pending rows; the accepted row stays.
    with db.session() as s:
        again = slots.recommend(s, U, NOW_AWARE, days=7, duration_minutes=30)
    assert top.id not in {x.id for x in again.slots}
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT id, "appliedAt" IS NOT NULL FROM study_schedule_recommendations '
                'WHERE "userId" = :u'
            ),
            {"u": U},
        ).all()
    assert {r[0] for r in rows} == {top.id} | {x.id for x in again.slots}
    assert dict(rows)[top.id] is True
    # The same offer again keeps its rows (same ids); a stored row whose content differs
    # from the new offer's is rewritten in place (same id, the offer's score).
    first = again.slots[0]
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                'UPDATE study_schedule_recommendations SET "recommendedSchedule" = '
                '"recommendedSchedule" || \'{"score": -1}\'::jsonb WHERE id = :id'
            ),
            {"id": first.id},
        )
    with db.session() as s:
        third = slots.recommend(s, U, NOW_AWARE, days=7, duration_minutes=30)
    assert [x.id for x in third.slots] == [x.id for x in again.slots]
    with db.engine.connect() as conn:
        score = conn.execute(
            sa.text(
                "SELECT \"recommendedSchedule\"->>'score' FROM study_schedule_recommendations "
                "WHERE id = :id"
            ),
            {"id": first.id},
        ).scalar_one()
    assert float(score) == pytest.approx(first.score, abs=1e-6)
    # The accepted session blocks its time for later slots.
    plan_start = accepted.plan.planned_start
    assert all(abs(x.start - plan_start) >= timedelta(minutes=30) for x in again.slots)


def test_recommendations_offer_the_best_pending_slot(db: Database, learner: str) -> None:
    """Issue 19: the schedule is a recommendation source; its first-ranked pending slot, by id."""
    with db.session() as s:
        answer = slots.recommend(s, U, NOW_AWARE, days=7)
        sources = gather_sources(s, get_learner(s, U), NOW_AWARE)  # every provider
    top = answer.slots[0]
    (signal,) = sources.schedule_slots
    assert signal.schedule_recommendation_id == top.id
    assert (signal.weekday, signal.start_hour) == (
        top.start.astimezone(ZONE).weekday(),
        MORNING_HOUR,
    )
    assert signal.score == top.score and signal.confidence == top.reasons["historicalConfidence"]
    (slot_rec,) = [
        c
        for c in generate_candidates(sources)
        if c.key.startswith(f"{RecommendationType.STUDY_TIME_OPTIMIZATION}:slot:")
    ]
    assert [(x.kind, x.id) for x in slot_rec.sources] == [
        (SourceKind.SCHEDULE_RECOMMENDATION, top.id)
    ]
    # An accepted slot is no longer offered; nothing is offered once the slots have passed.
    with db.session() as s:
        slots.accept(s, U, top.id, NOW_AWARE)
        after = ScheduleSlotProvider().provide(s, get_learner(s, U), NOW_AWARE)
        later = ScheduleSlotProvider().provide(s, get_learner(s, U), NOW_AWARE + timedelta(days=8))
    assert top.id not in {x.schedule_recommendation_id for x in after.schedule_slots}
    assert later.schedule_slots == ()


def test_declared_constraint_becomes_a_preference(db: Database, learner: str) -> None:
    """ "No mornings" scores mornings 0 on preference (weight 0.2): a preference, not a ban — the
    learner's strong morning history (0.4 × 88) still outweighs it, by less than before."""
    with db.session() as s:
        before = slots.recommend(s, U, NOW_AWARE, days=7)
    with db.session() as s:
        outcome = adaptation.adapt(
            s, U, NOW_AWARE, constraint=DeclaredConstraint(ConstraintKind.NO_MORNINGS)
        )
    (record,) = outcome.adaptations
    assert record.type == "TIMING" and record.reason["constraint"] == "NO_MORNINGS"
    assert outcome.preferences[0]["kind"] == "AVOID"
    with db.session() as s:
        after = slots.recommend(s, U, NOW_AWARE, days=7)
    scores = {x.start: x.score for x in before.slots}
    morning = [x for x in after.slots if x.start.astimezone(ZONE).hour < 12]
    assert morning and all(x.reasons["preference"] == 0.0 for x in morning)
    for x in morning:
        if x.start in scores:
            assert x.score == pytest.approx(scores[x.start] - 0.2 * 50)


def _accept_at(db: Database, starts: list[datetime]) -> None:
    with db.engine.begin() as conn:
        for i, start in enumerate(starts):
            conn.execute(
                sa.text(
                    'INSERT INTO study_schedule_recommendations (id, "userId", "recommendedSchedule", '
                    'reasoning, "appliedAt") VALUES (:id, :u, CAST(:data AS jsonb), :r, :at)'
                ),
                {
                    "id": f"acc-{i}",
                    "u": U,
                    "data": (
                        '{"type": "slot", "kind": "STUDY", "rank": 1, "durationMinutes": 40, '
                        f'"start": "{start.isoformat()}", "end": "{(start + timedelta(minutes=40)).isoformat()}"}}'
                    ),
                    "r": "test",
                    "at": start.replace(tzinfo=None) - timedelta(days=1),
                },
            )


def test_effectiveness_from_stored_data(db: Database, learner: str) -> None:
    """No accepted slot: insufficient data. Accepted slots at every morning session: followed
    sessions score 100, the others (evenings) 50 — a difference of 50 with its interval."""
    with db.session() as s:
        none = effectiveness.effectiveness(s, U, NOW_AWARE, 30)
    assert isinstance(none.performance, InsufficientData)
    assert none.performance.requirement == "followedSessions" and none.performance.have == 0
    mornings = [
        local((NOW_AWARE.astimezone(ZONE) - timedelta(days=back)).date(), MORNING_HOUR).replace(
            tzinfo=UTC
        )
        for back in range(21, 0, -1)
    ]
    _accept_at(db, mornings)
    with db.session() as s:
        view = effectiveness.effectiveness(s, U, NOW_AWARE, 30)
    assert view.adherence.accepted_slots == 21 and view.adherence.started_on_time == 21
    assert view.adherence.duration_within == 21  # 40 minutes planned, 40 studied
    perf = view.performance
    assert isinstance(perf, OutcomeDifference)
    assert (perf.followed_n, perf.other_n) == (21, 10)
    assert perf.followed_mean == pytest.approx(100.0) and perf.other_mean == pytest.approx(50.0)
    assert perf.difference == pytest.approx(50.0) and perf.detected


def _days_back(back: int, hour: int) -> datetime:
    """Aware UTC of local ``hour`` o'clock ``back`` days before NOW."""
    return local((NOW_AWARE.astimezone(ZONE) - timedelta(days=back)).date(), hour).replace(
        tzinfo=UTC
    )


def test_poor_adherence_recommends_fewer_fixed_slots(db: Database, learner: str) -> None:
    """Issue 19: 6 slots accepted in the last 14 days — 1 at a morning session (kept), 5 at noon
    when the learner never studies (missed): 1/6 ≈ 17% < 50% → "Fewer, fixed study slots", its
    source the latest accepted slot. Kept mornings instead: nothing to say."""
    with db.session() as s:
        assert (
            ScheduleAdherenceProvider().provide(s, get_learner(s, U), NOW_AWARE).adherence is None
        )
    noon = [_days_back(back, 12) for back in (11, 9, 7, 5, 3)]  # acc-1 … acc-5, latest 3 days back
    _accept_at(db, [_days_back(13, MORNING_HOUR), *noon])
    with db.session() as s:
        signal = ScheduleAdherenceProvider().provide(s, get_learner(s, U), NOW_AWARE).adherence
    assert signal is not None
    assert (signal.accepted, signal.kept, signal.window_days) == (6, 1, ADHERENCE_WINDOW_DAYS)
    assert signal.window_id == "acc-5"
    assert signal.confidence == pytest.approx(6 / ADHERENCE_FULL_CONFIDENCE_SLOTS)
    with db.session() as s:
        made = recommendation_service.generate(s, get_learner(s, U), NOW_AWARE)
        views = recommendation_service.list_recommendations(s, U, checked=True)
    (rec,) = [v for v in views if v.key == f"{RecommendationType.CONSISTENCY_BUILDING}:adherence"]
    assert rec.id in made.created and rec.title == "Fewer, fixed study slots"
    assert [(x.kind, x.id) for x in rec.sources] == [(SourceKind.SCHEDULE_ADHERENCE, "acc-5")]
    assert rec.evidence[0] == "Adherence 17% (1/6 accepted slots kept)"
    assert "You kept 1 of the 6 study slots" in rec.description


def test_kept_slots_recommend_nothing_about_adherence(db: Database, learner: str) -> None:
    """Every accepted slot in the window had its morning session: adherence 100%, no candidate;
    slots accepted only before the 14-day window do not count either."""
    _accept_at(db, [_days_back(back, MORNING_HOUR) for back in (20, 18, 16, 12, 9, 6, 4, 2)])
    with db.session() as s:
        signal = ScheduleAdherenceProvider().provide(s, get_learner(s, U), NOW_AWARE).adherence
        sources = gather_sources(s, get_learner(s, U), NOW_AWARE)
    assert signal is not None and (signal.accepted, signal.kept) == (5, 5)
    keys = {c.key for c in generate_candidates(sources)}
    assert f"{RecommendationType.CONSISTENCY_BUILDING}:adherence" not in keys


def test_consent_and_unknown_learners(db: Database) -> None:
    with db.session() as s:
        make_schedule_learner(s, "orch-off", NOW, enabled=False, history=False)
    with db.session() as s, pytest.raises(Forbidden):
        slots.recommend(s, "orch-off", NOW_AWARE)
    with db.session() as s, pytest.raises(Forbidden):
        plans.create_plan(s, "orch-off", NOW_AWARE + timedelta(days=1), NOW_AWARE)
    with db.session() as s, pytest.raises(NotFound):
        slots.recommend(s, "nobody", NOW_AWARE)
    with db.session() as s:
        make_schedule_learner(s, "orch-on", NOW, history=False)
    with db.session() as s, pytest.raises(NotFound):
        plans.get_plan(s, "orch-on", "no-plan", NOW_AWARE)
