"""Property tests over generated calendars (recurrences, EXDATEs, overrides, DST, several zones).

1. The parser's busy time equals the instances computed by plain date arithmetic (synth.py).
2. No recommended slot and no planned session overlaps busy time (weight 1) — checked against
   those independently computed instances, not against the parser's own output — and every
   tentative overlap is reported as a conflict.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ingest.calendars.synth import Instance, calendar_text, instances, random_specs
from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.orchestration.plan import plan_session
from twin.analysis.orchestration.plan_inputs import PlanConflict, PlanRequest
from twin.analysis.orchestration.slots import (
    SLOT_BUFFER_MINUTES,
    HourScore,
    HourScoreTable,
    SlotRequest,
    recommend_slots,
)
from twin.enums import BurnoutRiskLevel
from twin.ingest.calendars.ics import parse_ics

LEARNER_ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Pacific/Easter",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
)
# Days a few days before a DST change somewhere among the zones (EU, US, Easter Island, Lord Howe).
ANCHORS = (
    date(2025, 3, 6),
    date(2025, 3, 27),
    date(2025, 4, 2),
    date(2025, 9, 2),
    date(2025, 10, 2),
    date(2025, 10, 23),
    date(2025, 10, 30),
)


def _clip(items: list[Instance], start: datetime, end: datetime) -> list[BusyInterval]:
    return [
        BusyInterval(max(i.start, start), min(i.end, end), i.weight)
        for i in items
        if i.end > start and i.start < end
    ]


def _as_utc(segments: tuple[BusyInterval, ...]) -> list[tuple[datetime, datetime, float]]:
    return [(s.start.astimezone(UTC), s.end.astimezone(UTC), s.weight) for s in segments]


def _overlaps_hard_busy(start: datetime, end: datetime, truth: list[BusyInterval]) -> bool:
    return any(i.weight >= 1.0 and i.start < end and start < i.end for i in truth)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    zone=st.sampled_from(LEARNER_ZONES),
    anchor=st.sampled_from(ANCHORS),
    n_events=st.integers(1, 30),
    duration=st.integers(15, 120),
    burnout_high=st.booleans(),
)
def test_parser_matches_truth_and_no_slot_or_plan_overlaps_busy(
    seed: int, zone: str, anchor: date, n_events: int, duration: int, burnout_high: bool
) -> None:
    """Generated calendars → busy time → slots and plans; nothing lands on busy time."""
    rng = np.random.default_rng(seed)
    specs = random_specs(rng, n_events, anchor - timedelta(days=2), 11)
    tz = ZoneInfo(zone)
    now = datetime.combine(anchor, datetime.min.time()).replace(tzinfo=tz) + timedelta(
        minutes=int(rng.integers(0, 24 * 60))
    )
    window_start, window_end = now - timedelta(days=1), now + timedelta(days=9)
    parsed = parse_ics(
        calendar_text(specs), window_start=window_start, window_end=window_end, timezone=zone
    )
    truth = _clip([i for s in specs for i in instances(s, zone)], window_start, window_end)

    busy = BusyTime.of(parsed.intervals)
    assert _as_utc(busy.segments) == _as_utc(BusyTime.of(truth).segments)
    # Skipping what lies outside a window never changes what lies inside it.
    wide = parse_ics(
        calendar_text(specs),
        window_start=window_start - timedelta(days=30),
        window_end=window_end + timedelta(days=30),
        timezone=zone,
    )
    clipped = [
        BusyInterval(max(i.start, window_start), min(i.end, window_end), i.weight)
        for i in wide.intervals
        if i.end > window_start and i.start < window_end
    ]
    assert _as_utc(BusyTime.of(clipped).segments) == _as_utc(busy.segments)

    # A random learner history, so that scores (not only availability) drive the choice.
    cells = tuple(
        HourScore(kind, hour, float(rng.uniform(30, 95)), int(rng.integers(0, 20)))
        for kind in ("weekday", "weekend")
        for hour in range(24)
    )
    answer = recommend_slots(
        SlotRequest(
            now=now,
            timezone=zone,
            duration_minutes=duration,
            busy=busy,
            hour_scores=HourScoreTable(cells),
            burnout=BurnoutRiskLevel.HIGH if burnout_high else None,
            top_k=5,
        )
    )
    buffer = timedelta(minutes=SLOT_BUFFER_MINUTES)
    for slot in answer.slots:
        assert not _overlaps_hard_busy(slot.start, slot.end + buffer, truth)
        tentative = [
            i
            for i in truth
            if i.weight < 1.0 and i.start < slot.end + buffer and slot.start < i.end
        ]
        assert bool(tentative) == bool(slot.conflicts)
        local = slot.start.astimezone(tz)
        assert (local.minute, local.second) in ((0, 0), (30, 0))
        assert local.hour >= 6 and slot.end.astimezone(tz) <= local.replace(hour=23, minute=0)
        assert slot.start >= now

        plan = plan_session(PlanRequest(start=slot.start, timezone=zone, busy=busy))
        assert not _overlaps_hard_busy(plan.start, plan.end + buffer, truth)

    # A plan at an arbitrary time either fits before the next busy event or is refused.
    start = now + timedelta(minutes=int(rng.integers(0, 5 * 24 * 60)))
    try:
        plan = plan_session(PlanRequest(start=start, timezone=zone, busy=busy))
    except PlanConflict as conflict:
        assert conflict.free_minutes < 15 + 1e-9
    else:
        assert not _overlaps_hard_busy(plan.start, plan.end + buffer, truth)
