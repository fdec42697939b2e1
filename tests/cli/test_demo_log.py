"""The demo moves the real review log to end today: whole days, every interval intact."""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.common import aware_utc
from twin.cli.demo import REAL_LOG_END_MARGIN, moved_revlog
from twin.ingest.revlog import REVLOG_COLUMNS, parse_revlog

DAY = timedelta(days=1)


def _log(times: list[datetime]) -> str:
    lines = [",".join(REVLOG_COLUMNS)]
    lines += [f"c{i % 7},{1 + i % 4},{t.isoformat()},{1000 + i}" for i, t in enumerate(times)]
    return "\n".join(lines) + "\n"


def _moved(text: str, now: datetime) -> tuple[list[datetime], timedelta, datetime]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        path.write_text(text)
        out, shift, _first, last = moved_revlog(path, now)
    rows, problems = parse_revlog(io.StringIO(out, newline=""))
    assert problems == []
    return [aware_utc(r.reviewed_at) for r in rows], shift, last


def test_golden_shift() -> None:
    # Last review 2024-10-06 17:13 UTC, now 2026-12-07 07:38 UTC: 17:13 has not come yet
    # today, so it lands yesterday, 2026-12-06 17:13 — 791 days later (what the demo prints).
    times = [
        datetime(2024, 3, 29, 20, 32, 32, 250000, UTC),
        datetime(2024, 10, 6, 17, 13, tzinfo=UTC),
    ]
    moved, shift, _last = _moved(_log(times), datetime(2026, 12, 7, 7, 38, tzinfo=UTC))
    assert shift == 791 * DAY
    assert moved == [times[0] + shift, datetime(2026, 12, 6, 17, 13, tzinfo=UTC)]


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2024, 12, 31), timezones=st.just(UTC)
    ),
    gaps_minutes=st.lists(
        st.integers(min_value=0, max_value=60 * 24 * 20), min_size=1, max_size=30
    ),
    ahead=st.timedeltas(min_value=timedelta(days=1), max_value=timedelta(days=900)),
)
def test_intervals_and_times_of_day_are_kept_and_the_log_ends_just_before_now(
    start: datetime, gaps_minutes: list[int], ahead: timedelta
) -> None:
    times = [start]
    for gap in gaps_minutes:
        times.append(times[-1] + timedelta(minutes=gap))
    times = [t.replace(microsecond=0) for t in times]
    now = times[-1] + ahead
    moved, shift, last = _moved(_log(times), now)
    assert shift % DAY == timedelta(0)  # whole days: every time of day unchanged
    assert moved == [t + shift for t in times]  # so every interval too, in order
    end = max(moved)
    assert end <= now - REAL_LOG_END_MARGIN < end + DAY  # ends within the last day
    assert last == max(times)
