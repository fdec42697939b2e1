"""Outcomes of struggle predictions, learner feedback, measured performance (ENGINE.md 5.2).

Everything here works on what was actually recorded; the pure rules live in
:mod:`twin.analysis.struggle.capture` (which study decides an outcome, and what it
decides), :mod:`twin.analysis.struggle.outcomes` and :mod:`twin.analysis.struggle.metrics`.

**Automatic outcomes** (:func:`capture_outcomes`): the learner's PENDING predictions
without feedback and their reviews and validation answers (from 30 days before the
oldest prediction) go to :func:`~twin.analysis.struggle.capture.decide_outcomes`; the
measurement is stored with the prediction as ``featureVector.outcome`` (rule,
baseline, counts, log-likelihood ratio, study day). Why the evidence rule and not the
ENGINE thresholds alone: at the usual ~3 reviews a day at ~20% AGAIN they fire on
about 30% of objectives the learner does *not* struggle with (measured against the
simulator's truth; ``benchmarks/struggle_quality``), so a model trained on them learns
that noise. While an open prediction is being measured (its objective has been studied
since ``predictedAt``) the prediction service does not rewrite it
(:mod:`twin.services.struggle.predictions`): its features must not contain the
evidence it is graded on. DISMISSED predictions have no ``actualOutcome`` and are left
out of every metric and of training.

**Status** (:func:`prediction_status`): p ≥ 0.5 & struggled → CONFIRMED; p ≥ 0.5 & not
→ FALSE_POSITIVE; p < 0.5 & struggled → MISSED; p < 0.5 & not → RESOLVED (the enum has
no true-negative value; RESOLVED closes a correct "no struggle").

**Learner feedback** (:func:`record_feedback`) adds a ``prediction_feedback`` row and
sets ``actualOutcome`` and the status from the learner's answer, whatever the automatic
rule said before; the automatic capture only ever touches PENDING predictions without
feedback, so it never overrides the learner. A later feedback replaces an earlier one.

**performance_metrics** are maintained by the daily job (not at ingestion, which stays
as cheap as it is): :func:`refresh_performance_metrics` recomputes, per objective and
local day, from the reviews of the last :data:`METRICS_LOOKBACK_DAYS` local days (the
whole history on a learner's first run), and upserts by (userId, learningObjectiveId,
date). ``date`` is the local calendar day at 00:00 (no zone); ``retentionScore`` is the
share of reviews recalled (rating ≠ AGAIN), ``correctReviews`` those recalled,
``incorrectReviews`` the AGAINs, ``studyTimeMs`` the reviews' time spent.

**Model performance** (:func:`model_performance`) uses only predictions with a recorded
outcome (CONFIRMED, FALSE_POSITIVE, MISSED, RESOLVED): below 10 it is an
insufficient-data answer. **Struggle reduction** (:func:`struggle_reduction`) compares
the share of studied objectives that were struggles in the 6 weeks before the learner's
first prediction with the latest week / 30 days / everything since (whole local days,
from raw reviews and validations, predicted or not). An objective counts in a window
with ≥ 5 non-first reviews and validation answers; it was a struggle there when its
evidence favours 60% of the learner's baseline (other objectives, same window) over the
baseline (:func:`~twin.analysis.struggle.outcomes.window_verdict`). The ENGINE day rule
was the first measure: its ~22% false fires on ordinary objectives put a floor under
both rates, which hid most of the effect of interventions (benchmark: separation AUC
0.61 of intervention-responsive learners, against 0.71 now on the same cohort).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from twin.analysis.common import (
    InsufficientData,
    aware_utc,
    local_date,
    local_midnight_utc,
    naive_utc,
    rounded,
)
from twin.analysis.struggle.capture import (
    BASELINE_DAYS,
    REASON_STUDIED,
    CapturedOutcome,
    PendingPrediction,
    StudyItem,
    decide_outcomes,
    window_verdicts,
)
from twin.analysis.struggle.metrics import (
    BASELINE_WEEKS,
    MIN_OUTCOMES_FOR_METRICS,
    OutcomeRecord,
    PerformanceReport,
    StruggleReduction,
    WeeklyPerformance,
    performance_report,
    weekly_trend,
)
from twin.analysis.struggle.metrics import struggle_reduction as reduction_of
from twin.analysis.struggle.outcomes import PREDICTION_THRESHOLD, prediction_status
from twin.analysis.struggle.rules import RULE_MODEL_VERSION
from twin.db.base import new_id
from twin.db.models import PerformanceMetric, PredictionFeedback, StrugglePrediction
from twin.enums import FeedbackType, PredictionStatus
from twin.errors import NotFound, ValidationFailed
from twin.learners import analysis_learner, check_analysis_consent, get_learner, unknown_learner
from twin.services.struggle.models import RECORDED_STATUSES, active_registry_row

METRICS_LOOKBACK_DAYS = 7
"""performance_metrics: local days recomputed by each daily run (late-synced reviews)."""

PERIOD_DAYS: dict[str, int | None] = {"week": 7, "month": 30, "all": None}
"""Current window of the struggle reduction: the last 7 / 30 complete local days, or all."""

MAX_FEEDBACK_COMMENT_CHARS = 2000
"""Longest accepted feedback comment."""

HELPFULNESS_RANGE = (1, 5)
"""Accepted helpfulness ratings (inclusive)."""

Period = Literal["week", "month", "all"]


# --- small helpers ---------------------------------------------------------------------------


# --- outcome capture -------------------------------------------------------------------------


_STUDY_ITEMS_SQL = sa.text(
    """
    SELECT c."objectiveId" AS oid, r."reviewedAt" AS at,
           (r.rating = 'AGAIN') AS again, (r."stabilityBefore" = 0) AS first,
           NULL::float8 AS score
    FROM reviews r JOIN cards c ON c.id = r."cardId"
    WHERE r."userId" = :uid AND c."objectiveId" IS NOT NULL
      AND r."reviewedAt" >= :since AND r."reviewedAt" < :now
    UNION ALL
    SELECT v."objectiveId", v."respondedAt", NULL, false, v.score
    FROM validation_responses v
    WHERE v."userId" = :uid AND v."objectiveId" IS NOT NULL
      AND v."respondedAt" >= :since AND v."respondedAt" < :now
    ORDER BY at
    """
)


def _study_items(
    session: Session, user_id: str, since: datetime, until: datetime
) -> list[StudyItem]:
    """The learner's reviews and validation answers in [since, until), time-ordered."""
    return [
        StudyItem(row.oid, row.at, row.again, bool(row.first), row.score)
        for row in session.execute(_STUDY_ITEMS_SQL, {"uid": user_id, "since": since, "now": until})
    ]


