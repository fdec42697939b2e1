"""Shared vocabulary of the cognitive analyses: load levels, severity ranks, 0–100 scores."""

from __future__ import annotations

import math
from enum import StrEnum

from twin.enums import Severity

SCORE_MIN = 0.0
SCORE_MAX = 100.0


class LoadLevel(StrEnum):
    """Band of a cognitive-load score (0–100)."""

    LOW = "LOW"
    MODERATE = "MODERATE"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


SEVERITY_RANK: dict[Severity, int] = {
    Severity.LOW: 0,
    Severity.MEDIUM: 1,
    Severity.HIGH: 2,
    Severity.CRITICAL: 3,
}


def clamp_score(value: float) -> float:
    """``value`` limited to [0, 100]; NaN counts as 0 (nothing measured, nothing added)."""
    if math.isnan(value):
        return SCORE_MIN
    return min(SCORE_MAX, max(SCORE_MIN, value))


def scaled_score(value: float, zero_at: float, max_at: float) -> float:
    """Linear 0–100 score: 0 at or below ``zero_at``, 100 at or above ``max_at``."""
    return clamp_score(SCORE_MAX * (value - zero_at) / (max_at - zero_at))


def banded_severity(
    score: float, *, medium_min: float, high_min: float, critical_min: float
) -> Severity:
    """Severity of a 0–100 score; each lower edge belongs to the band above it."""
    if score >= critical_min:
        return Severity.CRITICAL
    if score >= high_min:
        return Severity.HIGH
    if score >= medium_min:
        return Severity.MEDIUM
    return Severity.LOW
