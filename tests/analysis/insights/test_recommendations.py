"""Recommendations: templates, priority, readiness, learned impact, every source, selection."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.insights.common import SourceKind
from twin.analysis.insights.evaluation import Verdict
from twin.analysis.insights.recommendations import (
    TEMPLATES,
    AdherenceSignal,
    BurnoutSignal,
    ExperimentWinnerSignal,
    InsightSignal,
    InterventionSignal,
    LoadSignal,
    OpenRecommendation,
    PatternSignal,
    PersonalizationSignal,
    RecommendationCandidate,
    RecommendationRecord,
    RecommendationSources,
    ScheduleSlotSignal,
    TypeHistory,
    generate_candidates,
    learned_impact,
    next_level,
    personalization_signal,
    priority_score,
    readiness,
    receptiveness,
    select_new,
    top_pending,
    type_histories,
)
from twin.db.models.insights import Recommendation
from twin.enums import (
    BehavioralPatternType,
    BurnoutRiskLevel,
    InsightType,
    InterventionType,
    PersonalizationContext,
    PersonalizationLevel,
    RecommendationType,
)

RT = RecommendationType


def study_pattern(confidence: float = 0.8, pid: str = "p-study", hour: int = 7) -> PatternSignal:
    return PatternSignal(
        pattern_id=pid,
        pattern_type=BehavioralPatternType.OPTIMAL_STUDY_TIME,
        key=f"hour={hour:02d}",
        name=f"Best study time {hour:02d}:00",
        confidence=confidence,
        evidence=("Window mean 82.6 vs 70.0 (n = 34 vs 66)",),
        data={
            "hour": hour,
            "label": f"{hour:02d}:00",
            "window": f"{hour - 1:02d}:00–{hour + 2:02d}:00",
            "windowStartHour": hour - 1,
            "windowEndHour": hour + 2,
            "liftPercent": 18.0,
            "windowMean": 82.6,
            "restMean": 70.0,
            "windowSessions": 34,
            "restSessions": 66,
        },
    )


def forgetting_pattern(confidence: float = 0.8, pid: str = "p-curve") -> PatternSignal:
    return PatternSignal(
        pattern_id=pid,
        pattern_type=BehavioralPatternType.FORGETTING_CURVE,
        key="curve",
        name="You forget 43% faster than typical",
        confidence=confidence,
        data={"halfLife": 3.46, "reviews": 320, "spanDays": 75, "reviewIntervalDays": 3},
    )


def intervention(
    itype: InterventionType = InterventionType.SPACED_REPETITION_BOOST, priority: int = 6
) -> InterventionSignal:
    return InterventionSignal(
        intervention_id=f"iv-{itype}",
        prediction_id="pred-1",
        objective_id="obj-1",
        objective_name="Cardiac cycle",
        intervention_type=itype,
        priority=priority,
        description="Add 2 short review sessions before this objective is due.",
        reasoning="Predicted recall of its cards is 41%.",
    )


def test_templates_are_the_engine_numbers() -> None:
    """ENGINE.md 5.6 impact / ease bases, verbatim."""
    assert {t: (v.impact, v.ease) for t, v in TEMPLATES.items()} == {
        RT.STUDY_TIME_OPTIMIZATION: (0.85, 0.70),
        RT.SESSION_DURATION_ADJUSTMENT: (0.75, 0.90),
        RT.CONTENT_TYPE_BALANCE: (0.65, 0.75),
        RT.RETENTION_STRATEGY: (0.80, 0.60),
        RT.CONSISTENCY_BUILDING: (0.70, 0.65),
        RT.EXPERIMENTAL_SUGGESTION: (0.60, 0.50),
    }


def test_priority_formula_golden() -> None:
    """0.3·0.8 + 0.4·0.85 + 0.2·0.70 + 0.1·0.75 = 0.24 + 0.34 + 0.14 + 0.075 = 0.795 (by hand)."""
    assert priority_score(0.8, 0.85, 0.70, 0.75) == pytest.approx(0.795)
    assert priority_score(1, 1, 1, 1) == pytest.approx(1.0)
    assert priority_score(0, 0, 0, 0) == 0.0


def test_learned_impact_golden() -> None:
    """(2·base + Σ outcomes)/(2 + n): 0.85 with one IMPROVED → 2.7/3 = 0.9; one DECLINED → 1.7/3."""
    assert learned_impact(0.85, TypeHistory()) == pytest.approx(0.85)
    assert learned_impact(0.85, TypeHistory(improved=1)) == pytest.approx(0.9)
    assert learned_impact(0.85, TypeHistory(declined=1)) == pytest.approx(1.7 / 3)
    assert learned_impact(0.85, TypeHistory(neutral=1)) == pytest.approx(2.2 / 3)
    # Three improvements of a 0.80 type: (1.6 + 3) / 5 = 0.92.
    assert learned_impact(0.80, TypeHistory(improved=3)) == pytest.approx(0.92)


def test_readiness_golden() -> None:
    """0.5·capacity + 0.5·(applied+1)/(applied+dismissed+2)."""
    assert receptiveness(TypeHistory()) == 0.5
    assert receptiveness(TypeHistory(applied=3, dismissed=1)) == pytest.approx(4 / 6)
    assert readiness(TypeHistory(), 0.0, relieves_strain=False) == pytest.approx(0.75)
    # Burnout risk 40: capacity 0.6 → 0.3 + 0.25.
    assert readiness(TypeHistory(), 40.0, relieves_strain=False) == pytest.approx(0.55)
    # Strain relief is fully affordable whatever the strain.
    assert readiness(TypeHistory(), 90.0, relieves_strain=True) == pytest.approx(0.75)


def test_type_histories_count_applications_dismissals_and_verdicts() -> None:
    """Per type: applied / dismissed / improved / neutral / declined."""
    records = [
        RecommendationRecord(RT.RETENTION_STRATEGY, applied=True, verdict=Verdict.IMPROVED),
        RecommendationRecord(RT.RETENTION_STRATEGY, applied=True, verdict=Verdict.DECLINED),
        RecommendationRecord(RT.RETENTION_STRATEGY, dismissed=True),
        RecommendationRecord(RT.CONTENT_TYPE_BALANCE, applied=True),
    ]
    h = type_histories(records)
    assert h[RT.RETENTION_STRATEGY] == TypeHistory(applied=2, dismissed=1, improved=1, declined=1)
    assert h[RT.CONTENT_TYPE_BALANCE] == TypeHistory(applied=1)


def test_pattern_candidate_carries_text_evidence_and_source() -> None:
    """A 0.8 study-time pattern → the 0.795 recommendation, quoting the learner's numbers."""
    (c,) = generate_candidates(RecommendationSources(patterns=(study_pattern(),)))
    assert c.key == "STUDY_TIME_OPTIMIZATION:OPTIMAL_STUDY_TIME:hour=07"
    assert c.recommendation_type is RT.STUDY_TIME_OPTIMIZATION
    assert c.priority_score == pytest.approx(0.795)
    assert (c.confidence, c.estimated_impact, c.ease_of_implementation, c.user_readiness) == (
        0.8,
        0.85,
        0.7,
        0.75,
    )
    assert c.actionable_text == "Plan your most demanding study between 06:00 and 09:00."
    assert "18% higher" in c.description
    assert c.source_pattern_ids == ["p-study"] and c.source_insight_ids == []
    assert "Window mean 82.6 vs 70.0 (n = 34 vs 66)" in c.evidence
    assert any(e.startswith("Priority 0.795 = 0.3·confidence 0.80") for e in c.evidence)


