"""Outcomes of struggle predictions, learner feedback, measured performance (ENGINE.md 5.2).

Everything here works on what was actually recorded; the pure rules live in
:mod:`twin.analysis.struggle.outcomes` and :mod:`twin.analysis.struggle.metrics`.

**Which study counts (automatic outcome, :func:`capture_outcomes`).** Days are the
learner's *local* calendar days (``users.timezone``), and only whole days count (study
before the local midnight that starts ``now``'s day), so an outcome never changes as more
of the same day's reviews arrive: the daily job at 05:00 local records up to yesterday.

*The evidence rule* (``evidence-v1``, :func:`~twin.analysis.struggle.outcomes.sequential_outcome`)
decides whenever the learner has a baseline. The baseline is how they do on *other*
objectives from 30 days before the prediction to the end of the evidence window: the
share of non-first reviews recalled (≥ 30 reviews) and the mean validation score (≥ 5
answers). The evidence is the objective's own non-first reviews and validation answers
after ``predictedAt``, for at most :data:`NEVER_STUDIED_DISMISS_DAYS` (30) days. First
reviews of a card (``stabilityBefore`` = 0) are left out on both sides: they measure how
new material goes, not whether this objective is hard for this learner. A sequential
probability ratio test (baseline against 60% of it; α = 1%, β = 5%) records the outcome
on the day its boundary is crossed. Why not the ENGINE thresholds alone: at the usual
~3 reviews a day at ~20% AGAIN they fire on about 30% of objectives the learner does
*not* struggle with (measured against the simulator's truth; ``benchmarks/struggle_quality``),
so a model trained on them learns that noise.

*The ENGINE rule* (``engine-v1``) decides when there is no baseline yet (a new learner):
the first day after ``predictedAt`` on which the learner reviewed the objective's cards
≥ :data:`MIN_REVIEWS_FOR_OUTCOME` (3) times or answered a validation prompt on it;
:func:`automatic_outcome` on that day's items (accuracy < 0.65, or ≥ 3 AGAIN, or
validation < 0.6). Its verdict is computed and stored for every prediction either way
(``featureVector.outcome.engineRuleStruggled``), so both can be compared on the same data.

The measurement is stored with the prediction as ``featureVector.outcome`` (rule,
baseline, counts, log-likelihood ratio, study day). While an open prediction is being
measured (its objective has been studied since ``predictedAt``) the prediction service
does not rewrite it (:mod:`twin.services.struggle`): its features must not contain the
evidence it is graded on. Not decided 30 days after the prediction: DISMISSED
(``inconclusive`` when studied, ``never_studied`` otherwise).

One outcome per objective and study day: if several PENDING predictions of O are decided on
the same day D, only the latest of them records the outcome; the older ones become
DISMISSED (superseded) without an outcome. DISMISSED predictions have no
``actualOutcome`` and are left out of every metric and of training.

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

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from twin.analysis.common import (
    InsufficientData,
    local_date,
    local_midnight_utc,
    naive_utc,
    rounded,
)
from twin.analysis.struggle.metrics import (
    BASELINE_WEEKS,
    MIN_OUTCOMES_FOR_METRICS,
    OutcomeRecord,
    PerformanceReport,
    StruggleReduction,
    performance_report,
    weekly_trend,
)
from twin.analysis.struggle.metrics import struggle_reduction as reduction_of
from twin.analysis.struggle.outcomes import (
    ENGINE_RULE,
    EVIDENCE_RULE,
    PREDICTION_THRESHOLD,
    STRUGGLE_AGAIN_AT_LEAST,
    EvidenceDecision,
    EvidenceItem,
    OutcomeBaseline,
    automatic_outcome,
    outcome_baseline,
    prediction_status,
    sequential_outcome,
    window_verdict,
)
from twin.analysis.struggle.rules import RULE_MODEL_VERSION
from twin.db.base import new_id
from twin.db.models import PerformanceMetric, PredictionFeedback, StrugglePrediction
from twin.enums import FeedbackType, PredictionStatus
from twin.errors import NotFound, ValidationFailed
from twin.learners import analysis_learner, check_analysis_consent, get_learner, unknown_learner
from twin.services.struggle_models import RECORDED_STATUSES, active_registry_row

MIN_REVIEWS_FOR_OUTCOME = STRUGGLE_AGAIN_AT_LEAST
"""Reviews of an objective's cards on one local day that make it a study day (3)."""

MIN_VALIDATIONS_FOR_OUTCOME = 1
"""Validation answers on an objective on one local day that make it a study day."""

