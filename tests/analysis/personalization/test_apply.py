"""Apply: engine defaults, each context's moves (hand-computed), thresholds, overrides, bad params."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.personalization.apply import (
    apply,
    apply_assessment,
    apply_content,
    apply_mission,
    apply_session,
    assessment_defaults,
    content_defaults,
    mission_defaults,
    outcome_mix,
    session_defaults,
)
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.evidence import (
    AttentionFinding,
    CalibrationFinding,
    ContentFinding,
    ContentOutcome,
    DurationFinding,
    Evidence,
    ForgettingFinding,
    FreeWindow,
    LoadState,
    Schedule,
    StrongArea,
    StrugglePrediction,
    StudyTimeFinding,
    calibration_from_responses,
)
from twin.analysis.personalization.params import (
    AssessmentParams,
    ContentParams,
    MissionParams,
    SessionParams,
    parse_params,
)
from twin.analysis.personalization.preferences import (
    PersonalizationFeature,
    Preferences,
    personalization_scope,
)
from twin.analysis.personalization.shaping import (
    DEFAULT_ASSESSMENT_INTERVAL_DAYS,
    INTENSITY_RANK,
    MIN_CONTENT_SHARE,
    break_schedule,
    session_phases,
)
from twin.analysis.personalization.strategy import StrategyArm
from twin.enums import (
    BurnoutRiskLevel,
    ObjectiveComplexity,
    PersonalizationContext,
    PersonalizationLevel,
)

A = StrategyArm
L = PersonalizationLevel
C = PersonalizationContext
NOW = datetime(2026, 3, 2, 10, 0)

EVIDENCE = Evidence(
    study_time=StudyTimeFinding((9, 14), 0.9),
    duration=DurationFinding(75, 0.8),
    attention=AttentionFinding(36, 0.75),
    forgetting=ForgettingFinding(0.95, 0.02, 0.9),
    content=ContentFinding(
        (ContentOutcome("flashcard", 0.8, 40), ContentOutcome("lecture", 0.6, 20)), 0.8
    ),
    calibration=CalibrationFinding(0.85, 0.65, 40, 0.9),
    struggles=(
        StrugglePrediction("o2", 0.7, 0.8, ("o9",)),
        StrugglePrediction("o4", 0.3, 0.9),  # below 0.5: not a predicted struggle
    ),
    strong_areas=(StrongArea("o3", 0.9, 0.9),),
    load=LoadState(25, 0.8),
)


# --- defaults ------------------------------------------------------------------------


def test_engine_defaults() -> None:
    """The documented defaults (5.3: 45 min ± complexity, breaks by complexity; 2-day assessments)."""
    m = mission_defaults(MissionParams(objective_ids=("a", "b", "c", "d")))
    assert (m.start_hour, m.duration_minutes, m.objective_ids, m.difficulty_change) == (
        None,
        45,
        ("a", "b", "c"),
        0,
    )
    assert (
        mission_defaults(MissionParams(complexity=ObjectiveComplexity.BASIC)).duration_minutes == 35
    )
    assert (
        mission_defaults(MissionParams(complexity=ObjectiveComplexity.ADVANCED)).duration_minutes
        == 60
    )
    assert mission_defaults(MissionParams(duration_minutes=90)).duration_minutes == 90
    c = content_defaults(ContentParams())
    assert c.mix == (
        ("lecture", 0.25),
        ("flashcard", 0.25),
        ("validation", 0.25),
        ("clinical_reasoning", 0.25),
    )
    # Baseline curve R0 = 1, k = 0.14/day: ln(1/0.8)/0.14 = 1.594 days → 2.
    assert DEFAULT_ASSESSMENT_INTERVAL_DAYS == 2
    assert assessment_defaults(AssessmentParams()).interval_days == 2
    s = session_defaults(SessionParams(complexity=ObjectiveComplexity.ADVANCED))
    assert (s.duration_minutes, s.break_every_minutes, s.intensity) == (60, 25, "MEDIUM")
    assert s.breaks == ((25, 5), (50, 5))


def test_break_lengths_and_phases() -> None:
    """Breaks 5 min, 10 from minute 60, 15 from minute 90; phases min(15, 20%) / rest / 20%."""
    assert break_schedule(120, 30) == ((30, 5), (60, 10), (90, 15))
    assert break_schedule(60, 30) == ((30, 5),)  # no break at the very end
    assert session_phases(70) == (("warm-up", 14.0), ("peak", 42.0), ("wind-down", 14.0))
    assert session_phases(100) == (("warm-up", 15.0), ("peak", 65.0), ("wind-down", 20.0))


@pytest.mark.parametrize("context", list(C))
def test_level_none_gives_defaults(context: PersonalizationContext) -> None:
    """NONE: the parameters are the defaults, no arm, every finding listed as not used."""
    r = apply(context, EVIDENCE, A.BALANCED, L.NONE)
    assert r.parameters == r.defaults and r.arm is None and not r.overrides
    assert r.evidence and not any(e.used for e in r.evidence)


# --- MISSION -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arm", "minutes"),
    [
        # 45 + w·(75 − 45), rounded half up to 5 min.
        (A.PATTERN_HEAVY, 75),  # w 1
        (A.BALANCED, 70),  # 67.5 → 70
        (A.PREDICTION_HEAVY, 60),  # w 0.5 → 60
        (A.CONSERVATIVE, 55),  # 55.5 → 55
    ],
)
def test_mission_duration_moves_by_arm_weight(arm: StrategyArm, minutes: int) -> None:
    """Duration moves from 45 towards the learner's 75 by the arm's pattern weight."""
    assert apply_mission(EVIDENCE, arm, L.MEDIUM).parameters.duration_minutes == minutes


def test_confidence_threshold_by_level() -> None:
    """Duration evidence at 0.8: used at MEDIUM (≥ 0.7), not at LOW (≥ 0.85), and says why."""
    low = apply_mission(EVIDENCE, A.PATTERN_HEAVY, L.LOW)
    assert low.parameters.duration_minutes == 45
    d = next(e for e in low.evidence if e.source == "SESSION_DURATION_PREFERENCE")
    assert not d.used and d.why_not == "confidence 0.80 < 0.85 needed at level LOW"
    # The study-time pattern (0.9) is used at LOW.
    assert low.parameters.start_hour == 9


def test_mission_start_hour_and_schedule() -> None:
    """Best hour 09:00 is only 30 min free; 70 min + 10 buffer fits at 14:00."""
    ev = replace(EVIDENCE, schedule=Schedule((FreeWindow(9, 30), FreeWindow(14, 120)), 0.9))
    assert apply_mission(ev, A.BALANCED, L.MEDIUM).parameters.start_hour == 14
    assert apply_mission(EVIDENCE, A.BALANCED, L.MEDIUM).parameters.start_hour == 9
    # CONSERVATIVE never switches a category: the caller's hour stays.
    r = apply_mission(EVIDENCE, A.CONSERVATIVE, L.MEDIUM, MissionParams(start_hour=18))
    assert r.parameters.start_hour == 18


def test_busy_requested_hour_moves_to_a_free_window() -> None:
    """No study-time pattern: a requested hour that is busy moves to the first window that fits."""
    ev = Evidence(schedule=Schedule((FreeWindow(9, 30), FreeWindow(16, 90)), 1.0))
    r = apply_mission(ev, A.CONSERVATIVE, L.LOW, MissionParams(start_hour=9))
    assert r.parameters.start_hour == 16  # 45 + 10 min do not fit in 30


def test_mission_objectives_and_difficulty() -> None:
    """Gap o9 first, then struggle o2, then the rest; −1 for the struggle, +1 for load 25 at HIGH."""
    params = MissionParams(objective_ids=("o1", "o2", "o3"))
    medium = apply_mission(EVIDENCE, A.BALANCED, L.MEDIUM, params).parameters
    assert medium.objective_ids == ("o9", "o2", "o1")
    assert medium.difficulty_change == -1
    high = apply_mission(EVIDENCE, A.BALANCED, L.HIGH, params).parameters
    assert high.difficulty_change == 0  # −1 (struggle) + 1 (load < 30)
    strong_only = apply_mission(
        EVIDENCE, A.PATTERN_HEAVY, L.MEDIUM, MissionParams(objective_ids=("o3",))
    ).parameters
    assert strong_only.difficulty_change == 1  # every objective a strong area
    conservative = apply_mission(EVIDENCE, A.CONSERVATIVE, L.MEDIUM, params).parameters
    assert conservative.objective_ids == ("o1", "o2", "o3") and conservative.difficulty_change == 0


# --- CONTENT -------------------------------------------------------------------------


def test_outcome_mix_golden() -> None:
    """exp((s − 0.8)/0.1): flashcard 1, lecture e⁻², unmeasured types at the mean 0.7: e⁻¹ each."""
    mix = dict(
        outcome_mix(
            ("lecture", "flashcard", "validation", "clinical_reasoning"),
            {"flashcard": 0.8, "lecture": 0.6},
        )
    )
    total = 1 + math.exp(-2) + 2 * math.exp(-1)
    assert mix["flashcard"] == pytest.approx(1 / total)
    assert mix["lecture"] == pytest.approx(math.exp(-2) / total)
    assert mix["validation"] == pytest.approx(math.exp(-1) / total)
    floor = dict(outcome_mix(("lecture", "flashcard"), {"flashcard": 1.0, "lecture": 0.2}))
    assert floor == pytest.approx({"lecture": MIN_CONTENT_SHARE, "flashcard": 0.95})


def test_content_golden() -> None:
    """BALANCED mix = 0.25 + 0.75·(suggested − 0.25); gaps first; strong o3 → advanced."""
    r = apply_content(
        EVIDENCE, A.BALANCED, L.MEDIUM, ContentParams(objective_ids=("o1", "o2", "o3"))
    )
    total = 1 + math.exp(-2) + 2 * math.exp(-1)
    assert r.parameters.share("flashcard") == pytest.approx(0.25 + 0.75 * (1 / total - 0.25))
    assert r.parameters.share("lecture") == pytest.approx(
        0.25 + 0.75 * (math.exp(-2) / total - 0.25)
    )
    assert sum(s for _, s in r.parameters.mix) == pytest.approx(1.0)
    assert r.parameters.objective_order == ("o9", "o2", "o1", "o3")
    assert r.parameters.advanced_objective_ids == ("o3",)
    assert r.arm is A.BALANCED
    used = {e.source for e in r.evidence if e.used}
    assert used == {"CONTENT_TYPE_PREFERENCE", "STRUGGLE_PREDICTION", "STRONG_AREA"}


# --- ASSESSMENT ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arm", "days"),
    [
        # The learner's interval: ln(0.95/0.8)/0.02 = 8.59 → 9 days; 2 + w·(9 − 2), half up.
        (A.PATTERN_HEAVY, 9),
        (A.BALANCED, 7),  # 7.25
        (A.PREDICTION_HEAVY, 6),  # 5.5 → 6
        (A.CONSERVATIVE, 4),  # 4.45
    ],
)
def test_assessment_interval_from_forgetting(arm: StrategyArm, days: int) -> None:
    """The interval moves towards the learner's 80%-recall interval by the pattern weight."""
    assert apply_assessment(EVIDENCE, arm, L.MEDIUM).parameters.interval_days == days


