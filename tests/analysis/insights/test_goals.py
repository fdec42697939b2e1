"""Goals: metrics from raw data (golden and recomputed), validation, suggestions, progress, milestones, expiry."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.common import InsufficientData
from twin.analysis.insights.goals import (
    EXPIRED_STATUS,
    MILESTONES,
    TEMPLATES,
    GoalContext,
    GoalData,
    GoalMetric,
    GoalRequest,
    GoalState,
    MetricError,
    MetricSpec,
    ProgressEntry,
    ValidGoal,
    content_balance,
    creation_entry,
    measure,
    milestones_reached,
    parse_metric,
    progress_fraction,
    suggest_goals,
    update_goal,
    validate_goal,
)
from twin.analysis.insights.recommendations import PatternSignal
from twin.analysis.patterns.inputs import CONTENT_TYPES, SessionObs
from twin.enums import BehavioralGoalType, BehavioralPatternType, GoalStatus

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GT = BehavioralGoalType


def session(
    at: datetime, minutes: float = 45.0, content: tuple[tuple[str, float], ...] = (), sid: str = ""
) -> SessionObs:
    return SessionObs(
        session_id=sid or at.isoformat(),
        started_at=at,
        duration_minutes=minutes,
        performance=70.0,
        content_minutes=content,
    )


def test_templates_are_the_engine_defaults() -> None:
    """ENGINE.md: consistency 5 / 30 d, duration 21 d, content 0.7 / 45 d, retention 7 / 60 d."""
    t = TEMPLATES
    assert (
        t[GT.STUDY_TIME_CONSISTENCY].default_target,
        t[GT.STUDY_TIME_CONSISTENCY].duration_days,
    ) == (5.0, 30)
    assert t[GT.SESSION_DURATION].duration_days == 21
    assert (
        t[GT.CONTENT_DIVERSIFICATION].default_target,
        t[GT.CONTENT_DIVERSIFICATION].duration_days,
    ) == (0.7, 45)
    assert (
        t[GT.RETENTION_IMPROVEMENT].default_target,
        t[GT.RETENTION_IMPROVEMENT].duration_days,
    ) == (7.0, 60)
    assert set(t) == set(BehavioralGoalType)


def test_content_balance_golden() -> None:
    """Shares 0.6 / 0.3 / 0.1 / 0 → 1 − (0.6 − 0.25) = 0.65; even → 1; one type → 0.25."""
    assert content_balance({"lecture": 60, "flashcard": 30, "validation": 10}) == pytest.approx(
        0.65
    )
    assert content_balance(dict.fromkeys(CONTENT_TYPES, 15.0)) == pytest.approx(1.0)
    assert content_balance({"flashcard": 90}) == pytest.approx(0.25)


def test_sessions_in_window_per_week_golden() -> None:
    """Window 07–10: sessions at 07, 08, 09 of the last 7 days count; 06, 10, 23 and 8 days ago do not."""
    day = NOW - timedelta(days=2)
    sessions = (
        *(session(day.replace(hour=h)) for h in (6, 7, 8, 9, 10, 23)),
        session((NOW - timedelta(days=8)).replace(hour=8)),
    )
    spec = MetricSpec(GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK, (("start", 7), ("end", 10)))
    assert measure(spec, GoalData(sessions), NOW) == 3.0
    # A window across midnight: 22–02 holds 23:00, 00:00, 01:00 but not 02:00.
    night = tuple(session((NOW - timedelta(days=1)).replace(hour=h)) for h in (22, 23, 0, 1, 2))
    wrap = MetricSpec(GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK, (("start", 22), ("end", 2)))
    assert measure(wrap, GoalData(night), NOW) == 4.0


def test_share_near_optimal_duration_golden() -> None:
    """Optimal 45 ± 4.5 min: 40.5, 45, 49.5 are in, 40 is out → 3/4; a session 15 days ago is ignored."""
    base = NOW - timedelta(days=1)
    sessions = (
        *(
            session(base - timedelta(hours=i), minutes=m)
            for i, m in enumerate((40.5, 45, 49.5, 40))
        ),
        session(NOW - timedelta(days=15), minutes=20),
    )
    spec = MetricSpec(GoalMetric.SHARE_NEAR_OPTIMAL_DURATION, (("minutes", 45),))
    assert measure(spec, GoalData(sessions), NOW) == 0.75


def test_no_data_is_insufficient_not_zero() -> None:
    """No sessions in 14 days or no fitted curve: an answer saying what is missing."""
    share = MetricSpec(GoalMetric.SHARE_NEAR_OPTIMAL_DURATION, (("minutes", 45),))
    assert measure(share, GoalData(), NOW) == InsufficientData("sessionsInLast14Days", 0, 1)
    assert measure(MetricSpec(GoalMetric.CONTENT_BALANCE), GoalData(), NOW) == InsufficientData(
        "contentMinutesInLast14Days", 0, 1
    )
    assert measure(
        MetricSpec(GoalMetric.RETENTION_HALF_LIFE_DAYS), GoalData(), NOW
    ) == InsufficientData("fittedForgettingCurve", 0, 1)
    # Counting metrics are genuinely 0 without sessions.
    assert measure(MetricSpec(GoalMetric.SESSIONS_PER_WEEK), GoalData(), NOW) == 0.0


def test_metric_strings_round_trip_and_errors() -> None:
    """targetMetric is parseable, and a wrong one says why."""
    for text in (
        "sessionsInWindowPerWeek(start=7,end=10)",
        "shareNearOptimalDuration(minutes=45)",
        "contentBalance",
        "retentionHalfLifeDays",
    ):
        assert str(parse_metric(text)) == text
    for bad, fragment in (
        ("stepsPerDay", "unknown metric"),
        ("shareNearOptimalDuration", "takes parameters (minutes)"),
        ("contentBalance(x=1)", "takes parameters ()"),
        ("sessionsInWindowPerWeek(start=7,end=7)", "start ≠ end"),
        ("shareNearOptimalDuration(minutes=abc)", "name=integer"),
        ("share((", "not of the form"),
    ):
        with pytest.raises(MetricError, match=re.escape(fragment)):
            parse_metric(bad)


def test_progress_fraction_golden() -> None:
    """From start 2 to target 5: 3.5 is half-way; at or past 5 is done; below the start is 0."""
    assert progress_fraction(3.5, 2.0, 5.0) == 0.5
    assert progress_fraction(5.0, 2.0, 5.0) == 1.0
    assert progress_fraction(9.0, 2.0, 5.0) == 1.0
    assert progress_fraction(1.0, 2.0, 5.0) == 0.0
    assert progress_fraction(4.0, 6.0, 5.0) == 0.0  # started above the target, now below it


CONTEXT = GoalContext(optimal_window=(7, 10), optimal_session_minutes=45)


def test_template_request_gets_defaults() -> None:
    """STUDY_TIME_CONSISTENCY alone: target 5, deadline in 30 days, the twin's window frozen in the metric."""
    goal = validate_goal(GoalRequest("STUDY_TIME_CONSISTENCY"), now=NOW, context=CONTEXT)
    assert isinstance(goal, ValidGoal)
    assert str(goal.metric) == "sessionsInWindowPerWeek(start=7,end=10)"
    assert goal.target_value == 5.0
    assert goal.deadline == NOW + timedelta(days=30)
    assert "5 sessions a week" in goal.description


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (GoalRequest("STUDY_TIME_CONSISTENCY", deadline=NOW - timedelta(minutes=1)), "deadline"),
        (GoalRequest("STUDY_TIME_CONSISTENCY", deadline=NOW), "deadline"),
        (
            GoalRequest("STUDY_TIME_CONSISTENCY", deadline=NOW + timedelta(days=90, seconds=1)),
            "deadline",
        ),
        (GoalRequest("STUDY_TIME_CONSISTENCY", deadline=datetime(2026, 4, 1)), "deadline"),
        (GoalRequest("STUDY_TIME_CONSISTENCY", target_value=0), "targetValue"),
        (GoalRequest("STUDY_TIME_CONSISTENCY", target_value=-3), "targetValue"),
        (GoalRequest("STUDY_TIME_CONSISTENCY", target_value=math.nan), "targetValue"),
        (GoalRequest("SESSION_DURATION", target_value=1.5), "targetValue"),
        (GoalRequest("BE_AWESOME"), "goalType"),
        (GoalRequest("CUSTOM", target_value=3), "targetMetric"),
        (GoalRequest("CUSTOM", target_metric="stepsPerDay", target_value=3), "targetMetric"),
        (GoalRequest("CUSTOM", target_metric="sessionsPerWeek"), "targetValue"),
        (GoalRequest("RETENTION_IMPROVEMENT", target_metric="contentBalance"), "targetMetric"),
        (GoalRequest("STUDY_TIME_CONSISTENCY", title="   "), "title"),
    ],
)
def test_bad_requests_name_the_field(request_: GoalRequest, field: str) -> None:
    """Each bad input is rejected with an error naming its field."""
    result = validate_goal(request_, now=NOW, context=CONTEXT)
    assert isinstance(result, tuple)
    assert field in {e.field for e in result}


