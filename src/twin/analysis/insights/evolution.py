"""How the twin changed (ENGINE.md 5.6): patterns week by week, and this week vs N weeks ago.

**Pattern evolution.** The input is one snapshot per analysed week (the learner's stored
patterns after that week's analysis, with their confidences). Each week is compared with
the previous snapshot: *new* (present now, absent before), *kept* (present in both, with
both confidences) and *gone* (present before, absent now). Patterns are matched by
(type, key), the identity the pattern lifecycle uses. Of the last N + 1 snapshots, the
oldest serves only as the reference for the first of the N weeks; with no older
snapshot, everything in the first week is new. Weeks without an analysis are absent
rather than "everything gone".

**Progress comparison.** The latest weekly score against the one ``compare_weeks``
(2, 4 or 8) weeks earlier: the score and each component, with the change and its
direction (within ±2 points counts as the same); plus the patterns found and lost
between the two weeks when snapshots are given. A missing week N weeks ago is
:class:`InsufficientData`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from twin.analysis.common import InsufficientData
from twin.analysis.insights.common import DAYS_PER_WEEK, check_unit, rounded
from twin.analysis.insights.score import Component, WeeklyScore
from twin.enums import BehavioralPatternType

DEFAULT_EVOLUTION_WEEKS = 12
ALLOWED_COMPARE_WEEKS = (2, 4, 8)
SAME_BAND_POINTS = 2.0
SCORE_METRIC = "score"


class Change(StrEnum):
    """What happened to a pattern between two analysed weeks."""

    NEW = "new"
    KEPT = "kept"
    GONE = "gone"


@dataclass(frozen=True)
class PatternState:
    """A pattern as stored after one week's analysis."""

    pattern_type: BehavioralPatternType
    key: str
    name: str
    confidence: float

    def __post_init__(self) -> None:
        check_unit("confidence", self.confidence)

    @property
    def identity(self) -> tuple[str, str]:
        """(type, key): "the same pattern" across weeks."""
        return (str(self.pattern_type), self.key)


@dataclass(frozen=True)
class WeekPatterns:
    """The learner's patterns after the analysis of one week."""

    week_start: date
    patterns: tuple[PatternState, ...]


@dataclass(frozen=True)
class PatternChange:
    """One pattern's change: confidences before and now (None where absent)."""

    pattern_type: BehavioralPatternType
    key: str
    name: str
    change: Change
    confidence: float | None
    previous_confidence: float | None

    @property
    def confidence_change(self) -> float | None:
        """Now − before, for kept patterns."""
        if self.confidence is None or self.previous_confidence is None:
            return None
        return self.confidence - self.previous_confidence

    def to_json(self) -> dict[str, object]:
        """JSON for the API."""
        delta = self.confidence_change
        return {
            "patternType": str(self.pattern_type),
            "key": self.key,
            "name": self.name,
            "change": str(self.change),
            "confidence": self.confidence,
            "previousConfidence": self.previous_confidence,
            "confidenceChange": None if delta is None else rounded(delta),
        }


@dataclass(frozen=True)
class WeekEvolution:
    """One week: the patterns new, kept and gone since the previous analysed week."""

    week_start: date
    new: tuple[PatternChange, ...]
    kept: tuple[PatternChange, ...]
    gone: tuple[PatternChange, ...]

    def to_json(self) -> dict[str, object]:
        """JSON for the API."""
        return {
            "weekStart": self.week_start.isoformat(),
            "new": [c.to_json() for c in self.new],
            "kept": [c.to_json() for c in self.kept],
            "gone": [c.to_json() for c in self.gone],
        }


def compare_snapshots(previous: WeekPatterns | None, current: WeekPatterns) -> WeekEvolution:
    """New / kept / gone between two snapshots (``previous`` None: everything is new)."""
    before = {p.identity: p for p in (previous.patterns if previous else ())}
    now = {p.identity: p for p in current.patterns}
    new, kept, gone = [], [], []
    for ident in sorted(now):
        p = now[ident]
        if ident in before:
            kept.append(
                PatternChange(
                    p.pattern_type,
                    p.key,
                    p.name,
                    Change.KEPT,
                    p.confidence,
                    before[ident].confidence,
                )
            )
        else:
            new.append(PatternChange(p.pattern_type, p.key, p.name, Change.NEW, p.confidence, None))
    for ident in sorted(set(before) - set(now)):
        p = before[ident]
        gone.append(PatternChange(p.pattern_type, p.key, p.name, Change.GONE, None, p.confidence))
    return WeekEvolution(current.week_start, tuple(new), tuple(kept), tuple(gone))


