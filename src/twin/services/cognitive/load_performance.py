"""How the learner's session load relates to their session performance (ENGINE.md 5.4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from twin.analysis.cognitive.load_performance import (
    LoadPerformanceAnalysis,
    analyze_load_performance,
)
from twin.analysis.common import naive_utc
from twin.learners import Learner
from twin.services.cognitive.common import iso
from twin.services.cognitive.summaries import session_summaries

# Sessions (of this many days) paired with their performance for the load–performance analysis.
LOAD_PERFORMANCE_HISTORY_DAYS = 90


def load_performance(session: Session, learner: Learner, now: datetime) -> dict[str, Any]:
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
    window = {"days": LOAD_PERFORMANCE_HISTORY_DAYS, "to": iso(end)}
    if isinstance(result, LoadPerformanceAnalysis):
        return {**result.to_json(), "window": window, "insufficient": None}
    return {
        "sessions": result.have,
        "pearsonR": None,
        "pValue": None,
        "significant": False,
        "bands": [],
        "bestBand": None,
        "invertedU": False,
        "confidence": 0.0,
        "window": window,
        "insufficient": result.to_json(),
    }
