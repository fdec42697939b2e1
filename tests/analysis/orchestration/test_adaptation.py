"""Adaptation rules: calendar conflicts re-plan, declared constraints become preferences,
missed sessions shorten and multiply sessions; each gives a schedule_adaptations record."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from twin.analysis.orchestration.adaptation import (
    ConstraintKind,
    DeclaredConstraint,
    PlannedSession,
    adapt_to_missed_sessions,
    apply_constraint,
    missed_sessions,
    replan_conflicts,
)
from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.orchestration.effectiveness import SessionOutcome
from twin.analysis.orchestration.slots import (
    HourScore,
    HourScoreTable,
    PreferenceKind,
    SlotRequest,
    recommend_slots,
)
from twin.enums import AdaptationType

BERLIN = ZoneInfo("Europe/Berlin")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """2025-03-{day} hh:mm Berlin (2025-03-03 is a Monday)."""
    return datetime(2025, 3, day, hour, minute, tzinfo=BERLIN)


PEAK_TABLE = HourScoreTable(
    tuple(
        HourScore(
            kind, h, 90.0 if h == 7 else 75.0 if h == 10 else 55.0, 40 if h in (7, 10) else 10
        )
        for kind in ("weekday", "weekend")
        for h in range(24)
    )
)


def test_calendar_change_moves_the_session_to_the_next_best_free_slot() -> None:
    """Tue 07:00–08:00 becomes busy (meeting 07:30–09:00): it moves to the best free slot — 07:00
    on Monday (same score as every weekday 07:00; Wednesday's is taken by the other plan, and
    ties go to the earliest). Wednesday's session is untouched."""
    tuesday = PlannedSession("plan-tue", local(4, 7), local(4, 8))
    wednesday = PlannedSession("plan-wed", local(5, 7), local(5, 8))
    request = SlotRequest(
        now=local(3, 5),
        timezone="Europe/Berlin",
        duration_minutes=60,
        busy=BusyTime.of([BusyInterval(local(4, 7, 30), local(4, 9))]),
        hour_scores=PEAK_TABLE,
    )
    (replan,) = replan_conflicts([tuesday, wednesday], request)
    assert replan.plan_id == "plan-tue"
    assert replan.new_slot is not None and replan.new_slot.start == local(3, 7)
    record = replan.record
    assert record.adaptation_type is AdaptationType.TIME_SHIFT
    details = record.to_details()
    # Old and new in the learner's zone (Berlin, +01:00 in early March).
    assert details["old"] == {
        "start": "2025-03-04T07:00:00+01:00",
        "end": "2025-03-04T08:00:00+01:00",
        "planId": "plan-tue",
    }
    assert details["new"] == {
        "start": "2025-03-03T07:00:00+01:00",
        "end": "2025-03-03T08:00:00+01:00",
    }
    assert details["reason"]["rule"] == "calendarConflict"  # type: ignore[index]
    assert details["reason"]["busyWeight"] == 1.0  # type: ignore[index]
    assert details["reason"]["shiftMinutes"] == -1440.0  # type: ignore[index]


def test_two_conflicts_never_land_on_one_slot_and_past_sessions_stay() -> None:
    """Both Tue and Thu 07:00 become busy: they move to two different free slots; a session that
    already started is not moved."""
    planned = [
        PlannedSession("a", local(4, 7), local(4, 8)),
        PlannedSession("b", local(6, 7), local(6, 8)),
        PlannedSession("past", local(3, 4), local(3, 5)),
    ]
    busy = BusyTime.of(
        [
            BusyInterval(local(4, 6), local(4, 12)),
            BusyInterval(local(6, 6), local(6, 12)),
            BusyInterval(local(3, 4), local(3, 5)),
        ]
    )
    replans = replan_conflicts(
        planned,
        SlotRequest(
            now=local(3, 5),
            timezone="Europe/Berlin",
            duration_minutes=60,
            busy=busy,
            hour_scores=PEAK_TABLE,
        ),
    )
    assert [r.plan_id for r in replans] == ["a", "b"]
    new = [r.new_slot for r in replans]
    assert all(s is not None for s in new)
    assert new[0].start != new[1].start  # type: ignore[union-attr]
    for slot in new:
        assert busy.max_weight(slot.start, slot.end + timedelta(minutes=10)) < 1.0  # type: ignore[union-attr]


