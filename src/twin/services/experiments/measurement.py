"""Metrics of participants: one query counts each participant's periods, the catalogue does the rest.

:func:`period_counts` runs :data:`PERIOD_COUNTS_SQL` once for a batch of participants (each
with their own pre-period start, assignment time and post-period end): per participant and
period it counts reviews, validation answers, study sessions, mission objectives, struggle
outcomes and explicit feedback (:class:`~twin.analysis.experiments.metrics.PeriodCounts`),
scanning each source table once for the whole batch. Every metric is then computed from
those counts by the catalogue (:mod:`twin.analysis.experiments.metrics`): what a metric
*means* lives there, what a period *holds* lives here.

:func:`refresh_metrics` is the daily job's step for one experiment: every participant's
pre- and post-period as of ``as_of`` (capped at the end or the stop), written into
``experiment_assignments.metrics`` (the document of :mod:`twin.analysis.experiments.periods`),
rows whose document did not change left untouched. Recomputing gives the same documents:
the step is idempotent, and any day can be recomputed.

Explicit feedback read today: prediction feedback (HELPFUL / INTERVENTION_GOOD → helpful,
NOT_HELPFUL / INTERVENTION_BAD → not helpful; INACCURATE judges a prediction's accuracy, not
the learner's satisfaction, and is left out). The personalization feedback of issue #17
(helpful, too easy / just right / too hard) joins the ``fb`` part of the query when its
table lands.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import storage_time
from twin.analysis.experiments.metrics import PeriodCounts, metric_values
from twin.analysis.experiments.periods import (
    ParticipantMetrics,
    ParticipantPeriods,
    PeriodMetrics,
    analysis_end,
    participant_periods,
)
from twin.learners import LearnerLock, try_lock_learner
from twin.services.experiments.definitions import Experiment, load_experiment

BATCH_PARTICIPANTS = 5_000
"""Participants per counting query (each source table is scanned once per batch)."""

LAST_WEEK = "interval '7 days'"

PERIOD_COUNTS_SQL = sa.text(
    f"""
    WITH p AS (
      SELECT * FROM unnest(CAST(:uid AS text[]), CAST(:lo AS timestamp[]),
                           CAST(:mid AS timestamp[]), CAST(:hi AS timestamp[]))
        AS p(uid, lo, mid, hi)
    ), rv AS (
      SELECT p.uid, r."reviewedAt" >= p.mid AS post,
             count(*) AS reviews,
             count(*) FILTER (WHERE r.rating IN ('GOOD', 'EASY')) AS good,
             count(*) FILTER (WHERE r."stabilityBefore" > 0) AS repeats,
             count(*) FILTER (WHERE r."stabilityBefore" > 0 AND r.rating <> 'AGAIN') AS recalled
      FROM p JOIN reviews r
        ON r."userId" = p.uid AND r."reviewedAt" >= p.lo AND r."reviewedAt" < p.hi
      GROUP BY 1, 2
    ), va AS (
      SELECT p.uid, v."respondedAt" >= p.mid AS post, count(*) AS n, sum(v.score) AS score
      FROM p JOIN validation_responses v
        ON v."userId" = p.uid AND v."respondedAt" >= p.lo AND v."respondedAt" < p.hi
      GROUP BY 1, 2
    ), se AS (
      SELECT p.uid, s."startedAt" >= p.mid AS post, count(*) AS n,
             sum(coalesce(s."durationMs" / 60000.0,
                          extract(epoch FROM s."completedAt" - s."startedAt") / 60.0)) AS minutes,
             count(*) FILTER (
               WHERE s."startedAt" >= (CASE WHEN s."startedAt" >= p.mid THEN p.hi ELSE p.mid END)
                                      - {LAST_WEEK}
             ) AS last_week
      FROM p JOIN study_sessions s
        ON s."userId" = p.uid AND s."startedAt" >= p.lo AND s."startedAt" < p.hi
      WHERE s."completedAt" IS NOT NULL
      GROUP BY 1, 2
    ), mi AS (
      SELECT p.uid, m.date >= p.mid AS post,
             sum(jsonb_array_length(m.objectives)) AS planned,
             sum((SELECT count(*) FROM jsonb_array_elements(m.objectives) o
                  WHERE o->'completed' = 'true'::jsonb)) AS completed
      FROM p JOIN missions m ON m."userId" = p.uid AND m.date >= p.lo AND m.date < p.hi
      WHERE m.status <> 'PENDING' AND jsonb_typeof(m.objectives) = 'array'
      GROUP BY 1, 2
    ), st AS (
      SELECT p.uid, sp."actualOutcomeRecordedAt" >= p.mid AS post, count(*) AS n,
             count(*) FILTER (WHERE sp."actualOutcome") AS struggles
      FROM p JOIN struggle_predictions sp
        ON sp."userId" = p.uid AND sp."actualOutcomeRecordedAt" >= p.lo
       AND sp."actualOutcomeRecordedAt" < p.hi
      WHERE sp."actualOutcome" IS NOT NULL
      GROUP BY 1, 2
    ), fb AS (
      SELECT p.uid, f."submittedAt" >= p.mid AS post,
             count(*) FILTER (WHERE f."feedbackType" IN ('HELPFUL', 'INTERVENTION_GOOD'))
               AS helpful,
             count(*) FILTER (WHERE f."feedbackType" IN ('NOT_HELPFUL', 'INTERVENTION_BAD'))
               AS not_helpful
      FROM p JOIN prediction_feedback f
        ON f."userId" = p.uid AND f."submittedAt" >= p.lo AND f."submittedAt" < p.hi
      GROUP BY 1, 2
    )
    SELECT p.uid, x.post,
           coalesce(rv.reviews, 0) AS reviews, coalesce(rv.good, 0) AS good,
           coalesce(rv.repeats, 0) AS repeats, coalesce(rv.recalled, 0) AS recalled,
           coalesce(va.n, 0) AS validations, coalesce(va.score, 0)::float8 AS score,
           coalesce(se.n, 0) AS sessions, coalesce(se.minutes, 0)::float8 AS minutes,
           coalesce(se.last_week, 0) AS last_week,
           coalesce(mi.planned, 0) AS planned, coalesce(mi.completed, 0) AS completed,
           coalesce(st.n, 0) AS outcomes, coalesce(st.struggles, 0) AS struggles,
           coalesce(fb.helpful, 0) AS helpful, coalesce(fb.not_helpful, 0) AS not_helpful
    FROM p CROSS JOIN (VALUES (false), (true)) AS x(post)
    LEFT JOIN rv ON rv.uid = p.uid AND rv.post = x.post
    LEFT JOIN va ON va.uid = p.uid AND va.post = x.post
    LEFT JOIN se ON se.uid = p.uid AND se.post = x.post
    LEFT JOIN mi ON mi.uid = p.uid AND mi.post = x.post
    LEFT JOIN st ON st.uid = p.uid AND st.post = x.post
    LEFT JOIN fb ON fb.uid = p.uid AND fb.post = x.post
    """
)


@dataclass(frozen=True)
class Participant:
    """A learner and their periods."""

    user_id: str
    periods: ParticipantPeriods


def period_counts(
    session: Session, participants: Sequence[Participant]
) -> dict[str, tuple[PeriodCounts, PeriodCounts]]:
    """Per user id, what their (pre-period, post-period) hold (one query for the batch)."""
    if not participants:
        return {}
    rows = session.execute(
        PERIOD_COUNTS_SQL,
        {
            "uid": [p.user_id for p in participants],
            "lo": [p.periods.pre.start for p in participants],
            "mid": [p.periods.post.start for p in participants],
            "hi": [p.periods.post.end for p in participants],
        },
    )
    days = {p.user_id: (p.periods.pre.days, p.periods.post.days) for p in participants}
    found: dict[str, dict[bool, PeriodCounts]] = {}
    for r in rows:
        pre_days, post_days = days[r.uid]
        found.setdefault(r.uid, {})[bool(r.post)] = PeriodCounts(
            days=post_days if r.post else pre_days,
            reviews=int(r.reviews),
            good_reviews=int(r.good),
            repeat_reviews=int(r.repeats),
            recalled_repeat_reviews=int(r.recalled),
            validations=int(r.validations),
            # Scores are 0–1 (checked at ingestion); a float sum of ones can overshoot a hair.
            validation_score_sum=min(float(r.score), float(r.validations)),
            sessions=int(r.sessions),
            study_minutes=float(r.minutes),
            sessions_last_week=int(r.last_week),
            objectives_planned=int(r.planned),
            objectives_completed=int(r.completed),
            struggle_outcomes=int(r.outcomes),
            struggles=int(r.struggles),
            feedback_helpful=int(r.helpful),
            feedback_not_helpful=int(r.not_helpful),
        )
    return {uid: (parts[False], parts[True]) for uid, parts in found.items()}


def participant_metrics(
    participant: Participant, counts: tuple[PeriodCounts, PeriodCounts], as_of: datetime
) -> ParticipantMetrics:
    """The stored document of one participant from their two periods' counts."""
    pre, post = counts
    return ParticipantMetrics(
        as_of=as_of,
        pre=PeriodMetrics(participant.periods.pre, metric_values(pre)),
        post=PeriodMetrics(participant.periods.post, metric_values(post)),
    )


