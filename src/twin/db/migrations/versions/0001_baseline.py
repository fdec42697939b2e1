"""baseline: every table, enum, index and constraint except the 0002 items.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 22:53:22.068906
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM_TYPES = (
    "AdaptationType",
    "ApplicationType",
    "ArticleCategory",
    "BehavioralGoalType",
    "BehavioralPatternType",
    "BurnoutRiskLevel",
    "CardType",
    "CompletionQuality",
    "EngagementLevel",
    "EventType",
    "ExperimentStatus",
    "ExperimentType",
    "GoalStatus",
    "IndicatorType",
    "InsightType",
    "InterventionStatus",
    "InterventionType",
    "MasteryLevel",
    "MissionStatus",
    "NotificationPriority",
    "NotificationType",
    "ObjectiveComplexity",
    "OutcomeType",
    "PatternType",
    "PersonalizationContext",
    "PersonalizationLevel",
    "PredictionStatus",
    "RecommendationStatus",
    "RecommendationType",
    "ReviewRating",
    "Severity",
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "behavioral_events",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "eventType",
            sa.Enum(
                "MISSION_STARTED",
                "MISSION_COMPLETED",
                "CARD_REVIEWED",
                "VALIDATION_COMPLETED",
                "SESSION_STARTED",
                "SESSION_ENDED",
                "LECTURE_UPLOADED",
                "SEARCH_PERFORMED",
                "GRAPH_VIEWED",
                "RECOMMENDATION_VIEWED",
                "RECOMMENDATION_CLICKED",
                "RECOMMENDATION_DISMISSED",
                "RECOMMENDATION_RATED",
                name="EventType",
            ),
            nullable=False,
        ),
        sa.Column("eventData", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "timestamp",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "completionQuality",
            sa.Enum("RUSHED", "NORMAL", "THOROUGH", name="CompletionQuality"),
            nullable=True,
        ),
        sa.Column("contentType", sa.Text(), nullable=True),
        sa.Column("dayOfWeek", sa.Integer(), nullable=True),
        sa.Column("difficultyLevel", sa.Text(), nullable=True),
        sa.Column(
            "engagementLevel",
            sa.Enum("LOW", "MEDIUM", "HIGH", name="EngagementLevel"),
            nullable=True,
        ),
        sa.Column("sessionPerformanceScore", sa.Integer(), nullable=True),
        sa.Column("timeOfDay", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("behavioral_events_pkey")),
    )
    op.create_index(
        "behavioral_events_eventType_idx", "behavioral_events", ["eventType"], unique=False
    )
    op.create_index(
        "behavioral_events_timestamp_idx", "behavioral_events", ["timestamp"], unique=False
    )
    op.create_index("behavioral_events_userId_idx", "behavioral_events", ["userId"], unique=False)
    op.create_table(
        "behavioral_goals",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "goalType",
            sa.Enum(
                "STUDY_TIME_CONSISTENCY",
                "SESSION_DURATION",
                "CONTENT_DIVERSIFICATION",
                "RETENTION_IMPROVEMENT",
                "CUSTOM",
                name="BehavioralGoalType",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("targetMetric", sa.Text(), nullable=False),
        sa.Column("currentValue", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("targetValue", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("deadline", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum("ACTIVE", "COMPLETED", "ABANDONED", "PAUSED", name="GoalStatus"),
            server_default=sa.text("'ACTIVE'"),
            nullable=False,
        ),
        sa.Column("progressHistory", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("completedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("behavioral_goals_pkey")),
    )
    op.create_index("behavioral_goals_deadline_idx", "behavioral_goals", ["deadline"], unique=False)
    op.create_index("behavioral_goals_status_idx", "behavioral_goals", ["status"], unique=False)
    op.create_index("behavioral_goals_userId_idx", "behavioral_goals", ["userId"], unique=False)
    op.create_table(
        "behavioral_insights",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "insightType",
            sa.Enum(
                "STUDY_TIME_OPTIMIZATION",
                "SESSION_LENGTH_ADJUSTMENT",
                "CONTENT_PREFERENCE",
                "RETENTION_STRATEGY",
                name="InsightType",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("actionableRecommendation", sa.Text(), nullable=False),
        sa.Column("confidence", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("acknowledgedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("applied", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("behavioral_insights_pkey")),
    )
    op.create_index(
        "behavioral_insights_acknowledgedAt_idx",
        "behavioral_insights",
        ["acknowledgedAt"],
        unique=False,
    )
    op.create_index(
        "behavioral_insights_createdAt_idx", "behavioral_insights", ["createdAt"], unique=False
    )
    op.create_index(
        "behavioral_insights_userId_idx", "behavioral_insights", ["userId"], unique=False
    )
    op.create_table(
        "behavioral_patterns",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "patternType",
            sa.Enum(
                "OPTIMAL_STUDY_TIME",
                "SESSION_DURATION_PREFERENCE",
                "CONTENT_TYPE_PREFERENCE",
                "PERFORMANCE_PEAK",
                "ATTENTION_CYCLE",
                "FORGETTING_CURVE",
                name="BehavioralPatternType",
            ),
            nullable=False,
        ),
        sa.Column("patternData", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("confidence", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "firstDetectedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "lastSeenAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("patternName", sa.Text(), nullable=True),
        sa.Column(
            "evidence",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column("occurrenceCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "detectedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("behavioral_patterns_pkey")),
    )
    op.create_index(
        "behavioral_patterns_confidence_idx", "behavioral_patterns", ["confidence"], unique=False
    )
    op.create_index(
        "behavioral_patterns_detectedAt_idx", "behavioral_patterns", ["detectedAt"], unique=False
    )
    op.create_index(
        "behavioral_patterns_occurrenceCount_idx",
        "behavioral_patterns",
        ["occurrenceCount"],
        unique=False,
    )
    op.create_index(
        "behavioral_patterns_patternType_idx", "behavioral_patterns", ["patternType"], unique=False
    )
    op.create_index(
        "behavioral_patterns_userId_idx", "behavioral_patterns", ["userId"], unique=False
    )
    op.create_table(
        "burnout_risk_assessments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("riskScore", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "riskLevel",
            sa.Enum("LOW", "MEDIUM", "HIGH", "CRITICAL", name="BurnoutRiskLevel"),
            nullable=False,
        ),
        sa.Column("contributingFactors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("warningSignals", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "recommendations",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column(
            "confidence", sa.DOUBLE_PRECISION(), server_default=sa.text("0.7"), nullable=False
        ),
        sa.Column(
            "assessmentDate",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "interventionApplied", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("interventionId", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("burnout_risk_assessments_pkey")),
    )
    op.create_index(
        "burnout_risk_assessments_assessmentDate_idx",
        "burnout_risk_assessments",
        ["assessmentDate"],
        unique=False,
    )
    op.create_index(
        "burnout_risk_assessments_riskLevel_idx",
        "burnout_risk_assessments",
        ["riskLevel"],
        unique=False,
    )
    op.create_index(
        "burnout_risk_assessments_userId_idx", "burnout_risk_assessments", ["userId"], unique=False
    )
    op.create_table(
        "calendar_integrations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("calendarProvider", sa.Text(), nullable=False),
        sa.Column("accessToken", sa.Text(), nullable=False),
        sa.Column("refreshToken", sa.Text(), nullable=True),
        sa.Column("expiresAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("lastSyncAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("syncEnabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("calendar_integrations_pkey")),
        sa.UniqueConstraint("userId", name="calendar_integrations_userId_key"),
    )
    op.create_index(
        "calendar_integrations_userId_idx", "calendar_integrations", ["userId"], unique=False
    )
    op.create_table(
        "cognitive_load_metrics",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("sessionId", sa.Text(), nullable=True),
        sa.Column("loadScore", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("stressIndicators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("confidenceLevel", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "timestamp",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("cognitive_load_metrics_pkey")),
    )
    op.create_index(
        "cognitive_load_metrics_loadScore_idx",
        "cognitive_load_metrics",
        ["loadScore"],
        unique=False,
    )
    op.create_index(
        "cognitive_load_metrics_sessionId_idx",
        "cognitive_load_metrics",
        ["sessionId"],
        unique=False,
    )
    op.create_index(
        "cognitive_load_metrics_timestamp_idx",
        "cognitive_load_metrics",
        ["timestamp"],
        unique=False,
    )
    op.create_index(
        "cognitive_load_metrics_userId_idx", "cognitive_load_metrics", ["userId"], unique=False
    )
    op.create_table(
        "insight_notifications",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "notificationType",
            sa.Enum(
                "NEW_PATTERN",
                "NEW_INSIGHT",
                "GOAL_CREATED",
                "GOAL_PROGRESS_25",
                "GOAL_PROGRESS_50",
                "GOAL_PROGRESS_75",
                "GOAL_ACHIEVED",
                "RECOMMENDATION_AVAILABLE",
                "INTERVENTION_SUGGESTED",
                name="NotificationType",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum("LOW", "NORMAL", "HIGH", name="NotificationPriority"),
            server_default=sa.text("'NORMAL'"),
            nullable=False,
        ),
        sa.Column("relatedEntityId", sa.Text(), nullable=True),
        sa.Column("relatedEntityType", sa.Text(), nullable=True),
        sa.Column("readAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("insight_notifications_pkey")),
    )
    op.create_index(
        "insight_notifications_notificationType_idx",
        "insight_notifications",
        ["notificationType"],
        unique=False,
    )
    op.create_index(
        "insight_notifications_readAt_idx", "insight_notifications", ["readAt"], unique=False
    )
    op.create_index(
        "insight_notifications_userId_idx", "insight_notifications", ["userId"], unique=False
    )
    op.create_table(
        "learning_articles",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "SPACED_REPETITION",
                "ACTIVE_RECALL",
                "LEARNING_STYLES",
                "COGNITIVE_LOAD",
                "CIRCADIAN_RHYTHMS",
                name="ArticleCategory",
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("personalizedSections", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("externalLinks", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("readingTimeMinutes", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("difficulty", sa.Text(), server_default=sa.text("'BEGINNER'"), nullable=False),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "publishedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("learning_articles_pkey")),
        sa.UniqueConstraint("slug", name="learning_articles_slug_key"),
    )
    op.create_index(
        "learning_articles_category_idx", "learning_articles", ["category"], unique=False
    )
    op.create_index("learning_articles_slug_idx", "learning_articles", ["slug"], unique=False)
    op.create_table(
        "learning_patterns",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "patternType",
            sa.Enum(
                "OPTIMAL_STUDY_TIME",
                "STRUGGLE_TOPIC",
                "CONTENT_PREFERENCE",
                "SESSION_LENGTH",
                "DAY_OF_WEEK_PATTERN",
                name="PatternType",
            ),
            nullable=False,
        ),
        sa.Column("patternData", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("confidence", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "detectedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "lastSeenAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("learning_patterns_pkey")),
    )
    op.create_index(
        "learning_patterns_patternType_idx", "learning_patterns", ["patternType"], unique=False
    )
    op.create_index("learning_patterns_userId_idx", "learning_patterns", ["userId"], unique=False)
    op.create_table(
        "performance_predictions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("predictedFor", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("predictionType", sa.Text(), nullable=False),
        sa.Column("prediction", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("confidence", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("performance_predictions_pkey")),
    )
    op.create_index(
        "performance_predictions_predictedFor_idx",
        "performance_predictions",
        ["predictedFor"],
        unique=False,
    )
    op.create_index(
        "performance_predictions_userId_idx", "performance_predictions", ["userId"], unique=False
    )
    op.create_table(
        "personalization_outcomes",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("configId", sa.Text(), nullable=True),
        sa.Column(
            "outcomeType",
            sa.Enum(
                "MISSION_COMPLETED",
                "SESSION_COMPLETED",
                "ASSESSMENT_COMPLETED",
                "CONTENT_ENGAGED",
                name="OutcomeType",
            ),
            nullable=False,
        ),
        sa.Column(
            "context",
            sa.Enum("MISSION", "CONTENT", "ASSESSMENT", "SESSION", name="PersonalizationContext"),
            nullable=False,
        ),
        sa.Column(
            "timestamp",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("retentionScore", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("performanceScore", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("completionRate", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("engagementScore", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("sessionDuration", sa.Integer(), nullable=True),
        sa.Column("contentType", sa.Text(), nullable=True),
        sa.Column("difficultyLevel", sa.Text(), nullable=True),
        sa.Column(
            "personalizationApplied", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("strategyVariant", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("personalization_outcomes_pkey")),
    )
    op.create_index(
        "personalization_outcomes_configId_idx",
        "personalization_outcomes",
        ["configId"],
        unique=False,
    )
    op.create_index(
        "personalization_outcomes_outcomeType_idx",
        "personalization_outcomes",
        ["outcomeType"],
        unique=False,
    )
    op.create_index(
        "personalization_outcomes_timestamp_idx",
        "personalization_outcomes",
        ["timestamp"],
        unique=False,
    )
    op.create_index(
        "personalization_outcomes_userId_idx", "personalization_outcomes", ["userId"], unique=False
    )
    op.create_table(
        "personalization_preferences",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "personalizationLevel",
            sa.Enum("NONE", "LOW", "MEDIUM", "HIGH", name="PersonalizationLevel"),
            server_default=sa.text("'MEDIUM'"),
            nullable=False,
        ),
        sa.Column("autoAdaptEnabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "missionPersonalizationEnabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "contentPersonalizationEnabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "assessmentPersonalizationEnabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "sessionPersonalizationEnabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "disabledFeatures",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("lastResetAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("personalization_preferences_pkey")),
        sa.UniqueConstraint("userId", name="personalization_preferences_userId_key"),
    )
    op.create_index(
        "personalization_preferences_userId_idx",
        "personalization_preferences",
        ["userId"],
        unique=False,
    )
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "recommendationType",
            sa.Enum(
                "STUDY_TIME_OPTIMIZATION",
                "SESSION_DURATION_ADJUSTMENT",
                "CONTENT_TYPE_BALANCE",
                "RETENTION_STRATEGY",
                "CONSISTENCY_BUILDING",
                "EXPERIMENTAL_SUGGESTION",
                name="RecommendationType",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("actionableText", sa.Text(), nullable=False),
        sa.Column("confidence", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("estimatedImpact", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("easeOfImplementation", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("userReadiness", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("priorityScore", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDING", "VIEWED", "DISMISSED", "RATED", name="RecommendationStatus"),
            server_default=sa.text("'PENDING'"),
            nullable=False,
        ),
        sa.Column(
            "sourcePatternIds",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column(
            "sourceInsightIds",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("appliedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("dismissedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("recommendations_pkey")),
    )
    op.create_index(
        "recommendations_priorityScore_idx", "recommendations", ["priorityScore"], unique=False
    )
    op.create_index(
        "recommendations_recommendationType_idx",
        "recommendations",
        ["recommendationType"],
        unique=False,
    )
    op.create_index("recommendations_status_idx", "recommendations", ["status"], unique=False)
    op.create_index("recommendations_userId_idx", "recommendations", ["userId"], unique=False)
    op.create_table(
        "schedule_adaptations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "adaptationType",
            sa.Enum(
                "TIMING",
                "DURATION",
                "DIFFICULTY",
                "CONTENT_SELECTION",
                "SESSION_STRUCTURE",
                "BREAK_SCHEDULING",
                "TIME_SHIFT",
                "DURATION_CHANGE",
                "INTENSITY_ADJUSTMENT",
                "FREQUENCY_CHANGE",
                name="AdaptationType",
            ),
            nullable=False,
        ),
        sa.Column("adaptationDetails", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "appliedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("schedule_adaptations_pkey")),
    )
    op.create_index(
        "schedule_adaptations_userId_idx", "schedule_adaptations", ["userId"], unique=False
    )
    op.create_table(
        "session_orchestration_plans",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("missionId", sa.Text(), nullable=True),
        sa.Column("planData", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("appliedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("session_orchestration_plans_pkey")),
    )
    op.create_index(
        "session_orchestration_plans_missionId_idx",
        "session_orchestration_plans",
        ["missionId"],
        unique=False,
    )
    op.create_index(
        "session_orchestration_plans_userId_idx",
        "session_orchestration_plans",
        ["userId"],
        unique=False,
    )
    op.create_table(
        "stress_response_patterns",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("patternData", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("confidence", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "detectedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("stress_response_patterns_pkey")),
    )
    op.create_index(
        "stress_response_patterns_userId_idx", "stress_response_patterns", ["userId"], unique=False
    )
    op.create_table(
        "study_schedule_recommendations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("recommendedSchedule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("study_schedule_recommendations_pkey")),
    )
    op.create_index(
        "study_schedule_recommendations_userId_idx",
        "study_schedule_recommendations",
        ["userId"],
        unique=False,
    )
    op.create_table(
        "user_learning_profiles",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("preferredStudyTimes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("averageSessionDuration", sa.Integer(), nullable=False),
        sa.Column("optimalSessionDuration", sa.Integer(), nullable=False),
        sa.Column("contentPreferences", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("learningStyleProfile", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "personalizedForgettingCurve", postgresql.JSONB(astext_type=sa.Text()), nullable=False
        ),
        sa.Column(
            "lastAnalyzedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "dataQualityScore", sa.DOUBLE_PRECISION(), server_default=sa.text("0.0"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("user_learning_profiles_pkey")),
        sa.UniqueConstraint("userId", name="user_learning_profiles_userId_key"),
    )
    op.create_index(
        "user_learning_profiles_userId_idx", "user_learning_profiles", ["userId"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "defaultMissionMinutes", sa.Integer(), server_default=sa.text("50"), nullable=False
        ),
        sa.Column(
            "behavioralAnalysisEnabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "learningStyleProfilingEnabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "shareAnonymizedPatterns", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("users_pkey")),
        sa.UniqueConstraint("email", name="users_email_key"),
    )
    op.create_table(
        "applied_recommendations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("recommendationId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column(
            "applicationType",
            sa.Enum("AUTO", "MANUAL", "REMINDER", "GOAL", name="ApplicationType"),
            nullable=False,
        ),
        sa.Column("baselineMetrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("currentMetrics", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("effectiveness", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column(
            "appliedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("evaluatedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["recommendationId"],
            ["recommendations.id"],
            name="applied_recommendations_recommendationId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("applied_recommendations_pkey")),
    )
    op.create_index(
        "applied_recommendations_applicationType_idx",
        "applied_recommendations",
        ["applicationType"],
        unique=False,
    )
    op.create_index(
        "applied_recommendations_recommendationId_idx",
        "applied_recommendations",
        ["recommendationId"],
        unique=False,
    )
    op.create_index(
        "applied_recommendations_userId_idx", "applied_recommendations", ["userId"], unique=False
    )
    op.create_table(
        "article_reads",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("articleId", sa.Text(), nullable=False),
        sa.Column(
            "readAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("readDurationSeconds", sa.Integer(), nullable=True),
        sa.Column("completedRead", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["articleId"],
            ["learning_articles.id"],
            name="article_reads_articleId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("article_reads_pkey")),
        sa.UniqueConstraint("userId", "articleId", name="article_reads_userId_articleId_key"),
    )
    op.create_index("article_reads_articleId_idx", "article_reads", ["articleId"], unique=False)
    op.create_index("article_reads_readAt_idx", "article_reads", ["readAt"], unique=False)
    op.create_index("article_reads_userId_idx", "article_reads", ["userId"], unique=False)
    op.create_table(
        "courses",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="courses_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("courses_pkey")),
    )
    op.create_index("courses_userId_idx", "courses", ["userId"], unique=False)
    op.create_table(
        "insight_patterns",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("insightId", sa.Text(), nullable=False),
        sa.Column("patternId", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["insightId"],
            ["behavioral_insights.id"],
            name="insight_patterns_insightId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patternId"],
            ["behavioral_patterns.id"],
            name="insight_patterns_patternId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("insight_patterns_pkey")),
        sa.UniqueConstraint(
            "insightId", "patternId", name="insight_patterns_insightId_patternId_key"
        ),
    )
    op.create_index(
        "insight_patterns_insightId_idx", "insight_patterns", ["insightId"], unique=False
    )
    op.create_index(
        "insight_patterns_patternId_idx", "insight_patterns", ["patternId"], unique=False
    )
    op.create_table(
        "missions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("date", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDING", "IN_PROGRESS", "COMPLETED", "SKIPPED", name="MissionStatus"),
            server_default=sa.text("'PENDING'"),
            nullable=False,
        ),
        sa.Column("estimatedMinutes", sa.Integer(), nullable=False),
        sa.Column("completedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("objectives", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reviewCardCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("newContentCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("actualMinutes", sa.Integer(), nullable=True),
        sa.Column("difficultyRating", sa.Integer(), nullable=True),
        sa.Column("successScore", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("recommendedStartTime", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("actualStartTime", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("recommendedDuration", sa.Integer(), nullable=True),
        sa.Column("actualDuration", sa.Integer(), nullable=True),
        sa.Column("sessionPerformanceScore", sa.DOUBLE_PRECISION(), nullable=True),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="missions_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("missions_pkey")),
    )
    op.create_index("missions_userId_date_idx", "missions", ["userId", "date"], unique=False)
    op.create_table(
        "personalization_configs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("preferencesId", sa.Text(), nullable=False),
        sa.Column(
            "context",
            sa.Enum("MISSION", "CONTENT", "ASSESSMENT", "SESSION", name="PersonalizationContext"),
            nullable=False,
        ),
        sa.Column("strategyVariant", sa.Text(), nullable=False),
        sa.Column("missionPersonalization", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("contentPersonalization", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "assessmentPersonalization", postgresql.JSONB(astext_type=sa.Text()), nullable=True
        ),
        sa.Column("sessionPersonalization", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("effectivenessScore", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column(
            "confidenceScore", sa.DOUBLE_PRECISION(), server_default=sa.text("0.7"), nullable=False
        ),
        sa.Column("timesSelected", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "totalReward", sa.DOUBLE_PRECISION(), server_default=sa.text("0.0"), nullable=False
        ),
        sa.Column(
            "avgReward", sa.DOUBLE_PRECISION(), server_default=sa.text("0.0"), nullable=False
        ),
        sa.Column("isActive", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "activatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("deactivatedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["preferencesId"],
            ["personalization_preferences.id"],
            name="personalization_configs_preferencesId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("personalization_configs_pkey")),
    )
    op.create_index(
        "personalization_configs_context_idx", "personalization_configs", ["context"], unique=False
    )
    op.create_index(
        "personalization_configs_isActive_idx",
        "personalization_configs",
        ["isActive"],
        unique=False,
    )
    op.create_index(
        "personalization_configs_strategyVariant_idx",
        "personalization_configs",
        ["strategyVariant"],
        unique=False,
    )
    op.create_index(
        "personalization_configs_userId_idx", "personalization_configs", ["userId"], unique=False
    )
    op.create_table(
        "personalization_experiments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("preferencesId", sa.Text(), nullable=False),
        sa.Column("experimentName", sa.Text(), nullable=False),
        sa.Column(
            "experimentType",
            sa.Enum("AB_TEST", "MULTIVARIATE", "MULTI_ARMED_BANDIT", name="ExperimentType"),
            server_default=sa.text("'AB_TEST'"),
            nullable=False,
        ),
        sa.Column(
            "context",
            sa.Enum("MISSION", "CONTENT", "ASSESSMENT", "SESSION", name="PersonalizationContext"),
            nullable=False,
        ),
        sa.Column("variants", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("assignedVariant", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("DRAFT", "ACTIVE", "COMPLETED", "CANCELLED", name="ExperimentStatus"),
            server_default=sa.text("'ACTIVE'"),
            nullable=False,
        ),
        sa.Column(
            "startDate",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("endDate", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("minParticipants", sa.Integer(), server_default=sa.text("20"), nullable=False),
        sa.Column("minDuration", sa.Integer(), server_default=sa.text("14"), nullable=False),
        sa.Column("currentParticipants", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("variantMetrics", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("winningVariant", sa.Text(), nullable=True),
        sa.Column("statisticalSignificance", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("completedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["preferencesId"],
            ["personalization_preferences.id"],
            name="personalization_experiments_preferencesId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("personalization_experiments_pkey")),
    )
    op.create_index(
        "personalization_experiments_context_idx",
        "personalization_experiments",
        ["context"],
        unique=False,
    )
    op.create_index(
        "personalization_experiments_startDate_endDate_idx",
        "personalization_experiments",
        ["startDate", "endDate"],
        unique=False,
    )
    op.create_index(
        "personalization_experiments_status_idx",
        "personalization_experiments",
        ["status"],
        unique=False,
    )
    op.create_index(
        "personalization_experiments_userId_idx",
        "personalization_experiments",
        ["userId"],
        unique=False,
    )
    op.create_table(
        "exams",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("courseId", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("date", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column(
            "coverageTopics",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["courseId"],
            ["courses.id"],
            name="exams_courseId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="exams_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("exams_pkey")),
    )
    op.create_index("exams_userId_date_idx", "exams", ["userId", "date"], unique=False)
    op.create_table(
        "experiment_assignments",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("experimentId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("variantId", sa.Text(), nullable=False),
        sa.Column(
            "assignedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("experiment_assignments_pkey")),
        sa.UniqueConstraint(
            "experimentId", "userId", name="experiment_assignments_experimentId_userId_key"
        ),
    )
    op.create_index(
        "experiment_assignments_experimentId_idx",
        "experiment_assignments",
        ["experimentId"],
        unique=False,
    )
    op.create_index(
        "experiment_assignments_userId_idx", "experiment_assignments", ["userId"], unique=False
    )
    op.create_table(
        "lectures",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("courseId", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "topicTags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column(
            "uploadedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["courseId"],
            ["courses.id"],
            name="lectures_courseId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="lectures_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("lectures_pkey")),
    )
    op.create_index("lectures_courseId_idx", "lectures", ["courseId"], unique=False)
    op.create_index("lectures_userId_idx", "lectures", ["userId"], unique=False)
    op.create_table(
        "personalization_effectiveness",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("configId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("startDate", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("endDate", postgresql.TIMESTAMP(precision=3), nullable=False),
        sa.Column("retentionImprovement", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("performanceImprovement", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("completionRateChange", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("engagementChange", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("sampleSize", sa.Integer(), nullable=False),
        sa.Column("correlation", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("pValue", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column("confidenceInterval", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("compositeScore", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "isStatisticallySignificant",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.Column(
            "calculatedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["configId"],
            ["personalization_configs.id"],
            name="personalization_effectiveness_configId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("personalization_effectiveness_pkey")),
    )
    op.create_index(
        "personalization_effectiveness_configId_idx",
        "personalization_effectiveness",
        ["configId"],
        unique=False,
    )
    op.create_index(
        "personalization_effectiveness_startDate_endDate_idx",
        "personalization_effectiveness",
        ["startDate", "endDate"],
        unique=False,
    )
    op.create_index(
        "personalization_effectiveness_userId_idx",
        "personalization_effectiveness",
        ["userId"],
        unique=False,
    )
    op.create_table(
        "study_sessions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("missionId", sa.Text(), nullable=True),
        sa.Column(
            "startedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("completedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("durationMs", sa.Integer(), nullable=True),
        sa.Column("reviewsCompleted", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("newCardsStudied", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sessionNotes", sa.Text(), nullable=True),
        sa.Column("objectiveCompletions", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["missionId"],
            ["missions.id"],
            name="study_sessions_missionId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="study_sessions_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("study_sessions_pkey")),
    )
    op.create_index("study_sessions_missionId_idx", "study_sessions", ["missionId"], unique=False)
    op.create_index("study_sessions_startedAt_idx", "study_sessions", ["startedAt"], unique=False)
    op.create_index("study_sessions_userId_idx", "study_sessions", ["userId"], unique=False)
    op.create_table(
        "learning_objectives",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("lectureId", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("isHighYield", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "complexity",
            sa.Enum("BASIC", "INTERMEDIATE", "ADVANCED", name="ObjectiveComplexity"),
            server_default=sa.text("'INTERMEDIATE'"),
            nullable=False,
        ),
        sa.Column(
            "masteryLevel",
            sa.Enum(
                "NOT_STARTED",
                "BEGINNER",
                "INTERMEDIATE",
                "ADVANCED",
                "MASTERED",
                name="MasteryLevel",
            ),
            server_default=sa.text("'NOT_STARTED'"),
            nullable=False,
        ),
        sa.Column(
            "weaknessScore", sa.DOUBLE_PRECISION(), server_default=sa.text("0.5"), nullable=False
        ),
        sa.Column("lastStudiedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("totalStudyTimeMs", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["lectureId"],
            ["lectures.id"],
            name="learning_objectives_lectureId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("learning_objectives_pkey")),
    )
    op.create_index(
        "learning_objectives_lectureId_idx", "learning_objectives", ["lectureId"], unique=False
    )
    op.create_table(
        "cards",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("courseId", sa.Text(), nullable=False),
        sa.Column("lectureId", sa.Text(), nullable=True),
        sa.Column("objectiveId", sa.Text(), nullable=True),
        sa.Column(
            "cardType",
            sa.Enum("BASIC", "CLOZE", "CLINICAL_REASONING", name="CardType"),
            server_default=sa.text("'BASIC'"),
            nullable=False,
        ),
        sa.Column("difficulty", sa.DOUBLE_PRECISION(), server_default=sa.text("0"), nullable=False),
        sa.Column("stability", sa.DOUBLE_PRECISION(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "retrievability", sa.DOUBLE_PRECISION(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("lastReviewedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("nextReviewAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("reviewCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lapseCount", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["courseId"],
            ["courses.id"],
            name="cards_courseId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lectureId"],
            ["lectures.id"],
            name="cards_lectureId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["objectiveId"],
            ["learning_objectives.id"],
            name="cards_objectiveId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("cards_pkey")),
    )
    op.create_index("cards_courseId_idx", "cards", ["courseId"], unique=False)
    op.create_index("cards_lectureId_idx", "cards", ["lectureId"], unique=False)
    op.create_index("cards_objectiveId_idx", "cards", ["objectiveId"], unique=False)
    op.create_table(
        "objective_prerequisites",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("objectiveId", sa.Text(), nullable=False),
        sa.Column("prerequisiteId", sa.Text(), nullable=False),
        sa.Column("strength", sa.DOUBLE_PRECISION(), server_default=sa.text("1.0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["objectiveId"],
            ["learning_objectives.id"],
            name="objective_prerequisites_objectiveId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["prerequisiteId"],
            ["learning_objectives.id"],
            name="objective_prerequisites_prerequisiteId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("objective_prerequisites_pkey")),
        sa.UniqueConstraint(
            "objectiveId",
            "prerequisiteId",
            name="objective_prerequisites_objectiveId_prerequisiteId_key",
        ),
    )
    op.create_index(
        "objective_prerequisites_prerequisiteId_idx",
        "objective_prerequisites",
        ["prerequisiteId"],
        unique=False,
    )
    op.create_table(
        "performance_metrics",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("learningObjectiveId", sa.Text(), nullable=False),
        sa.Column(
            "date",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("retentionScore", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("studyTimeMs", sa.Integer(), nullable=False),
        sa.Column("reviewCount", sa.Integer(), nullable=False),
        sa.Column("correctReviews", sa.Integer(), nullable=False),
        sa.Column("incorrectReviews", sa.Integer(), nullable=False),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["learningObjectiveId"],
            ["learning_objectives.id"],
            name="performance_metrics_learningObjectiveId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("performance_metrics_pkey")),
        sa.UniqueConstraint(
            "userId",
            "learningObjectiveId",
            "date",
            name="performance_metrics_userId_learningObjectiveId_date_key",
        ),
    )
    op.create_index(
        "performance_metrics_learningObjectiveId_idx",
        "performance_metrics",
        ["learningObjectiveId"],
        unique=False,
    )
    op.create_index(
        "performance_metrics_userId_date_idx",
        "performance_metrics",
        ["userId", "date"],
        unique=False,
    )
    op.create_table(
        "struggle_predictions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("learningObjectiveId", sa.Text(), nullable=False),
        sa.Column("topicId", sa.Text(), nullable=True),
        sa.Column("predictedStruggleProbability", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("predictionConfidence", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column(
            "predictionStatus",
            sa.Enum(
                "PENDING",
                "CONFIRMED",
                "FALSE_POSITIVE",
                "MISSED",
                "DISMISSED",
                "RESOLVED",
                name="PredictionStatus",
            ),
            server_default=sa.text("'PENDING'"),
            nullable=False,
        ),
        sa.Column("featureVector", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("strugglingFactors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "predictionDate",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "predictedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("acknowledgedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column("actualOutcome", sa.Boolean(), nullable=True),
        sa.Column("actualOutcomeRecordedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "interventionApplied", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("interventionId", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["learningObjectiveId"],
            ["learning_objectives.id"],
            name="struggle_predictions_learningObjectiveId_fkey",
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("struggle_predictions_pkey")),
    )
    op.create_index(
        "struggle_predictions_learningObjectiveId_idx",
        "struggle_predictions",
        ["learningObjectiveId"],
        unique=False,
    )
    op.create_index(
        "struggle_predictions_predictedStruggleProbability_idx",
        "struggle_predictions",
        ["predictedStruggleProbability"],
        unique=False,
    )
    op.create_index(
        "struggle_predictions_predictionDate_idx",
        "struggle_predictions",
        ["predictionDate"],
        unique=False,
    )
    op.create_index(
        "struggle_predictions_predictionStatus_idx",
        "struggle_predictions",
        ["predictionStatus"],
        unique=False,
    )
    op.create_index(
        "struggle_predictions_topicId_idx", "struggle_predictions", ["topicId"], unique=False
    )
    op.create_index(
        "struggle_predictions_userId_idx", "struggle_predictions", ["userId"], unique=False
    )
    op.create_table(
        "validation_responses",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("sessionId", sa.Text(), nullable=True),
        sa.Column("objectiveId", sa.Text(), nullable=True),
        sa.Column("promptType", sa.Text(), nullable=False),
        sa.Column("score", sa.DOUBLE_PRECISION(), nullable=False),
        sa.Column("confidence", sa.DOUBLE_PRECISION(), nullable=True),
        sa.Column(
            "respondedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["objectiveId"],
            ["learning_objectives.id"],
            name="validation_responses_objectiveId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sessionId"],
            ["study_sessions.id"],
            name="validation_responses_sessionId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="validation_responses_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("validation_responses_pkey")),
    )
    op.create_index(
        "validation_responses_objectiveId_idx",
        "validation_responses",
        ["objectiveId"],
        unique=False,
    )
    op.create_index(
        "validation_responses_sessionId_idx", "validation_responses", ["sessionId"], unique=False
    )
    op.create_index(
        "validation_responses_userId_idx", "validation_responses", ["userId"], unique=False
    )
    op.create_table(
        "intervention_recommendations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("predictionId", sa.Text(), nullable=True),
        sa.Column(
            "interventionType",
            sa.Enum(
                "PREREQUISITE_REVIEW",
                "DIFFICULTY_PROGRESSION",
                "SPACING_ADJUSTMENT",
                "CONTENT_VARIATION",
                "BREAK_RECOMMENDATION",
                "FOCUS_SESSION",
                "CONTENT_FORMAT_ADAPT",
                "COGNITIVE_LOAD_REDUCE",
                "SPACED_REPETITION_BOOST",
                "BREAK_SCHEDULE_ADJUST",
                name="InterventionType",
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "IN_PROGRESS",
                "COMPLETED",
                "SKIPPED",
                "FAILED",
                name="InterventionStatus",
            ),
            server_default=sa.text("'PENDING'"),
            nullable=False,
        ),
        sa.Column("relatedObjectiveId", sa.Text(), nullable=True),
        sa.Column("appliedToMissionId", sa.Text(), nullable=True),
        sa.Column("appliedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.Column(
            "createdAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("acknowledgedAt", postgresql.TIMESTAMP(precision=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["predictionId"],
            ["struggle_predictions.id"],
            name="intervention_recommendations_predictionId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("intervention_recommendations_pkey")),
    )
    op.create_index(
        "intervention_recommendations_predictionId_idx",
        "intervention_recommendations",
        ["predictionId"],
        unique=False,
    )
    op.create_index(
        "intervention_recommendations_priority_idx",
        "intervention_recommendations",
        ["priority"],
        unique=False,
    )
    op.create_index(
        "intervention_recommendations_status_idx",
        "intervention_recommendations",
        ["status"],
        unique=False,
    )
    op.create_index(
        "intervention_recommendations_userId_idx",
        "intervention_recommendations",
        ["userId"],
        unique=False,
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("cardId", sa.Text(), nullable=False),
        sa.Column("sessionId", sa.Text(), nullable=True),
        sa.Column(
            "rating", sa.Enum("AGAIN", "HARD", "GOOD", "EASY", name="ReviewRating"), nullable=False
        ),
        sa.Column("timeSpentMs", sa.Integer(), nullable=False),
        sa.Column(
            "reviewedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "difficultyBefore", sa.DOUBLE_PRECISION(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "difficultyAfter", sa.DOUBLE_PRECISION(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "stabilityBefore", sa.DOUBLE_PRECISION(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "stabilityAfter", sa.DOUBLE_PRECISION(), server_default=sa.text("0"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["cardId"],
            ["cards.id"],
            name="reviews_cardId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sessionId"],
            ["study_sessions.id"],
            name="reviews_sessionId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["userId"],
            ["users.id"],
            name="reviews_userId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("reviews_pkey")),
    )
    op.create_index("reviews_cardId_idx", "reviews", ["cardId"], unique=False)
    op.create_index("reviews_reviewedAt_idx", "reviews", ["reviewedAt"], unique=False)
    op.create_index("reviews_sessionId_idx", "reviews", ["sessionId"], unique=False)
    op.create_index("reviews_userId_idx", "reviews", ["userId"], unique=False)
    op.create_table(
        "struggle_indicators",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("learningObjectiveId", sa.Text(), nullable=False),
        sa.Column("predictionId", sa.Text(), nullable=True),
        sa.Column(
            "indicatorType",
            sa.Enum(
                "BEHAVIORAL",
                "PERFORMANCE",
                "ENGAGEMENT",
                "COGNITIVE",
                "LOW_RETENTION",
                "PREREQUISITE_GAP",
                "COMPLEXITY_MISMATCH",
                "COGNITIVE_OVERLOAD",
                "HISTORICAL_STRUGGLE_PATTERN",
                name="IndicatorType",
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum("LOW", "MEDIUM", "HIGH", "CRITICAL", name="Severity"),
            nullable=False,
        ),
        sa.Column("context", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "detectedAt",
            postgresql.TIMESTAMP(precision=3),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["predictionId"],
            ["struggle_predictions.id"],
            name="struggle_indicators_predictionId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("struggle_indicators_pkey")),
    )
    op.create_index(
        "struggle_indicators_indicatorType_idx",
        "struggle_indicators",
        ["indicatorType"],
        unique=False,
    )
    op.create_index(
        "struggle_indicators_learningObjectiveId_idx",
        "struggle_indicators",
        ["learningObjectiveId"],
        unique=False,
    )
    op.create_index(
        "struggle_indicators_predictionId_idx",
        "struggle_indicators",
        ["predictionId"],
        unique=False,
    )
    op.create_index(
        "struggle_indicators_severity_idx", "struggle_indicators", ["severity"], unique=False
    )
    op.create_index(
        "struggle_indicators_userId_idx", "struggle_indicators", ["userId"], unique=False
    )


def downgrade() -> None:
    """Revert this revision: drop every table, then the enum types."""
    op.drop_table("struggle_indicators")
    op.drop_table("reviews")
    op.drop_table("intervention_recommendations")
    op.drop_table("validation_responses")
    op.drop_table("struggle_predictions")
    op.drop_table("performance_metrics")
    op.drop_table("objective_prerequisites")
    op.drop_table("cards")
    op.drop_table("learning_objectives")
    op.drop_table("study_sessions")
    op.drop_table("personalization_effectiveness")
    op.drop_table("lectures")
    op.drop_table("experiment_assignments")
    op.drop_table("exams")
    op.drop_table("personalization_experiments")
    op.drop_table("personalization_configs")
    op.drop_table("missions")
    op.drop_table("insight_patterns")
    op.drop_table("courses")
    op.drop_table("article_reads")
    op.drop_table("applied_recommendations")
    op.drop_table("users")
    op.drop_table("user_learning_profiles")
    op.drop_table("study_schedule_recommendations")
    op.drop_table("stress_response_patterns")
    op.drop_table("session_orchestration_plans")
    op.drop_table("schedule_adaptations")
    op.drop_table("recommendations")
    op.drop_table("personalization_preferences")
    op.drop_table("personalization_outcomes")
    op.drop_table("performance_predictions")
    op.drop_table("learning_patterns")
    op.drop_table("learning_articles")
    op.drop_table("insight_notifications")
    op.drop_table("cognitive_load_metrics")
    op.drop_table("calendar_integrations")
    op.drop_table("burnout_risk_assessments")
    op.drop_table("behavioral_patterns")
    op.drop_table("behavioral_insights")
    op.drop_table("behavioral_goals")
    op.drop_table("behavioral_events")
    bind = op.get_bind()
    for name in ENUM_TYPES:
        postgresql.ENUM(name=name).drop(bind, checkfirst=True)
