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
"""
# size: templates, candidates and selection of recommendations in one module for now;
# to be split along those seams when the insights service lands (issue 19).

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from twin.analysis.insights.common import (
    SourceKind,
    SourceRef,
    check_percent,
    check_unit,
    clip01,
    rounded,
)
from twin.analysis.insights.evaluation import Verdict
from twin.analysis.patterns.common import DetectedPattern
from twin.analysis.patterns.insights import TEXT_BY_PATTERN
from twin.enums import (
    BehavioralPatternType,
    BurnoutRiskLevel,
    InsightType,
    InterventionType,
    PersonalizationContext,
    PersonalizationLevel,
    RecommendationType,
)

# --- priority ----------------------------------------------------------------------------
CONFIDENCE_WEIGHT = 0.3
IMPACT_WEIGHT = 0.4
EASE_WEIGHT = 0.2
READINESS_WEIGHT = 0.1

# --- readiness ---------------------------------------------------------------------------
CAPACITY_WEIGHT = 0.5
RECEPTIVENESS_WEIGHT = 0.5
RECEPTIVENESS_PRIOR_APPLIED = 1.0  # Laplace: one imagined application …
RECEPTIVENESS_PRIOR_TOTAL = 2.0  # … and one imagined dismissal
STRAIN_MAX = 100.0

# --- learned impact ----------------------------------------------------------------------
IMPACT_PRIOR_OUTCOMES = 2.0  # the template base counts as this many outcomes
OUTCOME_VALUE: dict[Verdict, float] = {
    Verdict.IMPROVED: 1.0,
    Verdict.NEUTRAL: 0.5,
    Verdict.DECLINED: 0.0,
}

# --- sources -----------------------------------------------------------------------------
MIN_PATTERN_CONFIDENCE = 0.7
INTERVENTION_PRIORITY_SCALE = 10.0
INTERVENTION_IMPACT = 0.8
INTERVENTION_EASE = 0.6
BURNOUT_RECOMMEND_FROM = BurnoutRiskLevel.MEDIUM
HOLD_BACK_AT_BURNOUT = frozenset({BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL})
HIGH_LOAD_FROM = 60.0  # 7-day mean load at which shorter sessions are recommended (5.4 HIGH)
LOW_ADHERENCE_BELOW = 0.5  # share of accepted slots actually kept
MIN_PLANNED_FOR_ADHERENCE = 4  # accepted slots before adherence is judged
MAX_SLOT_CANDIDATES = 1  # the schedule's best slot is the recommendation; the rest are in 5.3

# --- selection ---------------------------------------------------------------------------
MAX_PENDING = 5
MAX_PER_TYPE = 2


@dataclass(frozen=True)
class Template:
    """Impact and ease bases of a recommendation type, and its short label."""

    recommendation_type: RecommendationType
    impact: float
    ease: float
    label: str


TEMPLATES: dict[RecommendationType, Template] = {
    t.recommendation_type: t
    for t in (
        Template(RecommendationType.STUDY_TIME_OPTIMIZATION, 0.85, 0.70, "study time"),
        Template(RecommendationType.SESSION_DURATION_ADJUSTMENT, 0.75, 0.90, "session length"),
        Template(RecommendationType.CONTENT_TYPE_BALANCE, 0.65, 0.75, "content mix"),
        Template(RecommendationType.RETENTION_STRATEGY, 0.80, 0.60, "retention"),
        Template(RecommendationType.CONSISTENCY_BUILDING, 0.70, 0.65, "consistency"),
        Template(RecommendationType.EXPERIMENTAL_SUGGESTION, 0.60, 0.50, "experiment"),
    )
}

TYPE_BY_PATTERN: dict[BehavioralPatternType, RecommendationType] = {
    BehavioralPatternType.OPTIMAL_STUDY_TIME: RecommendationType.STUDY_TIME_OPTIMIZATION,
    BehavioralPatternType.PERFORMANCE_PEAK: RecommendationType.STUDY_TIME_OPTIMIZATION,
    BehavioralPatternType.SESSION_DURATION_PREFERENCE: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    BehavioralPatternType.ATTENTION_CYCLE: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    BehavioralPatternType.CONTENT_TYPE_PREFERENCE: RecommendationType.CONTENT_TYPE_BALANCE,
    BehavioralPatternType.FORGETTING_CURVE: RecommendationType.RETENTION_STRATEGY,
}
TYPE_BY_INSIGHT: dict[InsightType, RecommendationType] = {
    InsightType.STUDY_TIME_OPTIMIZATION: RecommendationType.STUDY_TIME_OPTIMIZATION,
    InsightType.SESSION_LENGTH_ADJUSTMENT: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InsightType.CONTENT_PREFERENCE: RecommendationType.CONTENT_TYPE_BALANCE,
    InsightType.RETENTION_STRATEGY: RecommendationType.RETENTION_STRATEGY,
}
# What an intervention changes: spacing and prerequisites → retention; breaks, load and focus
# → session length; format, variation and difficulty ramp → the content mix.
TYPE_BY_INTERVENTION: dict[InterventionType, RecommendationType] = {
    InterventionType.PREREQUISITE_REVIEW: RecommendationType.RETENTION_STRATEGY,
    InterventionType.SPACING_ADJUSTMENT: RecommendationType.RETENTION_STRATEGY,
    InterventionType.SPACED_REPETITION_BOOST: RecommendationType.RETENTION_STRATEGY,
    InterventionType.BREAK_RECOMMENDATION: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.BREAK_SCHEDULE_ADJUST: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.COGNITIVE_LOAD_REDUCE: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.FOCUS_SESSION: RecommendationType.SESSION_DURATION_ADJUSTMENT,
    InterventionType.CONTENT_VARIATION: RecommendationType.CONTENT_TYPE_BALANCE,
    InterventionType.CONTENT_FORMAT_ADAPT: RecommendationType.CONTENT_TYPE_BALANCE,
    InterventionType.DIFFICULTY_PROGRESSION: RecommendationType.CONTENT_TYPE_BALANCE,
}
# Interventions that lighten the learner's load are allowed (and fully "affordable") under strain.
STRAIN_RELIEVING_INTERVENTIONS = frozenset(
    {
        InterventionType.BREAK_RECOMMENDATION,
        InterventionType.BREAK_SCHEDULE_ADJUST,
        InterventionType.COGNITIVE_LOAD_REDUCE,
    }
)
TYPE_BY_PERSONALIZATION_CONTEXT: dict[PersonalizationContext, RecommendationType] = {
    PersonalizationContext.MISSION: RecommendationType.EXPERIMENTAL_SUGGESTION,
    PersonalizationContext.CONTENT: RecommendationType.CONTENT_TYPE_BALANCE,
    PersonalizationContext.ASSESSMENT: RecommendationType.RETENTION_STRATEGY,
    PersonalizationContext.SESSION: RecommendationType.SESSION_DURATION_ADJUSTMENT,
}
_LEVEL_RANK: dict[PersonalizationLevel, int] = {
    PersonalizationLevel.NONE: 0,
    PersonalizationLevel.LOW: 1,
    PersonalizationLevel.MEDIUM: 2,
    PersonalizationLevel.HIGH: 3,
}
_BURNOUT_RANK: dict[BurnoutRiskLevel, int] = {
    BurnoutRiskLevel.LOW: 0,
    BurnoutRiskLevel.MEDIUM: 1,
    BurnoutRiskLevel.HIGH: 2,
    BurnoutRiskLevel.CRITICAL: 3,
}


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternSignal:
    """A stored pattern (``behavioral_patterns``): id, type, identity key, confidence, data."""

    pattern_id: str
    pattern_type: BehavioralPatternType
    key: str
    name: str
    confidence: float
    evidence: tuple[str, ...] = ()
    data: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class InsightSignal:
    """A stored insight (``behavioral_insights``) and the ids of its linked patterns (primary first)."""

    insight_id: str
    insight_type: InsightType
    title: str
    description: str
    actionable_text: str
    confidence: float
    pattern_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class InterventionSignal:
    """A pending struggle intervention (``intervention_recommendations``, 5.2)."""

    intervention_id: str
    prediction_id: str
    objective_id: str
    objective_name: str
    intervention_type: InterventionType
    priority: int
    description: str
    reasoning: str

    def __post_init__(self) -> None:
        if not 0 <= self.priority <= INTERVENTION_PRIORITY_SCALE:
            raise ValueError(f"priority must be in [0, 10], got {self.priority}")


@dataclass(frozen=True)
class BurnoutSignal:
    """The latest burnout assessment (5.4)."""

    assessment_id: str
    risk_score: float
    level: BurnoutRiskLevel
    confidence: float
    advice: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_percent("risk_score", self.risk_score)
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class LoadSignal:
    """The learner's load profile (5.4): 7-day mean load, its sessions, and the confidence."""

    profile_id: str
    mean_load_7d: float
    sessions_7d: int
    confidence: float
    load_tolerance: float | None = None

    def __post_init__(self) -> None:
        check_percent("mean_load_7d", self.mean_load_7d)
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class ScheduleSlotSignal:
    """A proposed study slot (``study_schedule_recommendations``, 5.3) with its 0–100 score."""

    schedule_recommendation_id: str
    weekday: int
    start_hour: int
    label: str
    score: float
    confidence: float
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_percent("score", self.score)
        check_unit("confidence", self.confidence)
        if not (0 <= self.weekday <= 6 and 0 <= self.start_hour <= 23):
            raise ValueError("weekday must be 0–6 and start_hour 0–23")


