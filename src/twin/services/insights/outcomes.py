"""The outcome metric of a recommendation type, observed from the learner's data (ENGINE.md 5.6).

One observation per session (session score, performance), per local day with repeat
reviews (recall rate) or per local day (studied or not), from the same loader as the
pattern analysis (:func:`twin.services.patterns.load_learner_data`), so "session score"
means exactly what 5.1 means by it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, local_date, local_midnight_utc
from twin.analysis.insights.evaluation import (
    REVIEW_RECALL,
    SESSION_PERFORMANCE,
    SESSION_SCORE,
    STUDIED_DAY,
    Observation,
    OutcomeMetric,
)
from twin.analysis.patterns.inputs import LearnerData
from twin.analysis.patterns.study_time import session_score
from twin.db.models import User
from twin.services.patterns import load_learner_data


def load_window(session: Session, user_id: str, since: datetime, until: datetime) -> LearnerData:
    """The learner's sessions and repeat reviews in [since, until)."""
    user = session.get(User, user_id)
    assert user is not None
    return load_learner_data(session, user, aware_utc(until), since=aware_utc(since)).data


def observations(
    data: LearnerData, metric: OutcomeMetric, zone: ZoneInfo, since: datetime, until: datetime
) -> list[Observation]:
    """The metric's observations in [since, until) (days in the learner's zone)."""
    since, until = aware_utc(since), aware_utc(until)
    if metric in (SESSION_SCORE, SESSION_PERFORMANCE):
        value = session_score if metric is SESSION_SCORE else (lambda s: s.performance)
        return [
            Observation(aware_utc(s.started_at), float(value(s)))
            for s in data.sessions_sorted()
            if since <= aware_utc(s.started_at) < until
        ]
    first, last = local_date(since, zone), local_date(until - timedelta(microseconds=1), zone)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if metric is STUDIED_DAY:
        studied = {s.started_at.astimezone(zone).date() for s in data.sessions}
        return [
            Observation(aware_utc(local_midnight_utc(d, zone)), float(d in studied))
            for d in days
            if since <= aware_utc(local_midnight_utc(d, zone)) < until
        ]
    assert metric is REVIEW_RECALL
    by_day: dict[date, list[bool]] = {}
    for r in data.reviews:
        at = aware_utc(r.reviewed_at)
        if since <= at < until:
            by_day.setdefault(at.astimezone(zone).date(), []).append(r.recalled)
    return [
        Observation(aware_utc(local_midnight_utc(d, zone)), sum(v) / len(v))
        for d, v in sorted(by_day.items())
    ]
