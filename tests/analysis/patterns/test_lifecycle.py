"""Pattern lifecycle: save at 0.6, +0.05 to 0.95 when seen, −0.1 when missed, delete rules, cap."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.patterns.synth import T0
from twin.analysis.patterns.common import DetectedPattern
from twin.analysis.patterns.lifecycle import (
    DELETE_LOW_CONFIDENCE,
    DELETE_MISSED,
    DELETE_OVER_CAP,
    MAX_PATTERNS_PER_LEARNER,
    StoredPattern,
    plan_lifecycle,
)
from twin.enums import BehavioralPatternType

NOW = T0 + timedelta(days=60)


def _detected(
    key: str,
    confidence: float,
    ptype: BehavioralPatternType = BehavioralPatternType.OPTIMAL_STUDY_TIME,
) -> DetectedPattern:
    return DetectedPattern(ptype, key, f"name {key}", confidence, ("e",), {"k": key})


def _stored(
    key: str, confidence: float, misses: int = 0, age_days: int = 10, pid: str | None = None
) -> StoredPattern:
    return StoredPattern(
        pattern_id=pid or f"id-{key}",
        pattern_type=BehavioralPatternType.OPTIMAL_STUDY_TIME,
        key=key,
        confidence=confidence,
        occurrence_count=3,
        consecutive_misses=misses,
        first_detected_at=NOW - timedelta(days=age_days),
        last_seen_at=NOW - timedelta(days=1),
    )


def test_new_pattern_saved_at_exactly_0_6_not_below() -> None:
    """0.6 is saved with occurrenceCount 1; 0.59 is not; 0.99 is saved capped at 0.95."""
    plan = plan_lifecycle(
        [], [_detected("a", 0.6), _detected("b", 0.59), _detected("c", 0.99)], now=NOW
    )
    saved = {c.pattern.key: c for c in plan.creates}
    assert set(saved) == {"a", "c"}
    assert saved["a"].confidence == 0.6 and saved["a"].occurrence_count == 1
    assert saved["a"].first_detected_at == NOW == saved["a"].last_seen_at
    assert saved["c"].confidence == 0.95
    assert [p.key for p in plan.not_saved] == ["b"]


def test_seen_again_adds_0_05_up_to_0_95() -> None:
    """0.7 → 0.75; 0.9 → 0.95 exactly; 0.93 → 0.95 (cap); occurrence + 1, lastSeenAt = now, misses reset."""
    plan = plan_lifecycle(
        [_stored("a", 0.7, misses=2), _stored("b", 0.9), _stored("c", 0.93)],
        [_detected("a", 0.3), _detected("b", 0.8), _detected("c", 0.8)],
        now=NOW,
    )
    by_key = {u.key: u for u in plan.updates}
    assert by_key["a"].confidence == 0.75
    assert by_key["b"].confidence == 0.95
    assert by_key["c"].confidence == 0.95
    assert by_key["a"].occurrence_count == 4 and by_key["a"].last_seen_at == NOW
    assert by_key["a"].consecutive_misses == 0 and by_key["a"].seen
    assert plan.creates == () and plan.deletes == ()


def test_missed_loses_0_1_and_exactly_0_4_survives() -> None:
    """0.5 → 0.4 stays (not below 0.4); 0.45 → 0.35 deleted; lastSeenAt unchanged."""
    plan = plan_lifecycle([_stored("a", 0.5), _stored("b", 0.45)], [], now=NOW)
    (kept,) = plan.updates
    assert kept.key == "a" and kept.confidence == 0.4 and kept.consecutive_misses == 1
    assert kept.last_seen_at == NOW - timedelta(days=1) and not kept.seen
    assert plan.deletes[0].pattern_id == "id-b" and plan.deletes[0].reason == DELETE_LOW_CONFIDENCE


def test_0_6_missed_twice_is_exactly_0_4() -> None:
    """0.6 − 0.1 − 0.1 is 0.4 after rounding (0.39999… in raw floating point) and survives."""
    first = plan_lifecycle([_stored("a", 0.6)], [], now=NOW).updates[0]
    second = plan_lifecycle(
        [_stored("a", first.confidence, misses=first.consecutive_misses)], [], now=NOW
    )
    assert second.updates[0].confidence == 0.4 and second.deletes == ()


def test_third_consecutive_miss_deletes() -> None:
    """Misses 2 → 3: deleted even at high confidence; misses 1 → 2: kept."""
    plan = plan_lifecycle([_stored("a", 0.9, misses=2), _stored("b", 0.9, misses=1)], [], now=NOW)
    assert [(d.pattern_id, d.reason) for d in plan.deletes] == [("id-a", DELETE_MISSED)]
    assert plan.updates[0].consecutive_misses == 2


def test_cap_of_100_drops_lowest_confidence_oldest_first() -> None:
    """100 stored (seen) + 2 new: the two lowest-confidence go; among equals the oldest first."""
    stored = [_stored(f"s{i:03d}", 0.9, age_days=10) for i in range(98)]
    stored += [_stored("old", 0.7, age_days=50), _stored("young", 0.7, age_days=5)]
    detected = [_detected(s.key, 0.8) for s in stored] + [
        _detected("n1", 0.9),
        _detected("n2", 0.6),
    ]
    plan = plan_lifecycle(stored, detected, now=NOW)
    # After the seen bonus: "old"/"young" 0.75, new n2 0.6 (the lowest), n1 0.9.
    assert len(plan.updates) + len(plan.creates) == MAX_PATTERNS_PER_LEARNER
    assert [(d.pattern_id, d.reason) for d in plan.deletes] == [("id-old", DELETE_OVER_CAP)]
    assert [p.key for p in plan.not_saved] == ["n2"]


def test_current_patterns_carry_lifecycle_confidence() -> None:
    """current() = created and seen patterns, each with its stored confidence."""
    plan = plan_lifecycle(
        [_stored("a", 0.7), _stored("gone", 0.9)],
        [_detected("a", 0.65), _detected("b", 0.8)],
        now=NOW,
    )
    assert sorted((p.key, p.confidence) for p in plan.current()) == [("a", 0.75), ("b", 0.8)]


@settings(max_examples=60, deadline=None)
@given(
    stored=st.lists(
        st.tuples(st.integers(0, 30), st.floats(0.0, 1.0), st.integers(0, 2)), max_size=15
    ),
    detected=st.lists(st.tuples(st.integers(0, 30), st.floats(0.0, 1.0)), max_size=15),
)
def test_confidences_stay_in_bounds(
    stored: list[tuple[int, float, int]], detected: list[tuple[int, float]]
) -> None:
    """Every confidence the plan writes is in [0, 0.95] (new) or [0.4, 0.95] (kept), ≤ 100 patterns."""
    st_patterns = [_stored(f"k{k}", c, misses=m, pid=f"p{i}") for i, (k, c, m) in enumerate(stored)]
    plan = plan_lifecycle(st_patterns, [_detected(f"k{k}", c) for k, c in detected], now=NOW)
    for c in plan.creates:
        assert 0.6 <= c.confidence <= 0.95
    for u in plan.updates:
        if u.seen:
            assert 0.0 <= u.confidence <= 0.95
        else:
            assert 0.4 <= u.confidence <= 0.95 or u.confidence == pytest.approx(0.4)
    ids = [u.pattern_id for u in plan.updates] + [d.pattern_id for d in plan.deletes]
    assert sorted(ids) == sorted(p.pattern_id for p in st_patterns)


# --- seen again only on new data -----------------------------------------------------------


def test_same_data_changes_nothing_stored() -> None:
    """No new data: a detected stored pattern keeps 0.76, 3 occurrences, its lastSeenAt (the source
    raised 0.76 → 0.86 → 0.91 → 0.95 on forced re-runs); an undetected one keeps its misses."""
    stored = [_stored("a", 0.76), _stored("b", 0.7, misses=1)]
    plan = plan_lifecycle(stored, [_detected("a", 0.76)], now=NOW, new_data=False)
    by_key = {u.key: u for u in plan.updates}
    a, b = by_key["a"], by_key["b"]
    assert (a.confidence, a.occurrence_count, a.consecutive_misses) == (0.76, 3, 0)
    assert a.last_seen_at == NOW - timedelta(days=1) and a.seen  # data refreshed, nothing counted
    assert (b.confidence, b.occurrence_count, b.consecutive_misses, b.seen) == (0.7, 3, 1, False)
    assert plan.deletes == () and plan.creates == ()
    assert [p.confidence for p in plan.current()] == [0.76]


def test_new_data_confirms_as_before() -> None:
    """With new data the same detection is "seen again": 0.76 → 0.81, occurrence 4, lastSeenAt now."""
    (u,) = plan_lifecycle([_stored("a", 0.76)], [_detected("a", 0.76)], now=NOW).updates
    assert (u.confidence, u.occurrence_count, u.last_seen_at) == (0.81, 4, NOW)


def _apply(stored: list[StoredPattern], plan_now: datetime, **kw: bool) -> list[StoredPattern]:
    plan = plan_lifecycle(stored, DETECTIONS, now=plan_now, **kw)
    out = [
        StoredPattern(
            f"id-{c.pattern.key}",
            str(c.pattern.pattern_type),
            c.pattern.key,
            c.confidence,
            c.occurrence_count,
            c.consecutive_misses,
            c.first_detected_at,
            c.last_seen_at,
        )
        for c in plan.creates
    ]
    out += [
        StoredPattern(
            u.pattern_id,
            u.pattern_type,
            u.key,
            u.confidence,
            u.occurrence_count,
            u.consecutive_misses,
            u.first_detected_at,
            u.last_seen_at,
        )
        for u in plan.updates
    ]
    return sorted(out, key=lambda s: s.pattern_id)


DETECTIONS = [_detected("a", 0.76), _detected("b", 0.67), _detected("c", 0.5)]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6))
def test_forced_reanalysis_of_the_same_data_is_idempotent(repeats: int) -> None:
    """After a first analysis, re-running it any number of times on the same data (no new data)
    leaves every stored pattern exactly as the first run left it."""
    first = _apply([], NOW)
    state = first
    for i in range(repeats):
        state = _apply(state, NOW + timedelta(hours=i + 1), new_data=False)
    assert state == first