def test_assessment_focus_and_calibration() -> None:
    """Struggle o2 assessed at half the interval (7 × 0.5 = 3.5 → 4); over-confident by 0.2 → +1."""
    p = apply_assessment(EVIDENCE, A.BALANCED, L.MEDIUM).parameters
    assert (p.focus_objective_ids, p.focus_interval_days, p.difficulty_change) == (("o2",), 4, 1)
    under = replace(EVIDENCE, calibration=CalibrationFinding(0.5, 0.8, 40, 0.9))
    r = apply_assessment(under, A.BALANCED, L.MEDIUM)
    assert r.parameters.difficulty_change == 0
    assert any("under-confidence" in x for x in r.reasons)


def test_calibration_from_responses_golden() -> None:
    """Gap = mean confidence − mean score; confidence min(1, n/30)·(2Φ(|gap|/se) − 1)."""
    pairs = [(0.9, 0.5), (0.8, 0.6), (0.9, 0.7), (0.7, 0.7), (0.8, 0.4), (0.9, 0.6)]
    f = calibration_from_responses(pairs)
    assert f is not None
    assert f.gap == pytest.approx(5.0 / 6.0 - 3.5 / 6.0)
    # Differences 0.4, 0.2, 0.2, 0, 0.4, 0.3: mean 0.25, sd 0.15166, se 0.061914, z 4.0378.
    assert f.confidence == pytest.approx(6 / 30 * (2 * 0.99997303 - 1), abs=1e-6)
    assert calibration_from_responses(pairs[:4]) is None