@dataclass(frozen=True)
class AdherenceSignal:
    """How many accepted slots were kept over a window (5.3 effectiveness)."""

    window_id: str
    accepted: int
    kept: int
    window_days: int
    confidence: float

    def __post_init__(self) -> None:
        if not 0 <= self.kept <= self.accepted:
            raise ValueError("kept must be in [0, accepted]")
        check_unit("confidence", self.confidence)

    @property
    def rate(self) -> float:
        """Kept / accepted (0 with nothing accepted)."""
        return self.kept / self.accepted if self.accepted else 0.0


@dataclass(frozen=True)
class PersonalizationSignal:
    """Personalization effectiveness in one context (5.5): improvement with its 95% interval."""

    effectiveness_id: str
    context: PersonalizationContext
    current_level: PersonalizationLevel
    suggested_level: PersonalizationLevel
    improvement: float
    ci_low: float
    ci_high: float
    sample_size: int
    confidence: float

    def __post_init__(self) -> None:
        check_unit("confidence", self.confidence)


@dataclass(frozen=True)
class ExperimentWinnerSignal:
    """A finished experiment with a winner (5.5) and the variant the learner is in, if any."""

    experiment_id: str
    name: str
    winning_variant: str
    change_description: str
    metric: str
    relative_lift: float
    ci_low: float
    ci_high: float
    chance_to_win: float
    learner_variant: str | None = None

    def __post_init__(self) -> None:
        check_unit("chance_to_win", self.chance_to_win)