def test_every_error_is_reported_at_once() -> None:
    """Unknown template, bad target and a past deadline: three errors, one per field."""
    result = validate_goal(
        GoalRequest("NOPE", target_value=0, deadline=NOW - timedelta(days=1)), now=NOW
    )
    assert isinstance(result, tuple)
    assert {e.field for e in result} == {"goalType", "targetValue", "deadline"}


def test_template_without_the_twin_value_needs_a_metric() -> None:
    """No optimal window known yet: say so on targetMetric; an explicit metric is accepted."""
    result = validate_goal(GoalRequest("STUDY_TIME_CONSISTENCY"), now=NOW)
    assert isinstance(result, tuple) and result[0].field == "targetMetric"
    ok = validate_goal(
        GoalRequest(
            "STUDY_TIME_CONSISTENCY", target_metric="sessionsInWindowPerWeek(start=18,end=21)"
        ),
        now=NOW,
    )
    assert isinstance(ok, ValidGoal) and ok.metric.param("start") == 18
    custom = validate_goal(
        GoalRequest(
            "CUSTOM",
            target_metric="studyMinutesPerWeek",
            target_value=300,
            deadline=NOW + timedelta(days=90),
        ),
        now=NOW,
    )
    assert isinstance(custom, ValidGoal) and custom.deadline == NOW + timedelta(days=90)


