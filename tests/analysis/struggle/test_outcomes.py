"""Outcome rule edges, learner feedback precedence, status mapping."""

from __future__ import annotations

import math

import pytest

from twin.analysis.struggle.outcomes import (
    NO_STRUGGLE_BOUNDARY,
    STRUGGLE_BOUNDARY,
    EvidenceItem,
    OutcomeBaseline,
    automatic_outcome,
    item_log_likelihood_ratio,
    outcome_baseline,
    prediction_status,
    resolve_outcome,
    sequential_outcome,
    window_verdict,
)
from twin.enums import PredictionStatus


@pytest.mark.parametrize(
    ("accuracy", "again", "validation", "expected"),
    [
        (0.65, None, None, False),  # exactly 0.65 is not below 0.65
        (0.6499, None, None, True),
        (None, 3, None, True),  # exactly 3 AGAIN is a struggle
        (None, 2, None, False),
        (None, None, 0.6, False),  # exactly 0.6 is not below 0.6
        (None, None, 0.5999, True),
        (0.9, 0, 0.9, False),
        (0.9, 0, 0.1, True),  # any one criterion is enough
        (None, None, None, None),  # nothing observed: no outcome yet
    ],
)
def test_automatic_outcome_edges(
    accuracy: float | None, again: int | None, validation: float | None, expected: bool | None
) -> None:
    """Struggled if accuracy < 0.65, or ≥ 3 AGAIN, or validation < 0.6."""
    assert automatic_outcome(accuracy, again, validation) is expected


def test_learner_feedback_wins() -> None:
    """The learner's answer overrides the automatic outcome either way."""
    assert resolve_outcome(True, False) is False
    assert resolve_outcome(False, True) is True
    assert resolve_outcome(True, None) is True
    assert resolve_outcome(None, None) is None


@pytest.mark.parametrize(
    ("p", "struggled", "status"),
    [
        (0.5, True, PredictionStatus.CONFIRMED),  # 0.5 is on the "predicted" side
        (0.5, False, PredictionStatus.FALSE_POSITIVE),
        (0.4999, True, PredictionStatus.MISSED),
        (0.4999, False, PredictionStatus.RESOLVED),
        (0.9, None, PredictionStatus.PENDING),
    ],
)
def test_status_mapping(p: float, struggled: bool | None, status: PredictionStatus) -> None:
    """p ≥ 0.5 & struggled → CONFIRMED, … p < 0.5 & not → RESOLVED; no outcome → PENDING."""
    assert prediction_status(p, struggled) is status


def test_status_rejects_bad_probability() -> None:
    """Probabilities outside [0, 1] are a bug."""
    with pytest.raises(ValueError):
        prediction_status(1.2, True)


# --- the evidence rule ---------------------------------------------------------------------------


def test_wald_boundaries_golden() -> None:
    """ln((1 − β)/α) and ln(β/(1 − α)) with α = 1%, β = 5%."""
    assert pytest.approx(math.log(95.0)) == STRUGGLE_BOUNDARY
    assert pytest.approx(4.553877) == STRUGGLE_BOUNDARY
    assert pytest.approx(-2.985682, abs=1e-6) == NO_STRUGGLE_BOUNDARY


def test_baseline_needs_enough_data_and_is_clamped() -> None:
    """30 non-first reviews for a recall baseline, 5 answers for a validation baseline."""
    b = outcome_baseline(reviews=29, again=3, validations=4, validation_score_sum=3.0)
    assert (b.accuracy, b.validation, b.usable) == (None, None, False)
    b = outcome_baseline(reviews=40, again=10, validations=5, validation_score_sum=3.5)
    assert b.accuracy == pytest.approx(0.75) and b.validation == pytest.approx(0.7)
    assert outcome_baseline(30, 0, 0, 0.0).accuracy == 0.97  # all recalled: clamped
    assert outcome_baseline(30, 30, 0, 0.0).accuracy == 0.3  # none recalled: clamped


