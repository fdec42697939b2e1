"""Data sufficiency for a full analysis and the re-analysis trigger."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.analysis.patterns.synth import T0, session
from twin.analysis.patterns.inputs import LearnerData, ReviewObs
from twin.analysis.patterns.sufficiency import assess_sufficiency, data_span, reanalysis_due

FIRST = T0 + timedelta(hours=9)  # session(day=0) starts at 09:00
SESSION_MINUTES = 45.0  # synth.session's default duration


def _data(
    span: timedelta, sessions: int, reviews: int, last: timedelta | None = None
) -> LearnerData:
    """``sessions`` sessions, the first at 09:00 on day 0 and the others ending ``span`` later."""
    out = [session("s0", day=0)]
    end_start = FIRST + span - timedelta(minutes=SESSION_MINUTES)
    out += [replace(session(f"s{i}", day=0), started_at=end_start) for i in range(1, sessions)]
    return LearnerData(
        now=FIRST + span + timedelta(days=400),  # "today" is far later: the span is what counts
        sessions=tuple(out),
        total_reviews=reviews,
        last_analyzed_at=None if last is None else FIRST + last,
    )


def test_exact_minimums_are_sufficient() -> None:
    """A 6-week data span to the second, 20 sessions, 50 reviews: a full analysis."""
    s = assess_sufficiency(_data(timedelta(weeks=6), 20, 50))
    assert s.sufficient and s.missing == {} and s.progress == 1.0


@pytest.mark.parametrize(
    ("span", "sessions", "reviews", "missing"),
    [
        (timedelta(weeks=6) - timedelta(seconds=1), 20, 50, "dataSpanDays"),
        (timedelta(weeks=6), 19, 50, "sessions"),
        (timedelta(weeks=6), 20, 49, "reviews"),
    ],
)
def test_one_short_is_insufficient(
    span: timedelta, sessions: int, reviews: int, missing: str
) -> None:
    """One second, one session or one review short names exactly that minimum."""
    s = assess_sufficiency(_data(span, sessions, reviews))
    assert not s.sufficient
    assert list(s.missing) == [missing]


def test_have_need_and_progress_golden() -> None:
    """21 days of 42 (0.5), 10 of 20 sessions (0.5), 40 of 50 reviews (0.8): progress 1.8/3 = 0.6."""
    s = assess_sufficiency(_data(timedelta(days=21), 10, 40))
    assert s.missing == {
        "dataSpanDays": {"have": 21.0, "need": 42.0},
        "sessions": {"have": 10, "need": 20},
        "reviews": {"have": 40, "need": 50},
    }
    assert s.progress == pytest.approx(0.6)
    assert s.sufficient is False


def test_no_sessions() -> None:
    """No sessions: 0 days, progress from reviews only."""
    s = assess_sufficiency(LearnerData(now=T0, total_reviews=25))
    assert s.data_span_days == 0.0
    assert s.progress == pytest.approx(0.5 / 3)


def test_the_gate_measures_the_data_span_not_time_to_today() -> None:
    """A single review 1,071 days ago is a span of 0 days (the source said "met"); a log that
    spans 191 days but began 982 days ago has 191 days."""
    one = LearnerData(
        now=T0 + timedelta(days=1_071),
        reviews=(ReviewObs("c", T0, 0.0, True),),
        total_reviews=1,
    )
    s = assess_sufficiency(one)
    assert s.data_span_days == 0.0 and not s.met["dataSpanDays"]
    real = LearnerData(
        now=T0 + timedelta(days=982),
        first_activity_at=T0,
        last_activity_at=T0 + timedelta(days=191),
        total_reviews=12_580,
    )
    assert assess_sufficiency(real).data_span_days == pytest.approx(191.0)


def test_span_runs_from_the_first_to_the_last_session_or_review() -> None:
    """Sessions end at start + duration; a later review extends the span; given bounds win."""
    data = LearnerData(
        now=T0 + timedelta(days=90),
        sessions=(session("a", day=0), session("b", day=10)),  # 09:00–09:45 each
        reviews=(ReviewObs("c", T0 + timedelta(days=20, hours=12), 1.0, True),),
    )
    assert data.activity_bounds() == (
        T0 + timedelta(hours=9),
        T0 + timedelta(days=20, hours=12),
    )
    assert assess_sufficiency(data).data_span_days == pytest.approx(20.125)
    assert data_span(None, T0) == timedelta(0)
    assert data_span(T0 + timedelta(days=1), T0) == timedelta(0)


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