def _pattern(
    ptype: BehavioralPatternType, confidence: float, data: dict[str, object], pid: str
) -> PatternSignal:
    return PatternSignal(pid, ptype, "k", f"pattern {pid}", confidence, (), data)


def test_suggestions_at_most_three_from_patterns_at_0_6() -> None:
    """Four eligible patterns → 3 suggestions (best confidence first); 0.59 and active templates skipped."""
    patterns = [
        _pattern(
            BehavioralPatternType.OPTIMAL_STUDY_TIME,
            0.9,
            {"windowStartHour": 7, "windowEndHour": 10},
            "a",
        ),
        _pattern(
            BehavioralPatternType.SESSION_DURATION_PREFERENCE,
            0.8,
            {"optimalDurationMinutes": 45},
            "b",
        ),
        _pattern(BehavioralPatternType.FORGETTING_CURVE, 0.7, {}, "c"),
        _pattern(BehavioralPatternType.CONTENT_TYPE_PREFERENCE, 0.65, {}, "d"),
        _pattern(BehavioralPatternType.CONTENT_TYPE_PREFERENCE, 0.59, {}, "e"),
    ]
    data = GoalData(half_life_days=3.5)
    out = suggest_goals(patterns, data, now=NOW)
    assert [s.source_pattern_id for s in out] == ["a", "b", "c"]
    assert all(s.confidence >= 0.6 for s in out)
    assert out[2].current_value == 3.5 and out[2].target_value == 7.0
    skip = suggest_goals(patterns, data, now=NOW, active_goal_types={GT.STUDY_TIME_CONSISTENCY})
    assert [s.source_pattern_id for s in skip] == ["b", "c", "d"]
    # A goal already met is not suggested: half-life 8 ≥ 7.
    met = suggest_goals(patterns[2:3], GoalData(half_life_days=8.0), now=NOW)
    assert met == []
    assert suggest_goals(patterns[4:], data, now=NOW) == []


