"""The learner's calendar: connect, upload, sync, status, disconnect, busy time (ENGINE.md 5.3).

Three sources feed one busy-time cache (``calendar_busy_blocks``): an iCalendar feed
URL, an uploaded ``.ics`` and a CalDAV account. Every change follows the same shape so
nothing is ever half-written:

1. read what is needed (a short transaction: the sealed credentials, the validators);
2. fetch and parse with no transaction open (the network may take seconds);
3. write in one transaction holding the learner's ``CALENDAR_SYNC`` lock: the blocks of
   the window are replaced, the sync state updated, and planned sessions that became
   busy re-planned (the calendar-change adaptation).

A connect or upload that fails at step 2 writes nothing (the old calendar stays). A sync
that fails records the error (``lastError`` = ``{rule, message, at}``) in a transaction of
its own and keeps the last good blocks; answers that use them carry their age.

Secrets — the feed URL (its path is the learner's secret address) and CalDAV username
and app password — are sealed with AES-256-GCM bound to the learner and the column, and
never leave this module: status answers show the host only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.orchestration.common import iso
from twin.db.base import new_id
from twin.db.engine import Database
from twin.db.models import CalendarBusyBlock, CalendarIntegration, CalendarSyncState
from twin.errors import Conflict, NotFound, TwinError, ValidationFailed
from twin.ingest.calendars.caldav_source import CalDavAccount, CalDavConnection
from twin.ingest.calendars.errors import (
    CalDavError,
    CalendarParseError,
    CalendarUnusable,
    FeedFetchError,
    FeedRefused,
    FeedTooLarge,
)
from twin.ingest.calendars.fetch import check_url, fetch_feed, redact
from twin.ingest.calendars.ics import MAX_ICS_BYTES, ParsedCalendar, parse_ics
from twin.learners import LearnerLock, analysis_learner, get_learner, lock_learner
from twin.services.orchestration.adaptation import replan_calendar_conflicts
from twin.services.orchestration.common import (
    STALE_AFTER,
    SYNC_DAYS_AHEAD,
    SYNC_DAYS_BACK,
    SYNC_INTERVAL,
    UPLOAD_DAYS_AHEAD,
    CalendarContext,
    CalendarKind,
    age_minutes,
    associated_data,
    secret_box,
    sha256_hex,
    stored,
    utc,
)

MAX_URL_CHARS = 2_000
MAX_CREDENTIAL_CHARS = 500
# Conditional requests only while the stored window still reaches this far ahead: a 304
# carries no body, so a window that must slide needs a full fetch.
CONDITIONAL_MIN_DAYS_AHEAD = 35


@dataclass(frozen=True)
class CalendarConnection:
    """What the learner asks to connect (``PUT …/calendar``); the password never printed."""

    kind: CalendarKind
    url: str
    username: str | None = None
    password: str | None = None
    write_back: bool = False

    def __repr__(self) -> str:
        return f"CalendarConnection(kind={self.kind.value}, url={redact(self.url)!r}, password=***)"


@dataclass(frozen=True)
class SyncError:
    """The last failed sync: the rule that stopped it, the message (no secrets), when."""

    rule: str
    message: str
    at: str
    code: str


@dataclass(frozen=True)
class CalendarStatus:
    """A learner's calendar as the API shows it: source, host, sync state; never a secret."""

    kind: str
    display_host: str | None
    write_back: bool
    sync_enabled: bool
    connected_at: datetime
    last_sync_at: datetime | None
    last_attempt_at: datetime | None
    last_error: SyncError | None
    consecutive_failures: int
    window_start: datetime | None
    window_end: datetime | None
    block_count: int
    event_count: int
    blocks_age_minutes: float | None
    stale: bool
    next_sync_after: datetime | None
    write_back_at: datetime | None
    write_back_error: SyncError | None


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync (or connect/upload) did, the calendar's status after it, and re-plans."""

    status: CalendarStatus
    not_modified: bool
    changed: bool
    blocks: int
    replanned: tuple[str, ...]


