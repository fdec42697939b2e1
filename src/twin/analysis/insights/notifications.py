"""In-app notifications (ENGINE.md 5.6): which events notify, with what text, and their dedup key.

Each draft maps onto one ``insight_notifications`` row. The table has no key column, so
an event's identity is the triple the row already carries —
``(notificationType, relatedEntityType, relatedEntityId)`` — and ``dedup_key`` is that
triple joined by ``:``. The service inserts a draft only when no row with the same triple
exists for the learner; one event therefore never gives two rows, however often a job
re-runs.

Events and their identity:

- a pattern reaching confidence ≥ 0.7 → NEW_PATTERN, (pattern, pattern id): once per
  stored pattern, even if its confidence later dips and climbs back;
- a new recommendation → RECOMMENDATION_AVAILABLE, (recommendation, id);
- a goal set → GOAL_CREATED; 25 / 50 / 75% → GOAL_PROGRESS_25/50/75; completion →
  GOAL_ACHIEVED, each (goal, goal id); expiry → NEW_INSIGHT (the enum has no
  "goal expired"), (goal_expiry, goal id), asking what got in the way;
- burnout entering HIGH or CRITICAL (the previous assessment was lower) →
  INTERVENTION_SUGGESTED, (burnout_assessment, assessment id): a learner who stays at
  HIGH is not told again every day, one who rises to CRITICAL is;
- a struggle alert (5.2: p ≥ 0.7, due within 3 days, top 3) → INTERVENTION_SUGGESTED,
  (struggle_prediction, prediction id).

Priorities: burnout HIGH/CRITICAL and struggle alerts with priority ≥ 70 → HIGH; goal
achieved, expiry, new patterns and recommendations with priority ≥ 0.75 → NORMAL;
milestones, goal creation and other recommendations → LOW.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twin.analysis.insights.common import SourceKind
from twin.analysis.insights.goals import ExpiryPrompt
from twin.enums import BurnoutRiskLevel, NotificationPriority, NotificationType

NEW_PATTERN_MIN_CONFIDENCE = 0.7
RECOMMENDATION_NORMAL_FROM = 0.75  # priority score from which a new recommendation is NORMAL
STRUGGLE_ALERT_HIGH_FROM = 70.0  # 5.2 alert priority (0–100) from which the alert is HIGH
BURNOUT_ALERT_LEVELS = (BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL)
GOAL_EXPIRY_ENTITY = "goal_expiry"
GOAL_EXPIRY_TYPE = NotificationType.NEW_INSIGHT
MILESTONE_TYPES: dict[float, NotificationType] = {
    0.25: NotificationType.GOAL_PROGRESS_25,
    0.50: NotificationType.GOAL_PROGRESS_50,
    0.75: NotificationType.GOAL_PROGRESS_75,
}
_BURNOUT_RANK: dict[BurnoutRiskLevel, int] = {
    BurnoutRiskLevel.LOW: 0,
    BurnoutRiskLevel.MEDIUM: 1,
    BurnoutRiskLevel.HIGH: 2,
    BurnoutRiskLevel.CRITICAL: 3,
}


@dataclass(frozen=True)
class NotificationDraft:
    """One notification to insert (unless a row with the same dedup triple exists)."""

    notification_type: NotificationType
    priority: NotificationPriority
    title: str
    message: str
    related_entity_type: str
    related_entity_id: str

    @property
    def dedup_key(self) -> str:
        """``"<notificationType>:<relatedEntityType>:<relatedEntityId>"``: the event's identity."""
        return dedup_key(self.notification_type, self.related_entity_type, self.related_entity_id)

    def to_row(self) -> dict[str, object]:
        """Column name → value for ``insight_notifications``."""
        return {
            "notificationType": self.notification_type,
            "priority": self.priority,
            "title": self.title,
            "message": self.message,
            "relatedEntityType": self.related_entity_type,
            "relatedEntityId": self.related_entity_id,
        }


def dedup_key(notification_type: NotificationType, entity_type: str, entity_id: str) -> str:
    """The identity of one event, from the columns every notification row has."""
    return f"{notification_type}:{entity_type}:{entity_id}"


def new_pattern(pattern_id: str, name: str, confidence: float) -> NotificationDraft | None:
    """A pattern at confidence ≥ 0.7 (None below)."""
    if confidence < NEW_PATTERN_MIN_CONFIDENCE:
        return None
    return NotificationDraft(
        NotificationType.NEW_PATTERN,
        NotificationPriority.NORMAL,
        "Your twin found a pattern",
        f"{name} (confidence {confidence:.0%}). Open your patterns to see the evidence.",
        str(SourceKind.PATTERN),
        pattern_id,
    )


