"""The whole pattern analysis of one learner: patterns, the profile ("twin") and what is missing.

Every analyser runs on whatever data there is and reports its confidence; patterns (the
rows that are persisted and turn into insights) are returned only when the minimum for a
full analysis is met (6 weeks, 20 sessions, 50 reviews), otherwise ``insufficient``
says which minimum and how far along the learner is. An analyser's confidence is that
of its main finding, or — when it found nothing notable — the data factor of its
sample (how well the data supports "nothing stands out"). ``dataQualityScore`` is the
mean of the analysers' confidences (content included only with style profiling on).
The service then calls ``plan_lifecycle`` with the stored patterns (and ``new_data``:
whether anything arrived since the last analysis) and ``generate_insights`` with the
plan's current patterns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from twin.analysis.common import rounded
from twin.analysis.patterns.attention import (
    MIN_FATIGUED_SESSIONS,
    AttentionResult,
    analyze_attention,
)
from twin.analysis.patterns.common import DetectedPattern
from twin.analysis.patterns.content import (
    MIN_CONTENT_TYPES_COMPARED,
    ContentResult,
    analyze_content,
    content_from_sessions,
)
from twin.analysis.patterns.inputs import LearnerData
from twin.analysis.patterns.memory_curve import LearnerForgetting, analyze_learner_forgetting
from twin.analysis.patterns.peaks import PeaksResult, analyze_peaks
from twin.analysis.patterns.session_duration import DurationResult, analyze_session_duration
from twin.analysis.patterns.study_time import (
    MIN_SESSIONS_PER_HOUR,
    StudyTimeResult,
    analyze_study_time,
)
from twin.analysis.patterns.sufficiency import Sufficiency, assess_sufficiency

MIN_DURATION_BUCKETS_COMPARED = 2


@dataclass(frozen=True)
class LearningProfile:
    """The fields of ``user_learning_profiles`` this analysis sets."""

    preferred_study_times: tuple[dict[str, object], ...]
    average_session_duration: int
    optimal_session_duration: int
    content_preferences: dict[str, float] | None
    learning_style_profile: dict[str, float] | None
    personalized_forgetting_curve: dict[str, object]
    data_quality_score: float

    def columns(self) -> dict[str, object]:
        """The ``user_learning_profiles`` columns it sets (content fields ``{}`` when off)."""
        return {
            "preferredStudyTimes": [dict(t) for t in self.preferred_study_times],
            "averageSessionDuration": self.average_session_duration,
            "optimalSessionDuration": self.optimal_session_duration,
            "contentPreferences": dict(self.content_preferences or {}),
            "learningStyleProfile": dict(self.learning_style_profile or {}),
            "personalizedForgettingCurve": dict(self.personalized_forgetting_curve),
            "dataQualityScore": self.data_quality_score,
        }


@dataclass(frozen=True)
class TwinAnalysis:
    """Everything one analysis produced, with each analyser's full result for "why?"."""

    now: datetime
    sufficiency: Sufficiency
    patterns: tuple[DetectedPattern, ...]
    profile: LearningProfile
    analyser_confidences: dict[str, float]
    insufficient: dict[str, dict[str, dict[str, float]]]
    study_time: StudyTimeResult
    peaks: PeaksResult
    attention: AttentionResult
    duration: DurationResult
    forgetting: LearnerForgetting
    content: ContentResult | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Data since the last analysis: only then is a stored pattern "seen again" (lifecycle).
    new_data: bool = True


