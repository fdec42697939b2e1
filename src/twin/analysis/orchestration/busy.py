"""The busy-time model every calendar source feeds: weighted intervals, merged, queried.

An interval ``[start, end)`` carries a weight: 1 for busy, 0.5 for tentative (ENGINE.md
5.3: "TENTATIVE counts half"). Merging keeps, at every instant, the largest weight of
the intervals covering it — a tentative meeting inside a busy one is simply busy, two
overlapping tentative meetings are still tentative (half is "maybe", and two maybes at
the same time do not make a certainty). Merged segments are disjoint, sorted, and
adjacent segments of equal weight are joined, so queries run by binary search.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from twin.analysis.orchestration.common import iso, require_aware, rounded, utc

BUSY_WEIGHT = 1.0
TENTATIVE_WEIGHT = 0.5
FREE_WEIGHT = 0.0


@dataclass(frozen=True)
class BusyInterval:
    """``[start, end)`` blocked with ``weight`` (1 busy, 0.5 tentative); both ends aware, kept in UTC."""

    start: datetime
    end: datetime
    weight: float = BUSY_WEIGHT

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_aware("end", self.end)
        # Stored in UTC so that merging and comparing never meets wall-clock arithmetic.
        object.__setattr__(self, "start", utc(self.start))
        object.__setattr__(self, "end", utc(self.end))
        if self.end <= self.start:
            raise ValueError(f"end must be after start, got {self.start} … {self.end}")
        if not FREE_WEIGHT < self.weight <= BUSY_WEIGHT:
            raise ValueError(f"weight must be in (0, 1], got {self.weight}")

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` shares any instant with this interval."""
        return self.start < end and start < self.end

    def to_json(self) -> dict[str, object]:
        """``{"start", "end", "weight"}`` with ISO instants."""
        return {"start": iso(self.start), "end": iso(self.end), "weight": rounded(self.weight)}


def merge_intervals(intervals: Iterable[BusyInterval]) -> tuple[BusyInterval, ...]:
    """Disjoint sorted segments; each carries the largest weight covering it, equal neighbours joined."""
    points: list[tuple[datetime, int, float]] = []
    for iv in intervals:
        # At one instant, ends (0) are processed before starts (1): [a, b) and [b, c) touch, not overlap.
        points.append((iv.start, 1, iv.weight))
        points.append((iv.end, 0, iv.weight))
    points.sort(key=lambda p: (p[0], p[1]))
    active: Counter[float] = Counter()
    segments: list[BusyInterval] = []
    previous: datetime | None = None
    for moment, kind, weight in points:
        if previous is not None and moment > previous and active:
            current = max(active)
            last = segments[-1] if segments else None
            if last is not None and last.end == previous and last.weight == current:
                segments[-1] = BusyInterval(last.start, moment, current)
            else:
                segments.append(BusyInterval(previous, moment, current))
        if kind == 1:
            active[weight] += 1
        else:
            active[weight] -= 1
            if active[weight] == 0:
                del active[weight]
        previous = moment
    return tuple(segments)


@dataclass(frozen=True)
class BusyTime:
    """A learner's merged busy time; build it with ``BusyTime.of(intervals)``."""

    segments: tuple[BusyInterval, ...] = ()
    _ends: tuple[datetime, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for a, b in zip(self.segments, self.segments[1:], strict=False):
            if b.start < a.end:
                raise ValueError("segments must be disjoint and sorted; use BusyTime.of(...)")
        object.__setattr__(self, "_ends", tuple(s.end for s in self.segments))

    @classmethod
    def of(cls, intervals: Iterable[BusyInterval]) -> BusyTime:
        """Merge ``intervals`` (any order, overlapping or not) into one busy-time model."""
        return cls(merge_intervals(intervals))

    def _first_ending_after(self, start: datetime) -> int:
        return bisect.bisect_right(self._ends, start)

    def overlapping(self, start: datetime, end: datetime) -> tuple[BusyInterval, ...]:
        """The merged segments sharing an instant with ``[start, end)``, in time order."""
        out = []
        for seg in self.segments[self._first_ending_after(start) :]:
            if seg.start >= end:
                break
            out.append(seg)
        return tuple(out)

    def max_weight(self, start: datetime, end: datetime) -> float:
        """The largest weight anywhere in ``[start, end)``: 0 free, 0.5 tentative, 1 busy."""
        return max((s.weight for s in self.overlapping(start, end)), default=FREE_WEIGHT)

    def is_free(self, start: datetime, end: datetime, *, tolerate_weight: float = 0.0) -> bool:
        """True when nothing heavier than ``tolerate_weight`` touches ``[start, end)``."""
        return self.max_weight(start, end) <= tolerate_weight

    def next_blocking_start(self, start: datetime, *, above_weight: float) -> datetime | None:
        """Start of the first segment heavier than ``above_weight`` that ends after ``start``."""
        for seg in self.segments[self._first_ending_after(start) :]:
            if seg.weight > above_weight:
                return max(seg.start, start)
        return None

    def free_blocks(
        self,
        start: datetime,
        end: datetime,
        *,
        min_length: timedelta = timedelta(0),
        tolerate_weight: float = 0.0,
    ) -> tuple[tuple[datetime, datetime], ...]:
        """Maximal sub-intervals of ``[start, end)`` no heavier than ``tolerate_weight``, at least ``min_length`` long."""
        blocks: list[tuple[datetime, datetime]] = []
        cursor = start
        for seg in self.overlapping(start, end):
            if seg.weight <= tolerate_weight:
                continue
            if seg.start > cursor and seg.start - cursor >= min_length:
                blocks.append((cursor, seg.start))
            cursor = max(cursor, seg.end)
        if end > cursor and end - cursor >= min_length:
            blocks.append((cursor, end))
        return tuple(blocks)

    def busy_minutes(self, start: datetime, end: datetime) -> float:
        """Weighted busy minutes inside ``[start, end)`` (tentative counts half)."""
        total = 0.0
        for seg in self.overlapping(start, end):
            lo, hi = max(seg.start, start), min(seg.end, end)
            total += seg.weight * (hi - lo).total_seconds() / 60.0
        return total


def intervals_overlapping_busy(
    items: Sequence[tuple[datetime, datetime]], busy: BusyTime, *, above_weight: float = 0.5
) -> list[tuple[datetime, datetime]]:
    """The ``(start, end)`` pairs that touch busy time heavier than ``above_weight`` (a check for tests and jobs)."""
    return [(s, e) for s, e in items if busy.max_weight(s, e) > above_weight]
