"""Reviews keep their card's memory state current, whatever order they arrive in."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest

from tests.analysis.recall import fsrs_reference
from tests.ingest.factory import ALICE, fetch, snapshot
from twin.db.engine import Database
from twin.ingest.batch import ingest_batch
from twin.ingest.cardstate import ReviewInput, replay_card

pytestmark = pytest.mark.db

CARD_STATE = (
    'SELECT stability, difficulty, retrievability, "lastReviewedAt", "nextReviewAt", '
    '"reviewCount", "lapseCount" FROM cards WHERE id = :card'
)
REVIEW_STATE = (
    'SELECT id, "difficultyBefore", "difficultyAfter", "stabilityBefore", "stabilityAfter" '
    'FROM reviews WHERE "cardId" = :card ORDER BY "reviewedAt", id'
)
HISTORY = [  # (day, hour, rating) of one card
    (1, 8, "GOOD"),
    (3, 9, "AGAIN"),
    (4, 9, "GOOD"),
    (10, 20, "HARD"),
    (25, 7, "EASY"),
]


def _reviews(card: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{card}-r{i}",
            "cardId": card,
            "rating": rating,
            "timeSpentMs": 5000 + i,
            "reviewedAt": f"2024-05-{day:02d}T{hour:02d}:00:00Z",
        }
        for i, (day, hour, rating) in enumerate(HISTORY)
    ]


def _new_card(db: Database, card: str) -> None:
    ingest_batch(db, ALICE, "cards", [{"id": card, "courseId": "alice-course"}])


def test_reviews_set_the_card_state_from_fsrs(learners: Database) -> None:
    _new_card(learners, "k1")
    ingest_batch(learners, ALICE, "reviews", _reviews("k1"))
    expected = fsrs_reference.replay((datetime(2024, 5, d, h), r) for d, h, r in HISTORY)
    assert expected is not None
    [(stability, difficulty, retrievability, last, nxt, count, lapses)] = fetch(
        learners, CARD_STATE, card="k1"
    )
    assert stability == pytest.approx(expected.stability)
    assert difficulty == pytest.approx(expected.difficulty)
    assert (last, nxt, count, lapses) == (
        expected.last_review,
        expected.next_review,
        len(HISTORY),
        1,
    )
    # retrievability: the recall FSRS predicted at the last review, just before it
    before_last = fsrs_reference.replay((datetime(2024, 5, d, h), r) for d, h, r in HISTORY[:-1])
    assert retrievability == pytest.approx(
        fsrs_reference.recall_probability(before_last, datetime(2024, 5, 25, 7))
    )
    assert 0 < retrievability < 1
    rows = fetch(learners, REVIEW_STATE, card="k1")
    assert (rows[0][1], rows[0][3]) == (0.0, 0.0)  # nothing known before the first review
    for previous, current in itertools.pairwise(rows):
        assert current[1] == previous[2] and current[3] == previous[4]
    assert rows[-1][2] == pytest.approx(difficulty) and rows[-1][4] == pytest.approx(stability)


def test_out_of_order_split_and_resent_reviews_give_the_same_state(learners: Database) -> None:
    _new_card(learners, "in-order")
    _new_card(learners, "shuffled")
    ingest_batch(learners, ALICE, "reviews", _reviews("in-order"))
    shuffled = _reviews("shuffled")
    ingest_batch(learners, ALICE, "reviews", [shuffled[4], shuffled[1]])
    ingest_batch(learners, ALICE, "reviews", [shuffled[3], shuffled[0], shuffled[2]])
    ingest_batch(learners, ALICE, "reviews", list(reversed(shuffled)))
    assert fetch(learners, CARD_STATE, card="in-order") == fetch(
        learners, CARD_STATE, card="shuffled"
    )
    ordered = [r[1:] for r in fetch(learners, REVIEW_STATE, card="in-order")]
    assert ordered == [r[1:] for r in fetch(learners, REVIEW_STATE, card="shuffled")]
    before = snapshot(learners, ("cards", "reviews"))
    ingest_batch(learners, ALICE, "reviews", shuffled)
    assert snapshot(learners, ("cards", "reviews")) == before


def test_moving_a_review_to_another_card_recomputes_both(learners: Database) -> None:
    _new_card(learners, "from")
    _new_card(learners, "to")
    reviews = _reviews("from")
    ingest_batch(learners, ALICE, "reviews", reviews)
    moved = reviews[-1] | {"cardId": "to"}
    ingest_batch(learners, ALICE, "reviews", [moved])
    [from_state] = fetch(learners, CARD_STATE, card="from")
    [to_state] = fetch(learners, CARD_STATE, card="to")
    assert from_state[5] == len(HISTORY) - 1
    assert to_state[5] == 1 and to_state[2] == 0.0  # a first review predicts nothing


def test_replay_card_without_reviews_is_unreviewed() -> None:
    card, per_review = replay_card([])
    assert (card.review_count, card.last_reviewed_at, per_review) == (0, None, [])


def test_replay_ties_are_broken_by_review_id() -> None:
    at = datetime(2024, 1, 1, 9)
    a = replay_card([ReviewInput("b", at, "AGAIN"), ReviewInput("a", at, "GOOD")])
    b = replay_card([ReviewInput("a", at, "GOOD"), ReviewInput("b", at, "AGAIN")])
    assert a == b
