"""Shared vocabulary of the insight analyses: where a result came from, weeks, small helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

# The project-wide helpers, re-exported for the insight modules that import them here.
from twin.analysis.common import clip01 as clip01
from twin.analysis.common import rounded as rounded

DAYS_PER_WEEK = 7
PERCENT_MAX = 100.0
STORED_DECIMALS = 6  # values persisted (goal progress, metrics) are rounded to this many decimals


class SourceKind(StrEnum):
    """What kind of engine output a recommendation or notification rests on.

    The values are the ``relatedEntityType`` strings of ``insight_notifications``.
    """

    PATTERN = "pattern"
    INSIGHT = "insight"
    INTERVENTION = "intervention"
    STRUGGLE_PREDICTION = "struggle_prediction"
    BURNOUT_ASSESSMENT = "burnout_assessment"
    LOAD_PROFILE = "load_profile"
    SCHEDULE_RECOMMENDATION = "schedule_recommendation"
    SCHEDULE_ADHERENCE = "schedule_adherence"
    PERSONALIZATION = "personalization_effectiveness"
    EXPERIMENT = "experiment"
    RECOMMENDATION = "recommendation"
    GOAL = "goal"


@dataclass(frozen=True)
class SourceRef:
    """One engine output a result rests on: its kind and its row id."""

    kind: SourceKind
    id: str

    def to_json(self) -> dict[str, str]:
        """``{"kind": "pattern", "id": "…"}``."""
        return {"kind": str(self.kind), "id": self.id}


def check_unit(name: str, value: float) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is in [0, 1]."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def check_percent(name: str, value: float) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is in [0, 100]."""
    if not 0.0 <= value <= PERCENT_MAX:
        raise ValueError(f"{name} must be in [0, 100], got {value}")


def week_start(day: date | datetime) -> date:
    """The Monday of the (local) week containing ``day``."""
    d = day.date() if isinstance(day, datetime) else day
    return d - timedelta(days=d.weekday())
