"""CalDAV write-back: the learner's study calendar follows their planned sessions.

When write-back is on, :func:`write_back` makes the engine's study calendar on the
learner's CalDAV server match the schedule: every planned session of the last 14 days
and the future (PLANNED, DONE, MISSED) has its event, with the plan's UID and SEQUENCE;
an event whose plan moved is rewritten; an event of a cancelled or deleted plan is
removed. Only events with the engine's UID suffix are ever touched. It runs after the
transaction that changed the schedule has committed (a background task of the request,
and every hour in the adaptation job), so a slow or failing server never holds a plan
back; the outcome (``writeBackAt`` or ``writeBackError``) is kept in the sync state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from twin.analysis.orchestration.common import iso
from twin.db.engine import Database
from twin.db.models import CalendarSyncState
from twin.errors import TwinError
from twin.ingest.calendars.caldav_source import CalDavAccount, CalDavConnection
from twin.services.orchestration.calendars import (
    DisconnectOutcome,
    RemoteEvents,
    RemoteEventsStatus,
    SyncError,
    caldav_account,
    remove_calendar,
)
from twin.services.orchestration.common import (
    CALENDAR_UID_SUFFIX,
    CalendarContext,
    stored,
    utc,
)
from twin.services.orchestration.feed import feed_events

KEEP_DAYS_BACK = 14

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteBackResult:
    """What one write-back did (or the error that stopped it)."""

    created: int
    updated: int
    deleted: int
    error: str | None = None


def _error(error: TwinError, now: datetime) -> dict[str, str]:
    details = error.details if isinstance(error.details, dict) else {}
    return {
        "rule": str(details.get("rule", error.code)),
        "message": error.message,
        "at": iso(utc(now)),
        "code": error.code,
    }


def _record(db: Database, user_id: str, now: datetime, error: TwinError | None) -> None:
    with db.session() as session:
        state = session.scalar(
            sa.select(CalendarSyncState).where(CalendarSyncState.userId == user_id)
        )
        if state is None:
            return
        if error is None:
            state.writeBackAt = stored(now)
            state.writeBackError = None
        else:
            state.writeBackError = _error(error, now)


def write_back(
    db: Database, user_id: str, now: datetime, context: CalendarContext
) -> WriteBackResult | None:
    """Bring the learner's study calendar in line with the schedule; None when write-back is off."""
    since = utc(now) - timedelta(days=KEEP_DAYS_BACK)
    with db.session() as session:
        found = caldav_account(session, user_id, context)
        if found is None:
            return None
        account, _state = found
        events = [e for e in feed_events(session, user_id, now) if e.end >= since]
    created = updated = deleted = 0
    try:
        with CalDavConnection(account, policy=context.policy, resolver=context.resolver) as conn:
            study = conn.study_calendar()
            remote = study.events()
            wanted = {e.uid: e for e in events}
            for uid, event in wanted.items():
                have = remote.get(uid)
                if have is None:
                    study.upsert(event, now=utc(now))
                    created += 1
                elif (utc(have[0]), utc(have[1])) != (utc(event.start), utc(event.end)):
                    study.upsert(event, now=utc(now))
                    updated += 1
            for uid, (_start, end) in remote.items():
                if uid.endswith(CALENDAR_UID_SUFFIX) and uid not in wanted and utc(end) >= since:
                    study.delete(uid)
                    deleted += 1
    except TwinError as exc:
        _record(db, user_id, now, exc)
        return WriteBackResult(created, updated, deleted, exc.message)
    _record(db, user_id, now, None)
    return WriteBackResult(created, updated, deleted)


def remove_study_events(
    account: CalDavAccount, now: datetime, context: CalendarContext
) -> RemoteEvents:
    """Delete the engine's events from the account's study calendar (best effort, never raises)."""
    removed = 0
    try:
        with CalDavConnection(account, policy=context.policy, resolver=context.resolver) as conn:
            study = conn.existing_study_calendar()
            if study is not None:
                removed = study.remove_events(CALENDAR_UID_SUFFIX)
    except TwinError as exc:
        error = _error(exc, now)
        log.warning(
            "study events left on the CalDAV server at disconnect: %s (%s)",
            error["rule"],
            error["message"],
        )
        return RemoteEvents(RemoteEventsStatus.FAILED, removed, SyncError(**error))
    return RemoteEvents(RemoteEventsStatus.REMOVED, removed)


def disconnect(
    db: Database, user_id: str, now: datetime, context: CalendarContext
) -> DisconnectOutcome:
    """``DELETE …/calendar``: remove the calendar (committed), then the study events it wrote.

    The calendar is gone whatever the server does; ``remote_events`` says whether its
    study events were removed, or why they could not be (they stay on the server).
    """
    with db.session() as session:
        outcome, account = remove_calendar(session, user_id, context)
    if account is None:
        return outcome
    return replace(outcome, remote_events=remove_study_events(account, now, context))
