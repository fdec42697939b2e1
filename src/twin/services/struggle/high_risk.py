"""The seed's high-risk query for operators: PENDING predictions above a probability, newest first.

One page at a time with a keyset cursor on (predictionDate, id), so a page costs the same
however deep the operator reads. Unlike every other engine query this one spans learners
(it is the operator's view of the cohort); learners who switched analysis off have no
predictions left, so they never appear.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.db.models import LearningObjective, StrugglePrediction, User
from twin.enums import PredictionStatus
from twin.errors import ValidationFailed

HIGH_RISK_FROM = 0.7
"""Default lowest probability of a high-risk prediction (the ENGINE.md alert threshold)."""
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
CURSOR_SEPARATOR = "|"


@dataclass(frozen=True)
class HighRiskRow:
    """One PENDING prediction above the threshold, with its learner and objective."""

    prediction_id: str
    user_id: str
    user_name: str | None
    objective_id: str
    objective_text: str | None
    probability: float
    confidence: float
    predicted_at: datetime


@dataclass(frozen=True)
class HighRiskPage:
    """A page of rows, newest first, and the cursor of the next page (None on the last)."""

    rows: list[HighRiskRow]
    next_cursor: str | None
    min_probability: float


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        "invalid request: cursor: not a cursor this list returned; start again without it",
        details=[{"index": None, "field": "cursor", "reason": "malformed"}],
    )


def encode_cursor(predicted_at: datetime, prediction_id: str) -> str:
    """An opaque cursor after the row (predicted_at, id)."""
    raw = f"{predicted_at.isoformat()}{CURSOR_SEPARATOR}{prediction_id}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (predicted_at, id) a cursor points after; ValidationFailed naming ``cursor`` if bad."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, sep, pid = raw.partition(CURSOR_SEPARATOR)
        if not sep or not pid:
            raise ValueError(cursor)
        return datetime.fromisoformat(when), pid
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None


def high_risk_predictions(
    session: Session,
    *,
    min_probability: float = HIGH_RISK_FROM,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> HighRiskPage:
    """PENDING predictions with probability ≥ ``min_probability``, newest first, one page."""
    if not 0.0 <= min_probability <= 1.0:
        raise ValidationFailed(
            "invalid request: minProbability: must be between 0 and 1",
            details=[{"index": None, "field": "minProbability", "reason": "out of range"}],
        )
    size = max(1, min(limit, MAX_PAGE_SIZE))
    p = StrugglePrediction
    query = (
        sa.select(
            p.id,
            p.userId,
            User.name,
            p.learningObjectiveId,
            LearningObjective.objective,
            p.predictedStruggleProbability,
            p.predictionConfidence,
            p.predictionDate,
        )
        .join(User, User.id == p.userId)
        .outerjoin(LearningObjective, LearningObjective.id == p.learningObjectiveId)
        .where(
            p.predictionStatus == PredictionStatus.PENDING,
            p.predictedStruggleProbability >= min_probability,
        )
    )
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(sa.tuple_(p.predictionDate, p.id) < sa.tuple_(after_at, after_id))
    rows = session.execute(
        query.order_by(p.predictionDate.desc(), p.id.desc()).limit(size + 1)
    ).all()
    page = [
        HighRiskRow(
            prediction_id=r[0],
            user_id=r[1],
            user_name=r[2],
            objective_id=r[3],
            objective_text=r[4],
            probability=float(r[5]),
            confidence=float(r[6]),
            predicted_at=r[7],
        )
        for r in rows[:size]
    ]
    more = len(rows) > size
    next_cursor = encode_cursor(page[-1].predicted_at, page[-1].prediction_id) if more else None
    return HighRiskPage(rows=page, next_cursor=next_cursor, min_probability=min_probability)
