"""Off-line evaluation of another policy from the decision log (``twin personalize evaluate``).

Rewarded rows of ``personalization_decisions`` become :class:`LoggedDecision` s — the
learner is both the context key of the doubly-robust reward model and the cluster of the
standard errors (decisions of one learner are not independent) — and
:func:`evaluate_policy` gives the inverse-propensity and doubly-robust values with 95%
intervals. Over one learner the decisions are the units (no clusters).
"""

from __future__ import annotations

from collections.abc import Hashable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData
from twin.analysis.personalization.offpolicy import (
    LoggedDecision,
    PolicyEvaluation,
    TargetPolicy,
    evaluate_policy,
    fixed_policy,
)
from twin.analysis.personalization.strategy import ARMS, StrategyArm, parse_arm
from twin.enums import PersonalizationContext
from twin.services.personalization.common import invalid_field

UNIFORM = "UNIFORM"
"""The uniformly random policy's name (besides the four arms)."""

_LOG_SQL = sa.text(
    """
    SELECT "userId" AS u, "strategyVariant" AS arm, propensity, reward
    FROM personalization_decisions
    WHERE reward IS NOT NULL AND context = :context
      AND (CAST(:u AS text) IS NULL OR "userId" = CAST(:u AS text))
    ORDER BY "userId", "decidedAt", id
    """
)


def target_policy(name: str) -> TargetPolicy:
    """An arm's name (always that arm) or UNIFORM; 422 naming ``policy`` otherwise."""
    if name.upper() == UNIFORM:
        return lambda _context: {a: 1.0 / len(ARMS) for a in ARMS}
    try:
        return fixed_policy(parse_arm(name.upper()))
    except ValueError as exc:
        raise invalid_field("policy", f"{exc} or {UNIFORM}") from None


def logged_decisions(
    session: Session, context: PersonalizationContext, user_id: str | None = None
) -> list[LoggedDecision]:
    """The rewarded decisions of ``context`` (of one learner, or of everyone)."""
    out = []
    for u, arm, propensity, reward in session.execute(
        _LOG_SQL, {"context": context.value, "u": user_id}
    ):
        if arm not in StrategyArm.__members__ or not 0.0 < propensity <= 1.0:
            continue
        key: Hashable = u
        out.append(
            LoggedDecision(
                context=key,
                arm=StrategyArm(arm),
                propensity=float(propensity),
                reward=float(reward),
                cluster=None if user_id is not None else key,
            )
        )
    return out


def evaluate_logged(
    session: Session,
    context: PersonalizationContext,
    policy: str,
    user_id: str | None = None,
) -> PolicyEvaluation | InsufficientData:
    """IPS and DR value of ``policy`` on the logged decisions of ``context``."""
    target = target_policy(policy)
    return evaluate_policy(logged_decisions(session, context, user_id), target)
