"""Where recommendations come from: one candidate provider per source capability (ENGINE.md 5.6).

A provider reads what its capability stored for the learner and returns its part of
:class:`~twin.analysis.insights.recommendations.RecommendationSources`; the service merges
the parts and the pure analysis turns them into scored candidates. Today's providers:

- :class:`PatternProvider` (5.1): patterns with confidence ≥ 0.7 and the insights made
  from them (with their linked patterns, primary first);
- :class:`InterventionProvider` (5.2): pending struggle interventions;
- :class:`StrainProvider` (5.4): the latest burnout assessment and the 7-day load;
- :class:`ExperimentWinnerProvider` (5.5): finished A/B experiments whose treatment won,
  read through :func:`twin.services.experiments.experiment_winners`;
- :class:`ScheduleSlotProvider` (5.3): the learner's first-ranked pending study slot;
- :class:`ScheduleAdherenceProvider` (5.3): accepted slots vs the sessions that followed
  them over the last 14 days (read through
  :func:`twin.services.orchestration.effectiveness.effectiveness`);
- :class:`PersonalizationProvider` (5.5): per context, the arm that did best in the latest
  ``personalization_effectiveness`` window, its outcomes against the context's baseline.

**Plugging in a capability**: write a provider returning its part of
``RecommendationSources`` — the signals, their candidates, keys and texts live in
:mod:`twin.analysis.insights.recommendations` — and add it to :data:`PROVIDERS`.
Nothing else changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc
from twin.analysis.experiments.statistics import DifferenceType
from twin.analysis.insights.recommendations import (
    MIN_PATTERN_CONFIDENCE,
    AdherenceSignal,
    BurnoutSignal,
    ExperimentWinnerSignal,
    InsightSignal,
    InterventionSignal,
    LoadSignal,
    RecommendationSources,
    ScheduleSlotSignal,
    personalization_signal,
)
from twin.analysis.insights.recommendations.signals import MAX_SLOT_CANDIDATES
from twin.enums import BurnoutRiskLevel, InsightType, InterventionType, PersonalizationContext
from twin.learners import Learner
from twin.services.experiments import ExperimentWinner, experiment_winners
from twin.services.insights.common import pattern_signals
from twin.services.orchestration.effectiveness import effectiveness as schedule_effectiveness
from twin.services.orchestration.slots import StoredSlot, accepted_slots, pending_slots
from twin.services.personalization.common import (
    CONTEXT_TOGGLES,
    preferences_of,
    preferences_row,
)
from twin.services.personalization.effectiveness import outcome_records


class CandidateProvider(Protocol):
    """One source of recommendations."""

    name: str

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """This source's signals for the learner as of ``now``."""
        ...


_INSIGHTS_SQL = sa.text(
    """
    SELECT i.id, i."insightType"::text AS kind, i.title, i.description,
           i."actionableRecommendation" AS action, i.confidence,
           coalesce(array_agg(ip."patternId" ORDER BY p.confidence DESC, ip."patternId")
                    FILTER (WHERE ip."patternId" IS NOT NULL), '{}') AS pattern_ids
    FROM behavioral_insights i
    LEFT JOIN insight_patterns ip ON ip."insightId" = i.id
    LEFT JOIN behavioral_patterns p ON p.id = ip."patternId"
    WHERE i."userId" = :u AND i.confidence >= :c AND i."createdAt" <= :now
    GROUP BY i.id ORDER BY i.id
    """
)


class PatternProvider:
    """Patterns (≥ 0.7) and their insights (5.1)."""

    name = "patterns"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """Strong patterns and the insights made from them."""
        patterns = pattern_signals(session, learner.user_id, min_confidence=MIN_PATTERN_CONFIDENCE)
        insights = tuple(
            InsightSignal(
                insight_id=r.id,
                insight_type=InsightType(r.kind),
                title=r.title,
                description=r.description,
                actionable_text=r.action,
                confidence=min(1.0, max(0.0, float(r.confidence))),
                pattern_ids=tuple(r.pattern_ids),
            )
            for r in session.execute(
                _INSIGHTS_SQL,
                {"u": learner.user_id, "c": MIN_PATTERN_CONFIDENCE, "now": naive_utc(now)},
            )
        )
        return RecommendationSources(patterns=tuple(patterns), insights=insights)


