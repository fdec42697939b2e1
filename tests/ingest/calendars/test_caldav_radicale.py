"""CalDAV against a real Radicale on loopback: reading busy time of a window, and write-back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from caldav.davclient import DAVClient

from tests.calendar_servers import VTIMEZONE_BERLIN, CalDavTestAccount, FeedServer, Route
from twin.ingest.calendars.caldav_source import CalDavAccount, CalDavConnection
from twin.ingest.calendars.errors import CalDavError, FeedRefused
from twin.ingest.calendars.export import SessionEvent
from twin.ingest.calendars.fetch import FetchPolicy, parse_networks

LOOPBACK = FetchPolicy(allowed_networks=parse_networks("127.0.0.0/8"))
BERLIN = ZoneInfo("Europe/Berlin")


def _calendar(*vevents: str) -> str:
    return (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n"
        + VTIMEZONE_BERLIN
        + "".join(vevents)
        + "END:VCALENDAR\n"
    )


# Weekly Tuesday 09:00–10:00 Berlin from 2025-03-18 (COUNT=4: 03-18, 03-25, 04-01, 04-08),
# across the 2025-03-30 change; 03-25 excluded; 04-01 moved to 14:00–15:30.
STANDUP = """BEGIN:VEVENT
UID:standup
DTSTAMP:20250301T000000Z
DTSTART;TZID=Europe/Berlin:20250318T090000
DTEND;TZID=Europe/Berlin:20250318T100000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=Europe/Berlin:20250325T090000
SUMMARY:Standup
END:VEVENT
"""
STANDUP_MOVED = """BEGIN:VEVENT
UID:standup
DTSTAMP:20250301T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20250401T090000
DTSTART;TZID=Europe/Berlin:20250401T140000
DTEND;TZID=Europe/Berlin:20250401T153000
SUMMARY:Standup (moved)
END:VEVENT
"""
TENTATIVE = """BEGIN:VEVENT
UID:maybe
DTSTAMP:20250301T000000Z
DTSTART:20250319T150000Z
DTEND:20250319T160000Z
STATUS:TENTATIVE
SUMMARY:Maybe
END:VEVENT
"""
CANCELLED = """BEGIN:VEVENT
UID:off
DTSTAMP:20250301T000000Z
DTSTART:20250320T150000Z
DTEND:20250320T160000Z
STATUS:CANCELLED
SUMMARY:Cancelled
END:VEVENT
"""
ALL_DAY = """BEGIN:VEVENT
UID:trip
DTSTAMP:20250301T000000Z
DTSTART;VALUE=DATE:20250403
DTEND;VALUE=DATE:20250405
SUMMARY:Conference
END:VEVENT
"""


def _seed(account: CalDavTestAccount) -> None:
    with DAVClient(url=account.url, username=account.username, password=account.password) as client:
        principal = client.principal()  # type: ignore[no-untyped-call]
        work = principal.make_calendar(name="Work", cal_id="work")
        work.save_event(ical=_calendar(STANDUP, STANDUP_MOVED))
        work.save_event(ical=_calendar(TENTATIVE))
        work.save_event(ical=_calendar(CANCELLED))
        personal = principal.make_calendar(name="Personal", cal_id="personal")
        personal.save_event(ical=_calendar(ALL_DAY))


def _account(account: CalDavTestAccount, password: str | None = None) -> CalDavAccount:
    return CalDavAccount(account.url, account.username, password or account.password)


def test_reads_busy_time_of_a_window_from_every_calendar(caldav_account: CalDavTestAccount) -> None:
    """Recurrence with EXDATE and a moved instance across DST, tentative at half, cancelled never,
    an all-day event as local midnights — the same rules as an uploaded .ics."""
    _seed(caldav_account)
    with CalDavConnection(_account(caldav_account), policy=LOOPBACK) as conn:
        busy = conn.read_busy(
            datetime(2025, 3, 17, tzinfo=BERLIN),
            datetime(2025, 4, 10, tzinfo=BERLIN),
            "Europe/Berlin",
        )
    got = [
        (
            iv.start.astimezone(BERLIN).strftime("%m-%d %H:%M"),
            iv.end.astimezone(BERLIN).strftime("%m-%d %H:%M"),
            iv.weight,
        )
        for iv in busy.intervals
    ]
    assert got == [
        ("03-18 09:00", "03-18 10:00", 1.0),
        ("03-19 16:00", "03-19 17:00", 0.5),
        ("04-01 14:00", "04-01 15:30", 1.0),
        ("04-03 00:00", "04-05 00:00", 1.0),
        ("04-08 09:00", "04-08 10:00", 1.0),
    ]
    # 09:00 local is 08:00Z before the change and 07:00Z after it.
    assert busy.intervals[0].start.astimezone(UTC).hour == 8
    assert busy.intervals[-1].start.astimezone(UTC).hour == 7
    assert busy.calendars == 2
    assert busy.skipped.get("cancelled") == 1


def test_write_back_create_update_delete(caldav_account: CalDavTestAccount) -> None:
    """Planned sessions land in the study calendar by UID, move when re-planned, go when removed,
    and the study calendar itself is never read as busy time."""
    now = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
    first = SessionEvent(
        "plan-1@twin",
        datetime(2025, 3, 18, 18, 0, tzinfo=BERLIN),
        datetime(2025, 3, 18, 18, 45, tzinfo=BERLIN),
        "Study: cardiology",
    )
    second = SessionEvent(
        "plan-2@twin",
        datetime(2025, 3, 19, 7, 0, tzinfo=BERLIN),
        datetime(2025, 3, 19, 7, 30, tzinfo=BERLIN),
        "Study: renal",
    )
    with CalDavConnection(_account(caldav_account), policy=LOOPBACK) as conn:
        study = conn.study_calendar()
        study.upsert(first, now=now)
        study.upsert(second, now=now)
        assert study.events() == {
            "plan-1@twin": (first.start.astimezone(UTC), first.end.astimezone(UTC)),
            "plan-2@twin": (second.start.astimezone(UTC), second.end.astimezone(UTC)),
        }
        moved = SessionEvent(
            first.uid,
            first.start + timedelta(hours=1),
            first.end + timedelta(hours=1),
            first.summary,
            sequence=1,
        )
        study.upsert(moved, now=now)
        assert study.events()["plan-1@twin"] == (
            moved.start.astimezone(UTC),
            moved.end.astimezone(UTC),
        )
        assert len(study.events()) == 2
        assert study.delete("plan-2@twin") is True
        assert study.delete("plan-2@twin") is False
        assert set(study.events()) == {"plan-1@twin"}
        # The same study calendar is found again, not created twice.
        assert conn.study_calendar().events().keys() == {"plan-1@twin"}
        busy = conn.read_busy(
            datetime(2025, 3, 17, tzinfo=BERLIN),
            datetime(2025, 3, 21, tzinfo=BERLIN),
            "Europe/Berlin",
        )
        assert busy.intervals == ()


def test_wrong_password_is_an_auth_error(caldav_account: CalDavTestAccount) -> None:
    """Radicale refuses the credentials → CalDavError with rule 'auth', no password in the text."""
    with (
        pytest.raises(CalDavError) as caught,
        CalDavConnection(_account(caldav_account, "wrong-password"), policy=LOOPBACK) as conn,
    ):
        conn.read_busy(datetime(2025, 3, 17, tzinfo=UTC), datetime(2025, 3, 18, tzinfo=UTC), "UTC")
    assert caught.value.details["rule"] == "auth"
    assert "wrong-password" not in caught.value.message


def test_loopback_server_refused_by_the_default_policy(caldav_account: CalDavTestAccount) -> None:
    """Without the operator's exception a CalDAV URL on loopback is refused before connecting,
    and credentials never travel over plain http to a public address."""
    with pytest.raises(FeedRefused) as caught:
        CalDavConnection(_account(caldav_account))
    assert caught.value.details["addressKind"] == "loopback"

    def resolver(host: str, port: int) -> list[str]:
        return ["8.8.8.8"]

    with pytest.raises(FeedRefused) as plain:
        CalDavConnection(
            CalDavAccount("http://dav.example/dav/", "u", "app-pass-123"),
            policy=LOOPBACK,
            resolver=resolver,
        )
    assert plain.value.rule == "scheme"


def test_account_repr_hides_password_and_url_path() -> None:
    """Logging an account never shows the app password or the URL's path."""
    text = repr(CalDavAccount("https://dav.example/calendars/secret-path/", "u", "app-pass-123"))
    assert "app-pass-123" not in text and "secret-path" not in text


