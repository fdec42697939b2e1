"""What a burnout assessment advises: recommendations and the mission planner's limits.

The assessment (:mod:`twin.analysis.cognitive.burnout`) decides the level and the warning
signs; this module turns them into words and limits. Advice never contradicts a warning
sign: "keep going" is only said when no sign is HIGH or CRITICAL; below HIGH risk the
advice then says the overall risk is low or moderate *but* names the serious signs first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twin.analysis.cognitive.burnout_signals import (
    SERIOUS_SIGNAL_SEVERITIES,
    WarningSignal,
    WarningSignalType,
    signal_label,
)
from twin.enums import BurnoutRiskLevel

# --- interventions ---------------------------------------------------------
MEDIUM_LOAD_REDUCTION_FRACTION = 0.25
MEDIUM_BREAK_EVERY_MINUTES = 25
HIGH_MAX_SESSION_MINUTES = 30
HIGH_REST_DAYS = 1
HIGH_REST_WITHIN_HOURS = 48
CRITICAL_MAX_SESSION_MINUTES = 20
CRITICAL_REST_DAYS = 2
CRITICAL_EXTENDED_REST_DAYS = 3
CRITICAL_EXTENDED_REST_RISK = 90.0
CRITICAL_REST_WITHIN_HOURS = 0


@dataclass(frozen=True)
class MissionOverride:
    """Limits the mission planner must apply while the risk is HIGH or CRITICAL."""

    max_minutes: int
    new_content: bool
    review_only: bool
    rest_days: int
    rest_within_hours: int


SIGNAL_ADVICE: dict[WarningSignalType, str] = {
    WarningSignalType.CHRONIC_OVERLOAD: "Alternate demanding days with light review days.",
    WarningSignalType.PERFORMANCE_DROP: "Go back to material you know before adding new topics.",
    WarningSignalType.ENGAGEMENT_LOSS: "Shorten sessions and vary the content type.",
    WarningSignalType.IRREGULAR_PATTERN: "Plan fewer sessions you can actually keep.",
    WarningSignalType.NO_RECOVERY: "Keep at least two light or rest days a week.",
    WarningSignalType.LATE_NIGHT_STUDY: "Finish studying before 23:00; sleep consolidates memory.",
}


def recommendations_for(
    level: BurnoutRiskLevel,
    signals: Sequence[WarningSignal] = (),
    mean_daily_minutes: float = 0.0,
) -> tuple[str, ...]:
    """Recommendations for a risk level, then one per warning signal (serious signs first).

    Never "keep going" next to a HIGH or CRITICAL warning sign: below HIGH risk the
    advice then says the overall risk is low or moderate *but* names the serious signs.
    """
    serious = [s for s in signals if s.severity in SERIOUS_SIGNAL_SEVERITIES]
    ordered = serious + [s for s in signals if s not in serious]
    if serious and level in (BurnoutRiskLevel.LOW, BurnoutRiskLevel.MEDIUM):
        names = ", ".join(signal_label(s) for s in serious)
        head = [
            f"Your overall burnout risk is {level.value}, but "
            f"{'a warning sign is' if len(serious) == 1 else 'warning signs are'} serious: "
            f"{names}. Act on {'it' if len(serious) == 1 else 'them'} now."
        ]
    else:
        head = []
    if level is BurnoutRiskLevel.LOW:
        advice = head or ["Keep going: your current rhythm looks sustainable."]
    elif level is BurnoutRiskLevel.MEDIUM:
        lighter = mean_daily_minutes * (1 - MEDIUM_LOAD_REDUCTION_FRACTION)
        target = f" (about {lighter:.0f} min on study days)" if lighter > 0 else ""
        advice = [
            *head,
            f"Lighten your schedule by about {MEDIUM_LOAD_REDUCTION_FRACTION:.0%}{target}.",
            f"Take a short break every {MEDIUM_BREAK_EVERY_MINUTES} minutes.",
        ]
    elif level is BurnoutRiskLevel.HIGH:
        advice = [
            f"Take a rest day within the next {HIGH_REST_WITHIN_HOURS} hours.",
            f"Review only: no new content, sessions of at most {HIGH_MAX_SESSION_MINUTES} minutes.",
        ]
    else:
        advice = [
            "Take 2–3 days off studying, starting now.",
            "No new content until your risk is back to MEDIUM; short review sessions only.",
        ]
    advice.extend(SIGNAL_ADVICE[s.type] for s in ordered)
    return tuple(advice)


def mission_override_for(level: BurnoutRiskLevel, risk_score: float) -> MissionOverride | None:
    """Mission limits for HIGH and CRITICAL risk; None below."""
    if level is BurnoutRiskLevel.HIGH:
        return MissionOverride(
            max_minutes=HIGH_MAX_SESSION_MINUTES,
            new_content=False,
            review_only=True,
            rest_days=HIGH_REST_DAYS,
            rest_within_hours=HIGH_REST_WITHIN_HOURS,
        )
    if level is BurnoutRiskLevel.CRITICAL:
        rest = (
            CRITICAL_EXTENDED_REST_DAYS
            if risk_score >= CRITICAL_EXTENDED_REST_RISK
            else CRITICAL_REST_DAYS
        )
        return MissionOverride(
            max_minutes=CRITICAL_MAX_SESSION_MINUTES,
            new_content=False,
            review_only=True,
            rest_days=rest,
            rest_within_hours=CRITICAL_REST_WITHIN_HOURS,
        )
    return None
