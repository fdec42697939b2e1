"""Requests and answers of study timing, session plans and calendars (ENGINE.md 5.3).

Answers are built straight from the service's value objects
(:mod:`twin.services.orchestration`); requests forbid unknown fields and never coerce a
string into a number or a boolean. Nothing here carries a secret: calendar answers show
the host only, feed tokens are shown once, when created.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from twin.analysis.orchestration.adaptation import ConstraintKind
from twin.api.schemas.base import Answer
from twin.api.types import Id, JsonBool, QueryTimestamp, Timestamp, whole_number

# Whole numbers: a JSON number (60 or 60.0), never a string or a boolean.
MinuteOfDay = Annotated[int, Strict(), Field(ge=0, le=1440), BeforeValidator(whole_number)]
Weekday = Annotated[int, Strict(), Field(ge=0, le=6), BeforeValidator(whole_number)]
MAX_WINDOWS = 20


# --- requests ------------------------------------------------------------------------------


class CalendarIn(BaseModel):
    """A calendar to connect: an iCalendar feed URL, or a CalDAV account with an app password."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["ics_url", "caldav"] = Field(
        description="ics_url: a secret iCal address; caldav: a CalDAV server"
    )
    url: str = Field(min_length=1, max_length=2000, description="http(s) URL of the feed or server")
    username: str | None = Field(default=None, min_length=1, max_length=500)
    password: str | None = Field(
        default=None, min_length=1, max_length=500, description="an app password (CalDAV)"
    )
    writeBack: JsonBool = Field(
        default=False, description="CalDAV only: write planned sessions to a study calendar"
    )

    def __repr__(self) -> str:
        return f"CalendarIn(kind={self.kind!r}, password=***)"


class PlanIn(BaseModel):
    """A session to plan: at a start time, or at a recommended slot (accepting it)."""

    model_config = ConfigDict(extra="forbid")

    startTime: QueryTimestamp | None = Field(default=None, description="RFC 3339 with an offset")
    slotId: Id | None = Field(default=None, description="a slot of GET …/schedule/slots")
    missionId: Id | None = None

    @model_validator(mode="after")
    def _one_anchor(self) -> PlanIn:
        if (self.startTime is None) == (self.slotId is None):
            raise ValueError("give exactly one of startTime and slotId")
        return self


class AcceptIn(BaseModel):
    """Optional body of ``…/slots/{id}:accept``: the mission the session is for."""

    model_config = ConfigDict(extra="forbid")

    missionId: Id | None = None


class ConstraintIn(BaseModel):
    """A declared constraint; AVOID_WINDOW / PREFER_WINDOW need startMinute and endMinute."""

    model_config = ConfigDict(extra="forbid")

    kind: ConstraintKind
    startMinute: MinuteOfDay | None = None
    endMinute: MinuteOfDay | None = None
    weekdays: list[Weekday] | None = Field(default=None, min_length=1, max_length=7)

    @model_validator(mode="after")
    def _window(self) -> ConstraintIn:
        windowed = self.kind in (ConstraintKind.AVOID_WINDOW, ConstraintKind.PREFER_WINDOW)
        if windowed and (self.startMinute is None or self.endMinute is None):
            raise ValueError(f"{self.kind.value} needs startMinute and endMinute")
        if not windowed and (self.startMinute is not None or self.endMinute is not None):
            raise ValueError(f"{self.kind.value} takes no startMinute or endMinute")
        if (
            windowed
            and self.startMinute is not None
            and self.endMinute is not None
            and self.startMinute >= self.endMinute
        ):
            raise ValueError("startMinute must be before endMinute")
        return self


class AdaptIn(BaseModel):
    """``POST …/schedule:adapt``: an optional declared constraint; the other rules always run."""

    model_config = ConfigDict(extra="forbid")

    constraint: ConstraintIn | None = None


