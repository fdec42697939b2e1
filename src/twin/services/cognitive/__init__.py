"""Cognitive load, burnout risk and stress (ENGINE.md 5.4): the service layer, one package.

The analyses live in :mod:`twin.analysis.cognitive` (pure, no clock); each module here
reads their inputs, calls them and writes the results, along the same seams:

- :mod:`~twin.services.cognitive.load`: session loads (ingestion hook, explicit
  calculation, backfill), ``cognitive_load_metrics``, COGNITIVE_OVERLOAD indicators,
  current load and history;
- :mod:`~twin.services.cognitive.burnout`: ``burnout_risk_assessments``;
- :mod:`~twin.services.cognitive.stress`: ``stress_response_patterns`` and the profile;
- :mod:`~twin.services.cognitive.difficulty`, :mod:`~twin.services.cognitive.load_performance`;
- :mod:`~twin.services.cognitive.summaries` (past sessions, shared by the three above),
  :mod:`~twin.services.cognitive.profile` (``learner_load_profiles``).

Per-learner advisory locks (:class:`twin.learners.LearnerLock`) serialise load writes
and make burnout assessments and stress refreshes happen once when job ticks or
requests overlap. The names below are the package's entry points.
"""

from twin.services.cognitive.burnout import (
    BurnoutView,
    assess_burnout,
    burnout_risk,
    daily_burnout_assessment,
    latest_burnout,
)
from twin.services.cognitive.common import active_learners
from twin.services.cognitive.difficulty import DifficultyView, difficulty_adjustment
from twin.services.cognitive.load import (
    BACKFILL_CHUNK_SESSIONS,
    NO_OBJECTIVE_ID,
    CurrentLoad,
    ExplicitLoadData,
    LoadHistory,
    SessionReading,
    StoredReading,
    calculate_load,
    current_load,
    ensure_session_loads,
    load_history,
    on_batch_ingested,
    on_session_activity,
    record_session_loads,
    touched_session_ids,
)
from twin.services.cognitive.load_performance import (
    LoadPerformanceView,
    SessionWindow,
    load_performance,
)
from twin.services.cognitive.profile import load_profile, update_mean_load_7d
from twin.services.cognitive.stress import (
    StoredStressPattern,
    StressAnalysis,
    StressPatternsView,
    StressProfileView,
    refresh_stress,
    stress_patterns,
    stress_profile_view,
    weekly_stress_refresh,
)

__all__ = [
    "BACKFILL_CHUNK_SESSIONS",
    "NO_OBJECTIVE_ID",
    "BurnoutView",
    "CurrentLoad",
    "DifficultyView",
    "ExplicitLoadData",
    "LoadHistory",
    "LoadPerformanceView",
    "SessionReading",
    "SessionWindow",
    "StoredReading",
    "StoredStressPattern",
    "StressAnalysis",
    "StressPatternsView",
    "StressProfileView",
    "active_learners",
    "assess_burnout",
    "burnout_risk",
    "calculate_load",
    "current_load",
    "daily_burnout_assessment",
    "difficulty_adjustment",
    "ensure_session_loads",
    "latest_burnout",
    "load_history",
    "load_performance",
    "load_profile",
    "on_batch_ingested",
    "on_session_activity",
    "record_session_loads",
    "refresh_stress",
    "stress_patterns",
    "stress_profile_view",
    "touched_session_ids",
    "update_mean_load_7d",
    "weekly_stress_refresh",
]
