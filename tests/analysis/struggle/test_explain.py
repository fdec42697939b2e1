"""Explaining a prediction: feature values in words, prediction confidence (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.struggle.hand_learner import T
from twin.analysis.struggle.features import (
    FEATURE_NAMES,
    FeatureVector,
    ObjectiveContext,
    build_features,
    feature_reason,
    prediction_confidence,
)
from twin.enums import ObjectiveComplexity


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        # round(100·v)% for shares; the horizons are 90 (exam) and 30 (study gap) days
        ("retentionScore", 0.42, "predicted recall of its cards is 42%"),
        ("reviewLapseRate", 0.25, "25% of its reviews in the last 30 days were AGAIN"),
        ("prerequisiteMasteryGap", 0.3, "its prerequisites are 70% mastered on average"),
        ("daysUntilExam", 1.0, "no exam within 90 days"),
        ("daysUntilExam", 0.1, "its exam is in about 9 days"),
        ("daysSinceLastStudy", 1.0, "not studied for 30 days or more"),
        ("daysSinceLastStudy", 0.2, "last studied 6 days ago"),
        ("workloadLevel", 0.1, "5 objectives open in your missions"),
        ("somethingNew", 0.123, "somethingNew = 0.12"),
    ],
)
def test_feature_reason_golden(name: str, value: float, words: str) -> None:
    """The words of a feature value (ENGINE.md's explanations), checked by hand."""
    assert feature_reason(name, value) == words


def test_every_feature_has_words() -> None:
    """No feature falls through to the generic ``name = value``."""
    for name in FEATURE_NAMES:
        assert not feature_reason(name, 0.5).startswith(f"{name} =")


def _features(validation: float) -> FeatureVector:
    ctx = ObjectiveContext(
        now=T,
        recall_predictions=(0.8, 0.6),
        recall_trend_per_week=-0.05,
        reviews_30d=10,
        again_30d=2,
        recent_session_performance=70.0,
        validation_scores=(validation,),
        prerequisite_masteries=(0.9,),
        complexity=ObjectiveComplexity.INTERMEDIATE,
        learner_ability=0.6,
        past_struggles_in_course=1,
        past_outcomes_in_course=4,
        content_type_mismatch=0.2,
        recent_mean_cognitive_load=40.0,
        days_until_exam=20.0,
        days_since_last_study=2.0,
        open_objectives=10,
    )
    return build_features(ctx)


def test_confidence_golden() -> None:
    """dataQuality × (0.5 + 0.5·|2p − 1|): a coin flip halves the data quality, certainty keeps it."""
    features = _features(0.7)
    q = features.data_quality
    assert prediction_confidence(features, 0.5) == pytest.approx(0.5 * q)
    assert prediction_confidence(features, 1.0) == pytest.approx(q)
    assert prediction_confidence(features, 0.9) == pytest.approx(0.9 * q)


@settings(max_examples=60, deadline=None)
@given(p=st.floats(min_value=0.0, max_value=1.0), v=st.floats(min_value=0.0, max_value=1.0))
def test_confidence_is_bounded_and_symmetric(p: float, v: float) -> None:
    """Confidence lies in [0, 1] and is the same for p and 1 − p."""
    features = _features(v)
    c = prediction_confidence(features, p)
    assert 0.0 <= c <= 1.0
    assert c == pytest.approx(prediction_confidence(features, 1.0 - p))
