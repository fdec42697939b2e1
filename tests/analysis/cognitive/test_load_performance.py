"""Load versus performance: the 30-session minimum, Pearson r, the best band."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from twin.analysis.cognitive.load_performance import (
    LoadPerformanceAnalysis,
    analyze_load_performance,
)
from twin.analysis.common import InsufficientData

# Six sessions per 20-point band; performance peaks in the 40–60 band (an inverted U).
BAND_PERFORMANCE = {10.0: 60.0, 30.0: 75.0, 50.0: 85.0, 70.0: 70.0, 90.0: 50.0}
LOADS = [centre + offset for centre in BAND_PERFORMANCE for offset in (-6, -3, -1, 1, 3, 6)]
PERFS = [BAND_PERFORMANCE[centre] for centre in BAND_PERFORMANCE for _ in range(6)]


def _analysis(loads: list[float], perfs: list[float]) -> LoadPerformanceAnalysis:
    result = analyze_load_performance(loads, perfs)
    assert isinstance(result, LoadPerformanceAnalysis)
    return result


def test_minimum_edge() -> None:
    """29 sessions: what is missing; 30 sessions: an analysis."""
    short = analyze_load_performance(LOADS[:29], PERFS[:29])
    assert isinstance(short, InsufficientData)
    assert short.to_json() == {"sessions": {"have": 29, "need": 30}}
    assert _analysis(LOADS, PERFS).sessions == 30


def test_pearson_matches_the_textbook_formula() -> None:
    """r = cov / (sd·sd); p from t = r·√(n−2)/√(1−r²) on n−2 degrees of freedom, two-sided."""
    result = _analysis(LOADS, PERFS)
    x, y = np.asarray(LOADS), np.asarray(PERFS)
    r = float(
        ((x - x.mean()) * (y - y.mean())).sum()
        / math.sqrt(((x - x.mean()) ** 2).sum() * ((y - y.mean()) ** 2).sum())
    )
    t = r * math.sqrt(28) / math.sqrt(1 - r * r)
    p = 2 * stats.t.sf(abs(t), 28)
    assert result.pearson_r == pytest.approx(r)
    assert result.p_value == pytest.approx(p)
    assert result.significant == (p < 0.05)


def test_best_band_is_the_inverted_u_peak() -> None:
    """The 40–60 band (mean 85) is best, with worse bands on both sides."""
    result = _analysis(LOADS, PERFS)
    assert result.best_band is not None
    assert (result.best_band.low, result.best_band.high) == (40.0, 60.0)
    assert result.best_band.mean_performance == pytest.approx(85.0)
    assert result.best_band.mean_load == pytest.approx(50.0)  # offsets cancel
    assert result.inverted_u
    assert result.confidence == pytest.approx(0.3)  # 30 / 100


def test_bands_need_five_sessions() -> None:
    """A perfect band with only 4 sessions is not chosen."""
    loads = LOADS + [99.0] * 4
    perfs = PERFS + [100.0] * 4
    # the 80–100 band now has 6 sessions at 50 and 4 at 100: mean 70, still below 85
    result = _analysis(loads, perfs)
    assert result.best_band is not None and result.best_band.low == 40.0
    few = _analysis(LOADS[:24] + [55.0] * 6, PERFS[:24] + [90.0] * 6)
    assert few.best_band is not None and few.best_band.low == 40.0


def test_perfect_line_and_constant_input() -> None:
    """Performance = 100 − load gives r = −1; constant loads give no r at all."""
    loads = [float(x) for x in range(0, 90, 3)]
    line = _analysis(loads, [100.0 - x for x in loads])
    assert line.pearson_r == pytest.approx(-1.0)
    assert not line.inverted_u  # monotone: the best band is the lowest
    flat = _analysis([50.0] * 30, [float(i) for i in range(30)])
    assert flat.pearson_r is None and flat.p_value is None and not flat.significant


def test_mismatched_lengths_are_rejected() -> None:
    """Each session needs both a load and a performance."""
    with pytest.raises(ValueError, match="loads but"):
        analyze_load_performance([1.0, 2.0], [1.0])
