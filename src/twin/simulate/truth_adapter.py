"""Map one simulated learner's rows to the value objects of the engine's pure analyses.

The simulator (:mod:`twin.simulate.generate`) returns rows by table, as a service would
read them from the database; this adapter turns them into what the analyses take, the
way a service would, using only those rows (never the hidden traits):

* :class:`twin.analysis.patterns.inputs.LearnerData` for ``analyze_learner``: one
  :class:`SessionObs` per study session (local start time in the learner's IANA zone;
  performance and engagement from the ``SESSION_ENDED`` event; retention = recall of the
  session's repeat reviews; completion from the mission's objectives; one
  :class:`ReviewMark` per review, correct = rating ≠ AGAIN; the content mix from the
  event's ``contentMinutes``), one :class:`ReviewObs` per repeat review (days since that
  card's previous review, the card's repeat number, whether the review before was
  recalled), and one :class:`ContentObs` per content type that sessions
  were mainly spent on (outcomes of those sessions, minutes of that type over all
  sessions).
* per session, a :class:`SessionLoadInput` (response latencies from ``CARD_REVIEWED``
  events, the learner's baseline = median of previous sessions' medians, pauses from
  ``SESSION_ENDED``, four blocks of GOOD/EASY share as within-session performance);
* per local day, a :class:`DailyStudyAggregate` (minutes, mean load, planned / completed
  / skipped missions, performance, engagement, minutes between 23:00 and 05:00).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from twin.analysis.cognitive.burnout import DailyStudyAggregate
from twin.analysis.cognitive.load import (
    CognitiveLoad,
    SessionLoadInput,
    baseline_latency_ms,
    compute_cognitive_load,
    median_latency_ms,
)
from twin.analysis.cognitive.session import (
    SessionSummary,
    block_performance,
    daily_aggregates,
)
from twin.analysis.common import aware_utc
from twin.analysis.patterns import inputs as pin
from twin.simulate.generate import LearnerData as SimulatedLearner
from twin.simulate.localtime import DAY_MS
from twin.simulate.rows import NULL_MS, ms_to_datetime

MINUTE_MS = 60_000
SECONDS_PER_MS = 1e-3
AGAIN = "AGAIN"
GOOD_RATINGS = frozenset({"GOOD", "EASY"})


@dataclass(frozen=True)
class SessionView:
    """One study session as the adapter reads it from the rows."""

    session_id: str
    index: int  # position in the ``study_sessions`` table (the generator's session number)
    start_ms: int
    end_ms: int
    started_local: datetime  # aware, in the learner's zone
    duration_minutes: float
    mission_id: str | None
    performance: float  # 0-100
    engagement: float | None  # 0-100
    content_type: str
    content_minutes: tuple[tuple[str, float], ...]
    objectives_planned: int
    objectives_completed: int
    pause_count: int
    paused_ms: int
    review_minutes: tuple[float, ...]  # minutes after the start, time order
    review_ratings: tuple[str, ...]
    review_repeat: tuple[bool, ...]  # not the card's first review
    review_latency_ms: tuple[float, ...]

    @property
    def correct(self) -> tuple[bool, ...]:
        """Per review, recalled (rating ≠ AGAIN)."""
        return tuple(r != AGAIN for r in self.review_ratings)

    @property
    def retention(self) -> float | None:
        """Recall of the session's repeat (due) reviews; None without any."""
        due = [
            r != AGAIN
            for r, rep in zip(self.review_ratings, self.review_repeat, strict=True)
            if rep
        ]
        return sum(due) / len(due) if due else None

    @property
    def accuracy(self) -> float | None:
        """Share of the session's reviews recalled; None without reviews."""
        return sum(self.correct) / len(self.correct) if self.review_ratings else None

    @property
    def good_share(self) -> float | None:
        """Share of GOOD/EASY ratings; None without reviews."""
        if not self.review_ratings:
            return None
        return sum(r in GOOD_RATINGS for r in self.review_ratings) / len(self.review_ratings)


