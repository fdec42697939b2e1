"""The weekly pattern job: learners picked by their local time at the tick, never analysed twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import psycopg.conninfo
import pytest

from tests.services.patterns_support import (
    END,
    cohort_db,
    cohort_module_db,
    count_rows,
    execute,
    learner,
    naive,
    rows,
    scalar,
)
from twin.db.engine import Database
from twin.jobs import patterns as job
from twin.jobs.app import create_job_app, libpq_conninfo
from twin.jobs.database import close_cached_databases, job_database, sqlalchemy_url
from twin.jobs.registry import PERIODIC_JOBS
from twin.services import patterns as ps

__all__ = ["cohort_db", "cohort_module_db"]  # fixtures used here

L0, L1, L2 = learner(0), learner(1), learner(2)
# Sunday 15 March 2026, 14:00 UTC: 23:00 in Tokyo, 15:00 in Berlin, 10:00 in New York.
TICK = datetime(2026, 3, 15, 14, 0, tzinfo=UTC)
# Sunday 15 March 2026, 18:00 UTC: 23:30 in Kolkata (a half-hour zone).
KOLKATA_TICK = datetime(2026, 3, 15, 18, 0, tzinfo=UTC)


def _zones(db: Database, zones: dict[str, str]) -> None:
    for user, zone in zones.items():
        execute(db, "UPDATE users SET timezone = :z WHERE id = :u", z=zone, u=user)


def test_registered_hourly_with_seconds() -> None:
    jobs = {j.name: j for j in PERIODIC_JOBS}
    weekly = jobs[job.JOB_NAME]
    assert weekly.cron == "0 * * * * 0" and weekly.task is job.weekly_pattern_analysis


def test_tick_selects_learners_at_sunday_23_local(cohort_db: Database) -> None:
    _zones(cohort_db, {L0: "Asia/Tokyo", L1: "Europe/Berlin", L2: "Asia/Kolkata"})
    assert job.select_learners(cohort_db, TICK) == [(L0, job.REASON_WEEKLY)]
    assert job.select_learners(cohort_db, KOLKATA_TICK) == [(L2, job.REASON_WEEKLY)]
    assert job.select_learners(cohort_db, TICK - timedelta(hours=1)) == []  # 22:00 in Tokyo
    assert job.select_learners(cohort_db, TICK + timedelta(days=1)) == []  # Monday
    # Berlin's Sunday 23:00 is 22:00 UTC (CET, before the switch to summer time).
    berlin = datetime(2026, 3, 15, 22, 0, tzinfo=UTC)
    assert job.select_learners(cohort_db, berlin) == [(L1, job.REASON_WEEKLY)]


def test_tick_skips_consent_withdrawn_and_too_little_data(cohort_db: Database) -> None:
    _zones(cohort_db, {L0: "Asia/Tokyo", L1: "Asia/Tokyo", L2: "Asia/Tokyo"})
    execute(cohort_db, 'UPDATE users SET "behavioralAnalysisEnabled" = false WHERE id = :u', u=L1)
    execute(cohort_db, "INSERT INTO users (id, timezone) VALUES ('fresh', 'Asia/Tokyo')")
    # Three weeks in: nobody has six weeks of data yet.
    three_weeks = datetime(2026, 1, 25, 14, 0, tzinfo=UTC)
    assert job.select_learners(cohort_db, three_weeks) == []
    assert [u for u, _ in job.select_learners(cohort_db, TICK)] == [L0, L2]


def test_run_tick_analyses_as_of_the_tick(cohort_db: Database) -> None:
    _zones(cohort_db, {L1: "Asia/Tokyo"})  # learner 1 has patterns at the tick (learner 0 none)
    report = job.run_tick(cohort_db, TICK)
    assert report.selected == 1 and report.analyzed == [L1] and not report.failed
    assert scalar(
        cohort_db, 'SELECT "lastAnalyzedAt" FROM user_learning_profiles WHERE "userId" = :u', u=L1
    ) == naive(TICK)
    assert count_rows(cohort_db, "behavioral_patterns", L1) > 0
    assert "1 analysed" in report.summary()
    # The same tick again: already analysed for it, nothing selected.
    assert job.run_tick(cohort_db, TICK).selected == 0


def test_ten_new_sessions_make_a_learner_due_at_any_hour(cohort_db: Database) -> None:
    _zones(cohort_db, {L1: "Europe/Berlin"})
    early = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)  # six weeks and a few days in
    with cohort_db.session() as session:
        assert ps.analyze_user(session, L1, now=early).status == ps.STATUS_ANALYZED
    monday = END + timedelta(days=1)  # not a Sunday anywhere near 23:00 in Berlin
    new = scalar(
        cohort_db,
        'SELECT count(*) FROM study_sessions WHERE "userId" = :u AND "startedAt" > :t '
        'AND "startedAt" < :m',
        u=L1,
        t=naive(early),
        m=naive(monday),
    )
    assert new >= 10
    assert job.select_learners(cohort_db, monday) == [(L1, job.REASON_DUE)]
    report = job.run_tick(cohort_db, monday)
    assert report.analyzed == [L1]
    assert job.select_learners(cohort_db, monday + timedelta(hours=1)) == []


def test_overlapping_ticks_analyse_each_learner_once(cohort_db: Database) -> None:
    _zones(cohort_db, {L0: "Asia/Tokyo", L1: "Asia/Tokyo", L2: "Asia/Tokyo"})
    reports: list[job.TickReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def tick() -> None:
        try:
            barrier.wait()
            reports.append(job.run_tick(cohort_db, TICK))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(reports) == 2
    analysed = [u for r in reports for u in r.analyzed]
    assert sorted(analysed) == [L0, L1, L2]  # each exactly once over both ticks
    for r in reports:
        assert not r.failed and set(r.analyzed) | set(r.skipped) <= {L0, L1, L2}
    occurrences = rows(cohort_db, 'SELECT DISTINCT "occurrenceCount" FROM behavioral_patterns')
    assert [o[0] for o in occurrences] == [1]


def test_a_large_tick_analyses_in_processes_each_learner_once(cohort_db: Database) -> None:
    _zones(cohort_db, {L0: "Asia/Tokyo", L1: "Asia/Tokyo", L2: "Asia/Tokyo"})
    # Threshold 1: these three learners go to two spawned analysis processes.
    report = job.run_tick(cohort_db, TICK, processes=2, process_min_learners=1)
    assert report.selected == 3 and report.analyzed == [L0, L1, L2] and not report.failed
    stamps = rows(cohort_db, 'SELECT "lastAnalyzedAt" FROM user_learning_profiles')
    assert [s[0] for s in stamps] == [naive(TICK)] * 3
    processed = {
        u: rows(
            cohort_db,
            'SELECT "patternType"::text, confidence, "patternData" FROM behavioral_patterns '
            'WHERE "userId" = :u ORDER BY 1, "patternData"->>\'key\'',
            u=u,
        )
        for u in (L0, L1, L2)
    }
    assert processed[L1]  # learner 0 has no pattern at the 0.6 threshold; the others do
    # A retried tick selects nobody; handed the same learners anyway (a tick that
    # selected them before the first committed), the processes re-check and skip them.
    assert job.run_tick(cohort_db, TICK, processes=2, process_min_learners=1).selected == 0
    again = job.analyze_learners(cohort_db, [L0, L1, L2], TICK, processes=2, process_min_learners=1)
    assert [(u, status) for u, status, _ in again] == [(u, ps.STATUS_SKIPPED) for u in (L0, L1, L2)]
    assert all("already analysed" in (reason or "") for _, _, reason in again)
    occurrences = rows(cohort_db, 'SELECT DISTINCT "occurrenceCount" FROM behavioral_patterns')
    assert [o[0] for o in occurrences] == [1]
    # The same tick on threads writes the same patterns: processes change nothing else.
    execute(cohort_db, "DELETE FROM behavioral_insights")
    execute(cohort_db, "DELETE FROM behavioral_patterns")
    execute(cohort_db, "DELETE FROM user_learning_profiles")
    threaded = job.run_tick(cohort_db, TICK, processes=0)
    assert threaded.analyzed == [L0, L1, L2]
    for u, expected in processed.items():
        assert (
            rows(
                cohort_db,
                'SELECT "patternType"::text, confidence, "patternData" FROM behavioral_patterns '
                'WHERE "userId" = :u ORDER BY 1, "patternData"->>\'key\'',
                u=u,
            )
            == expected
        )


def test_small_tick_stays_on_threads(cohort_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _zones(cohort_db, {L0: "Asia/Tokyo", L1: "Asia/Tokyo"})

    def no_processes(*_args: object) -> list[job.LearnerResult]:
        raise AssertionError("a tick below the threshold must not start processes")

    monkeypatch.setattr(job, "_analyze_in_processes", no_processes)
    assert job.PROCESS_MIN_LEARNERS > 2
    assert job.run_tick(cohort_db, TICK).analyzed == [L0, L1]


def test_a_pool_that_cannot_start_falls_back_to_threads(
    cohort_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _zones(cohort_db, {L0: "Asia/Tokyo", L1: "Asia/Tokyo", L2: "Asia/Tokyo"})
    monkeypatch.setattr(job, "PROCESS_START_METHOD", "no-such-start-method")
    report = job.run_tick(cohort_db, TICK, processes=2, process_min_learners=1)
    assert report.analyzed == [L0, L1, L2] and not report.failed


def test_the_task_builds_its_database_from_the_job_app(cohort_db: Database) -> None:
    _zones(cohort_db, {L0: "Asia/Tokyo"})
    app = create_job_app(cohort_db.url)
    context: Any = SimpleNamespace(app=app)
    job.weekly_pattern_analysis(context, timestamp=int(TICK.timestamp()))
    assert count_rows(cohort_db, "user_learning_profiles", L0) == 1
    first = job_database(context)
    assert job_database(context) is first  # cached per process and connection string
    close_cached_databases()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres:@/twin?host=/tmp/pg/data",
        "postgresql://u%40x:p%3Aw%20d@db.example:6543/twin?sslmode=require",
    ],
)
def test_conninfo_back_to_a_url(url: str) -> None:
    conninfo = libpq_conninfo(url)
    again = libpq_conninfo(sqlalchemy_url(conninfo))
    assert psycopg.conninfo.conninfo_to_dict(again) == psycopg.conninfo.conninfo_to_dict(conninfo)
