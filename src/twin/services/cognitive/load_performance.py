"""How the learner's session load relates to their session performance (ENGINE.md 5.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from twin.analysis.cognitive.load_performance import (
    LoadPerformanceAnalysis,
    analyze_load_performance,
)
from twin.analysis.common import InsufficientData, naive_utc
from twin.learners import Learner
from twin.services.cognitive.summaries import session_summaries

# Sessions (of this many days) paired with their performance for the load–performance analysis.
LOAD_PERFORMANCE_HISTORY_DAYS = 90


@dataclass(frozen=True)
class SessionWindow:
    """The sessions an analysis looked at: the ``days`` days before ``to``."""

    days: int
    to: datetime


@dataclass(frozen=True)
class LoadPerformanceView:
    """The analysis (empty below its minimum), its window, and the unmet minimum if any."""

    analysis: LoadPerformanceAnalysis
    window: SessionWindow
    insufficient: InsufficientData | None


def load_performance(session: Session, learner: Learner, now: datetime) -> LoadPerformanceView:
    """Correlation of session load with session performance over the last 90 days."""
    end = naive_utc(now)
    summaries = session_summaries(
        session, learner.user_id, end - timedelta(days=LOAD_PERFORMANCE_HISTORY_DAYS), end
    )
    pairs = [
        (s.load, s.performance)
        for s in summaries
        if s.load is not None and s.performance is not None
    ]
    result = analyze_load_performance([p[0] for p in pairs], [p[1] for p in pairs])
    window = SessionWindow(LOAD_PERFORMANCE_HISTORY_DAYS, end)
    if isinstance(result, LoadPerformanceAnalysis):
        return LoadPerformanceView(result, window, None)
    return LoadPerformanceView(LoadPerformanceAnalysis.empty(result.have), window, result)
