"""The simulator's generation is deterministic and its data follow the hidden traits."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import minimize

from tests.analysis.recall import fsrs_reference
from tests.simulate.conftest import CLASSIC_LEARNERS, CLASSIC_SEED, CLASSIC_WEEKS
from twin.simulate.generate import (
    DEFAULT_START,
    TABLE_ORDER,
    LearnerData,
    generate_cohort_learner,
    generate_learner,
)
from twin.simulate.memory_batch import replay_cards
from twin.simulate.rows import NULL_MS, Column, Kind, Table, copy_text, ms_to_datetime
from twin.simulate.traits import CONTENT_TYPES, SESSION_BUCKETS, learner_rng, sample_traits

SEED = 20260105
WEEKS = 12
COHORT = 60
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def cohort(classic_cohort: list[LearnerData]) -> list[LearnerData]:
    """Sixty learners of one seed over twelve weeks (the session's classic cohort)."""
    assert (SEED, WEEKS, COHORT) == (CLASSIC_SEED, CLASSIC_WEEKS, CLASSIC_LEARNERS)
    return classic_cohort


def _rows(data: LearnerData) -> dict[str, list[tuple[Any, ...]]]:
    return {name: data.tables[name].rows() for name in TABLE_ORDER}


def _sessions(data: LearnerData) -> list[dict[str, Any]]:
    """SESSION_ENDED events joined with their start's local hour."""
    ev = data.table("behavioral_events")
    types = list(ev.column("eventType"))
    payloads = list(ev.column("eventData"))
    hours = np.asarray(ev.column("timeOfDay"))
    perf = list(ev.column("sessionPerformanceScore"))
    content = list(ev.column("contentType"))
    engagement = list(ev.column("engagementLevel"))
    start_hour = {
        json.loads(payloads[i])["sessionId"]: int(hours[i])
        for i, t in enumerate(types)
        if t == "SESSION_STARTED"
    }
    sessions = []
    for i, t in enumerate(types):
        if t != "SESSION_ENDED":
            continue
        payload = json.loads(payloads[i])
        sessions.append(
            {
                **payload,
                "hour": start_hour[payload["sessionId"]],
                "performance": perf[i],
                "contentType": content[i],
                "engagement": engagement[i],
            }
        )
    return sessions


def _review_arrays(data: LearnerData) -> dict[str, np.ndarray]:
    reviews = data.table("reviews")
    cards = data.table("cards")
    objective_of = dict(zip(cards.column("id"), cards.column("objectiveId"), strict=True))
    card = np.array(reviews.column("cardId"))
    return {
        "card": card,
        "objective": np.array([objective_of[c] for c in card]),
        "at": np.asarray(reviews.column("reviewedAt")),
        "recalled": np.array(reviews.column("rating")) != "AGAIN",
        "session": np.array(reviews.column("sessionId")),
    }


def _elapsed_and_recall(data: LearnerData) -> tuple[np.ndarray, np.ndarray]:
    """(days since the card's previous review, recalled?) for every review but a card's first."""
    r = _review_arrays(data)
    order = np.lexsort((r["at"], r["card"]))
    card, at, ok = r["card"][order], r["at"][order], r["recalled"][order]
    same = card[1:] == card[:-1]
    return ((at[1:] - at[:-1]) / DAY_MS)[same], ok[1:][same].astype(float)


def _fit_forgetting_curve(elapsed: np.ndarray, recalled: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood R0 and k of R(t) = R0·exp(−k·t) on individual outcomes."""

    def nll(p: np.ndarray) -> float:
        r0, k = 1 / (1 + math.exp(-p[0])), math.exp(p[1])
        pr = np.clip(r0 * np.exp(-k * elapsed), 1e-9, 1 - 1e-9)
        return float(-np.sum(recalled * np.log(pr) + (1 - recalled) * np.log(1 - pr)))

    fit = minimize(nll, np.array([2.0, math.log(0.14)]), method="Nelder-Mead")
    return 1 / (1 + math.exp(-fit.x[0])), math.exp(fit.x[1])


# --- determinism -----------------------------------------------------------------------


def test_same_seed_same_rows_different_seed_different_rows() -> None:
    """Generation is a pure function of (seed, learner index, start, weeks)."""
    a = generate_cohort_learner(7, 3, DEFAULT_START, 4)
    b = generate_cohort_learner(7, 3, DEFAULT_START, 4)
    assert _rows(a) == _rows(b)
    assert a.truth == b.truth
    other_seed = generate_cohort_learner(8, 3, DEFAULT_START, 4)
    assert _rows(other_seed)["behavioral_events"] != _rows(a)["behavioral_events"]
    other_learner = generate_cohort_learner(7, 4, DEFAULT_START, 4)
    assert _rows(other_learner)["reviews"] != _rows(a)["reviews"]


def test_a_learner_does_not_depend_on_other_learners() -> None:
    """Learner 5 is the same whether generated alone or after learners 0–4."""
    alone = _rows(generate_cohort_learner(11, 5, DEFAULT_START, 3))
    for i in range(5):
        generate_cohort_learner(11, i, DEFAULT_START, 3)
    assert _rows(generate_cohort_learner(11, 5, DEFAULT_START, 3)) == alone


def test_ids_are_deterministic_and_derived_from_the_learner(cohort: list[LearnerData]) -> None:
    """Ids are sim{seed}-u{i}… strings, unique per table; no random UUIDs."""
    data = cohort[0]
    uid = f"sim{SEED}-u0"
    assert data.table("users").column("id") == [uid]
    for name in TABLE_ORDER:
        ids = list(data.table(name).column("id"))
        assert len(set(ids)) == len(ids), name
        assert all(i.startswith(uid + ("-" if name != "users" else "")) for i in ids), name


# --- integrity ---------------------------------------------------------------------------


def test_references_resolve_and_times_nest(cohort: list[LearnerData]) -> None:
    """Every reference points at a generated row; reviews fall inside their session."""
    for data in cohort[:10]:
        t = data.tables
        ids = {name: set(t[name].column("id")) for name in TABLE_ORDER}
        assert set(t["cards"].column("objectiveId")) <= ids["learning_objectives"]
        assert set(t["cards"].column("lectureId")) <= ids["lectures"]
        assert set(t["learning_objectives"].column("lectureId")) <= ids["lectures"]
        assert (
            set(t["objective_prerequisites"].column("prerequisiteId")) <= ids["learning_objectives"]
        )
        assert set(t["reviews"].column("cardId")) <= ids["cards"]
        assert set(t["reviews"].column("sessionId")) <= ids["study_sessions"]
        assert set(t["validation_responses"].column("objectiveId")) <= ids["learning_objectives"]
        missions = {m for m in t["study_sessions"].column("missionId") if m is not None}
        assert missions <= ids["missions"]
        sessions = t["study_sessions"]
        bounds = dict(
            zip(
                sessions.column("id"),
                zip(
                    np.asarray(sessions.column("startedAt")).tolist(),
                    np.asarray(sessions.column("completedAt")).tolist(),
                    strict=True,
                ),
                strict=True,
            )
        )
        for sid, at in zip(
            t["reviews"].column("sessionId"),
            np.asarray(t["reviews"].column("reviewedAt")).tolist(),
            strict=True,
        ):
            started, completed = bounds[sid]
            assert started < at < completed
        events = t["behavioral_events"]
        assert set(events.column("userId")) == {data.traits.user_id}
        for payload in events.column("eventData"):
            json.loads(payload)
        for value in t["study_sessions"].column("objectiveCompletions"):
            assert value is None or isinstance(json.loads(value), list)
        missions_json = [json.loads(v) for v in t["missions"].column("objectives")]
        assert all(
            {"objectiveId", "estimatedMinutes", "completed"} <= set(o)
            for m in missions_json
            for o in m
        )


def test_cohort_volume_reaches_a_thousand_events_per_learner(cohort: list[LearnerData]) -> None:
    """Twelve weeks give on average well over 1,000 behavioral events per learner."""
    events = [len(d.table("behavioral_events")) for d in cohort]
    assert np.mean(events) >= 1_000
    kinds = {k for d in cohort for k in d.table("behavioral_events").column("eventType")}
    assert {
        "SESSION_STARTED",
        "SESSION_ENDED",
        "CARD_REVIEWED",
        "VALIDATION_COMPLETED",
        "MISSION_STARTED",
        "MISSION_COMPLETED",
        "SEARCH_PERFORMED",
        "GRAPH_VIEWED",
        "LECTURE_UPLOADED",
    } <= kinds


def test_truth_records_every_trait_with_units(cohort: list[LearnerData]) -> None:
    """The traits JSON names each trait clearly; ids and dates point into the data."""
    data = cohort[0]
    stored = json.loads(data.table("simulation_truth").column("traits")[0])
    assert stored == json.loads(json.dumps(data.truth))
    for key in (
        "timezone",
        "chronotype",
        "attentionSpanMinutes",
        "bestSessionBucket",
        "forgettingRateK",
        "initialRecallR0",
        "contentAffinities",
        "dominantContentType",
        "prerequisiteGapObjectiveIds",
        "struggleObjectiveIds",
        "complexityMismatchObjectiveIds",
        "abilityLevel",
        "sessionHiddenLoad",
        "episodes",
        "irregularity",
        "interventionResponsive",
        "units",
    ):
        assert key in stored, key
    objectives = set()
    for d in cohort:
        objectives = set(d.table("learning_objectives").column("id"))
        assert set(d.truth["struggleObjectiveIds"]) <= objectives
        assert set(d.truth["prerequisiteGapObjectiveIds"]) <= set(d.truth["struggleObjectiveIds"])
        assert abs(sum(d.truth["contentAffinities"].values()) - 1) < 1e-3
        for episode in d.truth["episodes"]:
            onset = date.fromisoformat(episode["onsetDate"])
            end = date.fromisoformat(episode["endDate"])
            assert DEFAULT_START <= onset <= end < DEFAULT_START + timedelta(weeks=WEEKS)
            assert episode["kind"] in {"overload", "burnout"}
            overload_end = date.fromisoformat(episode["overloadEndDate"])
            assert onset <= overload_end <= end
            if episode["kind"] == "burnout":
                assert date.fromisoformat(
                    episode["withdrawalOnsetDate"]
                ) == overload_end + timedelta(days=1)
            else:
                assert episode["withdrawalOnsetDate"] is None and overload_end == end
    chronotypes = [d.traits.chronotype.has_peak for d in cohort]
    assert 0.1 < 1 - np.mean(chronotypes) < 0.5  # about 30% without a time-of-day effect


# --- local time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "start"),
    [
        ("Asia/Kolkata", DEFAULT_START),
        ("America/New_York", date(2026, 3, 2)),  # DST starts 2026-03-08
        ("Australia/Sydney", date(2026, 3, 23)),  # DST ends 2026-04-05
    ],
)
def test_time_of_day_and_weekday_are_local(timezone: str, start: date) -> None:
    """timeOfDay / dayOfWeek of every event equal the UTC timestamp seen in the learner's zone."""
    rng = learner_rng(3, 1)
    traits = dataclasses.replace(sample_traits(3, 1, 4, rng, 8), timezone=timezone)
    data = generate_learner(traits, rng, start, 4)
    events = data.table("behavioral_events")
    zone = ZoneInfo(timezone)
    ts = np.asarray(events.column("timestamp")).tolist()
    hours = np.asarray(events.column("timeOfDay")).tolist()
    weekdays = np.asarray(events.column("dayOfWeek")).tolist()
    for ms, hour, weekday in zip(ts, hours, weekdays, strict=True):
        local = ms_to_datetime(ms).replace(tzinfo=UTC).astimezone(zone)
        assert (local.hour, local.weekday()) == (hour, weekday)
    assert data.table("users").column("timezone") == [timezone]
    # Sessions start on the learner's local clock, not UTC: their local hours cluster.
    started = [
        h for h, t in zip(hours, events.column("eventType"), strict=True) if t == "SESSION_STARTED"
    ]
    assert min(started) >= 6 or any(e.kind == "overload" for e in traits.episodes)


def test_missions_are_dated_at_local_midnight() -> None:
    """A mission's date is the learner's local midnight, stored as naive UTC."""
    rng = learner_rng(5, 2)
    traits = dataclasses.replace(sample_traits(5, 2, 2, rng, 8), timezone="America/Los_Angeles")
    data = generate_learner(traits, rng, DEFAULT_START, 2)
    zone = ZoneInfo("America/Los_Angeles")
    for ms in np.asarray(data.table("missions").column("date")).tolist():
        local = ms_to_datetime(ms).replace(tzinfo=UTC).astimezone(zone)
        assert (local.hour, local.minute) == (0, 0)


# --- forgetting curve and realistic recall --------------------------------------------------


def _learner_with_k(seed: int, index: int, k: float, weeks: int) -> LearnerData:
    """A diligent learner (daily study, brisk reviews, no episodes) with forgetting rate k."""
    rng = learner_rng(seed, index)
    traits = dataclasses.replace(
        sample_traits(seed, index, weeks, rng, 8),
        forgetting_rate_k_per_day=k,
        reviews_per_minute=0.34,
        study_weekdays=(0, 1, 2, 3, 4, 5, 6),
        episodes=(),
    )
    return generate_learner(traits, rng, DEFAULT_START, weeks)


@pytest.mark.parametrize("k", [0.04, 0.1, 0.18])
def test_recall_follows_the_forgetting_curve(k: float) -> None:
    """An ML fit of R0·e^(−k·t) on (elapsed days, recalled?) recovers k.

    Adaptive scheduling keeps most reviews near the learner's target recall, but puts
    some off, so short and long k·t are both observed. Nine learners (one of 26 weeks,
    eight of 16) must centre on k; the fit's own sampling error is about ±10% here and
    time-of-day and fatigue effects bias it down by a few percent.
    """
    data = _learner_with_k(42, 0, k, 26)
    elapsed, recalled = _elapsed_and_recall(data)
    assert len(elapsed) >= 1_000
    kt = elapsed * k
    assert np.mean(kt < 0.05) > 0.1 and np.mean(kt > 0.5) > 0.03  # short and long intervals
    errors = [_fit_forgetting_curve(elapsed, recalled)[1] / k - 1]
    for index in range(1, 9):
        elapsed, recalled = _elapsed_and_recall(_learner_with_k(42, index, k, 16))
        errors.append(_fit_forgetting_curve(elapsed, recalled)[1] / k - 1)
    assert abs(np.median(errors)) < 0.12, errors
    assert np.mean(np.abs(errors) <= 0.25) >= 0.75, errors


def test_forgetting_rates_are_recovered_across_a_cohort(cohort: list[LearnerData]) -> None:
    """Over sixty learners the fit is nearly unbiased and mostly within ±25% of the trait.

    (benchmarks/simulator_truth_check.py measures ≥ 90% within ±25% on 200 learners
    with the engine's own fit.)
    """
    errors = []
    for data in cohort:
        elapsed, recalled = _elapsed_and_recall(data)
        if len(elapsed) < 300:
            continue
        _r0, k_hat = _fit_forgetting_curve(elapsed, recalled)
        errors.append(k_hat / data.traits.forgetting_rate_k_per_day - 1)
    errors_arr = np.asarray(errors)
    assert len(errors_arr) >= 50
    assert abs(np.median(errors_arr)) < 0.12
    assert np.mean(np.abs(errors_arr) <= 0.25) >= 0.85


def test_binned_recall_matches_the_curve_shape() -> None:
    """Recall at long intervals falls the way e^(−k·t) says relative to short intervals."""
    data = _learner_with_k(43, 0, 0.12, WEEKS)
    elapsed, recalled = _elapsed_and_recall(data)
    short = elapsed < 1.0
    long = (elapsed >= 4) & (elapsed < 15)
    assert short.sum() > 100 and long.sum() > 30
    ratio = recalled[long].mean() / recalled[short].mean()
    expected = math.exp(-0.12 * (elapsed[long].mean() - elapsed[short].mean()))
    assert abs(ratio - expected) < 0.15


def _calm_sessions(data: LearnerData) -> list[dict[str, Any]]:
    """SESSION_ENDED payloads of sessions outside every episode."""
    start_ms = np.asarray(data.table("users").column("createdAt"))[0] + 28 * DAY_MS
    episode_days = {day for e in data.traits.episodes for day in range(e.onset_day, e.end_day + 1)}
    ev = data.table("behavioral_events")
    out = []
    for kind, payload, ts in zip(
        ev.column("eventType"),
        ev.column("eventData"),
        np.asarray(ev.column("timestamp")).tolist(),
        strict=True,
    ):
        if kind == "SESSION_ENDED" and (ts - start_ms) // DAY_MS not in episode_days:
            out.append(json.loads(payload))
    return out


def test_accuracy_is_realistic(cohort: list[LearnerData]) -> None:
    """About 0.8 of reviews are recalled; calm sessions have 10–20% AGAIN (real log: 0.79)."""
    ratings = np.concatenate([np.array(d.table("reviews").column("rating")) for d in cohort])
    accuracy = float(np.mean(ratings != "AGAIN"))
    assert 0.72 <= accuracy <= 0.86, accuracy
    again = [1 - s["accuracy"] for d in cohort for s in _calm_sessions(d) if s["reviewsCompleted"]]
    assert 0.10 <= float(np.median(again)) <= 0.20, np.median(again)
    assert 0.10 <= float(np.mean(again)) <= 0.24, np.mean(again)
    per_learner = [
        float(np.mean(np.array(d.table("reviews").column("rating")) != "AGAIN")) for d in cohort
    ]
    assert min(per_learner) > 0.55 and max(per_learner) < 0.95


# --- memory state --------------------------------------------------------------------------


def test_vectorised_memory_state_equals_the_fsrs_package(cohort: list[LearnerData]) -> None:
    """Card and review FSRS columns are what twin.analysis.fsrs_reference.replay gives (40 cards)."""
    data = cohort[3]
    reviews = data.table("reviews")
    cards = data.table("cards")
    card_ids = list(cards.column("id"))[:40]
    by_card: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(reviews.column("cardId")):
        by_card[c].append(i)
    at = np.asarray(reviews.column("reviewedAt")).tolist()
    rating = list(reviews.column("rating"))
    s_after = np.asarray(reviews.column("stabilityAfter"))
    d_after = np.asarray(reviews.column("difficultyAfter"))
    s_before = np.asarray(reviews.column("stabilityBefore"))
    column = {
        name: np.asarray(cards.column(name))
        for name in (
            "stability",
            "difficulty",
            "reviewCount",
            "lapseCount",
            "lastReviewedAt",
            "nextReviewAt",
        )
    }
    for n, cid in enumerate(card_ids):
        state = None
        for i in sorted(by_card[cid], key=lambda i: at[i]):
            assert s_before[i] == pytest.approx(state.stability if state else 0.0, rel=1e-12)
            state = fsrs_reference.review(state, rating[i], ms_to_datetime(at[i]))
            assert s_after[i] == pytest.approx(state.stability, rel=1e-12)
            assert d_after[i] == pytest.approx(state.difficulty, rel=1e-12)
        if state is None:
            assert column["reviewCount"][n] == 0 and column["lastReviewedAt"][n] == NULL_MS
            continue
        assert column["stability"][n] == pytest.approx(state.stability, rel=1e-12)
        assert column["difficulty"][n] == pytest.approx(state.difficulty, rel=1e-12)
        assert column["reviewCount"][n] == state.review_count
        assert column["lapseCount"][n] == state.lapse_count
        assert ms_to_datetime(column["lastReviewedAt"][n]) == state.last_review
        assert ms_to_datetime(column["nextReviewAt"][n]) == state.next_review


def test_replay_handles_same_day_reviews_like_memory() -> None:
    """Reviews less than a day apart take FSRS's short-term branch, as fsrs_reference.review does."""
    base = 1_767_600_000_000
    times = [base, base + 3_600_000, base + 2 * DAY_MS, base + 2 * DAY_MS + 60_000]
    ratings = [3, 1, 2, 4]
    result = replay_cards(1, np.zeros(4, dtype=np.int64), np.array(times), np.array(ratings))
    state = None
    for ms, r in zip(times, ratings, strict=True):
        state = fsrs_reference.review(state, r, ms_to_datetime(ms))
    assert state is not None
    assert result.card_stability[0] == pytest.approx(state.stability, rel=1e-12)
    assert result.card_difficulty[0] == pytest.approx(state.difficulty, rel=1e-12)
    assert result.card_lapse_count[0] == state.lapse_count == 1


# --- chronotype --------------------------------------------------------------------------


def _centered_by_distance(
    cohort: list[LearnerData], *, with_peak: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Session performance minus the learner's mean, at the peak/habit hour and ≥ 5 h away."""
    near, far = [], []
    for data in cohort:
        t = data.traits
        if t.chronotype.has_peak != with_peak:
            continue
        if not with_peak and any(e.kind == "overload" for e in t.episodes):
            continue  # late-night overload sessions are worse for reasons other than the clock
        sessions = [s for s in _sessions(data) if s["reviewsCompleted"] >= 5]
        perf = np.array([s["performance"] for s in sessions], dtype=float)
        hour = np.array([s["hour"] for s in sessions])
        distance = np.abs(hour - t.habit_hour_local)
        distance = np.minimum(distance, 24 - distance)
        centered = perf - perf.mean()
        near.extend(centered[distance == 0])
        far.extend(centered[distance >= 5])
    return np.asarray(near), np.asarray(far)


def test_learners_with_a_chronotype_perform_best_at_their_peak(cohort: list[LearnerData]) -> None:
    """Sessions starting in the peak hour score clearly above sessions ≥ 5 h away."""
    near, far = _centered_by_distance(cohort, with_peak=True)
    assert len(near) > 100 and len(far) > 100
    assert near.mean() - far.mean() > 8
    assert stats.ttest_ind(near, far, equal_var=False).pvalue < 1e-6


def test_learners_without_a_chronotype_show_no_hour_effect(cohort: list[LearnerData]) -> None:
    """For learners without a peak, sessions in their usual hour are no better than others."""
    near, far = _centered_by_distance(cohort, with_peak=False)
    assert len(near) > 30 and len(far) > 30
    assert abs(near.mean() - far.mean()) < 5
    assert stats.ttest_ind(near, far, equal_var=False).pvalue > 0.01


# --- attention span ----------------------------------------------------------------------


def test_accuracy_decays_after_the_attention_span(cohort: list[LearnerData]) -> None:
    """Reviews well past the attention span are answered worse than those before it."""
    before, after = [], []
    for data in cohort:
        span = data.traits.attention_span_minutes
        sessions = data.table("study_sessions")
        started = dict(
            zip(
                sessions.column("id"),
                np.asarray(sessions.column("startedAt")).tolist(),
                strict=True,
            )
        )
        r = _review_arrays(data)
        minute = (r["at"] - np.array([started[s] for s in r["session"]])) / 60_000
        good = np.array(data.table("reviews").column("rating")) != "AGAIN"
        before.extend(good[minute < span])
        after.extend(good[minute > span + 15])
    assert np.mean(after) < 0.8 * np.mean(before)


def test_sessions_in_the_best_bucket_score_best(cohort: list[LearnerData]) -> None:
    """ENGINE's bucket score (performance, completion, fatigue) peaks at the true bucket for most."""
    hits = within_one = counted = 0
    for data in cohort:
        sessions = _sessions(data)
        minutes = np.array([s["durationMs"] / 60_000 for s in sessions])
        perf = np.array([s["performance"] for s in sessions], dtype=float)
        completion = np.array(
            [
                s["objectivesCompleted"] / s["objectivesPlanned"] if s["objectivesPlanned"] else 1.0
                for s in sessions
            ]
        )
        scores = []
        for _label, low, high in SESSION_BUCKETS:
            m = (minutes >= low) & (minutes < high)
            scores.append(0.5 * perf[m].mean() + 30 * completion[m].mean() if m.sum() >= 3 else -1)
        best = int(np.argmax(scores))
        counted += 1
        hits += best == data.traits.best_session_bucket
        within_one += abs(best - data.traits.best_session_bucket) <= 1
    assert hits / counted >= 0.55
    assert within_one / counted >= 0.85


# --- content affinity ------------------------------------------------------------------------


def test_the_dominant_content_type_has_the_best_outcomes_and_time_share(
    cohort: list[LearnerData],
) -> None:
    """Sessions of the dominant type perform best and it takes the largest share of time."""
    best_outcome = best_share = counted = 0
    high_engagement: dict[str, list[bool]] = {"dominant": [], "other": []}
    for data in cohort:
        dominant = data.traits.dominant_content_type
        sessions = _sessions(data)
        by_type: dict[str, list[float]] = defaultdict(list)
        minutes: dict[str, float] = defaultdict(float)
        for s in sessions:
            by_type[s["contentType"]].append(s["performance"])
            for name, value in s["contentMinutes"].items():
                minutes[name] += value
            key = "dominant" if s["contentType"] == dominant else "other"
            high_engagement[key].append(s["engagement"] == "HIGH")
        means = {c: np.mean(v) for c, v in by_type.items() if len(v) >= 3}
        counted += 1
        best_outcome += max(means, key=lambda c: means[c]) == dominant
        best_share += max(minutes, key=lambda c: minutes[c]) == dominant
    assert set(CONTENT_TYPES) >= set(minutes)
    assert best_outcome / counted >= 0.7
    assert best_share / counted >= 0.9
    assert np.mean(high_engagement["dominant"]) > np.mean(high_engagement["other"])


# --- struggle ---------------------------------------------------------------------------------


def test_struggle_objectives_have_low_accuracy_and_scores(cohort: list[LearnerData]) -> None:
    """Studied struggle objectives: session accuracy < 0.65 (ENGINE 5.2), others ≥ 0.75."""
    checked = 0
    struggle_scores: list[float] = []
    other_scores: list[float] = []
    struggle_acc: list[float] = []
    other_acc: list[float] = []
    for data in cohort:
        struggle = set(data.truth["struggleObjectiveIds"])
        assert struggle, "every learner has at least one struggle objective"
        r = _review_arrays(data)
        mask = np.isin(r["objective"], list(struggle))
        if mask.sum() >= 20:
            checked += 1
            assert r["recalled"][mask].mean() < r["recalled"][~mask].mean()
        # Accuracy per (session, objective), as the 5.2 outcome rule reads it.
        pairs: dict[tuple[str, str], list[bool]] = defaultdict(list)
        for session, objective, ok in zip(r["session"], r["objective"], r["recalled"], strict=True):
            pairs[(session, objective)].append(bool(ok))
        for (_session, objective), oks in pairs.items():
            (struggle_acc if objective in struggle else other_acc).append(float(np.mean(oks)))
        v = data.table("validation_responses")
        for objective, score in zip(
            v.column("objectiveId"), np.asarray(v.column("score")).tolist(), strict=True
        ):
            (struggle_scores if objective in struggle else other_scores).append(score)
    assert checked >= 30
    assert np.mean(struggle_acc) < 0.65 <= 0.75 <= np.mean(other_acc)
    assert np.mean(struggle_scores) < 0.6 < np.mean(other_scores)


def test_struggles_follow_prerequisite_gaps_and_complexity(cohort: list[LearnerData]) -> None:
    """Struggles are gap prerequisites, their dependents, or objectives above the learner's ability."""
    from twin.simulate.traits import COMPLEXITY_LEVEL

    advanced_struggle, advanced = 0, 0
    for data in cohort:
        t = data.traits
        cur = t.curriculum
        dependents = {o for o, pre, _s in cur.prerequisites if pre in t.gap_prerequisite_objectives}
        mismatch = set(t.mismatch_struggle_objectives)
        assert set(t.struggle_objectives) == (
            set(t.gap_prerequisite_objectives) | dependents | mismatch
        )
        for o in mismatch:
            assert COMPLEXITY_LEVEL[cur.objective_complexity[o]] > t.ability
        for o, level in enumerate(cur.objective_complexity):
            if level == "ADVANCED":
                advanced += 1
                advanced_struggle += o in t.struggle_objectives
    basic = [
        o in d.traits.struggle_objectives
        for d in cohort
        for o, level in enumerate(d.traits.curriculum.objective_complexity)
        if level == "BASIC"
    ]
    assert advanced_struggle / advanced > np.mean(basic)


# --- episodes ---------------------------------------------------------------------------------


def _episode_figures(data: LearnerData) -> dict[int | str, Any]:
    """Per phase (calm / overload / withdrawal): study minutes per day, latencies, AGAIN, skips."""
    t = data.traits
    start_ms = np.asarray(data.table("users").column("createdAt"))[0] + 28 * DAY_MS
    phase = np.zeros(WEEKS * 7, dtype=np.int64)
    for e in t.episodes:
        phase[e.onset_day : e.overload_last_day + 1] = 1
        if e.withdrawal_onset_day is not None:
            phase[e.withdrawal_onset_day : e.end_day + 1] = 2
    sessions = data.table("study_sessions")
    s_day = (np.asarray(sessions.column("startedAt")) - start_ms) // DAY_MS
    s_day = np.clip(s_day, 0, WEEKS * 7 - 1)
    minutes = np.asarray(sessions.column("durationMs")) / 60_000
    ev = data.table("behavioral_events")
    types = np.array(ev.column("eventType"))
    reviewed = types == "CARD_REVIEWED"
    r_day = np.clip((np.asarray(ev.column("timestamp"))[reviewed] - start_ms) // DAY_MS, 0, None)
    payloads = [
        json.loads(p)
        for p, k in zip(ev.column("eventData"), types, strict=True)
        if k == "CARD_REVIEWED"
    ]
    latency = np.array([p["responseLatencyMs"] for p in payloads])
    again = np.array([p["rating"] == "AGAIN" for p in payloads])
    r_phase = phase[np.minimum(r_day, WEEKS * 7 - 1)]
    missions = data.table("missions")
    m_day = (np.asarray(missions.column("date")) - start_ms + DAY_MS // 2) // DAY_MS
    status = np.array(missions.column("status"))
    inside = m_day < WEEKS * 7
    m_phase = phase[np.minimum(m_day, WEEKS * 7 - 1)]
    out: dict[int | str, Any] = {}
    for p in (0, 1, 2):
        days = int(np.sum(phase == p))
        out[p] = {
            "days": days,
            "minutes_per_day": float(minutes[phase[s_day] == p].sum()) / days if days else None,
            "latency": float(np.median(latency[r_phase == p])) if (r_phase == p).any() else None,
            "again": float(again[r_phase == p].mean()) if (r_phase == p).any() else None,
            "skip": float(np.mean(status[inside & (m_phase == p)] == "SKIPPED"))
            if (inside & (m_phase == p)).any()
            else None,
        }
    s_hours = np.asarray(
        [h for h, k in zip(ev.column("timeOfDay"), types, strict=True) if k == "SESSION_STARTED"]
    )
    out["overload_late"] = (
        float(np.mean(((s_hours >= 23) | (s_hours < 2))[phase[s_day] == 1]))
        if (phase[s_day] == 1).any()
        else None
    )
    return out


def test_episodes_change_behaviour(cohort: list[LearnerData]) -> None:
    """Overload: more hours, slower answers, more AGAIN, late nights; burnout: skipped plans."""
    hours, latency, again, late, skip_w, skip_calm, again_calm = [], [], [], [], [], [], []
    for data in cohort:
        if not data.traits.episodes:
            continue
        f = _episode_figures(data)
        calm, overload, withdrawal = f[0], f[1], f[2]
        if overload["days"] >= 4 and overload["latency"] is not None:
            hours.append(overload["minutes_per_day"] / calm["minutes_per_day"])
            latency.append(overload["latency"] / calm["latency"])
            again.append(overload["again"])
            again_calm.append(calm["again"])
            late.append(f["overload_late"])
        if withdrawal["days"] >= 5 and withdrawal["skip"] is not None:
            skip_w.append(withdrawal["skip"])
            skip_calm.append(calm["skip"])
    assert len(hours) >= 20 and len(skip_w) >= 6
    assert 1.5 <= np.median(hours) <= 2.2, np.median(hours)  # +60–100% study time
    assert 1.4 <= np.median(latency) <= 2.0, np.median(latency)  # +40–80% latency (+ fatigue)
    assert 0.30 <= np.median(again) <= 0.50 and np.median(again) > np.median(again_calm) + 0.15
    assert np.mean(late) > 0.2  # sessions at 23:00–02:00
    assert np.mean(skip_w) > np.mean(skip_calm) + 0.3


def test_hidden_load_is_recorded_and_higher_in_overload(cohort: list[LearnerData]) -> None:
    """Every session has a hidden load 0–100 (truth only); overload sessions carry more."""
    calm, overload = [], []
    for data in cohort:
        hidden = data.session_hidden_load
        assert len(hidden) == len(data.table("study_sessions"))
        assert data.truth["sessionHiddenLoad"] == hidden.tolist()
        assert ((hidden >= 0) & (hidden <= 100)).all()
        start_ms = np.asarray(data.table("users").column("createdAt"))[0] + 28 * DAY_MS
        day = (np.asarray(data.table("study_sessions").column("startedAt")) - start_ms) // DAY_MS
        over = np.zeros(len(day), dtype=bool)
        for e in data.traits.episodes:
            over |= (day >= e.onset_day) & (day <= e.overload_last_day)
        calm.extend(hidden[~over].tolist())
        overload.extend(hidden[over].tolist())
    assert np.median(calm) < 35 and np.median(overload) > 55
    assert "sessionHiddenLoad" not in {c for t in cohort[0].tables.values() for c in t.column_names}


# --- COPY encoding ------------------------------------------------------------------------------


def test_copy_text_escapes_and_encodes_nulls() -> None:
    """Text with tabs, newlines and backslashes, NULLs, arrays and timestamps encode for COPY."""
    table = Table(
        "t",
        (
            Column("a", Kind.TEXT, ["x\ty", None, "back\\slash\nline"]),
            Column("b", Kind.INT, [1, None, 3]),
            Column("c", Kind.TIMESTAMP, np.array([0, NULL_MS, 1_767_571_200_123])),
            Column("d", Kind.TEXT_ARRAY, [["a", 'q"uote'], [], ["b"]]),
            Column("e", Kind.FLOAT, [0.1, 1 / 3, None]),
            Column("f", Kind.BOOL, [True, False, None]),
        ),
    )
    lines = copy_text(table).splitlines()
    # The array literal escapes the quote (\\"), and COPY then escapes that backslash.
    assert lines[0] == 'x\\ty\t1\t1970-01-01T00:00:00.000\t{"a","q\\\\"uote"}\t0.1\tt'
    assert lines[1] == "\\N\t\\N\t\\N\t{}\t0.3333333333333333\tf"
    assert lines[2] == 'back\\\\slash\\nline\t3\t2026-01-05T00:00:00.123\t{"b"}\t\\N\t\\N'
    assert table.rows()[2][2] == datetime(2026, 1, 5, 0, 0, 0, 123000)
