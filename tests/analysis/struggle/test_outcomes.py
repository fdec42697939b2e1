"""Outcome rule edges, learner feedback precedence, status mapping."""

from __future__ import annotations

import pytest

from twin.analysis.struggle.common import PredictionStatus
from twin.analysis.struggle.outcomes import automatic_outcome, prediction_status, resolve_outcome


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