def capture_outcomes(session: Session, user_id: str, now: datetime) -> list[CapturedOutcome]:
    """Record automatic outcomes of the learner's PENDING predictions (see the module docstring).

    Predictions with learner feedback are never touched. Writes in the caller's
    transaction; returns what was done to each prediction it changed.
    """
    now = naive_utc(now)
    zone = get_learner(session, user_id).zone
    rows = session.execute(
        sa.select(
            StrugglePrediction.id,
            StrugglePrediction.learningObjectiveId,
            StrugglePrediction.predictedAt,
            StrugglePrediction.predictedStruggleProbability,
            StrugglePrediction.featureVector,
        )
        .where(
            StrugglePrediction.userId == user_id,
            StrugglePrediction.predictionStatus == PredictionStatus.PENDING,
            StrugglePrediction.predictedAt < now,
            ~sa.exists().where(PredictionFeedback.predictionId == StrugglePrediction.id),
        )
        .order_by(StrugglePrediction.predictedAt, StrugglePrediction.id)
    ).all()
    if not rows:
        return []
    pending = [
        PendingPrediction(
            r.id, r.learningObjectiveId, r.predictedAt, r.predictedStruggleProbability
        )
        for r in rows
    ]
    since = min(p.predicted_at for p in pending) - timedelta(days=BASELINE_DAYS)
    results = decide_outcomes(pending, _study_items(session, user_id, since, now), zone, now)
    if results:
        vectors = {r.id: dict(r.featureVector or {}) for r in rows}
        session.execute(
            sa.update(StrugglePrediction),
            [
                {
                    "id": r.prediction_id,
                    "predictionStatus": r.status,
                    "actualOutcome": r.struggled,
                    "actualOutcomeRecordedAt": now if r.reason == REASON_STUDIED else None,
                    "featureVector": (
                        vectors[r.prediction_id]
                        if r.evidence is None
                        else {
                            **vectors[r.prediction_id],
                            "outcome": {
                                **r.evidence.stored_json(),
                                "struggled": r.struggled,
                                "studyDate": None
                                if r.study_date is None
                                else r.study_date.isoformat(),
                                "reason": r.reason,
                            },
                        }
                    ),
                }
                for r in results
            ],
        )
    return results


