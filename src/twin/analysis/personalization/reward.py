"""The reward of one personalized session or mission, in [0, 1] (ENGINE.md 5.5).

``reward = 0.4·retention gain + 0.3·performance gain + 0.2·completion + 0.1·satisfaction``

Each component is on [0, 1] before weighting:

- **retention gain**: the session's retention (recall of its due reviews, 0–1) minus the
  learner's own recent baseline, mapped linearly ``0.5 + Δ/0.4`` and clipped: no change is
  0.5, +0.20 (twenty points of recall) or more is 1, −0.20 or less is 0;
- **performance gain**: performance (0–100) minus the baseline, ``0.5 + Δ/40`` clipped:
  ±20 points reach 1 / 0;
- **completion**: objectives completed / planned, as it is;
- **satisfaction**: explicit feedback when the learner gave any — helpful 1, not helpful 0;
  difficulty just right 1, too easy or too hard 0.25 (the mean of the two when both are
  given); otherwise the implicit signals — settings changed back 0, mission skipped 0,
  recommendation dismissed 0.2 (the lowest when several) — and otherwise unknown.

The baseline is the caller's (suggested: the mean of the learner's outcomes of the same
context over the previous 14 days, every arm, the current one excluded); with fewer than
3 baseline outcomes a gain cannot be judged and counts as 0.5 (neutral), so the reward
keeps its scale while the baseline fills. A component the session did not measure (no
due reviews → no retention; no feedback and no signal → no satisfaction) is left out and
the weights of the others renormalised. A skipped mission has completion 0 and nothing
else measured, so with no feedback its reward is 0. Feedback that arrives later replaces
the satisfaction component; the arm's ``totalReward`` then changes by new − old reward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from twin.analysis.common import InsufficientData
from twin.analysis.personalization.common import (
    InvalidParameter,
    check_probability,
    check_range,
    clip01,
    rounded,
)

RETENTION_WEIGHT = 0.4
PERFORMANCE_WEIGHT = 0.3
COMPLETION_WEIGHT = 0.2
SATISFACTION_WEIGHT = 0.1
RETENTION_GAIN_AT_MAX = 0.20
"""Retention gain (0–1 scale) that maps to 1 (and its negative to 0)."""
PERFORMANCE_GAIN_AT_MAX_POINTS = 20.0
"""Performance gain (0–100 scale) that maps to 1 (and its negative to 0)."""
NEUTRAL_GAIN = 0.5
MIN_BASELINE_OUTCOMES = 3
PERFORMANCE_MAX = 100.0

SATISFACTION_HELPFUL = 1.0
SATISFACTION_NOT_HELPFUL = 0.0
SATISFACTION_JUST_RIGHT = 1.0
SATISFACTION_DIFFICULTY_OFF = 0.25


class DifficultyFeedback(StrEnum):
    """The learner's verdict on difficulty."""

    TOO_EASY = "too_easy"
    JUST_RIGHT = "just_right"
    TOO_HARD = "too_hard"


class ImplicitSignal(StrEnum):
    """Things the learner did that say what they thought of a personalization."""

    MISSION_SKIPPED = "mission_skipped"
    RECOMMENDATION_DISMISSED = "recommendation_dismissed"
    SETTINGS_CHANGED_BACK = "settings_changed_back"


IMPLICIT_SATISFACTION: dict[ImplicitSignal, float] = {
    ImplicitSignal.SETTINGS_CHANGED_BACK: 0.0,
    ImplicitSignal.MISSION_SKIPPED: 0.0,
    ImplicitSignal.RECOMMENDATION_DISMISSED: 0.2,
}


@dataclass(frozen=True)
class Feedback:
    """Explicit feedback on one decision (either part may be missing)."""

    helpful: bool | None = None
    difficulty: DifficultyFeedback | None = None

    @property
    def given(self) -> bool:
        """Any part given."""
        return self.helpful is not None or self.difficulty is not None

    def satisfaction(self) -> float | None:
        """Mean of the parts given (None when none)."""
        parts = []
        if self.helpful is not None:
            parts.append(SATISFACTION_HELPFUL if self.helpful else SATISFACTION_NOT_HELPFUL)
        if self.difficulty is not None:
            parts.append(
                SATISFACTION_JUST_RIGHT
                if self.difficulty is DifficultyFeedback.JUST_RIGHT
                else SATISFACTION_DIFFICULTY_OFF
            )
        return sum(parts) / len(parts) if parts else None


def parse_difficulty(value: str) -> DifficultyFeedback:
    """``too_easy`` / ``just_right`` / ``too_hard``; InvalidParameter("difficulty") otherwise."""
    try:
        return DifficultyFeedback(value)
    except ValueError:
        known = ", ".join(d.value for d in DifficultyFeedback)
        raise InvalidParameter("difficulty", f"unknown value {value!r}; expected {known}") from None


@dataclass(frozen=True)
class Baseline:
    """The learner's own recent level: mean retention (0–1) and performance (0–100)."""

    retention: float | None
    performance: float | None
    outcomes: int

    def __post_init__(self) -> None:
        if self.retention is not None:
            check_probability("baseline.retention", self.retention)
        if self.performance is not None:
            check_range("baseline.performance", self.performance, 0.0, PERFORMANCE_MAX)
        if self.outcomes < 0:
            raise InvalidParameter("baseline.outcomes", "must be ≥ 0")

    @property
    def usable(self) -> bool:
        """At least 3 outcomes behind it."""
        return self.outcomes >= MIN_BASELINE_OUTCOMES


