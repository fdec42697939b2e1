"""Session plans: the duration and break formulas (golden values), phases, the content sequence
and its rules, intensity, expected load, and the calendar cap."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.orchestration.duration import (
    Break,
    break_interval_minutes,
    schedule_breaks,
    session_duration,
    slot_duration_minutes,
)
from twin.analysis.orchestration.plan import (
    SessionPlan,
    actuals_from_items,
    plan_actuals,
    plan_session,
    session_intensity,
)
from twin.analysis.orchestration.plan_inputs import (
    DueCard,
    Intensity,
    ItemKind,
    ItemTimes,
    LearnerTiming,
    MissionObjective,
    NewCard,
    OptimalWindow,
    Phase,
    PlanConflict,
    PlanRequest,
    StruggleForecast,
    ValidationPrompt,
)
from twin.analysis.orchestration.sequence import (
    MAX_SAME_KIND_RUN,
    OBJECTIVE_SPACING_MINUTES,
    phase_spans,
)
from twin.enums import BurnoutRiskLevel, InterventionType, ObjectiveComplexity

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 3, 4, 8, 0, tzinfo=BERLIN)  # a Tuesday, 08:00
B, M, A = ObjectiveComplexity.BASIC, ObjectiveComplexity.INTERMEDIATE, ObjectiveComplexity.ADVANCED
MORNING = (OptimalWindow(7, 10),)


@pytest.mark.parametrize(
    ("complexity", "timing", "raw", "minutes"),
    [
        # 45 default, no window known → ×1.
        (M, LearnerTiming(), 45.0, 45),
        # (45 + 15) × 1.2 (08:00 inside 07–10) × 0.85 (12 h > 1.5 × 7 h) × 0.7 (load 65) = 42.84 → 43.
        (
            A,
            LearnerTiming(
                optimal_windows=MORNING,
                study_hours_last_7_days=12,
                median_weekly_study_hours=7,
                recent_mean_load=65,
            ),
            42.84,
            43,
        ),
        # (45 − 10) × 0.9 (outside 18–21) = 31.5 → 32 (half up).
        (B, LearnerTiming(optimal_windows=(OptimalWindow(18, 21),)), 31.5, 32),
        # (150 + 15) × 1.2 = 198 → clamped to 120.
        (A, LearnerTiming(optimal_duration_minutes=150, optimal_windows=MORNING), 198.0, 120),
        # (20 − 10) × 0.9 × 0.7 = 6.3 → clamped to 15.
        (
            B,
            LearnerTiming(
                optimal_duration_minutes=20,
                optimal_windows=(OptimalWindow(18, 21),),
                recent_mean_load=60,
            ),
            6.3,
            15,
        ),
        # Heavy week needs > 1.5 × median: 10.5 h is exactly 1.5 × 7 → no reduction.
        (M, LearnerTiming(study_hours_last_7_days=10.5, median_weekly_study_hours=7), 45.0, 45),
        # 60 × 1.2 = 72 then the burnout HIGH cap of 30 (5.4).
        (
            M,
            LearnerTiming(
                optimal_duration_minutes=60, optimal_windows=MORNING, burnout=BurnoutRiskLevel.HIGH
            ),
            72.0,
            30,
        ),
        # CRITICAL caps at 20.
        (M, LearnerTiming(burnout=BurnoutRiskLevel.CRITICAL), 45.0, 20),
    ],
)
def test_duration_formula(
    complexity: ObjectiveComplexity, timing: LearnerTiming, raw: float, minutes: int
) -> None:
    """Golden values worked out by hand from ENGINE.md 5.3's formula."""
    d = session_duration(START, complexity, timing)
    assert d.raw_minutes == pytest.approx(raw)
    assert d.minutes == minutes


def test_window_on_another_day_type_is_outside() -> None:
    """A weekend-only window does not make a Tuesday 08:00 start "inside"."""
    d = session_duration(
        START, M, LearnerTiming(optimal_windows=(OptimalWindow(7, 10, "weekend"),))
    )
    assert d.window_multiplier == 0.9