# --- learner feedback ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackResult:
    """The stored feedback and the prediction's new state."""

    feedback_id: str
    prediction_id: str
    feedback_type: FeedbackType
    actual_struggle: bool
    helpfulness: int | None
    comments: str | None
    submitted_at: datetime
    probability: float
    previous_status: PredictionStatus
    status: PredictionStatus
    previous_outcome: bool | None


def _check_feedback(helpfulness: int | None, comments: str | None) -> None:
    """ValidationFailed naming each bad field (the API validates the same first)."""
    details = []
    low, high = HELPFULNESS_RANGE
    if helpfulness is not None and not low <= helpfulness <= high:
        details.append({"index": None, "field": "helpfulness", "reason": f"must be {low}-{high}"})
    if comments is not None and len(comments) > MAX_FEEDBACK_COMMENT_CHARS:
        details.append(
            {
                "index": None,
                "field": "comments",
                "reason": f"at most {MAX_FEEDBACK_COMMENT_CHARS} characters",
            }
        )
    if details:
        reasons = ", ".join(f"{d['field']}: {d['reason']}" for d in details)
        raise ValidationFailed(f"invalid feedback: {reasons}", details=details)


_FEEDBACK_READ_SQL = sa.text(
    """
    WITH prev AS (
      SELECT id, "predictionStatus" AS status, "actualOutcome" AS outcome,
             "predictedStruggleProbability" AS p
      FROM struggle_predictions WHERE id = :pid AND "userId" = :uid
      FOR UPDATE
    )
    SELECT u."behavioralAnalysisEnabled" AS enabled, prev.id, prev.status, prev.outcome, prev.p
    FROM users u LEFT JOIN prev ON true
    WHERE u.id = :uid
    """
)

_FEEDBACK_WRITE_SQL = sa.text(
    """
    WITH upd AS (
      UPDATE struggle_predictions
      SET "actualOutcome" = :actual, "actualOutcomeRecordedAt" = :now,
          "predictionStatus" = CAST(:status AS "PredictionStatus")
      WHERE id = :pid
    )
    INSERT INTO prediction_feedback
      (id, "predictionId", "userId", "feedbackType", "actualStruggle", helpfulness, comments,
       "submittedAt")
    VALUES (:fid, :pid, :uid, CAST(:kind AS "FeedbackType"), :actual, :helpfulness, :comments,
            :now)
    """
)


def record_feedback(
    session: Session,
    user_id: str,
    prediction_id: str,
    *,
    actual_struggle: bool,
    feedback_type: FeedbackType | str | None = None,
    helpfulness: int | None = None,
    comments: str | None = None,
    now: datetime,
) -> FeedbackResult:
    """Store the learner's feedback; their answer becomes the outcome and sets the status.

    404 when the learner is unknown, or the prediction is unknown or another learner's;
    403 when the learner switched behavioural analysis off. Without a ``feedback_type``:
    HELPFUL when the prediction was right (p ≥ 0.5 ⇔ struggled), INACCURATE when wrong.
    Two statements (read and lock; update and insert), so it stays well under 20 ms.
    """
    _check_feedback(helpfulness, comments)
    try:
        kind = None if feedback_type is None else FeedbackType(feedback_type)
    except ValueError:
        raise ValidationFailed(
            f"invalid feedback: feedbackType {feedback_type!r} is not one of "
            f"{', '.join(FeedbackType)}",
            details=[{"index": None, "field": "feedbackType", "reason": "unknown value"}],
        ) from None
    now = naive_utc(now)
    row = session.execute(_FEEDBACK_READ_SQL, {"pid": prediction_id, "uid": user_id}).first()
    if row is None:
        raise unknown_learner(user_id)
    check_analysis_consent(user_id, bool(row.enabled))
    if row.id is None:
        raise NotFound(f"no prediction {prediction_id!r} for learner {user_id!r}")
    p = float(row.p)
    if kind is None:
        right = (p >= PREDICTION_THRESHOLD) == actual_struggle
        kind = FeedbackType.HELPFUL if right else FeedbackType.INACCURATE
    status = PredictionStatus(prediction_status(p, actual_struggle).value)
    feedback_id = new_id()
    session.execute(
        _FEEDBACK_WRITE_SQL,
        {
            "pid": prediction_id,
            "uid": user_id,
            "fid": feedback_id,
            "actual": actual_struggle,
            "now": now,
            "status": status.value,
            "kind": kind.value,
            "helpfulness": helpfulness,
            "comments": comments,
        },
    )
    return FeedbackResult(
        feedback_id=feedback_id,
        prediction_id=prediction_id,
        feedback_type=kind,
        actual_struggle=actual_struggle,
        helpfulness=helpfulness,
        comments=comments,
        submitted_at=now,
        probability=p,
        previous_status=PredictionStatus(row.status),
        status=status,
        previous_outcome=row.outcome,
    )