@dataclass(frozen=True)
class TypeHistory:
    """The learner's record with one recommendation type."""

    applied: int = 0
    dismissed: int = 0
    improved: int = 0
    neutral: int = 0
    declined: int = 0

    @property
    def evaluated(self) -> int:
        """Applications with a measured outcome."""
        return self.improved + self.neutral + self.declined


@dataclass(frozen=True)
class RecommendationRecord:
    """One past recommendation of the learner: type, whether applied / dismissed, its verdict."""

    recommendation_type: RecommendationType
    applied: bool = False
    dismissed: bool = False
    verdict: Verdict | None = None


@dataclass(frozen=True)
class RecommendationSources:
    """Everything the engine currently knows that can become a recommendation."""

    patterns: tuple[PatternSignal, ...] = ()
    insights: tuple[InsightSignal, ...] = ()
    interventions: tuple[InterventionSignal, ...] = ()
    burnout: BurnoutSignal | None = None
    load: LoadSignal | None = None
    schedule_slots: tuple[ScheduleSlotSignal, ...] = ()
    adherence: AdherenceSignal | None = None
    personalization: tuple[PersonalizationSignal, ...] = ()
    experiment_winners: tuple[ExperimentWinnerSignal, ...] = ()


# --- outputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationCandidate:
    """A recommendation ready for ``recommendations``, with its identity, evidence and sources."""

    key: str
    recommendation_type: RecommendationType
    title: str
    description: str
    actionable_text: str
    confidence: float
    estimated_impact: float
    ease_of_implementation: float
    user_readiness: float
    priority_score: float
    sources: tuple[SourceRef, ...]
    evidence: tuple[str, ...]

    @property
    def source_pattern_ids(self) -> list[str]:
        """The ``sourcePatternIds`` column."""
        return [s.id for s in self.sources if s.kind is SourceKind.PATTERN]

    @property
    def source_insight_ids(self) -> list[str]:
        """The ``sourceInsightIds`` column."""
        return [s.id for s in self.sources if s.kind is SourceKind.INSIGHT]

    def to_row(self) -> dict[str, object]:
        """Column name → value for ``recommendations`` (status PENDING is the column default)."""
        return {
            "recommendationType": self.recommendation_type,
            "title": self.title,
            "description": self.description,
            "actionableText": self.actionable_text,
            "confidence": self.confidence,
            "estimatedImpact": self.estimated_impact,
            "easeOfImplementation": self.ease_of_implementation,
            "userReadiness": self.user_readiness,
            "priorityScore": self.priority_score,
            "sourcePatternIds": self.source_pattern_ids,
            "sourceInsightIds": self.source_insight_ids,
        }


