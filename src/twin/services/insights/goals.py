"""Behavioral goals (ENGINE.md 5.6): suggestions, creation, listing, edits and the daily progress.

Progress is *computed from the data* (:func:`twin.analysis.insights.goals.update_goal` on
the learner's completed sessions, :func:`~twin.services.insights.common.goal_sessions`, and
the fitted half-life) by the daily run, appended to ``progressHistory``; milestones
25 / 50 / 75 % and completion notify once (the history's high-water mark decides, and the
notification's dedup triple guards a re-run); an expired goal (status ABANDONED, note
``expired``) asks what got in the way, answered with ``PATCH …/goals/{id}``
``{"expiryReason": …}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData, aware_utc, naive_utc
from twin.analysis.insights import goals as analysis
from twin.analysis.insights import notifications as drafts
from twin.analysis.insights.goals import (
    EXPIRED_NOTE,
    GoalContext,
    GoalData,
    GoalRequest,
    GoalState,
    GoalSuggestion,
    ProgressEntry,
    ValidGoal,
)
from twin.db.base import new_id
from twin.db.models import BehavioralGoal
from twin.enums import BehavioralGoalType, BehavioralPatternType, GoalStatus
from twin.errors import Conflict, NotFound, ValidationFailed
from twin.learners import Learner, analysis_learner
from twin.services.insights.common import (
    fitted_half_life,
    goal_sessions,
    lock_insights,
    pattern_signals,
)
from twin.services.insights.notifications import notify

MAX_TITLE_CHARS = 200
MAX_REASON_CHARS = 500
EXPIRY_REASON_NOTE = "what got in the way: "
ABANDONED_NOTE = "abandoned"


@dataclass(frozen=True)
class GoalView:
    """A goal as the learner reads it (``history`` only in the one-goal view)."""

    id: str
    goal_type: BehavioralGoalType
    title: str
    description: str
    target_metric: str
    target_value: float
    current_value: float
    progress: float
    status: GoalStatus
    deadline: datetime
    created_at: datetime
    completed_at: datetime | None
    expired: bool
    history: tuple[ProgressEntry, ...] = ()
    expiry_question: str | None = None
    expiry_options: tuple[str, ...] = ()


def _history(row: BehavioralGoal) -> tuple[ProgressEntry, ...]:
    return tuple(
        ProgressEntry.from_json(e) for e in (row.progressHistory or []) if isinstance(e, dict)
    )


def goal_view(row: BehavioralGoal, *, with_history: bool = False) -> GoalView:
    """The view of a stored goal."""
    history = _history(row)
    expired = row.status is GoalStatus.ABANDONED and any(e.note == EXPIRED_NOTE for e in history)
    progress = history[-1].progress if history else 0.0
    prompt = (
        analysis.expiry_prompt(row.title, progress, analysis.best_progress(history))
        if expired
        else None
    )
    return GoalView(
        id=row.id,
        goal_type=row.goalType,
        title=row.title,
        description=row.description,
        target_metric=row.targetMetric,
        target_value=row.targetValue,
        current_value=row.currentValue,
        progress=progress,
        status=row.status,
        deadline=row.deadline,
        created_at=row.createdAt,
        completed_at=row.completedAt,
        expired=expired,
        history=history if with_history else (),
        expiry_question=None if prompt is None else prompt.question,
        expiry_options=() if prompt is None else prompt.options,
    )


def goal_data(session: Session, learner: Learner, since: datetime, until: datetime) -> GoalData:
    """Completed sessions in [since, until) and the fitted half-life."""
    return GoalData(
        sessions=goal_sessions(session, learner.user_id, learner.zone, since, until),
        half_life_days=fitted_half_life(session, learner.user_id),
    )


def _context(session: Session, learner: Learner) -> GoalContext:
    """The optimal window and duration from the learner's strongest patterns."""
    window: tuple[int, int] | None = None
    minutes: int | None = None
    for p in sorted(pattern_signals(session, learner.user_id), key=lambda p: -p.confidence):
        d = p.data
        if p.pattern_type is BehavioralPatternType.OPTIMAL_STUDY_TIME and window is None:
            start, end = d.get("windowStartHour"), d.get("windowEndHour")
            if isinstance(start, int) and isinstance(end, int):
                window = (start % 24, end % 24 or 24)
        if p.pattern_type is BehavioralPatternType.SESSION_DURATION_PREFERENCE and minutes is None:
            m = d.get("optimalDurationMinutes")
            if isinstance(m, int | float) and m > 0:
                minutes = round(m)
    if minutes is None and learner.optimal_session_minutes is not None:
        minutes = round(learner.optimal_session_minutes)
    return GoalContext(optimal_window=window, optimal_session_minutes=minutes)