def retention_goal(history: tuple[ProgressEntry, ...] = (), deadline_days: int = 60) -> GoalState:
    return GoalState(
        goal_id="g1",
        goal_type=GT.RETENTION_IMPROVEMENT,
        title="Remember for longer",
        metric=MetricSpec(GoalMetric.RETENTION_HALF_LIFE_DAYS),
        target_value=7.0,
        deadline=NOW + timedelta(days=deadline_days),
        status=GoalStatus.ACTIVE,
        history=history,
    )


def test_daily_updates_fire_each_milestone_once() -> None:
    """Half-life 3 → 4 (25%) → 5 (50%) → 4.5 (dip) → 5.5 (no repeat) → 7 (75% and achieved)."""
    goal = validate_goal(GoalRequest("RETENTION_IMPROVEMENT"), now=NOW)
    assert isinstance(goal, ValidGoal)
    state = retention_goal((creation_entry(goal, GoalData(half_life_days=3.0), now=NOW),))
    fired: list[tuple[float, ...]] = []
    achieved = []
    for day, half_life in enumerate((4.0, 5.0, 4.5, 5.5, 7.0), start=1):
        up = update_goal(state, GoalData(half_life_days=half_life), now=NOW + timedelta(days=day))
        fired.append(up.milestones)
        achieved.append(up.achieved)
        state = GoalState(**{**state.__dict__, "history": up.history, "status": up.status})
    assert fired == [(0.25,), (0.5,), (), (), (0.75,)]
    assert achieved == [False, False, False, False, True]
    assert state.status is GoalStatus.COMPLETED
    assert [e.progress for e in state.history] == [0.0, 0.25, 0.5, 0.375, 0.625, 1.0]
    # Completed goals are left alone.
    assert (
        update_goal(state, GoalData(half_life_days=9.0), now=NOW + timedelta(days=9)).entry is None
    )


def test_same_day_rerun_replaces_the_entry_and_fires_nothing() -> None:
    """A job re-run: one entry per day, the creation entry kept, no second notification."""
    created = ProgressEntry(NOW, 3.0, 0.0, 0.0, "created")
    state = retention_goal((created,))
    later = NOW + timedelta(hours=2)
    first = update_goal(state, GoalData(half_life_days=5.0), now=later)
    assert first.milestones == (0.25, 0.5)
    again = update_goal(
        GoalState(**{**state.__dict__, "history": first.history}),
        GoalData(half_life_days=4.0),
        now=later + timedelta(hours=1),
    )
    assert again.milestones == () and not again.achieved
    assert [e.note for e in again.history] == ["created", ""]
    assert again.history[-1].progress == 0.25 and again.history[-1].best == 0.5


def test_expiry_measures_at_the_deadline_and_asks() -> None:
    """Past the deadline: measured as of the deadline (later sessions do not count), status ABANDONED."""
    deadline = NOW + timedelta(days=7)
    spec = MetricSpec(GoalMetric.SESSIONS_PER_WEEK)
    state = GoalState(
        "g2",
        GT.CUSTOM,
        "Five sessions a week",
        spec,
        5.0,
        deadline,
        GoalStatus.ACTIVE,
        (ProgressEntry(NOW, 1.0, 0.0, 0.0, "created"),),
    )
    before = tuple(session(deadline - timedelta(days=1, hours=h)) for h in range(2))
    after = tuple(session(deadline + timedelta(hours=h + 1)) for h in range(5))
    up = update_goal(state, GoalData(before + after), now=deadline + timedelta(days=1))
    assert up.current_value == 2.0  # only the two sessions before the deadline
    assert up.progress == 0.25  # (2 − 1) / (5 − 1)
    assert up.expired and up.status is EXPIRED_STATUS and up.history[-1].note == "expired"
    assert up.expiry_prompt is not None
    assert (
        "Five sessions a week" in up.expiry_prompt.question and "25%" in up.expiry_prompt.question
    )
    assert len(up.expiry_prompt.options) >= 3