_INTERVENTIONS_SQL = sa.text(
    """
    SELECT iv.id, iv."predictionId" AS prediction_id, iv."interventionType"::text AS kind,
           iv.priority, iv.description, iv.reasoning,
           coalesce(iv."relatedObjectiveId", p."learningObjectiveId") AS objective_id,
           coalesce(o.objective, iv."relatedObjectiveId", p."learningObjectiveId") AS name
    FROM intervention_recommendations iv
    LEFT JOIN struggle_predictions p ON p.id = iv."predictionId"
    LEFT JOIN learning_objectives o ON o.id = coalesce(iv."relatedObjectiveId", p."learningObjectiveId")
    WHERE iv."userId" = :u AND iv.status = 'PENDING' AND iv."createdAt" <= :now
    ORDER BY iv.id
    """
)
INTERVENTION_PRIORITY_MAX = 10


class InterventionProvider:
    """Pending struggle interventions (5.2)."""

    name = "interventions"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """The learner's pending interventions with their objective."""
        out = []
        for r in session.execute(_INTERVENTIONS_SQL, {"u": learner.user_id, "now": naive_utc(now)}):
            if r.objective_id is None:
                continue
            out.append(
                InterventionSignal(
                    intervention_id=r.id,
                    prediction_id=r.prediction_id or r.id,
                    objective_id=str(r.objective_id),
                    objective_name=str(r.name),
                    intervention_type=InterventionType(r.kind),
                    priority=max(0, min(INTERVENTION_PRIORITY_MAX, int(r.priority))),
                    description=r.description,
                    reasoning=r.reasoning,
                )
            )
        return RecommendationSources(interventions=tuple(out))


_BURNOUT_SQL = sa.text(
    'SELECT id, "riskScore", "riskLevel"::text AS level, confidence, recommendations '
    'FROM burnout_risk_assessments WHERE "userId" = :u AND "assessmentDate" <= :now '
    'ORDER BY "assessmentDate" DESC, id DESC LIMIT 1'
)
_LOAD_SQL = sa.text(
    """
    SELECT p.id, p."meanLoad7d" AS mean_load, p."loadTolerance" AS tolerance,
           (SELECT count(*) FROM cognitive_load_metrics m
             WHERE m."userId" = :u AND m."timestamp" > :week AND m."timestamp" <= :now) AS n
    FROM learner_load_profiles p WHERE p."userId" = :u
    """
)
LOAD_FULL_CONFIDENCE_READINGS = 5  # a 7-day mean over this many readings is fully trusted


class StrainProvider:
    """The latest burnout assessment and the 7-day mean load (5.4)."""

    name = "strain"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """Burnout (any level: the analysis decides) and the load profile's 7-day mean."""
        at = naive_utc(now)
        b = session.execute(_BURNOUT_SQL, {"u": learner.user_id, "now": at}).first()
        burnout = (
            BurnoutSignal(
                assessment_id=b.id,
                risk_score=min(100.0, max(0.0, float(b.riskScore))),
                level=BurnoutRiskLevel(b.level),
                confidence=min(1.0, max(0.0, float(b.confidence))),
                advice=tuple(b.recommendations or ()),
            )
            if b is not None
            else None
        )
        ld = session.execute(
            _LOAD_SQL, {"u": learner.user_id, "now": at, "week": at - timedelta(days=7)}
        ).first()
        load = (
            LoadSignal(
                profile_id=ld.id,
                mean_load_7d=min(100.0, max(0.0, float(ld.mean_load))),
                sessions_7d=int(ld.n),
                confidence=min(1.0, int(ld.n) / LOAD_FULL_CONFIDENCE_READINGS),
                load_tolerance=None if ld.tolerance is None else float(ld.tolerance),
            )
            if ld is not None and ld.mean_load is not None
            else None
        )
        return RecommendationSources(burnout=burnout, load=load)


