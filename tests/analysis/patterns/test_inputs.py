"""Value objects: validation, local hour and weekday, derived completion."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.analysis.patterns.synth import T0, session
from twin.analysis.patterns.inputs import ContentObs, LearnerData, ReviewMark, ReviewObs, SessionObs


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