def _insufficient(
    suff: Sufficiency,
    study: StudyTimeResult,
    attention: AttentionResult,
    duration: DurationResult,
    forgetting: LearnerForgetting,
    content: ContentResult | None,
) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    if not suff.sufficient:
        out["fullAnalysis"] = suff.missing
    if study.hours_tested == 0:
        out["optimalStudyTime"] = {
            f"hoursWith{MIN_SESSIONS_PER_HOUR}Sessions": {"have": 0, "need": 1},
        }
    if not attention.detected:
        out["attentionCycle"] = {
            "longSessionsShowingFatigue": {
                "have": attention.sessions_fatigued,
                "need": MIN_FATIGUED_SESSIONS,
            }
        }
    if not duration.detected:
        out["sessionDuration"] = {
            "durationBucketsWith3Sessions": {
                "have": sum(b.eligible for b in duration.buckets),
                "need": MIN_DURATION_BUCKETS_COMPARED,
            }
        }
    if forgetting.insufficient:
        out["forgettingCurve"] = dict(forgetting.insufficient)
    if content is not None and not content.detected:
        out["contentPreference"] = dict(content.insufficient) or {
            "contentTypesUsed": {"have": content.types_used, "need": MIN_CONTENT_TYPES_COMPARED}
        }
    return out


def analyze_learner(data: LearnerData, *, style_profiling: bool = True) -> TwinAnalysis:
    """Run every pattern analysis on one learner's data and assemble patterns and profile."""
    sessions = data.sessions_sorted()
    suff = assess_sufficiency(data)
    study = analyze_study_time(sessions)
    peaks = analyze_peaks(sessions, study)
    attention = analyze_attention(sessions)
    duration = analyze_session_duration(sessions)
    forgetting = analyze_learner_forgetting(data.reviews)
    content = None
    if style_profiling:
        content = analyze_content(data.content or content_from_sessions(sessions))

    confidences = {
        "optimalStudyTime": study.confidence,
        "performancePeak": peaks.confidence,
        "attentionCycle": attention.confidence,
        "sessionDuration": duration.confidence,
        "forgettingCurve": forgetting.confidence,
    }
    if content is not None:
        confidences["contentPreference"] = content.confidence
    quality = sum(confidences.values()) / len(confidences)

    patterns: list[DetectedPattern] = []
    if suff.sufficient:
        patterns += study.patterns()
        patterns += peaks.patterns()
        patterns += attention.patterns()
        patterns += duration.patterns()
        patterns += forgetting.patterns()
        if content is not None:
            patterns += content.patterns()

    average = round(duration.average_minutes) if duration.average_minutes is not None else 0
    optimal = (
        duration.optimal_minutes if duration.detected and duration.optimal_minutes else average
    )
    profile = LearningProfile(
        preferred_study_times=tuple(
            {
                "hour": o.hour,
                "label": o.label,
                "window": o.window,
                "meanScore": rounded(o.mean_score, 2),
                "liftPercent": rounded(o.lift_percent, 2),
                "sessions": o.sessions,
                "windowSessions": o.window_sessions,
                "confidence": rounded(o.confidence),
            }
            for o in study.optimal
        ),
        average_session_duration=average,
        optimal_session_duration=optimal,
        content_preferences={k: rounded(v, 6) for k, v in content.preferences.items()}
        if content
        else None,
        learning_style_profile=(
            {k: rounded(v, 6) for k, v in content.learning_style.items()} if content else None
        ),
        personalized_forgetting_curve=forgetting.to_profile(),
        data_quality_score=rounded(quality),
    )
    notes: tuple[str, ...] = ()
    if not suff.sufficient:
        notes = ("Patterns are saved only after a full analysis is possible; see 'insufficient'.",)
    if content is not None and content.insufficient:
        used = [t.content_type for t in content.types if t.items > 0 and t.score is not None]
        notes += (
            "Content preferences and learning style: insufficient — "
            + (f"one content type ({used[0]})" if len(used) == 1 else "no content type")
            + f" used, {MIN_CONTENT_TYPES_COMPARED} needed for a comparison.",
        )
    return TwinAnalysis(
        now=data.now,
        sufficiency=suff,
        patterns=tuple(patterns),
        profile=profile,
        analyser_confidences=confidences,
        insufficient=_insufficient(suff, study, attention, duration, forgetting, content),
        study_time=study,
        peaks=peaks,
        attention=attention,
        duration=duration,
        forgetting=forgetting,
        content=content,
        notes=notes,
        new_data=data.has_new_data,
    )