class RemoteEventsStatus(StrEnum):
    """What became of the study events the engine wrote to the CalDAV server at a disconnect."""

    NONE = "none"
    """Write-back was off: the engine never wrote to the server, so nothing was touched."""
    REMOVED = "removed"
    """The engine's events were deleted from the study calendar (``removed`` says how many)."""
    FAILED = "failed"
    """The server could not be used (``error`` names the rule): the events are still there."""
    LEFT = "left"
    """The caller disconnected without reaching the server (the events are still there)."""


@dataclass(frozen=True)
class RemoteEvents:
    """The outcome on the CalDAV server of a disconnect (write-back's study events)."""

    status: RemoteEventsStatus
    removed: int = 0
    error: SyncError | None = None


@dataclass(frozen=True)
class DisconnectOutcome:
    """What ``DELETE …/calendar`` removed, here and on the CalDAV server."""

    kind: str
    blocks_deleted: int
    remote_events: RemoteEvents = RemoteEvents(RemoteEventsStatus.NONE)


# --- reading -----------------------------------------------------------------------------


def _integration(session: Session, user_id: str) -> CalendarIntegration | None:
    return session.scalar(
        sa.select(CalendarIntegration).where(CalendarIntegration.userId == user_id)
    )


def _state(session: Session, user_id: str) -> CalendarSyncState | None:
    return session.scalar(sa.select(CalendarSyncState).where(CalendarSyncState.userId == user_id))


def _error(value: dict[str, Any] | None) -> SyncError | None:
    if not value:
        return None
    return SyncError(
        rule=str(value.get("rule", "")),
        message=str(value.get("message", "")),
        at=str(value.get("at", "")),
        code=str(value.get("code", "")),
    )


def _status(
    integration: CalendarIntegration, state: CalendarSyncState | None, now: datetime
) -> CalendarStatus:
    age = age_minutes(integration.lastSyncAt, now)
    kind = integration.calendarProvider
    periodic = kind != CalendarKind.ICS_UPLOAD and integration.syncEnabled
    last_attempt = state.lastAttemptAt if state is not None else None
    next_sync = None
    if periodic:
        base = last_attempt or integration.lastSyncAt
        next_sync = utc(base) + SYNC_INTERVAL if base is not None else utc(now)
    return CalendarStatus(
        kind=kind,
        display_host=state.displayHost if state is not None else None,
        write_back=bool(state.writeBack) if state is not None else False,
        sync_enabled=integration.syncEnabled,
        connected_at=utc(integration.createdAt),
        last_sync_at=utc(integration.lastSyncAt) if integration.lastSyncAt else None,
        last_attempt_at=utc(last_attempt) if last_attempt else None,
        last_error=_error(state.lastError) if state is not None else None,
        consecutive_failures=state.consecutiveFailures if state is not None else 0,
        window_start=utc(state.windowStart) if state and state.windowStart else None,
        window_end=utc(state.windowEnd) if state and state.windowEnd else None,
        block_count=state.blockCount if state is not None else 0,
        event_count=state.eventCount if state is not None else 0,
        blocks_age_minutes=age,
        stale=age is None or (periodic and age > STALE_AFTER.total_seconds() / 60.0),
        next_sync_after=next_sync,
        write_back_at=utc(state.writeBackAt) if state and state.writeBackAt else None,
        write_back_error=_error(state.writeBackError) if state is not None else None,
    )


def calendar_status(session: Session, user_id: str, now: datetime) -> CalendarStatus:
    """The learner's calendar status (404 when none is connected; no consent needed to look)."""
    get_learner(session, user_id)
    integration = _integration(session, user_id)
    if integration is None:
        raise NotFound(
            f"learner {user_id!r} has no calendar; connect one with PUT /v1/users/{user_id}/calendar "
            f"or upload an .ics file with POST /v1/users/{user_id}/calendar:upload"
        )
    return _status(integration, _state(session, user_id), now)