# --- performance_metrics ---------------------------------------------------------------------


_METRICS_SQL = sa.text(
    """
    SELECT c."objectiveId" AS oid,
           ((r."reviewedAt" AT TIME ZONE 'UTC') AT TIME ZONE :tz)::date AS day,
           count(*) AS n,
           count(*) FILTER (WHERE r.rating <> 'AGAIN') AS correct,
           count(*) FILTER (WHERE r.rating = 'AGAIN') AS incorrect,
           coalesce(sum(r."timeSpentMs"), 0) AS spent
    FROM reviews r JOIN cards c ON c.id = r."cardId"
    WHERE r."userId" = :uid AND c."objectiveId" IS NOT NULL
      AND r."reviewedAt" >= :since AND r."reviewedAt" < :now
    GROUP BY 1, 2
    """
)


def refresh_performance_metrics(
    session: Session, user_id: str, now: datetime, *, full: bool | None = None
) -> int:
    """Upsert performance_metrics per (objective, local day) from reviews; returns rows written.

    Recomputes the last :data:`METRICS_LOOKBACK_DAYS` local days (today so far included),
    or the whole history when ``full`` is true or, with ``full=None``, when the learner
    has no performance_metrics yet.
    """
    now = naive_utc(now)
    zone = get_learner(session, user_id).zone
    if full is None:
        full = (
            session.scalar(
                sa.select(PerformanceMetric.id).where(PerformanceMetric.userId == user_id).limit(1)
            )
            is None
        )
    since = (
        datetime(1970, 1, 1)
        if full
        else local_midnight_utc(local_date(now, zone) - timedelta(days=METRICS_LOOKBACK_DAYS), zone)
    )
    rows = session.execute(
        _METRICS_SQL, {"uid": user_id, "tz": zone.key, "since": since, "now": now}
    ).all()
    if not rows:
        return 0
    values = [
        {
            "id": new_id(),
            "userId": user_id,
            "learningObjectiveId": r.oid,
            "date": datetime.combine(r.day, time(0)),
            "retentionScore": rounded(r.correct / r.n),
            "studyTimeMs": int(r.spent),
            "reviewCount": int(r.n),
            "correctReviews": int(r.correct),
            "incorrectReviews": int(r.incorrect),
            "createdAt": now,
        }
        for r in rows
    ]
    stmt = pg_insert(PerformanceMetric)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["userId", "learningObjectiveId", "date"],
            set_={
                k: stmt.excluded[k]
                for k in (
                    "retentionScore",
                    "studyTimeMs",
                    "reviewCount",
                    "correctReviews",
                    "incorrectReviews",
                )
            },
        ),
        values,
    )
    return len(values)


# --- model performance -----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleModelSummary:
    """The rule baseline predicts: no trained model is active."""

    version: str
    kind: str
    held_out_metrics: None = None


