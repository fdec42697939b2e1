"""Shared vocabulary of the struggle analyses: enums mirrored from the database, helpers.

The enums repeat the values of the database enums (``twin.enums``) because the
analysis core may not import the database layer; tests/analysis/struggle/test_common.py
checks that they agree.
"""

from __future__ import annotations

import math
from enum import StrEnum


class PredictionStatus(StrEnum):
    """Values of the database enum ``PredictionStatus``."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FALSE_POSITIVE = "FALSE_POSITIVE"
    MISSED = "MISSED"
    DISMISSED = "DISMISSED"
    RESOLVED = "RESOLVED"


class IndicatorType(StrEnum):
    """Values of the database enum ``IndicatorType``."""

    BEHAVIORAL = "BEHAVIORAL"
    PERFORMANCE = "PERFORMANCE"
    ENGAGEMENT = "ENGAGEMENT"
    COGNITIVE = "COGNITIVE"
    LOW_RETENTION = "LOW_RETENTION"
    PREREQUISITE_GAP = "PREREQUISITE_GAP"
    COMPLEXITY_MISMATCH = "COMPLEXITY_MISMATCH"
    COGNITIVE_OVERLOAD = "COGNITIVE_OVERLOAD"
    HISTORICAL_STRUGGLE_PATTERN = "HISTORICAL_STRUGGLE_PATTERN"


class Severity(StrEnum):
    """Values of the database enum ``Severity``."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class InterventionType(StrEnum):
    """Values of the database enum ``InterventionType``."""

    PREREQUISITE_REVIEW = "PREREQUISITE_REVIEW"
    DIFFICULTY_PROGRESSION = "DIFFICULTY_PROGRESSION"
    SPACING_ADJUSTMENT = "SPACING_ADJUSTMENT"
    CONTENT_VARIATION = "CONTENT_VARIATION"
    BREAK_RECOMMENDATION = "BREAK_RECOMMENDATION"
    FOCUS_SESSION = "FOCUS_SESSION"
    CONTENT_FORMAT_ADAPT = "CONTENT_FORMAT_ADAPT"
    COGNITIVE_LOAD_REDUCE = "COGNITIVE_LOAD_REDUCE"
    SPACED_REPETITION_BOOST = "SPACED_REPETITION_BOOST"
    BREAK_SCHEDULE_ADJUST = "BREAK_SCHEDULE_ADJUST"


class ObjectiveComplexity(StrEnum):
    """Values of the database enum ``ObjectiveComplexity``."""

    BASIC = "BASIC"
    INTERMEDIATE = "INTERMEDIATE"
    ADVANCED = "ADVANCED"


def clip01(x: float) -> float:
    """``x`` clipped to [0, 1]; NaN raises (a NaN feature is a bug upstream, not a value)."""
    if math.isnan(x):
        raise ValueError("NaN is not a valid value in [0, 1]")
    return min(1.0, max(0.0, x))


def logistic(z: float) -> float:
    """``1 / (1 + e^(−z))``, computed without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def rounded(x: float, digits: int = 4) -> float:
    """``x`` rounded for storage and display (evidence numbers, JSON)."""
    return round(float(x), digits)