def test_patterns_below_0_7_give_nothing() -> None:
    """0.7 is the threshold (inclusive)."""
    assert generate_candidates(RecommendationSources(patterns=(study_pattern(0.69),))) == []
    assert len(generate_candidates(RecommendationSources(patterns=(study_pattern(0.7),)))) == 1


def test_insight_and_its_pattern_make_one_recommendation_with_both_ids() -> None:
    """The insight's text, both source ids, and the pattern's identity key."""
    pattern = forgetting_pattern()
    insight = InsightSignal(
        insight_id="ins-1",
        insight_type=InsightType.RETENTION_STRATEGY,
        title="You forget 43% faster than typical",
        description="Half of what you learn fades in about 3.5 days.",
        actionable_text="Review every 3 days to keep recall near 80%.",
        confidence=0.78,
        pattern_ids=("p-curve",),
    )
    (c,) = generate_candidates(RecommendationSources(patterns=(pattern,), insights=(insight,)))
    assert c.key == "RETENTION_STRATEGY:FORGETTING_CURVE:curve"
    assert c.source_insight_ids == ["ins-1"] and c.source_pattern_ids == ["p-curve"]
    assert c.actionable_text == "Review every 3 days to keep recall near 80%."
    assert c.confidence == 0.78
    # The same advice made from the pattern alone has the same identity.
    (alone,) = generate_candidates(RecommendationSources(patterns=(pattern,)))
    assert alone.key == c.key


