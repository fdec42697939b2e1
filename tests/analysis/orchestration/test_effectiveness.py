"""Effectiveness: adherence to accepted slots and the followed-vs-not outcome difference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from twin.analysis.common import InsufficientData
from twin.analysis.orchestration.effectiveness import (
    AcceptedSlot,
    OutcomeDifference,
    SessionOutcome,
    match_sessions,
    measure_effectiveness,
    outcome_difference,
    score_adaptation,
)

T0 = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)


def day(n: int, minutes: float = 0.0) -> datetime:
    return T0 + timedelta(days=n, minutes=minutes)


def test_welch_golden() -> None:
    """followed = 5×70 + 5×80 (mean 75, var 250/9), other = 5×60 + 5×70 (mean 65, same var):
    se² = 2·(250/9)/10 = 5.5556, df = 5.5556² / (2·(2.7778²/9)) = 18 exactly,
    t(0.975, 18) = 2.100922 → 10 ± 2.100922·2.357023 = [5.04808, 14.95192]."""
    result = outcome_difference("performance", [70.0] * 5 + [80.0] * 5, [60.0] * 5 + [70.0] * 5)
    assert isinstance(result, OutcomeDifference)
    assert result.difference == pytest.approx(10.0)
    assert result.ci_low == pytest.approx(5.04808, abs=1e-4)
    assert result.ci_high == pytest.approx(14.95192, abs=1e-4)
    assert result.detected and (result.followed_n, result.other_n) == (10, 10)


def test_insufficient_below_ten_in_a_group() -> None:
    """9 followed sessions → InsufficientData naming the group, never a number."""
    assert outcome_difference("retention", [0.9] * 9, [0.8] * 30) == InsufficientData(
        "followedSessions", 9, 10
    )
    assert outcome_difference("retention", [0.9] * 12, [0.8] * 3) == InsufficientData(
        "otherSessions", 3, 10
    )


def test_adherence_golden_and_outcomes() -> None:
    """12 accepted 45-min slots. Sessions: 10 within ±30 min (one exactly 30 late), one 31 min
    late (not followed), one slot with none. Of the 10, durations 36 (−20%: within) and 54 (+20%:
    within) and 6 × 45 in; 55 and 30 out → 8 of 10. Plus 10 sessions at other times.
    Performance: followed 5×70 + 5×80, others 5×60 + 5×70 (the golden Welch case)."""
    slots = [AcceptedSlot(f"slot-{i}", day(i), 45) for i in range(12)]
    offsets = [0, 5, -10, 30, 12, -29, 0, 3, 7, -2]
    durations = [36, 54, 45, 45, 45, 45, 45, 45, 55, 30]
    perf = [70.0] * 5 + [80.0] * 5
    followed = [
        SessionOutcome(f"f{i}", day(i, offsets[i]), durations[i], perf[i], 0.9 if i < 9 else None)
        for i in range(10)
    ]
    late = SessionOutcome("late", day(10, 31), 45, 60.0, 0.8)
    others = [
        SessionOutcome(f"o{i}", day(i, 600), 40, 60.0 if i < 4 else 70.0, 0.8) for i in range(9)
    ]
    result = measure_effectiveness(
        slots, [*followed, late, *others], window_start=day(-1), window_end=day(20)
    )
    a = result.adherence
    assert (a.accepted_slots, a.started_on_time, a.duration_within) == (12, 10, 8)
    assert a.start_rate == pytest.approx(10 / 12) and a.duration_rate == pytest.approx(0.8)
    assert isinstance(result.performance, OutcomeDifference)
    assert result.performance.difference == pytest.approx(10.0)
    assert result.performance.ci_low == pytest.approx(5.04808, abs=1e-4)
    # Retention was measured in 9 followed sessions only.
    assert result.retention == InsufficientData("followedSessions", 9, 10)
    data = result.to_json()
    assert data["retention"] == {"insufficientData": {"followedSessions": {"have": 9, "need": 10}}}
    assert data["adherence"]["startedWithin30Min"] == 10  # type: ignore[index]


def test_matching_is_one_to_one_closest_first() -> None:
    """Two slots 40 min apart, one session 15 min after the first: only the first slot is followed;
    two sessions near one slot: the closer one is matched."""
    slots = [AcceptedSlot("a", day(0), 30), AcceptedSlot("b", day(0, 40), 30)]
    matched = match_sessions(slots, [SessionOutcome("s", day(0, 15), 30)])
    assert {k: v.session_id for k, v in matched.items()} == {"a": "s"}
    matched = match_sessions(
        [AcceptedSlot("a", day(0), 30)],
        [SessionOutcome("far", day(0, 20), 30), SessionOutcome("near", day(0, -5), 30)],
    )
    assert matched["a"].session_id == "near"


def test_detects_a_real_difference_and_rarely_a_false_one() -> None:
    """Seeded simulation, 30 sessions a group, sd 10: with a true +8-point effect the interval
    excludes 0 in ≥ 85% of 400 runs (power of Welch's test here ≈ 0.9); with none, in ≤ 7.5%
    (nominal 5%, plus Monte-Carlo error of about ±2.2 points at 400 runs)."""
    rng = np.random.default_rng(16)
    runs = 400

    def rate(effect: float) -> float:
        hits = 0
        for _ in range(runs):
            r = outcome_difference(
                "performance",
                list(rng.normal(70 + effect, 10, 30)),
                list(rng.normal(70, 10, 30)),
            )
            assert isinstance(r, OutcomeDifference)
            hits += r.detected
        return hits / runs

    assert rate(8.0) >= 0.85
    assert rate(0.0) <= 0.075


def test_adaptation_scored_before_and_after() -> None:
    """An adaptation on day 7: the 7 days before had 4 accepted slots, 1 followed; the 7 after had
    4, all followed (starts within 30 min, 40 of 40 planned minutes) — hand-counted."""
    slots = [AcceptedSlot(f"b{i}", day(i), 40.0) for i in (1, 2, 3, 4)]
    slots += [AcceptedSlot(f"a{i}", day(i), 40.0) for i in (8, 9, 10, 11)]
    sessions = [SessionOutcome("s-b", day(2, 10), 40.0, 60.0)]
    sessions += [SessionOutcome(f"s-a{i}", day(i, -20), 40.0, 80.0) for i in (8, 9, 10, 11)]
    score = score_adaptation(day(7), slots, sessions, day(20))
    assert score.complete
    assert (score.before.adherence.accepted_slots, score.before.adherence.started_on_time) == (4, 1)
    assert score.before.mean_performance == pytest.approx(60.0)
    assert score.after.adherence.start_rate == 1.0 and score.after.adherence.duration_rate == 1.0
    assert score.after.sessions == 4 and score.after.mean_performance == pytest.approx(80.0)
    partial = score_adaptation(day(7), slots, sessions, day(9, 60))
    assert not partial.complete and partial.after.adherence.accepted_slots == 2
