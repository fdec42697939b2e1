"""Which study decides a prediction's outcome (twin.analysis.struggle.capture), without a database.

Each scenario is small enough to check by hand: the ENGINE day rule for a learner
without a baseline, Wald's test once the other objectives give one, superseded and
dismissed predictions, whole local days only.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.struggle.capture import (
    NEVER_STUDIED_DISMISS_DAYS,
    REASON_INCONCLUSIVE,
    REASON_NEVER_STUDIED,
    REASON_STUDIED,
    REASON_SUPERSEDED,
    PendingPrediction,
    StudyItem,
    StudyTotals,
    decide_outcomes,
    first_study_day,
    window_verdicts,
)
from twin.analysis.struggle.outcomes import ENGINE_RULE, EVIDENCE_RULE
from twin.enums import PredictionStatus

UTC = ZoneInfo("UTC")
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9, no daylight saving
D0 = datetime(2026, 3, 2, 10, 0)  # naive UTC
H = timedelta(hours=1)
DAY = timedelta(days=1)


def review(oid: str, at: datetime, again: bool, first: bool = False) -> StudyItem:
    return StudyItem(oid, at, again, first, None)


def answer(oid: str, at: datetime, score: float) -> StudyItem:
    return StudyItem(oid, at, None, False, score)


def baseline_reviews(n: int = 40, again_every: int = 10) -> list[StudyItem]:
    """Non-first reviews of another objective before D0: accuracy 1 − 1/again_every (0.9)."""
    start = D0 - 20 * DAY
    return [review("other", start + i * H, i % again_every == 0) for i in range(n)]


def test_engine_rule_on_the_first_complete_study_day() -> None:
    """No baseline: day D0+1 has 3 reviews, 2 AGAIN → accuracy 1/3 < 0.65 → struggled (CONFIRMED at p 0.8)."""
    items = [review("o", D0 + DAY + i * H, i < 2, first=True) for i in range(3)]
    (out,) = decide_outcomes([PendingPrediction("p", "o", D0, 0.8)], items, UTC, D0 + 3 * DAY)
    assert (out.status, out.reason, out.struggled) == (
        PredictionStatus.CONFIRMED,
        REASON_STUDIED,
        True,
    )
    assert out.study_date == (D0 + DAY).date()
    assert out.observation is not None and (out.observation.reviews, out.observation.again) == (
        3,
        2,
    )
    assert out.evidence is not None and out.evidence.rule == ENGINE_RULE
    # p below 0.5 and the same struggle: MISSED
    (low,) = decide_outcomes([PendingPrediction("p", "o", D0, 0.3)], items, UTC, D0 + 3 * DAY)
    assert low.status == PredictionStatus.MISSED


def test_a_study_day_that_is_not_over_waits() -> None:
    """At 15:00 on the study day nothing is recorded: more reviews may come that day."""
    items = [review("o", D0 + DAY + i * H, True) for i in range(3)]
    assert (
        decide_outcomes([PendingPrediction("p", "o", D0, 0.8)], items, UTC, D0 + DAY + 5 * H) == []
    )


def test_local_days_follow_the_learners_zone() -> None:
    """Reviews at 16:00–18:00 UTC fall on the next local day in Tokyo (01:00–03:00)."""
    items = [review("o", D0 + 6 * H + i * H, True) for i in range(3)]
    day, obs = first_study_day(items, D0, TOKYO, D0 + 3 * DAY) or (None, None)
    assert day == (D0 + DAY).date() and obs is not None and obs.reviews == 3
    assert first_study_day(items, D0, UTC, D0 + 3 * DAY) == (D0.date(), obs)


def test_evidence_rule_decides_on_the_third_again() -> None:
    """Baseline 0.9 (36/40 recalled elsewhere): each AGAIN adds ln(0.46/0.1) ≈ 1.526; the third
    takes the sum to 4.58 ≥ ln(0.95/0.01) ≈ 4.55, so the outcome is the day of the third."""
    evidence = [review("o", D0 + (i + 1) * DAY, True) for i in range(5)]
    items = sorted(baseline_reviews() + evidence, key=lambda i: i.at)
    (out,) = decide_outcomes([PendingPrediction("p", "o", D0, 0.7)], items, UTC, D0 + 10 * DAY)
    assert out.evidence is not None and out.evidence.rule == EVIDENCE_RULE
    decision = out.evidence.decision
    assert decision is not None and decision.decided_at == 2 and decision.again == 3
    assert decision.log_likelihood_ratio == pytest.approx(3 * math.log(0.46 / 0.1))
    assert out.study_date == (D0 + 3 * DAY).date() and out.struggled is True
    assert out.evidence.baseline.accuracy == pytest.approx(0.9)


def test_recalls_decide_no_struggle() -> None:
    """Each recall adds ln(0.54/0.9) ≈ −0.51; six take the sum below ln(0.05/0.99) ≈ −2.99."""
    evidence = [review("o", D0 + (i + 1) * DAY, False) for i in range(8)]
    items = sorted(baseline_reviews() + evidence, key=lambda i: i.at)
    (out,) = decide_outcomes([PendingPrediction("p", "o", D0, 0.7)], items, UTC, D0 + 12 * DAY)
    assert out.struggled is False and out.status == PredictionStatus.FALSE_POSITIVE
    assert out.evidence is not None and out.evidence.decision is not None
    assert out.evidence.decision.decided_at == 5


def test_older_prediction_of_the_same_study_day_is_superseded() -> None:
    """Two open predictions of o decided on the same day: the later records it."""
    items = [review("o", D0 + DAY + i * H, True) for i in range(3)]
    pending = [PendingPrediction("a", "o", D0, 0.8), PendingPrediction("b", "o", D0 + H, 0.6)]
    out = {r.prediction_id: r for r in decide_outcomes(pending, items, UTC, D0 + 3 * DAY)}
    assert (out["a"].status, out["a"].reason) == (PredictionStatus.DISMISSED, REASON_SUPERSEDED)
    assert out["a"].struggled is None
    assert (out["b"].status, out["b"].reason) == (PredictionStatus.CONFIRMED, REASON_STUDIED)


def test_undecided_predictions_are_dismissed_after_thirty_days() -> None:
    """Never studied → never_studied; studied without a verdict → inconclusive; younger → kept."""
    late = D0 + (NEVER_STUDIED_DISMISS_DAYS + 1) * DAY
    items = [review("studied", D0 + DAY, False)]  # one review: no study day, no baseline
    pending = [
        PendingPrediction("never", "quiet", D0, 0.8),
        PendingPrediction("some", "studied", D0, 0.8),
        PendingPrediction("young", "quiet", late - DAY, 0.8),
    ]
    out = {r.prediction_id: r for r in decide_outcomes(pending, items, UTC, late)}
    assert set(out) == {"never", "some"}
    assert (out["never"].status, out["never"].reason) == (
        PredictionStatus.DISMISSED,
        REASON_NEVER_STUDIED,
    )
    assert out["some"].reason == REASON_INCONCLUSIVE


def test_totals_count_non_first_reviews_and_answers_in_a_window() -> None:
    """window(since, until) is [since, until); first reviews are not counted."""
    items = [
        review("o", D0, True, first=True),
        review("o", D0 + H, True),
        review("o", D0 + 2 * H, False),
        answer("o", D0 + 3 * H, 0.5),
    ]
    totals = StudyTotals(items)
    assert totals.window(D0, D0 + 4 * H) == (2, 1, 1, 0.5)
    assert totals.window(D0 + H, D0 + 2 * H) == (1, 1, 0, 0.0)
    assert totals.window(D0 + 5 * H, D0 + 9 * H) == (0, 0, 0, 0.0)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(min_value=0, max_value=24 * 40),  # hours after D0
            st.booleans(),  # AGAIN
            st.booleans(),  # a card's first review
        ),
        max_size=60,
    )
)
def test_decisions_are_complete_and_never_in_the_future(
    rows: list[tuple[str, int, bool, bool]],
) -> None:
    """Every returned prediction is one of the pending; a recorded study day is complete and
    after the prediction; no prediction is both superseded and recorded."""
    items = sorted(
        (review(o, D0 + h * H, again, first) for o, h, again, first in rows), key=lambda i: i.at
    )
    pending = [PendingPrediction(f"p{o}{k}", o, D0 + k * DAY, 0.6) for o in "abc" for k in (0, 1)]
    now = D0 + 35 * DAY
    out = decide_outcomes(pending, items, UTC, now)
    ids = [r.prediction_id for r in out]
    assert len(ids) == len(set(ids)) and set(ids) <= {p.id for p in pending}
    by_id = {p.id: p for p in pending}
    for r in out:
        if r.reason == REASON_STUDIED:
            assert r.study_date is not None and r.struggled is not None
            assert r.study_date >= by_id[r.prediction_id].predicted_at.date()
            assert datetime.combine(r.study_date + timedelta(days=1), datetime.min.time()) <= now


def test_window_verdicts_judge_each_objective_against_the_others() -> None:
    """o (5 AGAINs) struggled against the 0.9 baseline of "other"; "thin" (4 items < 5) and
    "other" (its baseline, o and thin, has 9 reviews < 30) are left out."""
    since, until = D0 - 21 * DAY, D0 + 10 * DAY
    items = sorted(
        baseline_reviews()
        + [review("o", D0 + i * DAY, True) for i in range(5)]
        + [review("thin", D0 + i * H, False) for i in range(4)],
        key=lambda i: i.at,
    )
    verdicts = window_verdicts(items, since, until)
    assert verdicts == [True]