def new_recommendation(
    recommendation_id: str, title: str, priority_score: float
) -> NotificationDraft:
    """A new recommendation; NORMAL from priority 0.75, else LOW."""
    return NotificationDraft(
        NotificationType.RECOMMENDATION_AVAILABLE,
        NotificationPriority.NORMAL
        if priority_score >= RECOMMENDATION_NORMAL_FROM
        else NotificationPriority.LOW,
        "New recommendation",
        title,
        str(SourceKind.RECOMMENDATION),
        recommendation_id,
    )


def goal_created(goal_id: str, title: str, deadline_text: str) -> NotificationDraft:
    """A goal was set."""
    return NotificationDraft(
        NotificationType.GOAL_CREATED,
        NotificationPriority.LOW,
        "Goal set",
        f"'{title}' — deadline {deadline_text}. Progress is measured from your study data each day.",
        str(SourceKind.GOAL),
        goal_id,
    )


def goal_progress(
    goal_id: str,
    title: str,
    milestones: Sequence[float],
    achieved: bool,
    value_text: str,
) -> list[NotificationDraft]:
    """One draft per milestone reached and one for completion (as decided by ``goals.update_goal``)."""
    out = [
        NotificationDraft(
            MILESTONE_TYPES[m],
            NotificationPriority.LOW,
            f"{m:.0%} of the way",
            f"'{title}': {m:.0%} of the way to your target ({value_text}).",
            str(SourceKind.GOAL),
            goal_id,
        )
        for m in milestones
    ]
    if achieved:
        out.append(
            NotificationDraft(
                NotificationType.GOAL_ACHIEVED,
                NotificationPriority.NORMAL,
                "Goal achieved",
                f"You reached '{title}' ({value_text}).",
                str(SourceKind.GOAL),
                goal_id,
            )
        )
    return out


def goal_expired(goal_id: str, prompt: ExpiryPrompt) -> NotificationDraft:
    """A goal passed its deadline: ask what got in the way."""
    return NotificationDraft(
        GOAL_EXPIRY_TYPE,
        NotificationPriority.NORMAL,
        "A goal reached its deadline",
        prompt.question,
        GOAL_EXPIRY_ENTITY,
        goal_id,
    )


def burnout_alert(
    assessment_id: str,
    level: BurnoutRiskLevel,
    risk_score: float,
    previous_level: BurnoutRiskLevel | None,
    advice: Sequence[str] = (),
) -> NotificationDraft | None:
    """An alert when the risk enters HIGH or CRITICAL (from a lower level or no assessment)."""
    if level not in BURNOUT_ALERT_LEVELS:
        return None
    if previous_level is not None and _BURNOUT_RANK[previous_level] >= _BURNOUT_RANK[level]:
        return None
    first = f" {advice[0]}" if advice else ""
    return NotificationDraft(
        NotificationType.INTERVENTION_SUGGESTED,
        NotificationPriority.HIGH,
        f"Burnout risk {level.lower()}",
        f"Your burnout risk is {level} ({risk_score:.0f}/100 over the last 14 days).{first}",
        str(SourceKind.BURNOUT_ASSESSMENT),
        assessment_id,
    )


def struggle_alert(
    prediction_id: str, objective_name: str, probability: float, priority: float, due_text: str
) -> NotificationDraft:
    """A 5.2 struggle alert (the caller passes only the alerts ``alerts_for`` kept)."""
    return NotificationDraft(
        NotificationType.INTERVENTION_SUGGESTED,
        NotificationPriority.HIGH
        if priority >= STRUGGLE_ALERT_HIGH_FROM
        else NotificationPriority.NORMAL,
        f"Heads-up: {objective_name}",
        f"You may struggle with {objective_name} (probability {probability:.0%}), due {due_text}. "
        "See the suggested preparation.",
        str(SourceKind.STRUGGLE_PREDICTION),
        prediction_id,
    )


def deduplicate(
    drafts: Sequence[NotificationDraft], existing_keys: set[str] | frozenset[str] = frozenset()
) -> list[NotificationDraft]:
    """Drafts whose event has no row yet, each event once (first draft wins), order kept."""
    seen = set(existing_keys)
    out = []
    for d in drafts:
        if d.dedup_key in seen:
            continue
        seen.add(d.dedup_key)
        out.append(d)
    return out
