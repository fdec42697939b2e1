"""The learner-facing forgetting curve: a new card after its first success, comparable across learners."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from tests.analysis.patterns.synth import T0, first_repeat_reviews, forgetting_reviews
from twin.analysis.patterns.forgetting import BASELINE_DECAY_PER_DAY
from twin.analysis.patterns.inputs import ReviewObs
from twin.analysis.patterns.memory_curve import (
    DECAY_SEARCH_MAX_PER_DAY,
    DECAY_SEARCH_MIN_PER_DAY,
    MIN_FIRST_REPEATS,
    analyze_learner_forgetting,
    analyze_new_card_curve,
    decay_standard_error,
    first_review_interval_days,
    fit_new_card_decay,
    select_first_repeats,
)
from twin.enums import BehavioralPatternType

REPLICATES = 40


def _spaced_repetition_learner(
    rng: np.random.Generator, stability_days: float, n_cards: int = 150
) -> list[ReviewObs]:
    """A scheduler's learner: every review comes when recall is due to fall to ~90% (the trap).

    A card's stability (days until recall falls to 90%) starts at ``stability_days`` and grows
    ×2.5 on each success; each review is at the stability (± 10%); recall there is ~0.9
    whatever the interval, so one exponential over all reviews sees almost no forgetting.
    """
    out: list[ReviewObs] = []
    for c in range(n_cards):
        s, at, previous_ok = stability_days * math.exp(rng.normal(0, 0.2)), 0.0, True
        for repeat in range(1, 6):
            t = s * rng.uniform(0.9, 1.1)
            at += t
            p = 0.9 ** (t / s)  # exponential through the 90% point
            ok = bool(rng.random() < p)
            out.append(ReviewObs(f"c{c}", T0 + timedelta(days=at), t, ok, repeat, previous_ok))
            s = s * 2.5 if ok else s * 0.5
            previous_ok = ok
    return out


def test_first_repeats_are_second_reviews_after_a_recalled_first() -> None:
    """Only repeat_number 1 with previous_recalled True counts; unknown (None) never does."""
    reviews = [
        ReviewObs("a", T0, 1.0, True, 1, True),
        ReviewObs("b", T0, 1.0, True, 1, False),
        ReviewObs("c", T0, 1.0, True, 2, True),
        ReviewObs("d", T0, 1.0, True),
    ]
    assert [r.card_id for r in select_first_repeats(reviews)] == ["a"]


def test_fit_is_the_likelihood_maximum_golden() -> None:
    """k̂ solves Σ y·t = Σ (1 − y)·t·p/(1 − p) (the score equation of e^(−k·t)); checked by brentq."""
    t = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 1.0, 2.0, 4.0])
    y = np.array([1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0])

    def score(k: float) -> float:
        p = np.exp(-k * t)
        return float(np.sum((1 - y) * t * p / (1 - p)) - np.sum(y * t))

    expected = optimize.brentq(score, 1e-3, 5.0)
    k, se = fit_new_card_decay(t, y)
    assert k == pytest.approx(expected, rel=1e-5)
    p = np.exp(-k * t)
    assert se == pytest.approx(1.0 / math.sqrt(float(np.sum(t * t * p / (1 - p)))))


def test_standard_error_golden() -> None:
    """k = 0.1, t = (1, 10): I = 1·e^−0.1/(1 − e^−0.1) + 100·e^−1/(1 − e^−1) = 9.508 + 58.198."""
    info = math.exp(-0.1) / (1 - math.exp(-0.1)) + 100 * math.exp(-1) / (1 - math.exp(-1))
    assert decay_standard_error(0.1, np.array([1.0, 10.0])) == pytest.approx(1 / math.sqrt(info))
    assert decay_standard_error(0.1, np.array([0.0])) == math.inf


def test_k_is_recovered() -> None:
    """40 seeded learners, 200 first repeats at 0.5–15 days, true k 0.1: ≥ 90% within ±25%."""
    hits = 0
    for seed in range(REPLICATES):
        c = analyze_new_card_curve(first_repeat_reviews(np.random.default_rng(seed), k=0.1))
        assert c.fitted
        hits += abs(c.decay_per_day / 0.1 - 1) <= 0.25
    assert hits >= 0.9 * REPLICATES


def test_the_spaced_repetition_trap_is_avoided() -> None:
    """Two scheduled learners 4× apart: the exponential over all reviews sees (almost) no
    forgetting for both, the new-card curve tells them apart by about 4×."""
    weak = _spaced_repetition_learner(np.random.default_rng(1), stability_days=1.0)
    strong = _spaced_repetition_learner(np.random.default_rng(2), stability_days=4.0)
    fw, fs = analyze_learner_forgetting(weak), analyze_learner_forgetting(strong)
    # The baseline: R0 soaks up the ~90% level, k is tiny for both and no 2× apart.
    assert fw.exponential.decay_per_day < 0.05 and fs.exponential.decay_per_day < 0.05
    ratio = fw.curve.decay_per_day / fs.curve.decay_per_day
    assert 2.5 <= ratio <= 6.0
    # Truth: k = −ln 0.9 / S (the exponential through the 90% point).
    assert fw.curve.decay_per_day == pytest.approx(-math.log(0.9) / 1.0 * math.exp(0.02), rel=0.4)


def test_minimum_and_baseline() -> None:
    """29 first repeats: the typical curve k = 0.14 with confidence 29/30 · 29/50; 30 are fitted."""
    reviews = first_repeat_reviews(np.random.default_rng(4), n=MIN_FIRST_REPEATS)
    c = analyze_new_card_curve(reviews[:-1])
    assert (c.source, c.decay_per_day) == ("baseline", BASELINE_DECAY_PER_DAY)
    assert c.insufficient == {"firstRepeats": {"have": 29, "need": 30}}
    assert c.confidence == pytest.approx(29 / 30 * 29 / 50)
    assert analyze_learner_forgetting(reviews[:-1]).patterns() == []
    assert analyze_new_card_curve(reviews).fitted


def test_all_recalled_is_on_the_bound_with_no_confidence_and_no_claim() -> None:
    """Every first repeat recalled: k̂ at its lower bound, confidence 0, "about the typical rate"."""
    reviews = [ReviewObs(f"c{i}", T0, 1.0 + i % 5, True, 1, True) for i in range(60)]
    f = analyze_learner_forgetting(reviews)
    assert f.curve.on_bound and f.curve.decay_per_day == pytest.approx(DECAY_SEARCH_MIN_PER_DAY)
    assert f.confidence == 0.0
    assert f.comparison_text() == "You forget new material at about the typical rate"


def test_interval_is_the_80_percent_point() -> None:
    """ln 1.25 / k rounded, at least 1: k = 0.02 → 11 days; k = 0.5 → 1 (0.446 rounds to 0)."""
    assert first_review_interval_days(0.02) == round(math.log(1.25) / 0.02) == 11
    assert first_review_interval_days(0.5) == 1


def test_comparison_needs_the_interval_to_exclude_typical() -> None:
    """k 0.05 ± small: "2.8× slower" (4.95 / 13.86 half-lives); k near 0.14 or a wide interval: typical."""
    slow = analyze_learner_forgetting(first_repeat_reviews(np.random.default_rng(5), n=400, k=0.05))
    assert slow.curve.differs_from_typical
    ratio = slow.curve.half_life_days / (math.log(2) / BASELINE_DECAY_PER_DAY)
    assert slow.comparison_text() == f"You forget new material {ratio:.1f}× slower than typical"
    typical = analyze_learner_forgetting(
        first_repeat_reviews(np.random.default_rng(6), n=40, k=0.14)
    )
    assert not typical.curve.differs_from_typical
    assert typical.comparison_text() == "You forget new material at about the typical rate"


def test_pattern_and_profile_carry_both_curves() -> None:
    """The pattern cites the new-card curve with its interval, and the ENGINE fit as the baseline."""
    rng = np.random.default_rng(7)
    f = analyze_learner_forgetting(first_repeat_reviews(rng, k=0.2) + forgetting_reviews(rng))
    (p,) = f.patterns()
    assert p.pattern_type == BehavioralPatternType.FORGETTING_CURVE and p.key == "curve"
    d = p.data
    assert d["R0"] == 1.0 and d["k"] == pytest.approx(round(f.curve.decay_per_day, 5))
    assert d["halfLife"] == pytest.approx(round(math.log(2) / f.curve.decay_per_day, 3))
    lo, hi = d["halfLifeCi95"]  # type: ignore[misc]
    assert lo < d["halfLife"] < hi  # type: ignore[operator]
    assert d["exponentialFit"]["source"] == "fitted"  # type: ignore[index]
    assert any("ENGINE exponential" in e for e in p.evidence)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(0.0, 60.0), st.booleans()), min_size=30, max_size=90),
)
def test_fit_is_bounded_and_order_independent(points: list[tuple[float, bool]]) -> None:
    """Whatever the outcomes: k within its search bounds, confidence in [0, 1], CI around k,
    input order irrelevant."""
    reviews = [
        ReviewObs(f"c{i}", T0 + timedelta(hours=i), t, y, 1, True)
        for i, (t, y) in enumerate(points)
    ]
    c = analyze_new_card_curve(reviews)
    assert c.fitted
    assert DECAY_SEARCH_MIN_PER_DAY * 0.999 <= c.decay_per_day <= DECAY_SEARCH_MAX_PER_DAY * 1.001
    assert 0.0 <= c.confidence <= 1.0
    ci = c.decay_ci95
    if ci is not None:
        assert ci[0] <= c.decay_per_day <= ci[1]
    assert analyze_new_card_curve(list(reversed(reviews))) == c
