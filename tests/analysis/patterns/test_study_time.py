"""OPTIMAL_STUDY_TIME: hour score, Welch comparison, thresholds, heatmap, recovery of known truth."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tests.analysis.patterns.synth import session, study_time_learner
from twin.analysis.patterns.inputs import SessionObs
from twin.analysis.patterns.study_time import (
    analyze_study_time,
    period_blocks,
    session_score,
    welch_difference,
    within_period_difference,
)
from twin.enums import BehavioralPatternType

REPLICATES = 50


def test_session_score_all_components() -> None:
    """0.4·80 + 0.3·0.9·100 + 0.2·0.5·100 + 0.1·60 = 32 + 27 + 10 + 6 = 75."""
    s = session("a", performance=80, retention=0.9, completion=0.5, engagement=60)
    assert session_score(s) == pytest.approx(75.0)


def test_session_score_renormalises_missing_components() -> None:
    """Only performance 80 and retention 0.9: (0.4·80 + 0.3·90) / 0.7 = 59 / 0.7 = 84.2857…"""
    s = session("a", performance=80, retention=0.9)
    assert session_score(s) == pytest.approx(59.0 / 0.7)
    assert session_score(session("b", performance=80)) == pytest.approx(80.0)


def test_session_score_uses_objective_counts() -> None:
    """Completion from 1 of 2 objectives = 0.5: (0.4·60 + 0.2·50) / 0.6 = 34 / 0.6 = 56.67."""
    s = SessionObs(
        "a", session("x").started_at, 30, 60, objectives_planned=2, objectives_completed=1
    )
    assert session_score(s) == pytest.approx(34.0 / 0.6)


def test_welch_difference_golden() -> None:
    """a = 70, 80, 90 (mean 80, var 100); b = 60, 70 (mean 65, var 50).

    diff = 15; se = √(100/3 + 50/2) = √58.333 = 7.6376;
    df = 58.333² / ((33.333²)/2 + 25²/1) = 3402.78 / 1180.56 = 2.8824.
    The one-sided p must equal scipy's Welch test (the oracle DESIGN.md names).
    """
    a, b = np.array([70.0, 80.0, 90.0]), np.array([60.0, 70.0])
    w = welch_difference(a, b, confidence_level=0.95)
    assert w.difference == pytest.approx(15.0)
    assert w.standard_error == pytest.approx(math.sqrt(100 / 3 + 25), rel=1e-12)
    assert w.df == pytest.approx((100 / 3 + 25) ** 2 / ((100 / 3) ** 2 / 2 + 25**2), rel=1e-12)
    assert w.df == pytest.approx(2.8824, abs=1e-4)
    oracle = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
    assert w.p_greater == pytest.approx(oracle.pvalue, rel=1e-10)
    t_crit = stats.t.ppf(0.975, w.df)
    assert w.ci_low == pytest.approx(15 - t_crit * w.standard_error)


def test_welch_difference_denormal_variances_give_a_finite_df() -> None:
    """Variances ~1e-321 (denormal) underflow to 0 when squared: before the guard the degrees
    of freedom divided 0 by 0 (found by the insights property test). Welch's df always lies
    between min(n1, n2) − 1 and n1 + n2 − 2; the guard computes it from the variance shares."""
    a = np.array([0.0, 2.0, 0.0, 4.0]) * 1e-161
    b = np.array([0.0, 4.0, 0.0]) * 1e-161
    assert 0.0 < float(a.var(ddof=1)) < sys.float_info.min  # really denormal
    w = welch_difference(a, b, confidence_level=0.95)
    assert math.isfinite(w.df) and 2.0 <= w.df <= 5.0
    assert w.ci_low <= w.difference <= w.ci_high


def _three_hour_learner() -> list[SessionObs]:
    """07:00 scores 88, 90, 92, 94, 96; 13:00 scores 60…68; 20:00 scores 58…66 (5 each)."""
    out = []
    for i, p in enumerate([88, 90, 92, 94, 96]):
        out.append(session(f"m{i}", day=i, hour=7, performance=p))
    for i, p in enumerate([60, 62, 64, 66, 68]):
        out.append(session(f"n{i}", day=i, hour=13, performance=p))
    for i, p in enumerate([58, 60, 62, 64, 66]):
        out.append(session(f"e{i}", day=i, hour=20, performance=p))
    return out


def test_optimal_hour_golden() -> None:
    """Hand computation for _three_hour_learner.

    Candidates 07, 13, 20 (5 sessions each) → m = 3. Window 06–09 holds the five 07:00
    sessions: mean 92, var (16+4+0+4+16)/4 = 10. Rest (10 sessions): mean 630/10 = 63,
    var 90/9 = 10. diff = 29, se = √(10/5 + 10/10) = √3, df = 3² / (2²/4 + 1²/9) = 8.1.
    Simultaneous interval: each at 1 − 0.05/3, so t quantile at 1 − 0.05/6.
    Lift = 29/63 = 46.03%. Overall mean 1090/15 = 72.67. Confidence = min(1, 15/50) ×
    (1 − p_adj) with p_adj = 2·3·p ≈ 1e-7 → 0.3.
    """
    r = analyze_study_time(_three_hour_learner())
    assert r.hours_tested == 3
    assert r.overall_mean == pytest.approx(1090 / 15)
    assert [o.hour for o in r.optimal] == [7]
    o = r.optimal[0]
    assert o.window_mean == pytest.approx(92.0)
    assert o.rest_mean == pytest.approx(63.0)
    assert o.lift_percent == pytest.approx(100 * 29 / 63)
    df = 9 / (4 / 4 + 1 / 9)
    assert df == pytest.approx(8.1)
    half = stats.t.ppf(1 - 0.05 / 6, df) * math.sqrt(3)
    assert o.ci_low == pytest.approx(29 - half)
    assert o.ci_high == pytest.approx(29 + half)
    p = stats.t.sf(29 / math.sqrt(3), df)
    assert o.p_adjusted == pytest.approx(6 * p)
    assert o.confidence == pytest.approx(0.3 * (1 - 6 * p))
    # Only 07:00 has sessions in the 06–08 window, so the label is that hour alone.
    assert o.window == "07:00–08:00"
    (pattern,) = r.patterns()
    assert pattern.pattern_type == BehavioralPatternType.OPTIMAL_STUDY_TIME
    assert pattern.key == "hour=07"
    assert "n = 5 vs 10 sessions" in pattern.evidence[0]


def test_hour_with_exactly_five_sessions_is_tested_and_four_is_not() -> None:
    """MIN_SESSIONS_PER_HOUR = 5: dropping one 07:00 session leaves 2 candidate hours."""
    sessions = _three_hour_learner()
    assert analyze_study_time(sessions).hours_tested == 3
    fewer = analyze_study_time(sessions[1:])
    assert fewer.hours_tested == 2
    assert fewer.optimal == ()
    seven = next(h for h in fewer.hours if h.hour == 7)
    assert seven.sessions == 4 and seven.p_value is None


def test_heatmap_golden() -> None:
    """Two Monday 07:00 sessions (80, 90) → cell (0, 7) mean 85, count 2; a Sunday 22:00 one."""
    r = analyze_study_time(
        [
            session("a", day=0, hour=7, performance=80),
            session("b", day=7, hour=7, performance=90),
            session("c", day=6, hour=22, performance=50),
        ]
    )
    assert r.heatmap.mean_performance[0][7] == 85.0
    assert r.heatmap.sessions[0][7] == 2
    assert r.heatmap.sessions[6][22] == 1
    assert r.heatmap.mean_performance[3][3] is None
    rows = r.heatmap.sessions
    assert len(rows) == 7 and all(len(row) == 24 for row in rows)
    assert sum(map(sum, r.heatmap.sessions)) == 3


def test_no_sessions() -> None:
    """No data: no hours, confidence 0."""
    r = analyze_study_time([])
    assert (r.optimal, r.confidence, r.overall_mean) == ((), 0.0, None)


def test_no_time_effect_reports_nothing_in_at_least_90_percent() -> None:
    """50 seeded learners with 100 sessions and no time-of-day effect (noise sd 10).

    The family-wise error of the Bonferroni interval is ≤ 5%; measured 1/50 here
    (and 2% over 200 replicates while designing).
    """
    none = sum(
        not analyze_study_time(study_time_learner(np.random.default_rng(seed))).optimal
        for seed in range(REPLICATES)
    )
    assert none >= 0.9 * REPLICATES


@pytest.mark.parametrize("peak", [7, 20])
def test_true_peak_is_recovered_within_one_hour_in_at_least_90_percent(peak: int) -> None:
    """50 seeded learners, 100 sessions, +15 points at the peak hour (σ 1 h), noise sd 10."""
    hits = 0
    for seed in range(REPLICATES):
        r = analyze_study_time(
            study_time_learner(np.random.default_rng(1000 + seed), peak_hour=peak)
        )
        hits += bool(r.optimal) and abs(r.optimal[0].hour - peak) <= 1
    assert hits >= 0.9 * REPLICATES


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), data=st.data())
def test_order_independent_and_confidences_bounded(seed: int, data: st.DataObject) -> None:
    """Any permutation of the sessions gives the same result; confidences lie in [0, 1]."""
    sessions = list(study_time_learner(np.random.default_rng(seed), n=40, peak_hour=8))
    shuffled = data.draw(st.permutations(sessions))
    a, b = analyze_study_time(sessions), analyze_study_time(shuffled)
    assert a == b
    assert 0.0 <= a.confidence <= 1.0
    assert all(0.0 <= o.confidence <= 1.0 for o in a.optimal)
    assert len(a.optimal) <= 3


# --- the within-period check ------------------------------------------------------------


def test_within_period_difference_is_the_fixed_effects_least_squares_golden() -> None:
    """Equal to OLS of score on [window, one dummy per block] (numpy lstsq), df = n − blocks − 1.

    Block 0: window 80, 84 vs 70, 72; block 1: window 60 vs 50, 54. The within-block effect is
    the dummy-regression slope, its standard error σ̂/√(Σx̃²) with σ̂² = RSS/df.
    """
    y = np.array([80.0, 84.0, 70.0, 72.0, 60.0, 50.0, 54.0])
    x = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    b = np.array([0, 0, 0, 0, 1, 1, 1])
    design = np.column_stack([x, b == 0, b == 1]).astype(float)
    coef, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
    df = len(y) - 2 - 1
    sigma2 = float(rss[0]) / df
    x_t = x - np.array([x[b == k].mean() for k in b])
    se = math.sqrt(sigma2 / float(x_t @ x_t))
    r = within_period_difference(y, x.astype(bool), b)
    assert r is not None
    assert r.difference == pytest.approx(coef[0])
    assert r.standard_error == pytest.approx(se)
    assert r.df == df
    assert r.p_greater == pytest.approx(stats.t.sf(coef[0] / se, df))


def test_within_period_difference_needs_contrast_and_degrees_of_freedom() -> None:
    """No block with sessions in and out of the window, or no df left: None."""
    y = np.array([80.0, 60.0, 70.0])
    assert within_period_difference(y, np.array([True, False, False]), np.array([0, 1, 1])) is None
    assert within_period_difference(y[:2], np.array([True, False]), np.array([0, 0])) is None


def test_period_blocks_are_fortnights_from_the_first_session() -> None:
    """Days 3, 16.9, 17, 45 from the first → blocks 0, 0, 1, 3 (14-day blocks from day 3)."""
    assert period_blocks(np.array([3.0, 16.9, 17.0, 45.0])).tolist() == [0, 0, 1, 3]
    assert period_blocks(np.array([])).tolist() == []


def test_a_bad_period_studied_at_other_hours_is_no_hour_effect() -> None:
    """Six weeks at 09:00 ± 2 h scoring 75, then six weeks of overload studied at 14:00 ± 2 h
    scoring 55: the whole history says "09:00 is better" (Welch passes), but within each
    fortnight the hours do equally well, so no optimal hour is reported."""
    rng = np.random.default_rng(21)
    sessions = []
    for i in range(84):
        day = i
        late = day >= 42
        hour = int(rng.integers(12, 17)) if late else int(rng.integers(7, 12))
        perf = float(np.clip(rng.normal(55.0 if late else 75.0, 8.0), 0, 100))
        sessions.append(session(f"s{i}", day=day, hour=hour, performance=perf))
    r = analyze_study_time(sessions)
    assert any(
        h.ci_low is not None and h.ci_low > 0 for h in r.hours
    )  # the pooled test alone would report an hour
    assert r.optimal == ()