@pytest.mark.parametrize(
    ("complexity", "timing", "interval"),
    [
        (B, LearnerTiming(), 45.0),
        (M, LearnerTiming(), 30.0),
        (A, LearnerTiming(), 25.0),
        (M, LearnerTiming(time_to_fatigue_minutes=40), 36.0),  # 0.9 × 40
        (B, LearnerTiming(recent_mean_load=70), 20.0),  # high load: at most 20
        (M, LearnerTiming(time_to_fatigue_minutes=15, recent_mean_load=70), 13.5),  # 0.9 × 15 < 20
    ],
)
def test_break_interval(
    complexity: ObjectiveComplexity, timing: LearnerTiming, interval: float
) -> None:
    """0.9 × time-to-fatigue when known, else by complexity; never above 20 at load ≥ 60."""
    assert break_interval_minutes(complexity, timing) == pytest.approx(interval)


@pytest.mark.parametrize(
    ("duration", "interval", "breaks"),
    [
        # 30 + 5 + 10 ≤ 60 → one break; the next would start at 65.
        (60, 30, [(30, 5)]),
        # 25 (5), 55 (5), 85 (≥ 60: 10); the next at 120 leaves no study after it.
        (120, 25, [(25, 5), (55, 5), (85, 10)]),
        # 36 (5), 77 (≥ 60: 10); 123 is past the end.
        (120, 36, [(36, 5), (77, 10)]),
        # 27 (5), 59 (5: still < 60), 91 (≥ 90: 15); 91 + 15 + 10 = 116 ≤ 120.
        (120, 27, [(27, 5), (59, 5), (91, 15)]),
        # 20 + 5 + 10 > 30: none.
        (30, 20, []),
    ],
)
def test_breaks_golden(duration: int, interval: float, breaks: list[tuple[float, float]]) -> None:
    """Break at every interval of study; 5 min, 10 from minute 60, 15 from minute 90."""
    assert [(b.start_offset, b.minutes) for b in schedule_breaks(duration, interval)] == breaks


def test_phases_golden() -> None:
    """60 min with a 5-min break at 30: S = 55, warm-up min(15, 11) = 11, wind-down 11, peak 33;
    on the wall clock warm 0–11, peak 11–49 (44 study minutes + the break), wind 49–60.
    90 min with breaks at 25 and 55: S = 80, warm-up 15 (cap), wind 16, peak 49 → 15, 74."""
    spans = phase_spans(60, (Break(30, 5),))
    assert [(p.phase, p.study_minutes, p.start_offset, p.end_offset) for p in spans] == [
        (Phase.WARM_UP, 11, 0, 11),
        (Phase.PEAK, 33, 11, 49),
        (Phase.WIND_DOWN, 11, 49, 60),
    ]
    spans = phase_spans(90, (Break(25, 5), Break(55, 5)))
    assert [(p.study_minutes, p.end_offset) for p in spans] == [(15, 15), (49, 74), (16, 90)]


def rich_request(**overrides: object) -> PlanRequest:
    """A learner with plenty of every kind of content, due cards spread over 48 objectives."""
    objectives = [f"obj-{i:02d}" for i in range(48)]
    cards = tuple(
        DueCard(f"card-{i:03d}", recall, objectives[i % 48])
        for i, recall in enumerate([0.95, 0.9, 0.88, 0.75, 0.7, 0.65, 0.5, 0.4, 0.3] * 12)
    )
    base: dict[str, object] = {
        "start": START,
        "timezone": "Europe/Berlin",
        "complexity": A,
        "mission_id": "mission-1",
        "due_cards": cards,
        "new_cards": tuple(NewCard(f"new-{i:02d}", objectives[(i * 5) % 16]) for i in range(20)),
        "objectives": (
            MissionObjective("obj-01", 12),
            MissionObjective("obj-07", 8),
            MissionObjective("obj-11", 10, completed=True),
        ),
        "validations": (ValidationPrompt("val-1", "obj-01"), ValidationPrompt("val-2", "obj-07")),
        "struggles": (
            StruggleForecast("obj-90", 0.62, (InterventionType.SPACED_REPETITION_BOOST,)),
            StruggleForecast("obj-93", 0.81, (InterventionType.PREREQUISITE_REVIEW,), minutes=8),
        ),
        "item_times": ItemTimes(review_seconds=30, new_card_seconds=90, validation_seconds=180),
        "timing": LearnerTiming(optimal_duration_minutes=75, optimal_windows=MORNING),
    }
    base.update(overrides)
    return PlanRequest(**base)  # type: ignore[arg-type]


