"""Apply, dismiss and evaluate recommendations; goals from the data; bad input; clear; privacy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.services.insights.support import (
    END,
    count,
    insights_db,
    insights_module_db,
    learner,
    rows,
    scalar,
)
from twin.analysis.insights.goals import GoalRequest, progress_fraction
from twin.db.engine import Database
from twin.enums import ApplicationType, GoalStatus, RecommendationStatus
from twin.errors import Conflict, NotFound, ValidationFailed
from twin.services import learners as learners_service
from twin.services.insights import clear, daily, goals, recommendations

pytestmark = pytest.mark.db

__all__ = ["insights_db", "insights_module_db"]


def _run(db: Database, uid: str, at: datetime) -> daily.DailyRun:
    with db.session() as session:
        return daily.run_daily(session, uid, at)


def _open(db: Database, uid: str) -> list[recommendations.RecommendationView]:
    with db.session() as session:
        return recommendations.list_recommendations(session, uid)


def test_apply_stores_the_baseline_and_the_job_measures_it_after_two_weeks(
    insights_db: Database,
) -> None:
    uid = learner(0)
    applied_at = END - timedelta(days=14)
    _run(insights_db, uid, applied_at)
    first = _open(insights_db, uid)[0]
    with insights_db.session() as session:
        view = recommendations.apply_recommendation(
            session, uid, first.id, ApplicationType.MANUAL, applied_at
        )
    assert view.applied_at is not None and view.outcome is not None
    baseline = view.outcome.baseline
    assert baseline["n"] >= 5 and baseline["metric"]  # 2 weeks of the type's metric
    with pytest.raises(Conflict), insights_db.session() as session:  # applying twice
        recommendations.apply_recommendation(
            session, uid, first.id, ApplicationType.AUTO, applied_at
        )
    # Before the test period ends nothing is measured; at its end the verdict is stored.
    assert _run(insights_db, uid, applied_at + timedelta(days=13)).evaluated == 0
    assert _run(insights_db, uid, END + timedelta(hours=1)).evaluated == 1
    with insights_db.session() as session:
        (rated,) = recommendations.list_recommendations(session, uid, status="RATED")
    assert rated.id == first.id and rated.status is RecommendationStatus.RATED
    outcome = rated.outcome
    assert outcome is not None and outcome.evaluated_at is not None
    if outcome.verdict is not None:
        assert outcome.ci95 is not None and outcome.effectiveness is not None
        lo, hi = outcome.ci95  # every outcome metric is better when higher
        expected = "IMPROVED" if lo > 0 else ("DECLINED" if hi < 0 else "NEUTRAL")
        assert outcome.verdict.value == expected


def test_dismiss_is_remembered_and_blocks_apply(insights_db: Database) -> None:
    uid = learner(1)
    _run(insights_db, uid, END)
    target = _open(insights_db, uid)[0]
    with insights_db.session() as session:
        recommendations.dismiss_recommendation(session, uid, target.id, END)
    with pytest.raises(Conflict) as err, insights_db.session() as session:
        recommendations.apply_recommendation(session, uid, target.id, ApplicationType.MANUAL, END)
    assert err.value.details[0]["field"] == "recommendationId"
    assert count(insights_db, "applied_recommendations", uid) == 0
    _run(insights_db, uid, END + timedelta(days=1))
    keys = [
        r[0]
        for r in rows(insights_db, 'SELECT key FROM recommendation_keys WHERE "userId" = :u', u=uid)
    ]
    assert keys.count(target.key) == 1  # never recommended again


def test_someone_elses_recommendation_is_not_found(insights_db: Database) -> None:
    _run(insights_db, learner(0), END)
    other = _open(insights_db, learner(0))[0]
    with pytest.raises(NotFound), insights_db.session() as session:
        recommendations.apply_recommendation(
            session, learner(1), other.id, ApplicationType.MANUAL, END
        )


def _recount_sessions_per_week(db: Database, uid: str, as_of: datetime) -> float:
    """Independent recomputation: completed sessions started in the 7 days before as_of."""
    return float(
        scalar(
            db,
            'SELECT count(*) FROM study_sessions WHERE "userId" = :u AND "completedAt" IS NOT NULL '
            'AND "startedAt" >= :a AND "startedAt" < :b',
            u=uid,
            a=(as_of - timedelta(days=7)).astimezone(UTC).replace(tzinfo=None),
            b=as_of.astimezone(UTC).replace(tzinfo=None),
        )
    )


def test_goal_progress_is_computed_from_the_data_and_milestones_notify_once(
    insights_db: Database,
) -> None:
    uid = learner(2)
    created_at = END - timedelta(weeks=6)
    start_value = _recount_sessions_per_week(insights_db, uid, created_at)
    target = start_value + 4
    with insights_db.session() as session:
        goal = goals.create_goal(
            session,
            uid,
            GoalRequest(
                "CUSTOM",
                "sessionsPerWeek",
                target,
                created_at + timedelta(days=60),
                "More sessions",
            ),
            created_at,
        )
    assert goal.current_value == start_value
    days = [created_at + timedelta(days=d) for d in range(1, 43)]
    for day in days:
        _run(insights_db, uid, day)
    # a re-run of every day changes nothing and notifies nothing new
    before = count(insights_db, "insight_notifications", uid)
    for day in days:
        _run(insights_db, uid, day)
    assert count(insights_db, "insight_notifications", uid) == before
    with insights_db.session() as session:
        view = goals.get_goal(session, uid, goal.id)
    best = 0.0
    for entry in view.history[1:]:
        if entry.note.startswith("no data"):
            continue
        recount = _recount_sessions_per_week(insights_db, uid, entry.at)
        assert entry.value == recount
        best = max(best, progress_fraction(recount, start_value, target))
    milestone_rows = rows(
        insights_db,
        'SELECT "notificationType"::text, count(*) FROM insight_notifications '
        'WHERE "userId" = :u AND "relatedEntityId" = :g GROUP BY 1',
        u=uid,
        g=goal.id,
    )
    assert all(n == 1 for _t, n in milestone_rows)
    assert ("GOAL_CREATED", 1) in milestone_rows
    # Exactly the milestones the recomputed progress reached fired (at least the first one).
    reached = {
        name
        for share, name in (
            (0.25, "GOAL_PROGRESS_25"),
            (0.5, "GOAL_PROGRESS_50"),
            (0.75, "GOAL_PROGRESS_75"),
            (1.0, "GOAL_ACHIEVED"),
        )
        if best >= share
    }
    assert "GOAL_PROGRESS_25" in reached, best
    assert {t for t, _n in milestone_rows if t.startswith("GOAL_") and t != "GOAL_CREATED"} == (
        reached
    )


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (GoalRequest("CUSTOM", "sessionsPerWeek", 5, END - timedelta(days=1)), "deadline"),
        (GoalRequest("CUSTOM", "sessionsPerWeek", 5, END + timedelta(days=91)), "deadline"),
        (GoalRequest("CUSTOM", "sessionsPerWeek", 0, END + timedelta(days=10)), "targetValue"),
        (GoalRequest("CUSTOM", "sessionsPerWeek", -2, END + timedelta(days=10)), "targetValue"),
        (GoalRequest("NOT_A_TEMPLATE", "sessionsPerWeek", 5), "goalType"),
        (GoalRequest("CUSTOM", "happiness", 5, END + timedelta(days=10)), "targetMetric"),
    ],
)
def test_bad_goals_name_the_field_and_write_nothing(
    insights_db: Database, request_: GoalRequest, field: str
) -> None:
    uid = learner(0)
    with pytest.raises(ValidationFailed) as err, insights_db.session() as session:
        goals.create_goal(session, uid, request_, END)
    assert field in [d["field"] for d in err.value.details]
    assert count(insights_db, "behavioral_goals", uid) == 0
    assert count(insights_db, "insight_notifications", uid) == 0


def test_expired_goal_is_abandoned_with_a_question_answered_by_patch(insights_db: Database) -> None:
    uid = learner(0)
    at = END - timedelta(days=20)
    with insights_db.session() as session:
        goal = goals.create_goal(
            session, uid, GoalRequest("CUSTOM", "sessionsPerWeek", 99, at + timedelta(days=5)), at
        )
    _run(insights_db, uid, at + timedelta(days=6))
    with insights_db.session() as session:
        view = goals.get_goal(session, uid, goal.id)
    assert view.status is GoalStatus.ABANDONED and view.expired
    assert view.expiry_question and "What got in the way" in view.expiry_question
    note = rows(
        insights_db,
        'SELECT "notificationType"::text, "relatedEntityType" FROM insight_notifications '
        'WHERE "relatedEntityId" = :g',
        g=goal.id,
    )
    assert ("NEW_INSIGHT", "goal_expiry") in note
    with insights_db.session() as session:
        answered = goals.update_goal_fields(
            session, uid, goal.id, END, expiry_reason="exams came up"
        )
    assert answered.history[-1].note.endswith("exams came up")


def test_clear_deletes_insights_and_keeps_raw_data(insights_db: Database) -> None:
    uid = learner(0)
    _run(insights_db, uid, END)
    sessions = count(insights_db, "study_sessions", uid)
    with insights_db.session() as session:
        deleted = clear.clear_insights(session, uid)
    assert deleted["recommendations"] > 0 and deleted["behavioral_patterns"] > 0
    for table in (*clear.CLEARED_TABLES, "recommendation_keys", "applied_recommendations"):
        assert count(insights_db, table, uid) == 0, table
    assert count(insights_db, "study_sessions", uid) == sessions
    assert count(insights_db, "behavioral_patterns", learner(1)) > 0  # others untouched


def test_privacy_switch_and_export_cover_the_new_tables(insights_db: Database) -> None:
    uid = learner(1)
    _run(insights_db, uid, END)
    with insights_db.session() as session:
        exported = json.loads("".join(learners_service.export_user(session, uid)))
    for table in ("behavioral_scores", "pattern_snapshots", "recommendation_keys", "exam_results"):
        assert table in exported["tables"], table
    assert exported["tables"]["behavioral_scores"]
    with insights_db.session() as session:
        user = learners_service.get_user(session, uid)
        learners_service.apply_privacy(session, user, {"behavioralAnalysisEnabled": False})
    for table in (
        "behavioral_scores",
        "pattern_snapshots",
        "recommendation_keys",
        "recommendations",
    ):
        assert count(insights_db, table, uid) == 0, table


def test_erasure_removes_every_new_row(insights_db: Database) -> None:
    uid = learner(2)
    _run(insights_db, uid, END)
    with insights_db.session() as session:
        from twin.services.insights.score import add_exam_result

        add_exam_result(session, uid, 77.0, END, None)
    with insights_db.session() as session:
        learners_service.erase_user(session, uid)
    for table in (
        "behavioral_scores",
        "pattern_snapshots",
        "recommendation_keys",
        "exam_results",
        "recommendations",
        "insight_notifications",
    ):
        assert count(insights_db, table, uid) == 0, table
