"""Workflow helpers: severity edges, indicators, interventions, mission effects, alerts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from twin.analysis.struggle.features import FeatureVector
from twin.analysis.struggle.rules import rule_predict
from twin.analysis.struggle.workflow import (
    INTERVENTION_PRIORITY,
    AlertCandidate,
    LearnerProfile,
    Mission,
    alert_priority,
    alerts_for,
    apply_intervention,
    indicators_for,
    interventions_for,
    severity_for,
)
from twin.enums import IndicatorType, InterventionType, Severity

NEUTRAL = FeatureVector.from_array([0.5] * 15)


@pytest.mark.parametrize(
    ("strength", "severity"),
    [(0.71, Severity.HIGH), (0.7, Severity.MEDIUM), (0.41, Severity.MEDIUM), (0.4, Severity.LOW)],
)
def test_severity_edges(strength: float, severity: Severity) -> None:
    """HIGH > 0.7, MEDIUM > 0.4, else LOW: the edges belong to the band below."""
    assert severity_for(strength) is severity


def test_priorities_are_the_documented_ones() -> None:
    """ENGINE.md 5.2 priorities."""
    assert {t.value: p for t, p in INTERVENTION_PRIORITY.items()} == {
        "PREREQUISITE_REVIEW": 9,
        "DIFFICULTY_PROGRESSION": 8,
        "COGNITIVE_LOAD_REDUCE": 8,
        "CONTENT_FORMAT_ADAPT": 7,
        "SPACED_REPETITION_BOOST": 6,
        "BREAK_SCHEDULE_ADJUST": 5,
    }


def test_indicators_only_for_measured_drivers() -> None:
    """Prerequisite gap and overload drive the prediction; unknown retention does not."""
    f = replace(
        NEUTRAL,
        prerequisite_gap_count=0.75,
        prerequisite_mastery_gap=0.5,
        cognitive_load_indicator=0.6,
        complexity_mismatch=0.0,
        unknown=frozenset({"retentionScore", "reviewLapseRate"}),
    )
    inds = indicators_for(f, rule_predict(f).contributions)
    # gap: 1.5·0.25 + 1.5·0 = 0.375 > 0, strength max(0.75, 0.5) = 0.75 → HIGH
    # load: 1·0.1 > 0, strength 0.6 → MEDIUM; mismatch 0 pulls down → none;
    # history 0.5 contributes 0 → none; retention unknown → none.
    assert [(i.indicator_type, i.severity) for i in inds] == [
        (IndicatorType.PREREQUISITE_GAP, Severity.HIGH),
        (IndicatorType.COGNITIVE_OVERLOAD, Severity.MEDIUM),
    ]
    assert inds[0].contribution == pytest.approx(0.375)
    assert inds[0].context == {"prerequisiteGapCount": 0.75, "prerequisiteMasteryGap": 0.5}


def test_interventions_tailored_and_ordered() -> None:
    """Gap + overload + format mismatch → review 9, load 8, format 7, breaks 5, with the learner's numbers."""
    f = replace(
        NEUTRAL,
        prerequisite_gap_count=0.75,
        prerequisite_mastery_gap=0.5,
        cognitive_load_indicator=0.82,
        content_type_mismatch=0.8,
    )
    profile = LearnerProfile(
        optimal_session_minutes=40, preferred_content_type="worked examples", best_study_hour=7
    )
    inds = indicators_for(f, rule_predict(f).contributions)
    ivs = interventions_for(f, inds, profile)
    assert [i.intervention_type for i in ivs] == [
        InterventionType.PREREQUISITE_REVIEW,
        InterventionType.COGNITIVE_LOAD_REDUCE,
        InterventionType.CONTENT_FORMAT_ADAPT,
        InterventionType.BREAK_SCHEDULE_ADJUST,
    ]
    assert [i.priority for i in ivs] == [9, 8, 7, 5]
    assert "at 07:00" in ivs[0].description and "40-minute" in ivs[0].description
    assert "75% of the prerequisites" in ivs[0].reasoning
    assert "about 20 minutes" in ivs[1].description  # 40 // 2
    assert "82/100" in ivs[1].reasoning
    assert "worked examples" in ivs[2].description
    assert "every 40 minutes" in ivs[3].description


def test_mission_effects() -> None:
    """Prerequisites inserted before the objective (+10 min each), +25% time, duration halved."""
    m = Mission(objective_ids=("o1", "o2"), estimated_minutes=60.0)
    pre = apply_intervention(
        m,
        InterventionType.PREREQUISITE_REVIEW,
        objective_id="o2",
        weak_prerequisite_ids=("p1", "o1"),
    )
    assert pre.objective_ids == ("o1", "p1", "o2")  # o1 already in the mission
    assert pre.estimated_minutes == 70.0
    ramp = apply_intervention(m, InterventionType.DIFFICULTY_PROGRESSION, objective_id="o1")
    assert ramp.estimated_minutes == 75.0 and ramp.difficulty_ramp
    half = apply_intervention(m, InterventionType.COGNITIVE_LOAD_REDUCE, objective_id="o1")
    assert half.estimated_minutes == 30.0
    brk = apply_intervention(
        m, InterventionType.BREAK_SCHEDULE_ADJUST, objective_id="o1",
        profile=LearnerProfile(optimal_session_minutes=35),
    )  # fmt: skip
    assert brk.break_interval_minutes == 35
    boost = apply_intervention(m, InterventionType.SPACED_REPETITION_BOOST, objective_id="o1")
    assert boost.extra_review_sessions == 2
    assert m == Mission(objective_ids=("o1", "o2"), estimated_minutes=60.0)  # input unchanged


def _cand(pid: str, p: float, days: float, conf: float = 0.6) -> AlertCandidate:
    """Alert candidate with HIGH severity and load 0.5."""
    return AlertCandidate(pid, p, conf, days, Severity.HIGH, 0.5)


def test_alert_priority_golden() -> None:
    """urgency 1 − 1/4 = 0.75: (0.4·0.75 + 0.3·0.6 + 0.2·1 + 0.1·0.5)·100 = 73."""
    assert alert_priority(_cand("a", 0.8, 1.0)) == pytest.approx(73.0)


def test_alerts_filter_and_top_three() -> None:
    """p ≥ 0.7 (0.7 included) and due within 3 days (3 included); top 3 by priority."""
    cands = [
        _cand("low-p", 0.69, 0.0),
        _cand("late", 0.9, 3.01),
        _cand("edge", 0.7, 3.0),
        _cand("today", 0.8, 0.0),
        _cand("one", 0.8, 1.0),
        _cand("two", 0.8, 2.0),
    ]
    assert [a.prediction_id for a in alerts_for(cands)] == ["today", "one", "two"]
    assert [a.prediction_id for a in alerts_for(cands[:3])] == ["edge"]