@dataclass(frozen=True)
class OpenRecommendation:
    """A stored recommendation that is still open (PENDING or VIEWED, not applied)."""

    key: str
    recommendation_type: RecommendationType
    priority_score: float


# --- formulas ----------------------------------------------------------------------------


def priority_score(confidence: float, impact: float, ease: float, readiness: float) -> float:
    """``0.3·confidence + 0.4·impact + 0.2·ease + 0.1·readiness``."""
    return (
        CONFIDENCE_WEIGHT * confidence
        + IMPACT_WEIGHT * impact
        + EASE_WEIGHT * ease
        + READINESS_WEIGHT * readiness
    )


def learned_impact(base: float, history: TypeHistory) -> float:
    """``(2·base + Σ outcome values) / (2 + n)``: the base, moved by the learner's measured outcomes."""
    total = (
        history.improved * OUTCOME_VALUE[Verdict.IMPROVED]
        + history.neutral * OUTCOME_VALUE[Verdict.NEUTRAL]
        + history.declined * OUTCOME_VALUE[Verdict.DECLINED]
    )
    return (IMPACT_PRIOR_OUTCOMES * base + total) / (IMPACT_PRIOR_OUTCOMES + history.evaluated)


def receptiveness(history: TypeHistory) -> float:
    """``(applied + 1) / (applied + dismissed + 2)``: how often the learner acts on this type."""
    return (history.applied + RECEPTIVENESS_PRIOR_APPLIED) / (
        history.applied + history.dismissed + RECEPTIVENESS_PRIOR_TOTAL
    )


def strain(burnout: BurnoutSignal | None, load: LoadSignal | None) -> float:
    """0–100: the burnout risk, else the 7-day mean load, else 0."""
    if burnout is not None:
        return burnout.risk_score
    if load is not None:
        return load.mean_load_7d
    return 0.0


def readiness(history: TypeHistory, strain_0_100: float, *, relieves_strain: bool) -> float:
    """``0.5·capacity + 0.5·receptiveness``; capacity = 1 − strain/100 (1 for strain relief)."""
    capacity = 1.0 if relieves_strain else clip01(1.0 - strain_0_100 / STRAIN_MAX)
    return CAPACITY_WEIGHT * capacity + RECEPTIVENESS_WEIGHT * receptiveness(history)


