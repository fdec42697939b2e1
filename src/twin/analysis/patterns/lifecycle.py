"""Pattern lifecycle: what to create, update and delete after an analysis (ENGINE.md 5.1).

A stored pattern and a new detection are "the same pattern" when pattern type and
``key`` match (the service keeps ``key`` and ``consecutiveMisses`` in ``patternData``).

- New detection with no stored match: saved when its confidence is ≥ 0.6, with
  occurrenceCount 1 and its confidence capped at 0.95 (the ceiling every stored
  pattern respects; otherwise being seen again could lower it).
- Seen again (any confidence) **on new data** (``new_data``: sessions or reviews since the
  last analysis): occurrenceCount + 1, lastSeenAt = now, misses reset to 0, confidence
  + 0.05 up to 0.95, data and evidence replaced by the latest.
- Not seen on new data: confidence − 0.1 and misses + 1; deleted after 3 consecutive
  misses or when the confidence falls below 0.4 (0.4 itself stays).
- **No new data** (a forced re-analysis of the same data): a stored pattern keeps its
  confidence, occurrences, misses and lastSeenAt — re-reading the same evidence is not a
  confirmation, and missing it is not a miss; a detected one gets the latest data and
  evidence. New detections are still saved by the rule above (they are what the
  unchanged data show). So analysing the same data twice gives the same answer.
- At most 100 patterns per learner: beyond that the lowest-confidence ones go first,
  the oldest (first detected) first among equals.

Confidence arithmetic is rounded to 6 decimals so 0.6 − 0.1 − 0.1 is 0.4, not 0.39999….
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from twin.analysis.patterns.common import DetectedPattern

PATTERN_SAVE_MIN_CONFIDENCE = 0.6
PATTERN_SEEN_CONFIDENCE_STEP = 0.05
PATTERN_MAX_CONFIDENCE = 0.95
PATTERN_MISS_CONFIDENCE_STEP = 0.1
PATTERN_DELETE_AFTER_MISSES = 3
PATTERN_DELETE_BELOW_CONFIDENCE = 0.4
MAX_PATTERNS_PER_LEARNER = 100
CONFIDENCE_DECIMALS = 6

DELETE_MISSED = "MISSED_3_TIMES"
DELETE_LOW_CONFIDENCE = "BELOW_MIN_CONFIDENCE"
DELETE_OVER_CAP = "OVER_PATTERN_CAP"


@dataclass(frozen=True)
class StoredPattern:
    """What the lifecycle needs of a pattern already in ``behavioral_patterns``."""

    pattern_id: str
    pattern_type: str
    key: str
    confidence: float
    occurrence_count: int
    consecutive_misses: int
    first_detected_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class PatternCreate:
    """Insert a new pattern."""

    pattern: DetectedPattern
    confidence: float
    occurrence_count: int
    consecutive_misses: int
    first_detected_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class PatternUpdate:
    """Update a stored pattern; ``pattern`` holds the latest data when it was seen, else None."""

    pattern_id: str
    pattern_type: str
    key: str
    confidence: float
    occurrence_count: int
    consecutive_misses: int
    last_seen_at: datetime
    first_detected_at: datetime
    pattern: DetectedPattern | None

    @property
    def seen(self) -> bool:
        """Whether this analysis detected the pattern again."""
        return self.pattern is not None


@dataclass(frozen=True)
class PatternDelete:
    """Delete a stored pattern, with the rule that removed it."""

    pattern_id: str
    reason: str


@dataclass(frozen=True)
class LifecyclePlan:
    """Everything the service must write, plus new detections not saved."""

    creates: tuple[PatternCreate, ...]
    updates: tuple[PatternUpdate, ...]
    deletes: tuple[PatternDelete, ...]
    not_saved: tuple[DetectedPattern, ...]

    def current(self) -> list[DetectedPattern]:
        """Patterns detected in this analysis that remain stored, with their lifecycle confidence."""
        out = [replace(c.pattern, confidence=c.confidence) for c in self.creates]
        out += [
            replace(u.pattern, confidence=u.confidence)
            for u in self.updates
            if u.pattern is not None
        ]
        return out


def _round(x: float) -> float:
    return round(x, CONFIDENCE_DECIMALS)


def plan_lifecycle(
    stored: Sequence[StoredPattern],
    detected: Sequence[DetectedPattern],
    *,
    now: datetime,
    new_data: bool = True,
) -> LifecyclePlan:
    """Apply save / seen / missed / cap rules to the stored patterns and the new detections.

    ``new_data`` is False when nothing arrived since the last analysis: stored patterns
    then keep their lifecycle state (see the module docstring).
    """
    latest: dict[tuple[str, str], DetectedPattern] = {}
    for d in sorted(detected, key=lambda d: (str(d.pattern_type), d.key, -d.confidence)):
        latest.setdefault((str(d.pattern_type), d.key), d)

    updates: list[PatternUpdate] = []
    deletes: list[PatternDelete] = []
    matched: set[tuple[str, str]] = set()
    for s in sorted(stored, key=lambda s: s.pattern_id):
        ident = (s.pattern_type, s.key)
        hit = latest.get(ident)
        if not new_data:
            first_match = hit is not None and ident not in matched
            if first_match:
                matched.add(ident)
            updates.append(
                PatternUpdate(
                    pattern_id=s.pattern_id,
                    pattern_type=s.pattern_type,
                    key=s.key,
                    confidence=s.confidence,
                    occurrence_count=s.occurrence_count,
                    consecutive_misses=s.consecutive_misses,
                    last_seen_at=s.last_seen_at,
                    first_detected_at=s.first_detected_at,
                    pattern=hit if first_match else None,
                )
            )
            continue
        if hit is not None and ident not in matched:
            matched.add(ident)
            updates.append(
                PatternUpdate(
                    pattern_id=s.pattern_id,
                    pattern_type=s.pattern_type,
                    key=s.key,
                    confidence=_round(
                        min(PATTERN_MAX_CONFIDENCE, s.confidence + PATTERN_SEEN_CONFIDENCE_STEP)
                    ),
                    occurrence_count=s.occurrence_count + 1,
                    consecutive_misses=0,
                    last_seen_at=now,
                    first_detected_at=s.first_detected_at,
                    pattern=hit,
                )
            )
            continue
        confidence = _round(s.confidence - PATTERN_MISS_CONFIDENCE_STEP)
        misses = s.consecutive_misses + 1
        if misses >= PATTERN_DELETE_AFTER_MISSES:
            deletes.append(PatternDelete(s.pattern_id, DELETE_MISSED))
        elif confidence < PATTERN_DELETE_BELOW_CONFIDENCE:
            deletes.append(PatternDelete(s.pattern_id, DELETE_LOW_CONFIDENCE))
        else:
            updates.append(
                PatternUpdate(
                    pattern_id=s.pattern_id,
                    pattern_type=s.pattern_type,
                    key=s.key,
                    confidence=max(0.0, confidence),
                    occurrence_count=s.occurrence_count,
                    consecutive_misses=misses,
                    last_seen_at=s.last_seen_at,
                    first_detected_at=s.first_detected_at,
                    pattern=None,
                )
            )

    creates: list[PatternCreate] = []
    not_saved: list[DetectedPattern] = []
    for ident, d in sorted(latest.items()):
        if ident in matched:
            continue
        if d.confidence >= PATTERN_SAVE_MIN_CONFIDENCE:
            creates.append(
                PatternCreate(
                    pattern=d,
                    confidence=_round(min(PATTERN_MAX_CONFIDENCE, d.confidence)),
                    occurrence_count=1,
                    consecutive_misses=0,
                    first_detected_at=now,
                    last_seen_at=now,
                )
            )
        else:
            not_saved.append(d)

    excess = len(updates) + len(creates) - MAX_PATTERNS_PER_LEARNER
    if excess > 0:
        pool: list[tuple[float, datetime, str, str, PatternUpdate | PatternCreate]] = [
            (u.confidence, u.first_detected_at, u.pattern_type, u.key, u) for u in updates
        ] + [(c.confidence, now, str(c.pattern.pattern_type), c.pattern.key, c) for c in creates]
        pool.sort(key=lambda e: (e[0], e[1], e[2], e[3]))
        dropped = [e[4] for e in pool[:excess]]
        for item in dropped:
            if isinstance(item, PatternUpdate):
                deletes.append(PatternDelete(item.pattern_id, DELETE_OVER_CAP))
            else:
                not_saved.append(item.pattern)
        updates = [u for u in updates if u not in dropped]
        creates = [c for c in creates if c not in dropped]

    return LifecyclePlan(tuple(creates), tuple(updates), tuple(deletes), tuple(not_saved))