@dataclass(frozen=True)
class AdaptedLearner:
    """One learner's data in the analyses' terms, plus the session views behind it."""

    user_id: str
    timezone: str
    window_start: date
    now: datetime
    sessions: tuple[SessionView, ...]
    patterns_input: pin.LearnerData

    def load_inputs(self, optimal_session_minutes: float | None) -> tuple[SessionLoadInput, ...]:
        """Per session (time order), the cognitive-load input with the learner's running baseline."""
        medians: list[float] = []
        out: list[SessionLoadInput] = []
        for s in self.sessions:
            paused_s = s.paused_ms * SECONDS_PER_MS
            out.append(
                SessionLoadInput(
                    latencies_ms=s.review_latency_ms,
                    correct=s.correct,
                    pause_count=s.pause_count,
                    pause_seconds=paused_s,
                    active_seconds=max(0.0, s.duration_minutes * 60.0 - paused_s),
                    performance_scores=block_performance(s.review_ratings),
                    duration_minutes=s.duration_minutes,
                    baseline_latency_ms=baseline_latency_ms(medians),
                    optimal_session_minutes=optimal_session_minutes,
                )
            )
            median = median_latency_ms(s.review_latency_ms)
            if median is not None:
                medians.append(median)
        return tuple(out)

    def daily_aggregates(
        self, loads: Sequence[CognitiveLoad], missions: Sequence[tuple[date, str]]
    ) -> tuple[DailyStudyAggregate, ...]:
        """Per local day: minutes, mean load, missions planned / done / skipped, outcomes.

        The service's aggregation (:func:`twin.analysis.cognitive.session.daily_aggregates`)
        on the simulated sessions; the simulator plans PENDING missions only after the
        window, so none of them counts, as none would be missed yet.
        """
        zone = ZoneInfo(self.timezone)
        summaries = [
            SessionSummary(
                session_id=s.session_id,
                started_at=ms_to_datetime(s.start_ms),
                duration_minutes=s.duration_minutes,
                load=load.load_score,
                performance=s.performance,
                engagement=s.engagement,
            )
            for s, load in zip(self.sessions, loads, strict=True)
        ]
        last_day = aware_utc(self.now).astimezone(zone).date()
        return tuple(daily_aggregates(summaries, missions, [], zone, last_day))


def _local(ms: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone)


def _events(data: SimulatedLearner) -> dict[str, Any]:
    ev = data.table("behavioral_events")
    types = list(ev.column("eventType"))
    payloads = list(ev.column("eventData"))
    perf = list(ev.column("sessionPerformanceScore"))
    content = list(ev.column("contentType"))
    ended: dict[str, tuple[dict[str, Any], int | None, str | None]] = {}
    started_content: dict[str, str | None] = {}
    latency: dict[tuple[str, int], float] = {}
    ts = np.asarray(ev.column("timestamp")).tolist()
    for i, kind in enumerate(types):
        if kind == "CARD_REVIEWED":
            payload = json.loads(payloads[i])
            latency[(payload["cardId"], ts[i])] = float(payload["responseLatencyMs"])
        elif kind == "SESSION_ENDED":
            payload = json.loads(payloads[i])
            ended[payload["sessionId"]] = (payload, perf[i], content[i])
        elif kind == "SESSION_STARTED":
            started_content[json.loads(payloads[i])["sessionId"]] = content[i]
    return {"ended": ended, "started_content": started_content, "latency": latency}


def adapt_learner(data: SimulatedLearner, now: datetime | None = None) -> AdaptedLearner:
    """The learner's rows as the analyses' value objects (local times in the learner's zone)."""
    users = data.table("users")
    timezone = str(users.column("timezone")[0])
    zone = ZoneInfo(timezone)
    window_end_ms = int(np.asarray(users.column("updatedAt"))[0])
    events = _events(data)

    reviews = data.table("reviews")
    r_card = list(reviews.column("cardId"))
    r_session = list(reviews.column("sessionId"))
    r_rating = list(reviews.column("rating"))
    r_at = np.asarray(reviews.column("reviewedAt"), dtype=np.int64)
    order = sorted(range(len(r_card)), key=lambda i: (int(r_at[i]), r_card[i]))
    previous: dict[str, int] = {}
    repeats: dict[str, int] = {}
    previous_recalled: dict[str, bool] = {}
    review_obs: list[pin.ReviewObs] = []
    per_session: dict[str, list[tuple[int, str, bool, float]]] = defaultdict(list)
    for i in order:
        card, at = r_card[i], int(r_at[i])
        last = previous.get(card)
        repeat = last is not None
        if last is not None:
            review_obs.append(
                pin.ReviewObs(
                    card_id=card,
                    reviewed_at=_local(at, zone),
                    elapsed_days=(at - last) / DAY_MS,
                    recalled=r_rating[i] != AGAIN,
                    repeat_number=repeats.get(card, 0) + 1,
                    previous_recalled=previous_recalled[card],
                )
            )
            repeats[card] = repeats.get(card, 0) + 1
        previous[card] = at
        previous_recalled[card] = r_rating[i] != AGAIN
        latency = events["latency"].get((card, at), float("nan"))
        per_session[r_session[i]].append((at, r_rating[i], repeat, latency))

    sessions_table = data.table("study_sessions")
    ids = list(sessions_table.column("id"))
    starts = np.asarray(sessions_table.column("startedAt"), dtype=np.int64).tolist()
    ends = np.asarray(sessions_table.column("completedAt"), dtype=np.int64).tolist()
    mission_ids = list(sessions_table.column("missionId"))
    views: list[SessionView] = []
    for index, sid in enumerate(ids):
        payload, perf, content = events["ended"][sid]
        start, end = int(starts[index]), int(ends[index])
        revs = per_session.get(sid, [])
        minutes = payload.get("contentMinutes", {})
        views.append(
            SessionView(
                session_id=sid,
                index=index,
                start_ms=start,
                end_ms=end,
                started_local=_local(start, zone),
                duration_minutes=(end - start) / MINUTE_MS,
                mission_id=mission_ids[index],
                performance=float(perf if perf is not None else 0.0),
                engagement=(
                    float(payload["engagementScore"])
                    if payload.get("engagementScore") is not None
                    else None
                ),
                content_type=str(content or events["started_content"].get(sid) or "flashcard"),
                content_minutes=tuple(
                    (name, float(m)) for name, m in minutes.items() if name in pin.CONTENT_TYPES
                ),
                objectives_planned=int(payload.get("objectivesPlanned", 0)),
                objectives_completed=int(payload.get("objectivesCompleted", 0)),
                pause_count=int(payload.get("pauseCount", 0)),
                paused_ms=int(payload.get("pausedMs", 0)),
                review_minutes=tuple((at - start) / MINUTE_MS for at, _r, _p, _l in revs),
                review_ratings=tuple(r for _a, r, _p, _l in revs),
                review_repeat=tuple(p for _a, _r, p, _l in revs),
                review_latency_ms=tuple(lat for _a, _r, _p, lat in revs),
            )
        )
    views.sort(key=lambda v: (v.start_ms, v.session_id))

    session_obs = tuple(_session_obs(v) for v in views)
    first_start = min((v.start_ms for v in views), default=window_end_ms)
    now_dt = now or _local(window_end_ms, zone)
    return AdaptedLearner(
        user_id=str(users.column("id")[0]),
        timezone=timezone,
        window_start=_local(first_start, zone).date(),
        now=now_dt,
        sessions=tuple(views),
        patterns_input=pin.LearnerData(
            now=now_dt,
            sessions=session_obs,
            reviews=tuple(review_obs),
            content=content_by_primary_type(views),
            total_reviews=len(r_card),
        ),
    )


