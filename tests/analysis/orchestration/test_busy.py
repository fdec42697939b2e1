"""The busy-time model: merging weighted intervals and querying free time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.orchestration.busy import BusyInterval, BusyTime, merge_intervals

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iv(a: float, b: float, w: float = 1.0) -> BusyInterval:
    return BusyInterval(at(a), at(b), w)


def spans(segments: tuple[BusyInterval, ...]) -> list[tuple[float, float, float]]:
    return [
        ((s.start - T0).total_seconds() / 60, (s.end - T0).total_seconds() / 60, s.weight)
        for s in segments
    ]


def test_merge_keeps_the_heaviest_weight_everywhere() -> None:
    """Tentative 0–120 with busy 30–60 inside → tentative, busy, tentative; two tentatives stay half."""
    merged = merge_intervals([iv(0, 120, 0.5), iv(30, 60), iv(100, 150, 0.5)])
    assert spans(merged) == [(0, 30, 0.5), (30, 60, 1.0), (60, 150, 0.5)]


def test_touching_intervals_join_and_do_not_overlap() -> None:
    """[0, 30) and [30, 60) busy join into one segment; a gap stays a gap."""
    assert spans(merge_intervals([iv(30, 60), iv(0, 30), iv(90, 100)])) == [
        (0, 60, 1.0),
        (90, 100, 1.0),
    ]
    busy = BusyTime.of([iv(0, 30)])
    assert busy.max_weight(at(30), at(45)) == 0.0
    assert busy.max_weight(at(29), at(45)) == 1.0


def test_queries() -> None:
    """max_weight, free blocks (tentative tolerated or not), next blocking start, weighted minutes."""
    busy = BusyTime.of([iv(60, 90), iv(120, 180, 0.5), iv(240, 300)])
    assert busy.max_weight(at(0), at(60)) == 0.0
    assert busy.max_weight(at(100), at(130)) == 0.5
    assert busy.max_weight(at(100), at(250)) == 1.0
    assert [(a - T0, b - T0) for a, b in busy.free_blocks(at(0), at(360))] == [
        (timedelta(0), timedelta(minutes=60)),
        (timedelta(minutes=90), timedelta(minutes=120)),
        (timedelta(minutes=180), timedelta(minutes=240)),
        (timedelta(minutes=300), timedelta(minutes=360)),
    ]
    tolerant = busy.free_blocks(
        at(0), at(360), tolerate_weight=0.5, min_length=timedelta(minutes=61)
    )
    assert [(a - T0, b - T0) for a, b in tolerant] == [
        (timedelta(minutes=90), timedelta(minutes=240)),
    ]
    assert busy.next_blocking_start(at(95), above_weight=0.5) == at(240)
    assert busy.next_blocking_start(at(70), above_weight=0.5) == at(70)
    assert busy.next_blocking_start(at(301), above_weight=0.5) is None
    # 30 busy + 60 × 0.5 tentative + 30 busy inside [0, 270).
    assert busy.busy_minutes(at(0), at(270)) == pytest.approx(90.0)


def test_bad_intervals_are_refused() -> None:
    """Naive times, empty intervals and weights outside (0, 1] are errors naming the problem."""
    with pytest.raises(ValueError, match="timezone-aware"):
        BusyInterval(datetime(2025, 1, 1), datetime(2025, 1, 2))
    with pytest.raises(ValueError, match="after start"):
        iv(10, 10)
    with pytest.raises(ValueError, match="weight"):
        iv(0, 10, 0.0)
    with pytest.raises(ValueError, match="disjoint"):
        BusyTime((iv(0, 30), iv(20, 40)))


interval_strategy = st.builds(
    lambda a, length, w: iv(a, a + length, w),
    st.integers(0, 600),
    st.integers(1, 120),
    st.sampled_from([0.5, 1.0]),
)


@given(st.lists(interval_strategy, max_size=25), st.randoms(use_true_random=False))
def test_merge_is_exact_and_order_independent(intervals: list[BusyInterval], rnd: object) -> None:
    """At every minute the merged weight is the max of the covering inputs; segments are disjoint,
    sorted, equal neighbours joined; shuffling the input changes nothing."""
    merged = merge_intervals(intervals)
    shuffled = list(intervals)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert merge_intervals(shuffled) == merged
    for a, b in itertools.pairwise(merged):
        assert a.end <= b.start
        assert not (a.end == b.start and a.weight == b.weight)
    busy = BusyTime(merged)
    for minute in range(0, 725):
        point = at(minute + 0.5)
        expected = max((i.weight for i in intervals if i.start <= point < i.end), default=0.0)
        assert busy.max_weight(point, point + timedelta(seconds=1)) == expected
