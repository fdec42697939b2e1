"""Shared vocabulary of the pattern analyses: labels and helpers."""

from __future__ import annotations

import pytest

from twin.analysis.patterns.common import DetectedPattern, data_factor, hour_label, window_label
from twin.enums import BehavioralPatternType


def test_labels() -> None:
    """Hours print as HH:00 and windows wrap at midnight."""
    assert hour_label(7) == "07:00"
    assert window_label(7, 9) == "07:00–09:00"
    assert window_label(23, 25) == "23:00–01:00"


def test_data_factor_golden() -> None:
    """min(1, n/50): 25 → 0.5, 50 → 1, 80 → 1."""
    assert data_factor(25, 50) == 0.5
    assert data_factor(50, 50) == 1.0
    assert data_factor(80, 50) == 1.0


def test_pattern_confidence_is_checked() -> None:
    """A confidence outside [0, 1] is a bug, not data."""
    with pytest.raises(ValueError):
        DetectedPattern(BehavioralPatternType.ATTENTION_CYCLE, "k", "n", 1.2, ())
