"""Which session or mission followed which decision, and what it measured (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.personalization.derived import (
    FOLLOW_WINDOW,
    DecisionRef,
    SourceKind,
    SourceMeasures,
    derive_outcome,
    derived_outcome_id,
    match_sources,
)
from twin.analysis.personalization.reward import ImplicitSignal
from twin.enums import PersonalizationContext

T = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
SESSION = PersonalizationContext.SESSION
MISSION = PersonalizationContext.MISSION


def _session(sid: str, start: datetime, **kw: object) -> SourceMeasures:
    return SourceMeasures(SourceKind.STUDY_SESSION, sid, start, start + H / 2, **kw)  # type: ignore[arg-type]


def test_each_source_follows_the_latest_decision_before_it() -> None:
    d1 = DecisionRef("d1", SESSION, T, False)
    d2 = DecisionRef("d2", SESSION, T + 3 * H, False)
    m1 = DecisionRef("m1", MISSION, T, False)
    sources = [
        _session("before", T - H),  # before any decision
        _session("s1", T + H),  # follows d1
        _session("s1b", T + 2 * H),  # also after d1, but d1 already has s1
        _session("s2", T + 4 * H),  # follows d2 (the latest before it)
    ]
    pairs = match_sources([d1, d2, m1], sources)
    assert [(d.decision_id, s.source_id) for d, s in pairs] == [("d1", "s1"), ("d2", "s2")]


def test_too_late_or_already_rewarded_takes_nothing() -> None:
    late = DecisionRef("late", SESSION, T, False)
    done = DecisionRef("done", SESSION, T + 2 * FOLLOW_WINDOW, True)
    sources = [
        _session("far", T + FOLLOW_WINDOW + H),  # more than 24 h after "late"
        _session("after-done", T + 2 * FOLLOW_WINDOW + H),  # follows "done", which has one
    ]
    assert match_sources([late, done], sources) == []
    # exactly at the window's end still follows
    edge = _session("edge", T + FOLLOW_WINDOW)
    assert [s.source_id for _, s in match_sources([late], [edge])] == ["edge"]


def test_measures_of_a_session_and_a_mission() -> None:
    # 3 of 4 due reviews recalled; validation scores 0.7 + 0.8 → 75; 30 of 40 planned minutes
    s = _session(
        "s",
        T,
        due_reviews=4,
        recalled=3,
        validations=2,
        validation_score_sum=1.5,
        minutes=30.0,
    )
    out = derive_outcome(s, 40.0)
    assert (out.retention, out.performance, out.completion, out.duration_minutes) == (
        0.75,
        75.0,
        0.75,
        30,
    )
    assert derive_outcome(s, None).completion is None  # nothing planned: not measured
    bare = derive_outcome(_session("b", T), 40.0)
    assert (bare.retention, bare.performance, bare.completion) == (None, None, None)
    m = SourceMeasures(
        SourceKind.MISSION,
        "m",
        T,
        T + H,
        objectives_listed=3,
        objectives_done=2,
        performance_score=82.0,
        validations=1,
        validation_score_sum=0.1,  # the mission's own score wins
    )
    mo = derive_outcome(m, None)
    assert mo.completion == 2 / 3 and mo.performance == 82.0 and mo.signals == ()
    skipped = derive_outcome(
        SourceMeasures(SourceKind.MISSION, "k", T, T, objectives_listed=2, skipped=True), None
    )
    assert skipped.completion == 0.0 and skipped.signals == (ImplicitSignal.MISSION_SKIPPED,)


def test_derived_ids_are_stable_and_distinct() -> None:
    a = derived_outcome_id("u", SourceKind.STUDY_SESSION, "x")
    assert a == derived_outcome_id("u", SourceKind.STUDY_SESSION, "x") and len(a) == 26
    assert a != derived_outcome_id("u", SourceKind.MISSION, "x")
    assert a != derived_outcome_id("v", SourceKind.STUDY_SESSION, "x")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 96), max_size=6, unique=True),
    st.lists(st.integers(0, 120), max_size=8, unique=True),
)
def test_matching_invariants(decision_hours: list[int], source_hours: list[int]) -> None:
    """One source per decision, one decision per source, never before the decision or > 24 h."""
    decisions = [DecisionRef(f"d{h}", SESSION, T + h * H, False) for h in decision_hours]
    sources = [_session(f"s{h}", T + h * H) for h in source_hours]
    pairs = match_sources(decisions, sources)
    assert len({d.decision_id for d, _ in pairs}) == len(pairs)
    assert len({s.source_id for _, s in pairs}) == len(pairs)
    for d, s in pairs:
        assert d.decided_at <= s.started_at <= d.decided_at + FOLLOW_WINDOW
        # no other decision sits between the decision and its source
        assert not any(d.decided_at < o.decided_at <= s.started_at for o in decisions)
