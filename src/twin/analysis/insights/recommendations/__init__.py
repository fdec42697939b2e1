"""Recommendations (ENGINE.md 5.6): candidates from every capability, their priority, the selection.

**Templates.** Each recommendation type has an impact and an ease base (ENGINE.md):
study time 0.85 / 0.70, duration 0.75 / 0.90, content 0.65 / 0.75, retention 0.80 / 0.60,
consistency 0.70 / 0.65, experiment 0.60 / 0.50. A recommendation made from a struggle
intervention (5.2) instead has confidence = intervention priority / 10, impact 0.8 and
ease 0.6.

**Priority.** ``priorityScore = 0.3·confidence + 0.4·impact + 0.2·ease + 0.1·readiness``.

- *impact* is the template base, learned from the learner's own measured outcomes of
  that type (this is how "types that worked for the learner rank higher"):
  ``impact = (2·base + Σ outcome values) / (2 + n)`` over the n evaluated applications of
  the type, with IMPROVED = 1, NEUTRAL = 0.5, DECLINED = 0 — the base counts as two
  prior outcomes, so one IMPROVED lifts 0.85 to 0.90 and one DECLINED drops it to 0.57.
- *readiness* (0–1) is how ready the learner is to act on it now:
  ``0.5·capacity + 0.5·receptiveness``; capacity = 1 − strain / 100, strain = the latest
  burnout risk (0–100), else the 7-day mean cognitive load, else 0 (no sign of strain),
  and 1 for advice that relieves strain (rest, shorter sessions); receptiveness =
  ``(applied + 1) / (applied + dismissed + 2)`` for the type (Laplace: 0.5 with no
  history). With nothing known, readiness = 0.75.

**Sources** (each candidate carries its evidence and source ids): patterns (confidence
≥ 0.7) and the insights made from them; struggle interventions; burnout (MEDIUM or worse)
and the 7-day load (≥ 60); schedule slots and the adherence to accepted slots;
personalization that measurably helped in a context; experiment winners the learner is
not already following. At burnout HIGH or CRITICAL only strain-relieving candidates are
made (advice never contradicts a HIGH/CRITICAL warning, 5.4).

**Identity.** Each candidate has a stable ``key`` (type + what it is about, e.g.
``STUDY_TIME_OPTIMIZATION:OPTIMAL_STUDY_TIME:hour=07`` or
``RETENTION_STRATEGY:intervention:SPACED_REPETITION_BOOST:<objective id>``), so the same
advice is recognised across runs whatever new row ids the sources got.

**Selection** (:func:`select_new`): never a key that is open (PENDING / VIEWED), was
dismissed (remembered for good) or is being evaluated; among the rest, highest priority
first (ties by key), added while the learner has fewer than 5 open recommendations and
fewer than 2 of that type, counting the open ones. :func:`top_pending` applies the same
limits to what is shown.

The package follows those seams: :mod:`.templates` (bases, type maps, formulas),
:mod:`.signals` (what each source provides), :mod:`.candidates` (drafts and scoring),
:mod:`.selection` (what to create and what to show).
"""

from twin.analysis.insights.recommendations.candidates import (
    RecommendationCandidate,
    generate_candidates,
    pattern_key,
    strain,
)
from twin.analysis.insights.recommendations.selection import (
    MAX_PENDING,
    MAX_PER_TYPE,
    OpenRecommendation,
    select_new,
    top_pending,
)
from twin.analysis.insights.recommendations.signals import (
    BURNOUT_RECOMMEND_FROM,
    HIGH_LOAD_FROM,
    HOLD_BACK_AT_BURNOUT,
    INTERVENTION_EASE,
    INTERVENTION_IMPACT,
    INTERVENTION_PRIORITY_SCALE,
    MIN_PATTERN_CONFIDENCE,
    AdherenceSignal,
    BurnoutSignal,
    ExperimentWinnerSignal,
    InsightSignal,
    InterventionSignal,
    LoadSignal,
    PatternSignal,
    PersonalizationSignal,
    RecommendationSources,
    ScheduleSlotSignal,
    next_level,
    personalization_signal,
)
from twin.analysis.insights.recommendations.templates import (
    CONFIDENCE_WEIGHT,
    EASE_WEIGHT,
    IMPACT_WEIGHT,
    OUTCOME_VALUE,
    READINESS_WEIGHT,
    TEMPLATES,
    TYPE_BY_INSIGHT,
    TYPE_BY_INTERVENTION,
    TYPE_BY_PATTERN,
    RecommendationRecord,
    Template,
    TypeHistory,
    learned_impact,
    priority_score,
    readiness,
    receptiveness,
    type_histories,
)

__all__ = [
    "BURNOUT_RECOMMEND_FROM",
    "CONFIDENCE_WEIGHT",
    "EASE_WEIGHT",
    "HIGH_LOAD_FROM",
    "HOLD_BACK_AT_BURNOUT",
    "IMPACT_WEIGHT",
    "INTERVENTION_EASE",
    "INTERVENTION_IMPACT",
    "INTERVENTION_PRIORITY_SCALE",
    "MAX_PENDING",
    "MAX_PER_TYPE",
    "MIN_PATTERN_CONFIDENCE",
    "OUTCOME_VALUE",
    "READINESS_WEIGHT",
    "TEMPLATES",
    "TYPE_BY_INSIGHT",
    "TYPE_BY_INTERVENTION",
    "TYPE_BY_PATTERN",
    "AdherenceSignal",
    "BurnoutSignal",
    "ExperimentWinnerSignal",
    "InsightSignal",
    "InterventionSignal",
    "LoadSignal",
    "OpenRecommendation",
    "PatternSignal",
    "PersonalizationSignal",
    "RecommendationCandidate",
    "RecommendationRecord",
    "RecommendationSources",
    "ScheduleSlotSignal",
    "Template",
    "TypeHistory",
    "generate_candidates",
    "learned_impact",
    "next_level",
    "pattern_key",
    "personalization_signal",
    "priority_score",
    "readiness",
    "receptiveness",
    "select_new",
    "strain",
    "top_pending",
    "type_histories",
]