# --- SESSION -------------------------------------------------------------------------


def test_session_golden() -> None:
    """70 min, breaks every 30 + 0.75·(36 − 30) = 34.5 → 35, o2 in the peak, intensity HIGH."""
    r = apply_session(EVIDENCE, A.BALANCED, L.HIGH, SessionParams(objective_ids=("o1", "o2")))
    p = r.parameters
    assert (p.duration_minutes, p.break_every_minutes, p.breaks) == (70, 35, ((35, 5),))
    assert p.phases == (("warm-up", 14.0), ("peak", 42.0), ("wind-down", 14.0))
    assert p.peak_objective_ids == ("o2",) and p.intensity == "HIGH"
    assert apply_session(EVIDENCE, A.BALANCED, L.MEDIUM).parameters.intensity == "MEDIUM"
    tired = replace(EVIDENCE, burnout=BurnoutRiskLevel.MEDIUM)
    assert apply_session(tired, A.BALANCED, L.HIGH).parameters.intensity == "MEDIUM"


def test_disabled_feature_is_not_moved() -> None:
    """BREAKS switched off: default break interval, duration still personalized."""
    prefs = Preferences(level=L.HIGH, disabled_features=frozenset({PersonalizationFeature.BREAKS}))
    scope = personalization_scope(prefs, C.SESSION, NOW)
    p = apply_session(EVIDENCE, A.BALANCED, scope).parameters
    assert (p.break_every_minutes, p.duration_minutes) == (30, 70)


