"""In-app notifications (ENGINE.md 5.6): stored once per event, read / unread, newest first.

:func:`notify` inserts drafts whose event — ``(notificationType, relatedEntityType,
relatedEntityId)``, see :mod:`twin.analysis.insights.notifications` — has no row yet. The
caller holds the learner's insights lock (:func:`~twin.services.insights.common.lock_insights`),
so two writers never both see "no row" for one event.

The daily run *pulls* what other capabilities stored since the last run (a pull, not a
hook in their services): patterns at confidence ≥ 0.7 (:func:`pull_patterns`), the latest
burnout assessment entering HIGH or CRITICAL (:func:`pull_burnout`), and struggle alerts
(:func:`pull_struggle_alerts`: pending predictions with p ≥ 0.7 due within 3 days, the top
3 by 5.2's alert priority — from the stored predictions, whose feature vector keeps the
due date and the load).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc
from twin.analysis.insights import notifications as drafts_
from twin.analysis.insights.notifications import NotificationDraft
from twin.analysis.struggle.workflow import AlertCandidate, alerts_for
from twin.db.base import new_id
from twin.db.models import InsightNotification
from twin.enums import BurnoutRiskLevel, NotificationPriority, NotificationType
from twin.errors import NotFound
from twin.learners import get_learner

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class NotificationView:
    """One notification as a learner reads it."""

    id: str
    notification_type: NotificationType
    priority: NotificationPriority
    title: str
    message: str
    related_entity_type: str | None
    related_entity_id: str | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class NotificationList:
    """A page of notifications, newest first, and the learner's unread count."""

    notifications: tuple[NotificationView, ...]
    unread: int


def notification_view(row: InsightNotification) -> NotificationView:
    """The view of a stored notification."""
    return NotificationView(
        id=row.id,
        notification_type=row.notificationType,
        priority=row.priority,
        title=row.title,
        message=row.message,
        related_entity_type=row.relatedEntityType,
        related_entity_id=row.relatedEntityId,
        created_at=row.createdAt,
        read_at=row.readAt,
    )


_KEYS_SQL = sa.text(
    'SELECT "notificationType"::text, "relatedEntityType", "relatedEntityId" '
    'FROM insight_notifications WHERE "userId" = :u AND "relatedEntityId" = ANY(:ids)'
).bindparams(sa.bindparam("ids", type_=sa.ARRAY(sa.Text())))


def notify(
    session: Session, user_id: str, drafts: Sequence[NotificationDraft], now: datetime
) -> list[str]:
    """Insert the drafts whose event has no row yet; the new rows' ids (lock held by the caller)."""
    if not drafts:
        return []
    ids = sorted({d.related_entity_id for d in drafts})
    existing = {
        drafts_.dedup_key(NotificationType(t), str(e), str(i))
        for t, e, i in session.execute(_KEYS_SQL, {"u": user_id, "ids": ids})
    }
    created = []
    for d in drafts_.deduplicate(drafts, existing):
        row = InsightNotification(
            id=new_id(), userId=user_id, createdAt=naive_utc(now), **d.to_row()
        )
        session.add(row)
        created.append(row.id)
    session.flush()
    return created


def list_notifications(
    session: Session,
    user_id: str,
    *,
    unread: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    checked: bool = False,
) -> NotificationList:
    """Newest first; ``unread`` True / False filters; the unread count is always the total."""
    if not checked:
        get_learner(session, user_id)
    query = sa.select(InsightNotification).where(InsightNotification.userId == user_id)
    if unread is True:
        query = query.where(InsightNotification.readAt.is_(None))
    elif unread is False:
        query = query.where(InsightNotification.readAt.is_not(None))
    rows = session.scalars(
        query.order_by(InsightNotification.createdAt.desc(), InsightNotification.id.desc()).limit(
            limit
        )
    )
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(InsightNotification)
        .where(InsightNotification.userId == user_id, InsightNotification.readAt.is_(None))
    )
    return NotificationList(tuple(notification_view(r) for r in rows), int(count or 0))


def mark_read(
    session: Session, user_id: str, notification_id: str, now: datetime
) -> NotificationView:
    """Mark one notification read (reading it again keeps the first time)."""
    get_learner(session, user_id)
    row = session.scalar(
        sa.select(InsightNotification).where(
            InsightNotification.userId == user_id, InsightNotification.id == notification_id
        )
    )
    if row is None:
        raise NotFound(f"learner {user_id!r} has no notification {notification_id!r}")
    if row.readAt is None:
        row.readAt = naive_utc(now)
        session.flush()
    return notification_view(row)


