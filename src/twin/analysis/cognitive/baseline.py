"""The learner's earlier level (issue 14): what burnout judges performance, engagement and load against.

A reference period before the window (the caller passes it; the service: the 28 days
before) gives the learner's own earlier level, which an overload cannot drag along with
it (a baseline inside the window drifts with the learner: in the issue's case the mean
load fell from 51 to 13 over the overloaded weeks and no day exceeded 60). A measure's
drop is the larger of a *fresh* fall (a least-squares line through the window) and a
*sustained* one (reference level − the window's recent level), so a learner who dropped
before the window and stayed down counts as much as one dropping now.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

# Medians here are statistics.median: the same value as np.median on a list of numbers,
# without numpy's per-call overhead on a handful of values (burnout assesses every day).

if TYPE_CHECKING:
    from twin.analysis.cognitive.burnout import DailyStudyAggregate

# A day whose mean load is above this is overloaded whatever the learner's level (ENGINE 5.4).
CHRONIC_LOAD_DAY_ABOVE = 60.0
# A fitted trend needs daily values on at least this many days: with 4–5 noisy days a
# least-squares line swings by tens of points (see the module docstring).
TREND_MIN_DAYS = 6
# The reference period: the days before the window the caller passes (the service: 28).
REFERENCE_DAYS = 28
REFERENCE_MIN_DAYS = 6  # days with a value for a reference level
RECENT_LEVEL_DAYS = 7  # the current level: the window's last 7 days with a value …
RECENT_MIN_DAYS = 3  # … from at least this many
# A day is overloaded when its load is this far above the reference level, and at least MODERATE …
RELATIVE_OVERLOAD_POINTS = 15.0
RELATIVE_OVERLOAD_MIN_LOAD = 40.0
RELATIVE_ROLLING_DAYS = 3  # … judged on the median of the day and the study days before it
# With a reference level, a fitted decline counts up to this many times the drop of the
# current level below it: a fresh decline has pulled the last week down too; noise has not.
FRESH_DROP_CONFIRMATION = 3.0
# Days above the usual level (not above 60) count only when there are at least this many.
RELATIVE_OVERLOAD_MIN_DAYS = 3


def fitted_drop(day_index: Sequence[float], values: Sequence[float]) -> float | None:
    """Fall of the least-squares line across the observed span (positive = decline); None below 6 days."""
    if len(values) < TREND_MIN_DAYS:
        return None
    x = np.asarray(day_index, dtype=float)
    y = np.asarray(values, dtype=float)
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx == 0.0:
        return None
    slope = float(dx @ (y - y.mean())) / sxx
    return -slope * float(x.max() - x.min())


@dataclass(frozen=True)
class LevelChange:
    """A fresh (fitted) and a sustained (reference − recent) drop of one daily measure."""

    fitted_drop: float | None
    reference_level: float | None
    recent_level: float | None
    reference_days: int
    recent_days: int

    @property
    def sustained_drop(self) -> float | None:
        """Reference level − current level (None without either)."""
        if self.reference_level is None or self.recent_level is None:
            return None
        return self.reference_level - self.recent_level

    @property
    def confirmed_fitted_drop(self) -> float | None:
        """The fitted drop, at most ``FRESH_DROP_CONFIRMATION`` × the current level's drop below
        the reference level when there is one (a line through 14 noisy days falls by chance)."""
        fitted, sustained = self.fitted_drop, self.sustained_drop
        if fitted is None or sustained is None:
            return fitted
        return min(fitted, FRESH_DROP_CONFIRMATION * max(sustained, 0.0))

    @property
    def drop(self) -> float | None:
        """The larger of the two drops: a sustained drop counts as much as a fresh one."""
        drops = [d for d in (self.confirmed_fitted_drop, self.sustained_drop) if d is not None]
        return max(drops) if drops else None

    @property
    def basis(self) -> str | None:
        """``"reference"`` when the sustained drop is the larger, ``"fitted"`` otherwise."""
        if self.drop is None:
            return None
        sustained = self.sustained_drop
        fitted = self.confirmed_fitted_drop
        return (
            "reference"
            if sustained is not None and (fitted is None or sustained > fitted)
            else "fitted"
        )

    def evidence(self) -> dict[str, Any]:
        """The numbers behind the drop."""
        return {
            "fittedDropPoints": None if self.fitted_drop is None else round(self.fitted_drop, 2),
            "confirmedFittedDropPoints": (
                None if self.confirmed_fitted_drop is None else round(self.confirmed_fitted_drop, 2)
            ),
            "sustainedDropPoints": (
                None if self.sustained_drop is None else round(self.sustained_drop, 2)
            ),
            "referenceLevel": None
            if self.reference_level is None
            else round(self.reference_level, 2),
            "recentLevel": None if self.recent_level is None else round(self.recent_level, 2),
            "referenceDays": self.reference_days,
            "recentDays": self.recent_days,
            "basis": self.basis,
        }


def level_change(window: Sequence[float | None], reference: Sequence[float | None]) -> LevelChange:
    """Fresh and sustained drop of a daily measure (window and reference in day order, None = no value)."""
    days = [(i, v) for i, v in enumerate(window) if v is not None]
    fitted = fitted_drop([i for i, _ in days], [v for _, v in days])
    ref = [v for v in reference if v is not None]
    recent = [v for _, v in days[-RECENT_LEVEL_DAYS:]]
    reference_level = float(statistics.median(ref)) if len(ref) >= REFERENCE_MIN_DAYS else None
    recent_level = math.fsum(recent) / len(recent) if len(recent) >= RECENT_MIN_DAYS else None
    return LevelChange(fitted, reference_level, recent_level, len(ref), len(recent))


def reference_load(reference: Sequence[DailyStudyAggregate]) -> float | None:
    """The learner's typical daily load in the reference period (median; None below 6 days)."""
    loads = [r.mean_load for r in reference if r.mean_load is not None]
    return float(statistics.median(loads)) if len(loads) >= REFERENCE_MIN_DAYS else None


def rolling_loads(
    reference: Sequence[DailyStudyAggregate], records: Sequence[DailyStudyAggregate]
) -> list[float | None]:
    """Per window day with a load: the median load of it and the study days before it (3 in all)."""
    history = [r.mean_load for r in reference if r.mean_load is not None]
    out: list[float | None] = []
    for r in records:
        if r.mean_load is None:
            out.append(None)
            continue
        history.append(r.mean_load)
        out.append(float(statistics.median(history[-int(RELATIVE_ROLLING_DAYS) :])))
    return out


def is_overloaded_day(
    load: float | None, typical: float | None, sustained: float | None = None
) -> bool:
    """Load > 60; or ≥ 40 with the last study days' median load 15 above the reference level."""
    if load is None:
        return False
    if load > CHRONIC_LOAD_DAY_ABOVE:
        return True
    level = load if sustained is None else sustained
    return (
        typical is not None
        and load >= RELATIVE_OVERLOAD_MIN_LOAD
        and level >= typical + RELATIVE_OVERLOAD_POINTS
    )