def optional_status(session: Session, user_id: str, now: datetime) -> CalendarStatus | None:
    """The learner's calendar status, or None without a calendar."""
    integration = _integration(session, user_id)
    return None if integration is None else _status(integration, _state(session, user_id), now)


# --- fetching (no transaction open) --------------------------------------------------------


@dataclass(frozen=True)
class _Fetched:
    intervals: tuple[BusyInterval, ...]
    events: int
    etag: str | None
    last_modified: str | None
    not_modified: bool
    window_start: datetime
    window_end: datetime


def _window(now: datetime, days_ahead: int) -> tuple[datetime, datetime]:
    start = utc(now) - timedelta(days=SYNC_DAYS_BACK)
    return start, utc(now) + timedelta(days=days_ahead)


def _fetch(
    kind: CalendarKind,
    secrets: dict[str, str],
    timezone: str,
    now: datetime,
    context: CalendarContext,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> _Fetched:
    start, end = _window(now, SYNC_DAYS_AHEAD)
    if kind is CalendarKind.CALDAV:
        account = CalDavAccount(secrets["url"], secrets["username"], secrets["password"])
        with CalDavConnection(account, policy=context.policy, resolver=context.resolver) as conn:
            read = conn.read_busy(start, end, timezone)
        return _Fetched(read.intervals, read.instances, None, None, False, start, end)
    response = fetch_feed(
        secrets["url"],
        policy=context.policy,
        etag=etag,
        last_modified=last_modified,
        resolver=context.resolver,
        verify=context.verify,
    )
    if response.not_modified or response.body is None:
        return _Fetched((), 0, response.etag, response.last_modified, True, start, end)
    parsed = _parse(response.body, start, end, timezone, context.policy.max_bytes)
    return _Fetched(
        parsed.intervals,
        parsed.components,
        response.etag,
        response.last_modified,
        False,
        start,
        end,
    )


def _parse(
    data: bytes, start: datetime, end: datetime, timezone: str, max_bytes: int
) -> ParsedCalendar:
    """``parse_ics``, with anything the libraries raise on a strange file turned into a 422."""
    try:
        return parse_ics(
            data, window_start=start, window_end=end, timezone=timezone, max_bytes=max_bytes
        )
    except TwinError:
        raise
    except Exception as exc:  # icalendar / dateutil on input they do not expect
        raise CalendarParseError(
            f"the calendar could not be read ({exc.__class__.__name__})", component="VCALENDAR"
        ) from exc


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"invalid request: {field}: {message}",
        details=[{"index": None, "field": field, "reason": message}],
    )


