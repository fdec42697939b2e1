"""Contexts and candidates of struggle prediction, from loaded values (no database).

The golden values come from the hand-built learner (tests/analysis/struggle/hand_learner.py,
computed by hand there); the same learner in the database gives the same contexts
(tests/services/struggle/test_predictions.py), so these check the computation and those the
loading.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analysis.struggle.hand_learner import DAY, T, golden_context_values, hand_learner
from twin.analysis.struggle.contexts import (
    ABILITY_HIGH,
    ABILITY_LOW,
    SOURCE_EXAM,
    SOURCE_MISSION,
    SOURCE_WEAKEST,
    ValidationFacts,
    candidates,
    content_mismatch,
    learner_ability,
    mission_objective_ids,
    objective_contexts,
    pending_as_of,
)
from twin.analysis.struggle.features import build_features

U = "u"


def test_golden_context_of_the_hand_built_learner() -> None:
    """Every field of oT's context equals the hand calculation."""
    ctx = objective_contexts(hand_learner(U), [f"{U}-oT"])[f"{U}-oT"]
    for name, want in golden_context_values().items():
        got = getattr(ctx, name)
        if isinstance(want, tuple | float):
            assert got == pytest.approx(want), name
        else:
            assert got == want, name


def test_unknown_objectives_are_left_out_and_ids_deduplicated() -> None:
    """Ids that are not the learner's give no context; repeats give one."""
    out = objective_contexts(hand_learner(U), [f"{U}-oT", "elsewhere", f"{U}-oT"])
    assert list(out) == [f"{U}-oT"]


def test_without_a_profile_the_content_mismatch_is_unknown() -> None:
    """No preferences analysed before now → the mismatch is not measured."""
    ctx = objective_contexts(hand_learner(U, profile=False), [f"{U}-oT"])[f"{U}-oT"]
    assert ctx.content_type_mismatch is None


def test_candidates_missions_exams_weakest() -> None:
    """Missions pending at T first, then exams; F (uploaded after T) never; ties by source, id."""
    got = [(c.objectiveId, c.dueAt, c.source, c.sourceId) for c in candidates(hand_learner(U), 14)]
    assert got == [
        (f"{U}-oT", T + DAY, SOURCE_MISSION, f"{U}-m2"),
        (f"{U}-oP1", T + 2 * DAY, SOURCE_MISSION, f"{U}-m3"),
        (f"{U}-oX", T + 5 * DAY, SOURCE_EXAM, f"{U}-x2"),
        (f"{U}-oP2", T + 10 * DAY, SOURCE_EXAM, f"{U}-x1"),
        (f"{U}-oP3", T + 10 * DAY, SOURCE_EXAM, f"{U}-x1"),
    ]


def test_weakest_fill_in_without_missions_or_exams() -> None:
    """No mission, no exam in 3 days: the objectives with reviewed cards, lowest recall first."""
    data = dataclasses.replace(hand_learner(U), missions=[])
    got = [(c.objectiveId, c.source, c.dueAt) for c in candidates(data, 3)]
    assert got == [
        (f"{U}-oP1", SOURCE_WEAKEST, T + 3 * DAY),
        (f"{U}-oT", SOURCE_WEAKEST, T + 3 * DAY),
    ]


def test_pending_as_of_a_past_date() -> None:
    """A mission completed or started at or after now was still pending then; SKIPPED never."""
    assert pending_as_of("PENDING", None, None, T)
    assert pending_as_of("COMPLETED", T + DAY, None, T)
    assert pending_as_of("IN_PROGRESS", None, T, T)
    assert not pending_as_of("COMPLETED", T - DAY, None, T)
    assert not pending_as_of("SKIPPED", None, None, T)


def test_mission_objective_ids_reads_both_entry_shapes() -> None:
    """Entries are dicts with objectiveId or plain ids; anything else is skipped."""
    entries = [{"objectiveId": "a"}, "b", {"other": 1}, 3]
    assert mission_objective_ids(entries) == ["a", "b"]
    assert mission_objective_ids(None) == []


@settings(max_examples=80, deadline=None)
@given(scores=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=5, max_size=30))
def test_ability_is_bounded_and_monotone(scores: list[float]) -> None:
    """Ability lies in [BASIC, ADVANCED] and never falls when every score rises."""
    base = dataclasses.replace(
        hand_learner(U), validations=[ValidationFacts(None, s, T - DAY) for s in scores]
    )
    higher = dataclasses.replace(
        base, validations=[ValidationFacts(None, min(1.0, s + 0.1), T - DAY) for s in scores]
    )
    a, b = learner_ability(base), learner_ability(higher)
    assert a is not None and b is not None
    # 0.3 + 0.6·1 is 0.9000000000000001 in floating point: bounds hold to rounding.
    assert ABILITY_LOW - 1e-12 <= a <= b + 1e-12 <= ABILITY_HIGH + 2e-12


def test_ability_needs_five_answers() -> None:
    """Four validation answers say nothing about ability (unknown, not low)."""
    data = dataclasses.replace(
        hand_learner(U), validations=[ValidationFacts(None, 1.0, T - DAY)] * 4
    )
    assert learner_ability(data) is None


@settings(max_examples=80, deadline=None)
@given(
    counts=st.dictionaries(
        st.sampled_from(["flashcard", "clinical_reasoning", "lecture"]),
        st.integers(min_value=0, max_value=20),
        min_size=1,
    ),
    prefs=st.dictionaries(
        st.sampled_from(["flashcard", "clinical_reasoning", "lecture", "validation"]),
        st.floats(min_value=0.0, max_value=1.0),
        min_size=1,
    ),
)
def test_content_mismatch_is_a_share(counts: dict[str, int], prefs: dict[str, float]) -> None:
    """The mismatch is unknown or in [0, 1]; content all in the preferred type has none."""
    m = content_mismatch(counts, prefs)
    assert m is None or 0.0 <= m <= 1.0
    best = max(prefs, key=lambda k: prefs[k])
    if prefs[best] > 0:
        assert content_mismatch({best: 3}, prefs) == 0.0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_features_do_not_depend_on_row_order(seed: int) -> None:
    """Shuffling the loaded rows (cards, validations, missions) changes no feature or candidate."""
    data = hand_learner(U)
    rng = random.Random(seed)
    shuffled = dataclasses.replace(
        data,
        cards=rng.sample(list(data.cards), len(data.cards)),
        validations=rng.sample(list(data.validations), len(data.validations)),
        missions=rng.sample(list(data.missions), len(data.missions)),
    )
    ids = list(data.objectives)
    mine, theirs = objective_contexts(shuffled, ids), objective_contexts(data, ids)
    assert mine.keys() == theirs.keys()
    for oid in ids:
        # Card order is the database's (unordered): only the features built from it count.
        a, b = build_features(mine[oid]).as_dict(), build_features(theirs[oid]).as_dict()
        assert a == pytest.approx(b, rel=1e-12), oid
    assert candidates(shuffled, 14) == candidates(data, 14)


@settings(max_examples=30, deadline=None)
@given(days_ahead=st.integers(min_value=1, max_value=30))
def test_candidates_are_due_within_the_horizon_and_available(days_ahead: int) -> None:
    """Every candidate is the learner's, uploaded before now, due in [now, now + days_ahead]."""
    data = hand_learner(U)
    for c in candidates(data, days_ahead):
        info = data.objectives[c.objectiveId]
        assert info.uploaded_at < T
        assert T <= c.dueAt <= T + timedelta(days=days_ahead)
