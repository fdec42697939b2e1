"""Request and response models of the insights routes (ENGINE.md 5.6).

Responses are built straight from the service's value objects (``Model.model_validate(v)``);
requests forbid unknown fields, bound every field and never coerce strings to numbers or
booleans.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator

from twin.analysis.insights.evaluation import Verdict
from twin.api.schemas.base import Answer, Insufficient
from twin.api.types import Id, JsonBool, JsonFloat, Timestamp, whole_number
from twin.enums import (
    ApplicationType,
    ArticleCategory,
    BehavioralGoalType,
    BehavioralPatternType,
    BurnoutRiskLevel,
    GoalStatus,
    NotificationPriority,
    NotificationType,
    RecommendationStatus,
    RecommendationType,
)
from twin.ingest.schemas import LongText, Name
from twin.ingest.schemas import Timestamp as TimestampIn

MAX_READ_SECONDS = 86_400
METRIC_PATTERN = r"^[A-Za-z]{1,40}(\([a-z]{1,20}=-?[0-9]{1,4}(,[a-z]{1,20}=-?[0-9]{1,4}){0,3}\))?$"
Rating = Annotated[int, Strict(), Field(ge=1, le=5), BeforeValidator(whole_number)]
ReadSeconds = Annotated[
    int, Strict(), Field(ge=0, le=MAX_READ_SECONDS), BeforeValidator(whole_number)
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- recommendations ---------------------------------------------------------------------


class SourceOut(Answer):
    """An engine output a recommendation rests on."""

    kind: str
    id: str

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        return str(value)


class OutcomeOut(Answer):
    """The application and, after its 14-day test period, the measured outcome."""

    application_type: ApplicationType
    applied_at: Timestamp
    baseline: dict[str, Any]
    evaluated_at: Timestamp | None
    verdict: Verdict | None
    change: float | None
    ci95: tuple[float, float] | None
    effectiveness: float | None
    insufficient: Insufficient | None


class RecommendationOut(Answer):
    """A recommendation with its priority parts, sources, evidence and outcome."""

    id: str
    key: str | None
    recommendation_type: RecommendationType
    title: str
    description: str
    actionable_text: str
    confidence: float
    estimated_impact: float
    ease_of_implementation: float
    user_readiness: float
    priority_score: float
    status: RecommendationStatus
    created_at: Timestamp
    applied_at: Timestamp | None
    dismissed_at: Timestamp | None
    sources: list[SourceOut]
    evidence: list[str]
    outcome: OutcomeOut | None


class RecommendationListOut(Answer):
    """Recommendations (open ones: top first, at most 2 per type)."""

    recommendations: list[RecommendationOut]


class RecommendationApplyIn(_Request):
    """How the learner applies the recommendation."""

    applicationType: ApplicationType = Field(
        description="AUTO (the engine adapts), MANUAL (the learner changes it), REMINDER or GOAL"
    )


# --- goals -----------------------------------------------------------------------------------


class ProgressEntryOut(Answer):
    """One day of a goal's progress history."""

    at: Timestamp
    value: float | None
    progress: float
    best: float
    note: str


class GoalOut(Answer):
    """A goal, its target and where it stands."""

    id: str
    goal_type: BehavioralGoalType
    title: str
    description: str
    target_metric: str
    target_value: float
    current_value: float
    progress: float
    status: GoalStatus
    deadline: Timestamp
    created_at: Timestamp
    completed_at: Timestamp | None
    expired: bool
    expiry_question: str | None
    expiry_options: list[str]


class GoalDetailOut(GoalOut):
    """A goal with its progress history."""

    history: list[ProgressEntryOut]


class GoalListOut(Answer):
    """The learner's goals."""

    goals: list[GoalOut]


class GoalSuggestionOut(Answer):
    """A goal suggested from one pattern."""

    goal_type: BehavioralGoalType
    metric: str
    target_value: float
    deadline: Timestamp
    title: str
    description: str
    current_value: float | None
    source_pattern_id: str
    confidence: float

    @field_validator("metric", mode="before")
    @classmethod
    def _metric(cls, value: Any) -> str:
        return str(value)


