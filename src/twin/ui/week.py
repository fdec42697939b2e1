"""The schedule page's week: calendar busy time, recommended slots and planned sessions
per local day, as a plotly figure with its table (times in the learner's zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from twin.ui.charts import (
    BLUE,
    GREEN,
    GREY,
    LEGEND,
    MARGIN_WITH_LEGEND,
    Chart,
    Table,
    _layout,
)

WEEK_HEIGHT_PX = 420
HOURS_PER_DAY = 24
SECONDS_PER_HOUR = 3600.0
WEEK_KINDS = (  # (key, legend name, colour): what a block on the week chart is
    ("busy", "Busy (calendar)", GREY),
    ("slot", "Recommended slot", BLUE),
    ("plan", "Planned session", GREEN),
)


@dataclass(frozen=True)
class WeekBlock:
    """A block of one local day on the week chart, in hours since that day's midnight."""

    kind: str
    day: str
    start_hour: float
    end_hour: float
    label: str


def _local(value: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)


def _day_blocks(kind: str, start: datetime, end: datetime, label: str) -> list[WeekBlock]:
    """Split a local interval at each midnight (a block that crosses it is drawn on both days)."""
    out = []
    cursor = start
    while cursor < end:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time())
        next_day = midnight.replace(tzinfo=cursor.tzinfo)
        stop = min(end, next_day)
        hours_from = (
            cursor - cursor.replace(hour=0, minute=0, second=0, microsecond=0)
        ).total_seconds() / SECONDS_PER_HOUR
        length = (stop - cursor).total_seconds() / SECONDS_PER_HOUR
        if length > 0:
            out.append(
                WeekBlock(kind, cursor.date().isoformat(), hours_from, hours_from + length, label)
            )
        cursor = stop
    return out


def week_blocks(schedule: dict[str, Any], busy: dict[str, Any]) -> list[WeekBlock]:
    """Busy blocks, open slots and planned sessions of the schedule, in the learner's zone."""
    zone = ZoneInfo(schedule["timezone"])
    blocks: list[WeekBlock] = []
    for b in busy["blocks"]:
        tentative = " (tentative)" if b["weight"] < 1 else ""
        blocks += _day_blocks(
            "busy", _local(b["start"], zone), _local(b["end"], zone), "busy" + tentative
        )
    for s in schedule["pendingSlots"]:
        blocks += _day_blocks(
            "slot",
            _local(s["start"], zone),
            _local(s["end"], zone),
            f"slot #{s['rank']}, score {s['score']:.0f}",
        )
    for p in schedule["upcoming"]:
        if p["status"] in ("PLANNED", "COMPLETED"):
            blocks += _day_blocks(
                "plan",
                _local(p["plannedStart"], zone),
                _local(p["plannedEnd"], zone),
                f"{p['status'].lower()} session, {p['durationMinutes']} min",
            )
    return sorted(blocks, key=lambda b: (b.day, b.start_hour, b.kind))


def _clock(hour: float) -> str:
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def week_chart(schedule: dict[str, Any], busy: dict[str, Any]) -> Chart | None:
    """The next 7 days: calendar busy time, recommended slots and planned sessions per day
    (None when there is nothing to draw)."""
    blocks = week_blocks(schedule, busy)
    if not blocks:
        return None
    days = sorted({b.day for b in blocks})
    counts = {k: sum(1 for b in blocks if b.kind == k) for k, _n, _c in WEEK_KINDS}
    summary = (
        f"Your week in {schedule['timezone']} time: {counts['busy']} busy block"
        f"{'s' if counts['busy'] != 1 else ''} from your calendar, {counts['slot']} recommended "
        f"slot{'s' if counts['slot'] != 1 else ''} and {counts['plan']} planned session"
        f"{'s' if counts['plan'] != 1 else ''}."
    )
    data = []
    for key, name, colour in WEEK_KINDS:
        mine = [b for b in blocks if b.kind == key]
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": [b.day for b in mine],
                "y": [b.end_hour - b.start_hour for b in mine],
                "base": [b.start_hour for b in mine],
                "offsetgroup": key,
                "marker": {"color": colour},
                "customdata": [[b.label, _clock(b.start_hour), _clock(b.end_hour)] for b in mine],
                "hovertemplate": "%{x} %{customdata[1]}–%{customdata[2]}: "
                "%{customdata[0]}<extra></extra>",
            }
        )
    figure = {
        "data": data,
        "layout": _layout(
            height=WEEK_HEIGHT_PX,
            margin=MARGIN_WITH_LEGEND,
            showlegend=True,
            legend=LEGEND,
            barmode="group",
            xaxis={"type": "category", "categoryorder": "array", "categoryarray": days},
            yaxis={
                "title": {"text": "hour of the day"},
                "range": [HOURS_PER_DAY, 0],
                "dtick": 3,
            },
        ),
    }
    table = Table(
        "Busy time, recommended slots and planned sessions per day (your time zone)",
        ("day", "from", "to", "what"),
        tuple((b.day, _clock(b.start_hour), _clock(b.end_hour), b.label) for b in blocks),
    )
    return Chart("week", "Your next 7 days", summary, figure, table)
