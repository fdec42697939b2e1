"""Small helpers the cognitive services share: id arrays, active learners."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc

IDS = sa.bindparam("ids", type_=pg.ARRAY(sa.Text()))
"""An array of ids bound as ``:ids`` (``= ANY(:ids)``)."""


def active_learners(session: Session, since: datetime, until: datetime) -> list[tuple[str, str]]:
    """(id, time zone) of learners with analysis on and a session started in [since, until]."""
    rows = session.execute(
        sa.text(
            'SELECT u.id, u.timezone FROM users u WHERE u."behavioralAnalysisEnabled" AND EXISTS ('
            'SELECT 1 FROM study_sessions s WHERE s."userId" = u.id '
            'AND s."startedAt" >= :a AND s."startedAt" <= :b) ORDER BY u.id'
        ),
        {"a": naive_utc(since), "b": naive_utc(until)},
    ).all()
    return [(r[0], str(r[1])) for r in rows]
