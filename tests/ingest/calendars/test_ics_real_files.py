"""Real-world .ics files (../shared/calendars, see its SOURCES.md) → the busy blocks a learner gets.

Every expected block below was worked out by hand from the file's DTSTART/RRULE/EXDATE/
RDATE/RECURRENCE-ID lines (the comment above each list shows how), not copied from the
parser's output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from twin.analysis.orchestration.busy import BusyTime
from twin.ingest.calendars.ics import ParsedCalendar, parse_ics

BERLIN = ZoneInfo("Europe/Berlin")


def _parse(path: Path, tz: str, start: str, end: str) -> ParsedCalendar:
    zone = ZoneInfo(tz)
    return parse_ics(
        path.read_bytes(),
        window_start=datetime.fromisoformat(start).replace(tzinfo=zone),
        window_end=datetime.fromisoformat(end).replace(tzinfo=zone),
        timezone=tz,
    )


def _local(parsed: ParsedCalendar, tz: str) -> list[tuple[str, str]]:
    zone = ZoneInfo(tz)
    return [
        (
            iv.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            iv.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )
        for iv in parsed.intervals
    ]


def _utc(parsed: ParsedCalendar) -> list[str]:
    return [iv.start.astimezone(UTC).strftime("%m-%d %H:%MZ") for iv in parsed.intervals]


def test_weekly_series_with_utc_exdates_across_dst(real_calendars: Path) -> None:
    """Weekly COUNT=8 Mondays 00:30 Berlin from 2019-03-04; EXDATEs 03-10T23:30Z (= 03-11 00:30 CET)
    and 03-24T23:30Z (= 03-25 00:30 CET) remove 2 of 8; after 03-31 the UTC time moves an hour."""
    parsed = _parse(
        real_calendars / "each_week_but_two_deleted.ics",
        "Europe/Berlin",
        "2019-03-01",
        "2019-05-01",
    )
    days = ["03-04", "03-18", "04-01", "04-08", "04-15", "04-22"]
    assert _local(parsed, "Europe/Berlin") == [(f"2019-{d} 00:30", f"2019-{d} 01:00") for d in days]
    assert _utc(parsed) == [
        "03-03 23:30Z",
        "03-17 23:30Z",
        "03-31 22:30Z",
        "04-07 22:30Z",
        "04-14 22:30Z",
        "04-21 22:30Z",
    ]
    assert all(iv.weight == 1.0 for iv in parsed.intervals)


def test_exdates_on_both_sides_of_dst_with_until_and_rdate(real_calendars: Path) -> None:
    """Tuesdays 16:15–17:45 Berlin from 2019-10-15, UNTIL one second before the 2020-02-04
    instance (excluded) but an RDATE re-adds it; 9 UTC EXDATEs (14:15Z in CEST, 15:15Z in CET)
    remove 10-15, 10-22, 11-05, 11-19, 11-26, 12-03, 12-17, 12-24, 12-31. DURATION PT1H30M."""
    parsed = _parse(
        real_calendars / "rdate_falls_on_rrule_until.ics",
        "Europe/Berlin",
        "2019-10-01",
        "2020-03-01",
    )
    days = [
        "2019-10-29",
        "2019-11-12",
        "2019-12-10",
        "2020-01-07",
        "2020-01-14",
        "2020-01-21",
        "2020-01-28",
        "2020-02-04",
    ]
    assert _local(parsed, "Europe/Berlin") == [(f"{d} 16:15", f"{d} 17:45") for d in days]
    # 10-29 is the first Tuesday after the 10-27 change: 16:15 CET = 15:15Z.
    assert _utc(parsed)[0] == "10-29 15:15Z"


def test_weekly_evening_series_keeps_local_time_across_dst(real_calendars: Path) -> None:
    """A Google export (hackspace). Window 2019-03-25 … 04-08 (Berlin); by hand from the RRULEs:
    Chaostreff WE 19–21 weekly; Montessori TH/FR 08:30–14:30 weekly; #TEC TH 15–17 weekly;
    OpenLab TH 18–20 weekly; OK Lab TU 19–21 every 2 weeks from 2017-12-12 (04-02 is 68 weeks
    on); machBar Plenum TU 17–19 every 2 weeks from 2018-01-23 (04-02 is 62 weeks on);
    the COUNT=6 MO/TU/WE series ended on 03-13."""
    parsed = _parse(
        real_calendars / "daylight_saving_time.ics", "Europe/Berlin", "2019-03-25", "2019-04-08"
    )
    assert _local(parsed, "Europe/Berlin") == [
        ("2019-03-27 19:00", "2019-03-27 21:00"),
        ("2019-03-28 08:30", "2019-03-28 14:30"),
        ("2019-03-28 15:00", "2019-03-28 17:00"),
        ("2019-03-28 18:00", "2019-03-28 20:00"),
        ("2019-03-29 08:30", "2019-03-29 14:30"),
        ("2019-04-02 17:00", "2019-04-02 19:00"),
        ("2019-04-02 19:00", "2019-04-02 21:00"),
        ("2019-04-03 19:00", "2019-04-03 21:00"),
        ("2019-04-04 08:30", "2019-04-04 14:30"),
        ("2019-04-04 15:00", "2019-04-04 17:00"),
        ("2019-04-04 18:00", "2019-04-04 20:00"),
        ("2019-04-05 08:30", "2019-04-05 14:30"),
    ]
    wednesdays = [iv for iv in parsed.intervals if iv.start.astimezone(BERLIN).weekday() == 2]
    # 19:00 local is 18:00Z before the 2019-03-31 change and 17:00Z after it.
    assert [iv.start.astimezone(UTC).hour for iv in wednesdays] == [18, 17]


def test_cancelled_instance_never_blocks(real_calendars: Path) -> None:
    """Daily COUNT=3 22:00–23:00 Berlin from 2020-01-28; the 01-29 override is STATUS:CANCELLED."""
    parsed = _parse(
        real_calendars / "issue_18_cancel_status.ics", "Europe/Berlin", "2020-01-27", "2020-02-01"
    )
    assert _local(parsed, "Europe/Berlin") == [
        ("2020-01-28 22:00", "2020-01-28 23:00"),
        ("2020-01-30 22:00", "2020-01-30 23:00"),
    ]
    assert parsed.skipped["cancelled"] == 1
    busy = BusyTime.of(parsed.intervals)
    cancelled = datetime(2020, 1, 29, 22, 0, tzinfo=BERLIN)
    assert busy.max_weight(cancelled, cancelled.replace(hour=23)) == 0.0


def test_all_day_multi_day_series_with_deleted_modification(real_calendars: Path) -> None:
    """7-day all-day blocks every 3 weeks on Mondays from 2024-07-29 (DTEND 08-05 exclusive); the
    newer master (SEQUENCE 2) EXDATEs 08-19, so the stale 08-19 modification is gone. All-day
    blocks run from local midnight to local midnight in the learner's zone."""
    parsed = _parse(
        real_calendars / "issue_163_deleted_modification.ics",
        "Europe/Berlin",
        "2024-07-01",
        "2024-10-15",
    )
    assert _local(parsed, "Europe/Berlin") == [
        ("2024-07-29 00:00", "2024-08-05 00:00"),
        ("2024-09-09 00:00", "2024-09-16 00:00"),
        ("2024-09-30 00:00", "2024-10-07 00:00"),
    ]
    # The same file read for a learner in Tokyo: the same local days, other instants.
    tokyo = _parse(
        real_calendars / "issue_163_deleted_modification.ics",
        "Asia/Tokyo",
        "2024-07-01",
        "2024-10-15",
    )
    assert _local(tokyo, "Asia/Tokyo") == _local(parsed, "Europe/Berlin")
    assert tokyo.intervals[0].start.astimezone(UTC) == datetime(2024, 7, 28, 15, 0, tzinfo=UTC)