def test_intervention_candidate_uses_priority_over_ten() -> None:
    """Priority 9: 0.3·0.9 + 0.4·0.8 + 0.2·0.6 + 0.1·0.75 = 0.785 (by hand)."""
    (c,) = generate_candidates(
        RecommendationSources(
            interventions=(intervention(InterventionType.PREREQUISITE_REVIEW, 9),)
        )
    )
    assert c.recommendation_type is RT.RETENTION_STRATEGY
    assert (c.confidence, c.estimated_impact, c.ease_of_implementation) == (0.9, 0.8, 0.6)
    assert c.priority_score == pytest.approx(0.785)
    assert c.key == "RETENTION_STRATEGY:intervention:PREREQUISITE_REVIEW:obj-1"
    kinds = {s.kind for s in c.sources}
    assert kinds == {SourceKind.INTERVENTION, SourceKind.STRUGGLE_PREDICTION}
    assert c.source_pattern_ids == [] and "Cardiac cycle" in c.title


def test_high_load_recommends_shorter_sessions_with_full_capacity() -> None:
    """Load 65 (HIGH): confidence 0.8 → 0.24 + 0.4·0.75 + 0.2·0.9 + 0.1·0.75 = 0.795."""
    load = LoadSignal("lp-1", mean_load_7d=65.0, sessions_7d=6, confidence=0.8)
    (c,) = generate_candidates(RecommendationSources(load=load))
    assert c.key == "SESSION_DURATION_ADJUSTMENT:load"
    assert c.user_readiness == 0.75
    assert c.priority_score == pytest.approx(0.795)
    assert generate_candidates(RecommendationSources(load=LoadSignal("lp-1", 59.0, 6, 0.8))) == []


def test_burnout_high_holds_back_everything_that_is_not_relief() -> None:
    """At HIGH only strain-relieving advice is made (5.4: advice never contradicts a warning)."""
    sources = RecommendationSources(
        patterns=(study_pattern(),),
        interventions=(
            intervention(InterventionType.SPACED_REPETITION_BOOST, 6),
            intervention(InterventionType.BREAK_SCHEDULE_ADJUST, 5),
        ),
        burnout=BurnoutSignal("ba-1", 62.0, BurnoutRiskLevel.HIGH, 0.9, ("Take a rest day.",)),
    )
    keys = {c.key for c in generate_candidates(sources)}
    assert keys == {
        "CONSISTENCY_BUILDING:burnout",
        "SESSION_DURATION_ADJUSTMENT:intervention:BREAK_SCHEDULE_ADJUST:obj-1",
    }
    medium = RecommendationSources(
        patterns=(study_pattern(),),
        burnout=BurnoutSignal("ba-1", 30.0, BurnoutRiskLevel.MEDIUM, 0.9),
    )
    cands = {c.key: c for c in generate_candidates(medium)}
    assert set(cands) == {
        "CONSISTENCY_BUILDING:burnout",
        "STUDY_TIME_OPTIMIZATION:OPTIMAL_STUDY_TIME:hour=07",
    }
    # Strain 30 lowers readiness of the study-time advice: 0.5·0.7 + 0.25 = 0.6.
    assert cands["STUDY_TIME_OPTIMIZATION:OPTIMAL_STUDY_TIME:hour=07"].user_readiness == 0.6
    low = RecommendationSources(burnout=BurnoutSignal("ba-1", 10.0, BurnoutRiskLevel.LOW, 0.9))
    assert generate_candidates(low) == []


