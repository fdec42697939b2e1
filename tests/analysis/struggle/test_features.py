"""The 15 struggle features: golden values, the exam-proximity meaning, unknowns, bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.struggle.features import (
    FEATURE_NAMES,
    UNKNOWN_VALUE,
    FeatureVector,
    ObjectiveContext,
    build_features,
    exam_proximity_feature,
)
from twin.enums import ObjectiveComplexity

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

FULL = ObjectiveContext(
    now=NOW,
    recall_predictions=(0.9, 0.7, 0.5),
    recall_trend_per_week=-0.05,
    reviews_30d=20,
    again_30d=5,
    recent_session_performance=80.0,
    validation_scores=(0.6, 0.8),
    prerequisite_masteries=(0.5, 0.9, 0.65, 0.8),
    complexity=ObjectiveComplexity.ADVANCED,
    learner_ability=0.6,
    past_struggles_in_course=3,
    past_outcomes_in_course=8,
    content_type_mismatch=0.2,
    recent_mean_cognitive_load=65.0,
    days_until_exam=45.0,
    days_since_last_study=6.0,
    open_objectives=10,
)


def test_golden_full_context() -> None:
    """Every feature of a fully measured context, computed by hand."""
    f = build_features(FULL)
    expected = {
        "retentionScore": 0.7,  # mean(0.9, 0.7, 0.5)
        "retentionDeclineRate": 0.25,  # 0.05 per week / 0.2 per week
        "reviewLapseRate": 0.25,  # 5 AGAIN / 20 reviews
        "sessionPerformanceScore": 0.8,  # 80 / 100
        "validationScore": 0.7,  # mean(0.6, 0.8)
        "prerequisiteGapCount": 0.5,  # 0.5 and 0.65 are below 0.7: 2 / 4
        "prerequisiteMasteryGap": 0.2875,  # 1 − 2.85 / 4
        "contentComplexity": 0.9,  # ADVANCED
        "complexityMismatch": 0.3,  # max(0, 0.9 − 0.6)
        "historicalStruggleScore": 0.4,  # (3 + 0.5·2) / (8 + 2)
        "contentTypeMismatch": 0.2,
        "cognitiveLoadIndicator": 0.65,  # 65 / 100
        "daysUntilExam": 0.5,  # 45 / 90
        "daysSinceLastStudy": 0.2,  # 6 / 30
        "workloadLevel": 0.2,  # 10 / 50
    }
    assert f.as_dict() == pytest.approx(expected)
    assert f.unknown == frozenset()
    assert f.data_quality == 1.0


def test_array_order_is_the_documented_order() -> None:
    """``as_array`` follows ``FEATURE_NAMES``; ``from_array`` inverts it."""
    f = build_features(FULL)
    assert FeatureVector.names() == FEATURE_NAMES
    assert len(FEATURE_NAMES) == 15
    assert list(f.as_array()) == list(f.as_dict().values())
    assert FeatureVector.from_array(f.as_array()) == f
    assert f.as_array()[FEATURE_NAMES.index("complexityMismatch")] == pytest.approx(0.3)


def test_empty_context_unknowns_are_half_and_recorded() -> None:
    """Nothing measured: 12 features are 0.5 and unknown; exam/since-study/workload are facts."""
    f = build_features(ObjectiveContext(now=NOW))
    always_measured = {"daysUntilExam", "daysSinceLastStudy", "workloadLevel"}
    assert f.unknown == frozenset(FEATURE_NAMES) - always_measured
    for name in f.unknown:
        assert f.as_dict()[name] == UNKNOWN_VALUE
    assert f.days_until_exam == 1.0  # no exam: far away
    assert f.days_since_last_study == 1.0  # never studied
    assert f.workload_level == 0.0
    assert f.data_quality == pytest.approx(3 / 15)
    assert f.stored_json()["dataQuality"] == 0.2


def test_no_prerequisites_is_measured_zero() -> None:
    """An objective without prerequisites has no gap; unknown prerequisites are 0.5."""
    none = build_features(ObjectiveContext(now=NOW, prerequisite_masteries=()))
    assert none.prerequisite_gap_count == 0.0
    assert none.prerequisite_mastery_gap == 0.0
    assert "prerequisiteGapCount" not in none.unknown


def test_prerequisite_threshold_edge() -> None:
    """Mastery exactly 0.7 is not a gap; 0.6999 is."""
    f = build_features(ObjectiveContext(now=NOW, prerequisite_masteries=(0.7, 0.6999)))
    assert f.prerequisite_gap_count == 0.5


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (None, 1.0),  # no exam: far away
        (0.0, 0.0),  # exam today: as close as it gets
        (90.0, 1.0),  # 90 / 90
        (200.0, 1.0),  # clamped
        (9.0, 0.1),  # 9 / 90
        (-3.0, 1.0),  # exam passed: no upcoming exam
    ],
)
def test_exam_proximity_one_means_far_or_no_exam(days: float | None, expected: float) -> None:
    """daysUntilExam: 1 = far away or no exam (the source system had both meanings)."""
    assert exam_proximity_feature(days) == pytest.approx(expected)
    f = build_features(ObjectiveContext(now=NOW, days_until_exam=days))
    assert f.days_until_exam == pytest.approx(expected)
    assert "daysUntilExam" not in f.unknown


def test_no_exam_scores_like_a_distant_exam_not_an_imminent_one() -> None:
    """The meaning cannot flip: no exam equals 200 days away and is the opposite of today."""
    assert exam_proximity_feature(None) == exam_proximity_feature(200.0)
    assert exam_proximity_feature(None) > exam_proximity_feature(0.0)


def test_complexity_values_and_mismatch_floor() -> None:
    """BASIC 0.3 / INTERMEDIATE 0.6 / ADVANCED 0.9; mismatch never negative."""
    for cx, v in [
        (ObjectiveComplexity.BASIC, 0.3),
        (ObjectiveComplexity.INTERMEDIATE, 0.6),
        (ObjectiveComplexity.ADVANCED, 0.9),
    ]:
        f = build_features(ObjectiveContext(now=NOW, complexity=cx, learner_ability=0.95))
        assert f.content_complexity == v
        assert f.complexity_mismatch == 0.0


def test_out_of_range_vector_is_rejected() -> None:
    """FeatureVector refuses values outside [0, 1]."""
    with pytest.raises(ValueError):
        FeatureVector.from_array([0.5] * 14 + [1.5])


unit = st.floats(0.0, 1.0)
contexts = st.builds(
    ObjectiveContext,
    now=st.just(NOW),
    recall_predictions=st.lists(unit, max_size=5).map(tuple),
    recall_trend_per_week=st.none() | st.floats(-2.0, 2.0),
    reviews_30d=st.integers(0, 200),
    again_30d=st.integers(0, 200),
    recent_session_performance=st.none() | st.floats(-10.0, 150.0),
    validation_scores=st.lists(unit, max_size=5).map(tuple),
    prerequisite_masteries=st.none() | st.lists(unit, max_size=5).map(tuple),
    complexity=st.none() | st.sampled_from(ObjectiveComplexity),
    learner_ability=st.none() | unit,
    past_struggles_in_course=st.integers(0, 20),
    past_outcomes_in_course=st.integers(0, 20),
    content_type_mismatch=st.none() | st.floats(-1.0, 2.0),
    recent_mean_cognitive_load=st.none() | st.floats(0.0, 120.0),
    days_until_exam=st.none() | st.floats(-30.0, 400.0),
    days_since_last_study=st.none() | st.floats(0.0, 400.0),
    open_objectives=st.integers(0, 500),
).filter(
    lambda c: (
        c.again_30d <= c.reviews_30d and c.past_struggles_in_course <= c.past_outcomes_in_course
    )
)


@given(contexts)
def test_every_feature_in_unit_interval_and_unknowns_are_half(ctx: ObjectiveContext) -> None:
    """All 15 features in [0, 1]; each unknown is exactly 0.5; data quality matches."""
    f = build_features(ctx)
    arr = f.as_array()
    assert arr.shape == (15,)
    assert np.all((arr >= 0.0) & (arr <= 1.0))
    assert all(f.as_dict()[n] == UNKNOWN_VALUE for n in f.unknown)
    assert f.data_quality == pytest.approx(1 - len(f.unknown) / 15)
