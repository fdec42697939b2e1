"""Every mapped model; importing this package registers all tables on ``twin.db.base.metadata``."""

from twin.db.models.cognitive import (
    BurnoutRiskAssessment,
    CognitiveLoadMetric,
    StressResponsePattern,
)
from twin.db.models.insights import (
    AppliedRecommendation,
    ArticleRead,
    BehavioralGoal,
    InsightNotification,
    LearningArticle,
    Recommendation,
)
from twin.db.models.insights_support import (
    BehavioralScore,
    ExamResult,
    PatternSnapshot,
    RecommendationKey,
)
from twin.db.models.learning import (
    Card,
    Course,
    Exam,
    LearningObjective,
    Lecture,
    Mission,
    ObjectivePrerequisite,
    Review,
    StudySession,
    User,
    ValidationResponse,
)
from twin.db.models.memory import LearnerMemoryModel
from twin.db.models.orchestration import (
    CalendarIntegration,
    ScheduleAdaptation,
    SessionOrchestrationPlan,
    StudyScheduleRecommendation,
)
from twin.db.models.patterns import (
    BehavioralEvent,
    BehavioralInsight,
    BehavioralPattern,
    InsightPattern,
    UserLearningProfile,
)
from twin.db.models.personalization import (
    ExperimentAssignment,
    PersonalizationConfig,
    PersonalizationEffectiveness,
    PersonalizationExperiment,
    PersonalizationOutcome,
    PersonalizationPreferences,
)
from twin.db.models.registry import InsightKey, StruggleModelVersion
from twin.db.models.service import ApiKey, EngineSecret, SimulationTruth
from twin.db.models.struggle import (
    InterventionRecommendation,
    LearningPattern,
    PerformanceMetric,
    PerformancePrediction,
    PredictionFeedback,
    StruggleIndicator,
    StrugglePrediction,
)

__all__ = [
    "ApiKey",
    "AppliedRecommendation",
    "ArticleRead",
    "BehavioralEvent",
    "BehavioralGoal",
    "BehavioralInsight",
    "BehavioralPattern",
    "BehavioralScore",
    "BurnoutRiskAssessment",
    "CalendarIntegration",
    "Card",
    "CognitiveLoadMetric",
    "Course",
    "EngineSecret",
    "Exam",
    "ExamResult",
    "ExperimentAssignment",
    "InsightKey",
    "InsightNotification",
    "InsightPattern",
    "InterventionRecommendation",
    "LearnerMemoryModel",
    "LearningArticle",
    "LearningObjective",
    "LearningPattern",
    "Lecture",
    "Mission",
    "ObjectivePrerequisite",
    "PatternSnapshot",
    "PerformanceMetric",
    "PerformancePrediction",
    "PersonalizationConfig",
    "PersonalizationEffectiveness",
    "PersonalizationExperiment",
    "PersonalizationOutcome",
    "PersonalizationPreferences",
    "PredictionFeedback",
    "Recommendation",
    "RecommendationKey",
    "Review",
    "ScheduleAdaptation",
    "SessionOrchestrationPlan",
    "SimulationTruth",
    "StressResponsePattern",
    "StruggleIndicator",
    "StruggleModelVersion",
    "StrugglePrediction",
    "StudyScheduleRecommendation",
    "StudySession",
    "User",
    "UserLearningProfile",
    "ValidationResponse",
]