def test_floating_and_duration_events_are_the_learners_wall_time(real_calendars: Path) -> None:
    """DTSTART:20180110 + P3D → three all-day days; floating 01-15 10:00 + PT3H; a floating event
    without DTEND or DURATION has zero length and blocks nothing."""
    for tz in ("Europe/Berlin", "America/New_York"):
        parsed = _parse(real_calendars / "duration.ics", tz, "2018-01-01", "2018-02-01")
        assert _local(parsed, tz) == [
            ("2018-01-10 00:00", "2018-01-13 00:00"),
            ("2018-01-15 10:00", "2018-01-15 13:00"),
        ]
        assert parsed.skipped["zeroLength"] == 1


def test_feed_in_another_time_zone(real_calendars: Path) -> None:
    """Outlook, Windows zone "Pacific Standard Time": Thursdays 10–11 from 2023-01-05, UNTIL
    2023-06-08T17:00Z (= the last instance, included): 23 instances. For a Berlin learner they
    move 19:00 → 18:00 (US DST from 03-12, EU not yet) → 19:00 (EU DST from 03-26)."""
    parsed = _parse(
        real_calendars / "issue_107_omitting_last_event.ics",
        "Europe/Berlin",
        "2023-01-01",
        "2023-07-01",
    )
    local = _local(parsed, "Europe/Berlin")
    assert len(local) == 23
    assert all(
        (iv.end - iv.start).total_seconds() == 3600 and iv.weight == 1.0 for iv in parsed.intervals
    )
    by_day = dict(local)
    assert by_day["2023-03-09 19:00"] == "2023-03-09 20:00"
    assert by_day["2023-03-16 18:00"] == "2023-03-16 19:00"
    assert by_day["2023-03-23 18:00"] == "2023-03-23 19:00"
    assert by_day["2023-03-30 19:00"] == "2023-03-30 20:00"
    assert local[-1] == ("2023-06-08 19:00", "2023-06-08 20:00")
    assert parsed.intervals[-1].start == datetime(2023, 6, 8, 17, 0, tzinfo=UTC)


