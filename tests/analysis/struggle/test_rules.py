"""The additive rule baseline: golden probabilities, neutral unknowns, directions."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from tests.analysis.struggle.test_features import FULL
from twin.analysis.struggle.features import FeatureVector, build_features
from twin.analysis.struggle.rules import RULE_MODEL_VERSION, rule_predict


def test_all_unknown_gives_the_prior() -> None:
    """Every feature 0.5 contributes nothing: p = logistic(logit(0.3)) = 0.3."""
    r = rule_predict(FeatureVector.from_array([0.5] * 15))
    assert r.probability == pytest.approx(0.3)
    assert all(c == 0.0 for c in r.contributions.values())
    assert r.model_version == RULE_MODEL_VERSION


def test_golden_full_context() -> None:
    """Σ wᵢ(xᵢ − 0.5) for the golden context of test_features, by hand.

    retention −3·0.2 = −0.6; decline 1·(−0.25); lapse 2·(−0.25); performance −2·0.3;
    validation −2·0.2; gap count 0; mastery gap 1.5·(−0.2125) = −0.31875; complexity
    0.5·0.4 = 0.2; mismatch 2·(−0.2) = −0.4; history 1.5·(−0.1); content 0.5·(−0.3);
    load 1·0.15; exam 0; since-study 0.5·(−0.3); workload 0.5·(−0.3). Sum −3.31875;
    score = ln(3/7) − 3.31875 = −4.1660479; p = 1/(1 + e^4.1660479) = 0.0152765.
    """
    r = rule_predict(build_features(FULL))
    assert math.fsum(r.contributions.values()) == pytest.approx(-3.31875)
    assert r.score == pytest.approx(-4.166047860387204)
    assert r.probability == pytest.approx(0.01527645984707343)
    assert r.contributions["complexityMismatch"] == pytest.approx(-0.4)
    assert r.top_factors(2) == [
        ("contentComplexity", pytest.approx(0.2)),
        ("cognitiveLoadIndicator", pytest.approx(0.15)),
    ]


@pytest.mark.parametrize(
    ("field", "direction"),
    [
        ("retention_score", -1),
        ("prerequisite_gap_count", +1),
        ("complexity_mismatch", +1),
        ("historical_struggle_score", +1),
        ("cognitive_load_indicator", +1),
        ("days_until_exam", -1),  # a nearer exam (smaller value) pushes up
        ("session_performance_score", -1),
        ("validation_score", -1),
    ],
)
def test_documented_directions(field: str, direction: int) -> None:
    """Raising a feature from 0.2 to 0.8 moves p in the documented direction."""
    base = FeatureVector.from_array([0.5] * 15)
    lo = rule_predict(replace(base, **{field: 0.2})).probability
    hi = rule_predict(replace(base, **{field: 0.8})).probability
    assert (hi - lo) * direction > 0
