"""The dashboard's two statements give what the per-part services give, read one by one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.services.insights.support import END, insights_db, insights_module_db, learner
from twin.analysis.insights.goals import GoalRequest
from twin.analysis.insights.recommendations import OpenRecommendation, top_pending
from twin.db.engine import Database
from twin.db.models import Recommendation
from twin.enums import GoalStatus
from twin.errors import Forbidden, NotFound
from twin.services.insights import daily, dashboard, goals, notifications, score
from twin.services.insights import recommendations as recs

pytestmark = pytest.mark.db

__all__ = ["insights_db", "insights_module_db"]

DASHBOARD_STATEMENTS = 2  # the overview, the open recommendations


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """Every SQL statement sent while inside."""
    seen: list[str] = []

    def listen(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)


def test_dashboard_equals_the_parts_in_two_statements(insights_db: Database) -> None:
    uid = learner(0)
    now = END + timedelta(days=1)
    with insights_db.session() as session:
        daily.run_daily(session, uid, END)
        goals.create_goal(
            session,
            uid,
            GoalRequest("CUSTOM", "sessionsPerWeek", 10.0, END + timedelta(days=28)),
            END,
        )
    with insights_db.engine.begin() as conn:  # one notification read: unread < all
        conn.execute(
            sa.text(
                'UPDATE insight_notifications SET "readAt" = now() WHERE id = '
                '(SELECT min(id) FROM insight_notifications WHERE "userId" = :u)'
            ),
            {"u": uid},
        )
    with insights_db.session() as session, counted(insights_db) as seen:
        d = dashboard.dashboard(session, uid, now)
    assert len(seen) == DASHBOARD_STATEMENTS

    with insights_db.session() as session:
        history = score.score_history(session, uid, now, weeks=dashboard.SPARKLINE_WEEKS + 1)
        complete = [w for w in history.weeks if w.complete]
        assert d.score == history.latest and d.score is not None and d.score.complete
        cards = {c.name: c for c in d.cards}
        assert [p.value for p in cards["score"].sparkline] == [w.score for w in complete[-4:]]
        assert [p.value for p in cards["retention"].sparkline] == [
            w.components["retention"] for w in complete[-4:]
        ]
        # Open recommendations, read row by row and ranked as the list route ranks them.
        rows = session.scalars(
            sa.select(Recommendation).where(
                Recommendation.userId == uid,
                Recommendation.status.in_(recs.OPEN_STATUSES),
                Recommendation.appliedAt.is_(None),
                Recommendation.dismissedAt.is_(None),
            )
        ).all()
        views = recs._views(session, rows)
        ranked = top_pending(
            [
                OpenRecommendation(v.key or v.id, v.recommendation_type, v.priority_score)
                for v in views
            ],
            limit=dashboard.TOP_RECOMMENDATIONS,
        )
        by_key = {v.key or v.id: v for v in views}
        assert list(d.recommendations) == [by_key[o.key] for o in ranked] and d.recommendations
        assert list(d.goals) == goals.list_goals(session, uid, GoalStatus.ACTIVE) and d.goals
        unread = notifications.list_notifications(
            session, uid, unread=True, limit=dashboard.UNREAD_SHOWN
        )
        assert d.unread_notifications == unread.unread > 0
        assert d.notifications == unread.notifications
        burnout = session.execute(
            sa.text(
                'SELECT id, "riskScore" FROM burnout_risk_assessments WHERE "userId" = :u '
                'ORDER BY "assessmentDate" DESC, id DESC LIMIT 1'
            ),
            {"u": uid},
        ).one()
        assert d.burnout is not None and (d.burnout.assessment_id, d.burnout.risk_score) == (
            burnout.id,
            burnout.riskScore,
        )
        load = session.execute(
            sa.text(
                'SELECT "loadScore", "timestamp" FROM cognitive_load_metrics WHERE "userId" = :u '
                'ORDER BY "timestamp" DESC LIMIT 1'
            ),
            {"u": uid},
        ).one()
        assert (d.load.latest_load, d.load.latest_at) == (load.loadScore, load.timestamp)


def test_dashboard_of_an_unknown_or_opted_out_learner(insights_db: Database) -> None:
    with insights_db.session() as session, pytest.raises(NotFound):
        dashboard.dashboard(session, "nobody", END)
    with insights_db.engine.begin() as conn:
        conn.execute(
            sa.text('UPDATE users SET "behavioralAnalysisEnabled" = false WHERE id = :u'),
            {"u": learner(1)},
        )
    with insights_db.session() as session, pytest.raises(Forbidden):
        dashboard.dashboard(session, learner(1), END)