def test_progress_entry_json_round_trip() -> None:
    """progressHistory elements survive JSON."""
    e = ProgressEntry(NOW, 4.25, 0.3125, 0.5, "note")
    assert ProgressEntry.from_json(e.to_json()) == e
    legacy = ProgressEntry.from_json({"date": NOW.isoformat(), "value": None, "note": ""})
    assert legacy.value is None and legacy.best == 0.0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 1.2), max_size=30), st.floats(0, 1))
def test_milestones_fire_once_whatever_the_sequence(values: list[float], start_best: float) -> None:
    """Folding milestones_reached with the running best: each milestone at most once, and exactly
    when the best progress reaches it."""
    best = start_best
    fired: list[float] = []
    for v in values:
        fired += milestones_reached(best, v)
        best = max(best, v)
    assert len(fired) == len(set(fired))
    assert set(fired) == {m for m in MILESTONES if start_best < m <= best}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.5, 10.0), st.booleans()),  # (half-life that day, re-run that day)
        min_size=1,
        max_size=25,
    )
)
def test_update_goal_notifies_each_milestone_once(days: list[tuple[float, bool]]) -> None:
    """Driving update_goal day by day (with random same-day re-runs): each milestone and the
    completion fire at most once, and every milestone the best progress reached did fire."""
    state = retention_goal((ProgressEntry(NOW, 3.0, 0.0, 0.0, "created"),), deadline_days=90)
    fired: list[float] = []
    achieved = 0
    for i, (half_life, rerun) in enumerate(days, start=1):
        for run in range(2 if rerun else 1):
            up = update_goal(
                state, GoalData(half_life_days=half_life), now=NOW + timedelta(days=i, minutes=run)
            )
            fired += up.milestones
            achieved += up.achieved
            state = GoalState(**{**state.__dict__, "history": up.history, "status": up.status})
    best = max(e.best for e in state.history)
    assert len(fired) == len(set(fired))
    assert set(fired) == {m for m in MILESTONES if m <= best}
    assert achieved == (1 if best >= 1.0 else 0)
    assert (state.status is GoalStatus.COMPLETED) == (best >= 1.0)


_hours = st.integers(0, 23)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 20 * 24),  # hours before NOW
            st.integers(5, 120),  # minutes
            st.lists(st.tuples(st.sampled_from(CONTENT_TYPES), st.integers(0, 60)), max_size=3),
        ),
        max_size=40,
    ),
    _hours,
    _hours,
    st.integers(15, 90),
)
def test_metrics_equal_an_independent_recomputation(
    rows: list[tuple[int, int, list[tuple[str, int]]]], start: int, end: int, optimal: int
) -> None:
    """Each metric equals a direct recomputation from the same rows (exact after 6-decimal rounding)."""
    sessions = tuple(
        session(NOW - timedelta(hours=h), float(m), tuple((t, float(x)) for t, x in c), sid=str(i))
        for i, (h, m, c) in enumerate(rows)
    )
    data = GoalData(sessions)
    week = [s for s in sessions if NOW - timedelta(days=7) <= s.started_at < NOW]
    fortnight = [s for s in sessions if NOW - timedelta(days=14) <= s.started_at < NOW]

    if start != end:
        spec = MetricSpec(GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK, (("start", start), ("end", end)))
        hours = {(start + k) % 24 for k in range((end - start) % 24)}
        assert measure(spec, data, NOW) == sum(s.started_at.hour in hours for s in week)

    near = MetricSpec(GoalMetric.SHARE_NEAR_OPTIMAL_DURATION, (("minutes", optimal),))
    got = measure(near, data, NOW)
    if fortnight:
        expected = sum(abs(s.duration_minutes - optimal) <= optimal / 10 for s in fortnight) / len(
            fortnight
        )
        assert got == round(expected, 6)
    else:
        assert isinstance(got, InsufficientData)

    totals = dict.fromkeys(CONTENT_TYPES, 0.0)
    for s in fortnight:
        for t, m in s.content_minutes:
            totals[t] += m
    total = sum(totals.values())
    balance = measure(MetricSpec(GoalMetric.CONTENT_BALANCE), data, NOW)
    if total > 0:
        shares = [v / total for v in totals.values()]
        assert balance == pytest.approx(1 - (max(shares) - 0.25), abs=1e-6)
    else:
        assert isinstance(balance, InsufficientData)
