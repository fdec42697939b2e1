"""The query patterns the 0002 indexes serve (SCHEMA.md, the seed's performance table).

Each pattern names the index it is meant to use and a parameterised SQL text.
``twin db verify`` checks the planner picks that index; the query benchmarks
time the same statements. Seven of them are the seed's query types
(``seed_query_type`` set); the other five are the remaining 0002 indexes' uses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Epic5Index:
    """One index created by migration 0002, by exact name and column order."""

    name: str
    table: str
    columns: tuple[str, ...]


EPIC5_INDEXES: tuple[Epic5Index, ...] = (
    Epic5Index(
        "behavioral_events_userId_eventType_timestamp_idx",
        "behavioral_events",
        ("userId", "eventType", "timestamp"),
    ),
    Epic5Index(
        "behavioral_events_userId_dayOfWeek_idx", "behavioral_events", ("userId", "dayOfWeek")
    ),
    Epic5Index(
        "behavioral_events_userId_timeOfDay_idx", "behavioral_events", ("userId", "timeOfDay")
    ),
    Epic5Index(
        "behavioral_patterns_userId_patternType_confidence_idx",
        "behavioral_patterns",
        ("userId", "patternType", "confidence"),
    ),
    Epic5Index(
        "behavioral_patterns_userId_lastSeenAt_idx", "behavioral_patterns", ("userId", "lastSeenAt")
    ),
    Epic5Index(
        "struggle_predictions_userId_predictionStatus_predictedStrug_idx",
        "struggle_predictions",
        ("userId", "predictionStatus", "predictedStruggleProbability"),
    ),
    Epic5Index(
        "struggle_predictions_userId_topicId_predictionDate_idx",
        "struggle_predictions",
        ("userId", "topicId", "predictionDate"),
    ),
    Epic5Index(
        "recommendations_userId_status_priorityScore_idx",
        "recommendations",
        ("userId", "status", "priorityScore"),
    ),
    Epic5Index("recommendations_userId_createdAt_idx", "recommendations", ("userId", "createdAt")),
    Epic5Index(
        "personalization_configs_userId_context_isActive_idx",
        "personalization_configs",
        ("userId", "context", "isActive"),
    ),
    Epic5Index(
        "personalization_configs_userId_avgReward_idx",
        "personalization_configs",
        ("userId", "avgReward"),
    ),
    Epic5Index(
        "study_schedule_recommendations_appliedAt_idx",
        "study_schedule_recommendations",
        ("appliedAt",),
    ),
)


@dataclass(frozen=True)
class QueryPattern:
    """A learner- (or time-) scoped query and the index meant to serve it."""

    key: str
    title: str
    index_name: str
    table: str
    sql: str
    seed_query_type: str | None = None


QUERY_PATTERNS: tuple[QueryPattern, ...] = (
    QueryPattern(
        key="user_events_by_type_time",
        title="User event filtering by type & time",
        seed_query_type="User event filtering by type & time",
        index_name="behavioral_events_userId_eventType_timestamp_idx",
        table="behavioral_events",
        sql=(
            'SELECT id, "eventType", "timestamp", "eventData" FROM behavioral_events '
            'WHERE "userId" = :user_id AND "eventType" = CAST(:event_type AS "EventType") '
            'AND "timestamp" >= :since ORDER BY "timestamp" DESC LIMIT 50'
        ),
    ),
    QueryPattern(
        key="pattern_confidence",
        title="Pattern confidence filtering",
        seed_query_type="Pattern confidence filtering",
        index_name="behavioral_patterns_userId_patternType_confidence_idx",
        table="behavioral_patterns",
        sql=(
            'SELECT id, "patternName", confidence FROM behavioral_patterns '
            'WHERE "userId" = :user_id '
            'AND "patternType" = CAST(:pattern_type AS "BehavioralPatternType") '
            "AND confidence >= :min_confidence ORDER BY confidence DESC"
        ),
    ),
    QueryPattern(
        key="high_risk_predictions",
        title="High-risk learners (pending predictions above a probability)",
        seed_query_type="High-risk student dashboard",
        index_name="struggle_predictions_userId_predictionStatus_predictedStrug_idx",
        table="struggle_predictions",
        sql=(
            'SELECT id, "learningObjectiveId", "predictedStruggleProbability" '
            'FROM struggle_predictions WHERE "userId" = :user_id '
            "AND \"predictionStatus\" = 'PENDING' "
            'AND "predictedStruggleProbability" >= :min_probability '
            'ORDER BY "predictedStruggleProbability" DESC'
        ),
    ),
    QueryPattern(
        key="recommendation_ranking",
        title="Recommendation ranking",
        seed_query_type="Recommendation ranking",
        index_name="recommendations_userId_status_priorityScore_idx",
        table="recommendations",
        sql=(
            'SELECT id, title, "priorityScore" FROM recommendations '
            "WHERE \"userId\" = :user_id AND status = 'PENDING' "
            'ORDER BY "priorityScore" DESC LIMIT 5'
        ),
    ),
    QueryPattern(
        key="personalization_config_lookup",
        title="Personalization config lookup",
        seed_query_type="Personalization config lookup",
        index_name="personalization_configs_userId_context_isActive_idx",
        table="personalization_configs",
        sql=(
            'SELECT id, "strategyVariant", "avgReward" FROM personalization_configs '
            'WHERE "userId" = :user_id '
            'AND context = CAST(:context AS "PersonalizationContext") AND "isActive"'
        ),
    ),
    QueryPattern(
        key="day_of_week_analysis",
        title="Day-of-week pattern analysis",
        seed_query_type="Day-of-week pattern analysis",
        index_name="behavioral_events_userId_dayOfWeek_idx",
        table="behavioral_events",
        sql=(
            'SELECT count(*), avg("sessionPerformanceScore") FROM behavioral_events '
            'WHERE "userId" = :user_id AND "dayOfWeek" = :day_of_week'
        ),
    ),
    QueryPattern(
        key="topic_struggle_tracking",
        title="Topic-based struggle tracking",
        seed_query_type="Topic-based struggle tracking",
        index_name="struggle_predictions_userId_topicId_predictionDate_idx",
        table="struggle_predictions",
        sql=(
            'SELECT id, "predictionDate", "predictedStruggleProbability" '
            'FROM struggle_predictions WHERE "userId" = :user_id AND "topicId" = :topic_id '
            'ORDER BY "predictionDate" DESC LIMIT 20'
        ),
    ),
    QueryPattern(
        key="hour_of_day_analysis",
        title="Hour-of-day window analysis",
        index_name="behavioral_events_userId_timeOfDay_idx",
        table="behavioral_events",
        sql=(
            'SELECT count(*), avg("sessionPerformanceScore") FROM behavioral_events '
            'WHERE "userId" = :user_id AND "timeOfDay" BETWEEN :hour_from AND :hour_to'
        ),
    ),
    QueryPattern(
        key="recent_patterns",
        title="Most recently seen patterns",
        index_name="behavioral_patterns_userId_lastSeenAt_idx",
        table="behavioral_patterns",
        sql=(
            'SELECT id, "patternType", "lastSeenAt" FROM behavioral_patterns '
            'WHERE "userId" = :user_id ORDER BY "lastSeenAt" DESC LIMIT 10'
        ),
    ),
    QueryPattern(
        key="recent_recommendations",
        title="Recent recommendations",
        index_name="recommendations_userId_createdAt_idx",
        table="recommendations",
        sql=(
            'SELECT id, title, "createdAt" FROM recommendations '
            'WHERE "userId" = :user_id AND "createdAt" >= :since ORDER BY "createdAt" DESC'
        ),
    ),
    QueryPattern(
        key="best_config_by_reward",
        title="Best personalization arm by average reward",
        index_name="personalization_configs_userId_avgReward_idx",
        table="personalization_configs",
        sql=(
            'SELECT id, "strategyVariant", "avgReward" FROM personalization_configs '
            'WHERE "userId" = :user_id ORDER BY "avgReward" DESC LIMIT 1'
        ),
    ),
    QueryPattern(
        key="recently_applied_schedules",
        title="Recently applied schedule recommendations",
        index_name="study_schedule_recommendations_appliedAt_idx",
        table="study_schedule_recommendations",
        sql=(
            'SELECT id, "userId", "appliedAt" FROM study_schedule_recommendations '
            'WHERE "appliedAt" >= :since ORDER BY "appliedAt" DESC LIMIT 100'
        ),
    ),
)