HARD_CARDS = {c.card_id for c in rich_request().due_cards if c.recall < 0.6}


def check_rules(plan: SessionPlan) -> tuple[int, int]:
    """Verify the plan's timeline; return the rule breaks found (same-kind runs, spacing)."""
    run_breaks = spacing_breaks = 0
    run_kind, run = None, 0
    last_end: dict[str, float] = {}
    previous_end = 0.0
    for item in plan.items:
        assert item.start_offset >= previous_end - 1e-9
        assert item.end_offset <= plan.minutes + 1e-9
        for b in plan.breaks:
            assert (
                item.end_offset <= b.start_offset + 1e-9 or item.start_offset >= b.end_offset - 1e-9
            )
        previous_end = item.end_offset
        run = run + 1 if item.kind == run_kind else 1
        run_kind = item.kind
        run_breaks += run > MAX_SAME_KIND_RUN
        for obj in item.objective_ids:
            if (
                obj in last_end
                and item.start_offset - last_end[obj] < OBJECTIVE_SPACING_MINUTES - 1e-6
            ):
                spacing_breaks += 1
                break
        for obj in item.objective_ids:
            last_end[obj] = item.end_offset
    return run_breaks, spacing_breaks


def test_rich_plan_golden_structure() -> None:
    """75 min optimal + 15 (ADVANCED) × 1.2 (08:00 in 07–10) = 108 min; breaks at 25, 55, 85 (10);
    study 88 min → warm-up 15, wind-down 17.6, peak 55.4; with enough variety no rule is relaxed;
    warm-up easy reviews, peak starts with the most probable struggle, wind-down medium reviews;
    every card at most once."""
    plan = plan_session(rich_request())
    assert plan.minutes == 108
    assert [(b.start_offset, b.minutes) for b in plan.breaks] == [(25, 5), (55, 5), (85, 10)]
    assert plan.relaxations == {}
    assert check_rules(plan) == (0, 0)
    warm = [it for it in plan.items if it.phase is Phase.WARM_UP]
    assert warm and all(it.kind is ItemKind.REVIEW and (it.mean_recall or 0) >= 0.85 for it in warm)
    assert len(warm) <= MAX_SAME_KIND_RUN
    peak = [it for it in plan.items if it.phase is Phase.PEAK]
    assert peak[0].kind is ItemKind.INTERVENTION and peak[0].ref_id == "obj-93"
    assert peak[0].interventions == (InterventionType.PREREQUISITE_REVIEW,) and peak[0].minutes == 8
    assert {it.ref_id for it in plan.items if it.kind is ItemKind.INTERVENTION} == {
        "obj-93",
        "obj-90",
    }
    # Peak reviews are hard cards; a medium block may only close the peak once no hard card is left.
    peak_reviews = [it for it in peak if it.kind is ItemKind.REVIEW]
    assert all((it.mean_recall or 1) < 0.6 for it in peak_reviews[:-1])
    hard_planned = {c for it in peak_reviews for c in it.card_ids if c in HARD_CARDS}
    if (peak_reviews[-1].mean_recall or 0) >= 0.6:
        assert hard_planned == HARD_CARDS
    wind = [it for it in plan.items if it.phase is Phase.WIND_DOWN and it.kind is ItemKind.REVIEW]
    assert wind and all(0.6 <= (it.mean_recall or 0) < 0.85 for it in wind)
    cards = [c for it in plan.items for c in it.card_ids]
    assert len(cards) == len(set(cards))
    # 5-minute peak blocks at the learner's 30 s per review hold 10 cards; wind-down blocks are a
    # third of the 17.6-minute phase (5.87 min → 11 cards), so that phase is at most 3 blocks.
    assert max(len(it.card_ids) for it in peak_reviews) == 10
    assert max(len(it.card_ids) for it in wind) == 11
    # The completed objective is not planned; the others are.
    planned_objectives = {it.ref_id for it in plan.items if it.kind is ItemKind.OBJECTIVE}
    assert "obj-11" not in planned_objectives and planned_objectives <= {"obj-01", "obj-07"}
    data = plan.to_plan_data()
    assert data["durationMinutes"] == 108 and data["intensity"] == "HIGH"
    assert data["reasons"]["duration"]["windowMultiplier"] == 1.2  # type: ignore[index]