def validate_connection(request: CalendarConnection, context: CalendarContext) -> None:
    """The request's fields (422 naming the field) and the URL's address rule (422 naming the rule)."""
    if not request.url or len(request.url) > MAX_URL_CHARS:
        raise _field_error("url", f"url must be 1–{MAX_URL_CHARS} characters")
    scheme = urlsplit(request.url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FeedRefused(
            f"only http and https calendar URLs are allowed, not {scheme or 'no scheme'!r}",
            rule="scheme",
        )
    if request.kind is CalendarKind.CALDAV:
        for name in ("username", "password"):
            value = getattr(request, name)
            if not value or len(value) > MAX_CREDENTIAL_CHARS:
                raise _field_error(
                    name, f"{name} is required for CalDAV (1–{MAX_CREDENTIAL_CHARS} characters)"
                )
    elif request.username or request.password:
        raise _field_error("username", "username and password are for kind 'caldav' only")
    elif request.write_back:
        raise _field_error("writeBack", "write-back needs a CalDAV calendar (kind 'caldav')")
    check_url(request.url, context.policy, context.resolver)


# --- writing -------------------------------------------------------------------------------


def _digest(intervals: tuple[BusyInterval, ...]) -> str:
    text = "|".join(f"{iso(i.start)},{iso(i.end)},{i.weight}" for i in intervals)
    return sha256_hex(text)


def _replace_blocks(
    session: Session,
    integration: CalendarIntegration,
    state: CalendarSyncState,
    fetched: _Fetched,
    now: datetime,
) -> bool:
    """Replace the integration's blocks with the fetched window; True when they changed."""
    segments = BusyTime.of(fetched.intervals).segments
    digest = _digest(segments)
    changed = digest != state.contentHash
    session.execute(
        sa.delete(CalendarBusyBlock).where(
            CalendarBusyBlock.userId == integration.userId,
            CalendarBusyBlock.integrationId == integration.id,
        )
    )
    synced = stored(now)
    if segments:
        session.execute(
            sa.insert(CalendarBusyBlock),
            [
                {
                    "userId": integration.userId,
                    "id": new_id(),
                    "integrationId": integration.id,
                    "startsAt": stored(s.start),
                    "endsAt": stored(s.end),
                    "weight": s.weight,
                    "syncedAt": synced,
                }
                for s in segments
            ],
        )
    state.windowStart = stored(fetched.window_start)
    state.windowEnd = stored(fetched.window_end)
    state.blockCount = len(segments)
    state.eventCount = fetched.events
    state.contentHash = digest
    if changed:
        state.blocksChangedAt = synced
    return changed


def _succeeded(
    integration: CalendarIntegration, state: CalendarSyncState, fetched: _Fetched, now: datetime
) -> None:
    integration.lastSyncAt = stored(now)
    state.lastAttemptAt = stored(now)
    state.lastError = None
    state.consecutiveFailures = 0
    if fetched.etag is not None or fetched.last_modified is not None:
        state.etag = fetched.etag
        state.lastModifiedHeader = fetched.last_modified


def _after_write(session: Session, user_id: str, now: datetime, changed: bool) -> tuple[str, ...]:
    """Re-plan planned sessions the new busy time overlaps (ENGINE 5.3 adaptation rule 1)."""
    if not changed:
        return ()
    return tuple(a.id for a in replan_calendar_conflicts(session, user_id, now))


def _store_new(
    db: Database,
    user_id: str,
    kind: CalendarKind,
    secrets: dict[str, str],
    display_host: str | None,
    write_back: bool,
    fetched: _Fetched,
    now: datetime,
    context: CalendarContext,
) -> SyncOutcome:
    """Replace the learner's calendar (if any) by a new one with its first blocks: one transaction."""
    with db.session() as session:
        analysis_learner(session, user_id)
        lock_learner(session, LearnerLock.CALENDAR_SYNC, user_id)
        session.execute(sa.delete(CalendarIntegration).where(CalendarIntegration.userId == user_id))
        box = secret_box(session, context)
        integration = CalendarIntegration(
            id=new_id(),
            userId=user_id,
            calendarProvider=kind.value,
            accessToken=box.seal(json.dumps(secrets), associated_data=associated_data(user_id)),
            syncEnabled=kind is not CalendarKind.ICS_UPLOAD,
            createdAt=stored(now),
        )
        session.add(integration)
        session.flush()
        state = CalendarSyncState(
            userId=user_id,
            id=new_id(),
            integrationId=integration.id,
            displayHost=display_host,
            writeBack=write_back,
        )
        session.add(state)
        changed = _replace_blocks(session, integration, state, fetched, now)
        _succeeded(integration, state, fetched, now)
        session.flush()
        replanned = _after_write(session, user_id, now, changed)
        return SyncOutcome(
            _status(integration, state, now), False, changed, state.blockCount, replanned
        )


def connect_calendar(
    db: Database,
    user_id: str,
    request: CalendarConnection,
    now: datetime,
    context: CalendarContext,
) -> SyncOutcome:
    """Check, fetch and store a feed URL or CalDAV account; a failure writes nothing.

    A URL refused by the address rule is 422 (``calendar_url_refused``), an oversized feed
    413; any other failure to fetch or read it (DNS, connection, TLS, HTTP status, timeout,
    refused CalDAV credentials) is 422 ``calendar_unusable`` naming the rule — the request
    is what cannot be used. Later syncs report the server's failures as 502/504.
    """
    with db.session() as session:
        learner = analysis_learner(session, user_id)
    validate_connection(request, context)
    secrets = {"url": request.url}
    if request.kind is CalendarKind.CALDAV:
        secrets |= {"username": request.username or "", "password": request.password or ""}
    try:
        fetched = _fetch(request.kind, secrets, learner.timezone, now, context)
        if request.write_back:
            _check_write_access(secrets, context)
    except (FeedFetchError, CalDavError) as exc:
        if isinstance(exc, FeedRefused | FeedTooLarge):
            raise
        # Nothing was connected yet: the URL or the credentials given are what fails.
        raise CalendarUnusable(exc) from exc
    host = urlsplit(request.url).hostname
    return _store_new(
        db, user_id, request.kind, secrets, host, request.write_back, fetched, now, context
    )


def _check_write_access(secrets: dict[str, str], context: CalendarContext) -> None:
    """Write-back asked: the study calendar must be reachable (found or created) now."""
    account = CalDavAccount(secrets["url"], secrets["username"], secrets["password"])
    with CalDavConnection(account, policy=context.policy, resolver=context.resolver) as conn:
        conn.study_calendar()


def upload_calendar(
    db: Database, user_id: str, data: bytes, now: datetime, context: CalendarContext
) -> SyncOutcome:
    """Parse an uploaded ``.ics`` (422 naming line and component, 413 over the cap) and store it."""
    with db.session() as session:
        learner = analysis_learner(session, user_id)
    start = utc(now) - timedelta(days=SYNC_DAYS_BACK)
    end = utc(now) + timedelta(days=UPLOAD_DAYS_AHEAD)
    parsed = _parse(data, start, end, learner.timezone, MAX_ICS_BYTES)
    fetched = _Fetched(parsed.intervals, parsed.components, None, None, False, start, end)
    return _store_new(db, user_id, CalendarKind.ICS_UPLOAD, {}, None, False, fetched, now, context)


def _record_failure(
    db: Database, user_id: str, integration_id: str, error: TwinError, now: datetime
) -> CalendarStatus | None:
    """Keep the last good blocks; store the error (its rule, message, time) and count it."""
    details = error.details if isinstance(error.details, dict) else {}
    with db.session() as session:
        lock_learner(session, LearnerLock.CALENDAR_SYNC, user_id)
        integration = _integration(session, user_id)
        state = _state(session, user_id)
        if integration is None or state is None or integration.id != integration_id:
            return None
        state.lastAttemptAt = stored(now)
        state.lastError = {
            "rule": str(details.get("rule", error.code)),
            "message": error.message,
            "at": iso(utc(now)),
            "code": error.code,
        }
        state.consecutiveFailures = state.consecutiveFailures + 1
        session.flush()
        return _status(integration, state, now)


def sync_calendar(
    db: Database, user_id: str, now: datetime, context: CalendarContext
) -> SyncOutcome:
    """Fetch the learner's feed or CalDAV calendar again and replace the window's blocks.

    A failure is recorded (and committed) before the error is raised again, with the
    age of the blocks that were kept in its details.
    """
    with db.session() as session:
        learner = analysis_learner(session, user_id)
        integration = _integration(session, user_id)
        if integration is None:
            raise NotFound(
                f"learner {user_id!r} has no calendar to sync; connect one with "
                f"PUT /v1/users/{user_id}/calendar"
            )
        kind = CalendarKind(integration.calendarProvider)
        if kind is CalendarKind.ICS_UPLOAD:
            raise Conflict(
                "an uploaded calendar has nothing to fetch; upload the file again with "
                f"POST /v1/users/{user_id}/calendar:upload to refresh it"
            )
        box = secret_box(session, context)
        secrets = json.loads(
            box.open(integration.accessToken, associated_data=associated_data(user_id))
        )
        state = _state(session, user_id)
        conditional = (
            state is not None
            and state.windowEnd is not None
            and utc(state.windowEnd) >= utc(now) + timedelta(days=CONDITIONAL_MIN_DAYS_AHEAD)
        )
        etag = state.etag if conditional and state is not None else None
        last_modified = state.lastModifiedHeader if conditional and state is not None else None
        integration_id = integration.id
        last_good = integration.lastSyncAt
    try:
        fetched = _fetch(
            kind, secrets, learner.timezone, now, context, etag=etag, last_modified=last_modified
        )
    except TwinError as exc:
        _record_failure(db, user_id, integration_id, exc, now)
        kept = {
            "lastGoodSyncAt": iso(utc(last_good)) if last_good else None,
            "blocksAgeMinutes": age_minutes(last_good, now),
        }
        if isinstance(exc.details, dict):
            exc.details = {**exc.details, **kept}
        raise
    with db.session() as session:
        lock_learner(session, LearnerLock.CALENDAR_SYNC, user_id)
        integration = _integration(session, user_id)
        state = _state(session, user_id)
        if integration is None or state is None or integration.id != integration_id:
            raise Conflict("the calendar was replaced or removed while it synced; sync again")
        changed = False
        if not fetched.not_modified:
            changed = _replace_blocks(session, integration, state, fetched, now)
        _succeeded(integration, state, fetched, now)
        session.flush()
        replanned = _after_write(session, user_id, now, changed)
        return SyncOutcome(
            _status(integration, state, now),
            fetched.not_modified,
            changed,
            state.blockCount,
            replanned,
        )


def remove_calendar(
    session: Session, user_id: str, context: CalendarContext | None
) -> tuple[DisconnectOutcome, CalDavAccount | None]:
    """Remove the learner's calendar, its sealed credentials, sync state and busy blocks.

    With a ``context``, also the CalDAV account when write-back is on (opened before the
    credentials are deleted), so the caller can remove the study events once this is
    committed; without one, such events are reported as ``left``.
    """
    get_learner(session, user_id)
    lock_learner(session, LearnerLock.CALENDAR_SYNC, user_id)
    integration = _integration(session, user_id)
    if integration is None:
        raise NotFound(f"learner {user_id!r} has no calendar to remove")
    state = _state(session, user_id)
    wrote = (
        state is not None
        and state.writeBack
        and integration.calendarProvider == CalendarKind.CALDAV
    )
    account = None
    if wrote and context is not None:
        found = caldav_account(session, user_id, context)
        account = found[0] if found else None
    blocks = session.execute(
        sa.delete(CalendarBusyBlock).where(CalendarBusyBlock.userId == user_id)
    ).rowcount  # type: ignore[attr-defined]
    kind = integration.calendarProvider
    session.delete(integration)
    session.flush()
    remote = RemoteEvents(RemoteEventsStatus.LEFT if wrote else RemoteEventsStatus.NONE)
    return DisconnectOutcome(kind, int(blocks or 0), remote), account


def caldav_account(
    session: Session, user_id: str, context: CalendarContext
) -> tuple[CalDavAccount, CalendarSyncState] | None:
    """The learner's CalDAV account and sync state when write-back is on; else None."""
    integration = _integration(session, user_id)
    state = _state(session, user_id)
    if (
        integration is None
        or state is None
        or not state.writeBack
        or integration.calendarProvider != CalendarKind.CALDAV
    ):
        return None
    secrets = json.loads(
        secret_box(session, context).open(
            integration.accessToken, associated_data=associated_data(user_id)
        )
    )
    return CalDavAccount(secrets["url"], secrets["username"], secrets["password"]), state