def _active_types(session: Session, user_id: str) -> set[BehavioralGoalType]:
    return set(
        session.scalars(
            sa.select(BehavioralGoal.goalType).where(
                BehavioralGoal.userId == user_id, BehavioralGoal.status == GoalStatus.ACTIVE
            )
        )
    )


def suggestions(session: Session, user_id: str, now: datetime) -> list[GoalSuggestion]:
    """At most 3 goals suggested from patterns with confidence ≥ 0.6 (none already active)."""
    learner = analysis_learner(session, user_id)
    now = aware_utc(now)
    data = goal_data(session, learner, now - timedelta(days=analysis.SHARE_WINDOW_DAYS), now)
    return analysis.suggest_goals(
        pattern_signals(session, user_id, min_confidence=analysis.SUGGESTION_MIN_CONFIDENCE),
        data,
        now=now,
        active_goal_types=_active_types(session, user_id),
    )


def create_goal(session: Session, user_id: str, request: GoalRequest, now: datetime) -> GoalView:
    """Validate and store a goal with its starting value; 422 naming every bad field, nothing written."""
    learner = analysis_learner(session, user_id)
    now = aware_utc(now)
    valid = analysis.validate_goal(request, now=now, context=_context(session, learner))
    if not isinstance(valid, ValidGoal):
        raise ValidationFailed(
            "invalid goal: " + "; ".join(f"{e.field}: {e.reason}" for e in valid),
            details=[{"index": None, "field": e.field, "reason": e.reason} for e in valid],
        )
    lock_insights(session, user_id)
    data = goal_data(session, learner, now - timedelta(days=analysis.SHARE_WINDOW_DAYS), now)
    entry = analysis.creation_entry(valid, data, now=now)
    row = BehavioralGoal(
        id=new_id(),
        userId=user_id,
        goalType=valid.goal_type,
        title=valid.title,
        description=valid.description,
        targetMetric=str(valid.metric),
        currentValue=entry.value if entry.value is not None else 0.0,
        targetValue=valid.target_value,
        deadline=naive_utc(valid.deadline),
        status=GoalStatus.ACTIVE,
        progressHistory=[entry.to_json()],
        createdAt=naive_utc(now),
        updatedAt=naive_utc(now),
    )
    session.add(row)
    session.flush()
    notify(
        session,
        user_id,
        [drafts.goal_created(row.id, row.title, f"{valid.deadline:%Y-%m-%d}")],
        now,
    )
    return goal_view(row, with_history=True)


def list_goals(
    session: Session, user_id: str, status: GoalStatus | None = None, *, checked: bool = False
) -> list[GoalView]:
    """The learner's goals (optionally of one status), nearest deadline first."""
    if not checked:
        analysis_learner(session, user_id)
    query = sa.select(BehavioralGoal).where(BehavioralGoal.userId == user_id)
    if status is not None:
        query = query.where(BehavioralGoal.status == status)
    rows = session.scalars(query.order_by(BehavioralGoal.deadline, BehavioralGoal.id))
    return [goal_view(r) for r in rows]


def _goal(session: Session, user_id: str, goal_id: str) -> BehavioralGoal:
    row = session.scalar(
        sa.select(BehavioralGoal).where(
            BehavioralGoal.userId == user_id, BehavioralGoal.id == goal_id
        )
    )
    if row is None:
        raise NotFound(f"learner {user_id!r} has no goal {goal_id!r}")
    return row


def get_goal(session: Session, user_id: str, goal_id: str) -> GoalView:
    """One goal with its progress history."""
    analysis_learner(session, user_id)
    return goal_view(_goal(session, user_id, goal_id), with_history=True)


def _field_error(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"invalid goal update: {field}: {reason}",
        details=[{"index": None, "field": field, "reason": reason}],
    )


