"""Cohort distributions: quartiles, fixed bins, withheld small bins, the minimum group."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.common import InsufficientData
from twin.analysis.patterns.cohort import (
    MIN_BIN_LEARNERS,
    MIN_COHORT_LEARNERS,
    CohortDistribution,
    Scale,
    cohort_distribution,
)

SCORE = Scale(0, 100, 10)


def test_quartiles_and_bins_of_a_known_cohort() -> None:
    # 10 learners at 5, 15, …, 95 (one per bin) plus 2 more at 55: quartiles by linear
    # interpolation over the 12 sorted values 5 15 25 35 45 55 55 55 65 75 85 95 at
    # positions 2.75, 5.5 and 8.25 are 25 + 0.75·10 = 32.5, 55 and 65 + 0.25·10 = 67.5
    # (worked by hand).
    values = [5.0 + 10 * i for i in range(10)] + [55.0, 55.0]
    found = cohort_distribution(values, SCORE)
    assert isinstance(found, CohortDistribution)
    assert found.learners == 12
    assert (found.q25, found.median, found.q75) == (32.5, 55.0, 67.5)
    assert [(b.low, b.high) for b in found.bins][:2] == [(0.0, 10.0), (10.0, 20.0)]
    # Every bin but 50–60 holds one learner: withheld; 50–60 holds three: shown.
    assert [b.learners for b in found.bins] == [None] * 5 + [3] + [None] * 4


def test_below_the_minimum_group_nothing_is_shown() -> None:
    found = cohort_distribution([50.0] * (MIN_COHORT_LEARNERS - 1), SCORE)
    assert found == InsufficientData("sharingLearners", MIN_COHORT_LEARNERS - 1, 10)


def test_values_outside_the_scale_fall_into_the_end_bins_and_nan_is_no_value() -> None:
    values = [-20.0] * 5 + [250.0] * 5 + [float("nan")]
    found = cohort_distribution(values, SCORE)
    assert isinstance(found, CohortDistribution)
    assert found.learners == 10
    assert found.bins[0].learners == 5 and found.bins[-1].learners == 5
    assert all(b.learners == 0 for b in found.bins[1:-1])


@given(st.lists(st.floats(min_value=-50, max_value=150), min_size=10, max_size=60))
def test_no_bin_ever_shows_fewer_than_the_minimum(values: list[float]) -> None:
    found = cohort_distribution(values, SCORE)
    assert isinstance(found, CohortDistribution)
    shown = [b.learners for b in found.bins if b.learners is not None]
    assert all(c == 0 or c >= MIN_BIN_LEARNERS for c in shown)
    withheld = found.learners - sum(shown)
    assert 0 <= withheld <= (MIN_BIN_LEARNERS - 1) * len(found.bins)
    assert found.q25 <= found.median <= found.q75
    assert found.median == pytest.approx(float(np.median(values)), abs=1e-9)
