"""The second generative family: deterministic, its hidden truth stored, its dynamics in the data."""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
import pytest

from twin.analysis.patterns.memory_curve import analyze_new_card_curve
from twin.simulate.generate import DEFAULT_START, TABLE_ORDER, LearnerData, generate_cohort_learner
from twin.simulate.rows import copy_text
from twin.simulate.srs_family import (
    RECALL_AT_STABILITY,
    SUSTAINED_THIRD_WEEK_DAYS,
    HourEffect,
    generate_srs_learner,
    sample_srs_traits,
    srs_user_id,
)
from twin.simulate.truth_adapter import adapt_learner

SEED = 77
WEEKS = 12
COHORT = 40


@pytest.fixture(scope="module")
def cohort() -> list[LearnerData]:
    """Forty srs learners of one seed over twelve weeks."""
    return [generate_srs_learner(SEED, i, DEFAULT_START, WEEKS) for i in range(COHORT)]


def _digest(data: LearnerData) -> str:
    h = hashlib.sha256()
    for name in TABLE_ORDER:
        h.update(copy_text(data.tables[name]).encode())
    return h.hexdigest()


def test_same_seed_same_rows_and_own_ids() -> None:
    """Deterministic per (seed, index); ids srs<seed>-u<i> never collide with the classic family's."""
    a = generate_srs_learner(SEED, 3, DEFAULT_START, 4)
    assert _digest(a) == _digest(generate_srs_learner(SEED, 3, DEFAULT_START, 4))
    assert _digest(a) != _digest(generate_srs_learner(SEED, 4, DEFAULT_START, 4))
    assert a.table("users").column("id")[0] == srs_user_id(SEED, 3) == f"srs{SEED}-u3"
    classic = generate_cohort_learner(SEED, 3, DEFAULT_START, 4)
    assert classic.table("users").column("id")[0] != srs_user_id(SEED, 3)


def test_truth_is_stored_like_the_classic_family(cohort: list[LearnerData]) -> None:
    """simulation_truth holds family, memory, hour effect and episodes; the classic keys mean the
    same thing: forgettingRateK = −ln 0.9 / (new-card stability)."""
    for data in cohort:
        stored = json.loads(data.table("simulation_truth").column("traits")[0])
        assert stored == json.loads(json.dumps(data.truth, sort_keys=True))
        assert stored["family"] == "srs"
        s1 = stored["memory"]["newCardStabilityDays"]
        assert stored["forgettingRateK"] == pytest.approx(
            -math.log(RECALL_AT_STABILITY) / s1, rel=1e-3
        )
        effect = stored["hourEffect"]
        assert stored["chronotype"]["hasPeak"] == (effect["kind"] != "none")
        for e in stored["episodes"]:
            if e["kind"] == "sustained":
                onset = date.fromisoformat(e["onsetDate"])
                assert 21 <= e["durationDays"] <= 42
                third = date.fromisoformat(e["thirdWeekStartDate"])
                assert third == onset + timedelta(days=SUSTAINED_THIRD_WEEK_DAYS)
                assert third < DEFAULT_START + timedelta(weeks=WEEKS)
                assert 15 <= e["performanceDropPoints"] <= 30


def test_hour_effect_shapes() -> None:
    """A bump is triangular around its centre, a plateau flat with sharp edges, none is zero."""
    bump = HourEffect("bump", 10.5, 0.4, half_width_hours=2.0)
    assert bump.shape(np.array([10.5, 11.5, 12.5, 13.0])).tolist() == [1.0, 0.5, 0.0, 0.0]
    assert bump.peak_hours == (9, 10, 11)
    plateau = HourEffect("plateau", 15.5, 0.4, start_hour=14, length_hours=3)
    assert plateau.shape(np.array([13.9, 14.0, 16.99, 17.0])).tolist() == [0.0, 1.0, 1.0, 0.0]
    assert plateau.peak_hours == (14, 15, 16)
    assert HourEffect("none", 0.0, 0.0).peak_hours == ()


