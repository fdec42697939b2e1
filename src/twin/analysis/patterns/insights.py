"""Behavioral insights from the learner's current patterns (ENGINE.md 5.1).

Only patterns with confidence ≥ 0.7 (their lifecycle confidence) give insights; at most
5 new ones per analysis, ranked by confidence × type weight (study time 1.2, forgetting
1.1, session length 1.0, content 0.9). Each insight has a stable ``key`` —
``"<InsightType>:<PatternType>:<pattern key>"`` of the pattern it is mainly about — and
is skipped when an unacknowledged insight with that key exists (the service passes
those keys; store the key with the insight, e.g. derived from its linked pattern).
Optimal study hours whose hour lies inside the top hour's window are merged into that
one insight and all linked. Texts quote the learner's own numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from twin.analysis.patterns.common import DetectedPattern
from twin.analysis.patterns.content import CONTENT_LABELS, LEARNING_STYLE_CAVEAT
from twin.analysis.patterns.forgetting import BASELINE_DECAY_PER_DAY
from twin.analysis.patterns.memory_curve import REVIEW_TARGET_RECALL, half_life_days
from twin.analysis.patterns.study_time import HOURS_PER_DAY
from twin.enums import BehavioralPatternType, InsightType

INSIGHT_MIN_PATTERN_CONFIDENCE = 0.7
MAX_NEW_INSIGHTS_PER_ANALYSIS = 5
INSIGHT_TYPE_WEIGHTS: dict[InsightType, float] = {
    InsightType.STUDY_TIME_OPTIMIZATION: 1.2,
    InsightType.RETENTION_STRATEGY: 1.1,
    InsightType.SESSION_LENGTH_ADJUSTMENT: 1.0,
    InsightType.CONTENT_PREFERENCE: 0.9,
}
INSIGHT_TYPE_BY_PATTERN: dict[BehavioralPatternType, InsightType] = {
    BehavioralPatternType.OPTIMAL_STUDY_TIME: InsightType.STUDY_TIME_OPTIMIZATION,
    BehavioralPatternType.PERFORMANCE_PEAK: InsightType.STUDY_TIME_OPTIMIZATION,
    BehavioralPatternType.FORGETTING_CURVE: InsightType.RETENTION_STRATEGY,
    BehavioralPatternType.SESSION_DURATION_PREFERENCE: InsightType.SESSION_LENGTH_ADJUSTMENT,
    BehavioralPatternType.ATTENTION_CYCLE: InsightType.SESSION_LENGTH_ADJUSTMENT,
    BehavioralPatternType.CONTENT_TYPE_PREFERENCE: InsightType.CONTENT_PREFERENCE,
}


@dataclass(frozen=True)
class Insight:
    """One new insight for ``behavioral_insights``, linked to its patterns (type, key)."""

    insight_type: InsightType
    key: str
    title: str
    description: str
    actionable_recommendation: str
    confidence: float
    patterns: tuple[tuple[str, str], ...]
    rank_score: float


def insight_key(insight_type: InsightType, pattern: DetectedPattern) -> str:
    """Stable identity of the insight about ``pattern``."""
    return f"{insight_type}:{pattern.pattern_type}:{pattern.key}"


def _num(data: dict[str, object], name: str, default: float = 0.0) -> float:
    value = data.get(name, default)
    return float(value) if isinstance(value, int | float) else default


def _str(data: dict[str, object], name: str, default: str = "") -> str:
    value = data.get(name, default)
    return value if isinstance(value, str) else default


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _study_time(p: DetectedPattern) -> tuple[str, str, str]:
    d = p.data
    window = _str(d, "window")
    start, _, end = window.partition("–")
    return (
        f"You study best around {_str(d, 'label')}",
        f"You score {_num(d, 'liftPercent'):.0f}% higher in sessions starting {window} than at other "
        f"times (mean {_num(d, 'windowMean'):.0f} vs {_num(d, 'restMean'):.0f}; "
        f"n = {_num(d, 'windowSessions'):.0f} vs {_num(d, 'restSessions'):.0f} sessions).",
        f"Plan your most demanding study between {start} and {end}.",
    )


def _peak(p: DetectedPattern) -> tuple[str, str, str]:
    d = p.data
    label = _str(d, "label")
    return (
        f"Your peak hours: {label}",
        f"Your sessions in {label} average {_num(d, 'meanScore'):.0f}/100 vs "
        f"{_num(d, 'restMean'):.0f} at other times (n = {_num(d, 'sessions'):.0f} and "
        f"{_num(d, 'restSessions'):.0f} sessions); {_num(d, 'consistency'):.0%} of them scored "
        f"above your average of {_num(d, 'overallMean'):.0f}.",
        f"Keep {label} for new or difficult material.",
    )


def _duration(p: DetectedPattern) -> tuple[str, str, str]:
    d = p.data
    by_complexity = d.get("optimalByComplexity")
    extra = ""
    if isinstance(by_complexity, dict) and "BASIC" in by_complexity and "ADVANCED" in by_complexity:
        extra = f" ({by_complexity['BASIC']} min for basic material, {by_complexity['ADVANCED']} for advanced)"
    return (
        f"Sessions of {_str(d, 'bestLabel')} work best for you",
        f"Your sessions of {_str(d, 'bestLabel')} score {_num(d, 'bestScore'):.0f} vs "
        f"{_num(d, 'runnerUpScore'):.0f} for {_str(d, 'runnerUpLabel')}, the next best "
        f"(n = {_num(d, 'bestSessions'):.0f} and {_num(d, 'runnerUpSessions'):.0f} sessions).",
        f"Aim for sessions of about {_num(d, 'optimalDurationMinutes'):.0f} minutes{extra}.",
    )


def _attention(p: DetectedPattern) -> tuple[str, str, str]:
    d = p.data
    median = _num(d, "medianTimeToFatigueMinutes")
    return (
        f"Your accuracy drops after about {median:.0f} minutes",
        f"In {_num(d, 'sessionsFatigued'):.0f} of {_num(d, 'sessionsAnalyzed'):.0f} sessions of an hour "
        f"or more your accuracy fell below 80% of its starting level, after a median {median:.0f} minutes.",
        f"Take a short break every {_num(d, 'suggestedBreakIntervalMinutes'):.0f} minutes.",
    )


def _forgetting(p: DetectedPattern) -> tuple[str, str, str]:
    d = p.data
    interval = int(_num(d, "reviewIntervalDays", 1.0))
    at_interval = _num(d, "recallAtReviewInterval")
    ci = d.get("halfLifeCi95")
    ci_text = (
        f"95% interval {float(ci[0]):.1f}–{float(ci[1]):.1f}; "
        if isinstance(ci, list) and len(ci) == 2
        else ""
    )
    description = (
        f"Half of what you learn fades in about {_num(d, 'halfLife'):.1f} days "
        f"({ci_text}typical: {half_life_days(BASELINE_DECAY_PER_DAY):.1f}), measured on "
        f"{_num(d, 'firstRepeats'):.0f} cards you got right the first time and saw again "
        f"{_num(d, 'meanElapsedDays'):.1f} days later on average "
        f"({_num(d, 'recallRate'):.0%} recalled)."
    )
    if at_interval < REVIEW_TARGET_RECALL and interval == 1:
        action = f"Review new material the next day: after one day you keep about {at_interval:.0%} of it."
    else:
        action = (
            f"Review new material after {_days(interval)}, while recall is still near 80% "
            f"(about {at_interval:.0%} on your curve), then let the gaps grow."
        )
    return (p.name, description, action)


def _content(p: DetectedPattern) -> tuple[str, str, str]:
    d = p.data
    top = CONTENT_LABELS.get(_str(d, "dominantType"), _str(d, "dominantType"))
    second = CONTENT_LABELS.get(_str(d, "runnerUpType"), _str(d, "runnerUpType"))
    return (
        f"What works for you: {top}",
        f"Your outcomes are best with {top}: score {_num(d, 'dominantScore'):.2f} vs "
        f"{_num(d, 'runnerUpScore'):.2f} with {second} (performance, retention, completion, "
        f"engagement and time share, each on 0–1; n = {_num(d, 'dominantItems'):.0f} and "
        f"{_num(d, 'runnerUpItems'):.0f} items). {LEARNING_STYLE_CAVEAT}",
        f"Use {top} for topics you find hard, and keep mixing formats.",
    )


TEXT_BY_PATTERN: dict[BehavioralPatternType, Callable[[DetectedPattern], tuple[str, str, str]]] = {
    BehavioralPatternType.OPTIMAL_STUDY_TIME: _study_time,
    BehavioralPatternType.PERFORMANCE_PEAK: _peak,
    BehavioralPatternType.SESSION_DURATION_PREFERENCE: _duration,
    BehavioralPatternType.ATTENTION_CYCLE: _attention,
    BehavioralPatternType.FORGETTING_CURVE: _forgetting,
    BehavioralPatternType.CONTENT_TYPE_PREFERENCE: _content,
}


def _in_window(p: DetectedPattern, primary: DetectedPattern) -> bool:
    hour, start, end = (
        p.data.get("hour"),
        primary.data.get("windowStartHour"),
        primary.data.get("windowEndHour"),
    )
    if not (isinstance(hour, int) and isinstance(start, int) and isinstance(end, int)):
        return False
    return (hour - start) % HOURS_PER_DAY < (end - start) % HOURS_PER_DAY


def generate_insights(
    patterns: Sequence[DetectedPattern],
    *,
    open_insight_keys: Collection[str] = (),
    max_new: int = MAX_NEW_INSIGHTS_PER_ANALYSIS,
) -> list[Insight]:
    """New insights (best first, at most ``max_new``) from the patterns with confidence ≥ 0.7."""
    eligible = sorted(
        (p for p in patterns if p.confidence >= INSIGHT_MIN_PATTERN_CONFIDENCE),
        key=lambda p: (-p.confidence, -_num(p.data, "liftPercent"), str(p.pattern_type), p.key),
    )
    groups: list[tuple[DetectedPattern, list[DetectedPattern]]] = []
    consumed: set[tuple[str, str]] = set()
    for p in eligible:
        ident = (str(p.pattern_type), p.key)
        if ident in consumed:
            continue
        consumed.add(ident)
        linked = [p]
        if p.pattern_type == BehavioralPatternType.OPTIMAL_STUDY_TIME:
            for q in eligible:
                qid = (str(q.pattern_type), q.key)
                if (
                    q.pattern_type == BehavioralPatternType.OPTIMAL_STUDY_TIME
                    and qid not in consumed
                    and _in_window(q, p)
                ):
                    consumed.add(qid)
                    linked.append(q)
        groups.append((p, linked))

    candidates: list[Insight] = []
    for primary, linked in groups:
        itype = INSIGHT_TYPE_BY_PATTERN[BehavioralPatternType(primary.pattern_type)]
        key = insight_key(itype, primary)
        if key in open_insight_keys:
            continue
        title, description, action = TEXT_BY_PATTERN[BehavioralPatternType(primary.pattern_type)](
            primary
        )
        candidates.append(
            Insight(
                insight_type=itype,
                key=key,
                title=title,
                description=description,
                actionable_recommendation=action,
                confidence=primary.confidence,
                patterns=tuple((str(q.pattern_type), q.key) for q in linked),
                rank_score=primary.confidence * INSIGHT_TYPE_WEIGHTS[itype],
            )
        )
    candidates.sort(key=lambda i: (-i.rank_score, i.key))
    return candidates[:max_new]
