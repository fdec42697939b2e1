"""Speed target (ENGINE 5.3 / issue 16): parsing a 2,000-event feed with recurrences ≤ 1 s.

Two seeded feeds of 2,000 VEVENTs (about a quarter recurring with EXDATEs and overrides, six
zones, tentative, cancelled, transparent and all-day events), parsed for a 5-week sync window:
- "history": events spread over the past year and the next two months, as real exports are;
- "dense": every event within ten weeks around the window (the worst case: nothing to skip).
The best of 3 runs is compared with the target (the machine is shared, and the minimum is the
measurement least disturbed by other work); the runs stop at the first within the bound, as
the best of 3 would then be too, and every run made is printed. When the machine is loaded
beyond its cores (1-minute load average above the CPU count) the bound is scaled by
load / cores — the share of a core a CPU-bound test gets — and the scaled bound is printed too.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from tests.ingest.calendars.synth import calendar_text, random_specs
from twin.ingest.calendars.ics import parse_ics

EVENTS = 2000
TARGET_SECONDS = 1.0
RUNS = 3
WINDOW_START = datetime(2025, 3, 20, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(days=35)


@pytest.mark.parametrize(
    ("kind", "first_day", "span_days"),
    [("history", date(2024, 3, 20), 425), ("dense", date(2025, 3, 1), 70)],
)
def test_parse_2000_event_feed_within_a_second(kind: str, first_day: date, span_days: int) -> None:
    """Best of 3 parses of a 2,000-event feed (plus its RECURRENCE-ID overrides) ≤ 1 s."""
    specs = random_specs(np.random.default_rng(20250320), EVENTS, first_day, span_days)
    text = calendar_text(specs)
    recurring = sum(1 for s in specs if s.freq)
    overrides = sum(len(s.overrides) for s in specs)
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    bound = TARGET_SECONDS * max(1.0, load)
    times: list[float] = []
    # Up to 3 runs: once one is within the bound the best of 3 is too, so the rest are skipped.
    while len(times) < RUNS and (not times or min(times) > bound):
        started = time.perf_counter()
        parsed = parse_ics(
            text, window_start=WINDOW_START, window_end=WINDOW_END, timezone="Europe/Berlin"
        )
        times.append(time.perf_counter() - started)
    print(
        f"\n{kind}: {EVENTS} events ({recurring} recurring) + {overrides} overrides, "
        f"{len(text) / 1e6:.2f} MB; "
        f"{parsed.outside_window} outside the window, {parsed.occurrences} occurrences, "
        f"{len(parsed.intervals)} busy intervals; runs: " + ", ".join(f"{t:.3f} s" for t in times)
    )
    assert parsed.components == EVENTS + overrides
    assert len(parsed.intervals) > 0
    print(f"target {TARGET_SECONDS:.1f} s; load per core {load:.2f} → bound {bound:.2f} s")
    assert min(times) <= bound


def test_slots_and_plan_over_a_2000_event_feed_are_fast() -> None:
    """The pure part of "slots for 7 days" and "a session plan" (issue 16 asks p95 ≤ 50 ms via
    HTTP) over the busy time of the 2,000-event history feed: 40 runs each, p95 printed and
    held to 50 ms (scaled by load like the parse bound). 600 due cards over 80 objectives."""
    from twin.analysis.orchestration.busy import BusyTime
    from twin.analysis.orchestration.plan import plan_session
    from twin.analysis.orchestration.plan_inputs import (
        DueCard,
        LearnerTiming,
        MissionObjective,
        NewCard,
        PlanRequest,
        StruggleForecast,
        ValidationPrompt,
    )
    from twin.analysis.orchestration.slots import (
        HourScore,
        HourScoreTable,
        RecentSession,
        SlotRequest,
        recommend_slots,
    )
    from twin.enums import ObjectiveComplexity

    rng = np.random.default_rng(16)
    specs = random_specs(rng, EVENTS, date(2024, 3, 20), 425)
    parsed = parse_ics(
        calendar_text(specs),
        window_start=WINDOW_START,
        window_end=WINDOW_END,
        timezone="Europe/Berlin",
    )
    busy = BusyTime.of(parsed.intervals)
    now = WINDOW_START + timedelta(days=1)
    cells = tuple(
        HourScore(k, h, float(rng.uniform(40, 90)), int(rng.integers(0, 30)))
        for k in ("weekday", "weekend")
        for h in range(24)
    )
    recent = tuple(
        RecentSession(now - timedelta(hours=int(h)), float(rng.uniform(40, 100)))
        for h in rng.integers(1, 24 * 14, 60)
    )
    request = SlotRequest(
        now=now,
        timezone="Europe/Berlin",
        duration_minutes=50,
        busy=busy,
        hour_scores=HourScoreTable(cells),
        recent_sessions=recent,
    )

    def p95(samples: list[float]) -> float:
        return sorted(samples)[int(0.95 * len(samples)) - 1]

    slot_times = []
    for _ in range(40):
        started = time.perf_counter()
        answer = recommend_slots(request)
        slot_times.append(time.perf_counter() - started)
    assert len(answer.slots) == 5
    plan_request = PlanRequest(
        start=answer.slots[0].start,
        timezone="Europe/Berlin",
        complexity=ObjectiveComplexity.ADVANCED,
        due_cards=tuple(
            DueCard(f"c{i}", float(rng.uniform(0.2, 0.99)), f"o{int(rng.integers(0, 80))}")
            for i in range(600)
        ),
        new_cards=tuple(NewCard(f"n{i}", f"o{i % 80}") for i in range(100)),
        objectives=tuple(MissionObjective(f"o{i}", 10) for i in range(5)),
        validations=tuple(ValidationPrompt(f"v{i}", f"o{i}") for i in range(5)),
        struggles=tuple(StruggleForecast(f"o{i + 10}", 0.7) for i in range(3)),
        timing=LearnerTiming(optimal_duration_minutes=90),
        busy=busy,
    )
    plan_times = []
    for _ in range(40):
        started = time.perf_counter()
        plan = plan_session(plan_request)
        plan_times.append(time.perf_counter() - started)
    assert plan.items
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    bound = 0.050 * max(1.0, load)
    print(
        f"\n{len(busy.segments)} busy segments; slots p95 {p95(slot_times) * 1000:.1f} ms "
        f"(median {sorted(slot_times)[20] * 1000:.1f}); plan p95 {p95(plan_times) * 1000:.1f} ms "
        f"(median {sorted(plan_times)[20] * 1000:.1f}); load per core {load:.2f}"
    )
    assert p95(slot_times) <= bound and p95(plan_times) <= bound