def measure(
    session: Session, participants: Sequence[Participant], as_of: datetime
) -> dict[str, ParticipantMetrics]:
    """Every participant's metrics document (batched counting queries)."""
    out: dict[str, ParticipantMetrics] = {}
    for i in range(0, len(participants), BATCH_PARTICIPANTS):
        batch = participants[i : i + BATCH_PARTICIPANTS]
        counts = period_counts(session, batch)
        for participant in batch:
            out[participant.user_id] = participant_metrics(
                participant, counts[participant.user_id], as_of
            )
    return out


_PARTICIPANTS_SQL = sa.text(
    'SELECT "userId", "assignedAt" FROM experiment_assignments '
    'WHERE "experimentId" = :e ORDER BY "userId"'
)

_WRITE_SQL = sa.text(
    """
    UPDATE experiment_assignments AS a SET metrics = v.metrics
    FROM unnest(CAST(:uids AS text[]), CAST(:docs AS jsonb[])) AS v(uid, metrics)
    WHERE a."experimentId" = :e AND a."userId" = v.uid AND a.metrics IS DISTINCT FROM v.metrics
    """
)

_CLEAR_SQL = sa.text(
    'UPDATE experiment_assignments SET metrics = NULL WHERE "experimentId" = :e '
    'AND "assignedAt" >= :end AND metrics IS NOT NULL'
)