# --- safety overrides ----------------------------------------------------------------


def test_burnout_overrides_golden() -> None:
    """Burnout HIGH: ≤ 30 min, one objective, review only, −1; CRITICAL: ≤ 20 min, −2."""
    params = MissionParams(objective_ids=("o1", "o2", "o3"))
    high = apply_mission(
        replace(EVIDENCE, burnout=BurnoutRiskLevel.HIGH), A.PATTERN_HEAVY, L.HIGH, params
    )
    p = high.parameters
    assert (p.duration_minutes, len(p.objective_ids), p.review_only, p.difficulty_change) == (
        30,
        1,
        True,
        -1,
    )
    assert high.overrides and "burnout risk HIGH" in high.overrides[0]
    crit = apply_mission(
        replace(EVIDENCE, burnout=BurnoutRiskLevel.CRITICAL), A.BALANCED, L.NONE, params
    )
    assert (crit.parameters.duration_minutes, crit.parameters.difficulty_change) == (20, -2)


def test_load_overrides_golden() -> None:
    """Load 65: min(70, 45) × 0.7 = 31.5 → 30 min, breaks ≤ 20 min, LOW; load 85: review only."""
    r = apply_session(replace(EVIDENCE, load=LoadState(65, 0.9)), A.BALANCED, L.HIGH)
    p = r.parameters
    assert (p.duration_minutes, p.break_every_minutes, p.intensity, p.review_only) == (
        30,
        20,
        "LOW",
        False,
    )
    c = apply_session(replace(EVIDENCE, load=LoadState(85, 0.2)), A.BALANCED, L.LOW).parameters
    assert c.review_only and c.break_now and c.peak_objective_ids == ()
    # A low-confidence load reading still triggers the override (safety has no threshold).
    assert c.duration_minutes == 30


