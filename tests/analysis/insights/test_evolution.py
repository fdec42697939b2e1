"""Pattern evolution (new / kept / gone) and progress comparison with 2, 4 or 8 weeks ago."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from twin.analysis.common import InsufficientData
from twin.analysis.insights.evolution import (
    Change,
    PatternState,
    ProgressComparison,
    WeekPatterns,
    compare_progress,
    pattern_evolution,
)
from twin.analysis.insights.score import Component, WeeklyScore
from twin.enums import BehavioralPatternType as PT

MONDAY = date(2026, 1, 5)
STUDY = PatternState(PT.OPTIMAL_STUDY_TIME, "hour=07", "Best study time 07:00", 0.72)
CURVE = PatternState(PT.FORGETTING_CURVE, "curve", "You forget faster", 0.80)
LENGTH = PatternState(PT.SESSION_DURATION_PREFERENCE, "bucket=40-50", "40–50 min work best", 0.65)


def snap(week: int, *patterns: PatternState) -> WeekPatterns:
    return WeekPatterns(MONDAY + timedelta(weeks=week), patterns)


def test_week_by_week_golden() -> None:
    """Week 0 {study, curve}; week 1 {study↑, length}; week 2 {length}."""
    study_up = PatternState(PT.OPTIMAL_STUDY_TIME, "hour=07", "Best study time 07:00", 0.77)
    evo = pattern_evolution([snap(1, study_up, LENGTH), snap(0, STUDY, CURVE), snap(2, LENGTH)])
    assert [e.week_start for e in evo] == [MONDAY + timedelta(weeks=w) for w in range(3)]
    first, second, third = evo
    assert {c.key for c in first.new} == {"hour=07", "curve"} and not first.kept and not first.gone
    (kept,) = second.kept
    assert (kept.key, kept.previous_confidence, kept.confidence) == ("hour=07", 0.72, 0.77)
    assert kept.confidence_change == pytest.approx(0.05)
    assert [c.key for c in second.new] == ["bucket=40-50"]
    assert [(c.key, c.change, c.confidence, c.previous_confidence) for c in second.gone] == [
        ("curve", Change.GONE, None, 0.80)
    ]
    assert [c.key for c in third.gone] == ["hour=07"] and [c.key for c in third.kept] == [
        "bucket=40-50"
    ]


def test_the_week_before_the_range_is_the_reference() -> None:
    """Asking for 2 weeks out of 3 snapshots: the oldest only serves as reference (nothing 'new')."""
    evo = pattern_evolution([snap(0, STUDY), snap(1, STUDY), snap(2, STUDY, CURVE)], weeks=2)
    assert len(evo) == 2
    assert not evo[0].new and [c.key for c in evo[0].kept] == ["hour=07"]
    assert [c.key for c in evo[1].new] == ["curve"]
    with pytest.raises(ValueError):
        pattern_evolution([], weeks=0)


def weekly(week: int, score: float, quality: float | None) -> WeeklyScore:
    parts: dict[Component, float | None] = dict.fromkeys(Component, 50.0)
    parts[Component.QUALITY] = quality
    return WeeklyScore(MONDAY + timedelta(weeks=week), score, parts)


def test_progress_comparison_golden() -> None:
    """Now (week 8) vs 4 weeks ago (week 4): score 61 → 70 better, quality unknown then, others same."""
    scores = [weekly(w, 55.0 + w, 60.0) for w in range(9)]
    scores[4] = weekly(4, 61.0, None)
    scores[8] = weekly(8, 70.0, 72.0)
    out = compare_progress(scores, 4, [snap(4, STUDY), snap(8, STUDY, CURVE)])
    assert isinstance(out, ProgressComparison)
    assert (out.week_now, out.week_then) == (
        MONDAY + timedelta(weeks=8),
        MONDAY + timedelta(weeks=4),
    )
    by_name = {m.name: m for m in out.metrics}
    assert by_name["score"].change == pytest.approx(9.0) and by_name["score"].direction == "better"
    assert by_name["quality"].direction == "unknown"
    assert by_name["consistency"].direction == "same"
    assert out.patterns_found == ("You forget faster",) and out.patterns_lost == ()


def test_progress_comparison_needs_history_and_an_allowed_span() -> None:
    """3 weeks of history cannot be compared with 4 weeks ago; 3 is not an allowed span."""
    scores = [weekly(w, 50.0, 50.0) for w in range(3)]
    assert compare_progress(scores, 4) == InsufficientData("weeksOfHistory", 3, 5)
    assert compare_progress([], 2) == InsufficientData("weeksOfHistory", 0, 3)
    with pytest.raises(ValueError, match="compareWeeks"):
        compare_progress(scores, 3)
    assert isinstance(compare_progress(scores, 2), ProgressComparison)