class GoalSuggestionsOut(Answer):
    """At most 3 suggestions."""

    suggestions: list[GoalSuggestionOut]


class GoalIn(_Request):
    """A new goal: a template (or CUSTOM with a metric), target and deadline (template defaults)."""

    goalType: BehavioralGoalType = Field(description="A template, or CUSTOM with a targetMetric")
    targetMetric: str | None = Field(
        default=None,
        pattern=METRIC_PATTERN,
        description="e.g. sessionsPerWeek or sessionsInWindowPerWeek(start=7,end=10) "
        "(templates: the twin's own, when omitted)",
    )
    targetValue: JsonFloat | None = Field(
        default=None, allow_inf_nan=False, description="> 0 (template default when omitted)"
    )
    deadline: TimestampIn | None = Field(
        default=None, description="In the future, at most 90 days ahead (template default)"
    )
    title: Name | None = None
    description: LongText | None = None


class GoalPatchIn(_Request):
    """Edit the title, abandon the goal, or answer an expired goal's question."""

    title: Name | None = None
    status: Literal["ABANDONED"] | None = Field(default=None, description="ABANDONED to give up")
    expiryReason: LongText | None = Field(default=None, description="What got in the way")


# --- notifications -----------------------------------------------------------------------


class NotificationOut(Answer):
    """One notification."""

    id: str
    notification_type: NotificationType
    priority: NotificationPriority
    title: str
    message: str
    related_entity_type: str | None
    related_entity_id: str | None
    created_at: Timestamp
    read_at: Timestamp | None


class NotificationListOut(Answer):
    """Notifications, newest first, and the unread count."""

    notifications: list[NotificationOut]
    unread: int


class ReadAllOut(Answer):
    """How many notifications were marked read."""

    marked_read: int


# --- score, correlation, evolution, progress -------------------------------------------------


class ScoreWeekOut(Answer):
    """One week's behavioral score and its components (null: not measured)."""

    week_start: date
    score: float
    components: dict[str, float | None]
    missing: list[str]
    sessions: int
    complete: bool


class ScoreHistoryOut(Answer):
    """Weekly scores, oldest first, the latest complete one and the component weights."""

    weeks: list[ScoreWeekOut]
    latest: ScoreWeekOut | None
    weights: dict[str, float]


class PairOut(Answer):
    """One week of the correlation."""

    week_start: date
    behavioral_score: float
    academic_mean: float
    results: int


class CorrelationValueOut(Answer):
    """Pearson r with its p-value, Fisher-z interval and the plain-language reading."""

    r: float
    p_value: float
    ci_low: float
    ci_high: float
    weeks: int
    effective_weeks: float = Field(
        description="Pyper & Peterman's effective number of independent weeks (≤ weeks): "
        "p and the interval use it, so weeks that move together count less"
    )
    strength: str
    clear: bool
    summary: str
    caveat: str
    pairs: list[PairOut]


class CorrelationOut(Answer):
    """The correlation, or what is missing (at least 8 weeks with a score and a result)."""

    correlation: CorrelationValueOut | None
    insufficient: Insufficient | None
    caveat: str


class PatternChangeOut(Answer):
    """A pattern's change between two analysed weeks."""

    pattern_type: BehavioralPatternType
    key: str
    name: str
    change: str
    confidence: float | None
    previous_confidence: float | None
    confidence_change: float | None


class WeekEvolutionOut(Answer):
    """One analysed week: patterns new, kept and gone."""

    week_start: date
    new: list[PatternChangeOut]
    kept: list[PatternChangeOut]
    gone: list[PatternChangeOut]


class EvolutionOut(Answer):
    """Pattern evolution, oldest week first."""

    weeks: list[WeekEvolutionOut]


class MetricChangeOut(Answer):
    """A metric now and N weeks ago."""

    name: str
    now: float | None
    then: float | None
    change: float | None
    direction: str


class ProgressValueOut(Answer):
    """The latest week against N weeks earlier."""

    compare_weeks: int
    week_now: date
    week_then: date
    metrics: list[MetricChangeOut]
    patterns_found: list[str]
    patterns_lost: list[str]


