"""analyze_learner end to end: patterns, profile, data quality, insufficient data, privacy switch."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.patterns.synth import T0, full_learner, session
from twin.analysis.patterns.inputs import ContentObs, LearnerData
from twin.analysis.patterns.insights import generate_insights
from twin.analysis.patterns.lifecycle import plan_lifecycle
from twin.analysis.patterns.profile import analyze_learner
from twin.enums import BehavioralPatternType

NOW = T0 + timedelta(days=100)


def _full(seed: int = 5) -> LearnerData:
    sessions, reviews = full_learner(np.random.default_rng(seed))
    content = (
        ContentObs("clinical_reasoning", 60, 900, performance=84, retention=0.85, engagement=80),
        ContentObs("flashcard", 300, 2400, performance=72, retention=0.78, engagement=65),
        ContentObs("lecture", 20, 600, completion=0.9, engagement=60),
    )
    return LearnerData(
        now=NOW, sessions=sessions, reviews=reviews, content=content, total_reviews=400
    )


def test_full_learner_end_to_end() -> None:
    """The known truths come back as patterns; profile fields are set; insights follow."""
    result = analyze_learner(_full())
    assert result.sufficiency.sufficient and "fullAnalysis" not in result.insufficient
    types = {p.pattern_type for p in result.patterns}
    assert {
        BehavioralPatternType.OPTIMAL_STUDY_TIME,
        BehavioralPatternType.ATTENTION_CYCLE,
        BehavioralPatternType.FORGETTING_CURVE,
        BehavioralPatternType.CONTENT_TYPE_PREFERENCE,
    } <= types
    assert abs(result.study_time.optimal[0].hour - 7) <= 1
    assert result.attention.median_time_to_fatigue_minutes == 40
    assert result.content is not None and result.content.dominant_type == "clinical_reasoning"
    assert abs(result.forgetting.exponential.decay_per_day - 0.2) <= 0.05  # the ENGINE baseline
    assert abs(result.forgetting.curve.decay_per_day - 0.2) <= 0.05  # the new-card curve

    profile = result.profile.columns()
    assert set(profile) == {
        "preferredStudyTimes",
        "averageSessionDuration",
        "optimalSessionDuration",
        "contentPreferences",
        "learningStyleProfile",
        "personalizedForgettingCurve",
        "dataQualityScore",
    }
    assert sum(profile["contentPreferences"].values()) == pytest.approx(1.0, abs=1e-5)  # type: ignore[attr-defined]
    assert sum(profile["learningStyleProfile"].values()) == pytest.approx(1.0, abs=1e-5)  # type: ignore[attr-defined]
    curve = profile["personalizedForgettingCurve"]
    assert {"R0", "k", "halfLife", "halfLifeCi95", "exponentialFit"} <= curve.keys()  # type: ignore[attr-defined]
    mean_conf = sum(result.analyser_confidences.values()) / len(result.analyser_confidences)
    assert profile["dataQualityScore"] == pytest.approx(mean_conf, abs=1e-4)
    for p in result.patterns:
        assert 0.0 <= p.confidence <= 1.0 and p.evidence

    plan = plan_lifecycle([], result.patterns, now=NOW)
    insights = generate_insights(plan.current())
    assert 1 <= len(insights) <= 5
    assert all(i.patterns for i in insights)


def test_outputs_are_strict_json() -> None:
    """Pattern data, profile and heatmap serialise as JSON without NaN or infinity (JSONB rejects them)."""
    result = analyze_learner(_full())
    for p in result.patterns:
        json.dumps(p.data, allow_nan=False)
        json.dumps(list(p.evidence), allow_nan=False)
    json.dumps(result.profile.columns(), allow_nan=False)
    heatmap = result.study_time.heatmap
    json.dumps([heatmap.mean_performance, heatmap.mean_score, heatmap.sessions], allow_nan=False)
    sufficiency = result.sufficiency
    json.dumps([sufficiency.progress, sufficiency.minimums, sufficiency.missing], allow_nan=False)
    json.dumps(result.insufficient, allow_nan=False)


def test_style_profiling_off_computes_no_content_profile() -> None:
    """learningStyleProfilingEnabled = false: no content result, {} in the profile, no content pattern."""
    result = analyze_learner(_full(), style_profiling=False)
    assert result.content is None
    assert result.profile.columns()["contentPreferences"] == {}
    assert result.profile.columns()["learningStyleProfile"] == {}
    assert "contentPreference" not in result.analyser_confidences
    assert all(
        p.pattern_type != BehavioralPatternType.CONTENT_TYPE_PREFERENCE for p in result.patterns
    )


def test_insufficient_data_is_an_answer() -> None:
    """12 sessions over 3 weeks: no patterns, and each missing minimum with have / need."""
    data = LearnerData(
        now=T0 + timedelta(days=21, hours=9),
        sessions=tuple(session(f"s{i}", day=i, performance=70) for i in range(12)),
        total_reviews=30,
    )
    result = analyze_learner(data)
    assert result.patterns == ()
    assert result.insufficient["fullAnalysis"] == {
        "dataSpanDays": {"have": 11.0, "need": 42.0},  # day 0 09:00 to day 11 09:45
        "sessions": {"have": 12, "need": 20},
        "reviews": {"have": 30, "need": 50},
    }
    assert result.insufficient["forgettingCurve"]["firstRepeats"] == {"have": 0, "need": 30}
    assert result.profile.personalized_forgetting_curve["source"] == "baseline"
    # No content type used: nothing to prefer, not a uniform 25% that looks measured.
    assert result.profile.learning_style_profile == {}
    assert result.profile.content_preferences == {}
    assert result.insufficient["contentPreference"] == {"contentTypesUsed": {"have": 0, "need": 2}}
    assert result.profile.average_session_duration == 45
    assert 0.0 <= result.profile.data_quality_score <= 1.0


def test_empty_learner() -> None:
    """No data at all still answers, with zero durations and the baseline curve."""
    result = analyze_learner(LearnerData(now=NOW))
    assert result.patterns == ()
    assert result.profile.average_session_duration == 0
    assert result.profile.personalized_forgetting_curve["k"] == 0.14


@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_order_of_sessions_and_reviews_does_not_matter(data: st.DataObject) -> None:
    """Shuffled inputs give an identical analysis."""
    sessions, reviews = full_learner(np.random.default_rng(11), n_sessions=40)
    a = analyze_learner(LearnerData(now=NOW, sessions=sessions, reviews=reviews))
    b = analyze_learner(
        LearnerData(
            now=NOW,
            sessions=tuple(data.draw(st.permutations(sessions))),
            reviews=tuple(data.draw(st.permutations(reviews))),
        )
    )
    assert a == b
    assert all(0.0 <= c <= 1.0 for c in a.analyser_confidences.values())
