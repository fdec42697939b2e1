"""Shared helpers of the struggle analyses (and the shared bounds they use)."""

from __future__ import annotations

import pytest

from twin.analysis.common import InsufficientData, clip01
from twin.analysis.struggle import common


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
        clip01(float("nan"))