class ProgressOut(Answer):
    """The comparison, or what is missing."""

    progress: ProgressValueOut | None
    insufficient: Insufficient | None


class ExamResultIn(_Request):
    """An exam result."""

    score: JsonFloat = Field(ge=0, le=100, allow_inf_nan=False, description="0–100")
    takenAt: TimestampIn
    examId: Id | None = None


class ExamResultOut(Answer):
    """A stored exam result."""

    id: str
    exam_id: str | None
    score: float
    taken_at: Timestamp


# --- articles ----------------------------------------------------------------------------------


class ArticleSummaryOut(Answer):
    """An article of the catalogue (with the learner's read, when listed for one)."""

    slug: str
    title: str
    category: ArticleCategory
    summary: str
    reading_time_minutes: int
    difficulty: str
    tags: list[str]
    read_at: Timestamp | None
    helpful: bool | None
    rating: int | None


class ArticleSuggestionOut(Answer):
    """An article the learner's twin calls for, and why."""

    slug: str
    reason: str


class CatalogueOut(Answer):
    """Every article, and the suggested ones."""

    articles: list[ArticleSummaryOut]
    suggestions: list[ArticleSuggestionOut]


class ReferenceOut(Answer):
    """A published source."""

    authors: str
    year: int
    title: str
    venue: str


class PersonalArticleOut(Answer):
    """An article with the learner's "your data" sections filled in."""

    slug: str
    title: str
    category: ArticleCategory
    summary: str
    markdown: str
    your_data: dict[str, str]
    personalized: bool
    references: list[ReferenceOut]
    reading_time_minutes: int
    read_at: Timestamp


class ArticleFeedbackIn(_Request):
    """Feedback on an article the learner read (at least one field)."""

    helpful: JsonBool | None = None
    rating: Rating | None = Field(default=None, description="1–5")
    feedback: LongText | None = None
    readDurationSeconds: ReadSeconds | None = None
    completedRead: JsonBool | None = None


# --- dashboard, clear, refresh -----------------------------------------------------------------


class SparkPointOut(Answer):
    """One week of a sparkline."""

    week_start: date
    value: float | None


class MetricCardOut(Answer):
    """A metric card: latest value, change, weight in the score and a 4-week sparkline."""

    name: str
    value: float | None
    change: float | None
    weight: float | None
    sparkline: list[SparkPointOut]


class LoadSummaryOut(Answer):
    """The latest load reading and the 7-day mean."""

    latest_load: float | None
    latest_at: Timestamp | None
    mean_load_7d: float | None


class BurnoutSummaryOut(Answer):
    """The latest burnout assessment."""

    assessment_id: str
    risk_score: float
    level: BurnoutRiskLevel
    assessed_at: Timestamp


class PredictionSummaryOut(Answer):
    """A pending struggle prediction."""

    prediction_id: str
    objective_id: str
    objective: str
    probability: float
    predicted_at: Timestamp


class DashboardOut(Answer):
    """Everything a learner's overview shows, in one answer."""

    user_id: str
    generated_at: Timestamp
    score: ScoreWeekOut | None
    cards: list[MetricCardOut]
    recommendations: list[RecommendationOut]
    goals: list[GoalOut]
    unread_notifications: int
    notifications: list[NotificationOut]
    load: LoadSummaryOut
    burnout: BurnoutSummaryOut | None
    predictions: list[PredictionSummaryOut]


class ClearIn(_Request):
    """Clearing needs ``{"confirm": true}``: the learner's patterns, insights, goals,
    recommendations and profile are deleted (raw data is kept)."""

    confirm: Literal[True] = Field(description="Must be true: clearing cannot be undone")


class ClearOut(Answer):
    """Rows deleted per table."""

    deleted: dict[str, int]


class DailyRunOut(Answer):
    """What one daily insights run did for the learner."""

    user_id: str
    outcome: str
    snapshot: bool
    weeks_scored: int
    evaluated: int
    goals_updated: int
    milestones: int
    recommendations_created: int
    notifications: int