def test_hard_cards_lowest_recall_first() -> None:
    """When only some hard cards fit, the planned ones are those with the lowest recall."""
    hard = tuple(DueCard(f"h{i:03d}", 0.05 + i * 0.005, f"o{i % 20}") for i in range(100))
    plan = plan_session(
        PlanRequest(
            start=START,
            timezone="Europe/Berlin",
            due_cards=hard,
            timing=LearnerTiming(optimal_duration_minutes=30),
            item_times=ItemTimes(review_seconds=60),
        )
    )
    planned = sorted(c for it in plan.items for c in it.card_ids)
    assert planned
    assert planned == [f"h{i:03d}" for i in range(len(planned))]


def test_review_only_at_high_burnout() -> None:
    """Burnout HIGH: no new cards and no new mission content; ≤ 30 min; intensity LOW."""
    plan = plan_session(rich_request(timing=LearnerTiming(burnout=BurnoutRiskLevel.HIGH)))
    assert plan.minutes == 30 and plan.review_only
    assert {it.kind for it in plan.items} <= {
        ItemKind.REVIEW,
        ItemKind.VALIDATION,
        ItemKind.INTERVENTION,
    }
    assert plan.intensity is Intensity.LOW


@pytest.mark.parametrize(
    ("timing", "intensity"),
    [
        (LearnerTiming(), Intensity.HIGH),
        (LearnerTiming(recent_mean_load=39.9), Intensity.HIGH),
        (LearnerTiming(recent_mean_load=40), Intensity.MEDIUM),
        (LearnerTiming(burnout=BurnoutRiskLevel.MEDIUM), Intensity.MEDIUM),
        (LearnerTiming(recent_mean_load=60), Intensity.LOW),
        (LearnerTiming(burnout=BurnoutRiskLevel.CRITICAL), Intensity.LOW),
    ],
)
def test_intensity(timing: LearnerTiming, intensity: Intensity) -> None:
    """LOW at burnout HIGH/CRITICAL or load ≥ 60; MEDIUM at burnout MEDIUM or load ≥ 40; else HIGH."""
    assert session_intensity(timing) is intensity


def test_expected_load_golden() -> None:
    """Only cards at recall 0.7 → miss rate 0.3 → error sub-score (0.3 − 0.1)/0.4 × 100 = 50;
    45 min at optimal 45 → duration sub-score 0; unknown recent load → 30;
    load = 0.25·50 + 0.10·0 + (0.30 + 0.20 + 0.15)·30 = 12.5 + 19.5 = 32."""
    cards = tuple(DueCard(f"c{i}", 0.7, f"o{i % 30}") for i in range(300))
    plan = plan_session(PlanRequest(start=START, timezone="Europe/Berlin", due_cards=cards))
    assert plan.minutes == 45
    assert plan.expected.error_rate == pytest.approx(0.3)
    assert plan.expected.load == pytest.approx(32.0)