def test_item_log_likelihood_ratios_golden() -> None:
    """Baseline recall 0.8 → struggle recall 0.48; baseline validation 0.7 → 0.42, sd 0.15."""
    base = OutcomeBaseline(accuracy=0.8, validation=0.7)
    assert item_log_likelihood_ratio(EvidenceItem(again=True), base) == pytest.approx(
        math.log(0.52 / 0.2)
    )
    assert item_log_likelihood_ratio(EvidenceItem(again=False), base) == pytest.approx(
        math.log(0.6)
    )
    # ((0.3 − 0.7)² − (0.3 − 0.42)²) / (2 · 0.15²) = (0.16 − 0.0144) / 0.045
    assert item_log_likelihood_ratio(EvidenceItem(score=0.3), base) == pytest.approx(3.235556, 1e-6)
    # A score at the midpoint 0.56 is neutral.
    assert item_log_likelihood_ratio(EvidenceItem(score=0.56), base) == pytest.approx(0.0)
    # Kinds without a baseline carry no evidence.
    assert item_log_likelihood_ratio(EvidenceItem(score=0.3), OutcomeBaseline(0.8, None)) is None
    assert item_log_likelihood_ratio(EvidenceItem(again=True), OutcomeBaseline(None, 0.7)) is None


def test_sequential_outcome_decides_at_the_crossing_item() -> None:
    """5 AGAINs at baseline 0.8: 5 × 0.9555 = 4.78 ≥ 4.55 → struggle at item 4."""
    base = OutcomeBaseline(accuracy=0.8, validation=None)
    d = sequential_outcome([EvidenceItem(again=True)] * 7, base)
    assert (d.struggled, d.decided_at, d.reviews, d.again) == (True, 4, 5, 5)
    assert d.log_likelihood_ratio == pytest.approx(5 * math.log(2.6))
    # 5 recalls: −2.55, not yet; the 6th: −3.06 ≤ −2.99 → no struggle at item 5.
    d = sequential_outcome([EvidenceItem(again=False)] * 5, base)
    assert (d.struggled, d.decided_at, d.reviews) == (None, None, 5)
    d = sequential_outcome([EvidenceItem(again=False)] * 9, base)
    assert (d.struggled, d.decided_at, d.reviews, d.again) == (False, 5, 6, 0)
    # Mixed: AGAIN, recall alternate → +0.4447 per pair; after 9 pairs (4.00) the AGAIN
    # of item 18 takes it to 4.96 ≥ 4.55 (after 8 pairs + AGAIN it is only 4.51).
    mixed = [EvidenceItem(again=i % 2 == 0) for i in range(30)]
    d = sequential_outcome(mixed, base)
    assert (d.struggled, d.decided_at) == (True, 18)
    assert d.log_likelihood_ratio == pytest.approx(9 * math.log(0.6 * 2.6) + math.log(2.6))


def test_sequential_outcome_combines_validations_and_skips_unbaselined_items() -> None:
    """Two validations at 0.3 (3.24 each) decide; reviews without a recall baseline are skipped."""
    base = OutcomeBaseline(accuracy=None, validation=0.7)
    items = [EvidenceItem(again=True), EvidenceItem(score=0.3), EvidenceItem(score=0.3)]
    d = sequential_outcome(items, base)
    assert (d.struggled, d.decided_at, d.reviews, d.validations) == (True, 2, 0, 2)
    assert sequential_outcome([], base).struggled is None


def test_window_verdict_weighs_the_whole_window() -> None:
    """Baseline 0.8: 2 AGAINs + 3 recalls = 2·0.9555 − 3·0.5108 = +0.379 → struggle; one more
    recall (−0.132) → not; fewer than 5 items → no verdict. A struggle that stops halfway
    (5 AGAINs, then 15 recalls) is not one over the window, though the SPRT stops at item 4."""
    base = OutcomeBaseline(accuracy=0.8, validation=None)
    two_of_five = [EvidenceItem(again=a) for a in (True, False, True, False, False)]
    assert window_verdict(two_of_five, base) is True
    assert window_verdict([*two_of_five, EvidenceItem(again=False)], base) is False
    assert window_verdict(two_of_five[:4], base) is None
    assert window_verdict([EvidenceItem(score=0.2)] * 5, OutcomeBaseline(0.8, None)) is None
    halfway = [EvidenceItem(again=True)] * 5 + [EvidenceItem(again=False)] * 15
    assert window_verdict(halfway, base) is False
    assert sequential_outcome(halfway, base).struggled is True
