"""Recommendations (ENGINE.md 5.6): generate from every source, list, apply, dismiss, evaluate.

**States.** A row is *open* while PENDING or VIEWED and neither applied nor dismissed;
*applied* once ``appliedAt`` is set (an ``applied_recommendations`` row holds its 2-week
baseline); *rated* (RATED) once its test period was measured; *dismissed* (DISMISSED).
The key (``recommendation_keys``) of a dismissed or applied recommendation is never
recommended again — a dismissal is remembered and applied advice is not repeated; its
measured outcome moves the type's impact instead ("types that worked rank higher").

**Generation** (:func:`generate`): the providers' signals (:mod:`.providers`) → scored
candidates → :func:`~twin.analysis.insights.recommendations.select_new` (top 5 open, ≤ 2
per type, no key twice) → new rows, their keys, sources and evidence, and a
RECOMMENDATION_AVAILABLE notification each.

**Evaluation** (:func:`evaluate_due`): 14 days after applying, the type's outcome metric
over the 14 days before vs the 14 days after (Welch 95% interval): IMPROVED / NEUTRAL /
DECLINED in ``currentMetrics``, ``effectiveness``, ``evaluatedAt``; the recommendation
becomes RATED. Fewer than 5 observations in a window is recorded as insufficient data
(no verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData, aware_utc, naive_utc
from twin.analysis.insights import notifications as drafts
from twin.analysis.insights.common import SourceKind, SourceRef
from twin.analysis.insights.evaluation import (
    OUTCOME_METRIC_BY_TYPE,
    EvaluationResult,
    Verdict,
    baseline_metrics,
    evaluate_application,
    evaluation_due,
    evaluation_windows,
    split_windows,
)
from twin.analysis.insights.recommendations import (
    MAX_PENDING,
    OpenRecommendation,
    RecommendationCandidate,
    RecommendationRecord,
    generate_candidates,
    select_new,
    top_pending,
    type_histories,
)
from twin.db.base import new_id
from twin.db.models import (
    AppliedRecommendation,
    Recommendation,
    RecommendationKey,
)
from twin.enums import ApplicationType, RecommendationStatus, RecommendationType
from twin.errors import Conflict, NotFound
from twin.learners import Learner, analysis_learner
from twin.services.insights.common import lock_insights
from twin.services.insights.notifications import notify
from twin.services.insights.outcomes import load_window, observations
from twin.services.insights.providers import PROVIDERS, CandidateProvider, gather_sources

APPLIED_FILTER = "APPLIED"
OPEN_FILTER = "OPEN"
STATUS_FILTERS = (OPEN_FILTER, APPLIED_FILTER, *(s.value for s in RecommendationStatus))
DEFAULT_LIMIT = MAX_PENDING
MAX_LIMIT = 100
OPEN_STATUSES = (RecommendationStatus.PENDING, RecommendationStatus.VIEWED)


@dataclass(frozen=True)
class Outcome:
    """The measured outcome of an applied recommendation (None fields until measured)."""

    application_type: ApplicationType
    applied_at: datetime
    baseline: dict[str, Any]
    evaluated_at: datetime | None
    verdict: Verdict | None
    change: float | None
    ci95: tuple[float, float] | None
    effectiveness: float | None
    insufficient: dict[str, dict[str, int]] | None


@dataclass(frozen=True)
class RecommendationView:
    """A recommendation with its identity, sources, evidence and (once applied) its outcome."""

    id: str
    key: str | None
    recommendation_type: RecommendationType
    title: str
    description: str
    actionable_text: str
    confidence: float
    estimated_impact: float
    ease_of_implementation: float
    user_readiness: float
    priority_score: float
    status: RecommendationStatus
    created_at: datetime
    applied_at: datetime | None
    dismissed_at: datetime | None
    sources: tuple[SourceRef, ...]
    evidence: tuple[str, ...]
    outcome: Outcome | None


def _outcome(applied: AppliedRecommendation | None) -> Outcome | None:
    if applied is None:
        return None
    current = applied.currentMetrics or {}
    verdict = current.get("verdict")
    ci = current.get("ci95")
    return Outcome(
        application_type=applied.applicationType,
        applied_at=applied.appliedAt,
        baseline=dict(applied.baselineMetrics or {}),
        evaluated_at=applied.evaluatedAt,
        verdict=Verdict(verdict) if isinstance(verdict, str) else None,
        change=current.get("change"),
        ci95=(float(ci[0]), float(ci[1])) if isinstance(ci, list) and len(ci) == 2 else None,
        effectiveness=applied.effectiveness,
        insufficient=current.get("insufficient"),
    )


def _views(session: Session, rows: Sequence[Recommendation]) -> list[RecommendationView]:
    ids = [r.id for r in rows]
    if not ids:
        return []
    keys = {
        k.recommendationId: k
        for k in session.scalars(
            sa.select(RecommendationKey).where(RecommendationKey.recommendationId.in_(ids))
        )
    }
    applied = {
        a.recommendationId: a
        for a in session.scalars(
            sa.select(AppliedRecommendation).where(AppliedRecommendation.recommendationId.in_(ids))
        )
    }
    return _build_views(rows, keys, applied)


def _build_views(
    rows: Sequence[Recommendation],
    keys: dict[str, RecommendationKey],
    applied: dict[str, AppliedRecommendation],
) -> list[RecommendationView]:
    out = []
    for r in rows:
        k = keys.get(r.id)
        sources = tuple(
            SourceRef(SourceKind(s["kind"]), str(s["id"]))
            for s in (k.sources if k is not None else [])
            if isinstance(s, dict) and s.get("kind") in SourceKind._value2member_map_
        )
        if k is None:  # a row written by someone else: its seed columns are all there is
            sources = tuple(SourceRef(SourceKind.PATTERN, i) for i in r.sourcePatternIds) + tuple(
                SourceRef(SourceKind.INSIGHT, i) for i in r.sourceInsightIds
            )
        out.append(
            RecommendationView(
                id=r.id,
                key=None if k is None else k.key,
                recommendation_type=r.recommendationType,
                title=r.title,
                description=r.description,
                actionable_text=r.actionableText,
                confidence=r.confidence,
                estimated_impact=r.estimatedImpact,
                ease_of_implementation=r.easeOfImplementation,
                user_readiness=r.userReadiness,
                priority_score=r.priorityScore,
                status=r.status,
                created_at=r.createdAt,
                applied_at=r.appliedAt,
                dismissed_at=r.dismissedAt,
                sources=sources,
                evidence=tuple(k.evidence) if k is not None else (),
                outcome=_outcome(applied.get(r.id)),
            )
        )
    return out


_STATE_SQL = sa.text(
    """
    SELECT r.id, r."recommendationType"::text AS kind, r.status::text AS status,
           r."priorityScore" AS priority, r."appliedAt" AS applied_at,
           r."dismissedAt" AS dismissed_at, k.key, a."currentMetrics"->>'verdict' AS verdict
    FROM recommendations r
    LEFT JOIN recommendation_keys k ON k."recommendationId" = r.id
    LEFT JOIN applied_recommendations a ON a."recommendationId" = r.id
    WHERE r."userId" = :u
    """
)


@dataclass(frozen=True)
class RecommendationState:
    """What generation needs of the stored recommendations: open ones, blocked keys, history."""

    open: tuple[OpenRecommendation, ...]
    blocked: frozenset[str]
    records: tuple[RecommendationRecord, ...]


def recommendation_state(session: Session, user_id: str) -> RecommendationState:
    """Open recommendations, keys never to repeat (dismissed or applied), per-type history."""
    opened, blocked, records = [], set(), []
    for r in session.execute(_STATE_SQL, {"u": user_id}):
        rtype = RecommendationType(r.kind)
        key = r.key or f"row:{r.id}"
        dismissed = r.status == RecommendationStatus.DISMISSED or r.dismissed_at is not None
        applied = r.applied_at is not None
        if dismissed or applied:
            blocked.add(key)
        elif r.status in OPEN_STATUSES:
            opened.append(OpenRecommendation(key, rtype, float(r.priority)))
        records.append(
            RecommendationRecord(
                rtype,
                applied=applied,
                dismissed=dismissed,
                verdict=Verdict(r.verdict) if r.verdict else None,
            )
        )
    return RecommendationState(tuple(opened), frozenset(blocked), tuple(records))


@dataclass(frozen=True)
class GenerationResult:
    """What one generation did: the candidates considered and the recommendations created."""

    candidates: int
    created: tuple[str, ...]
    notifications: int


def generate(
    session: Session,
    learner: Learner,
    now: datetime,
    providers: Sequence[CandidateProvider] = PROVIDERS,
) -> GenerationResult:
    """New recommendations from every source (lock held by the caller)."""
    sources = gather_sources(session, learner, now, providers)
    state = recommendation_state(session, learner.user_id)
    candidates = generate_candidates(sources, type_histories(state.records))
    chosen = select_new(candidates, open_recommendations=state.open, blocked_keys=state.blocked)
    at = naive_utc(now)
    created, notes = [], []
    for c in chosen:
        row = Recommendation(id=new_id(), userId=learner.user_id, createdAt=at, **c.to_row())
        session.add(row)
        created.append(row.id)
        notes.append(drafts.new_recommendation(row.id, c.title, c.priority_score))
        session.add(_key_row(learner.user_id, row.id, c, at))
    session.flush()
    made = notify(session, learner.user_id, notes, now)
    return GenerationResult(len(candidates), tuple(created), len(made))


def _key_row(
    user_id: str, recommendation_id: str, c: RecommendationCandidate, at: datetime
) -> RecommendationKey:
    return RecommendationKey(
        id=new_id(),
        recommendationId=recommendation_id,
        userId=user_id,
        key=c.key,
        sources=[s.to_json() for s in c.sources],
        evidence=list(c.evidence),
        createdAt=at,
    )


def list_recommendations(
    session: Session,
    user_id: str,
    *,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
    checked: bool = False,
) -> list[RecommendationView]:
    """Open ones by default (top ``limit``, ≤ 2 per type); else every row of that status, newest first.

    ``checked``: the caller already checked the learner and their consent.
    """
    if not checked:
        analysis_learner(session, user_id)
    query = sa.select(Recommendation).where(Recommendation.userId == user_id)
    chosen = status or OPEN_FILTER
    if chosen == OPEN_FILTER:
        return top_open(session, user_id, limit)
    if chosen == APPLIED_FILTER:
        query = query.where(Recommendation.appliedAt.is_not(None))
    else:
        query = query.where(Recommendation.status == RecommendationStatus(chosen))
    rows = list(
        session.scalars(
            query.order_by(Recommendation.createdAt.desc(), Recommendation.id.desc()).limit(limit)
        )
    )
    return _views(session, rows)


def top_open(session: Session, user_id: str, limit: int) -> list[RecommendationView]:
    """The top ``limit`` open recommendations (≤ 2 per type), read in one statement.

    Every open row with its key and application (LEFT JOINs on their unique
    ``recommendationId``), then :func:`~twin.analysis.insights.recommendations.top_pending`.
    """
    rows: dict[str, Recommendation] = {}
    keys: dict[str, RecommendationKey] = {}
    applied: dict[str, AppliedRecommendation] = {}
    query = (
        sa.select(Recommendation, RecommendationKey, AppliedRecommendation)
        .outerjoin(RecommendationKey, RecommendationKey.recommendationId == Recommendation.id)
        .outerjoin(
            AppliedRecommendation, AppliedRecommendation.recommendationId == Recommendation.id
        )
        .where(
            Recommendation.userId == user_id,
            Recommendation.status.in_(OPEN_STATUSES),
            Recommendation.appliedAt.is_(None),
            Recommendation.dismissedAt.is_(None),
        )
    )
    for r, k, a in session.execute(query):
        rows[r.id] = r
        if k is not None:
            keys[r.id] = k
        if a is not None:
            applied[r.id] = a
    views = _build_views(list(rows.values()), keys, applied)
    shown = top_pending(
        [
            OpenRecommendation(v.key or f"row:{v.id}", v.recommendation_type, v.priority_score)
            for v in views
        ],
        limit=limit,
    )
    by_key = {v.key or f"row:{v.id}": v for v in views}
    return [by_key[o.key] for o in shown]


def _recommendation(session: Session, user_id: str, recommendation_id: str) -> Recommendation:
    row = session.scalar(
        sa.select(Recommendation).where(
            Recommendation.userId == user_id, Recommendation.id == recommendation_id
        )
    )
    if row is None:
        raise NotFound(f"learner {user_id!r} has no recommendation {recommendation_id!r}")
    return row


def _conflict(message: str, reason: str) -> Conflict:
    return Conflict(
        message, details=[{"index": None, "field": "recommendationId", "reason": reason}]
    )


def apply_recommendation(
    session: Session,
    user_id: str,
    recommendation_id: str,
    application_type: ApplicationType,
    now: datetime,
) -> RecommendationView:
    """Record the application with the 2 weeks of baseline metrics (409 if dismissed or applied)."""
    learner = analysis_learner(session, user_id)
    lock_insights(session, user_id)
    row = _recommendation(session, user_id, recommendation_id)
    if row.status is RecommendationStatus.DISMISSED or row.dismissedAt is not None:
        raise _conflict(
            f"recommendation {recommendation_id!r} was dismissed and cannot be applied",
            "dismissed",
        )
    if row.appliedAt is not None:
        raise _conflict(
            f"recommendation {recommendation_id!r} is already applied", "already applied"
        )
    now = aware_utc(now)
    metric = OUTCOME_METRIC_BY_TYPE[row.recommendationType]
    windows = evaluation_windows(now)
    data = load_window(session, user_id, windows.baseline_start, windows.baseline_end)
    obs = observations(data, metric, learner.zone, windows.baseline_start, windows.baseline_end)
    values = [o.value for o in obs]
    latest_score = session.scalar(
        sa.text(
            'SELECT score FROM behavioral_scores WHERE "userId" = :u AND "weekStart" <= :d '
            'ORDER BY "weekStart" DESC LIMIT 1'
        ),
        {"u": user_id, "d": now.date()},
    )
    baseline = baseline_metrics(
        values,
        metric,
        windows,
        behavioral_score=None if latest_score is None else float(latest_score),
        avg_confidence=row.confidence,
        session_count=len(data.sessions),
    )
    at = naive_utc(now)
    session.add(
        AppliedRecommendation(
            id=new_id(),
            recommendationId=row.id,
            userId=user_id,
            applicationType=application_type,
            baselineMetrics=baseline,
            appliedAt=at,
        )
    )
    row.appliedAt = at
    row.status = RecommendationStatus.VIEWED
    session.flush()
    return _views(session, [row])[0]


def dismiss_recommendation(
    session: Session, user_id: str, recommendation_id: str, now: datetime
) -> RecommendationView:
    """Dismiss for good (its key is never recommended again); 409 once applied."""
    analysis_learner(session, user_id)
    lock_insights(session, user_id)
    row = _recommendation(session, user_id, recommendation_id)
    if row.appliedAt is not None:
        raise _conflict(
            f"recommendation {recommendation_id!r} is applied and being measured; "
            "it cannot be dismissed",
            "applied",
        )
    if row.status is not RecommendationStatus.DISMISSED:
        row.status = RecommendationStatus.DISMISSED
        row.dismissedAt = naive_utc(now)
        session.flush()
    return _views(session, [row])[0]


@dataclass(frozen=True)
class EvaluationRun:
    """Applications measured by one run."""

    evaluated: int
    improved: int
    neutral: int
    declined: int
    insufficient: int


def evaluate_due(session: Session, learner: Learner, now: datetime) -> EvaluationRun:
    """Measure every application whose 14-day test period is over (lock held by the caller)."""
    now = aware_utc(now)
    due = [
        (a, r)
        for a, r in session.execute(
            sa.select(AppliedRecommendation, Recommendation)
            .join(Recommendation, Recommendation.id == AppliedRecommendation.recommendationId)
            .where(
                AppliedRecommendation.userId == learner.user_id,
                AppliedRecommendation.evaluatedAt.is_(None),
            )
            .order_by(AppliedRecommendation.appliedAt)
        ).all()
        if evaluation_due(aware_utc(a.appliedAt), now)
    ]
    counts = {"IMPROVED": 0, "NEUTRAL": 0, "DECLINED": 0, "insufficient": 0}
    for applied, rec in due:
        result = evaluate_one(session, learner, applied, rec)
        counts["insufficient" if result is None else str(result.verdict)] += 1
        applied.evaluatedAt = naive_utc(now)
        rec.status = RecommendationStatus.RATED
    session.flush()
    return EvaluationRun(
        len(due),
        counts["IMPROVED"],
        counts["NEUTRAL"],
        counts["DECLINED"],
        counts["insufficient"],
    )


def evaluate_one(
    session: Session, learner: Learner, applied: AppliedRecommendation, rec: Recommendation
) -> EvaluationResult | None:
    """The measured outcome of one application, written to its row (None: insufficient data)."""
    applied_at = aware_utc(applied.appliedAt)
    windows = evaluation_windows(applied_at)
    metric = OUTCOME_METRIC_BY_TYPE[rec.recommendationType]
    data = load_window(session, learner.user_id, windows.baseline_start, windows.test_end)
    obs = observations(data, metric, learner.zone, windows.baseline_start, windows.test_end)
    baseline, test = split_windows(obs, applied_at)
    result = evaluate_application(baseline, test, higher_is_better=metric.higher_is_better)
    if isinstance(result, InsufficientData):
        applied.currentMetrics = {"verdict": None, "insufficient": result.to_json()}
        applied.effectiveness = None
        return None
    applied.currentMetrics = result.to_json()
    applied.effectiveness = round(result.effectiveness, 4)
    return result
