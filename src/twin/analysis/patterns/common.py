"""Shared vocabulary of the pattern analyses: the pattern record, confidence and labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from twin.enums import BehavioralPatternType


@dataclass(frozen=True)
class DetectedPattern:
    """One pattern found by an analysis, ready for ``behavioral_patterns``.

    ``key`` identifies "the same pattern" across analyses (with ``pattern_type``); the
    service stores it in ``patternData`` so the next lifecycle step can match it.
    ``data`` is JSON-ready (str, int, float, bool, None, lists, dicts).
    """

    pattern_type: BehavioralPatternType
    key: str
    name: str
    confidence: float
    evidence: tuple[str, ...]
    data: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")


def data_factor(n: float, full_at: float) -> float:
    """``min(1, n / full_at)``: the share of the sample size at which data stops limiting confidence."""
    if full_at <= 0:
        raise ValueError("full_at must be positive")
    return min(1.0, max(0.0, n / full_at))


def hour_label(hour: int) -> str:
    """``7`` → ``"07:00"`` (``24`` → ``"24:00"`` for the end of a window)."""
    return f"{hour:02d}:00"


def window_label(start_hour: int, end_hour_exclusive: int) -> str:
    """``(7, 9)`` → ``"07:00–09:00"``; hours wrap around midnight."""
    return f"{hour_label(start_hour % 24)}–{hour_label(end_hour_exclusive % 24)}"
