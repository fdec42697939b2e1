"""The learner's twin (ENGINE.md 5.1): analysis, patterns, insights, profile, study-time heatmap."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasPath, BaseModel, ConfigDict, Field

from twin.api.schemas.base import Answer, Rounded, round_to
from twin.api.schemas.recall import MemoryModelOut
from twin.api.types import JsonBool, Timestamp
from twin.enums import BehavioralPatternType, InsightType

MAX_PATTERN_LIMIT = 100
MAX_HEATMAP_WEEKS = 52
Points = Annotated[float, round_to(2)]
"""A score or difference in points (0-100 scale), two decimals."""


def _profile(column: str) -> AliasPath:
    """A column of the learner's stored profile (absent before the first full analysis)."""
    return AliasPath("profile", column)


# --- requests ---------------------------------------------------------------------------------


class AnalyzeIn(BaseModel):
    """Options of an analysis on request."""

    model_config = ConfigDict(extra="forbid")

    force: JsonBool = Field(
        default=False,
        description="Run even if the learner was analysed less than a day ago (service keys only; "
        "ignored for learner tokens)",
    )


class AcknowledgeIn(BaseModel):
    """Acknowledging an insight; say whether you applied it."""

    model_config = ConfigDict(extra="forbid")

    applied: JsonBool | None = Field(default=None, description="Whether the learner acted on it")


# --- answers ----------------------------------------------------------------------------------


class Minimum(Answer):
    """Progress towards one minimum (days, sessions or reviews, as its name says)."""

    have: float
    need: float


class SufficiencyOut(Answer):
    """How far the learner is towards a full analysis (6 weeks, 20 sessions, 50 reviews)."""

    sufficient: bool
    progress: Rounded = Field(description="Mean over the minimums of min(1, have/need), 0-1")
    minimums: dict[str, Minimum]
    missing: dict[str, Minimum]
    sessions_since_last_analysis: int
    reanalysis_due: bool


class PatternCounts(Answer):
    """What the pattern lifecycle did."""

    created: int
    updated: int
    deleted: int
    not_saved: int = Field(description="Detected below the 0.6 confidence needed to save")


class AnalysisMemoryOut(MemoryModelOut):
    """The recall model after an analysis (refitted when the reviews grew enough)."""

    refitted: bool
    reviews_total: int


class AnalyzeOut(Answer):
    """Result of one analysis; ``insufficient_data`` stores nothing and says what is missing."""

    user_id: str
    status: Literal["analyzed", "insufficient_data"]
    trigger: str
    analyzed_at: Timestamp | None
    reason: str | None
    force_ignored: bool = Field(description="force was sent with a learner token and ignored")
    sufficiency: SufficiencyOut | None
    patterns: PatternCounts
    insights_created: list[str] = Field(
        description="Ids of the new insights", validation_alias="insight_ids"
    )
    data_quality_score: Rounded | None = Field(
        description="Mean of the analysers' confidences, 0-1"
    )
    analyser_confidences: dict[str, Rounded] = Field(description="Each analyser's confidence, 0-1")
    insufficient: dict[str, dict[str, Minimum]] = Field(
        description="Per analyser, the minimums it has not met"
    )
    notes: list[str]
    memory_model: AnalysisMemoryOut | None = Field(validation_alias="memory")
    duration_ms: Annotated[float, round_to(1)] = Field(description="Time taken, ms")


class PatternOut(Answer):
    """A stored behavioural pattern with its evidence."""

    id: str
    pattern_type: BehavioralPatternType
    key: str | None = Field(description="Identity of the pattern across analyses")
    name: str | None
    confidence: Rounded = Field(description="0-1; patterns are kept from 0.6")
    evidence: list[str]
    occurrence_count: int = Field(description="Analyses that detected it")
    consecutive_misses: int = Field(description="Analyses since it was last detected")
    first_detected_at: Timestamp
    last_seen_at: Timestamp
    data: dict[str, Any]


class PatternList(Answer):
    """Patterns, most confident first, then most recently seen."""

    user_id: str
    patterns: list[PatternOut]


class InsightOut(Answer):
    """An actionable insight with the patterns behind it."""

    id: str
    insight_type: InsightType
    title: str
    description: str
    actionable_recommendation: str
    confidence: Rounded = Field(description="0-1")
    created_at: Timestamp
    acknowledged_at: Timestamp | None
    applied: bool
    patterns: list[PatternOut]


class InsightList(Answer):
    """Unacknowledged insights."""

    user_id: str
    insights: list[InsightOut]


class ProfileOut(Answer):
    """The learner's twin summary, or the progress towards a first full analysis."""

    user_id: str
    status: Literal["analyzed", "not_analyzed", "insufficient_data"] = Field(
        description="not_analyzed: enough data, but no analysis ran yet (POST patterns:analyze)"
    )
    last_analyzed_at: Timestamp | None = Field(
        default=None, validation_alias=_profile("lastAnalyzedAt")
    )
    data_quality_score: Rounded | None = Field(
        default=None,
        description="Mean of the analysers' confidences, 0-1",
        validation_alias=_profile("dataQualityScore"),
    )
    preferred_study_times: list[dict[str, Any]] = Field(
        default_factory=list, validation_alias=_profile("preferredStudyTimes")
    )
    average_session_duration: int | None = Field(
        default=None, description="Minutes", validation_alias=_profile("averageSessionDuration")
    )
    optimal_session_duration: int | None = Field(
        default=None, description="Minutes", validation_alias=_profile("optimalSessionDuration")
    )
    content_preferences: dict[str, Rounded] = Field(
        default_factory=dict,
        description="Share of the learner's preference per content type (sums to 1); empty when "
        "learning-style profiling is off or fewer than 2 content types were used (nothing to compare)",
        validation_alias=_profile("contentPreferences"),
    )
    learning_style_profile: dict[str, Rounded] = Field(
        default_factory=dict,
        description="VARK-style shares (weak science; what worked for you); empty when off or "
        "fewer than 2 content types were used",
        validation_alias=_profile("learningStyleProfile"),
    )
    personalized_forgetting_curve: dict[str, Any] = Field(
        default_factory=dict, validation_alias=_profile("personalizedForgettingCurve")
    )
    learning_style_profiling_enabled: bool
    sufficiency: SufficiencyOut


class HeatmapWindow(Answer):
    """An optimal start hour that passed the simultaneous 95% test."""

    hour: int
    label: str
    window: str
    mean_score: Points = Field(description="Mean session score of the hour, 0-100")
    window_mean: Points = Field(description="Mean score of the hour's window, 0-100")
    rest_mean: Points = Field(description="Mean score of all other sessions, 0-100")
    lift_percent: Points = Field(description="How much better the window is than the rest, %")
    sessions: int
    window_sessions: int
    confidence: Rounded = Field(description="0-1")


class HeatmapOut(Answer):
    """Weekday × local hour (7 × 24): mean performance and session counts, with optimal windows."""

    user_id: str
    timezone: str
    weeks: int
    since: Timestamp
    until: Timestamp
    sessions: int
    weekdays: list[str]
    hours: list[int]
    mean_performance: list[list[float | None]] = Field(description="[weekday][hour], 0-100")
    session_counts: list[list[int]] = Field(description="[weekday][hour]")
    optimal_windows: list[HeatmapWindow]
    hours_tested: int = Field(description="Hours with at least 5 sessions (the candidates)")


class DeleteOut(Answer):
    """Rows deleted per table."""

    user_id: str
    deleted: dict[str, int]
