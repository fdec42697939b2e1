"""Personalization levels and preferences, and what may be personalized at a given moment.

Levels (ENGINE.md 5.5), each adding to the one before:

=======  =======================================================  ==============
level    what the twin may change                                 evidence used
=======  =======================================================  ==============
NONE     nothing: the engine's defaults                           —
LOW      timing and duration (start time, length, break timing)   confidence ≥ 0.85
MEDIUM   + content and assessment (objectives, difficulty,        confidence ≥ 0.7
         content mix, sequence, assessment frequency/difficulty)
HIGH     + automatic load adjustment (intensity, difficulty and   confidence ≥ 0.6
         length follow the current cognitive load)
=======  =======================================================  ==============

The learner's switches (``personalization_preferences``): the level (default MEDIUM), one
toggle per context (mission, content, assessment, session), a list of disabled features
(names of :class:`PersonalizationFeature`), auto-adapt (whether the bandit may pick the
strategy itself), and a pause until a date. A paused learner, a context switched off or
level NONE gets the engine defaults, and the answer says which of these applied. The
safety overrides of 5.4 (burnout HIGH/CRITICAL, load HIGH/CRITICAL → shorter, lighter
work) are not personalization: they apply whatever the preferences say.

Datetimes are compared as given: pass ``paused_until`` and ``now`` both naive UTC (as
stored) or both timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from twin.analysis.personalization.common import InvalidParameter
from twin.enums import PersonalizationContext, PersonalizationLevel


class PersonalizationFeature(StrEnum):
    """One thing the twin may personalize; the learner can switch each off by name."""

    TIMING = "TIMING"
    DURATION = "DURATION"
    BREAKS = "BREAKS"
    OBJECTIVES = "OBJECTIVES"
    DIFFICULTY = "DIFFICULTY"
    CONTENT_MIX = "CONTENT_MIX"
    SEQUENCE = "SEQUENCE"
    ASSESSMENT_FREQUENCY = "ASSESSMENT_FREQUENCY"
    ASSESSMENT_DIFFICULTY = "ASSESSMENT_DIFFICULTY"
    LOAD_ADJUSTMENT = "LOAD_ADJUSTMENT"


F = PersonalizationFeature
L = PersonalizationLevel

LEVEL_RANK: dict[PersonalizationLevel, int] = {L.NONE: 0, L.LOW: 1, L.MEDIUM: 2, L.HIGH: 3}
"""Order of the levels; also the level's value in the effectiveness correlation."""

MIN_CONFIDENCE_BY_LEVEL: dict[PersonalizationLevel, float] = {
    L.LOW: 0.85,
    L.MEDIUM: 0.7,
    L.HIGH: 0.6,
}
"""Evidence below this confidence is not acted on at that level (ENGINE.md 5.5)."""

FEATURE_MIN_LEVEL: dict[PersonalizationFeature, PersonalizationLevel] = {
    F.TIMING: L.LOW,
    F.DURATION: L.LOW,
    F.BREAKS: L.LOW,  # when to pause is timing
    F.OBJECTIVES: L.MEDIUM,
    F.DIFFICULTY: L.MEDIUM,
    F.CONTENT_MIX: L.MEDIUM,
    F.SEQUENCE: L.MEDIUM,
    F.ASSESSMENT_FREQUENCY: L.MEDIUM,
    F.ASSESSMENT_DIFFICULTY: L.MEDIUM,
    F.LOAD_ADJUSTMENT: L.HIGH,
}

CONTEXT_FEATURES: dict[PersonalizationContext, frozenset[PersonalizationFeature]] = {
    PersonalizationContext.MISSION: frozenset(
        {F.TIMING, F.DURATION, F.OBJECTIVES, F.DIFFICULTY, F.LOAD_ADJUSTMENT}
    ),
    PersonalizationContext.CONTENT: frozenset({F.CONTENT_MIX, F.SEQUENCE, F.DIFFICULTY}),
    PersonalizationContext.ASSESSMENT: frozenset({F.ASSESSMENT_FREQUENCY, F.ASSESSMENT_DIFFICULTY}),
    PersonalizationContext.SESSION: frozenset(
        {F.DURATION, F.BREAKS, F.SEQUENCE, F.LOAD_ADJUSTMENT}
    ),
}
"""The features each context's answer contains."""


def level_features(level: PersonalizationLevel) -> frozenset[PersonalizationFeature]:
    """Every feature the level allows."""
    return frozenset(
        f for f, lv in FEATURE_MIN_LEVEL.items() if LEVEL_RANK[level] >= LEVEL_RANK[lv]
    )


def parse_features(field_name: str, names: Iterable[str]) -> frozenset[PersonalizationFeature]:
    """Feature names → features; InvalidParameter naming ``field_name`` for an unknown name."""
    out = set()
    for name in names:
        try:
            out.add(PersonalizationFeature(name))
        except ValueError:
            known = ", ".join(f.value for f in PersonalizationFeature)
            raise InvalidParameter(
                field_name, f"unknown feature {name!r}; expected one of {known}"
            ) from None
    return frozenset(out)


