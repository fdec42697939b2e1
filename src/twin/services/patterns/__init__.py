"""Learning-pattern recognition (ENGINE.md 5.1): load a learner's inputs, analyse, write the twin.

The package: :mod:`.analyze` (gates and one run), :mod:`.loading` (the queries and the
counts), :mod:`.writing` (lifecycle, insights, profile), :mod:`.views` (reads, the forgetting curve's points, deletion).

One analysis of one learner (:func:`analyze_user`), in the caller's transaction:

1. **Gates.** ``behavioralAnalysisEnabled = false`` → :class:`~twin.errors.Forbidden`.
   A transaction-level advisory lock per learner (``LearnerLock.PATTERN_ANALYSIS``,
   :mod:`twin.learners`) makes concurrent analyses of one learner impossible: a request
   that finds it taken gets :class:`~twin.errors.Conflict`, a scheduled run skips.
   On request, at most one run a day unless 10 sessions arrived since ``lastAnalyzedAt``
   or a service forces it (``Conflict`` says when the next run is allowed).
2. **Sufficiency** from three counts (completed sessions, the data span from the first to
   the last session or review, reviews). Below
   the minimums of a full analysis (6 weeks, 20 sessions, 50 reviews) the answer is
   ``insufficient_data`` with the progress towards each minimum, and **nothing is
   stored** — no patterns, no insights, no profile: a profile built from a handful of
   sessions would be shown as if it meant something. (The memory model is still
   refreshed: it has its own minimum.) ``GET learning-profile`` answers the same
   progress from the counts.
3. **Load** (:func:`load_learner_data`), a few set-based queries:

   * completed sessions with their mission (objectives planned), objective completions,
     validation count and score sum, and the ``SESSION_STARTED``/``SESSION_ENDED``
     events (content type, engagement, content minutes); local start time in the
     learner's IANA zone (``users.timezone``);
   * every review with ``LAG(reviewedAt) OVER (PARTITION BY cardId ORDER BY reviewedAt)``
     (plus the previous rating and the review's ordinal on its card, for the first
     repeats the forgetting curve is fitted on) and its objective's complexity. In
     Python they become, per session, performance =
     100 × (GOOD/EASY reviews + Σ validation scores) / (reviews + validations);
     retention = share of the session's *repeat* reviews recalled (rating ≠ AGAIN; the
     log does not record when each card was due, so a repeat review stands in for a due
     one); completion = objectives completed / planned (sessions without a mission have
     none); engagement = ``SESSION_ENDED.eventData.engagementScore`` (0-100), else its
     ``engagementLevel`` (LOW 25 / MEDIUM 60 / HIGH 90), else none; review marks (minute
     in session, recalled) for attention; complexity = the most common complexity of
     the session's reviewed objectives. Repeat reviews become ``ReviewObs`` (elapsed
     days from the LAG). Sessions with neither reviews nor validations have no
     performance and are left out.
   * **Content** (``ContentObs``): a session is attributed to its primary content type
     (the content type of its session events, else the type with most minutes in
     ``contentMinutes``); a type's outcomes are the means over its sessions, its minutes
     the sum of ``contentMinutes`` over all sessions. Attributing items instead (reviews
     → flashcard, validations → validation / clinical_reasoning by ``promptType``)
     cannot tell formats apart: every review is a flashcard whatever the session was
     about, and lectures have no scored items. That item-level view is the fallback
     when no session carries a content type.
4. **Analyse** with :func:`twin.analysis.patterns.profile.analyze_learner`
   (``style_profiling = users.learningStyleProfilingEnabled``).
5. **Write**: the pattern lifecycle (:func:`~twin.analysis.patterns.lifecycle.plan_lifecycle`
   on the stored patterns; ``key`` and ``consecutiveMisses`` live in ``patternData``);
   ≤ 5 new insights (:func:`~twin.analysis.patterns.insights.generate_insights`, skipping
   the keys of unacknowledged insights: :func:`open_insight_keys`) with their
   ``insight_patterns`` and their key in ``insight_keys`` (so the key outlives the
   pattern, which the lifecycle may delete while the insight is still open); the ``user_learning_profiles`` row (upsert, ``lastAnalyzedAt``,
   ``dataQualityScore``). With style profiling off no content preference or
   learning-style profile is stored, and stored content-preference patterns are deleted.

All times given to this module may be aware or naive-UTC; they are stored naive UTC.
"""

from twin.services.patterns.analyze import (
    STATUS_ANALYZED,
    STATUS_INSUFFICIENT,
    STATUS_NOT_ANALYZED,
    STATUS_SKIPPED,
    TRIGGER_REQUEST,
    TRIGGER_SCHEDULED,
    AnalysisOutcome,
    PatternCounts,
    analysis_user,
    analyze_user,
    require_analysis_enabled,
)
from twin.services.patterns.loading import (
    DataCounts,
    LoadedData,
    LoadedSessions,
    data_counts,
    load_learner_data,
    load_sessions,
)
from twin.services.patterns.views import (
    DEFAULT_HEATMAP_WEEKS,
    HeatmapView,
    InsightView,
    PatternView,
    ProfileView,
    acknowledge_insight,
    delete_patterns,
    forgetting_points,
    insight_patterns,
    learning_profile,
    list_patterns,
    open_insight_views,
    open_insights,
    study_time_heatmap,
)
from twin.services.patterns.writing import (
    PATTERN_DATA_KEY,
    PATTERN_DATA_MISSES,
    linked_insight_keys,
    open_insight_keys,
    pattern_key,
    stored_insight_keys,
)

__all__ = [
    "DEFAULT_HEATMAP_WEEKS",
    "PATTERN_DATA_KEY",
    "PATTERN_DATA_MISSES",
    "STATUS_ANALYZED",
    "STATUS_INSUFFICIENT",
    "STATUS_NOT_ANALYZED",
    "STATUS_SKIPPED",
    "TRIGGER_REQUEST",
    "TRIGGER_SCHEDULED",
    "AnalysisOutcome",
    "DataCounts",
    "HeatmapView",
    "InsightView",
    "LoadedData",
    "LoadedSessions",
    "PatternCounts",
    "PatternView",
    "ProfileView",
    "acknowledge_insight",
    "analysis_user",
    "analyze_user",
    "data_counts",
    "delete_patterns",
    "forgetting_points",
    "insight_patterns",
    "learning_profile",
    "linked_insight_keys",
    "list_patterns",
    "load_learner_data",
    "load_sessions",
    "open_insight_keys",
    "open_insight_views",
    "open_insights",
    "pattern_key",
    "require_analysis_enabled",
    "stored_insight_keys",
    "study_time_heatmap",
]