def _session_obs(v: SessionView) -> pin.SessionObs:
    completion = (
        min(1.0, v.objectives_completed / v.objectives_planned)
        if v.objectives_planned > 0
        else None
    )
    return pin.SessionObs(
        session_id=v.session_id,
        started_at=v.started_local,
        duration_minutes=v.duration_minutes,
        performance=min(pin.PERCENT_MAX, max(0.0, v.performance)),
        retention=v.retention,
        completion=completion,
        engagement=v.engagement,
        objectives_planned=v.objectives_planned,
        objectives_completed=v.objectives_completed,
        reviews=tuple(
            pin.ReviewMark(minute=max(0.0, m), correct=c)
            for m, c in zip(v.review_minutes, v.correct, strict=True)
        ),
        content_minutes=v.content_minutes,
    )


def content_by_primary_type(sessions: Sequence[SessionView]) -> tuple[pin.ContentObs, ...]:
    """Per content type: outcomes of the sessions mainly spent on it; minutes of it over all sessions.

    ``items`` is the number of sessions whose main content type it is (the type of the
    ``SESSION_STARTED`` / ``SESSION_ENDED`` events).
    """
    minutes: dict[str, float] = defaultdict(float)
    outcomes: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    count: dict[str, int] = defaultdict(int)
    for s in sessions:
        for name, m in s.content_minutes:
            minutes[name] += m
        count[s.content_type] += 1
        slot = outcomes[s.content_type]
        slot["performance"].append(s.performance)
        if (r := s.retention) is not None:
            slot["retention"].append(r)
        if s.objectives_planned > 0:
            slot["completion"].append(min(1.0, s.objectives_completed / s.objectives_planned))
        if s.engagement is not None:
            slot["engagement"].append(s.engagement)

    def mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if values else None

    return tuple(
        pin.ContentObs(
            content_type=c,
            items=count.get(c, 0),
            minutes=minutes.get(c, 0.0),
            performance=mean(outcomes[c]["performance"]) if c in outcomes else None,
            retention=mean(outcomes[c]["retention"]) if c in outcomes else None,
            completion=mean(outcomes[c]["completion"]) if c in outcomes else None,
            engagement=mean(outcomes[c]["engagement"]) if c in outcomes else None,
        )
        for c in pin.CONTENT_TYPES
        if c in minutes or c in count
    )


def mission_days(data: SimulatedLearner, timezone: str) -> tuple[tuple[date, str], ...]:
    """Each mission's local date and status."""
    zone = ZoneInfo(timezone)
    missions = data.table("missions")
    dates = np.asarray(missions.column("date"), dtype=np.int64).tolist()
    return tuple(
        (_local(ms, zone).date(), str(status))
        for ms, status in zip(dates, missions.column("status"), strict=True)
        if ms != NULL_MS
    )


def session_loads(
    adapted: AdaptedLearner, optimal_session_minutes: float | None
) -> tuple[CognitiveLoad, ...]:
    """Cognitive load of every session (time order)."""
    return tuple(compute_cognitive_load(x) for x in adapted.load_inputs(optimal_session_minutes))


__all__ = [
    "AdaptedLearner",
    "SessionView",
    "adapt_learner",
    "content_by_primary_type",
    "mission_days",
    "session_loads",
]
