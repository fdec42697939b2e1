"""Notifications: which events notify, their dedup keys, priorities, and that no event repeats."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.insights.goals import ExpiryPrompt
from twin.analysis.insights.notifications import (
    NotificationDraft,
    burnout_alert,
    dedup_key,
    deduplicate,
    goal_created,
    goal_expired,
    goal_progress,
    new_pattern,
    new_recommendation,
    struggle_alert,
)
from twin.db.models.insights import InsightNotification
from twin.enums import BurnoutRiskLevel, NotificationPriority, NotificationType

BL = BurnoutRiskLevel


def test_dedup_key_is_the_row_triple() -> None:
    """type:entityType:entityId — columns every notification row already has."""
    d = new_pattern("p-1", "Best study time 07:00", 0.82)
    assert d is not None
    assert d.dedup_key == "NEW_PATTERN:pattern:p-1"
    assert d.dedup_key == dedup_key(
        NotificationType(d.to_row()["notificationType"]),
        str(d.to_row()["relatedEntityType"]),
        str(d.to_row()["relatedEntityId"]),
    )
    assert set(d.to_row()) <= {c.name for c in InsightNotification.__table__.columns}
    assert "82%" in d.message


def test_new_pattern_only_from_0_7() -> None:
    """0.69 is not news; 0.7 is."""
    assert new_pattern("p", "n", 0.69) is None
    d = new_pattern("p", "n", 0.7)
    assert d is not None and d.priority is NotificationPriority.NORMAL


def test_recommendation_priority() -> None:
    """Priority score ≥ 0.75 → NORMAL, else LOW."""
    assert new_recommendation("r", "t", 0.75).priority is NotificationPriority.NORMAL
    assert new_recommendation("r", "t", 0.7499).priority is NotificationPriority.LOW
    assert (
        new_recommendation("r", "t", 0.8).dedup_key == "RECOMMENDATION_AVAILABLE:recommendation:r"
    )


def test_goal_events_have_one_key_each() -> None:
    """25/50/75 and achieved are four different events of one goal; expiry asks the question."""
    drafts = goal_progress("g", "Study in your best hours", (0.25, 0.5, 0.75), True, "5 sessions")
    assert [d.notification_type for d in drafts] == [
        NotificationType.GOAL_PROGRESS_25,
        NotificationType.GOAL_PROGRESS_50,
        NotificationType.GOAL_PROGRESS_75,
        NotificationType.GOAL_ACHIEVED,
    ]
    assert len({d.dedup_key for d in drafts}) == 4
    assert drafts[0].title == "25% of the way"
    created = goal_created("g", "Study in your best hours", "2026-04-09")
    assert created.dedup_key == "GOAL_CREATED:goal:g"
    expired = goal_expired("g", ExpiryPrompt("What got in the way?", ("Time",)))
    assert expired.message == "What got in the way?"
    assert expired.dedup_key not in {d.dedup_key for d in drafts}


def test_burnout_alert_on_entering_high_or_critical_only() -> None:
    """Entering HIGH (from below or no assessment) or rising to CRITICAL alerts; staying does not."""
    assert burnout_alert("a", BL.HIGH, 55, None) is not None
    assert burnout_alert("a", BL.HIGH, 55, BL.MEDIUM) is not None
    assert burnout_alert("a", BL.CRITICAL, 80, BL.HIGH) is not None
    assert burnout_alert("a", BL.HIGH, 60, BL.HIGH) is None
    assert burnout_alert("a", BL.HIGH, 60, BL.CRITICAL) is None
    assert burnout_alert("a", BL.MEDIUM, 40, BL.LOW) is None
    d = burnout_alert("a-9", BL.HIGH, 55.4, BL.LOW, ("Take a rest day within the next 48 hours.",))
    assert d is not None
    assert d.priority is NotificationPriority.HIGH
    assert d.dedup_key == "INTERVENTION_SUGGESTED:burnout_assessment:a-9"
    assert "55/100" in d.message and "rest day" in d.message


def test_struggle_alert_priority_band() -> None:
    """5.2 alert priority ≥ 70 → HIGH, else NORMAL; one event per prediction."""
    high = struggle_alert("pr-1", "Renal physiology", 0.82, 74.0, "in 2 days")
    assert high.priority is NotificationPriority.HIGH
    assert (
        struggle_alert("pr-1", "Renal physiology", 0.82, 60.0, "in 2 days").priority
        is NotificationPriority.NORMAL
    )
    assert high.dedup_key == "INTERVENTION_SUGGESTED:struggle_prediction:pr-1"


def test_deduplicate_golden() -> None:
    """An event already stored, or repeated in the batch, is dropped; order kept."""
    a = new_recommendation("r1", "t", 0.8)
    b = new_recommendation("r2", "t", 0.8)
    c = new_recommendation("r3", "t", 0.8)
    out = deduplicate([a, b, a, c, b], {c.dedup_key})
    assert out == [a, b]


_drafts = st.builds(
    NotificationDraft,
    st.sampled_from(list(NotificationType)),
    st.sampled_from(list(NotificationPriority)),
    st.just("t"),
    st.just("m"),
    st.sampled_from(["goal", "pattern", "recommendation"]),
    st.sampled_from(["1", "2", "3"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_drafts, max_size=30), st.lists(_drafts, max_size=5))
def test_no_event_is_ever_stored_twice(
    drafts: list[NotificationDraft], stored: list[NotificationDraft]
) -> None:
    """Running the dedup over any batch, then again over its output, never yields a stored or repeated key."""
    existing = {d.dedup_key for d in stored}
    first = deduplicate(drafts, existing)
    keys = [d.dedup_key for d in first]
    assert len(keys) == len(set(keys)) and not set(keys) & existing
    assert deduplicate(drafts, existing | set(keys)) == []
    assert {d.dedup_key for d in drafts} - existing == set(keys)