def pattern_evolution(
    snapshots: Sequence[WeekPatterns], *, weeks: int = DEFAULT_EVOLUTION_WEEKS
) -> list[WeekEvolution]:
    """The last ``weeks`` analysed weeks, oldest first, each against the snapshot before it."""
    if weeks < 1:
        raise ValueError("weeks must be ≥ 1")
    ordered = sorted(snapshots, key=lambda s: s.week_start)
    window = ordered[-(weeks + 1) :]
    if len(window) <= weeks:
        reference: WeekPatterns | None = None
        shown = window
    else:
        reference, shown = window[0], window[1:]
    out = []
    for snap in shown:
        out.append(compare_snapshots(reference, snap))
        reference = snap
    return out


@dataclass(frozen=True)
class MetricChange:
    """One metric now and N weeks ago (None = not measured that week)."""

    name: str
    now: float | None
    then: float | None

    @property
    def change(self) -> float | None:
        """now − then."""
        if self.now is None or self.then is None:
            return None
        return self.now - self.then

    @property
    def direction(self) -> str:
        """better / worse / same (±2 points) / unknown."""
        delta = self.change
        if delta is None:
            return "unknown"
        if abs(delta) <= SAME_BAND_POINTS:
            return "same"
        return "better" if delta > 0 else "worse"

    def to_json(self) -> dict[str, object]:
        """JSON for the API."""
        delta = self.change
        return {
            "name": self.name,
            "now": None if self.now is None else rounded(self.now, 2),
            "then": None if self.then is None else rounded(self.then, 2),
            "change": None if delta is None else rounded(delta, 2),
            "direction": self.direction,
        }


@dataclass(frozen=True)
class ProgressComparison:
    """The latest week against the week ``compare_weeks`` earlier."""

    compare_weeks: int
    week_now: date
    week_then: date
    metrics: tuple[MetricChange, ...]
    patterns_found: tuple[str, ...]
    patterns_lost: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """JSON for the API."""
        return {
            "compareWeeks": self.compare_weeks,
            "weekNow": self.week_now.isoformat(),
            "weekThen": self.week_then.isoformat(),
            "metrics": [m.to_json() for m in self.metrics],
            "patternsFound": list(self.patterns_found),
            "patternsLost": list(self.patterns_lost),
        }


def compare_progress(
    scores: Sequence[WeeklyScore],
    compare_weeks: int,
    snapshots: Sequence[WeekPatterns] = (),
) -> ProgressComparison | InsufficientData:
    """The latest week vs ``compare_weeks`` (2, 4 or 8) weeks earlier."""
    if compare_weeks not in ALLOWED_COMPARE_WEEKS:
        raise ValueError(
            f"compareWeeks must be one of {ALLOWED_COMPARE_WEEKS}, got {compare_weeks}"
        )
    if not scores:
        return InsufficientData("weeksOfHistory", 0, compare_weeks + 1)
    by_week = {s.week_start: s for s in scores}
    latest = max(by_week)
    then_week = latest - timedelta(days=DAYS_PER_WEEK * compare_weeks)
    then = by_week.get(then_week)
    if then is None:
        spanned = (latest - min(by_week)).days // DAYS_PER_WEEK + 1
        return InsufficientData("weeksOfHistory", spanned, compare_weeks + 1)
    now = by_week[latest]
    metrics = [MetricChange(SCORE_METRIC, now.score, then.score)]
    metrics += [
        MetricChange(str(c), now.components.get(c), then.components.get(c)) for c in Component
    ]
    snaps = {s.week_start: s for s in snapshots}
    found: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    if latest in snaps and then_week in snaps:
        diff = compare_snapshots(snaps[then_week], snaps[latest])
        found = tuple(c.name for c in diff.new)
        lost = tuple(c.name for c in diff.gone)
    return ProgressComparison(compare_weeks, latest, then_week, tuple(metrics), found, lost)
