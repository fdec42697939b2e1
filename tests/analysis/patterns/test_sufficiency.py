"""Data sufficiency for a full analysis and the re-analysis trigger."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.analysis.patterns.synth import T0, session
from twin.analysis.patterns.inputs import LearnerData
from twin.analysis.patterns.sufficiency import assess_sufficiency, reanalysis_due

FIRST = T0 + timedelta(hours=9)  # session(day=0) starts at 09:00


def _data(
    age: timedelta, sessions: int, reviews: int, last: timedelta | None = None
) -> LearnerData:
    return LearnerData(
        now=FIRST + age,
        sessions=tuple(session(f"s{i}", day=0) for i in range(sessions)),
        total_reviews=reviews,
        last_analyzed_at=None if last is None else FIRST + last,
    )


def test_exact_minimums_are_sufficient() -> None:
    """6 weeks to the second, 20 sessions, 50 reviews: a full analysis."""
    s = assess_sufficiency(_data(timedelta(weeks=6), 20, 50))
    assert s.sufficient and s.missing == {} and s.progress == 1.0


@pytest.mark.parametrize(
    ("age", "sessions", "reviews", "missing"),
    [
        (timedelta(weeks=6) - timedelta(seconds=1), 20, 50, "daysSinceFirstSession"),
        (timedelta(weeks=6), 19, 50, "sessions"),
        (timedelta(weeks=6), 20, 49, "reviews"),
    ],
)
def test_one_short_is_insufficient(
    age: timedelta, sessions: int, reviews: int, missing: str
) -> None:
    """One second, one session or one review short names exactly that minimum."""
    s = assess_sufficiency(_data(age, sessions, reviews))
    assert not s.sufficient
    assert list(s.missing) == [missing]


def test_have_need_and_progress_golden() -> None:
    """21 days of 42 (0.5), 10 of 20 sessions (0.5), 40 of 50 reviews (0.8): progress 1.8/3 = 0.6."""
    s = assess_sufficiency(_data(timedelta(days=21), 10, 40))
    assert s.missing == {
        "daysSinceFirstSession": {"have": 21.0, "need": 42.0},
        "sessions": {"have": 10, "need": 20},
        "reviews": {"have": 40, "need": 50},
    }
    assert s.progress == pytest.approx(0.6)
    assert s.sufficient is False


def test_no_sessions() -> None:
    """No sessions: 0 days, progress from reviews only."""
    s = assess_sufficiency(LearnerData(now=T0, total_reviews=25))
    assert s.days_since_first_session == 0.0
    assert s.progress == pytest.approx(0.5 / 3)


def test_reanalysis_after_ten_new_sessions() -> None:
    """9 sessions after lastAnalyzedAt: not due; 10: due. Never analysed: due."""
    nine = assess_sufficiency(_data(timedelta(weeks=7), 9, 60, last=timedelta(hours=-1)))
    assert nine.sessions_since_last_analysis == 9 and not nine.reanalysis_due
    ten = assess_sufficiency(_data(timedelta(weeks=7), 10, 60, last=timedelta(hours=-1)))
    assert ten.reanalysis_due
    assert assess_sufficiency(_data(timedelta(weeks=7), 1, 60)).reanalysis_due


def test_on_request_at_most_once_a_day_unless_forced() -> None:
    """Requested 23 h after the last analysis: no; 24 h: yes; forced: always."""
    last = T0
    assert not reanalysis_due(
        now=T0 + timedelta(hours=23), last_analyzed_at=last, new_sessions=0, requested=True
    )
    assert reanalysis_due(
        now=T0 + timedelta(hours=24), last_analyzed_at=last, new_sessions=0, requested=True
    )
    assert reanalysis_due(
        now=T0 + timedelta(hours=1),
        last_analyzed_at=last,
        new_sessions=0,
        requested=True,
        forced=True,
    )
    assert not reanalysis_due(now=T0 + timedelta(days=5), last_analyzed_at=last, new_sessions=3)