def test_overrides_moved_and_exdate_on_dst_day_merge_to_one_block(real_calendars: Path) -> None:
    """Thunderbird, Europe/London: event 1 (03-26 01:00 – 03-30 07:00) contains event 4 and the
    daily 03:00–07:00 series' instances left after its EXDATEs (03-28, 03-30, 03-31 DST day,
    04-01, 04-02) and overrides (03-29 moved to 03-27 16:00–20:00); events 6/7 are TRANSPARENT."""
    parsed = _parse(
        real_calendars / "after_many_events_in_order.ics",
        "Europe/London",
        "2024-03-20",
        "2024-04-10",
    )
    assert _local(parsed, "Europe/London") == [
        ("2024-03-26 01:00", "2024-03-30 07:00"),
        ("2024-03-26 03:00", "2024-03-26 07:00"),
        ("2024-03-27 03:00", "2024-03-27 07:00"),
        ("2024-03-27 04:00", "2024-03-28 16:00"),
        ("2024-03-27 16:00", "2024-03-27 20:00"),
    ]
    merged = BusyTime.of(parsed.intervals).segments
    assert [(s.start, s.end) for s in merged] == [
        (datetime(2024, 3, 26, 1, 0, tzinfo=UTC), datetime(2024, 3, 30, 7, 0, tzinfo=UTC))
    ]
    assert parsed.skipped["transparent"] == 2


def test_x_wr_timezone_applies_to_floating_times(real_calendars: Path) -> None:
    """Floating 2021-09-16 21:00–22:45 in a calendar with X-WR-TIMEZONE:Europe/Brussels is
    Brussels time (19:00Z), whatever the learner's zone."""
    parsed = _parse(
        real_calendars / "issue_86_x_wr_timezone_without_time_zone_in_dt.ics",
        "Asia/Tokyo",
        "2021-09-01",
        "2021-10-01",
    )
    assert [(iv.start.astimezone(UTC), iv.end.astimezone(UTC)) for iv in parsed.intervals] == [
        (datetime(2021, 9, 16, 19, 0, tzinfo=UTC), datetime(2021, 9, 16, 20, 45, tzinfo=UTC))
    ]
    assert parsed.calendar_timezone == "Europe/Brussels"


def test_floating_daily_series_from_2015_across_2027_us_dst(real_calendars: Path) -> None:
    """Open-ended floating daily 08:00–10:00 from 2015-09-01, read ~11.5 years later by a New York
    learner: 08:00 EST = 13:00Z on 2027-03-13, 08:00 EDT = 12:00Z from 03-14."""
    parsed = _parse(
        real_calendars / "issue_243_recurrence_id_is_not_identical_to_dtstart.ics",
        "America/New_York",
        "2027-03-12",
        "2027-03-16",
    )
    assert _utc(parsed) == ["03-12 13:00Z", "03-13 13:00Z", "03-14 12:00Z", "03-15 12:00Z"]


@pytest.mark.parametrize("name", ["issue_28_rrule_with_UTC_endinginZ.ics", "Germany_Holidays.ics"])
def test_transparent_only_feeds_block_nothing(real_calendars: Path, name: str) -> None:
    """Everything in these two files is TRANSPARENT (Germany_Holidays is also malformed in
    harmless ways: DATE values without VALUE=DATE, DTEND = DTSTART, empty RRULE lines)."""
    parsed = _parse(real_calendars / name, "Europe/Berlin", "2019-01-01", "2021-01-01")
    assert parsed.intervals == ()
    assert parsed.skipped["transparent"] > 0


def test_large_google_export_with_orphan_modifications_parses(real_calendars: Path) -> None:
    """677 VEVENTs incl. 8 RECURRENCE-ID modifications without a master: parsed, not rejected."""
    parsed = _parse(
        real_calendars / "issue_173_only_modifications_error.ics",
        "Europe/Berlin",
        "2024-01-01",
        "2024-03-01",
    )
    assert parsed.components == 677
    assert len(parsed.intervals) > 0
    assert all(
        parsed.window_start <= iv.start < iv.end <= parsed.window_end for iv in parsed.intervals
    )