@dataclass(frozen=True)
class TrainedModelSummary:
    """A trained model from the registry predicts (global), with its held-out metrics."""

    version: str
    kind: str
    activated_at: datetime | None
    outcome_count: int
    learner_count: int
    held_out_metrics: dict[str, Any]


@dataclass(frozen=True)
class ModelPerformance:
    """Metrics of a learner's predictions from recorded outcomes, and the active model."""

    user_id: str
    outcomes: int
    active_model: RuleModelSummary | TrainedModelSummary
    insufficient: InsufficientData | None = None
    """Below :data:`MIN_OUTCOMES_FOR_METRICS` recorded outcomes: no metric at all."""
    overall: PerformanceReport | None = None
    by_model_version: dict[str, PerformanceReport | InsufficientData] | None = None
    weekly: list[WeeklyPerformance] | None = None

    @property
    def status(self) -> Literal["ok", "insufficient_data"]:
        """``insufficient_data`` below :data:`MIN_OUTCOMES_FOR_METRICS` recorded outcomes."""
        return "insufficient_data" if self.insufficient is not None else "ok"

    @property
    def min_outcomes(self) -> int:
        """Recorded outcomes needed before any metric is given."""
        return MIN_OUTCOMES_FOR_METRICS


def _active_model_summary(session: Session) -> RuleModelSummary | TrainedModelSummary:
    """The registry's active model (global) and its held-out metrics."""
    row = active_registry_row(session)
    if row is None:
        return RuleModelSummary(RULE_MODEL_VERSION, "rules")
    return TrainedModelSummary(
        version=row.version,
        kind=row.kind,
        activated_at=row.activatedAt,
        outcome_count=row.outcomeCount,
        learner_count=row.learnerCount,
        held_out_metrics=dict(row.metrics),
    )


def model_performance(
    session: Session, user_id: str, as_of: datetime | None = None
) -> ModelPerformance:
    """Accuracy, precision, recall, F1, AUC, Brier, calibration, confusion, weekly trend.

    Only predictions with a recorded outcome count (never a claim without outcomes);
    below :data:`MIN_OUTCOMES_FOR_METRICS` the answer is ``{"outcomes": {have, need}}``.
    Weeks are the learner's local ISO weeks of ``actualOutcomeRecordedAt``. With ``as_of``
    only outcomes recorded by then count.
    """
    zone = analysis_learner(session, user_id).zone
    query = sa.select(
        StrugglePrediction.predictedStruggleProbability,
        StrugglePrediction.actualOutcome,
        StrugglePrediction.actualOutcomeRecordedAt,
        StrugglePrediction.featureVector["modelVersion"].astext,
    ).where(
        StrugglePrediction.userId == user_id,
        StrugglePrediction.predictionStatus.in_(RECORDED_STATUSES),
        StrugglePrediction.actualOutcome.is_not(None),
    )
    if as_of is not None:
        query = query.where(StrugglePrediction.actualOutcomeRecordedAt <= naive_utc(as_of))
    rows = session.execute(query.order_by(StrugglePrediction.actualOutcomeRecordedAt)).all()
    probs = [float(r[0]) for r in rows]
    ys = [bool(r[1]) for r in rows]
    overall = performance_report(probs, ys)
    active = _active_model_summary(session)
    if isinstance(overall, InsufficientData):
        return ModelPerformance(user_id, len(rows), active, insufficient=overall)
    versions: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        versions[r[3] or "unknown"].append(i)
    by_version = {
        v: performance_report([probs[i] for i in idx], [ys[i] for i in idx])
        for v, idx in sorted(versions.items())
    }
    records = [
        OutcomeRecord(
            probability=probs[i],
            struggled=ys[i],
            recorded_at=aware_utc(r[2] or datetime(1970, 1, 1)).astimezone(zone),
        )
        for i, r in enumerate(rows)
    ]
    return ModelPerformance(
        user_id,
        len(rows),
        active,
        overall=overall,
        by_model_version=by_version,
        weekly=weekly_trend(records),
    )


# --- struggle reduction ----------------------------------------------------------------------


def objective_window_verdicts(
    session: Session, user_id: str, since: datetime, until: datetime
) -> list[bool]:
    """Per objective studied in [since, until): did the learner struggle on it (window verdict)?

    Baseline: the learner's other objectives in the same window. Objectives with fewer
    than 5 non-first reviews and validation answers (or without a baseline) are left out.
    """
    return window_verdicts(_study_items(session, user_id, since, until), since, until)