def test_reviews_come_near_90_percent_and_stability_scale_orders_first_repeats(
    cohort: list[LearnerData],
) -> None:
    """Scheduled reviews: first repeats of a recalled card are recalled ~85–90%, whatever the
    learner's scale; the interval grows with the scale (the trap), and the new-card curve fitted
    on them recovers the truth's k within ×/÷ 1.6 for most learners."""
    ratios = []
    rates = []
    for data in cohort:
        reviews = adapt_learner(data).patterns_input.reviews
        firsts = [r for r in reviews if r.repeat_number == 1 and r.previous_recalled]
        rates.append(np.mean([r.recalled for r in firsts]))
        curve = analyze_new_card_curve(reviews)
        assert curve.fitted
        ratios.append(curve.decay_per_day / data.truth["forgettingRateK"])
    assert 0.78 <= float(np.median(rates)) <= 0.92
    within = np.mean([1 / 1.6 <= r <= 1.6 for r in ratios])
    assert within >= 0.8


def test_sustained_overload_is_longer_later_and_worse(cohort: list[LearnerData]) -> None:
    """During a sustained overload: more minutes a day, later starts, lower performance."""
    checked = 0
    for data in cohort:
        episodes = [e for e in data.truth["episodes"] if e["kind"] == "sustained"]
        if not episodes:
            continue
        e = episodes[0]
        onset = date.fromisoformat(e["onsetDate"])
        end = date.fromisoformat(e["endDate"])
        adapted = adapt_learner(data)
        before: dict[str, list[float]] = defaultdict(list)
        during: dict[str, list[float]] = defaultdict(list)
        for s in adapted.sessions:
            day = s.started_local.date()
            bucket = during if onset <= day <= end else before if day < onset else None
            if bucket is None:
                continue
            bucket["minutes"].append(s.duration_minutes)
            bucket["hour"].append(s.started_local.hour + (24 if s.started_local.hour < 5 else 0))
            bucket["performance"].append(s.performance)
        assert np.mean(during["minutes"]) > np.mean(before["minutes"])
        assert np.mean(during["hour"]) > np.mean(before["hour"])
        assert np.mean(before["performance"]) - np.mean(during["performance"]) > 8.0
        checked += 1
    assert checked >= 5


def test_learners_without_an_hour_effect_score_alike_at_every_hour(
    cohort: list[LearnerData],
) -> None:
    """No hour effect: the morning and afternoon sessions of calm learners score within noise;
    high-accuracy learners score above 80 at every hour they study a lot."""
    for i, data in enumerate(cohort):
        traits, _ = sample_srs_traits(SEED, i, WEEKS)
        if traits.hour_effect.kind != "none" or traits.episodes:
            continue
        sessions = adapt_learner(data).sessions
        perf = np.array([s.performance for s in sessions])
        hours = np.array([s.started_local.hour for s in sessions])
        early, late = perf[hours < 13], perf[hours >= 13]
        if len(early) >= 10 and len(late) >= 10:
            se = math.sqrt(early.var() / len(early) + late.var() / len(late))
            assert abs(early.mean() - late.mean()) < 3.5 * se


def test_the_classic_family_is_unchanged_by_the_hooks() -> None:
    """The classic generator still produces the rows it did before the hooks (sha256 of COPY text
    of learners 0–5, seed 3, 12 weeks; recorded before the change)."""
    h = hashlib.sha256()
    for i in range(6):
        data = generate_cohort_learner(3, i, DEFAULT_START, 12)
        for name in data.tables:
            h.update(copy_text(data.tables[name]).encode())
    assert h.hexdigest() == "61a25bdfaebd40de0bfbb16a4b5a692d8c0b79e3f5a6ce7cebce92a61c0cc4cf"


def test_review_times_are_inside_sessions(cohort: list[LearnerData]) -> None:
    """Every review lies inside its session (the scheduler's intervals never break the nesting)."""
    for data in cohort[:10]:
        sessions = data.table("study_sessions")
        start = dict(
            zip(
                sessions.column("id"),
                np.asarray(sessions.column("startedAt")).tolist(),
                strict=True,
            )
        )
        end = dict(
            zip(
                sessions.column("id"),
                np.asarray(sessions.column("completedAt")).tolist(),
                strict=True,
            )
        )
        reviews = data.table("reviews")
        for sid, at in zip(
            reviews.column("sessionId"),
            np.asarray(reviews.column("reviewedAt")).tolist(),
            strict=True,
        ):
            assert start[sid] <= at <= end[sid]
