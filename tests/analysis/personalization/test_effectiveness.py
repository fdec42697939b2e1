"""Effectiveness: improvements, composite score, Pearson r with p-value and Fisher interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from twin.analysis.common import InsufficientData
from twin.analysis.personalization.effectiveness import (
    Effectiveness,
    OutcomeRecord,
    measure_effectiveness,
    outcome_score,
    pearson,
)
from twin.enums import PersonalizationLevel

L = PersonalizationLevel


def test_pearson_golden() -> None:
    """x = 1..5, y = 2,4,5,4,5: Σdxdy = 6, Σdx² = 10, Σdy² = 6 → r = 6/√60 = 0.774597;
    t = r√3/√(1 − r²), p = 2·sf(t, 3); CI tanh(atanh r ± 1.959964/√2)."""
    c = pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])
    assert c is not None
    r = 6 / math.sqrt(60)
    assert c.r == pytest.approx(r)
    t = r * math.sqrt(3) / math.sqrt(1 - r * r)
    assert c.p_value == pytest.approx(2 * stats.t.sf(t, 3))
    half = 1.959963984540054 / math.sqrt(2)
    assert (c.low, c.high) == pytest.approx(
        (math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
    )
    assert not c.significant
    assert pearson([1, 1, 1, 1], [1, 2, 3, 4]) is None  # no spread in x
    assert pearson([1, 2, 3], [1, 2, 3]) is None  # under 4 pairs


def test_outcome_score_renormalises() -> None:
    """(0.4·0.8 + 0.3·0.70 + 0.1·0.50)/0.8 = 0.725 when completion is missing."""
    o = OutcomeRecord(L.MEDIUM, retention=0.8, performance=70.0, engagement=50.0)
    assert outcome_score(o) == pytest.approx(0.725)
    assert outcome_score(OutcomeRecord(L.NONE)) is None


def _records(
    level: PersonalizationLevel, n: int, ret: float, perf: float, comp: float, eng: float
) -> list[OutcomeRecord]:
    return [OutcomeRecord(level, ret, perf, comp, eng) for _ in range(n)]


def test_golden_improvement_and_composite() -> None:
    """+0.1 retention, +10 performance, +0.1 completion, +6 engagement:
    100·(0.4·0.75 + 0.3·0.75 + 0.2·0.75 + 0.1·0.65) = 74."""
    baseline = _records(L.NONE, 10, 0.7, 60.0, 0.5, 60.0)
    window = _records(L.MEDIUM, 12, 0.8, 70.0, 0.6, 66.0)
    e = measure_effectiveness(window, baseline)
    assert isinstance(e, Effectiveness)
    assert e.retention_improvement == pytest.approx(0.1)
    assert e.performance_improvement == pytest.approx(10.0)
    assert e.completion_rate_change == pytest.approx(0.1)
    assert e.engagement_change == pytest.approx(6.0)
    assert e.composite_score == pytest.approx(74.0)
    assert (e.sample_size, e.baseline_size) == (12, 10)
    # Two distinct scores, perfectly separated by the level: r = 1, significant.
    assert e.correlation is not None and e.correlation.r == pytest.approx(1.0)
    assert e.significant
    j = e.to_json()
    assert j["isStatisticallySignificant"] is True and j["compositeScore"] == 74.0


def test_correlation_matches_scipy_on_noisy_outcomes() -> None:
    """r, p and the Fisher interval over baseline ∪ window against scipy and the formula."""
    rng = np.random.default_rng(5)
    baseline = [
        OutcomeRecord(L.NONE, float(v), None, None, None) for v in rng.uniform(0.5, 0.8, 15)
    ]
    window = [
        OutcomeRecord(L.HIGH, float(v), None, None, None) for v in rng.uniform(0.55, 0.85, 20)
    ]
    e = measure_effectiveness(window, baseline)
    assert isinstance(e, Effectiveness) and e.correlation is not None
    x = [0.0] * 15 + [3.0] * 20
    y = [o.retention for o in (*baseline, *window)]
    ref = stats.pearsonr(x, y)
    assert e.correlation.r == pytest.approx(ref.statistic)
    assert e.correlation.p_value == pytest.approx(ref.pvalue)
    z, half = math.atanh(ref.statistic), 1.959963984540054 / math.sqrt(35 - 3)
    assert e.correlation.low == pytest.approx(math.tanh(z - half))
    assert e.correlation.n == 35


def test_insufficient_data_below_ten() -> None:
    """9 outcomes in the window, or 9 in the baseline: insufficient data, never zeros."""
    ten = _records(L.NONE, 10, 0.7, 60.0, 0.5, 60.0)
    assert measure_effectiveness(ten[:9], ten) == InsufficientData("outcomes", 9, 10)
    assert measure_effectiveness(ten, ten[:9]) == InsufficientData("baselineOutcomes", 9, 10)


def test_same_level_everywhere_has_no_correlation() -> None:
    """Every outcome at one level: no r, and the answer says why."""
    e = measure_effectiveness(
        _records(L.MEDIUM, 10, 0.8, 70, 1, 60), _records(L.MEDIUM, 10, 0.7, 60, 1, 60)
    )
    assert isinstance(e, Effectiveness)
    assert e.correlation is None and not e.significant
    assert any("same personalization level" in n for n in e.notes)


records = st.builds(
    OutcomeRecord,
    st.sampled_from(list(L)),
    st.none() | st.floats(0, 1),
    st.none() | st.floats(0, 100),
    st.none() | st.floats(0, 1),
    st.none() | st.floats(0, 100),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(records, min_size=10, max_size=30), st.lists(records, min_size=10, max_size=30))
def test_effectiveness_ranges(window: list[OutcomeRecord], baseline: list[OutcomeRecord]) -> None:
    """Composite in [0, 100]; r in [−1, 1] inside its interval; significant iff p < 0.05."""
    e = measure_effectiveness(window, baseline)
    assert isinstance(e, Effectiveness)
    assert 0.0 <= e.composite_score <= 100.0
    if e.correlation is not None:
        c = e.correlation
        assert -1.0 <= c.low <= c.r <= c.high <= 1.0
        assert e.significant == (c.p_value < 0.05)