class WindowIn(BaseModel):
    """A declared study window in local wall time."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["PREFER", "AVOID"] = "PREFER"
    startMinute: MinuteOfDay
    endMinute: MinuteOfDay
    weekdays: list[Weekday] = Field(
        default_factory=lambda: list(range(7)), min_length=1, max_length=7
    )
    label: str = Field(default="", max_length=80)

    @field_validator("weekdays")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("weekdays must be distinct")
        return sorted(value)

    @model_validator(mode="after")
    def _order(self) -> WindowIn:
        if self.startMinute >= self.endMinute:
            raise ValueError("startMinute must be before endMinute")
        return self


class PreferencesIn(BaseModel):
    """The learner's declared windows (replacing the current ones)."""

    model_config = ConfigDict(extra="forbid")

    windows: list[WindowIn] = Field(max_length=MAX_WINDOWS)


# --- answers: calendar ---------------------------------------------------------------------


class SyncErrorOut(Answer):
    """A failed sync: the rule that stopped it (scheme, address, timeout, size, status …)."""

    rule: str
    message: str
    at: str
    code: str


class CalendarStatusOut(Answer):
    """The learner's calendar: source, host, sync state — never a URL path or a credential."""

    kind: str
    display_host: str | None
    write_back: bool
    sync_enabled: bool
    connected_at: Timestamp
    last_sync_at: Timestamp | None
    last_attempt_at: Timestamp | None
    last_error: SyncErrorOut | None
    consecutive_failures: int
    window_start: Timestamp | None
    window_end: Timestamp | None
    block_count: int
    event_count: int
    blocks_age_minutes: float | None
    stale: bool
    next_sync_after: Timestamp | None
    write_back_at: Timestamp | None
    write_back_error: SyncErrorOut | None


class SyncOut(Answer):
    """What a connect, upload or sync did, and the sessions it had to re-plan."""

    status: CalendarStatusOut
    not_modified: bool
    changed: bool
    blocks: int
    replanned: list[str]


class RemoteEventsOut(Answer):
    """The study events write-back put on the CalDAV server: ``none`` (write-back was off),
    ``removed`` (how many), ``failed`` (the server could not be used; ``error`` names the rule,
    the events stay there) or ``left`` (not attempted)."""

    status: str
    removed: int
    error: SyncErrorOut | None


class DisconnectOut(Answer):
    """What removing the calendar deleted, here and on the CalDAV server."""

    kind: str
    blocks_deleted: int
    remote_events: RemoteEventsOut


class BusyBlockOut(Answer):
    """A merged busy interval: weight 1 busy, 0.5 tentative."""

    start: Timestamp
    end: Timestamp
    weight: float


class BusyOut(Answer):
    """The busy blocks of a window and how old they are."""

    start: Timestamp
    end: Timestamp
    blocks: list[BusyBlockOut]
    synced_at: Timestamp | None
    age_minutes: float | None
    stale: bool
    connected: bool


# --- answers: slots and plans --------------------------------------------------------------


class RestOut(Answer):
    """Burnout CRITICAL: no slots, rest instead."""

    rest_days: int
    message: str


class SlotOut(Answer):
    """A recommended slot (times in the learner's zone) with its reasons as numbers."""

    id: str
    rank: int
    kind: str
    start: Timestamp
    end: Timestamp
    duration_minutes: int
    local_date: str
    local_start: str
    weekday: str
    score: float
    reasons: dict[str, Any]
    conflicts: list[dict[str, Any]]
    reasoning: str
    accepted_at: Timestamp | None
    plan_id: str | None


class SlotsOut(Answer):
    """The top slots of the horizon (or a rest recommendation) and how old the busy time is."""

    timezone: str
    kind: str
    days: int
    duration_minutes: int
    max_per_day: int
    slots: list[SlotOut]
    rest: RestOut | None
    candidates_considered: int
    candidates_busy: int
    history_sessions: int
    calendar_connected: bool
    busy_synced_at: Timestamp | None
    busy_age_minutes: float | None