def test_calendar_caps_the_session_or_refuses_it() -> None:
    """Busy from 08:40: 40 − 10 (buffer) = 30 min. Busy from 08:20: 10 free < 15 → PlanConflict.
    A tentative event only shows up as a conflict."""
    busy = BusyTime.of([BusyInterval(START + timedelta(minutes=40), START + timedelta(minutes=90))])
    plan = plan_session(PlanRequest(start=START, timezone="Europe/Berlin", busy=busy))
    assert (plan.minutes, plan.duration.calendar_cap_minutes) == (30, 30)
    assert plan.end + timedelta(minutes=10) <= busy.segments[0].start
    tight = BusyTime.of(
        [BusyInterval(START + timedelta(minutes=20), START + timedelta(minutes=90))]
    )
    with pytest.raises(PlanConflict) as caught:
        plan_session(PlanRequest(start=START, timezone="Europe/Berlin", busy=tight))
    assert caught.value.free_minutes == pytest.approx(10.0)
    maybe = BusyTime.of(
        [BusyInterval(START + timedelta(minutes=20), START + timedelta(minutes=30), 0.5)]
    )
    plan = plan_session(PlanRequest(start=START, timezone="Europe/Berlin", busy=maybe))
    assert plan.minutes == 45 and [c.weight for c in plan.conflicts] == [0.5]


def test_plan_on_a_dst_day_is_real_minutes() -> None:
    """Pacific/Easter 2025-09-06 21:30 + 45 min crosses the 22:00 → 23:00 jump: ends 23:15 local."""
    tz = ZoneInfo("Pacific/Easter")
    plan = plan_session(
        PlanRequest(start=datetime(2025, 9, 6, 21, 30, tzinfo=tz), timezone="Pacific/Easter")
    )
    assert plan.end.astimezone(UTC) - plan.start.astimezone(UTC) == timedelta(minutes=45)
    assert plan.end.astimezone(tz).strftime("%H:%M") == "23:15"
    # The break and the items are placed in real minutes too: the item after 22:00 wall time.
    assert plan.to_plan_data()["end"] == "2025-09-06T23:15:00-05:00"


content = st.fixed_dictionaries(
    {
        "cards": st.lists(
            st.tuples(st.floats(0.0, 1.0), st.integers(0, 11) | st.none()), max_size=120
        ),
        "new": st.lists(st.integers(0, 11) | st.none(), max_size=30),
        "objectives": st.lists(
            st.tuples(st.integers(0, 11), st.floats(1, 40)), max_size=4, unique_by=lambda t: t[0]
        ),
        "validations": st.lists(st.integers(0, 11) | st.none(), max_size=5),
        "struggles": st.lists(
            st.tuples(st.integers(0, 11), st.floats(0.5, 1.0), st.floats(2, 20)),
            max_size=3,
            unique_by=lambda t: t[0],
        ),
        "optimal": st.integers(10, 150),
        "complexity": st.sampled_from([B, M, A]),
        "fatigue": st.none() | st.floats(10, 80),
        "review_seconds": st.floats(5, 120),
    }
)


