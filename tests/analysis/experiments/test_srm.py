"""Sample-ratio-mismatch χ²: golden values, invariants, refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from twin.analysis.experiments.srm import (
    SRM_P_VALUE_THRESHOLD,
    expected_counts,
    srm_chi_square,
    srm_p_value,
)


def test_golden_two_arm_mismatch() -> None:
    """550 vs 450 on a 50/50 plan: χ² = 50²/500 · 2 = 10 on 1 df → p = 0.001565 (χ² table)."""
    assert srm_chi_square([550, 450], [0.5, 0.5]) == pytest.approx(10.0)
    assert srm_p_value([550, 450], [0.5, 0.5]) == pytest.approx(0.0015654, rel=1e-4)
    assert srm_p_value([550, 450], [0.5, 0.5]) > SRM_P_VALUE_THRESHOLD


def test_weights_need_not_be_normalised() -> None:
    assert srm_p_value([300, 700], [3, 7]) == pytest.approx(1.0)
    assert srm_p_value([310, 690], [30, 70]) == pytest.approx(srm_p_value([310, 690], [0.3, 0.7]))


# No deadline: the first example pays scipy/numpy warm-up, and the machine is shared.
@settings(deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=500), min_size=2, max_size=5),
    scale=st.integers(min_value=1, max_value=20),
)
def test_p_is_one_at_exactly_the_expected_counts(counts: list[int], scale: int) -> None:
    """Observed counts proportional to the weights → χ² = 0 → p = 1."""
    observed = [c * scale for c in counts]
    assert srm_chi_square(observed, [float(c) for c in counts]) == pytest.approx(0.0, abs=1e-9)
    assert srm_p_value(observed, [float(c) for c in counts]) == pytest.approx(1.0)


# No deadline: the first example pays scipy/numpy warm-up, and the machine is shared.
@settings(deadline=None)
@given(
    observed=st.lists(st.integers(min_value=1, max_value=10_000), min_size=2, max_size=6),
    data=st.data(),
)
def test_matches_scipy_chisquare(observed: list[int], data: st.DataObject) -> None:
    """Independent reference: scipy.stats.chisquare with the same expected counts."""
    weights = data.draw(
        st.lists(st.floats(0.05, 10), min_size=len(observed), max_size=len(observed))
    )
    expected = expected_counts(observed, weights)
    reference = scipy_stats.chisquare(observed, expected)
    assert srm_p_value(observed, weights) == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-300)


def test_zero_weight_arm_is_left_out_of_the_sum_but_counts_in_df() -> None:
    """Expected 500 each (all 1,000 observed, weights 1/2, 1/2, 0): χ² = 0 + 20²/500, on 2 df."""
    chi = 20**2 / 500
    assert srm_p_value([500, 480, 20], [0.5, 0.5, 0.0]) == pytest.approx(
        scipy_stats.chi2.sf(chi, 2), rel=1e-12
    )


def test_no_participants_yet_is_not_a_mismatch() -> None:
    assert srm_p_value([0, 0], [1, 1]) == 1.0


@pytest.mark.parametrize(
    ("observed", "weights", "message"),
    [
        ([10, 10], [1.0], "2 observed counts but 1 weights"),
        ([10], [1.0], "at least 2 arms"),
        ([10, -1], [1, 1], "integers ≥ 0"),
        ([10, 10], [1, -1], "finite and ≥ 0"),
        ([10, 10], [0, 0], "sum to a positive number"),
    ],
)
def test_invalid_inputs_are_refused(
    observed: list[int], weights: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        srm_p_value(observed, weights)