class PlanOut(Answer):
    """A session plan on the schedule: items, breaks, phases, reasons, expected load, actuals."""

    id: str
    status: str
    mission_id: str | None
    slot_id: str | None
    planned_start: Timestamp
    planned_end: Timestamp
    duration_minutes: int
    timezone: str
    intensity: str
    phases: list[dict[str, Any]]
    breaks: list[dict[str, Any]]
    items: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    reasons: dict[str, Any]
    expected_load: dict[str, Any]
    actuals: dict[str, Any] | None
    session_id: str | None
    calendar_uid: str
    calendar_sequence: int
    busy_age_minutes: float | None
    created_at: Timestamp
    updated_at: Timestamp


class PlanListOut(Answer):
    """The learner's plans of a window."""

    start: Timestamp
    end: Timestamp
    plans: list[PlanOut]


class AcceptOut(Answer):
    """The accepted slot and its plan."""

    slot: SlotOut
    plan: PlanOut
    already_accepted: bool


# --- answers: adaptation and effectiveness ------------------------------------------------


class AdaptationOut(Answer):
    """A schedule adaptation: type, old → new, the reason as numbers."""

    id: str
    type: str
    applied_at: Timestamp
    plan_id: str | None
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: dict[str, Any]


class AdaptOut(Answer):
    """What ``schedule:adapt`` changed."""

    adaptations: list[AdaptationOut]
    missed_marked: int
    preferences: list[dict[str, Any]]
    session_minutes: int | None
    sessions_per_week: int | None


class AdherenceOut(Answer):
    """Accepted slots followed: started within ±30 min, and for ±20% of the planned length."""

    accepted_slots: int
    started_on_time: int
    duration_within: int
    start_rate: float | None
    duration_rate: float | None


class DifferenceOut(Answer):
    """Followed minus other sessions, with n and the Welch 95% interval."""

    metric: str
    followed_n: int
    other_n: int
    followed_mean: float
    other_mean: float
    difference: float
    ci_low: float
    ci_high: float
    detected: bool


class InsufficientOut(Answer):
    """Too few sessions for an interval: the requirement, what there is, what is needed."""

    requirement: str
    have: int
    need: int


class PeriodOut(Answer):
    """Adherence and performance of one period."""

    adherence: AdherenceOut
    sessions: int
    mean_performance: float | None


class AdaptationScoreOut(Answer):
    """The 7 days before an adaptation against the 7 days after it."""

    at: Timestamp
    before: PeriodOut
    after: PeriodOut
    complete: bool


class ScoredAdaptationOut(Answer):
    """An adaptation with its score."""

    adaptation: AdaptationOut
    score: AdaptationScoreOut


class EffectivenessOut(Answer):
    """Adherence and outcome differences over the window, from stored data."""

    days: int
    window_start: Timestamp
    window_end: Timestamp
    sessions: int
    adherence: AdherenceOut
    performance: DifferenceOut | InsufficientOut
    retention: DifferenceOut | InsufficientOut
    adaptations: list[ScoredAdaptationOut]


# --- answers: preferences, feed, overview --------------------------------------------------


class PreferencesOut(Answer):
    """The learner's declared windows and the session shape adaptation chose."""

    windows: list[dict[str, Any]]
    session_minutes: int | None
    sessions_per_week: int | None


class FeedTokenOut(Answer):
    """A feed token as listed (never the token)."""

    id: str
    created_at: Timestamp
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None
    active: bool


class FeedTokensOut(Answer):
    """The learner's feed tokens."""

    tokens: list[FeedTokenOut]


class NewFeedTokenOut(Answer):
    """A new feed token: shown this once; subscribe to ``path`` under the API's base URL."""

    id: str
    token: str
    path: str
    created_at: Timestamp


class OverviewOut(Answer):
    """The learner's schedule in one answer."""

    timezone: str
    calendar: CalendarStatusOut | None
    upcoming: list[PlanOut]
    pending_slots: list[SlotOut]
    preferences: list[dict[str, Any]]
    session_minutes: int | None
    sessions_per_week: int | None
    recent_adaptations: list[AdaptationOut]
    active_feed_tokens: int