def test_personalization_signal_from_outcomes() -> None:
    """Arm scores 0.8/0.6 (retention only) vs baseline 0.5/0.3, 10 each: +30 points; each group's
    sample SD is 10.54 points, SE = √(2·10.54²/10) = 4.71, Welch df 18 (t 2.101) → 30 ± 9.9.
    Under 10 scored outcomes a side: no signal."""
    from twin.analysis.personalization.effectiveness import OutcomeRecord

    arm = [OutcomeRecord(PersonalizationLevel.MEDIUM, retention=r) for r in (0.8, 0.6) * 5]
    base = [OutcomeRecord(PersonalizationLevel.NONE, retention=r) for r in (0.5, 0.3) * 5]
    ctx, low = PersonalizationContext.SESSION, PersonalizationLevel.LOW
    signal = personalization_signal("pe-9", ctx, low, arm, base)
    assert signal is not None and signal.suggested_level == PersonalizationLevel.MEDIUM
    assert signal.improvement == pytest.approx(30.0)
    se = math.sqrt(2 * (10 * math.sqrt(10 / 9)) ** 2 / 10)
    assert signal.ci_low == pytest.approx(30.0 - 2.100922 * se, abs=1e-4)
    assert signal.sample_size == 10 and signal.confidence > 0.99
    assert personalization_signal("pe-9", ctx, low, arm[:9], base) is None
    assert personalization_signal("pe-9", ctx, low, arm, base[:9]) is None
    assert next_level(PersonalizationLevel.HIGH) == PersonalizationLevel.HIGH
    assert next_level(PersonalizationLevel.NONE) == PersonalizationLevel.LOW


def test_schedule_adherence_personalization_and_experiments() -> None:
    """Each source gives its candidate only when its evidence supports one."""
    slots = (
        ScheduleSlotSignal("s1", 1, 7, "Tue 07:00–07:45", 82.0, 0.7),
        ScheduleSlotSignal("s2", 2, 18, "Wed 18:00–18:45", 60.0, 0.7),
    )
    poor = AdherenceSignal("adh-w1", accepted=5, kept=1, window_days=14, confidence=0.8)
    fine = AdherenceSignal("adh-w1", accepted=5, kept=3, window_days=14, confidence=0.8)
    few = AdherenceSignal("adh-w1", accepted=3, kept=0, window_days=14, confidence=0.8)
    helped = PersonalizationSignal(
        "pe-1",
        PersonalizationContext.CONTENT,
        PersonalizationLevel.LOW,
        PersonalizationLevel.MEDIUM,
        improvement=6.0,
        ci_low=1.5,
        ci_high=10.5,
        sample_size=24,
        confidence=0.75,
    )
    unclear = PersonalizationSignal(
        "pe-2",
        PersonalizationContext.SESSION,
        PersonalizationLevel.LOW,
        PersonalizationLevel.HIGH,
        improvement=3.0,
        ci_low=-1.0,
        ci_high=7.0,
        sample_size=24,
        confidence=0.75,
    )
    winner = ExperimentWinnerSignal(
        "exp-1",
        "Break length",
        "B",
        "a 5-minute break every 25 minutes",
        "retention",
        0.08,
        0.02,
        0.14,
        0.97,
    )
    following = ExperimentWinnerSignal(
        "exp-2",
        "Warm-up",
        "B",
        "a warm-up of easy reviews",
        "performance",
        0.05,
        0.01,
        0.09,
        0.95,
        "B",
    )
    keys = {
        c.key
        for c in generate_candidates(
            RecommendationSources(
                schedule_slots=slots,
                adherence=poor,
                personalization=(helped, unclear),
                experiment_winners=(winner, following),
            )
        )
    }
    assert keys == {
        "STUDY_TIME_OPTIMIZATION:slot:1-07",
        "CONSISTENCY_BUILDING:adherence",
        "CONTENT_TYPE_BALANCE:personalization:CONTENT",
        "EXPERIMENTAL_SUGGESTION:experiment:exp-1",
    }
    for ok in (fine, few):
        assert generate_candidates(RecommendationSources(adherence=ok)) == []


