"""Levels, preferences and the scope of personalization at a given moment."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.preferences import (
    CONTEXT_FEATURES,
    DEFAULT_PREFERENCES,
    FEATURE_MIN_LEVEL,
    MIN_CONFIDENCE_BY_LEVEL,
    PersonalizationFeature,
    Preferences,
    level_features,
    parse_features,
    personalization_scope,
)
from twin.enums import PersonalizationContext, PersonalizationLevel

F = PersonalizationFeature
L = PersonalizationLevel
C = PersonalizationContext
NOW = datetime(2026, 3, 2, 10, 0)


def test_level_thresholds_are_engine_md() -> None:
    """ENGINE.md 5.5: LOW ≥ 0.85, MEDIUM ≥ 0.7, HIGH ≥ 0.6."""
    assert MIN_CONFIDENCE_BY_LEVEL == {L.LOW: 0.85, L.MEDIUM: 0.7, L.HIGH: 0.6}


def test_levels_add_features_in_order() -> None:
    """NONE nothing; LOW timing and duration; MEDIUM + content and assessment; HIGH + load."""
    assert level_features(L.NONE) == frozenset()
    assert level_features(L.LOW) == {F.TIMING, F.DURATION, F.BREAKS}
    medium = level_features(L.MEDIUM)
    assert level_features(L.LOW) < medium
    assert {F.CONTENT_MIX, F.ASSESSMENT_FREQUENCY, F.ASSESSMENT_DIFFICULTY} <= medium
    assert F.LOAD_ADJUSTMENT not in medium
    assert level_features(L.HIGH) == medium | {F.LOAD_ADJUSTMENT}
    assert set(FEATURE_MIN_LEVEL) == set(F)


def test_default_preferences_match_the_seed_defaults() -> None:
    """The seed's column defaults: MEDIUM, every toggle on, auto-adapt on, nothing disabled."""
    p = DEFAULT_PREFERENCES
    assert p.level is L.MEDIUM and p.auto_adapt and not p.disabled_features
    assert all(p.context_enabled(c) for c in C)
    assert p.to_json()["personalizationLevel"] == "MEDIUM"


def test_paused_gives_defaults_and_says_so() -> None:
    """Paused until tomorrow: effective NONE, nothing personalized, the reason names the date."""
    until = NOW + timedelta(days=1)
    scope = personalization_scope(Preferences(level=L.HIGH, paused_until=until), C.MISSION, NOW)
    assert scope.paused and not scope.personalized
    assert scope.effective_level is L.NONE and scope.level is L.HIGH
    assert scope.min_confidence is None
    assert any("paused until 2026-03-03" in r and "defaults" in r for r in scope.reasons)


def test_pause_ends_at_its_date() -> None:
    """At the pause's end personalization is back."""
    scope = personalization_scope(Preferences(paused_until=NOW), C.MISSION, NOW)
    assert not scope.paused and scope.personalized


def test_context_toggle_off() -> None:
    """A context switched off gets defaults, the others are untouched."""
    prefs = Preferences(content_enabled=False)
    off = personalization_scope(prefs, C.CONTENT, NOW)
    assert not off.personalized and "CONTENT personalization is switched off" in off.reasons[0]
    assert personalization_scope(prefs, C.MISSION, NOW).personalized


def test_level_none_says_engine_defaults() -> None:
    """NONE: defaults, and the reason says so."""
    scope = personalization_scope(Preferences(level=L.NONE), C.SESSION, NOW)
    assert not scope.personalized
    assert scope.reasons == ("personalization level NONE: engine defaults",)


def test_low_level_content_is_defaults() -> None:
    """At LOW, CONTENT and ASSESSMENT have nothing to personalize: engine defaults."""
    for ctx in (C.CONTENT, C.ASSESSMENT):
        scope = personalization_scope(Preferences(level=L.LOW), ctx, NOW)
        assert not scope.personalized and scope.min_confidence is None
        assert any("engine defaults" in r for r in scope.reasons)
    mission = personalization_scope(Preferences(level=L.LOW), C.MISSION, NOW)
    assert mission.features == {F.TIMING, F.DURATION}
    assert mission.min_confidence == 0.85


def test_disabled_features_are_removed_and_named() -> None:
    """A feature switched off is not personalized, and the reasons list it."""
    prefs = Preferences(level=L.HIGH, disabled_features=frozenset({F.TIMING}))
    scope = personalization_scope(prefs, C.MISSION, NOW)
    assert F.TIMING not in scope.features and F.DURATION in scope.features
    assert any("switched off by the learner: TIMING" in r for r in scope.reasons)


def test_parse_features_names_the_field() -> None:
    """Unknown feature names are a bad request naming the field."""
    assert parse_features("disabledFeatures", ["TIMING", "BREAKS"]) == {F.TIMING, F.BREAKS}
    with pytest.raises(InvalidParameter) as err:
        parse_features("disabledFeatures", ["TIMING", "teleport"])
    assert err.value.field == "disabledFeatures" and "teleport" in err.value.reason


@given(
    level=st.sampled_from(list(L)),
    context=st.sampled_from(list(C)),
    disabled=st.frozensets(st.sampled_from(list(F))),
    toggles=st.lists(st.booleans(), min_size=4, max_size=4),
    paused_days=st.one_of(st.none(), st.integers(-3, 3)),
)
def test_scope_never_exceeds_level_context_or_switches(
    level: PersonalizationLevel,
    context: PersonalizationContext,
    disabled: frozenset[PersonalizationFeature],
    toggles: list[bool],
    paused_days: int | None,
) -> None:
    """Features ⊆ level ∩ context − disabled; empty when paused or switched off."""
    prefs = Preferences(
        level=level,
        mission_enabled=toggles[0],
        content_enabled=toggles[1],
        assessment_enabled=toggles[2],
        session_enabled=toggles[3],
        disabled_features=disabled,
        paused_until=None if paused_days is None else NOW + timedelta(days=paused_days),
    )
    scope = personalization_scope(prefs, context, NOW)
    assert scope.features <= level_features(level) & CONTEXT_FEATURES[context]
    assert not (scope.features & disabled)
    if scope.paused or not prefs.context_enabled(context):
        assert not scope.features
    assert scope.reasons
