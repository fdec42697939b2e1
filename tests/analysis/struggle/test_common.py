"""The struggle enums agree with the database enums they are stored in."""

from __future__ import annotations

from enum import StrEnum

import pytest

from twin import enums
from twin.analysis.common import InsufficientData
from twin.analysis.struggle import common


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (common.PredictionStatus, enums.PredictionStatus),
        (common.IndicatorType, enums.IndicatorType),
        (common.Severity, enums.Severity),
        (common.InterventionType, enums.InterventionType),
        (common.ObjectiveComplexity, enums.ObjectiveComplexity),
    ],
)
def test_enum_values_match_the_database(ours: type[StrEnum], theirs: type[StrEnum]) -> None:
    """Same names and values, same order."""
    assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs]


def test_insufficient_data_shape() -> None:
    """``{"outcomes": {"have": n, "need": m}}``."""
    assert InsufficientData("outcomes", 12, 50).to_json() == {"outcomes": {"have": 12, "need": 50}}


def test_logistic_is_stable_and_symmetric() -> None:
    """logistic(0) = 0.5, no overflow at ±1000, logistic(−z) = 1 − logistic(z)."""
    assert common.logistic(0.0) == 0.5
    assert common.logistic(1000.0) == 1.0
    assert common.logistic(-1000.0) == 0.0
    assert common.logistic(-2.0) == pytest.approx(1.0 - common.logistic(2.0))


def test_clip01_rejects_nan() -> None:
    """A NaN feature is a bug upstream."""
    with pytest.raises(ValueError):
        common.clip01(float("nan"))