def mark_all_read(session: Session, user_id: str, now: datetime) -> int:
    """Mark every unread notification read; how many were unread."""
    get_learner(session, user_id)
    result = session.execute(
        sa.update(InsightNotification)
        .where(InsightNotification.userId == user_id, InsightNotification.readAt.is_(None))
        .values(readAt=naive_utc(now))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- pulls -----------------------------------------------------------------------------------

_STRONG_PATTERNS_SQL = sa.text(
    'SELECT id, "patternName", "patternType"::text AS kind, confidence FROM behavioral_patterns '
    'WHERE "userId" = :u AND confidence >= :c ORDER BY id'
)


def pull_patterns(session: Session, user_id: str) -> list[NotificationDraft]:
    """NEW_PATTERN drafts for stored patterns at confidence ≥ 0.7."""
    out = []
    for r in session.execute(
        _STRONG_PATTERNS_SQL, {"u": user_id, "c": drafts_.NEW_PATTERN_MIN_CONFIDENCE}
    ):
        draft = drafts_.new_pattern(
            r.id, r.patternName or r.kind.replace("_", " ").lower(), min(1.0, float(r.confidence))
        )
        if draft is not None:
            out.append(draft)
    return out


_LATEST_BURNOUT_SQL = sa.text(
    'SELECT id, "riskScore", "riskLevel"::text AS level, recommendations '
    'FROM burnout_risk_assessments WHERE "userId" = :u AND "assessmentDate" < :now '
    'ORDER BY "assessmentDate" DESC, id DESC LIMIT 2'
)


def pull_burnout(session: Session, user_id: str, now: datetime) -> list[NotificationDraft]:
    """An alert when the latest assessment entered HIGH or CRITICAL (from a lower level)."""
    rows = session.execute(_LATEST_BURNOUT_SQL, {"u": user_id, "now": naive_utc(now)}).all()
    if not rows:
        return []
    latest = rows[0]
    previous = BurnoutRiskLevel(rows[1].level) if len(rows) > 1 else None
    draft = drafts_.burnout_alert(
        latest.id,
        BurnoutRiskLevel(latest.level),
        min(100.0, max(0.0, float(latest.riskScore))),
        previous,
        tuple(latest.recommendations or ()),
    )
    return [] if draft is None else [draft]


_ALERT_PREDICTIONS_SQL = sa.text(
    """
    SELECT p.id, p."predictedStruggleProbability" AS probability,
           p."predictionConfidence" AS confidence, p."featureVector" AS vector,
           coalesce(o.objective, p."learningObjectiveId") AS name
    FROM struggle_predictions p
    LEFT JOIN learning_objectives o ON o.id = p."learningObjectiveId"
    WHERE p."userId" = :u AND p."predictionStatus" = 'PENDING'
      AND p."predictedStruggleProbability" >= :p AND p."predictedAt" <= :now
    """
)


def _due(vector: object) -> datetime | None:
    if not isinstance(vector, dict) or not isinstance(vector.get("dueAt"), str):
        return None
    try:
        return naive_utc(datetime.fromisoformat(vector["dueAt"]))
    except ValueError:
        return None


def pull_struggle_alerts(session: Session, user_id: str, now: datetime) -> list[NotificationDraft]:
    """5.2's alerts (p ≥ 0.7, due within 3 days, top 3) as drafts, from the stored predictions."""
    from twin.analysis.struggle.workflow import ALERT_MIN_PROBABILITY

    at = naive_utc(now)
    rows = session.execute(
        _ALERT_PREDICTIONS_SQL, {"u": user_id, "p": ALERT_MIN_PROBABILITY, "now": at}
    ).all()
    candidates, info = [], {}
    for r in rows:
        due = _due(r.vector)
        if due is None:
            continue
        features = (r.vector.get("features") or {}) if isinstance(r.vector, dict) else {}
        load = features.get("cognitiveLoadIndicator")
        candidates.append(
            AlertCandidate(
                prediction_id=r.id,
                probability=float(r.probability),
                confidence=float(r.confidence),
                due_in_days=(due - at).total_seconds() / SECONDS_PER_DAY,
                severity=None,
                cognitive_load=float(load) if isinstance(load, int | float) else 0.0,
            )
        )
        info[r.id] = (str(r.name), float(r.probability), due)
    out = []
    for alert in alerts_for(candidates):
        name, probability, due = info[alert.prediction_id]
        out.append(
            drafts_.struggle_alert(
                alert.prediction_id, name, probability, alert.priority, f"{due:%Y-%m-%d}"
            )
        )
    return out