def store_metrics(
    session: Session, experiment_id: str, documents: Mapping[str, ParticipantMetrics]
) -> int:
    """Write participants' documents (by user id) into their assignments; rows changed."""
    if not documents:
        return 0
    result = session.execute(
        _WRITE_SQL,
        {
            "e": experiment_id,
            "uids": list(documents),
            "docs": [json.dumps(doc.to_json()) for doc in documents.values()],
        },
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RefreshReport:
    """What one metrics computation of one experiment did."""

    experiment_id: str
    as_of: datetime
    participants: int
    measured: int
    written: int
    skipped_locked: bool = False


def refresh_metrics(session: Session, experiment_id: str, now: datetime) -> RefreshReport:
    """Compute and store every participant's metrics as of ``now`` (capped at the end or the stop).

    Idempotent: the documents depend only on stored data, assignment times and the as-of
    time; unchanged documents are not rewritten. A concurrent computation of the same
    experiment makes this one return at once (``skipped_locked``).
    """
    experiment = load_experiment(session, experiment_id, now)
    as_of = analysis_end(storage_time(now), experiment.end_date, experiment.stopped_at)
    if not try_lock_learner(session, LearnerLock.EXPERIMENT_METRICS, experiment_id):
        return RefreshReport(experiment_id, as_of, experiment.participants, 0, 0, True)
    rows = session.execute(_PARTICIPANTS_SQL, {"e": experiment_id}).all()
    participants: list[Participant] = []
    for row in rows:
        periods = participant_periods(row.assignedAt, as_of)
        if periods is not None:
            participants.append(Participant(row.userId, periods))
    documents = measure(session, participants, as_of)
    written = store_metrics(session, experiment_id, documents)
    # Assigned at or after the as-of time (a recomputation of an earlier day): no post-period.
    session.execute(_CLEAR_SQL, {"e": experiment_id, "end": as_of})
    session.execute(
        sa.text(
            'UPDATE personalization_experiments SET "metricsAsOf" = :as_of, '
            '"currentParticipants" = :n WHERE id = :id'
        ),
        {"as_of": as_of, "n": len(rows), "id": experiment_id},
    )
    return RefreshReport(experiment_id, as_of, len(rows), len(documents), written)


def experiment_needs_metrics(experiment: Experiment, now: datetime) -> bool:
    """Started, and not yet finalised (an ended experiment is measured once more, at its end)."""
    return experiment.start_date < storage_time(now) and experiment.final is None
