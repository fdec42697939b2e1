"""Behavioral goals (ENGINE.md 5.6): templates, metrics from raw data, validation, progress, milestones.

**Metrics** (``targetMetric`` holds the metric and its frozen parameters, e.g.
``sessionsInWindowPerWeek(start=7,end=10)``), each computed *from the data* as of a
moment ``as_of`` (sessions are the learner's completed sessions, local time):

- ``sessionsInWindowPerWeek(start,end)``: sessions started in the 7 days before ``as_of``
  whose local start hour h is in the window (``(h − start) mod 24 < (end − start) mod 24``);
- ``shareNearOptimalDuration(minutes)``: among sessions of the last 14 days, the share
  whose duration is within ±10% of ``minutes``;
- ``contentBalance``: minutes per content type over the last 14 days (the 4 types of the
  engine, unused ones counting 0) as shares s; balance = ``1 − (max s − mean s)`` (1 =
  perfectly even, 0.25 = one type only);
- ``retentionHalfLifeDays``: the half-life of the learner's fitted forgetting curve;
- ``sessionsPerWeek`` / ``studyMinutesPerWeek``: over the 7 days before ``as_of`` (CUSTOM).

No data in the window (or no fitted curve) is :class:`InsufficientData`, never 0.
Values are rounded to 6 decimals, so a recomputation from the same rows is exact.

**Templates**: STUDY_TIME_CONSISTENCY (sessions in the optimal window per week, target 5,
30 days), SESSION_DURATION (share within ±10% of the optimal duration, target 0.7 — the
engine's choice, ENGINE.md gives none — 21 days), CONTENT_DIVERSIFICATION (balance, target
0.7, 45 days), RETENTION_IMPROVEMENT (half-life, target 7 days, 60 days), CUSTOM (any
metric above, the learner's own target and deadline).

**Progress** is measured from where the learner started: the first measured value in the
goal's history ``start``; ``progress = 1`` once value ≥ target, else
``clip((value − start) / (target − start), 0, 1)`` (0 when start ≥ target but value is
below it). Milestones 25 / 50 / 75% and completion fire when the new progress reaches
them and the best progress so far (the maximum over the history) had not: each fires
exactly once whatever the sequence of values, and a re-run on the same day (its entry
replaced, not appended) fires nothing. At the deadline the value is measured as of the
deadline; a goal not achieved by then expires (status ABANDONED — the schema has no
EXPIRED — with the note ``expired``) and asks what got in the way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from twin.analysis.common import InsufficientData
from twin.analysis.insights.common import STORED_DECIMALS, clip01
from twin.analysis.insights.recommendations import PatternSignal
from twin.analysis.patterns.inputs import CONTENT_TYPES, SessionObs
from twin.analysis.patterns.study_time import HOURS_PER_DAY
from twin.enums import BehavioralGoalType, BehavioralPatternType, GoalStatus

WEEK_WINDOW_DAYS = 7
SHARE_WINDOW_DAYS = 14
DURATION_TOLERANCE = 0.10
MAX_DEADLINE_DAYS = 90
MILESTONES: tuple[float, ...] = (0.25, 0.50, 0.75)
COMPLETE = 1.0
SUGGESTION_MIN_CONFIDENCE = 0.6
MAX_SUGGESTIONS = 3
EXPIRED_STATUS = GoalStatus.ABANDONED
EXPIRED_NOTE = "expired"
ACHIEVED_NOTE = "achieved"
EXPIRY_OPTIONS: tuple[str, ...] = (
    "I did not have enough time",
    "The target was too ambitious",
    "Illness, exams or something else came up",
    "The advice did not fit how I study",
    "Something else",
)


class GoalMetric(StrEnum):
    """The metrics a goal can track (all computed from the learner's data)."""

    SESSIONS_IN_WINDOW_PER_WEEK = "sessionsInWindowPerWeek"
    SHARE_NEAR_OPTIMAL_DURATION = "shareNearOptimalDuration"
    CONTENT_BALANCE = "contentBalance"
    RETENTION_HALF_LIFE_DAYS = "retentionHalfLifeDays"
    SESSIONS_PER_WEEK = "sessionsPerWeek"
    STUDY_MINUTES_PER_WEEK = "studyMinutesPerWeek"


METRIC_PARAMS: dict[GoalMetric, tuple[str, ...]] = {
    GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK: ("start", "end"),
    GoalMetric.SHARE_NEAR_OPTIMAL_DURATION: ("minutes",),
    GoalMetric.CONTENT_BALANCE: (),
    GoalMetric.RETENTION_HALF_LIFE_DAYS: (),
    GoalMetric.SESSIONS_PER_WEEK: (),
    GoalMetric.STUDY_MINUTES_PER_WEEK: (),
}
SHARE_METRICS = frozenset({GoalMetric.SHARE_NEAR_OPTIMAL_DURATION, GoalMetric.CONTENT_BALANCE})
METRIC_UNITS: dict[GoalMetric, str] = {
    GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK: "sessions per week",
    GoalMetric.SHARE_NEAR_OPTIMAL_DURATION: "share of sessions",
    GoalMetric.CONTENT_BALANCE: "balance (0–1)",
    GoalMetric.RETENTION_HALF_LIFE_DAYS: "days",
    GoalMetric.SESSIONS_PER_WEEK: "sessions per week",
    GoalMetric.STUDY_MINUTES_PER_WEEK: "minutes per week",
}
_SPEC_RE = re.compile(r"^(?P<name>[A-Za-z]+)(?:\((?P<params>[^()]*)\))?$")


@dataclass(frozen=True)
class MetricSpec:
    """A metric with its frozen integer parameters; ``str()`` is the ``targetMetric`` column."""

    metric: GoalMetric
    params: tuple[tuple[str, int], ...] = ()

    def __str__(self) -> str:
        if not self.params:
            return str(self.metric)
        inner = ",".join(f"{k}={v}" for k, v in self.params)
        return f"{self.metric}({inner})"

    def param(self, name: str) -> int:
        """The value of parameter ``name``."""
        return dict(self.params)[name]


class MetricError(ValueError):
    """A ``targetMetric`` string that names no known metric or has wrong parameters."""


def parse_metric(text: str) -> MetricSpec:
    """``"shareNearOptimalDuration(minutes=45)"`` → MetricSpec; ``MetricError`` says what is wrong."""
    m = _SPEC_RE.match(text.strip())
    if m is None:
        raise MetricError(f"'{text}' is not of the form name or name(param=value,…)")
    try:
        metric = GoalMetric(m.group("name"))
    except ValueError:
        known = ", ".join(g.value for g in GoalMetric)
        raise MetricError(f"unknown metric '{m.group('name')}' (known: {known})") from None
    raw = m.group("params")
    pairs: list[tuple[str, int]] = []
    if raw:
        for part in raw.split(","):
            key, sep, value = part.partition("=")
            if not sep or not value.strip().lstrip("-").isdigit():
                raise MetricError(f"parameter '{part}' must be name=integer")
            pairs.append((key.strip(), int(value)))
    expected = METRIC_PARAMS[metric]
    if tuple(k for k, _ in pairs) != expected:
        raise MetricError(f"{metric} takes parameters ({', '.join(expected)}) in that order")
    spec = MetricSpec(metric, tuple(pairs))
    if metric is GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK:
        start, end = spec.param("start"), spec.param("end")
        if not (0 <= start < HOURS_PER_DAY and 0 <= end <= HOURS_PER_DAY) or start % 24 == end % 24:
            raise MetricError("window hours must be 0–24 and start ≠ end")
    if metric is GoalMetric.SHARE_NEAR_OPTIMAL_DURATION and spec.param("minutes") <= 0:
        raise MetricError("minutes must be positive")
    return spec


@dataclass(frozen=True)
class GoalTemplate:
    """A goal template: its metric, default target and duration, and title."""

    goal_type: BehavioralGoalType
    metric: GoalMetric | None
    default_target: float | None
    duration_days: int
    title: str


TEMPLATES: dict[BehavioralGoalType, GoalTemplate] = {
    t.goal_type: t
    for t in (
        GoalTemplate(
            BehavioralGoalType.STUDY_TIME_CONSISTENCY,
            GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK,
            5.0,
            30,
            "Study in your best hours",
        ),
        GoalTemplate(
            BehavioralGoalType.SESSION_DURATION,
            GoalMetric.SHARE_NEAR_OPTIMAL_DURATION,
            0.7,
            21,
            "Keep sessions near your best length",
        ),
        GoalTemplate(
            BehavioralGoalType.CONTENT_DIVERSIFICATION,
            GoalMetric.CONTENT_BALANCE,
            0.7,
            45,
            "Balance your study formats",
        ),
        GoalTemplate(
            BehavioralGoalType.RETENTION_IMPROVEMENT,
            GoalMetric.RETENTION_HALF_LIFE_DAYS,
            7.0,
            60,
            "Remember for longer",
        ),
        GoalTemplate(BehavioralGoalType.CUSTOM, None, None, 30, "My goal"),
    )
}


# --- data and metrics --------------------------------------------------------------------


@dataclass(frozen=True)
class GoalData:
    """The raw data goal metrics are computed from: completed sessions (local time), half-life."""

    sessions: tuple[SessionObs, ...] = ()
    half_life_days: float | None = None


def _in_window(hour: int, start: int, end: int) -> bool:
    return (hour - start) % HOURS_PER_DAY < (end - start) % HOURS_PER_DAY


def _recent(data: GoalData, as_of: datetime, days: int) -> list[SessionObs]:
    since = as_of - timedelta(days=days)
    return sorted(
        (s for s in data.sessions if since <= s.started_at < as_of),
        key=lambda s: (s.started_at, s.session_id),
    )


def content_balance(minutes_by_type: dict[str, float]) -> float:
    """``1 − (max share − mean share)`` over the engine's 4 content types."""
    total = sum(minutes_by_type.get(t, 0.0) for t in CONTENT_TYPES)
    if total <= 0:
        raise ValueError("no content minutes")
    shares = [minutes_by_type.get(t, 0.0) / total for t in CONTENT_TYPES]
    return 1.0 - (max(shares) - sum(shares) / len(shares))


def measure(spec: MetricSpec, data: GoalData, as_of: datetime) -> float | InsufficientData:
    """The metric's value as of ``as_of``, from the data (rounded to 6 decimals)."""
    value: float
    if spec.metric is GoalMetric.RETENTION_HALF_LIFE_DAYS:
        if data.half_life_days is None:
            return InsufficientData("fittedForgettingCurve", 0, 1)
        value = data.half_life_days
    elif spec.metric is GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK:
        start, end = spec.param("start"), spec.param("end")
        week = _recent(data, as_of, WEEK_WINDOW_DAYS)
        value = float(sum(_in_window(s.hour, start, end) for s in week))
    elif spec.metric is GoalMetric.SESSIONS_PER_WEEK:
        value = float(len(_recent(data, as_of, WEEK_WINDOW_DAYS)))
    elif spec.metric is GoalMetric.STUDY_MINUTES_PER_WEEK:
        value = float(sum(s.duration_minutes for s in _recent(data, as_of, WEEK_WINDOW_DAYS)))
    elif spec.metric is GoalMetric.SHARE_NEAR_OPTIMAL_DURATION:
        recent = _recent(data, as_of, SHARE_WINDOW_DAYS)
        if not recent:
            return InsufficientData(f"sessionsInLast{SHARE_WINDOW_DAYS}Days", 0, 1)
        optimal = spec.param("minutes")
        near = sum(
            abs(s.duration_minutes - optimal) <= DURATION_TOLERANCE * optimal for s in recent
        )
        value = near / len(recent)
    else:  # CONTENT_BALANCE
        minutes: dict[str, float] = {}
        for s in _recent(data, as_of, SHARE_WINDOW_DAYS):
            for content_type, m in s.content_minutes:
                minutes[content_type] = minutes.get(content_type, 0.0) + m
        if sum(minutes.values()) <= 0:
            return InsufficientData(f"contentMinutesInLast{SHARE_WINDOW_DAYS}Days", 0, 1)
        value = content_balance(minutes)
    return round(value, STORED_DECIMALS)


def progress_fraction(value: float, start: float, target: float) -> float:
    """1 at or above target, else the share of the way from ``start`` to ``target`` (0–1)."""
    if value >= target:
        return COMPLETE
    if target <= start:
        return 0.0
    return round(clip01((value - start) / (target - start)), STORED_DECIMALS)


# --- validation --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """One problem with a goal request, naming the API field."""

    field: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """``{"field": "deadline", "reason": "…"}``."""
        return {"field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class GoalRequest:
    """A learner's ``POST …/goals`` body (raw: anything may be missing or wrong)."""

    goal_type: str
    target_metric: str | None = None
    target_value: float | None = None
    deadline: datetime | None = None
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class GoalContext:
    """What templates need from the twin: the optimal window and duration (None = unknown)."""

    optimal_window: tuple[int, int] | None = None
    optimal_session_minutes: int | None = None


@dataclass(frozen=True)
class ValidGoal:
    """A validated goal, ready for ``behavioral_goals``."""

    goal_type: BehavioralGoalType
    metric: MetricSpec
    target_value: float
    deadline: datetime
    title: str
    description: str


def template_metric(goal_type: BehavioralGoalType, context: GoalContext) -> MetricSpec | None:
    """The frozen metric of a template from the twin's current values (None if unknown)."""
    template = TEMPLATES[goal_type]
    if template.metric is GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK:
        if context.optimal_window is None:
            return None
        start, end = context.optimal_window
        return MetricSpec(template.metric, (("start", start), ("end", end)))
    if template.metric is GoalMetric.SHARE_NEAR_OPTIMAL_DURATION:
        if context.optimal_session_minutes is None:
            return None
        return MetricSpec(template.metric, (("minutes", context.optimal_session_minutes),))
    if template.metric is None:
        return None
    return MetricSpec(template.metric)


def _describe(spec: MetricSpec, target: float) -> str:
    m = spec.metric
    if m is GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK:
        return (
            f"Study {target:g} sessions a week starting between {spec.param('start'):02d}:00 and "
            f"{spec.param('end') % 24:02d}:00, your best hours."
        )
    if m is GoalMetric.SHARE_NEAR_OPTIMAL_DURATION:
        minutes = spec.param("minutes")
        return (
            f"Keep {target:.0%} of your sessions within ±10% of {minutes} minutes "
            f"({minutes * (1 - DURATION_TOLERANCE):.0f}–{minutes * (1 + DURATION_TOLERANCE):.0f} min)."
        )
    if m is GoalMetric.CONTENT_BALANCE:
        return (
            f"Reach a content balance of {target:.2f}: no format far above the others over 14 days."
        )
    if m is GoalMetric.RETENTION_HALF_LIFE_DAYS:
        return f"Raise the half-life of your memory to {target:g} days."
    return f"Reach {target:g} {METRIC_UNITS[m]}."


def validate_goal(
    request: GoalRequest, *, now: datetime, context: GoalContext = GoalContext()
) -> ValidGoal | tuple[FieldError, ...]:
    """The goal, or every problem with the request (each naming its field)."""
    errors: list[FieldError] = []
    try:
        goal_type: BehavioralGoalType | None = BehavioralGoalType(request.goal_type)
    except ValueError:
        goal_type = None
        known = ", ".join(t.value for t in BehavioralGoalType)
        errors.append(
            FieldError("goalType", f"unknown template '{request.goal_type}' (known: {known})")
        )

    spec: MetricSpec | None = None
    if request.target_metric is not None:
        try:
            spec = parse_metric(request.target_metric)
        except MetricError as exc:
            errors.append(FieldError("targetMetric", str(exc)))
    if goal_type is not None:
        template = TEMPLATES[goal_type]
        if goal_type is BehavioralGoalType.CUSTOM:
            if request.target_metric is None:
                errors.append(FieldError("targetMetric", "a CUSTOM goal needs a metric"))
        else:
            frozen = template_metric(goal_type, context)
            if spec is not None and spec.metric is not template.metric:
                errors.append(
                    FieldError(
                        "targetMetric", f"{goal_type} tracks {template.metric}, not {spec.metric}"
                    )
                )
            elif spec is None and request.target_metric is None:
                if frozen is None:
                    errors.append(
                        FieldError(
                            "targetMetric",
                            f"{goal_type} needs the twin's optimal "
                            + (
                                "study window"
                                if goal_type is BehavioralGoalType.STUDY_TIME_CONSISTENCY
                                else "session length"
                            )
                            + ", which is not known yet; give targetMetric explicitly",
                        )
                    )
                spec = frozen

    target = request.target_value
    if target is None and goal_type is not None:
        target = TEMPLATES[goal_type].default_target
    if target is None:
        errors.append(FieldError("targetValue", "a target value is required"))
    elif not math.isfinite(target) or target <= 0:
        errors.append(FieldError("targetValue", f"must be a number > 0, got {target}"))
    elif spec is not None and spec.metric in SHARE_METRICS and target > 1:
        errors.append(
            FieldError("targetValue", f"{spec.metric} is a share: the target must be ≤ 1")
        )

    deadline = request.deadline
    if deadline is None and goal_type is not None:
        deadline = now + timedelta(days=TEMPLATES[goal_type].duration_days)
    if deadline is None:
        errors.append(FieldError("deadline", "a deadline is required"))
    elif (deadline.tzinfo is None) != (now.tzinfo is None):
        errors.append(FieldError("deadline", "must carry a time zone offset"))
    elif deadline <= now:
        errors.append(FieldError("deadline", "must be in the future"))
    elif deadline > now + timedelta(days=MAX_DEADLINE_DAYS):
        errors.append(FieldError("deadline", f"must be at most {MAX_DEADLINE_DAYS} days ahead"))

    if request.title is not None and not request.title.strip():
        errors.append(FieldError("title", "must not be blank"))

    if errors:
        return tuple(errors)
    assert (
        goal_type is not None and spec is not None and target is not None and deadline is not None
    )
    return ValidGoal(
        goal_type=goal_type,
        metric=spec,
        target_value=float(target),
        deadline=deadline,
        title=(request.title or TEMPLATES[goal_type].title).strip(),
        description=request.description or _describe(spec, float(target)),
    )


# --- suggestions -------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalSuggestion:
    """A goal the twin suggests, from one pattern, with the learner's current value."""

    goal_type: BehavioralGoalType
    metric: MetricSpec
    target_value: float
    deadline: datetime
    title: str
    description: str
    current_value: float | None
    source_pattern_id: str
    confidence: float


def _suggestion_metric(p: PatternSignal) -> tuple[BehavioralGoalType, MetricSpec] | None:
    d = p.data
    if p.pattern_type is BehavioralPatternType.OPTIMAL_STUDY_TIME:
        start, end = d.get("windowStartHour"), d.get("windowEndHour")
        if isinstance(start, int) and isinstance(end, int):
            spec = MetricSpec(
                GoalMetric.SESSIONS_IN_WINDOW_PER_WEEK,
                (("start", start % HOURS_PER_DAY), ("end", end % HOURS_PER_DAY or HOURS_PER_DAY)),
            )
            return BehavioralGoalType.STUDY_TIME_CONSISTENCY, spec
    elif p.pattern_type is BehavioralPatternType.SESSION_DURATION_PREFERENCE:
        minutes = d.get("optimalDurationMinutes")
        if isinstance(minutes, int | float) and minutes > 0:
            spec = MetricSpec(
                GoalMetric.SHARE_NEAR_OPTIMAL_DURATION, (("minutes", round(minutes)),)
            )
            return BehavioralGoalType.SESSION_DURATION, spec
    elif p.pattern_type is BehavioralPatternType.CONTENT_TYPE_PREFERENCE:
        return BehavioralGoalType.CONTENT_DIVERSIFICATION, MetricSpec(GoalMetric.CONTENT_BALANCE)
    elif p.pattern_type is BehavioralPatternType.FORGETTING_CURVE:
        return BehavioralGoalType.RETENTION_IMPROVEMENT, MetricSpec(
            GoalMetric.RETENTION_HALF_LIFE_DAYS
        )
    return None


def suggest_goals(
    patterns: Sequence[PatternSignal],
    data: GoalData,
    *,
    now: datetime,
    active_goal_types: Collection[BehavioralGoalType] = (),
) -> list[GoalSuggestion]:
    """At most 3 suggestions, one per template, each from a pattern with confidence ≥ 0.6.

    Skipped: templates with an active goal, and goals already met (current value ≥ target).
    """
    out: list[GoalSuggestion] = []
    used: set[BehavioralGoalType] = set(active_goal_types)
    for p in sorted(patterns, key=lambda p: (-p.confidence, p.pattern_id)):
        if len(out) >= MAX_SUGGESTIONS:
            break
        if p.confidence < SUGGESTION_MIN_CONFIDENCE:
            continue
        found = _suggestion_metric(p)
        if found is None or found[0] in used:
            continue
        goal_type, spec = found
        template = TEMPLATES[goal_type]
        assert template.default_target is not None
        value = measure(spec, data, now)
        current = None if isinstance(value, InsufficientData) else value
        if current is not None and current >= template.default_target:
            continue
        used.add(goal_type)
        out.append(
            GoalSuggestion(
                goal_type=goal_type,
                metric=spec,
                target_value=template.default_target,
                deadline=now + timedelta(days=template.duration_days),
                title=template.title,
                description=_describe(spec, template.default_target)
                + f" Suggested because of '{p.name}' (confidence {p.confidence:.2f}).",
                current_value=current,
                source_pattern_id=p.pattern_id,
                confidence=p.confidence,
            )
        )
    return out


# --- progress ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressEntry:
    """One ``progressHistory`` element.

    ``value`` is the measured value (None = no data that day), ``progress`` the share of the
    way to the target, ``best`` the highest progress reached up to and including this entry
    (the state that makes each milestone fire once), ``note`` e.g. ``created`` / ``achieved``.
    """

    at: datetime
    value: float | None
    progress: float
    best: float
    note: str = ""

    def to_json(self) -> dict[str, object]:
        """``{"date", "value", "progress", "best", "note"}`` (the seed's {date, value, note} and more)."""
        return {
            "date": self.at.isoformat(),
            "value": self.value,
            "progress": self.progress,
            "best": self.best,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ProgressEntry:
        """Inverse of :meth:`to_json`."""
        value, progress, best = data.get("value"), data.get("progress", 0.0), data.get("best")
        if not isinstance(progress, int | float):
            raise ValueError("progress must be a number")
        return cls(
            at=datetime.fromisoformat(str(data["date"])),
            value=float(value) if isinstance(value, int | float) else None,
            progress=float(progress),
            best=float(best) if isinstance(best, int | float) else float(progress),
            note=str(data.get("note", "")),
        )


@dataclass(frozen=True)
class GoalState:
    """A stored goal: what the daily update needs (``history`` = ``progressHistory``)."""

    goal_id: str
    goal_type: BehavioralGoalType
    title: str
    metric: MetricSpec
    target_value: float
    deadline: datetime
    status: GoalStatus
    history: tuple[ProgressEntry, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ExpiryPrompt:
    """What the learner is asked when a goal expires."""

    question: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class GoalUpdate:
    """The result of one daily update of a goal (``entry`` None: the goal is not active)."""

    goal_id: str
    entry: ProgressEntry | None
    history: tuple[ProgressEntry, ...]
    current_value: float | None
    progress: float
    status: GoalStatus
    completed_at: datetime | None
    milestones: tuple[float, ...]
    achieved: bool
    expired: bool
    expiry_prompt: ExpiryPrompt | None
    insufficient: InsufficientData | None = None


CREATED_NOTE = "created"


def start_value(history: Sequence[ProgressEntry]) -> float | None:
    """The first measured value of the goal (the learner's starting point)."""
    return next((e.value for e in history if e.value is not None), None)


def best_progress(history: Sequence[ProgressEntry]) -> float:
    """The highest progress ever recorded (the high-water mark milestones are judged against)."""
    return max((max(e.best, e.progress) for e in history), default=0.0)


def milestones_reached(previous_best: float, new: float) -> tuple[float, ...]:
    """The milestones (25/50/75%) that ``new`` reaches and the best progress so far had not."""
    return tuple(m for m in MILESTONES if previous_best < m <= new)


def achieved_now(previous_best: float, new: float) -> bool:
    """True exactly when ``new`` completes the goal for the first time."""
    return previous_best < COMPLETE <= new


def replace_entry(
    history: Sequence[ProgressEntry], entry: ProgressEntry
) -> tuple[ProgressEntry, ...]:
    """History with ``entry`` appended; a same-day entry other than the first one is replaced.

    The first entry (the goal's creation, its starting point) is always kept; ``entry``
    carries the high-water mark, so replacing never loses it.
    """
    if not history:
        return (entry,)
    first, rest = history[0], history[1:]
    kept = [e for e in rest if e.at.date() != entry.at.date()]
    return (first, *kept, entry)


def creation_entry(goal: ValidGoal, data: GoalData, *, now: datetime) -> ProgressEntry:
    """The first history entry: the value measured when the goal is set (progress 0)."""
    measured = measure(goal.metric, data, now)
    value = None if isinstance(measured, InsufficientData) else measured
    return ProgressEntry(now, value, 0.0, 0.0, CREATED_NOTE)


def expiry_prompt(title: str, progress: float, best: float) -> ExpiryPrompt:
    """ "Your goal … reached its deadline at 62% of the way (your best was 70%). What got in the way?"."""
    return ExpiryPrompt(
        question=(
            f"Your goal '{title}' reached its deadline at {progress:.0%} of the way "
            f"(your best was {best:.0%}). What got in the way?"
        ),
        options=EXPIRY_OPTIONS,
    )


def update_goal(goal: GoalState, data: GoalData, *, now: datetime) -> GoalUpdate:
    """Measure the value from the data, record it, detect milestones, completion and expiry."""
    previous_best = best_progress(goal.history)
    if goal.status is not GoalStatus.ACTIVE:
        return GoalUpdate(
            goal_id=goal.goal_id,
            entry=None,
            history=goal.history,
            current_value=goal.history[-1].value if goal.history else None,
            progress=goal.history[-1].progress if goal.history else 0.0,
            status=goal.status,
            completed_at=None,
            milestones=(),
            achieved=False,
            expired=False,
            expiry_prompt=None,
        )
    measured = measure(goal.metric, data, min(now, goal.deadline))
    insufficient = measured if isinstance(measured, InsufficientData) else None
    value = None if isinstance(measured, InsufficientData) else measured
    kept = replace_entry(goal.history, ProgressEntry(now, None, 0.0, 0.0))[:-1]
    start = start_value(kept)
    if value is None:
        progress = kept[-1].progress if kept else 0.0
    else:
        progress = progress_fraction(value, value if start is None else start, goal.target_value)
    reached = milestones_reached(previous_best, progress)
    achieved = achieved_now(previous_best, progress)
    expired = not achieved and now > goal.deadline
    note = ACHIEVED_NOTE if achieved else (EXPIRED_NOTE if expired else "")
    if insufficient is not None and not note:
        note = f"no data: {insufficient.requirement} {insufficient.have}/{insufficient.need}"
    best = max(previous_best, progress)
    entry = ProgressEntry(now, value, progress, best, note)
    status = (
        GoalStatus.COMPLETED if achieved else (EXPIRED_STATUS if expired else GoalStatus.ACTIVE)
    )
    return GoalUpdate(
        goal_id=goal.goal_id,
        entry=entry,
        history=(*kept, entry),
        current_value=value,
        progress=progress,
        status=status,
        completed_at=now if achieved else None,
        milestones=reached,
        achieved=achieved,
        expired=expired,
        expiry_prompt=expiry_prompt(goal.title, progress, best) if expired else None,
        insufficient=insufficient,
    )
