"""Outcomes derived from completed sessions and missions: load → match → outcome and reward.

Run by the daily personalization job (:mod:`twin.jobs.personalization`), not at ingestion:
a session's reviews and validation answers, and a mission's final status, often arrive in
later batches than the session or mission itself, and an outcome is written once (its
reward moves the arm); the tick reads them when they have settled (a session completed,
a mission COMPLETED or SKIPPED, before the tick) and keeps ingestion as fast as it was.

For one learner (:func:`derive_outcomes`, the caller holds the PERSONALIZATION lock): the
learner's SESSION and MISSION decisions of the last :data:`LOOKBACK` (those that already
have an outcome too: a later decision is what a session follows), the completed study
sessions and settled missions that started in that span, each with its counts (one
statement each); the pure matching and measures
(:mod:`twin.analysis.personalization.derived`); then, per pair whose derived outcome id is
not stored yet, the outcome through the same path as ``POST …/personalization/outcomes``
(:func:`twin.services.personalization.outcomes.store_outcome`: the reward against the
learner's 14-day baseline, the arm). Idempotent: the derived ids make a second run, or a
re-ingested session, write nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.derived import (
    FOLLOW_WINDOW,
    SOURCE_CONTEXT,
    DecisionRef,
    SourceKind,
    SourceMeasures,
    derive_outcome,
    derived_outcome_id,
    match_sources,
)
from twin.analysis.personalization.reward import Outcome
from twin.db.models import PersonalizationDecision
from twin.enums import PersonalizationContext
from twin.services.personalization.common import arm_rows
from twin.services.personalization.outcomes import (
    OutcomeIn,
    refresh_confidences,
    store_outcome,
)

LOOKBACK = timedelta(days=7)
"""Decisions older than this are no longer waiting for a derived outcome."""

_DECISIONS_SQL = sa.text(
    """
    SELECT id, context, "decidedAt" AS decided_at, "outcomeId" IS NOT NULL AS has_outcome,
           CASE WHEN jsonb_typeof(parameters->'durationMinutes') = 'number'
                THEN (parameters->>'durationMinutes')::float8 END AS planned_minutes
    FROM personalization_decisions
    WHERE "userId" = :u AND context IN ('SESSION', 'MISSION')
      AND "decidedAt" >= :since AND "decidedAt" < :now
    """
)
_SESSIONS_SQL = sa.text(
    """
    SELECT s.id, s."startedAt" AS started_at, s."completedAt" AS ended_at,
           coalesce(s."durationMs" / 60000.0,
                    extract(epoch FROM s."completedAt" - s."startedAt") / 60.0)::float8
             AS minutes,
           coalesce(r.due, 0) AS due, coalesce(r.recalled, 0) AS recalled,
           coalesce(v.n, 0) AS validations, coalesce(v.score, 0)::float8 AS score
    FROM study_sessions s
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE x."stabilityBefore" > 0) AS due,
             count(*) FILTER (WHERE x."stabilityBefore" > 0 AND x.rating <> 'AGAIN') AS recalled
      FROM reviews x WHERE x."userId" = :u AND x."sessionId" = s.id) r ON true
    LEFT JOIN LATERAL (
      SELECT count(*) AS n, sum(y.score) AS score
      FROM validation_responses y WHERE y."userId" = :u AND y."sessionId" = s.id) v ON true
    WHERE s."userId" = :u AND s."startedAt" >= :since AND s."startedAt" < :now
      AND s."completedAt" IS NOT NULL AND s."completedAt" <= :now
    """
)
_MISSIONS_SQL = sa.text(
    """
    SELECT m.id, m.status::text AS status,
           coalesce(m."actualStartTime", m."recommendedStartTime", m.date) AS started_at,
           m."completedAt" AS completed_at,
           coalesce(m."actualMinutes", m."actualDuration")::float8 AS minutes,
           CASE WHEN jsonb_typeof(m.objectives) = 'array'
                THEN jsonb_array_length(m.objectives) ELSE 0 END AS listed,
           CASE WHEN jsonb_typeof(m.objectives) = 'array'
                THEN (SELECT count(*) FROM jsonb_array_elements(m.objectives) o
                      WHERE o->'completed' = 'true'::jsonb) ELSE 0 END AS done,
           coalesce(m."sessionPerformanceScore", 100.0 * m."successScore")::float8
             AS performance,
           coalesce(r.due, 0) AS due, coalesce(r.recalled, 0) AS recalled,
           coalesce(v.n, 0) AS validations, coalesce(v.score, 0)::float8 AS score
    FROM missions m
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE x."stabilityBefore" > 0) AS due,
             count(*) FILTER (WHERE x."stabilityBefore" > 0 AND x.rating <> 'AGAIN') AS recalled
      FROM study_sessions s JOIN reviews x ON x."sessionId" = s.id AND x."userId" = :u
      WHERE s."userId" = :u AND s."missionId" = m.id) r ON true
    LEFT JOIN LATERAL (
      SELECT count(*) AS n, sum(y.score) AS score
      FROM study_sessions s JOIN validation_responses y
        ON y."sessionId" = s.id AND y."userId" = :u
      WHERE s."userId" = :u AND s."missionId" = m.id) v ON true
    WHERE m."userId" = :u AND m.status IN ('COMPLETED', 'SKIPPED')
      AND m.date >= :since_date AND m.date < :now
      AND coalesce(m."actualStartTime", m."recommendedStartTime", m.date) >= :since
      AND coalesce(m."completedAt", m."actualStartTime", m."recommendedStartTime", m.date)
          <= :now
    """
)
_TAKEN_SQL = sa.text(
    'SELECT id FROM personalization_outcomes WHERE "userId" = :u AND id = ANY(:ids)'
)


def _decisions(session: Session, user_id: str, since: datetime, now: datetime) -> list[DecisionRef]:
    return [
        DecisionRef(
            r.id,
            PersonalizationContext(r.context),
            aware_utc(r.decided_at),
            bool(r.has_outcome),
            None if r.planned_minutes is None else float(r.planned_minutes),
        )
        for r in session.execute(_DECISIONS_SQL, {"u": user_id, "since": since, "now": now})
    ]


def _sources(
    session: Session, user_id: str, since: datetime, now: datetime, contexts: set[str]
) -> list[SourceMeasures]:
    out: list[SourceMeasures] = []
    params = {"u": user_id, "since": since, "now": now}
    if PersonalizationContext.SESSION.value in contexts:
        for r in session.execute(_SESSIONS_SQL, params):
            out.append(
                SourceMeasures(
                    SourceKind.STUDY_SESSION,
                    r.id,
                    aware_utc(r.started_at),
                    aware_utc(r.ended_at),
                    due_reviews=int(r.due),
                    recalled=int(r.recalled),
                    validations=int(r.validations),
                    validation_score_sum=float(r.score),
                    minutes=None if r.minutes is None else float(r.minutes),
                )
            )
    if PersonalizationContext.MISSION.value in contexts:
        # a mission's date is its day; a start up to a day later still counts from ``since``
        for r in session.execute(_MISSIONS_SQL, {**params, "since_date": since - FOLLOW_WINDOW}):
            start = aware_utc(r.started_at)
            skipped = r.status == "SKIPPED"
            end = start if skipped or r.completed_at is None else aware_utc(r.completed_at)
            out.append(
                SourceMeasures(
                    SourceKind.MISSION,
                    r.id,
                    start,
                    max(start, end),
                    due_reviews=int(r.due),
                    recalled=int(r.recalled),
                    validations=int(r.validations),
                    validation_score_sum=float(r.score),
                    minutes=None if r.minutes is None else float(r.minutes),
                    objectives_listed=int(r.listed),
                    objectives_done=int(r.done),
                    performance_score=None if r.performance is None else float(r.performance),
                    skipped=skipped,
                )
            )
    return out


def derive_outcomes(session: Session, user_id: str, now: datetime) -> int:
    """Write the outcomes (and rewards) of the learner's settled sessions and missions; count."""
    at = storage_time(now)
    since = at - LOOKBACK
    decisions = _decisions(session, user_id, since, at)
    contexts = {d.context.value for d in decisions if not d.has_outcome}
    if not contexts:
        return 0
    pairs = match_sources(decisions, _sources(session, user_id, since, at, contexts))
    if not pairs:
        return 0
    ids = {s.source_id: derived_outcome_id(user_id, s.kind, s.source_id) for _, s in pairs}
    taken = set(session.scalars(_TAKEN_SQL, {"u": user_id, "ids": list(ids.values())}))
    pairs = [(ref, s) for ref, s in pairs if ids[s.source_id] not in taken]
    if not pairs:
        return 0
    # the decisions and the learner's arms in two statements, not two per outcome
    rows = {
        d.id: d
        for d in session.scalars(
            sa.select(PersonalizationDecision).where(
                PersonalizationDecision.userId == user_id,
                PersonalizationDecision.id.in_([ref.decision_id for ref, _ in pairs]),
            )
        )
    }
    arms = arm_rows(session, user_id)
    scales: dict[str, float] = {}
    written = 0
    for ref, source in pairs:
        outcome_id = ids[source.source_id]
        decision = rows.get(ref.decision_id)
        if decision is None or decision.outcomeId is not None:
            continue
        measured = derive_outcome(source, ref.planned_minutes)
        signals = tuple(s for s in measured.signals if s.value not in decision.signals)
        try:  # the stored data is checked at ingestion; a value out of range is no outcome
            Outcome(measured.retention, measured.performance, measured.completion)
        except InvalidParameter:
            continue
        store_outcome(
            session,
            user_id,
            SOURCE_CONTEXT[source.kind],
            decision,
            OutcomeIn(
                retention=measured.retention,
                performance=measured.performance,
                completion=measured.completion,
                duration_minutes=measured.duration_minutes,
                signals=signals,
            ),
            source.ended_at,
            now,
            outcome_id=outcome_id,
            source={"kind": source.kind.value, "id": source.source_id},
            arms=arms,
        )
        if decision.configId is not None:
            scales[decision.context] = decision.rewardScale
        written += 1
    for context, scale in scales.items():  # once per context, after every outcome
        refresh_confidences([a for a in arms if a.context == context], scale)
    session.flush()
    return written