@dataclass(frozen=True)
class DateWindow:
    """Local days ``start`` (inclusive) to ``end`` (exclusive)."""

    start: date
    end: date


@dataclass(frozen=True)
class ReductionReport:
    """Struggle reduction of one learner over one period, with its windows."""

    user_id: str
    period: str
    predictions_enabled_at: datetime | None
    baseline_window: DateWindow | None
    current_window: DateWindow | None
    result: StruggleReduction | InsufficientData

    @property
    def status(self) -> Literal["ok", "insufficient_data"]:
        """``insufficient_data`` when a window has too few studied objectives."""
        return "insufficient_data" if isinstance(self.result, InsufficientData) else "ok"

    @property
    def insufficient(self) -> InsufficientData | None:
        """The unmet minimum, if any."""
        return self.result if isinstance(self.result, InsufficientData) else None

    @property
    def change(self) -> Literal["fell", "rose", "unchanged"] | None:
        """Which way the share of struggles went (None without a result)."""
        if not isinstance(self.result, StruggleReduction):
            return None
        if self.result.current_rate < self.result.baseline_rate:
            return "fell"
        if self.result.current_rate > self.result.baseline_rate:
            return "rose"
        return "unchanged"

    @property
    def summary(self) -> str:
        """The result in one sentence."""
        r = self.result
        if not isinstance(r, StruggleReduction):
            return f"not enough data yet: {r.requirement}: {r.have} of {r.need}"
        before = (
            f"{r.baseline_rate:.0%} of the objectives studied were struggles before predictions"
        )
        now = f"{r.current_rate:.0%} in the current window"
        if self.change == "unchanged":
            return f"struggles unchanged: {before}, {now}"
        sign = "fewer" if self.change == "fell" else "more"
        return (
            f"struggles {self.change}: {before}, {now} ({abs(r.reduction):.0%} {sign} than before)"
        )


def struggle_reduction(
    session: Session, user_id: str, period: Period | str, *, now: datetime
) -> ReductionReport:
    """(baseline rate − current rate) / baseline rate; rate = share of studied objectives struggled on.

    Each window's rate: of the objectives studied in it (≥ 5 non-first reviews and
    validation answers), the share whose evidence favours a struggle over the learner's
    baseline in that window (:func:`~twin.analysis.struggle.outcomes.window_verdict`).

    Baseline: the 6 weeks (local days) before the day of the learner's first prediction.
    Current: the last 7 (``week``) or 30 (``month``) complete local days, or every
    complete day since the first prediction (``all``); never before the first prediction.
    """
    if period not in PERIOD_DAYS:
        raise ValidationFailed(
            f"invalid period {period!r}: expected one of {', '.join(PERIOD_DAYS)}",
            details=[{"index": None, "field": "period", "reason": "week, month or all"}],
        )
    zone = analysis_learner(session, user_id).zone
    now = naive_utc(now)
    first = session.scalar(
        sa.select(sa.func.min(StrugglePrediction.predictedAt)).where(
            StrugglePrediction.userId == user_id, StrugglePrediction.predictedAt <= now
        )
    )
    if first is None:
        return ReductionReport(
            user_id, period, None, None, None, InsufficientData("predictions", 0, 1)
        )
    enabled_day = local_date(first, zone)
    today = local_date(now, zone)
    baseline = (enabled_day - timedelta(weeks=BASELINE_WEEKS), enabled_day)
    days = PERIOD_DAYS[period]
    current_start = enabled_day if days is None else max(enabled_day, today - timedelta(days=days))
    current = (current_start, today)
    base = objective_window_verdicts(
        session,
        user_id,
        local_midnight_utc(baseline[0], zone),
        local_midnight_utc(baseline[1], zone),
    )
    cur = objective_window_verdicts(
        session, user_id, local_midnight_utc(current[0], zone), local_midnight_utc(current[1], zone)
    )
    result = reduction_of(sum(base), len(base), sum(cur), len(cur))
    return ReductionReport(
        user_id, period, first, DateWindow(*baseline), DateWindow(*current), result
    )
