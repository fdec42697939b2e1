"""Recommendation candidates (ENGINE.md 5.6): a draft per source signal, scored by the template.

Each candidate has a stable ``key`` (type + what it is about) so the same advice is
recognised across runs whatever new row ids its sources got; at burnout HIGH or
CRITICAL only strain-relieving candidates are made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from twin.analysis.insights.common import SourceKind, SourceRef, clip01, rounded
from twin.analysis.insights.recommendations.signals import (
    BURNOUT_RECOMMEND_FROM,
    HIGH_LOAD_FROM,
    HOLD_BACK_AT_BURNOUT,
    INTERVENTION_EASE,
    INTERVENTION_IMPACT,
    INTERVENTION_PRIORITY_SCALE,
    LOW_ADHERENCE_BELOW,
    MAX_SLOT_CANDIDATES,
    MIN_PATTERN_CONFIDENCE,
    MIN_PLANNED_FOR_ADHERENCE,
    BurnoutSignal,
    LoadSignal,
    PatternSignal,
    RecommendationSources,
)
from twin.analysis.insights.recommendations.templates import (
    BURNOUT_RANK,
    LEVEL_RANK,
    STRAIN_RELIEVING_INTERVENTIONS,
    TEMPLATES,
    TYPE_BY_INSIGHT,
    TYPE_BY_INTERVENTION,
    TYPE_BY_PATTERN,
    TYPE_BY_PERSONALIZATION_CONTEXT,
    TypeHistory,
    learned_impact,
    priority_score,
    readiness,
)
from twin.analysis.patterns.common import DetectedPattern
from twin.analysis.patterns.insights import TEXT_BY_PATTERN
from twin.enums import BehavioralPatternType, RecommendationType

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


def strain(burnout: BurnoutSignal | None, load: LoadSignal | None) -> float:
    """0–100: the burnout risk, else the 7-day mean load, else 0."""
    if burnout is not None:
        return burnout.risk_score
    if load is not None:
        return load.mean_load_7d
    return 0.0


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
    if b is not None and BURNOUT_RANK[b.level] >= BURNOUT_RANK[BURNOUT_RECOMMEND_FROM]:
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
        if p.ci_low <= 0.0 or LEVEL_RANK[p.suggested_level] <= LEVEL_RANK[p.current_level]:
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