NEVER_STUDIED_DISMISS_DAYS = 30
"""A prediction whose objective is not studied this many days after it becomes DISMISSED."""

METRICS_LOOKBACK_DAYS = 7
"""performance_metrics: local days recomputed by each daily run (late-synced reviews)."""

PERIOD_DAYS: dict[str, int | None] = {"week": 7, "month": 30, "all": None}
"""Current window of the struggle reduction: the last 7 / 30 complete local days, or all."""

MAX_FEEDBACK_COMMENT_CHARS = 2000
"""Longest accepted feedback comment."""

HELPFULNESS_RANGE = (1, 5)
"""Accepted helpfulness ratings (inclusive)."""

REASON_STUDIED = "studied"
REASON_SUPERSEDED = "superseded"
REASON_NEVER_STUDIED = "never_studied"
REASON_INCONCLUSIVE = "inconclusive"

BASELINE_DAYS = 30
"""The learner's baseline comes from other objectives from this long before the prediction."""

Period = Literal["week", "month", "all"]


# --- small helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DayObservation:
    """What the learner did on one objective on one local day (after a prediction)."""

    reviews: int = 0
    again: int = 0
    validation_scores: tuple[float, ...] = ()

    @property
    def qualifies(self) -> bool:
        """Enough study to judge: ≥ 3 reviews or ≥ 1 validation answer."""
        return (
            self.reviews >= MIN_REVIEWS_FOR_OUTCOME
            or len(self.validation_scores) >= MIN_VALIDATIONS_FOR_OUTCOME
        )

    @property
    def accuracy(self) -> float | None:
        """Share of reviews recalled (rating ≠ AGAIN); None below 3 reviews."""
        if self.reviews < MIN_REVIEWS_FOR_OUTCOME:
            return None
        return (self.reviews - self.again) / self.reviews

    @property
    def validation(self) -> float | None:
        """Mean validation score (0–1), None without answers."""
        if not self.validation_scores:
            return None
        return sum(self.validation_scores) / len(self.validation_scores)

    def struggled(self) -> bool | None:
        """The automatic outcome of ENGINE.md 5.2 for this day."""
        return automatic_outcome(
            self.accuracy, self.again if self.reviews > 0 else None, self.validation
        )


# --- outcome capture -------------------------------------------------------------------------


def _maybe_rounded(x: float | None) -> float | None:
    return None if x is None else rounded(x)


@dataclass(frozen=True)
class OutcomeEvidence:
    """What the automatic capture measured for one prediction (also kept on the prediction)."""

    rule: str
    """:data:`EVIDENCE_RULE` (the sequential test) or :data:`ENGINE_RULE` (no baseline yet)."""
    baseline: OutcomeBaseline
    decision: EvidenceDecision | None
    """The sequential test (evidence rule only)."""
    engine_verdict: bool | None
    """What the ENGINE rule says on the first study day (kept for comparison)."""
    engine_day: date | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (stored as ``featureVector.outcome``)."""
        d = self.decision
        return {
            "rule": self.rule,
            "baselineAccuracy": _maybe_rounded(self.baseline.accuracy),
            "baselineValidation": _maybe_rounded(self.baseline.validation),
            "baselineReviews": self.baseline.reviews,
            "baselineValidations": self.baseline.validations,
            "reviews": None if d is None else d.reviews,
            "again": None if d is None else d.again,
            "validations": None if d is None else d.validations,
            "logLikelihoodRatio": None if d is None else rounded(d.log_likelihood_ratio),
            "engineRuleStruggled": self.engine_verdict,
            "engineRuleDay": None if self.engine_day is None else self.engine_day.isoformat(),
        }


@dataclass(frozen=True)
class CapturedOutcome:
    """What the capture did to one prediction."""

    prediction_id: str
    objective_id: str
    status: PredictionStatus
    reason: str
    """``studied`` (outcome recorded); DISMISSED: ``superseded``, ``never_studied``, ``inconclusive``."""
    struggled: bool | None = None
    study_date: date | None = None
    observation: DayObservation | None = None
    """The ENGINE rule's study day (when there was one)."""
    evidence: OutcomeEvidence | None = None


@dataclass(frozen=True)
class _Item:
    """One study item of the learner: a review or a validation answer."""

    oid: str
    at: datetime
    again: bool | None
    first: bool
    score: float | None


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


