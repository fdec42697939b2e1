"""Recovery tracking: how a learner's burnout risk moved between two stored assessments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from twin.enums import BurnoutRiskLevel

# --- recovery tracking -----------------------------------------------------
# Score changes smaller than this (without a level change) count as STABLE.
RECOVERY_STABLE_BAND_POINTS = 5.0


class RecoveryDirection(StrEnum):
    """Direction of change between two assessments."""

    IMPROVING = "IMPROVING"
    STABLE = "STABLE"
    WORSENING = "WORSENING"


@dataclass(frozen=True)
class AssessmentSnapshot:
    """What recovery tracking needs of a stored assessment."""

    risk_score: float
    level: BurnoutRiskLevel
    assessed_on: date


@dataclass(frozen=True)
class RecoveryProgress:
    """Change between two assessments of the same learner."""

    score_change: float
    level_change: int
    direction: RecoveryDirection
    days_between: int
    recovered: bool


_LEVEL_RANK: dict[BurnoutRiskLevel, int] = {
    BurnoutRiskLevel.LOW: 0,
    BurnoutRiskLevel.MEDIUM: 1,
    BurnoutRiskLevel.HIGH: 2,
    BurnoutRiskLevel.CRITICAL: 3,
}


def track_recovery(previous: AssessmentSnapshot, current: AssessmentSnapshot) -> RecoveryProgress:
    """How the risk moved between two assessments (a level change outranks the score band)."""
    score_change = current.risk_score - previous.risk_score
    level_change = _LEVEL_RANK[current.level] - _LEVEL_RANK[previous.level]
    if level_change < 0 or (level_change == 0 and score_change <= -RECOVERY_STABLE_BAND_POINTS):
        direction = RecoveryDirection.IMPROVING
    elif level_change > 0 or score_change >= RECOVERY_STABLE_BAND_POINTS:
        direction = RecoveryDirection.WORSENING
    else:
        direction = RecoveryDirection.STABLE
    at_risk = {BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL}
    return RecoveryProgress(
        score_change=score_change,
        level_change=level_change,
        direction=direction,
        days_between=(current.assessed_on - previous.assessed_on).days,
        recovered=previous.level in at_risk and current.level not in at_risk,
    )