def winner_signal(winner: ExperimentWinner) -> ExperimentWinnerSignal | None:
    """The recommendation signal of an experiment's winner (None when there is nothing to try).

    A control that won means "keep the default": no change to recommend. The candidate's text
    states the lift as a percentage, so only a relative effect with its interval and chance to
    win is used (relative is the experiments' default difference type).
    """
    effect = winner.effect
    low, high = effect.get("ci") or (None, None)
    expected, chance = effect.get("expected"), effect.get("chanceToWin")
    if (
        winner.is_control
        or effect.get("differenceType") != DifferenceType.RELATIVE.value
        or expected is None
        or chance is None
        or low is None
        or high is None
    ):
        return None
    return ExperimentWinnerSignal(
        experiment_id=winner.experiment_id,
        name=winner.experiment_name,
        winning_variant=winner.variant_id,
        change_description=winner.variant_name,
        metric=winner.primary_metric,
        relative_lift=float(expected),
        ci_low=float(low),
        ci_high=float(high),
        chance_to_win=min(1.0, max(0.0, float(chance))),
        learner_variant=winner.assigned_variant_id,
    )


class ExperimentWinnerProvider:
    """Finished experiments whose treatment won (5.5), with the learner's own variant."""

    name = "experiments"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """Winners completed by ``now``; the analysis skips those the learner already has."""
        at = naive_utc(now)
        signals = (
            winner_signal(w)
            for w in experiment_winners(session, user_id=learner.user_id)
            if naive_utc(w.completed_at) <= at
        )
        return RecommendationSources(experiment_winners=tuple(s for s in signals if s is not None))


def slot_signal(slot: StoredSlot, zone: ZoneInfo) -> ScheduleSlotSignal:
    """A stored study slot as a recommendation signal (local weekday and hour of its start).

    The slot's confidence is its hour score's (how many of the learner's own sessions back it).
    """
    start = slot.start.astimezone(zone)
    confidence = slot.reasons.get("historicalConfidence")
    return ScheduleSlotSignal(
        schedule_recommendation_id=slot.id,
        weekday=start.weekday(),
        start_hour=start.hour,
        label=f"{slot.weekday} {slot.local_start}",
        score=min(100.0, max(0.0, float(slot.score))),
        confidence=0.0 if confidence is None else min(1.0, max(0.0, float(confidence))),
        reasons=(slot.reasoning,),
    )


class ScheduleSlotProvider:
    """The study slots 5.3 offered the learner and they have not accepted yet."""

    name = "schedule"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """The first-ranked pending slot still ahead of ``now`` (5.3's rank decides ties)."""
        slots = pending_slots(session, learner.user_id, now)[:MAX_SLOT_CANDIDATES]
        return RecommendationSources(
            schedule_slots=tuple(slot_signal(s, learner.zone) for s in slots)
        )


ADHERENCE_WINDOW_DAYS = 14  # the recent fortnight: long enough for a few accepted slots
ADHERENCE_FULL_CONFIDENCE_SLOTS = 8  # accepted slots at which the kept share is fully trusted