# --- bad params ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "raw", "field"),
    [
        (C.MISSION, {"durationMinutes": 200}, "durationMinutes"),
        (C.MISSION, {"durationMinutes": 10}, "durationMinutes"),
        (C.MISSION, {"startHour": 24}, "startHour"),
        (C.MISSION, {"maxObjectives": 0}, "maxObjectives"),
        (C.MISSION, {"complexity": "EXPERT"}, "complexity"),
        (C.MISSION, {"objectiveIds": ["a", "a"]}, "objectiveIds"),
        (C.MISSION, {"objectiveIds": "a"}, "objectiveIds"),
        (C.MISSION, {"durationMinutes": True}, "durationMinutes"),
        (C.MISSION, {"teleport": 1}, "teleport"),
        (C.CONTENT, {"contentTypes": ["podcast"]}, "contentTypes"),
        (C.CONTENT, {"contentTypes": []}, "contentTypes"),
        (C.ASSESSMENT, {"intervalDays": 0}, "intervalDays"),
        (C.ASSESSMENT, {"intervalDays": 61}, "intervalDays"),
        (C.SESSION, {"durationMinutes": 45.5}, "durationMinutes"),
        (C.SESSION, {"startHour": 9}, "startHour"),  # not a SESSION parameter
    ],
)
def test_bad_params_name_the_field(
    context: PersonalizationContext, raw: dict[str, object], field: str
) -> None:
    """Out of range, unknown or malformed → InvalidParameter naming the field."""
    with pytest.raises(InvalidParameter) as err:
        apply(context, EVIDENCE, A.BALANCED, L.MEDIUM, raw)
    assert err.value.field == field


def test_parse_params_round_trip() -> None:
    """JSON names map onto the params."""
    p = parse_params(
        C.MISSION, {"durationMinutes": 60, "complexity": "BASIC", "objectiveIds": ["x"]}
    )
    assert p == MissionParams(
        duration_minutes=60, complexity=ObjectiveComplexity.BASIC, objective_ids=("x",)
    )
    assert (
        apply(
            C.MISSION, EVIDENCE, A.BALANCED, L.MEDIUM, {"durationMinutes": 60}
        ).defaults.duration_minutes
        == 60
    )


# --- properties ----------------------------------------------------------------------

conf = st.floats(0.0, 1.0)


_IDS = ["o1", "o2", "o3", "o4"]
# The parts of random evidence, built once: hypothesis validates a strategy the first time it
# draws from it, so strategies built inside the composite were validated again on every example.
_STUDY_TIME = st.none() | st.builds(
    StudyTimeFinding, st.lists(st.integers(0, 23), min_size=1, max_size=3).map(tuple), conf
)
_DURATION = st.none() | st.builds(DurationFinding, st.floats(10, 150), conf)
_ATTENTION = st.none() | st.builds(AttentionFinding, st.floats(5, 120), conf)
_FORGETTING = st.none() | st.builds(
    ForgettingFinding, st.floats(0.5, 1.0), st.floats(0.005, 1.0), conf
)
_CONTENT = st.none() | st.builds(
    ContentFinding,
    st.lists(
        st.builds(
            ContentOutcome,
            st.sampled_from(["lecture", "flashcard", "validation", "clinical_reasoning"]),
            conf,
            st.integers(0, 50),
        ),
        max_size=4,
        unique_by=lambda o: o.content_type,
    ).map(tuple),
    conf,
)
_CALIBRATION = st.none() | st.builds(CalibrationFinding, conf, conf, st.integers(5, 50), conf)
_STRUGGLES = st.lists(
    st.builds(
        StrugglePrediction,
        st.sampled_from(_IDS),
        conf,
        conf,
        st.lists(st.sampled_from(["g1", "g2"]), max_size=2, unique=True).map(tuple),
    ),
    max_size=3,
    unique_by=lambda s: s.objective_id,
)
_STRONG_AREAS = st.lists(
    st.builds(StrongArea, st.sampled_from(_IDS), conf, conf),
    max_size=3,
    unique_by=lambda a: a.objective_id,
)
_LOAD = st.none() | st.builds(LoadState, st.floats(0, 100), conf)
_BURNOUT = st.none() | st.sampled_from(list(BurnoutRiskLevel))
_SCHEDULE = st.none() | st.builds(
    Schedule,
    st.lists(st.builds(FreeWindow, st.integers(0, 23), st.integers(0, 240)), max_size=3).map(tuple),
    conf,
)


