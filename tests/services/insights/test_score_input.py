"""The score's own one-statement input gives the same weeks as the pattern analysis's input.

:data:`twin.services.insights.score.SCORE_INPUT_SQL` restates, for the score only, what
:func:`twin.services.patterns.load_learner_data` reads (session performance, retention,
engagement, objectives; repeat reviews); here both feed
:func:`twin.analysis.insights.score.week_activity` over 12 simulated weeks and every week's
activity must be identical (the reference is the analysis's loader, unchanged).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.services.insights.support import END, LEARNERS, insights_db, insights_module_db, learner
from twin.analysis.common import aware_utc
from twin.analysis.insights.common import DAYS_PER_WEEK
from twin.analysis.insights.score import week_activity
from twin.analysis.patterns.inputs import ReviewObs
from twin.db.engine import Database
from twin.db.models import User
from twin.learners import analysis_learner
from twin.services.insights.common import local_week, week_bounds
from twin.services.insights.score import score_input, score_weeks
from twin.services.patterns import load_learner_data

pytestmark = pytest.mark.db

__all__ = ["insights_db", "insights_module_db"]

WEEKS_COMPARED = 13  # the 12 simulated weeks and the partial one of END


def test_score_input_matches_the_analysis_input_week_by_week(insights_module_db: Database) -> None:
    compared = 0
    for i in range(LEARNERS):
        uid = learner(i)
        with insights_module_db.session() as session:
            who = analysis_learner(session, uid)
            current = local_week(END, who.zone)
            first = current - timedelta(days=DAYS_PER_WEEK * (WEEKS_COMPARED - 1))
            mondays = [first + timedelta(days=DAYS_PER_WEEK * k) for k in range(WEEKS_COMPARED)]
            since = aware_utc(week_bounds(first, who.zone)[0])
            user = session.get(User, uid)
            assert user is not None
            reference = load_learner_data(session, user, END, since=since).data
            reviews = [
                ReviewObs(r.card_id, aware_utc(r.reviewed_at).astimezone(who.zone), 0.0, r.recalled)
                for r in reference.reviews
            ]
            expected = [
                week_activity(
                    m,
                    reference.sessions,
                    reviews,
                    recommendations_open=k % 3,
                    recommendations_applied=k % 2 if k % 3 else 0,
                )
                for k, m in enumerate(mondays)
            ]
            counts = [(a.recommendations_open, a.recommendations_applied) for a in expected]
            got = score_weeks(mondays, score_input(session, who, since, END), counts)
        assert got == expected
        compared += sum(a.sessions > 0 for a in got)
    assert compared >= LEARNERS * 10  # most weeks of every learner had sessions to compare
