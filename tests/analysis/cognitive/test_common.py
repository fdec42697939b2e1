"""Shared vocabulary of the cognitive analyses: categories, insufficient data, 0–100 scores."""

from __future__ import annotations

from twin import enums
from twin.analysis.cognitive import common
from twin.analysis.cognitive.load import INDICATOR_CATEGORY
from twin.analysis.common import InsufficientData


def test_indicator_categories_are_database_indicator_types() -> None:
    """Each stress indicator's category is an IndicatorType value."""
    assert set(INDICATOR_CATEGORY.values()) <= {m.value for m in enums.IndicatorType}


def test_insufficient_data_shape() -> None:
    """``{"sessions": {"have": n, "need": m}}``."""
    assert InsufficientData("sessions", 12, 30).to_json() == {"sessions": {"have": 12, "need": 30}}


def test_clamp_and_scale() -> None:
    """Scores are clamped to 0–100 and NaN counts as 0."""
    assert common.clamp_score(float("nan")) == 0.0
    assert common.clamp_score(-5.0) == 0.0
    assert common.clamp_score(150.0) == 100.0
    assert common.scaled_score(15.0, 10.0, 20.0) == 50.0
