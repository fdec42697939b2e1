"""The one set of enums of the data model: PostgreSQL enum types (names and value order as SCHEMA.md).

Pure Python (no database import), so analyses, services, the API and the models share them.
"""

from enum import StrEnum


class EventType(StrEnum):
    """PostgreSQL enum type ``"EventType"``."""

    MISSION_STARTED = "MISSION_STARTED"
    MISSION_COMPLETED = "MISSION_COMPLETED"
    CARD_REVIEWED = "CARD_REVIEWED"
    VALIDATION_COMPLETED = "VALIDATION_COMPLETED"
    SESSION_STARTED = "SESSION_STARTED"
    SESSION_ENDED = "SESSION_ENDED"
    LECTURE_UPLOADED = "LECTURE_UPLOADED"
    SEARCH_PERFORMED = "SEARCH_PERFORMED"
    GRAPH_VIEWED = "GRAPH_VIEWED"
    RECOMMENDATION_VIEWED = "RECOMMENDATION_VIEWED"
    RECOMMENDATION_CLICKED = "RECOMMENDATION_CLICKED"
    RECOMMENDATION_DISMISSED = "RECOMMENDATION_DISMISSED"
    RECOMMENDATION_RATED = "RECOMMENDATION_RATED"


class CompletionQuality(StrEnum):
    """PostgreSQL enum type ``"CompletionQuality"``."""

    RUSHED = "RUSHED"
    NORMAL = "NORMAL"
    THOROUGH = "THOROUGH"


class EngagementLevel(StrEnum):
    """PostgreSQL enum type ``"EngagementLevel"``."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class BehavioralPatternType(StrEnum):
    """PostgreSQL enum type ``"BehavioralPatternType"``."""

    OPTIMAL_STUDY_TIME = "OPTIMAL_STUDY_TIME"
    SESSION_DURATION_PREFERENCE = "SESSION_DURATION_PREFERENCE"
    CONTENT_TYPE_PREFERENCE = "CONTENT_TYPE_PREFERENCE"
    PERFORMANCE_PEAK = "PERFORMANCE_PEAK"
    ATTENTION_CYCLE = "ATTENTION_CYCLE"
    FORGETTING_CURVE = "FORGETTING_CURVE"


class InsightType(StrEnum):
    """PostgreSQL enum type ``"InsightType"``."""

    STUDY_TIME_OPTIMIZATION = "STUDY_TIME_OPTIMIZATION"
    SESSION_LENGTH_ADJUSTMENT = "SESSION_LENGTH_ADJUSTMENT"
    CONTENT_PREFERENCE = "CONTENT_PREFERENCE"
    RETENTION_STRATEGY = "RETENTION_STRATEGY"


class PatternType(StrEnum):
    """PostgreSQL enum type ``"PatternType"``."""

    OPTIMAL_STUDY_TIME = "OPTIMAL_STUDY_TIME"
    STRUGGLE_TOPIC = "STRUGGLE_TOPIC"
    CONTENT_PREFERENCE = "CONTENT_PREFERENCE"
    SESSION_LENGTH = "SESSION_LENGTH"
    DAY_OF_WEEK_PATTERN = "DAY_OF_WEEK_PATTERN"


class RecommendationType(StrEnum):
    """PostgreSQL enum type ``"RecommendationType"``."""

    STUDY_TIME_OPTIMIZATION = "STUDY_TIME_OPTIMIZATION"
    SESSION_DURATION_ADJUSTMENT = "SESSION_DURATION_ADJUSTMENT"
    CONTENT_TYPE_BALANCE = "CONTENT_TYPE_BALANCE"
    RETENTION_STRATEGY = "RETENTION_STRATEGY"
    CONSISTENCY_BUILDING = "CONSISTENCY_BUILDING"
    EXPERIMENTAL_SUGGESTION = "EXPERIMENTAL_SUGGESTION"


class RecommendationStatus(StrEnum):
    """PostgreSQL enum type ``"RecommendationStatus"``."""

    PENDING = "PENDING"
    VIEWED = "VIEWED"
    DISMISSED = "DISMISSED"
    RATED = "RATED"


class ApplicationType(StrEnum):
    """PostgreSQL enum type ``"ApplicationType"``."""

    AUTO = "AUTO"
    MANUAL = "MANUAL"
    REMINDER = "REMINDER"
    GOAL = "GOAL"


class BehavioralGoalType(StrEnum):
    """PostgreSQL enum type ``"BehavioralGoalType"``."""

    STUDY_TIME_CONSISTENCY = "STUDY_TIME_CONSISTENCY"
    SESSION_DURATION = "SESSION_DURATION"
    CONTENT_DIVERSIFICATION = "CONTENT_DIVERSIFICATION"
    RETENTION_IMPROVEMENT = "RETENTION_IMPROVEMENT"
    CUSTOM = "CUSTOM"


class GoalStatus(StrEnum):
    """PostgreSQL enum type ``"GoalStatus"``."""

    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    ABANDONED = "ABANDONED"
    PAUSED = "PAUSED"


class NotificationType(StrEnum):
    """PostgreSQL enum type ``"NotificationType"``."""

    NEW_PATTERN = "NEW_PATTERN"
    NEW_INSIGHT = "NEW_INSIGHT"
    GOAL_CREATED = "GOAL_CREATED"
    GOAL_PROGRESS_25 = "GOAL_PROGRESS_25"
    GOAL_PROGRESS_50 = "GOAL_PROGRESS_50"
    GOAL_PROGRESS_75 = "GOAL_PROGRESS_75"
    GOAL_ACHIEVED = "GOAL_ACHIEVED"
    RECOMMENDATION_AVAILABLE = "RECOMMENDATION_AVAILABLE"
    INTERVENTION_SUGGESTED = "INTERVENTION_SUGGESTED"


class NotificationPriority(StrEnum):
    """PostgreSQL enum type ``"NotificationPriority"``."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


