"""Insights: ≥ 0.7 patterns, ≤ 5 per analysis, ranking by type weight, dedupe, numbers in text."""

from __future__ import annotations

import pytest

from twin.analysis.patterns.common import DetectedPattern
from twin.analysis.patterns.content import LEARNING_STYLE_CAVEAT
from twin.analysis.patterns.insights import generate_insights, insight_key
from twin.enums import BehavioralPatternType, InsightType


def _study(hour: int, confidence: float, lift: float = 18.0) -> DetectedPattern:
    return DetectedPattern(
        BehavioralPatternType.OPTIMAL_STUDY_TIME,
        f"hour={hour:02d}",
        f"Best study time {hour:02d}:00",
        confidence,
        ("e",),
        {
            "hour": hour,
            "label": f"{hour:02d}:00",
            "window": f"{hour - 1:02d}:00–{hour + 2:02d}:00",
            "windowStartHour": hour - 1,
            "windowEndHour": hour + 2,
            "liftPercent": lift,
            "windowMean": 82.6,
            "restMean": 70.0,
            "windowSessions": 34,
            "restSessions": 66,
        },
    )


def _forgetting(confidence: float) -> DetectedPattern:
    return DetectedPattern(
        BehavioralPatternType.FORGETTING_CURVE,
        "curve",
        "You forget new material 1.4× faster than typical",
        confidence,
        ("e",),
        {
            "halfLife": 3.46,
            "halfLifeCi95": [2.9, 4.2],
            "firstRepeats": 320,
            "meanElapsedDays": 2.4,
            "recallRate": 0.63,
            "reviewIntervalDays": 1,
            "recallAtReviewInterval": 0.8186,
        },
    )


def _other(ptype: BehavioralPatternType, confidence: float, key: str = "x") -> DetectedPattern:
    return DetectedPattern(ptype, key, "n", confidence, ("e",), {})


def test_study_time_text_has_the_learners_numbers() -> None:
    """ "You score 18% higher … (n = 34 vs 66 sessions)" and an actionable window."""
    (i,) = generate_insights([_study(7, 0.8)])
    assert i.insight_type == InsightType.STUDY_TIME_OPTIMIZATION
    assert "You score 18% higher in sessions starting 06:00–09:00" in i.description
    assert "n = 34 vs 66 sessions" in i.description
    assert i.actionable_recommendation == "Plan your most demanding study between 06:00 and 09:00."
    assert i.patterns == (("OPTIMAL_STUDY_TIME", "hour=07"),)


def test_forgetting_text_cites_the_curve_and_its_interval() -> None:
    """Half-life with its interval, the first repeats behind it, and when to review new material."""
    (i,) = generate_insights([_forgetting(0.75)])
    assert i.insight_type == InsightType.RETENTION_STRATEGY
    assert i.actionable_recommendation == (
        "Review new material after 1 day, while recall is still near 80% (about 82% on your "
        "curve), then let the gaps grow."
    )
    assert "about 3.5 days (95% interval 2.9–4.2; typical: 5.0)" in i.description
    assert "320 cards you got right the first time" in i.description


def test_only_patterns_at_or_above_0_7() -> None:
    """Exactly 0.7 gives an insight; 0.69 does not."""
    assert len(generate_insights([_forgetting(0.7)])) == 1
    assert generate_insights([_forgetting(0.69)]) == []


def test_ranking_by_confidence_times_type_weight_and_at_most_five() -> None:
    """Equal confidence 0.8: study 0.96 > forgetting 0.88 > duration 0.80 > content 0.72; ≤ 5 kept."""
    patterns = [
        _other(BehavioralPatternType.CONTENT_TYPE_PREFERENCE, 0.8, "dominant=lecture"),
        _other(BehavioralPatternType.SESSION_DURATION_PREFERENCE, 0.8, "bucket=40-50"),
        _forgetting(0.8),
        _study(7, 0.8),
        _study(20, 0.8),
        _other(BehavioralPatternType.PERFORMANCE_PEAK, 0.75, "weekday:07-09"),
        _other(BehavioralPatternType.ATTENTION_CYCLE, 0.9, "attention"),
    ]
    out = generate_insights(patterns)
    assert len(out) == 5
    assert [round(i.rank_score, 4) for i in out] == [0.96, 0.96, 0.9, 0.9, 0.88]
    assert out[-1].insight_type == InsightType.RETENTION_STRATEGY
    assert all(i.insight_type != InsightType.CONTENT_PREFERENCE for i in out)


def test_open_insight_is_not_duplicated() -> None:
    """An unacknowledged insight with the same key suppresses the new one."""
    p = _forgetting(0.9)
    key = insight_key(InsightType.RETENTION_STRATEGY, p)
    assert key == "RETENTION_STRATEGY:FORGETTING_CURVE:curve"
    assert generate_insights([p], open_insight_keys={key}) == []


def test_adjacent_optimal_hours_merge_into_one_insight() -> None:
    """07:00 (window 06–09) absorbs 08:00; 20:00 stays separate; the merged insight links both."""
    out = generate_insights([_study(7, 0.9, lift=20), _study(8, 0.85), _study(20, 0.8)])
    assert len(out) == 2
    assert out[0].patterns == (("OPTIMAL_STUDY_TIME", "hour=07"), ("OPTIMAL_STUDY_TIME", "hour=08"))
    assert out[1].patterns == (("OPTIMAL_STUDY_TIME", "hour=20"),)


def test_content_insight_carries_the_caveat() -> None:
    """Content insights say learning-style labels are weak science and talk about what works for you."""
    p = DetectedPattern(
        BehavioralPatternType.CONTENT_TYPE_PREFERENCE,
        "dominant=clinical_reasoning",
        "Works best for you: clinical reasoning cases",
        0.8,
        ("e",),
        {
            "dominantType": "clinical_reasoning",
            "runnerUpType": "flashcard",
            "dominantScore": 0.82,
            "runnerUpScore": 0.64,
            "dominantItems": 40,
            "runnerUpItems": 120,
        },
    )
    (i,) = generate_insights([p])
    assert i.title == "What works for you: clinical reasoning cases"
    assert LEARNING_STYLE_CAVEAT in i.description
    assert "0.82 vs 0.64" in i.description


@pytest.mark.parametrize(
    "ptype",
    [
        BehavioralPatternType.PERFORMANCE_PEAK,
        BehavioralPatternType.SESSION_DURATION_PREFERENCE,
        BehavioralPatternType.ATTENTION_CYCLE,
    ],
)
def test_every_pattern_type_has_text(ptype: BehavioralPatternType) -> None:
    """Missing data fields never crash the text (older stored patterns)."""
    (i,) = generate_insights([_other(ptype, 0.8)])
    assert i.title and i.description and i.actionable_recommendation