def test_types_that_worked_rank_higher() -> None:
    """Equal confidence: retention (0.80/0.60) is below study time (0.85/0.70) until it has worked.

    Without history: 0.4·0.80 + 0.2·0.60 = 0.44 < 0.4·0.85 + 0.2·0.70 = 0.48. After three
    IMPROVED retention outcomes (applied 3): impact (1.6 + 3)/5 = 0.92 → 0.488, readiness 0.9.
    """
    sources = RecommendationSources(patterns=(study_pattern(0.8), forgetting_pattern(0.8)))
    before = generate_candidates(sources)
    assert [c.recommendation_type for c in before] == [
        RT.STUDY_TIME_OPTIMIZATION,
        RT.RETENTION_STRATEGY,
    ]
    history = {RT.RETENTION_STRATEGY: TypeHistory(applied=3, improved=3)}
    after = generate_candidates(sources, history)
    assert [c.recommendation_type for c in after] == [
        RT.RETENTION_STRATEGY,
        RT.STUDY_TIME_OPTIMIZATION,
    ]
    retention = after[0]
    assert retention.estimated_impact == pytest.approx(0.92)
    assert retention.user_readiness == pytest.approx(0.9)
    assert retention.priority_score == pytest.approx(0.3 * 0.8 + 0.4 * 0.92 + 0.2 * 0.6 + 0.1 * 0.9)
    assert any("3 improved" in e for e in retention.evidence)


def test_row_maps_onto_the_recommendations_table() -> None:
    """Every key of to_row() is a column of ``recommendations``."""
    (c,) = generate_candidates(RecommendationSources(patterns=(study_pattern(),)))
    columns = {col.name for col in Recommendation.__table__.columns}
    assert set(c.to_row()) <= columns


def _cand(key: str, rtype: RecommendationType, priority: float) -> RecommendationCandidate:
    return RecommendationCandidate(key, rtype, "t", "d", "a", 0.5, 0.5, 0.5, 0.5, priority, (), ())


def test_selection_golden() -> None:
    """One study-time advice open: one more study time fits, the third is cut; dismissed never back."""
    candidates = [
        _cand("s1", RT.STUDY_TIME_OPTIMIZATION, 0.90),
        _cand("s2", RT.STUDY_TIME_OPTIMIZATION, 0.85),
        _cand("r1", RT.RETENTION_STRATEGY, 0.80),
        _cand("r2", RT.RETENTION_STRATEGY, 0.70),
        _cand("c1", RT.CONTENT_TYPE_BALANCE, 0.60),
        _cand("x1", RT.EXPERIMENTAL_SUGGESTION, 0.95),
    ]
    open_recs = [OpenRecommendation("s0", RT.STUDY_TIME_OPTIMIZATION, 0.5)]
    chosen = select_new(candidates, open_recommendations=open_recs, blocked_keys={"x1"})
    assert [c.key for c in chosen] == ["s1", "r1", "r2", "c1"]
    # An open key is never duplicated.
    again = select_new(
        candidates, open_recommendations=[OpenRecommendation("s1", RT.STUDY_TIME_OPTIMIZATION, 0.9)]
    )
    assert "s1" not in [c.key for c in again]


def test_top_pending_golden() -> None:
    """Top 5 by priority, ≤ 2 per type."""
    pending = [
        OpenRecommendation("a", RT.STUDY_TIME_OPTIMIZATION, 0.9),
        OpenRecommendation("b", RT.STUDY_TIME_OPTIMIZATION, 0.89),
        OpenRecommendation("c", RT.STUDY_TIME_OPTIMIZATION, 0.88),
        OpenRecommendation("d", RT.RETENTION_STRATEGY, 0.5),
        OpenRecommendation("e", RT.CONSISTENCY_BUILDING, 0.4),
        OpenRecommendation("f", RT.CONTENT_TYPE_BALANCE, 0.3),
        OpenRecommendation("g", RT.EXPERIMENTAL_SUGGESTION, 0.2),
    ]
    assert [r.key for r in top_pending(pending)] == ["a", "b", "d", "e", "f"]


