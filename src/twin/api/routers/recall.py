"""Recall over HTTP: a card's predicted recall under the learner's own memory model.

Thin over :mod:`twin.services.recall`; the answer is :class:`twin.api.schemas.recall.RecallOut`.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Path, Query

from twin.api.deps import CurrentPrincipal, DbSession, Now
from twin.api.guard import GuardedRoute
from twin.api.schemas.recall import RecallOut
from twin.api.types import IdPath, QueryTimestamp, UserId
from twin.services import recall as recall_service
from twin.services.learners import get_user

router = APIRouter(tags=["twin: memory"], route_class=GuardedRoute)


@router.get(
    "/users/{userId}/cards/{cardId}/recall",
    response_model=RecallOut,
    summary="Predicted recall of a card",
)
def card_recall(
    userId: UserId,
    cardId: Annotated[IdPath, Path(description="The card's id")],
    _: CurrentPrincipal,
    session: DbSession,
    now: Now,
    at: Annotated[
        QueryTimestamp | None,
        Query(
            description="RFC 3339 time with an offset, e.g. 2026-03-01T08:00:00+01:00 "
            "(URL-encode '+' as %2B); default now"
        ),
    ] = None,
) -> RecallOut:
    """Probability that the learner recalls the card at ``at``: FSRS-6 with the learner's own
    fitted weights once they have enough reviews (defaults before, or with analysis off)."""
    user = get_user(session, userId)
    when = at if at is not None else now.replace(tzinfo=UTC)
    return RecallOut.model_validate(recall_service.card_recall(session, user, cardId, when))