def test_connection_is_pinned_to_the_checked_address(caldav_account: CalDavTestAccount) -> None:
    """A host name only the checking resolver knows (``dav.test``) is reached at the address
    that was checked: the HTTP session never asks the system's DNS."""
    _seed(caldav_account)
    port = caldav_account.url.rsplit(":", 1)[1].rstrip("/")
    asked: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    account = CalDavAccount(
        f"http://dav.test:{port}/", caldav_account.username, caldav_account.password
    )
    with CalDavConnection(account, policy=LOOPBACK, resolver=resolver) as conn:
        busy = conn.read_busy(
            datetime(2025, 3, 17, tzinfo=BERLIN), datetime(2025, 3, 19, tzinfo=BERLIN), "UTC"
        )
    assert asked == ["dav.test"]
    assert len(busy.intervals) == 1  # the standup of 03-18


def test_redirects_are_refused(feed_server: FeedServer) -> None:
    """A server answering with a redirect (to anywhere) gets no second request: rule 'redirect'."""
    feed_server.routes["/dav/"] = Route(redirect_to="http://127.0.0.1:9/elsewhere/", status=301)
    account = CalDavAccount(feed_server.url("/dav/"), "u", "app-pass-123")
    with (
        pytest.raises(CalDavError) as caught,
        CalDavConnection(account, policy=LOOPBACK) as conn,
    ):
        conn.read_busy(datetime(2025, 3, 17, tzinfo=UTC), datetime(2025, 3, 18, tzinfo=UTC), "UTC")
    assert caught.value.details["rule"] == "redirect"
    assert [path for path, _ in feed_server.requests] == ["/dav/"]