def type_histories(
    records: Sequence[RecommendationRecord],
) -> dict[RecommendationType, TypeHistory]:
    """Counts per type from the learner's past recommendations."""
    counts: dict[RecommendationType, list[int]] = {}
    for r in records:
        c = counts.setdefault(r.recommendation_type, [0, 0, 0, 0, 0])
        c[0] += r.applied
        c[1] += r.dismissed
        if r.verdict is Verdict.IMPROVED:
            c[2] += 1
        elif r.verdict is Verdict.NEUTRAL:
            c[3] += 1
        elif r.verdict is Verdict.DECLINED:
            c[4] += 1
    return {t: TypeHistory(*c) for t, c in counts.items()}


# --- candidates --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Draft:
    """A candidate before scoring."""

    key: str
    rtype: RecommendationType
    title: str
    description: str
    action: str
    confidence: float
    sources: tuple[SourceRef, ...]
    evidence: tuple[str, ...]
    impact_base: float | None = None
    ease: float | None = None
    relieves_strain: bool = False


def _as_detected(p: PatternSignal) -> DetectedPattern:
    return DetectedPattern(
        pattern_type=BehavioralPatternType(str(p.pattern_type)),
        key=p.key,
        name=p.name,
        confidence=p.confidence,
        evidence=p.evidence,
        data=dict(p.data),
    )


def pattern_key(rtype: RecommendationType, pattern_type: BehavioralPatternType, key: str) -> str:
    """Identity of the recommendation about one pattern."""
    return f"{rtype}:{pattern_type}:{key}"


def _from_patterns(sources: RecommendationSources) -> list[_Draft]:
    eligible = {p.pattern_id: p for p in sources.patterns if p.confidence >= MIN_PATTERN_CONFIDENCE}
    drafts: list[_Draft] = []
    covered: set[str] = set()
    for ins in sorted(sources.insights, key=lambda i: i.insight_id):
        if ins.confidence < MIN_PATTERN_CONFIDENCE:
            continue
        rtype = TYPE_BY_INSIGHT[ins.insight_type]
        linked = [eligible[i] for i in ins.pattern_ids if i in eligible]
        covered.update(p.pattern_id for p in linked)
        primary = linked[0] if linked else None
        key = (
            pattern_key(rtype, primary.pattern_type, primary.key)
            if primary is not None
            else f"{rtype}:insight:{ins.insight_id}"
        )
        evidence = [f"Insight confidence {ins.confidence:.2f}: {ins.description}"]
        for p in linked:
            evidence.append(f"Pattern '{p.name}' (confidence {p.confidence:.2f})")
            evidence.extend(p.evidence)
        drafts.append(
            _Draft(
                key=key,
                rtype=rtype,
                title=ins.title,
                description=ins.description,
                action=ins.actionable_text,
                confidence=ins.confidence,
                sources=(
                    SourceRef(SourceKind.INSIGHT, ins.insight_id),
                    *(SourceRef(SourceKind.PATTERN, p.pattern_id) for p in linked),
                ),
                evidence=tuple(evidence),
            )
        )
    for p in sorted(eligible.values(), key=lambda p: p.pattern_id):
        if p.pattern_id in covered:
            continue
        rtype = TYPE_BY_PATTERN[p.pattern_type]
        title, description, action = TEXT_BY_PATTERN[BehavioralPatternType(str(p.pattern_type))](
            _as_detected(p)
        )
        drafts.append(
            _Draft(
                key=pattern_key(rtype, p.pattern_type, p.key),
                rtype=rtype,
                title=title,
                description=description,
                action=action,
                confidence=p.confidence,
                sources=(SourceRef(SourceKind.PATTERN, p.pattern_id),),
                evidence=(f"Pattern '{p.name}' (confidence {p.confidence:.2f})", *p.evidence),
            )
        )
    return drafts