@dataclass(frozen=True)
class Preferences:
    """A learner's personalization switches (one ``personalization_preferences`` row)."""

    level: PersonalizationLevel = PersonalizationLevel.MEDIUM
    mission_enabled: bool = True
    content_enabled: bool = True
    assessment_enabled: bool = True
    session_enabled: bool = True
    disabled_features: frozenset[PersonalizationFeature] = field(default_factory=frozenset)
    auto_adapt: bool = True
    paused_until: datetime | None = None

    def context_enabled(self, context: PersonalizationContext) -> bool:
        """The learner's toggle for ``context``."""
        return {
            PersonalizationContext.MISSION: self.mission_enabled,
            PersonalizationContext.CONTENT: self.content_enabled,
            PersonalizationContext.ASSESSMENT: self.assessment_enabled,
            PersonalizationContext.SESSION: self.session_enabled,
        }[context]

    def to_json(self) -> dict[str, Any]:
        """The stored shape (``disabledFeatures`` sorted)."""
        return {
            "personalizationLevel": self.level.value,
            "missionPersonalizationEnabled": self.mission_enabled,
            "contentPersonalizationEnabled": self.content_enabled,
            "assessmentPersonalizationEnabled": self.assessment_enabled,
            "sessionPersonalizationEnabled": self.session_enabled,
            "disabledFeatures": sorted(f.value for f in self.disabled_features),
            "autoAdaptEnabled": self.auto_adapt,
            "pausedUntil": self.paused_until.isoformat() if self.paused_until else None,
        }


DEFAULT_PREFERENCES = Preferences()
"""What a learner has before choosing anything, and after a reset."""


@dataclass(frozen=True)
class Scope:
    """What may be personalized for one context at one moment, and why."""

    context: PersonalizationContext
    level: PersonalizationLevel
    """The learner's chosen level."""
    effective_level: PersonalizationLevel
    """NONE when paused or the context is switched off, else ``level``."""
    min_confidence: float | None
    """Evidence below this is not used (None: nothing is personalized)."""
    features: frozenset[PersonalizationFeature]
    paused: bool
    auto_adapt: bool
    reasons: tuple[str, ...]

    @property
    def personalized(self) -> bool:
        """At least one feature may move away from the defaults."""
        return bool(self.features)

    def allows(self, feature: PersonalizationFeature) -> bool:
        """``feature`` may be personalized now."""
        return feature in self.features

    def to_json(self) -> dict[str, Any]:
        """JSON form for the answer's ``scope``."""
        return {
            "context": self.context.value,
            "level": self.level.value,
            "effectiveLevel": self.effective_level.value,
            "minConfidence": self.min_confidence,
            "features": sorted(f.value for f in self.features),
            "paused": self.paused,
            "autoAdapt": self.auto_adapt,
            "reasons": list(self.reasons),
        }


def personalization_scope(
    preferences: Preferences, context: PersonalizationContext, now: datetime
) -> Scope:
    """What may be personalized for ``context`` at ``now`` under ``preferences``."""
    reasons: list[str] = []
    paused = preferences.paused_until is not None and now < preferences.paused_until
    effective = preferences.level
    if paused:
        assert preferences.paused_until is not None
        reasons.append(
            f"personalization is paused until {preferences.paused_until.isoformat()}: "
            "engine defaults"
        )
        effective = L.NONE
    if not preferences.context_enabled(context):
        reasons.append(f"{context.value} personalization is switched off: engine defaults")
        effective = L.NONE
    if preferences.level is L.NONE and not reasons:
        reasons.append("personalization level NONE: engine defaults")
    if effective is L.NONE:
        return Scope(
            context=context,
            level=preferences.level,
            effective_level=L.NONE,
            min_confidence=None,
            features=frozenset(),
            paused=paused,
            auto_adapt=preferences.auto_adapt,
            reasons=tuple(reasons),
        )
    available = level_features(effective) & CONTEXT_FEATURES[context]
    disabled = available & preferences.disabled_features
    features = available - disabled
    min_conf = MIN_CONFIDENCE_BY_LEVEL[effective]
    reasons.append(
        f"level {effective.value}: acts on evidence with confidence ≥ {min_conf:g} "
        f"({', '.join(sorted(f.value for f in available)) or 'nothing'} in {context.value})"
    )
    if disabled:
        reasons.append(
            "switched off by the learner: " + ", ".join(sorted(f.value for f in disabled))
        )
    not_at_level = CONTEXT_FEATURES[context] - level_features(effective)
    if not_at_level:
        reasons.append(
            f"not at level {effective.value}: "
            + ", ".join(
                f"{f.value} (needs {FEATURE_MIN_LEVEL[f].value})"
                for f in sorted(not_at_level, key=lambda f: f.value)
            )
        )
    if not features:
        reasons.append(f"nothing in {context.value} is personalized: engine defaults")
    return Scope(
        context=context,
        level=preferences.level,
        effective_level=effective,
        min_confidence=min_conf if features else None,
        features=features,
        paused=False,
        auto_adapt=preferences.auto_adapt,
        reasons=tuple(reasons),
    )
