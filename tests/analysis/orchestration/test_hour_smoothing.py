"""Hour scores borrow strength from neighbouring hours (empirical Bayes, ENGINE.md 5.3 historical)."""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.orchestration.slots import (
    NEIGHBOUR_KERNEL_WIDTH_HOURS,
    NEIGHBOUR_RADIUS_HOURS,
    PRIOR_STRENGTH_SESSIONS,
    HourScore,
    HourScoreTable,
    SlotKind,
    SlotRequest,
    neighbour_kernel,
    recommend_slots,
    score_candidates,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_5AM = datetime(2025, 3, 3, 5, 0, tzinfo=BERLIN)

means = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
counts = st.integers(min_value=0, max_value=300)


def test_kernel_golden() -> None:
    """K(d) = exp(−d²/(2·1.5²)): K(1) = e^(−0.2222) = 0.8007, K(2) = e^(−0.8889) = 0.4111,
    K(3) = e^(−2) = 0.1353; 0 beyond the 3 h radius."""
    assert NEIGHBOUR_KERNEL_WIDTH_HOURS == 1.5 and NEIGHBOUR_RADIUS_HOURS == 3
    assert neighbour_kernel(1) == pytest.approx(0.800737, abs=1e-6)
    assert neighbour_kernel(2) == pytest.approx(0.411112, abs=1e-6)
    assert neighbour_kernel(3) == pytest.approx(math.exp(-2))
    assert neighbour_kernel(4) == 0.0


def test_sparse_hour_beside_a_strong_one_golden() -> None:
    """Weekday 07:00 = 95 over 40 sessions, 06:00 without data, 08:00 = 60 over 2 sessions.
    06:00: neighbour 07 weighs K(1)·40/45 = 0.8007·0.8889 = 0.7118, 08 (d 2) weighs
    K(2)·2/7 = 0.4111·0.2857 = 0.1175; prior = (1·50 + 0.7118·95 + 0.1175·60)/(1 + 0.7118 + 0.1175)
    = (50 + 67.62 + 7.05)/1.8293 = 68.15; no own sessions, so historical = 68.15, confidence 0.1.
    08:00: neighbour 07 weighs 0.7118 → prior = (50 + 67.62)/1.7118 = 68.71;
    historical = (2·60 + 5·68.71)/7 = 66.22. 07:00 has no neighbour data beyond 06/08:
    08 weighs K(1)·2/7 = 0.2288 → prior = (50 + 0.2288·60)/1.2288 = 51.86;
    historical = (40·95 + 5·51.86)/45 = 90.21."""
    table = HourScoreTable((HourScore("weekday", 7, 95.0, 40), HourScore("weekday", 8, 60.0, 2)))
    six = table.historical("weekday", 6)
    assert six.score == pytest.approx(68.15, abs=0.01)
    assert (six.sessions, six.own_mean, six.confidence) == (0, None, 0.1)
    assert six.neighbour_mean == pytest.approx((0.7118 * 95 + 0.1175 * 60) / 0.8293, abs=0.01)
    # The n behind the borrowed estimate: Σ K(d)·n = 0.8007·40 + 0.4111·2 = 32.85.
    assert six.neighbour_sessions == pytest.approx(32.85, abs=0.01)
    assert table.historical("weekday", 8).score == pytest.approx(66.22, abs=0.01)
    assert table.historical("weekday", 7).score == pytest.approx(90.21, abs=0.01)
    # The other day type and far hours see nothing: the flat population prior.
    assert table.historical("weekend", 6).score == 50.0
    assert table.historical("weekday", 12).neighbour_mean is None  # 4 h from 08:00


@given(
    strong=st.floats(min_value=50.5, max_value=100.0),
    n_strong=st.integers(1, 300),
    sparse=means,
    n_sparse=st.integers(0, 7),
)
def test_sparse_hour_near_a_strong_hour_beats_the_same_hour_far_from_it(
    strong: float, n_strong: int, sparse: float, n_sparse: int
) -> None:
    """Same own data at 13:00 (beside a strong 12:00) and at 20:00 (8 h away): 13:00 scores higher."""
    table = HourScoreTable(
        (
            HourScore("weekday", 12, strong, n_strong),
            HourScore("weekday", 13, sparse, n_sparse),
            HourScore("weekday", 20, sparse, n_sparse),
        )
    )
    assert table.historical("weekday", 13).score > table.historical("weekday", 20).score


@given(
    cells=st.lists(st.tuples(st.integers(0, 23), means, counts), max_size=24),
    own=means,
    n=st.integers(1, 2000),
    hour=st.integers(0, 23),
)
def test_own_mean_dominates_with_many_sessions(
    cells: list[tuple[int, float, int]], own: float, n: int, hour: int
) -> None:
    """Whatever the neighbours, the score lies between the own mean and the prior and within
    k/(n+k)·100 of the own mean — so with hundreds of sessions it is the hour's own mean."""
    others = {h: (m, c) for h, m, c in cells if h != hour}
    table = HourScoreTable(
        (
            HourScore("weekday", hour, own, n),
            *tuple(HourScore("weekday", h, m, c) for h, (m, c) in others.items()),
        )
    )
    h = table.historical("weekday", hour)
    assert min(own, h.prior) - 1e-9 <= h.score <= max(own, h.prior) + 1e-9
    assert (
        abs(h.score - own) <= PRIOR_STRENGTH_SESSIONS / (n + PRIOR_STRENGTH_SESSIONS) * 100 + 1e-9
    )
    assert 0.0 <= h.prior <= 100.0


@given(
    far=st.lists(st.tuples(st.integers(NEIGHBOUR_RADIUS_HOURS + 1, 12), means, counts)),
    own=means,
    n=counts,
)
def test_hours_beyond_the_radius_do_not_inform(
    far: list[tuple[int, float, int]], own: float, n: int
) -> None:
    """Cells more than 3 h away (either side, circularly) leave the flat-prior formula unchanged."""
    cells = {(12 + d) % 24: (m, c) for d, m, c in far} | {(12 - d) % 24: (m, c) for d, m, c in far}
    table = HourScoreTable(
        (
            HourScore("weekday", 12, own, n),
            *tuple(HourScore("weekday", h, m, c) for h, (m, c) in cells.items()),
        )
    )
    expected = (
        50.0
        if n == 0
        else (n * own + PRIOR_STRENGTH_SESSIONS * 50.0) / (n + PRIOR_STRENGTH_SESSIONS)
    )
    assert table.historical("weekday", 12).score == pytest.approx(expected)


def test_blocked_peak_moves_to_the_free_hour_nearest_it() -> None:
    """Peak 19:00 (90, n 40) with a weekday class 18:00–21:00; 20:00 had 2 sessions at 55, 15:00 had
    2 at 58, 21:00 and 16:00 none. With the flat prior 15:00 ((2·58 + 5·50)/7 = 52.29) beat 21:00
    (50). Now 21:00 borrows from 19:00 (d 2) and 20:00 (d 1):
    prior = (50 + 0.4111·(40/45)·90 + 0.8007·(2/7)·55)/(1 + 0.3654 + 0.2288)
    = (50 + 32.89 + 12.58)/1.5942 = 59.89; 15:00 has no data within 3 h, so it stays 52.29, and
    16:00 (19:00 at d 3, 15:00 at d 1) gets (50 + 0.1203·90 + 0.2288·58)/1.3491 = 74.10/1.3491 = 54.92. The nearest
    free time wins, and the slot's reasons say the estimate was borrowed, with the n behind it."""
    cells = (
        HourScore("weekday", 19, 90.0, 40),
        HourScore("weekday", 20, 55.0, 2),
        HourScore("weekday", 15, 58.0, 2),
    )
    table = HourScoreTable(cells)
    assert table.historical("weekday", 21).score == pytest.approx(59.89, abs=0.01)
    assert table.historical("weekday", 15).score == pytest.approx(52.29, abs=0.01)
    assert table.historical("weekday", 16).score == pytest.approx(54.92, abs=0.01)
    classes = BusyTime.of(
        [
            BusyInterval(
                datetime(2025, 3, 3, 18, tzinfo=BERLIN), datetime(2025, 3, 3, 21, tzinfo=BERLIN)
            )
        ]
    )
    request = SlotRequest(
        now=MONDAY_5AM,
        timezone="Europe/Berlin",
        duration_minutes=60,
        days=1,
        top_k=1,
        busy=classes,
        hour_scores=table,
    )
    top = recommend_slots(request).slots[0]
    assert top.start.hour == 21
    reasons = top.reasons()
    assert reasons["historicalNeighbourMean"] is not None
    assert reasons["historicalNeighbourSessions"] == pytest.approx(
        0.4111 * 40 + 0.8007 * 2, abs=0.01
    )
    assert "borrowed from neighbouring hours" in top.reasoning_text()
    assert "n ≈" in top.reasoning_text()
    candidates, _, _, _ = score_candidates(request, 60, SlotKind.STUDY)
    assert {c.start.hour for c in candidates}.isdisjoint({17, 18, 19, 20})