def _first_study_day(
    items: Sequence[_Item], after: datetime, zone: ZoneInfo, now: datetime
) -> tuple[date, DayObservation] | None:
    """The first complete local day after ``after`` that qualifies, with its observation."""
    days: dict[date, list[_Item]] = {}
    for item in items:
        if item.at > after:
            days.setdefault(local_date(item.at, zone), []).append(item)
    for day in sorted(days):
        entries = days[day]
        obs = DayObservation(
            reviews=sum(1 for i in entries if i.score is None),
            again=sum(1 for i in entries if i.score is None and i.again),
            validation_scores=tuple(i.score for i in entries if i.score is not None),
        )
        if obs.qualifies:
            if local_midnight_utc(day + timedelta(days=1), zone) > now:
                return None  # the study day is not over yet: wait for it
            return day, obs
    return None


class _Totals:
    """Running sums of time-ordered items, for the baseline of any window in O(log n)."""

    def __init__(self, items: Sequence[_Item]) -> None:
        self.times = [i.at for i in items]
        reviews = again = validations = 0
        score = 0.0
        self.sums: list[tuple[int, int, int, float]] = [(0, 0, 0, 0.0)]
        for i in items:
            if i.score is not None:
                validations += 1
                score += i.score
            elif not i.first:
                reviews += 1
                again += 1 if i.again else 0
            self.sums.append((reviews, again, validations, score))

    def window(self, since: datetime, until: datetime) -> tuple[int, int, int, float]:
        """(non-first reviews, AGAINs among them, validations, score sum) in [since, until)."""
        lo = bisect_left(self.times, since)
        hi = bisect_left(self.times, until)
        a, b = self.sums[lo], self.sums[hi]
        return b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]


def _baseline(
    everything: _Totals, own: _Totals, since: datetime, until: datetime
) -> OutcomeBaseline:
    """The learner's baseline on the other objectives in [since, until)."""
    all_r, all_a, all_v, all_s = everything.window(since, until)
    own_r, own_a, own_v, own_s = own.window(since, until)
    return outcome_baseline(all_r - own_r, all_a - own_a, all_v - own_v, all_s - own_s)


def _evidence(items: Sequence[_Item], after: datetime, until: datetime) -> list[_Item]:
    """The objective's items in (after, until): non-first reviews and validations."""
    return [i for i in items if after < i.at < until and (i.score is not None or not i.first)]


def _as_evidence(items: Sequence[_Item]) -> list[EvidenceItem]:
    """The pure test's view of study items."""
    return [EvidenceItem(again=i.again if i.score is None else None, score=i.score) for i in items]