def _from_interventions(sources: RecommendationSources) -> list[_Draft]:
    drafts = []
    for iv in sorted(sources.interventions, key=lambda i: (-i.priority, i.intervention_id)):
        rtype = TYPE_BY_INTERVENTION[iv.intervention_type]
        drafts.append(
            _Draft(
                key=f"{rtype}:intervention:{iv.intervention_type}:{iv.objective_id}",
                rtype=rtype,
                title=f"Before {iv.objective_name}: {iv.intervention_type.replace('_', ' ').lower()}",
                description=f"You are predicted to struggle with {iv.objective_name}. {iv.reasoning}",
                action=iv.description,
                confidence=iv.priority / INTERVENTION_PRIORITY_SCALE,
                sources=(
                    SourceRef(SourceKind.INTERVENTION, iv.intervention_id),
                    SourceRef(SourceKind.STRUGGLE_PREDICTION, iv.prediction_id),
                ),
                evidence=(
                    f"Struggle intervention {iv.intervention_type} (priority {iv.priority}/10)",
                    iv.reasoning,
                ),
                impact_base=INTERVENTION_IMPACT,
                ease=INTERVENTION_EASE,
                relieves_strain=iv.intervention_type in STRAIN_RELIEVING_INTERVENTIONS,
            )
        )
    return drafts


def _from_strain(sources: RecommendationSources) -> list[_Draft]:
    drafts = []
    b = sources.burnout
    if b is not None and _BURNOUT_RANK[b.level] >= _BURNOUT_RANK[BURNOUT_RECOMMEND_FROM]:
        advice = b.advice[0] if b.advice else "Plan two recovery days a week."
        drafts.append(
            _Draft(
                key=f"{RecommendationType.CONSISTENCY_BUILDING}:burnout",
                rtype=RecommendationType.CONSISTENCY_BUILDING,
                title="Build a rhythm you can sustain",
                description=(
                    f"Your burnout risk is {b.level} ({b.risk_score:.0f}/100 over the last 14 days). "
                    "Steady, lighter study with recovery days protects what you have learned."
                ),
                action=advice,
                confidence=b.confidence,
                sources=(SourceRef(SourceKind.BURNOUT_ASSESSMENT, b.assessment_id),),
                evidence=(
                    f"Burnout risk {b.risk_score:.1f}/100 ({b.level}), confidence {b.confidence:.2f}",
                    *b.advice,
                ),
                relieves_strain=True,
            )
        )
    ld = sources.load
    if ld is not None and ld.mean_load_7d >= HIGH_LOAD_FROM:
        drafts.append(
            _Draft(
                key=f"{RecommendationType.SESSION_DURATION_ADJUSTMENT}:load",
                rtype=RecommendationType.SESSION_DURATION_ADJUSTMENT,
                title="Shorter sessions while your load is high",
                description=(
                    f"Your mean cognitive load over the last 7 days is {ld.mean_load_7d:.0f}/100 "
                    f"({ld.sessions_7d} sessions), in the HIGH band."
                ),
                action="Split long sessions in two and take a 5-minute break every 25 minutes.",
                confidence=ld.confidence,
                sources=(SourceRef(SourceKind.LOAD_PROFILE, ld.profile_id),),
                evidence=(
                    f"7-day mean load {ld.mean_load_7d:.1f}/100 over {ld.sessions_7d} sessions "
                    f"(HIGH from {HIGH_LOAD_FROM:.0f})",
                ),
                relieves_strain=True,
            )
        )
    return drafts


