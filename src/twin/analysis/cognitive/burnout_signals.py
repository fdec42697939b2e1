"""Burnout warning signs as values, and the serious-signal floor (ENGINE.md 5.4, issue 14).

The assessment (:mod:`twin.analysis.cognitive.burnout`) derives the signs from its
factors; this module holds what a sign is and the rule by which serious signs of
independent kinds raise the level to HIGH whatever the weighted score: several
independent signs at their worst are the overload itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from twin.enums import BurnoutRiskLevel, Severity

SERIOUS_SIGNAL_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})

# --- serious-signal floor --------------------------------------------------
# ENGINE's weighted score misses a sustained overload whose load stays calm: the load
# baseline drifts with the learner's slowed answers, so the chronic-load factor (a quarter
# of the weight) stays 0 while performance, engagement and late-night study are CRITICAL,
# and the score sits at 30–43 (MEDIUM) for weeks. Several independent signs at their worst
# are the overload itself, so they put the level at HIGH at least, whatever the score.
SIGNAL_FLOOR_MIN_CRITICAL_GROUPS = 2


class WarningSignalType(StrEnum):
    """Named warning signs shown with an assessment."""

    CHRONIC_OVERLOAD = "CHRONIC_OVERLOAD"
    PERFORMANCE_DROP = "PERFORMANCE_DROP"
    ENGAGEMENT_LOSS = "ENGAGEMENT_LOSS"
    IRREGULAR_PATTERN = "IRREGULAR_PATTERN"
    NO_RECOVERY = "NO_RECOVERY"
    LATE_NIGHT_STUDY = "LATE_NIGHT_STUDY"


# For the serious-signal floor, signals that measure one thing count once: a late-night day
# is never a recovery day, so NO_RECOVERY follows LATE_NIGHT_STUDY (and overloaded days are
# not light days either, so it follows CHRONIC_OVERLOAD too: it is counted with neither).
# Performance and engagement come from the same sessions and fall together on a bad stretch
# (on the srs family's held-out seeds, both at CRITICAL on 5–10% of learners without any
# episode): one sign of how the studying goes.
SIGNAL_FLOOR_GROUPS: dict[WarningSignalType, str] = {
    WarningSignalType.CHRONIC_OVERLOAD: "load",
    WarningSignalType.PERFORMANCE_DROP: "outcomes",
    WarningSignalType.ENGAGEMENT_LOSS: "outcomes",
    WarningSignalType.IRREGULAR_PATTERN: "plans kept",
    WarningSignalType.LATE_NIGHT_STUDY: "sleep",
}
_DROP_SIGNALS = frozenset({WarningSignalType.PERFORMANCE_DROP, WarningSignalType.ENGAGEMENT_LOSS})
# baseline.LevelChange.basis of a drop below the reference period's level.
SUSTAINED_DROP_BASIS = "reference"


@dataclass(frozen=True)
class WarningSignal:
    """A named warning sign, its severity and the numbers behind it."""

    type: WarningSignalType
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def stored_json(self) -> dict[str, Any]:
        """One element of ``burnout_risk_assessments.warningSignals``."""
        return {
            "type": self.type.value,
            "severity": self.severity.value,
            "message": self.message,
            "evidence": self.evidence,
        }


def signal_label(signal: WarningSignal) -> str:
    """A sign as a sentence names it: ``late night study (CRITICAL)``."""
    return f"{signal.type.value.replace('_', ' ').lower()} ({signal.severity.value})"


def serious_signal_floor(signals: Sequence[WarningSignal]) -> tuple[WarningSignal, ...]:
    """The warning signs that put the level at HIGH at least (empty when they do not).

    Either CRITICAL signs of two or more independent kinds (:data:`SIGNAL_FLOOR_GROUPS`),
    or late-night study at CRITICAL with performance HIGH or worse below the learner's
    earlier level. A performance or engagement drop counts only when it is below the
    earlier level (the reference period: a drop that has lasted): a line fitted through
    14 noisy days falls steeply by chance, and both measures fall together on bad days.
    """
    critical = [
        s
        for s in signals
        if s.severity is Severity.CRITICAL and s.type in SIGNAL_FLOOR_GROUPS and _lasting(s)
    ]
    by_group: dict[str, WarningSignal] = {}
    for s in critical:
        by_group.setdefault(SIGNAL_FLOOR_GROUPS[s.type], s)
    if len(by_group) >= SIGNAL_FLOOR_MIN_CRITICAL_GROUPS:
        return tuple(by_group.values())
    late = [s for s in critical if s.type is WarningSignalType.LATE_NIGHT_STUDY]
    sustained_drop = [
        s
        for s in signals
        if s.type is WarningSignalType.PERFORMANCE_DROP
        and s.severity in SERIOUS_SIGNAL_SEVERITIES
        and _lasting(s)
    ]
    if late and sustained_drop:
        return (late[0], sustained_drop[0])
    return ()


def _lasting(signal: WarningSignal) -> bool:
    """A drop below the earlier level, or a sign that is not a drop."""
    if signal.type in _DROP_SIGNALS:
        return signal.evidence.get("basis") == SUSTAINED_DROP_BASIS
    return True


def floor_message(triggering: Sequence[WarningSignal]) -> str:
    """The sentence that says why the level is HIGH although the weighted score is lower."""
    names = " and ".join(signal_label(s) for s in triggering)
    return (
        f"Risk raised to {BurnoutRiskLevel.HIGH.value}: {names} together are serious "
        "whatever the weighted score."
    )