def capture_outcomes(session: Session, user_id: str, now: datetime) -> list[CapturedOutcome]:
    """Record automatic outcomes of the learner's PENDING predictions (see the module docstring).

    Predictions with learner feedback are never touched. Writes in the caller's
    transaction; returns what was done to each prediction it changed.
    """
    now = naive_utc(now)
    zone = get_learner(session, user_id).zone
    pending = session.execute(
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
    if not pending:
        return []
    since = min(p.predictedAt for p in pending) - timedelta(days=BASELINE_DAYS)
    items: list[_Item] = [
        _Item(row.oid, row.at, row.again, bool(row.first), row.score)
        for row in session.execute(_STUDY_ITEMS_SQL, {"uid": user_id, "since": since, "now": now})
    ]
    by_objective: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_objective[item.oid].append(item)
    everything = _Totals(items)
    totals = {oid: _Totals(own) for oid, own in by_objective.items()}
    no_items = _Totals([])
    # Only whole local days count: nothing after the start of today (local).
    day_over = local_midnight_utc(local_date(now, zone), zone)

    # (objective, study day) → the predictions it resolves, latest predictedAt last.
    groups: dict[tuple[str, date], list[Any]] = defaultdict(list)
    decided: dict[str, tuple[bool, DayObservation | None, OutcomeEvidence]] = {}
    results: list[CapturedOutcome] = []
    dismiss_before = now - timedelta(days=NEVER_STUDIED_DISMISS_DAYS)
    for p in pending:
        own = by_objective.get(p.learningObjectiveId, [])
        engine = _first_study_day(own, p.predictedAt, zone, now)
        engine_day, engine_obs = engine if engine is not None else (None, None)
        engine_verdict = engine_obs.struggled() if engine_obs is not None else None
        horizon = min(day_over, p.predictedAt + timedelta(days=NEVER_STUDIED_DISMISS_DAYS))
        baseline = _baseline(
            everything,
            totals.get(p.learningObjectiveId, no_items),
            p.predictedAt - timedelta(days=BASELINE_DAYS),
            horizon,
        )
        outcome: bool | None = None
        day: date | None = None
        decision: EvidenceDecision | None = None
        if baseline.usable:
            evidence = _evidence(own, p.predictedAt, horizon)
            decision = sequential_outcome(_as_evidence(evidence), baseline)
            if decision.struggled is not None and decision.decided_at is not None:
                outcome = decision.struggled
                day = local_date(evidence[decision.decided_at].at, zone)
            rule = EVIDENCE_RULE
        else:
            outcome, day, rule = engine_verdict, engine_day, ENGINE_RULE
        record = OutcomeEvidence(rule, baseline, decision, engine_verdict, engine_day)
        if outcome is None or day is None:
            if p.predictedAt <= dismiss_before:
                studied = any(i.at > p.predictedAt for i in own)
                reason = REASON_INCONCLUSIVE if studied else REASON_NEVER_STUDIED
                results.append(
                    CapturedOutcome(
                        p.id,
                        p.learningObjectiveId,
                        PredictionStatus.DISMISSED,
                        reason,
                        observation=engine_obs,
                        evidence=record,
                    )
                )
            continue
        groups[(p.learningObjectiveId, day)].append(p)
        decided[p.id] = (outcome, engine_obs, record)

    vectors = {p.id: dict(p.featureVector or {}) for p in pending}
    for (oid, day), preds in groups.items():
        *older, winner = preds
        for p in older:
            results.append(
                CapturedOutcome(p.id, oid, PredictionStatus.DISMISSED, REASON_SUPERSEDED)
            )
        struggled, obs, record = decided[winner.id]
        status = PredictionStatus(
            prediction_status(winner.predictedStruggleProbability, struggled).value
        )
        results.append(
            CapturedOutcome(winner.id, oid, status, REASON_STUDIED, struggled, day, obs, record)
        )

    if results:
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
                                **r.evidence.to_json(),
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


def _report_json(report: PerformanceReport | InsufficientData) -> dict[str, Any]:
    """JSON form of a performance report (or of its insufficient-data answer)."""
    if isinstance(report, InsufficientData):
        return {"status": "insufficient_data", "insufficient": report.to_json()}

    def r(x: float | None) -> float | None:
        return None if x is None else rounded(x)

    cm = report.confusion
    return {
        "status": "ok",
        "n": report.n,
        "struggled": report.n_struggled,
        "accuracy": r(report.accuracy),
        "precision": r(report.precision),
        "recall": r(report.recall),
        "f1": r(report.f1),
        "auc": r(report.auc),
        "brier": r(report.brier),
        "ece": r(report.ece),
        "calibration": [
            {
                "lower": b.lower,
                "upper": b.upper,
                "count": b.count,
                "meanPredicted": r(b.mean_predicted),
                "observedRate": r(b.observed_rate),
            }
            for b in report.calibration
        ],
        "confusionMatrix": {
            "truePositive": cm.true_positive,
            "falsePositive": cm.false_positive,
            "trueNegative": cm.true_negative,
            "falseNegative": cm.false_negative,
        },
    }


@dataclass(frozen=True)
class ModelPerformance:
    """Metrics of a learner's predictions from recorded outcomes, and the active model."""

    user_id: str
    outcomes: int
    overall: PerformanceReport | InsufficientData
    by_model_version: dict[str, PerformanceReport | InsufficientData]
    weekly: list[tuple[date, PerformanceReport | InsufficientData]]
    active_model: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready answer (camelCase)."""
        body: dict[str, Any] = {
            "userId": self.user_id,
            "outcomes": self.outcomes,
            "minOutcomes": MIN_OUTCOMES_FOR_METRICS,
            "activeModel": self.active_model,
        }
        if isinstance(self.overall, InsufficientData):
            body["status"] = "insufficient_data"
            body["insufficient"] = self.overall.to_json()
            return body
        body["status"] = "ok"
        body["overall"] = _report_json(self.overall)
        body["byModelVersion"] = {v: _report_json(r) for v, r in self.by_model_version.items()}
        body["weeklyTrend"] = [
            {"weekStart": d.isoformat(), **_report_json(r)} for d, r in self.weekly
        ]
        return body


def _active_model_summary(session: Session) -> dict[str, Any]:
    """The registry's active model (global) and its held-out metrics."""
    row = active_registry_row(session)
    if row is None:
        return {"version": RULE_MODEL_VERSION, "kind": "rules", "heldOutMetrics": None}
    return {
        "version": row.version,
        "kind": row.kind,
        "activatedAt": None if row.activatedAt is None else row.activatedAt.isoformat() + "Z",
        "outcomeCount": row.outcomeCount,
        "learnerCount": row.learnerCount,
        "heldOutMetrics": dict(row.metrics),
    }


def model_performance(session: Session, user_id: str) -> ModelPerformance:
    """Accuracy, precision, recall, F1, AUC, Brier, calibration, confusion, weekly trend.

    Only predictions with a recorded outcome count (never a claim without outcomes);
    below :data:`MIN_OUTCOMES_FOR_METRICS` the answer is ``{"outcomes": {have, need}}``.
    Weeks are the learner's local ISO weeks of ``actualOutcomeRecordedAt``.
    """
    zone = analysis_learner(session, user_id).zone
    rows = session.execute(
        sa.select(
            StrugglePrediction.predictedStruggleProbability,
            StrugglePrediction.actualOutcome,
            StrugglePrediction.actualOutcomeRecordedAt,
            StrugglePrediction.featureVector["modelVersion"].astext,
        )
        .where(
            StrugglePrediction.userId == user_id,
            StrugglePrediction.predictionStatus.in_(RECORDED_STATUSES),
            StrugglePrediction.actualOutcome.is_not(None),
        )
        .order_by(StrugglePrediction.actualOutcomeRecordedAt)
    ).all()
    probs = [float(r[0]) for r in rows]
    ys = [bool(r[1]) for r in rows]
    overall = performance_report(probs, ys)
    by_version: dict[str, PerformanceReport | InsufficientData] = {}
    weekly: list[tuple[date, PerformanceReport | InsufficientData]] = []
    if not isinstance(overall, InsufficientData):
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
                recorded_at=(r[2] or datetime(1970, 1, 1)).replace(tzinfo=UTC).astimezone(zone),
            )
            for i, r in enumerate(rows)
        ]
        weekly = [(w.week_start, w.report) for w in weekly_trend(records)]
    return ModelPerformance(
        user_id=user_id,
        outcomes=len(rows),
        overall=overall,
        by_model_version=by_version,
        weekly=weekly,
        active_model=_active_model_summary(session),
    )