@settings(max_examples=150, deadline=None)
@given(content)
def test_sequence_rules_hold_or_are_reported(c: dict[str, object]) -> None:
    """For any content: items never overlap each other or a break, stay inside the session,
    use each card once; every run of > 3 of one kind and every objective seen again within
    10 minutes is counted in ``relaxations`` — exactly as often as it happens."""
    request = PlanRequest(
        start=START,
        timezone="Europe/Berlin",
        complexity=c["complexity"],  # type: ignore[arg-type]
        due_cards=tuple(
            DueCard(f"c{i}", r, None if o is None else f"o{o}")
            for i, (r, o) in enumerate(c["cards"])  # type: ignore[arg-type]
        ),
        new_cards=tuple(
            NewCard(f"n{i}", None if o is None else f"o{o}") for i, o in enumerate(c["new"])
        ),  # type: ignore[arg-type]
        objectives=tuple(MissionObjective(f"o{o}", m) for o, m in c["objectives"]),  # type: ignore[attr-defined]
        validations=tuple(
            ValidationPrompt(f"v{i}", None if o is None else f"o{o}")
            for i, o in enumerate(c["validations"])
        ),  # type: ignore[arg-type]
        struggles=tuple(StruggleForecast(f"o{o}", p, (), m) for o, p, m in c["struggles"]),  # type: ignore[attr-defined]
        item_times=ItemTimes(review_seconds=c["review_seconds"]),  # type: ignore[arg-type]
        timing=LearnerTiming(
            optimal_duration_minutes=c["optimal"], time_to_fatigue_minutes=c["fatigue"]
        ),  # type: ignore[arg-type]
    )
    plan = plan_session(request)
    runs, spacing = check_rules(plan)
    assert runs == plan.relaxations.get("sameKindRun", 0)
    assert spacing == plan.relaxations.get("objectiveSpacing", 0)
    cards = [x for it in plan.items for x in it.card_ids]
    assert len(cards) == len(set(cards))
    assert 15 <= plan.minutes <= 120
    used = sum(it.minutes for it in plan.items) + sum(b.minutes for b in plan.breaks)
    assert used + plan.unfilled_minutes == pytest.approx(plan.minutes)
    by_objective: dict[str, float] = defaultdict(float)
    for it in plan.items:
        if it.kind is ItemKind.OBJECTIVE and it.ref_id:
            by_objective[it.ref_id] += it.minutes
    estimated = {f"o{o}": m for o, m in c["objectives"]}  # type: ignore[attr-defined]
    for obj, minutes in by_objective.items():
        assert minutes <= estimated[obj] + 1e-6


def test_slot_duration_is_the_formula_without_the_window_factor() -> None:
    """(45 + 15) × 0.85 (heavy week) = 51 for slot search, whatever the windows say."""
    timing = LearnerTiming(
        optimal_windows=MORNING, study_hours_last_7_days=20, median_weekly_study_hours=10
    )
    assert slot_duration_minutes(A, timing) == 51


def test_actuals_against_the_plan() -> None:
    """ADVANCED default: 60 min. Started 12 min late, 66 minutes (+10%): followed; 31 min late or
    73 minutes (> +20%) is not. An item is done when all its cards (or its reference) are."""
    plan = plan_session(rich_request(timing=LearnerTiming()))
    assert plan.minutes == 60
    first, second = plan.items[0], plan.items[1]
    done = frozenset(first.card_ids) | frozenset(second.card_ids[:1])
    actuals = plan_actuals(plan, plan.start + timedelta(minutes=12), 66.0, done)
    assert (actuals.start_delta_minutes, actuals.items_done) == (12.0, 1)
    assert actuals.items_planned == len(plan.items)
    assert actuals.followed
    assert not plan_actuals(plan, plan.start + timedelta(minutes=31), 60.0, done).followed
    assert not plan_actuals(plan, plan.start, 73.0, done).followed
    assert actuals.to_json()["completion"] == round(1 / len(plan.items), 4)


def test_actuals_from_stored_items() -> None:
    """The stored form of a plan (item ids) gives the same actuals as the plan itself; an item is
    done only when every one of its ids is (3 items, one of them half done → 1 of 3)."""
    start = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
    items = [frozenset({"c1", "c2"}), frozenset({"o1"}), frozenset({"c3", "c4"})]
    actuals = actuals_from_items(
        start, 45, items, start + timedelta(minutes=-10), 50.0, frozenset({"c1", "c2", "c3"})
    )
    assert (actuals.items_planned, actuals.items_done) == (3, 1)
    assert actuals.start_delta_minutes == -10.0 and actuals.followed  # 50 within 45 ± 9
    assert actuals.to_json()["completion"] == pytest.approx(1 / 3, abs=1e-4)