def update_goal_fields(
    session: Session,
    user_id: str,
    goal_id: str,
    now: datetime,
    *,
    title: str | None = None,
    abandon: bool = False,
    expiry_reason: str | None = None,
) -> GoalView:
    """Edit the title, abandon an active goal, or answer an expired goal's question."""
    analysis_learner(session, user_id)
    lock_insights(session, user_id)
    row = _goal(session, user_id, goal_id)
    view = goal_view(row)
    if title is not None and not title.strip():
        raise _field_error("title", "must not be blank")
    if abandon and row.status is not GoalStatus.ACTIVE:
        raise Conflict(
            f"goal {goal_id!r} is {row.status.value}: only an ACTIVE goal can be abandoned",
            details=[{"index": None, "field": "status", "reason": f"goal is {row.status.value}"}],
        )
    if expiry_reason is not None:
        if not view.expired:
            raise Conflict(
                f"goal {goal_id!r} has not expired: there is no question to answer",
                details=[{"index": None, "field": "expiryReason", "reason": "goal not expired"}],
            )
        if not expiry_reason.strip():
            raise _field_error("expiryReason", "must not be blank")
    at = naive_utc(now)
    history = list(row.progressHistory or [])
    if title is not None:
        row.title = title.strip()
    if abandon:
        last = _history(row)[-1] if history else None
        entry = ProgressEntry(
            aware_utc(now),
            None if last is None else last.value,
            0.0 if last is None else last.progress,
            analysis.best_progress(_history(row)),
            ABANDONED_NOTE,
        )
        history.append(entry.to_json())
        row.status = GoalStatus.ABANDONED
    if expiry_reason is not None:
        last = _history(row)[-1]
        history.append(
            ProgressEntry(
                aware_utc(now),
                last.value,
                last.progress,
                last.best,
                EXPIRY_REASON_NOTE + expiry_reason.strip(),
            ).to_json()
        )
    row.progressHistory = history
    row.updatedAt = at
    session.flush()
    return goal_view(row, with_history=True)


@dataclass(frozen=True)
class GoalRunResult:
    """What the daily update did to the learner's goals."""

    updated: int
    milestones: int
    achieved: int
    expired: int
    notifications: int


def _state(row: BehavioralGoal) -> GoalState:
    return GoalState(
        goal_id=row.id,
        goal_type=row.goalType,
        title=row.title,
        metric=analysis.parse_metric(row.targetMetric),
        target_value=row.targetValue,
        deadline=aware_utc(row.deadline),
        status=row.status,
        history=_history(row),
    )


def _value_text(spec: analysis.MetricSpec, value: float | None) -> str:
    if value is None:
        return "no data yet"
    return f"{value:g} {analysis.METRIC_UNITS[spec.metric]}"


def update_active_goals(
    session: Session, learner: Learner, now: datetime, rows: Sequence[BehavioralGoal] | None = None
) -> GoalRunResult:
    """Measure every active goal from the data as of ``now``; notify milestones once (lock held)."""
    now = aware_utc(now)
    if rows is None:
        rows = list(
            session.scalars(
                sa.select(BehavioralGoal)
                .where(
                    BehavioralGoal.userId == learner.user_id,
                    BehavioralGoal.status == GoalStatus.ACTIVE,
                )
                .order_by(BehavioralGoal.id)
            )
        )
    if not rows:
        return GoalRunResult(0, 0, 0, 0, 0)
    earliest = min(min(now, aware_utc(r.deadline)) for r in rows)
    data = goal_data(session, learner, earliest - timedelta(days=analysis.SHARE_WINDOW_DAYS), now)
    out = []
    milestones = achieved = expired = 0
    for row in rows:
        state = _state(row)
        result = analysis.update_goal(state, data, now=now)
        if result.entry is None:
            continue
        row.progressHistory = [e.to_json() for e in result.history]
        if result.current_value is not None:
            row.currentValue = result.current_value
        row.status = result.status
        if result.completed_at is not None:
            row.completedAt = naive_utc(result.completed_at)
        row.updatedAt = naive_utc(now)
        milestones += len(result.milestones)
        achieved += result.achieved
        expired += result.expired
        out += drafts.goal_progress(
            row.id,
            row.title,
            result.milestones,
            result.achieved,
            _value_text(state.metric, result.current_value),
        )
        if result.expiry_prompt is not None:
            out.append(drafts.goal_expired(row.id, result.expiry_prompt))
    session.flush()
    created = notify(session, learner.user_id, out, now)
    return GoalRunResult(len(rows), milestones, achieved, expired, len(created))


def measured_value(
    session: Session, learner: Learner, metric: str, as_of: datetime
) -> float | InsufficientData:
    """A goal metric measured from the data as of ``as_of`` (for checks and the CLI)."""
    spec = analysis.parse_metric(metric)
    as_of = aware_utc(as_of)
    data = goal_data(session, learner, as_of - timedelta(days=analysis.SHARE_WINDOW_DAYS), as_of)
    return analysis.measure(spec, data, as_of)
