"""The learner's busy time as the schedule reads it: the cached blocks, never the network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.db.models import CalendarIntegration
from twin.learners import analysis_learner
from twin.services.orchestration.common import STALE_AFTER, age_minutes, stored, utc


@dataclass(frozen=True)
class BusyBlock:
    """One merged busy interval (weight 1 busy, 0.5 tentative)."""

    start: datetime
    end: datetime
    weight: float


@dataclass(frozen=True)
class BusyView:
    """The busy blocks of a window and how old they are."""

    start: datetime
    end: datetime
    blocks: tuple[BusyBlock, ...]
    synced_at: datetime | None
    age_minutes: float | None
    stale: bool
    connected: bool


BUSY_SQL = sa.text(
    'SELECT "startsAt", "endsAt", weight FROM calendar_busy_blocks '
    'WHERE "userId" = :u AND "startsAt" < :end AND "endsAt" > :start ORDER BY "startsAt"'
)


@dataclass(frozen=True)
class BusySnapshot:
    """The learner's busy time over a window (the cache) and when it was last synced."""

    busy: BusyTime
    synced_at: datetime | None
    connected: bool


def load_busy(session: Session, user_id: str, start: datetime, end: datetime) -> BusySnapshot:
    """The cached busy time of ``[start, end)`` (never the network) and its sync time."""
    row = session.execute(
        sa.select(CalendarIntegration.lastSyncAt).where(CalendarIntegration.userId == user_id)
    ).first()
    if row is None:
        return BusySnapshot(BusyTime(), None, False)
    rows = session.execute(BUSY_SQL, {"u": user_id, "start": stored(start), "end": stored(end)})
    intervals = [BusyInterval(utc(s), utc(e), float(w)) for s, e, w in rows]
    return BusySnapshot(BusyTime.of(intervals), utc(row[0]) if row[0] else None, True)


def busy_view(
    session: Session, user_id: str, start: datetime, end: datetime, now: datetime
) -> BusyView:
    """``GET …/calendar/busy``: the merged blocks of the window, with the age of the last sync."""
    analysis_learner(session, user_id)
    snapshot = load_busy(session, user_id, start, end)
    age = age_minutes(snapshot.synced_at, now)
    return BusyView(
        start=utc(start),
        end=utc(end),
        blocks=tuple(
            BusyBlock(max(s.start, utc(start)), min(s.end, utc(end)), s.weight)
            for s in snapshot.busy.overlapping(utc(start), utc(end))
        ),
        synced_at=snapshot.synced_at,
        age_minutes=age,
        stale=snapshot.connected and (age is None or age > STALE_AFTER.total_seconds() / 60.0),
        connected=snapshot.connected,
    )