@dataclass(frozen=True)
class Outcome:
    """What one personalized session or mission produced (None: not measured)."""

    retention: float | None = None
    performance: float | None = None
    completion: float | None = None
    feedback: Feedback = field(default_factory=Feedback)
    signals: frozenset[ImplicitSignal] = frozenset()

    def __post_init__(self) -> None:
        if self.retention is not None:
            check_probability("retention", self.retention)
        if self.performance is not None:
            check_range("performance", self.performance, 0.0, PERFORMANCE_MAX)
        if self.completion is not None:
            check_probability("completion", self.completion)


@dataclass(frozen=True)
class RewardComponent:
    """One component: the raw value, its [0, 1] score, and its weight after renormalising."""

    name: str
    raw: float | None
    score: float
    weight: float
    note: str


@dataclass(frozen=True)
class Reward:
    """The reward and how it was made."""

    reward: float
    components: tuple[RewardComponent, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """``{reward, components: [{name, raw, score, weight, note}], notes}``."""
        return {
            "reward": rounded(self.reward, 6),
            "components": [
                {
                    "name": c.name,
                    "raw": None if c.raw is None else rounded(c.raw),
                    "score": rounded(c.score, 6),
                    "weight": rounded(c.weight, 6),
                    "note": c.note,
                }
                for c in self.components
            ],
            "notes": list(self.notes),
        }


def retention_gain_score(retention: float, baseline: float) -> float:
    """``clip(0.5 + (retention − baseline)/0.4)``."""
    return clip01(NEUTRAL_GAIN + (retention - baseline) / (2 * RETENTION_GAIN_AT_MAX))


def performance_gain_score(performance: float, baseline: float) -> float:
    """``clip(0.5 + (performance − baseline)/40)``."""
    return clip01(NEUTRAL_GAIN + (performance - baseline) / (2 * PERFORMANCE_GAIN_AT_MAX_POINTS))


def satisfaction_score(
    feedback: Feedback, signals: frozenset[ImplicitSignal]
) -> tuple[float | None, str]:
    """Explicit feedback first, else the lowest implicit signal, else None."""
    explicit = feedback.satisfaction()
    if explicit is not None:
        parts = []
        if feedback.helpful is not None:
            parts.append("helpful" if feedback.helpful else "not helpful")
        if feedback.difficulty is not None:
            parts.append(feedback.difficulty.value)
        return explicit, "explicit feedback: " + ", ".join(parts)
    if signals:
        worst = min(signals, key=lambda s: (IMPLICIT_SATISFACTION[s], s.value))
        return IMPLICIT_SATISFACTION[worst], f"implicit: {worst.value}"
    return None, "no feedback and no implicit signal"


def compute_reward(outcome: Outcome, baseline: Baseline | None) -> Reward | InsufficientData:
    """ENGINE's reward of one outcome against the learner's own recent baseline."""
    notes: list[str] = []
    skipped = ImplicitSignal.MISSION_SKIPPED in outcome.signals
    retention = None if skipped else outcome.retention
    performance = None if skipped else outcome.performance
    completion = 0.0 if skipped else outcome.completion
    if skipped:
        notes.append("mission skipped: completion 0, nothing else measured")
    has_baseline = baseline is not None and baseline.usable
    if not has_baseline:
        have = 0 if baseline is None else baseline.outcomes
        notes.append(
            f"baseline of {have} outcomes < {MIN_BASELINE_OUTCOMES}: gains count as neutral 0.5"
        )
    parts: list[tuple[str, float | None, float, float, str]] = []
    if retention is not None:
        if has_baseline and baseline is not None and baseline.retention is not None:
            score = retention_gain_score(retention, baseline.retention)
            note = f"{retention:.3f} vs baseline {baseline.retention:.3f}"
        else:
            score, note = NEUTRAL_GAIN, "no baseline: neutral"
        parts.append(("retentionGain", retention, score, RETENTION_WEIGHT, note))
    if performance is not None:
        if has_baseline and baseline is not None and baseline.performance is not None:
            score = performance_gain_score(performance, baseline.performance)
            note = f"{performance:.1f} vs baseline {baseline.performance:.1f}"
        else:
            score, note = NEUTRAL_GAIN, "no baseline: neutral"
        parts.append(("performanceGain", performance, score, PERFORMANCE_WEIGHT, note))
    if completion is not None:
        parts.append(("completion", completion, completion, COMPLETION_WEIGHT, "as measured"))
    satisfaction, how = satisfaction_score(outcome.feedback, outcome.signals)
    if satisfaction is not None:
        parts.append(("satisfaction", satisfaction, satisfaction, SATISFACTION_WEIGHT, how))
    if not parts:
        return InsufficientData("rewardComponents", 0, 1)
    total_weight = sum(w for _, _, _, w, _ in parts)
    if total_weight < 1.0 - 1e-12:
        missing = {"retentionGain", "performanceGain", "completion", "satisfaction"} - {
            p[0] for p in parts
        }
        notes.append(
            "not measured: " + ", ".join(sorted(missing)) + "; weights renormalised over the rest"
        )
    components = tuple(
        RewardComponent(name, raw, score, w / total_weight, note)
        for name, raw, score, w, note in parts
    )
    reward = clip01(sum(c.score * c.weight for c in components))
    return Reward(reward, components, tuple(notes))