class PredictionStatus(StrEnum):
    """PostgreSQL enum type ``"PredictionStatus"``."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FALSE_POSITIVE = "FALSE_POSITIVE"
    MISSED = "MISSED"
    DISMISSED = "DISMISSED"
    RESOLVED = "RESOLVED"


class IndicatorType(StrEnum):
    """PostgreSQL enum type ``"IndicatorType"``."""

    BEHAVIORAL = "BEHAVIORAL"
    PERFORMANCE = "PERFORMANCE"
    ENGAGEMENT = "ENGAGEMENT"
    COGNITIVE = "COGNITIVE"
    LOW_RETENTION = "LOW_RETENTION"
    PREREQUISITE_GAP = "PREREQUISITE_GAP"
    COMPLEXITY_MISMATCH = "COMPLEXITY_MISMATCH"
    COGNITIVE_OVERLOAD = "COGNITIVE_OVERLOAD"
    HISTORICAL_STRUGGLE_PATTERN = "HISTORICAL_STRUGGLE_PATTERN"


class Severity(StrEnum):
    """PostgreSQL enum type ``"Severity"``."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class InterventionType(StrEnum):
    """PostgreSQL enum type ``"InterventionType"``."""

    PREREQUISITE_REVIEW = "PREREQUISITE_REVIEW"
    DIFFICULTY_PROGRESSION = "DIFFICULTY_PROGRESSION"
    SPACING_ADJUSTMENT = "SPACING_ADJUSTMENT"
    CONTENT_VARIATION = "CONTENT_VARIATION"
    BREAK_RECOMMENDATION = "BREAK_RECOMMENDATION"
    FOCUS_SESSION = "FOCUS_SESSION"
    CONTENT_FORMAT_ADAPT = "CONTENT_FORMAT_ADAPT"
    COGNITIVE_LOAD_REDUCE = "COGNITIVE_LOAD_REDUCE"
    SPACED_REPETITION_BOOST = "SPACED_REPETITION_BOOST"
    BREAK_SCHEDULE_ADJUST = "BREAK_SCHEDULE_ADJUST"


class InterventionStatus(StrEnum):
    """PostgreSQL enum type ``"InterventionStatus"``."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


class BurnoutRiskLevel(StrEnum):
    """PostgreSQL enum type ``"BurnoutRiskLevel"``."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class PersonalizationLevel(StrEnum):
    """PostgreSQL enum type ``"PersonalizationLevel"``."""

    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class PersonalizationContext(StrEnum):
    """PostgreSQL enum type ``"PersonalizationContext"``."""

    MISSION = "MISSION"
    CONTENT = "CONTENT"
    ASSESSMENT = "ASSESSMENT"
    SESSION = "SESSION"