def test_no_free_slot_is_recorded_not_invented() -> None:
    """Everything busy for the horizon: the record says so, with no new time."""
    busy = BusyTime.of([BusyInterval(local(3, 0), local(12, 0))])
    (replan,) = replan_conflicts(
        [PlannedSession("a", local(4, 7), local(4, 8))],
        SlotRequest(now=local(3, 5), timezone="Europe/Berlin", duration_minutes=60, busy=busy),
    )
    assert replan.new_slot is None
    assert replan.record.new is None and replan.record.reason["noFreeSlot"] is True


def test_no_mornings_becomes_an_avoid_preference() -> None:
    """NO_MORNINGS → AVOID 06:00–12:00 every day (TIMING record); declaring it twice adds nothing;
    with a flat history the top slots then leave the mornings."""
    windows, record = apply_constraint(DeclaredConstraint(ConstraintKind.NO_MORNINGS), ())
    assert [(w.kind, w.start_minute, w.end_minute, w.label) for w in windows] == [
        (PreferenceKind.AVOID, 360, 720, "no mornings")
    ]
    assert record.adaptation_type is AdaptationType.TIMING
    assert record.reason == {
        "rule": "declaredConstraint",
        "constraint": "NO_MORNINGS",
        "windowsAdded": 1,
    }
    assert record.old == {"preferences": []}
    again, second = apply_constraint(DeclaredConstraint(ConstraintKind.NO_MORNINGS), windows)
    assert again == windows and second.reason["windowsAdded"] == 0
    answer = recommend_slots(
        SlotRequest(
            now=local(3, 5), timezone="Europe/Berlin", duration_minutes=60, preferences=windows
        )
    )
    assert all(s.start.astimezone(BERLIN).hour >= 12 for s in answer.slots)


def test_other_constraints() -> None:
    """NO_WEEKENDS avoids whole Saturdays and Sundays; custom windows need both minutes."""
    (weekend,) = DeclaredConstraint(ConstraintKind.NO_WEEKENDS).windows()
    assert (weekend.start_minute, weekend.end_minute, weekend.weekdays) == (
        0,
        1440,
        frozenset({5, 6}),
    )
    (prefer,) = DeclaredConstraint(ConstraintKind.PREFER_WINDOW, 18 * 60, 21 * 60).windows()
    assert prefer.kind is PreferenceKind.PREFER and prefer.label == "prefer 18:00–21:00"
    with pytest.raises(ValueError, match="start_minute and end_minute"):
        DeclaredConstraint(ConstraintKind.AVOID_WINDOW).windows()


def test_three_missed_sessions_in_seven_days_shorten_and_multiply() -> None:
    """Planned Mon–Thu 18:00 (45 min); only Tuesday's happened (started 18:25, inside ±30 min).
    3 missed → 45 × 2/3 = 30 min and 3 × 1.5 = 4.5 → 5 sessions a week (135 → 150 weekly minutes).
    Today's 19:45 plan is not missed yet at 20:00 (its tolerance runs to 20:15); a plan 8 days
    ago is outside the 7-day window."""
    now = local(9, 20)  # Sunday
    planned = [PlannedSession(f"p{d}", local(d, 18), local(d, 18, 45)) for d in (3, 4, 5, 6)]
    planned += [PlannedSession("today", local(9, 19, 45), local(9, 20, 30))]
    planned += [PlannedSession("old", local(1, 18), local(1, 18, 45))]
    sessions = [SessionOutcome("s-tue", local(4, 18, 25), 44.0)]
    assert [p.plan_id for p in missed_sessions(planned, sessions, now)] == ["p3", "p5", "p6"]
    record = adapt_to_missed_sessions(
        planned, sessions, now, duration_minutes=45, sessions_per_week=3
    )
    assert record is not None
    assert record.adaptation_type is AdaptationType.FREQUENCY_CHANGE
    assert record.old == {"durationMinutes": 45, "sessionsPerWeek": 3}
    assert record.new == {"durationMinutes": 30, "sessionsPerWeek": 5}
    assert record.reason["missed"] == 3
    assert (record.reason["weeklyMinutesOld"], record.reason["weeklyMinutesNew"]) == (135, 150)
    # A session 31 minutes late does not count as attended; one on Monday at 18:10 does.
    assert (
        adapt_to_missed_sessions(
            planned,
            [*sessions, SessionOutcome("s-mon", local(3, 18, 10), 40.0)],
            now,
            duration_minutes=45,
            sessions_per_week=3,
        )
        is None
    )
    late = [*sessions, SessionOutcome("s-wed", local(5, 18, 31), 40.0)]
    assert len(missed_sessions(planned, late, now)) == 3