# --- struggle reduction ----------------------------------------------------------------------


def objective_window_verdicts(
    session: Session, user_id: str, since: datetime, until: datetime
) -> list[bool]:
    """Per objective studied in [since, until): did the learner struggle on it (window verdict)?

    Baseline: the learner's other objectives in the same window. Objectives with fewer
    than 5 non-first reviews and validation answers (or without a baseline) are left out.
    """
    items = [
        _Item(row.oid, row.at, row.again, bool(row.first), row.score)
        for row in session.execute(_STUDY_ITEMS_SQL, {"uid": user_id, "since": since, "now": until})
    ]
    by_objective: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_objective[item.oid].append(item)
    everything = _Totals(items)
    verdicts = []
    for own in by_objective.values():
        baseline = _baseline(everything, _Totals(own), since, until)
        # The window is [since, until): an item exactly at ``since`` belongs to it.
        inside = _evidence(own, since - timedelta(microseconds=1), until)
        verdict = window_verdict(_as_evidence(inside), baseline)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


@dataclass(frozen=True)
class ReductionReport:
    """Struggle reduction of one learner over one period, with its windows."""

    user_id: str
    period: str
    predictions_enabled_at: datetime | None
    baseline: tuple[date, date] | None
    current: tuple[date, date] | None
    result: StruggleReduction | InsufficientData

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready answer: windows as [start, end) local dates."""

        def window(w: tuple[date, date] | None) -> dict[str, str] | None:
            return None if w is None else {"start": w[0].isoformat(), "end": w[1].isoformat()}

        body: dict[str, Any] = {
            "userId": self.user_id,
            "period": self.period,
            "predictionsEnabledAt": None
            if self.predictions_enabled_at is None
            else self.predictions_enabled_at.isoformat() + "Z",
            "baselineWindow": window(self.baseline),
            "currentWindow": window(self.current),
        }
        if isinstance(self.result, InsufficientData):
            body["status"] = "insufficient_data"
            body["insufficient"] = self.result.to_json()
            return body
        r = self.result
        body.update(
            status="ok",
            baselineRate=rounded(r.baseline_rate),
            currentRate=rounded(r.current_rate),
            reduction=rounded(r.reduction),
            baselineObjectives=r.baseline_n,
            currentObjectives=r.current_n,
            meetsTarget=r.meets_target,
        )
        return body


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
            StrugglePrediction.userId == user_id
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
    return ReductionReport(user_id, period, first, baseline, current, result)
