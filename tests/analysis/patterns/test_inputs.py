"""Value objects: validation, local hour and weekday, derived completion."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.analysis.patterns.synth import T0, session
from twin.analysis.patterns.inputs import (
    ContentObs,
    LearnerData,
    ReviewMark,
    ReviewObs,
    SessionObs,
    content_by_primary_type,
)


def test_hour_and_weekday_come_from_the_local_start() -> None:
    """A session at 07:30 in UTC−5 on a Monday is hour 7, weekday 0, whatever UTC says."""
    local = datetime(2025, 1, 6, 7, 30, tzinfo=timezone(timedelta(hours=-5)))
    s = SessionObs("a", local, 30, 70)
    assert (s.hour, s.weekday) == (7, 0)


def test_completion_rate_from_counts() -> None:
    """3 of 4 objectives → 0.75; an explicit completion wins; nothing planned → None."""
    base = session("a")
    assert (
        SessionObs("a", T0, 30, 70, objectives_planned=4, objectives_completed=3).completion_rate
        == 0.75
    )
    assert (
        SessionObs(
            "a", T0, 30, 70, completion=0.5, objectives_planned=4, objectives_completed=3
        ).completion_rate
        == 0.5
    )
    assert base.completion_rate is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"performance": 101.0},
        {"performance": -1.0},
        {"retention": 1.5},
        {"completion": -0.1},
        {"engagement": 120.0},
        {"duration_minutes": -5.0},
        {"complexity": "HARD"},
        {"content_minutes": (("podcast", 5.0),)},
    ],
)
def test_session_rejects_bad_values(kwargs: dict[str, object]) -> None:
    """Out-of-range inputs raise instead of silently skewing an analysis."""
    args: dict[str, object] = {
        "session_id": "a",
        "started_at": T0,
        "duration_minutes": 30.0,
        "performance": 70.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError):
        SessionObs(**args)  # type: ignore[arg-type]


def test_other_value_objects_reject_bad_values() -> None:
    """Negative minutes and elapsed days, unknown content types are refused."""
    with pytest.raises(ValueError):
        ReviewMark(-1.0, True)
    with pytest.raises(ValueError):
        ReviewObs("c", T0, -0.5, True)
    with pytest.raises(ValueError):
        ContentObs("podcast", 1, 1.0)


def test_learner_data_defaults() -> None:
    """review_count defaults to the repeat reviews given; first session is the earliest start."""
    data = LearnerData(
        now=T0 + timedelta(days=50),
        sessions=(session("b", day=3), session("a", day=1)),
        reviews=(ReviewObs("c", T0, 1.0, True),),
    )
    assert data.review_count == 1
    assert data.first_session == T0 + timedelta(days=1, hours=9)
    assert [s.session_id for s in data.sessions_sorted()] == ["a", "b"]
    assert LearnerData(now=T0, total_reviews=70).review_count == 70


def test_content_by_primary_type_golden() -> None:
    """Outcomes are means over the sessions of each main type; minutes come from every mix.

    By hand: flashcard sessions a (performance 60, retention 0.8, mix 30 flashcard + 10
    lecture) and b (80, no retention, no mix, 20 min) → performance (60 + 80)/2 = 70,
    retention 0.8 (b has none), minutes 30 + 20 = 50; lecture: no session of that main
    type, 10 min from a's mix and 15 from c's (c has no main type) → items 0, outcomes
    None; validation and clinical reasoning: nothing → left out. In CONTENT_TYPES order.
    """
    a = session(
        "a",
        performance=60.0,
        retention=0.8,
        engagement=50.0,
        content_minutes=(("flashcard", 30.0), ("lecture", 10.0)),
    )
    b = session("b", day=1, duration=20.0, performance=80.0, engagement=70.0)
    c = session("c", day=2, performance=40.0, content_minutes=(("lecture", 15.0),))
    lecture, flashcard = content_by_primary_type([a, b, c], {"a": "flashcard", "b": "flashcard"})
    assert flashcard == ContentObs(
        "flashcard", items=2, minutes=50.0, performance=70.0, retention=0.8, engagement=60.0
    )
    assert lecture == ContentObs("lecture", items=0, minutes=25.0)