def _from_schedule(sources: RecommendationSources) -> list[_Draft]:
    drafts = []
    best = sorted(
        sources.schedule_slots,
        key=lambda s: (-s.score, -s.confidence, s.schedule_recommendation_id),
    )[:MAX_SLOT_CANDIDATES]
    for s in best:
        drafts.append(
            _Draft(
                key=f"{RecommendationType.STUDY_TIME_OPTIMIZATION}:slot:{s.weekday}-{s.start_hour:02d}",
                rtype=RecommendationType.STUDY_TIME_OPTIMIZATION,
                title=f"Block {s.label} for study",
                description=f"Your best free slot this week scores {s.score:.0f}/100.",
                action=f"Accept the {s.label} slot and put it in your calendar.",
                confidence=s.confidence,
                sources=(
                    SourceRef(SourceKind.SCHEDULE_RECOMMENDATION, s.schedule_recommendation_id),
                ),
                evidence=(f"Slot score {s.score:.1f}/100", *s.reasons),
            )
        )
    a = sources.adherence
    if a is not None and a.accepted >= MIN_PLANNED_FOR_ADHERENCE and a.rate < LOW_ADHERENCE_BELOW:
        drafts.append(
            _Draft(
                key=f"{RecommendationType.CONSISTENCY_BUILDING}:adherence",
                rtype=RecommendationType.CONSISTENCY_BUILDING,
                title="Fewer, fixed study slots",
                description=(
                    f"You kept {a.kept} of the {a.accepted} study slots you accepted in the last "
                    f"{a.window_days} days."
                ),
                action="Pick three slots a week at the same times and protect them.",
                confidence=a.confidence,
                sources=(SourceRef(SourceKind.SCHEDULE_ADHERENCE, a.window_id),),
                evidence=(f"Adherence {a.rate:.0%} ({a.kept}/{a.accepted} accepted slots kept)",),
            )
        )
    return drafts


def _from_personalization(sources: RecommendationSources) -> list[_Draft]:
    drafts = []
    for p in sorted(sources.personalization, key=lambda p: p.effectiveness_id):
        if p.ci_low <= 0.0 or _LEVEL_RANK[p.suggested_level] <= _LEVEL_RANK[p.current_level]:
            continue
        rtype = TYPE_BY_PERSONALIZATION_CONTEXT[p.context]
        context = str(p.context).lower()
        drafts.append(
            _Draft(
                key=f"{rtype}:personalization:{p.context}",
                rtype=rtype,
                title=f"Let the twin adapt your {context} more",
                description=(
                    f"Personalized {context} improved your outcomes by {p.improvement:.1f} points "
                    f"(95% interval {p.ci_low:.1f} to {p.ci_high:.1f}, n = {p.sample_size})."
                ),
                action=f"Raise personalization for {context} from {p.current_level} to {p.suggested_level}.",
                confidence=p.confidence,
                sources=(SourceRef(SourceKind.PERSONALIZATION, p.effectiveness_id),),
                evidence=(
                    f"Improvement {p.improvement:.2f} (95% CI {p.ci_low:.2f}–{p.ci_high:.2f}), "
                    f"n = {p.sample_size}",
                ),
            )
        )
    return drafts


def _from_experiments(sources: RecommendationSources) -> list[_Draft]:
    drafts = []
    for e in sorted(sources.experiment_winners, key=lambda e: e.experiment_id):
        if e.learner_variant == e.winning_variant:
            continue
        drafts.append(
            _Draft(
                key=f"{RecommendationType.EXPERIMENTAL_SUGGESTION}:experiment:{e.experiment_id}",
                rtype=RecommendationType.EXPERIMENTAL_SUGGESTION,
                title=f"Try what won an experiment: {e.change_description}",
                description=(
                    f"In the experiment '{e.name}', {e.change_description} raised {e.metric} by "
                    f"{e.relative_lift:.0%} (95% interval {e.ci_low:.0%} to {e.ci_high:.0%}). "
                    "It may or may not work for you; the engine will measure it."
                ),
                action=f"Try it for two weeks: {e.change_description}.",
                confidence=e.chance_to_win,
                sources=(SourceRef(SourceKind.EXPERIMENT, e.experiment_id),),
                evidence=(
                    f"Winner '{e.winning_variant}', lift {e.relative_lift:.3f} "
                    f"(95% CI {e.ci_low:.3f}–{e.ci_high:.3f}), chance to win {e.chance_to_win:.2f}",
                ),
            )
        )
    return drafts