_types = st.sampled_from(list(RecommendationType))
_candidates = st.lists(
    st.builds(_cand, st.sampled_from([f"k{i}" for i in range(12)]), _types, st.floats(0, 1)),
    max_size=25,
)
_open = st.lists(
    st.builds(
        OpenRecommendation, st.sampled_from([f"k{i}" for i in range(12)]), _types, st.floats(0, 1)
    ),
    max_size=4,
    unique_by=lambda o: o.key,
)


@settings(max_examples=300, deadline=None)
@given(_candidates, _open, st.sets(st.sampled_from([f"k{i}" for i in range(12)]), max_size=4))
def test_selection_invariants(
    candidates: list[RecommendationCandidate],
    open_recs: list[OpenRecommendation],
    blocked: set[str],
) -> None:
    """Never > 2 of a type (open included), never > 5 open, never an open, blocked or repeated key;
    and it stops only when nothing eligible fits."""
    per_open: dict[RecommendationType, int] = {}
    for o in open_recs:
        per_open[o.recommendation_type] = per_open.get(o.recommendation_type, 0) + 1
    chosen = select_new(candidates, open_recommendations=open_recs, blocked_keys=blocked)
    keys = [c.key for c in chosen]
    assert len(keys) == len(set(keys))
    assert not set(keys) & ({o.key for o in open_recs} | blocked)
    assert len(open_recs) + len(chosen) <= 5
    counts = dict(per_open)
    for c in chosen:
        counts[c.recommendation_type] = counts.get(c.recommendation_type, 0) + 1
    if all(v <= 2 for v in per_open.values()):
        assert all(v <= 2 for v in counts.values())
    for c in chosen:
        assert counts[c.recommendation_type] <= max(2, per_open.get(c.recommendation_type, 0))
    # Maximal: every eligible candidate left out is blocked by a full type or a full list.
    taken = set(keys) | {o.key for o in open_recs} | blocked
    if len(open_recs) + len(chosen) < 5:
        for c in candidates:
            if c.key not in taken:
                assert counts.get(c.recommendation_type, 0) >= 2


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(
            OpenRecommendation,
            st.sampled_from([f"k{i}" for i in range(8)]),
            _types,
            st.floats(0, 1),
        ),
        max_size=20,
    )
)
def test_top_pending_invariants(pending: list[OpenRecommendation]) -> None:
    """≤ 5, ≤ 2 per type, no repeated key, sorted by priority."""
    shown = top_pending(pending)
    assert len(shown) <= 5
    assert len({r.key for r in shown}) == len(shown)
    for t in RecommendationType:
        assert sum(r.recommendation_type is t for r in shown) <= 2
    assert [r.priority_score for r in shown] == sorted(
        (r.priority_score for r in shown), reverse=True
    )


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0, 1),
    st.integers(0, 10),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 5),
    st.floats(0, 100),
)
def test_candidate_scores_stay_in_unit_range(
    confidence: float, priority: int, improved: int, neutral: int, declined: int, load: float
) -> None:
    """Whatever the history and strain, every score of every candidate is in [0, 1]."""
    sources = RecommendationSources(
        patterns=(study_pattern(max(0.7, confidence)),),
        interventions=(intervention(priority=priority),),
        load=LoadSignal("lp", load, 5, confidence),
    )
    history = {
        t: TypeHistory(improved + neutral + declined, 1, improved, neutral, declined) for t in RT
    }
    for c in generate_candidates(sources, history):
        for v in (
            c.confidence,
            c.estimated_impact,
            c.ease_of_implementation,
            c.user_readiness,
            c.priority_score,
        ):
            assert 0.0 <= v <= 1.0 and not math.isnan(v)
