"""The insights benchmark's engine cohorts at a tiny scale: they run through the services."""

from __future__ import annotations

from benchmarks import insights_engine as engine
from twin.db.engine import Database


def test_engine_cohorts_run_end_to_end(db: Database) -> None:
    applied = engine.engine_applied(db, 4, 71, helped_share=0.5)
    assert applied["helped"]["learners"] + applied["notHelped"]["learners"] == 4
    ratio = applied["calibration"]["ratio"]
    assert ratio is None or ratio > 0  # spread of the null change / the SE the interval claims
    goals = engine.engine_goals(db, 1, 72)
    assert goals["goals"] == 5 and goals["exact"] and goals["eventsNotifiedMoreThanOnce"] == 0
    linked = engine.engine_correlation(db, 2, 73, rho=engine.LINK_RHO)
    assert linked["insufficient"] == 0.0  # 16 weeks of scores and exam results each


def test_the_recomputation_agrees_with_the_engine_on_a_known_case() -> None:
    """Sessions of 45 and 60 min in the last 7 days, 30 min 8 days ago (no events): 2 sessions
    and 105 min a week; within ±10% of 45 min over 14 days: 1 of 3."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    naive = now.replace(tzinfo=None)
    raw = [
        (naive - timedelta(days=1), 45 * 60_000, None, None),
        (naive - timedelta(days=2), None, naive - timedelta(days=2) + timedelta(minutes=60), None),
        (naive - timedelta(days=8), 30 * 60_000, None, None),
    ]
    zone = ZoneInfo("UTC")
    assert engine.recompute(raw, zone, "sessionsPerWeek", now) == 2.0
    assert engine.recompute(raw, zone, "studyMinutesPerWeek", now) == 105.0
    assert engine.recompute(raw, zone, "shareNearOptimalDuration(minutes=45)", now) == round(
        1 / 3, 6
    )
    assert engine.recompute(raw, zone, "contentBalance", now) is None
    from twin.analysis.insights.goals import GoalData, measure, parse_metric
    from twin.analysis.patterns.inputs import SessionObs

    data = GoalData(
        sessions=tuple(
            SessionObs(f"s{i}", r[0].replace(tzinfo=UTC), m, 0.0)
            for i, (r, m) in enumerate(zip(raw, (45.0, 60.0, 30.0), strict=True))
        )
    )
    for metric in (
        "sessionsPerWeek",
        "studyMinutesPerWeek",
        "shareNearOptimalDuration(minutes=45)",
    ):
        assert measure(parse_metric(metric), data, now) == engine.recompute(raw, zone, metric, now)