def generate_candidates(
    sources: RecommendationSources,
    history: Mapping[RecommendationType, TypeHistory] | None = None,
) -> list[RecommendationCandidate]:
    """Every candidate the sources support, scored, best first (one per key)."""
    history = history or {}
    drafts = (
        _from_patterns(sources)
        + _from_interventions(sources)
        + _from_strain(sources)
        + _from_schedule(sources)
        + _from_personalization(sources)
        + _from_experiments(sources)
    )
    if sources.burnout is not None and sources.burnout.level in HOLD_BACK_AT_BURNOUT:
        drafts = [d for d in drafts if d.relieves_strain]
    level = strain(sources.burnout, sources.load)
    out: dict[str, RecommendationCandidate] = {}
    for d in drafts:
        template = TEMPLATES[d.rtype]
        h = history.get(d.rtype, TypeHistory())
        impact = learned_impact(template.impact if d.impact_base is None else d.impact_base, h)
        ease = template.ease if d.ease is None else d.ease
        ready = readiness(h, level, relieves_strain=d.relieves_strain)
        confidence = clip01(d.confidence)
        score = priority_score(confidence, impact, ease, ready)
        why = (
            f"Priority {score:.3f} = 0.3·confidence {confidence:.2f} + 0.4·impact {impact:.2f} "
            f"+ 0.2·ease {ease:.2f} + 0.1·readiness {ready:.2f}"
        )
        if h.evaluated:
            why += (
                f"; impact learned from your {h.evaluated} measured {template.label} "
                f"recommendation(s): {h.improved} improved, {h.neutral} neutral, {h.declined} declined"
            )
        candidate = RecommendationCandidate(
            key=d.key,
            recommendation_type=d.rtype,
            title=d.title,
            description=d.description,
            actionable_text=d.action,
            confidence=rounded(confidence),
            estimated_impact=rounded(impact),
            ease_of_implementation=rounded(ease),
            user_readiness=rounded(ready),
            priority_score=rounded(score),
            sources=d.sources,
            evidence=(*d.evidence, why),
        )
        kept = out.get(d.key)
        if kept is None or candidate.priority_score > kept.priority_score:
            out[d.key] = candidate
    return sorted(out.values(), key=lambda c: (-c.priority_score, c.key))


# --- selection ---------------------------------------------------------------------------


def select_new(
    candidates: Sequence[RecommendationCandidate],
    *,
    open_recommendations: Sequence[OpenRecommendation] = (),
    blocked_keys: Collection[str] = (),
    max_pending: int = MAX_PENDING,
    max_per_type: int = MAX_PER_TYPE,
) -> list[RecommendationCandidate]:
    """New recommendations to create: not open, not blocked, within 5 open and 2 per type."""
    taken = {o.key for o in open_recommendations} | set(blocked_keys)
    per_type: dict[RecommendationType, int] = {}
    for o in open_recommendations:
        per_type[o.recommendation_type] = per_type.get(o.recommendation_type, 0) + 1
    total = len(open_recommendations)
    chosen: list[RecommendationCandidate] = []
    for c in sorted(candidates, key=lambda c: (-c.priority_score, c.key)):
        if total >= max_pending:
            break
        if c.key in taken or per_type.get(c.recommendation_type, 0) >= max_per_type:
            continue
        chosen.append(c)
        taken.add(c.key)
        per_type[c.recommendation_type] = per_type.get(c.recommendation_type, 0) + 1
        total += 1
    return chosen


def top_pending(
    pending: Sequence[OpenRecommendation],
    *,
    limit: int = MAX_PENDING,
    max_per_type: int = MAX_PER_TYPE,
) -> list[OpenRecommendation]:
    """What to show: highest priority first, at most ``limit`` and 2 per type, one per key."""
    seen: set[str] = set()
    per_type: dict[RecommendationType, int] = {}
    out: list[OpenRecommendation] = []
    for r in sorted(pending, key=lambda r: (-r.priority_score, r.key)):
        if len(out) >= limit:
            break
        if r.key in seen or per_type.get(r.recommendation_type, 0) >= max_per_type:
            continue
        seen.add(r.key)
        per_type[r.recommendation_type] = per_type.get(r.recommendation_type, 0) + 1
        out.append(r)
    return out