@st.composite
def evidence(draw: st.DrawFn) -> Evidence:
    """Random evidence: any finding may be absent, any confidence."""
    return Evidence(
        study_time=draw(_STUDY_TIME),
        duration=draw(_DURATION),
        attention=draw(_ATTENTION),
        forgetting=draw(_FORGETTING),
        content=draw(_CONTENT),
        calibration=draw(_CALIBRATION),
        struggles=tuple(draw(_STRUGGLES)),
        strong_areas=tuple(draw(_STRONG_AREAS)),
        load=draw(_LOAD),
        burnout=draw(_BURNOUT),
        schedule=draw(_SCHEDULE),
    )


def _lighter(context: PersonalizationContext, risky: object, other: object) -> None:
    """``risky`` is at most as heavy as ``other`` in every dimension of the context."""
    if context is C.MISSION:
        assert risky.duration_minutes <= other.duration_minutes  # type: ignore[attr-defined]
        assert risky.difficulty_change <= min(other.difficulty_change, -1)  # type: ignore[attr-defined]
        assert len(risky.objective_ids) <= min(1, max(1, len(other.objective_ids)))  # type: ignore[attr-defined]
    elif context is C.CONTENT:
        assert not risky.new_content and not risky.advanced_objective_ids  # type: ignore[attr-defined]
    elif context is C.ASSESSMENT:
        assert risky.interval_days >= other.interval_days  # type: ignore[attr-defined]
        assert risky.difficulty_change <= min(other.difficulty_change, -1)  # type: ignore[attr-defined]
    else:
        assert risky.duration_minutes <= other.duration_minutes  # type: ignore[attr-defined]
        assert risky.break_every_minutes <= other.break_every_minutes  # type: ignore[attr-defined]
        assert INTENSITY_RANK[risky.intensity] <= INTENSITY_RANK[other.intensity]  # type: ignore[attr-defined]
        assert risky.intensity == "LOW"  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(
    ev=evidence(),
    context=st.sampled_from(list(C)),
    arm=st.sampled_from(list(A)),
    level=st.sampled_from(list(L)),
    burnout=st.sampled_from([BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL, None]),
    load=st.floats(0, 100),
)
def test_overrides_are_always_lighter(
    ev: Evidence,
    context: PersonalizationContext,
    arm: StrategyArm,
    level: PersonalizationLevel,
    burnout: BurnoutRiskLevel | None,
    load: float,
) -> None:
    """At risk (burnout HIGH/CRITICAL or load ≥ 60) the answer is never heavier than the same
    request without the risk, nor than the engine defaults, whatever the level and arm."""
    if burnout is None and load < 60:
        load = 60 + load * 0.4
    risky = replace(ev, burnout=burnout, load=LoadState(load, 0.5))
    calm = replace(ev, burnout=None, load=None)
    r = apply(context, risky, arm, level)
    assert r.overrides
    _lighter(context, r.parameters, apply(context, calm, arm, level).parameters)
    _lighter(context, r.parameters, r.defaults)


@settings(max_examples=200, deadline=None)
@given(
    ev=evidence(),
    context=st.sampled_from(list(C)),
    arm=st.sampled_from(list(A)),
    level=st.sampled_from(list(L)),
)
def test_answers_stay_in_range(
    ev: Evidence, context: PersonalizationContext, arm: StrategyArm, level: PersonalizationLevel
) -> None:
    """Durations 15–120, mixes sum to 1 with no negative share, difficulty within ±2, used
    evidence always meets the level's confidence; without a risk NONE gives the defaults."""
    r = apply(context, ev, arm, level)
    p = r.parameters
    if hasattr(p, "duration_minutes"):
        assert 15 <= p.duration_minutes <= 120
    if hasattr(p, "difficulty_change"):
        assert -2 <= p.difficulty_change <= 2
    if context is C.CONTENT:
        assert sum(s for _, s in p.mix) == pytest.approx(1.0)
        assert all(s >= 0 for _, s in p.mix)
    if context is C.SESSION:
        assert all(0 < at < p.duration_minutes for at, _ in p.breaks)
    for e in r.evidence:
        if (
            e.used
            and e.confidence is not None
            and r.scope.min_confidence is not None
            and e.parameter != "safety override"
        ):
            assert e.confidence >= r.scope.min_confidence
    if level is L.NONE and not r.overrides:
        assert p == r.defaults
