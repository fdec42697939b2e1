"""The daily insights run on an analysed cohort: scores, snapshots, recommendations, notifications."""

from __future__ import annotations

from datetime import timedelta

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
from twin.db.engine import Database
from twin.services.insights import daily

pytestmark = pytest.mark.db

__all__ = ["insights_db", "insights_module_db"]


def test_first_run_stores_scores_snapshot_recommendations_and_notifies_once(
    insights_db: Database,
) -> None:
    uid = learner(0)
    with insights_db.session() as session:
        run = daily.run_daily(session, uid, END)
    assert run.outcome == daily.OUTCOME_DONE
    # 12 weeks of study: every week since the first session has a score (13 Mondays touched).
    assert (
        run.weeks_scored >= 12 and count(insights_db, "behavioral_scores", uid) == run.weeks_scored
    )
    assert run.snapshot and count(insights_db, "pattern_snapshots", uid) == 1
    recs = rows(
        insights_db,
        'SELECT r."recommendationType"::text, k.key FROM recommendations r '
        'JOIN recommendation_keys k ON k."recommendationId" = r.id WHERE r."userId" = :u',
        u=uid,
    )
    assert 1 <= len(recs) <= 5
    per_type: dict[str, int] = {}
    for rtype, _key in recs:
        per_type[rtype] = per_type.get(rtype, 0) + 1
    assert max(per_type.values()) <= 2
    assert len({k for _t, k in recs}) == len(recs)
    notes = count(insights_db, "insight_notifications", uid)
    assert notes == run.notifications and notes >= len(recs)

    # A second run the next day: nothing duplicated.
    with insights_db.session() as session:
        again = daily.run_daily(session, uid, END + timedelta(days=1))
    assert again.recommendations_created == 0
    assert count(insights_db, "insight_notifications", uid) == notes + again.notifications
    dupes = scalar(
        insights_db,
        'SELECT count(*) FROM (SELECT 1 FROM insight_notifications WHERE "userId" = :u '
        'GROUP BY "notificationType", "relatedEntityType", "relatedEntityId" '
        "HAVING count(*) > 1) d",
        u=uid,
    )
    assert dupes == 0