class ExperimentType(StrEnum):
    """PostgreSQL enum type ``"ExperimentType"``."""

    AB_TEST = "AB_TEST"
    MULTIVARIATE = "MULTIVARIATE"
    MULTI_ARMED_BANDIT = "MULTI_ARMED_BANDIT"


class ExperimentStatus(StrEnum):
    """PostgreSQL enum type ``"ExperimentStatus"``."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class OutcomeType(StrEnum):
    """PostgreSQL enum type ``"OutcomeType"``."""

    MISSION_COMPLETED = "MISSION_COMPLETED"
    SESSION_COMPLETED = "SESSION_COMPLETED"
    ASSESSMENT_COMPLETED = "ASSESSMENT_COMPLETED"
    CONTENT_ENGAGED = "CONTENT_ENGAGED"


class ArticleCategory(StrEnum):
    """PostgreSQL enum type ``"ArticleCategory"``."""

    SPACED_REPETITION = "SPACED_REPETITION"
    ACTIVE_RECALL = "ACTIVE_RECALL"
    LEARNING_STYLES = "LEARNING_STYLES"
    COGNITIVE_LOAD = "COGNITIVE_LOAD"
    CIRCADIAN_RHYTHMS = "CIRCADIAN_RHYTHMS"


class AdaptationType(StrEnum):
    """PostgreSQL enum type ``"AdaptationType"``."""

    TIMING = "TIMING"
    DURATION = "DURATION"
    DIFFICULTY = "DIFFICULTY"
    CONTENT_SELECTION = "CONTENT_SELECTION"
    SESSION_STRUCTURE = "SESSION_STRUCTURE"
    BREAK_SCHEDULING = "BREAK_SCHEDULING"
    TIME_SHIFT = "TIME_SHIFT"
    DURATION_CHANGE = "DURATION_CHANGE"
    INTENSITY_ADJUSTMENT = "INTENSITY_ADJUSTMENT"
    FREQUENCY_CHANGE = "FREQUENCY_CHANGE"


class ObjectiveComplexity(StrEnum):
    """PostgreSQL enum type ``"ObjectiveComplexity"``."""

    BASIC = "BASIC"
    INTERMEDIATE = "INTERMEDIATE"
    ADVANCED = "ADVANCED"


class MasteryLevel(StrEnum):
    """PostgreSQL enum type ``"MasteryLevel"``."""

    NOT_STARTED = "NOT_STARTED"
    BEGINNER = "BEGINNER"
    INTERMEDIATE = "INTERMEDIATE"
    ADVANCED = "ADVANCED"
    MASTERED = "MASTERED"


class MissionStatus(StrEnum):
    """PostgreSQL enum type ``"MissionStatus"``."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    SKIPPED = "SKIPPED"


class ReviewRating(StrEnum):
    """PostgreSQL enum type ``"ReviewRating"``."""

    AGAIN = "AGAIN"
    HARD = "HARD"
    GOOD = "GOOD"
    EASY = "EASY"


class CardType(StrEnum):
    """PostgreSQL enum type ``"CardType"``."""

    BASIC = "BASIC"
    CLOZE = "CLOZE"
    CLINICAL_REASONING = "CLINICAL_REASONING"


class FeedbackType(StrEnum):
    """PostgreSQL enum type ``"FeedbackType"``."""

    HELPFUL = "HELPFUL"
    NOT_HELPFUL = "NOT_HELPFUL"
    INACCURATE = "INACCURATE"
    INTERVENTION_GOOD = "INTERVENTION_GOOD"
    INTERVENTION_BAD = "INTERVENTION_BAD"


ALL_ENUMS: tuple[type[StrEnum], ...] = (
    EventType,
    CompletionQuality,
    EngagementLevel,
    BehavioralPatternType,
    InsightType,
    PatternType,
    RecommendationType,
    RecommendationStatus,
    ApplicationType,
    BehavioralGoalType,
    GoalStatus,
    NotificationType,
    NotificationPriority,
    PredictionStatus,
    IndicatorType,
    Severity,
    InterventionType,
    InterventionStatus,
    BurnoutRiskLevel,
    PersonalizationLevel,
    PersonalizationContext,
    ExperimentType,
    ExperimentStatus,
    OutcomeType,
    ArticleCategory,
    AdaptationType,
    ObjectiveComplexity,
    MasteryLevel,
    MissionStatus,
    ReviewRating,
    CardType,
    FeedbackType,
)