class ScheduleAdherenceProvider:
    """Accepted study slots vs the sessions that followed them (5.3 effectiveness)."""

    name = "adherence"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """Slots accepted for the last 14 days and how many a session started within ±30 min of.

        The signal's source id is the latest accepted slot of the window (a
        ``study_schedule_recommendations`` row); no accepted slot, no signal. Whether the kept
        share is low enough to recommend anything is the analysis's call.
        """
        start = now - timedelta(days=ADHERENCE_WINDOW_DAYS)
        window = accepted_slots(session, learner.user_id, start, now)
        if not window:
            return RecommendationSources()
        measured = schedule_effectiveness(
            session, learner.user_id, now, days=ADHERENCE_WINDOW_DAYS
        ).adherence
        accepted = measured.accepted_slots
        if accepted == 0:
            return RecommendationSources()
        latest = max(window, key=lambda s: (s.start, s.id))
        return RecommendationSources(
            adherence=AdherenceSignal(
                window_id=latest.id,
                accepted=accepted,
                kept=min(accepted, measured.started_on_time),
                window_days=ADHERENCE_WINDOW_DAYS,
                confidence=min(1.0, accepted / ADHERENCE_FULL_CONFIDENCE_SLOTS),
            )
        )


_ARM_WINDOWS_SQL = sa.text(
    """
    SELECT DISTINCT ON (c.context) e.id, c.context::text AS context, e."configId" AS config,
           e."startDate" AS lo, e."endDate" AS hi
    FROM personalization_effectiveness e
    JOIN personalization_configs c ON c.id = e."configId" AND c."userId" = e."userId"
    WHERE e."userId" = :u AND e."endDate" <= :now
    ORDER BY c.context, e."endDate" DESC, e."compositeScore" DESC, e.id
    """
)


class PersonalizationProvider:
    """Personalization that measurably helped in a context (5.5 effectiveness)."""

    name = "personalization"

    def provide(self, session: Session, learner: Learner, now: datetime) -> RecommendationSources:
        """Per enabled context, the best arm of the latest measured window vs the context's baseline.

        The window and arm are the stored ``personalization_effectiveness`` row's (its id is the
        source); the arm's outcomes in it are compared with all of the context's outcomes in the
        window of the same length before — the baseline the daily job measured against. The
        level to suggest is one above the learner's; the analysis keeps only a clear gain.
        """
        row = preferences_row(session, learner.user_id)
        level = preferences_of(row).level
        out = []
        for r in session.execute(_ARM_WINDOWS_SQL, {"u": learner.user_id, "now": naive_utc(now)}):
            context = PersonalizationContext(r.context)
            if row is not None and not getattr(row, CONTEXT_TOGGLES[context]):
                continue  # the learner switched this context off: do not argue for it
            lo, hi = r.lo, r.hi
            window = outcome_records(session, learner.user_id, lo, hi, context)
            baseline = outcome_records(session, learner.user_id, lo - (hi - lo), lo, context)
            signal = personalization_signal(
                r.id,
                context,
                level,
                [o for o, config in window if config == r.config],
                [o for o, _ in baseline],
            )
            if signal is not None:
                out.append(signal)
        return RecommendationSources(personalization=tuple(out))


PROVIDERS: tuple[CandidateProvider, ...] = (
    PatternProvider(),
    InterventionProvider(),
    StrainProvider(),
    ScheduleSlotProvider(),
    ScheduleAdherenceProvider(),
    PersonalizationProvider(),
    ExperimentWinnerProvider(),
)
"""Every source of recommendations, in order."""


def merge(parts: Sequence[RecommendationSources]) -> RecommendationSources:
    """One RecommendationSources from the providers' parts (tuples joined, the first single value kept)."""
    merged = RecommendationSources()
    for part in parts:
        changes: dict[str, object] = {}
        for f in fields(RecommendationSources):
            mine, theirs = getattr(merged, f.name), getattr(part, f.name)
            if isinstance(mine, tuple):
                changes[f.name] = mine + theirs
            elif mine is None and theirs is not None:
                changes[f.name] = theirs
        merged = replace(merged, **changes)  # type: ignore[arg-type]
    return merged


def gather_sources(
    session: Session,
    learner: Learner,
    now: datetime,
    providers: Sequence[CandidateProvider] = PROVIDERS,
) -> RecommendationSources:
    """Every provider's signals, merged."""
    return merge([p.provide(session, learner, now) for p in providers])
