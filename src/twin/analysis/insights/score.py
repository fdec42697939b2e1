"""The weekly behavioral score (ENGINE.md 5.6): five components, each 0–100, defined here only.

``score = 0.25·consistency + 0.25·quality + 0.20·completion + 0.15·insight application
+ 0.15·retention`` over one local week (Monday to Sunday), from a :class:`WeekActivity`:

- consistency = 100 · min(1, study days / 5): five study days a week is full marks;
- quality = the mean 5.1 session score of the week's sessions
  (``0.4·performance + 0.3·retention·100 + 0.2·completion·100 + 0.1·engagement``,
  :func:`twin.analysis.patterns.study_time.session_score`);
- completion = 100 · objectives completed / planned that week (when nothing was planned:
  the mean session completion rate, when known);
- insight application = 100 · recommendations applied / recommendations open that week;
- retention = 100 · recalled / repeat reviews that week.

A component without data that week (no sessions, no plan, no open recommendation, no
repeat review) is *not measured*: the score is the weighted mean of the measured ones,
the weights renormalised (as the 5.1 session score does), and the week says which were
missing. Consistency is always measured, so a week without study scores 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from twin.analysis.insights.common import (
    DAYS_PER_WEEK,
    PERCENT_MAX,
    check_percent,
    check_unit,
    rounded,
)
from twin.analysis.patterns.inputs import ReviewObs, SessionObs
from twin.analysis.patterns.study_time import session_score

STUDY_DAYS_FOR_FULL_CONSISTENCY = 5


class Component(StrEnum):
    """The five components of the behavioral score."""

    CONSISTENCY = "consistency"
    QUALITY = "quality"
    COMPLETION = "completion"
    INSIGHT_APPLICATION = "insightApplication"
    RETENTION = "retention"


COMPONENT_WEIGHTS: dict[Component, float] = {
    Component.CONSISTENCY: 0.25,
    Component.QUALITY: 0.25,
    Component.COMPLETION: 0.20,
    Component.INSIGHT_APPLICATION: 0.15,
    Component.RETENTION: 0.15,
}


@dataclass(frozen=True)
class WeekActivity:
    """One local week of a learner, aggregated (see :func:`week_activity`)."""

    week_start: date
    study_days: int
    sessions: int
    mean_session_score: float | None
    objectives_planned: int
    objectives_completed: int
    mean_session_completion: float | None
    recommendations_open: int
    recommendations_applied: int
    reviews: int
    reviews_recalled: int

    def __post_init__(self) -> None:
        if not 0 <= self.study_days <= DAYS_PER_WEEK:
            raise ValueError(f"study_days must be in [0, 7], got {self.study_days}")
        if not 0 <= self.objectives_completed <= self.objectives_planned:
            raise ValueError("objectives_completed must be in [0, objectives_planned]")
        if self.mean_session_score is not None:
            check_percent("mean_session_score", self.mean_session_score)
        if self.mean_session_completion is not None:
            check_unit("mean_session_completion", self.mean_session_completion)
        if not 0 <= self.recommendations_applied <= self.recommendations_open:
            raise ValueError("recommendations_applied must be in [0, recommendations_open]")
        if not 0 <= self.reviews_recalled <= self.reviews:
            raise ValueError("reviews_recalled must be in [0, reviews]")


@dataclass(frozen=True)
class WeeklyScore:
    """The score of one week, its components (None = not measured) and the missing ones."""

    week_start: date
    score: float
    components: dict[Component, float | None]

    @property
    def missing(self) -> tuple[Component, ...]:
        """Components without data that week."""
        return tuple(c for c, v in self.components.items() if v is None)

    def to_json(self) -> dict[str, object]:
        """``{"weekStart", "score", "components": {...}, "missing": [...]}``."""
        return {
            "weekStart": self.week_start.isoformat(),
            "score": self.score,
            "components": {
                str(c): None if v is None else rounded(v, 2) for c, v in self.components.items()
            },
            "missing": [str(c) for c in self.missing],
        }


def week_activity(
    week_start: date,
    sessions: Sequence[SessionObs],
    reviews: Sequence[ReviewObs] = (),
    *,
    recommendations_open: int = 0,
    recommendations_applied: int = 0,
) -> WeekActivity:
    """Aggregate the sessions and repeat reviews whose local date falls in [week_start, +7 days)."""
    end = week_start + timedelta(days=DAYS_PER_WEEK)
    week = [s for s in sessions if week_start <= s.started_at.date() < end]
    revs = [r for r in reviews if week_start <= r.reviewed_at.date() < end]
    planned = sum(s.objectives_planned for s in week)
    completed = sum(min(s.objectives_completed, s.objectives_planned) for s in week)
    rates = [c for s in week if (c := s.completion_rate) is not None]
    return WeekActivity(
        week_start=week_start,
        study_days=len({s.started_at.date() for s in week}),
        sessions=len(week),
        mean_session_score=sum(session_score(s) for s in week) / len(week) if week else None,
        objectives_planned=planned,
        objectives_completed=completed,
        mean_session_completion=sum(rates) / len(rates) if rates else None,
        recommendations_open=recommendations_open,
        recommendations_applied=recommendations_applied,
        reviews=len(revs),
        reviews_recalled=sum(r.recalled for r in revs),
    )


def components(week: WeekActivity) -> dict[Component, float | None]:
    """Each component on 0–100, None when not measured that week."""
    completion: float | None = None
    if week.objectives_planned > 0:
        completion = PERCENT_MAX * week.objectives_completed / week.objectives_planned
    elif week.mean_session_completion is not None:
        completion = PERCENT_MAX * week.mean_session_completion
    return {
        Component.CONSISTENCY: PERCENT_MAX
        * min(1.0, week.study_days / STUDY_DAYS_FOR_FULL_CONSISTENCY),
        Component.QUALITY: week.mean_session_score,
        Component.COMPLETION: completion,
        Component.INSIGHT_APPLICATION: (
            PERCENT_MAX * week.recommendations_applied / week.recommendations_open
            if week.recommendations_open > 0
            else None
        ),
        Component.RETENTION: (
            PERCENT_MAX * week.reviews_recalled / week.reviews if week.reviews > 0 else None
        ),
    }


def combine(parts: dict[Component, float | None]) -> float:
    """Weighted mean of the measured components (weights renormalised), 0–100."""
    measured = [(COMPONENT_WEIGHTS[c], v) for c, v in parts.items() if v is not None]
    total = sum(w for w, _ in measured)
    if total == 0:
        return 0.0
    return min(PERCENT_MAX, max(0.0, sum(w * v for w, v in measured) / total))


def weekly_score(week: WeekActivity) -> WeeklyScore:
    """The behavioral score of one week (rounded to 2 decimals) with its components."""
    parts = components(week)
    return WeeklyScore(week.week_start, rounded(combine(parts), 2), parts)


def weekly_scores(weeks: Sequence[WeekActivity]) -> list[WeeklyScore]:
    """Scores of several weeks, oldest first."""
    return [weekly_score(w) for w in sorted(weeks, key=lambda w: w.week_start)]
