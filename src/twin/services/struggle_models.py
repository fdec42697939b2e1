"""The struggle-model registry (``struggle_models``): which model predicts, and versions.

With no active row the documented rule baseline (``rules-v1``) predicts. A trained
model becomes active only through :func:`activate` (called by training when the
candidate beats the current model on held-out outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.struggle.model import TrainedModel, deserialize
from twin.analysis.struggle.rules import RULE_MODEL_VERSION
from twin.db.base import utcnow
from twin.db.models import StruggleModelVersion


@dataclass(frozen=True)
class ActiveModel:
    """The model predictions use now: a trained classifier, or ``None`` = rule baseline."""

    version: str
    trained: TrainedModel | None

    @property
    def is_rules(self) -> bool:
        return self.trained is None


RULES = ActiveModel(version=RULE_MODEL_VERSION, trained=None)


def active_model(session: Session) -> ActiveModel:
    """The active registry row as a model, or the rule baseline when none is active."""
    row = session.scalars(
        sa.select(StruggleModelVersion).where(StruggleModelVersion.isActive.is_(True))
    ).first()
    if row is None or row.kind == "rules" or not row.parameters:
        return RULES
    return ActiveModel(version=row.version, trained=deserialize(row.parameters))


def activate(session: Session, version: str) -> None:
    """Make ``version`` the only active model (flush; the caller's transaction commits)."""
    session.execute(
        sa.update(StruggleModelVersion)
        .where(StruggleModelVersion.isActive.is_(True))
        .values(isActive=False)
    )
    session.flush()
    session.execute(
        sa.update(StruggleModelVersion)
        .where(StruggleModelVersion.version == version)
        .values(isActive=True, activatedAt=utcnow())
    )
