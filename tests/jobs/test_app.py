"""The job App factory and the periodic registry: no database needed."""

from __future__ import annotations

import importlib

import procrastinate
import psycopg.conninfo
import pytest

from twin.jobs import app as app_module
from twin.jobs.app import create_job_app, libpq_conninfo, task_name
from twin.jobs.registry import CRON_FIELDS, PERIODIC_JOBS, PeriodicJob, check_cron
from twin.jobs.tasks import PING

JOB_MODULES = (
    "twin.jobs.app",
    "twin.jobs.tasks",
    "twin.jobs.registry",
    "twin.jobs.housekeeping",
    "twin.jobs.worker",
    "twin.cli.jobs",
)
UNREACHABLE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://postgres:@/twin?host=%2Fpath%2Fto%2Fpgdata",
            {"user": "postgres", "dbname": "twin", "host": "/path/to/pgdata"},
        ),
        (
            "postgresql+psycopg://postgres:@/twin?host=/path/to/pgdata",
            {"user": "postgres", "dbname": "twin", "host": "/path/to/pgdata"},
        ),
        (
            "postgresql://u%40x:p%3Aw%20d@db.example:6543/twin?sslmode=require",
            {
                "user": "u@x",
                "password": "p:w d",
                "host": "db.example",
                "port": "6543",
                "dbname": "twin",
                "sslmode": "require",
            },
        ),
        ("postgres://u@h/d", {"user": "u", "host": "h", "dbname": "d"}),
    ],
)
def test_conninfo_from_sqlalchemy_url(url: str, expected: dict[str, str]) -> None:
    """The driver suffix goes, percent-escapes are decoded, query keys pass through."""
    assert psycopg.conninfo.conninfo_to_dict(libpq_conninfo(url)) == expected


def test_importing_the_jobs_package_builds_no_app() -> None:
    """Nothing at import: no module of twin.jobs holds an App."""
    for name in JOB_MODULES:
        module = importlib.import_module(name)
        apps = [k for k, v in vars(module).items() if isinstance(v, procrastinate.App)]
        assert apps == [], f"{name} builds an App at import: {apps}"


def test_factory_builds_independent_apps_with_every_task() -> None:
    """Each call registers the tasks afresh (a blueprint can join only one App)."""
    first = create_job_app(UNREACHABLE_URL)
    second = create_job_app(UNREACHABLE_URL)
    expected = {task_name(PING)} | {task_name(job.name) for job in PERIODIC_JOBS}
    for app in (first, second):
        assert expected <= set(app.tasks)
        assert app.tasks[task_name(PING)].blueprint is app
    assert first.tasks[task_name(PING)] is not second.tasks[task_name(PING)]
    assert app_module.TASK_NAMESPACE == "twin"


def test_registry_lists_housekeeping_hourly_with_seconds() -> None:
    """housekeeping is registered with a valid six-field cron that fires once an hour."""
    jobs = {job.name: job for job in PERIODIC_JOBS}
    housekeeping = jobs["housekeeping"]
    fields = housekeeping.cron.split()
    assert len(fields) == CRON_FIELDS
    check_cron(housekeeping.cron)
    minute, hour, day, month, weekday, second = fields
    assert (hour, day, month, weekday) == ("*", "*", "*", "*")
    assert minute.isdigit() and second.isdigit()


def test_periodic_jobs_are_scheduled_with_locks() -> None:
    """Every registry entry is a periodic task of the App, locked and queue-locked by name."""
    app = create_job_app(UNREACHABLE_URL)
    scheduled = {key[0]: pt for key, pt in app.periodic_registry.periodic_tasks.items()}
    assert set(scheduled) == {task_name(job.name) for job in PERIODIC_JOBS}
    for job in PERIODIC_JOBS:
        periodic = scheduled[task_name(job.name)]
        assert periodic.cron == job.cron
        assert periodic.task.lock == periodic.task.queueing_lock == job.lock
        assert periodic.task.pass_context


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("7 * * * *", "has 5 fields"),
        ("7 * * * * 0 0", "has 7 fields"),
        ("7 * * * * 61", "not a valid"),
        ("61 * * * * 0", "not a valid"),
    ],
)
def test_bad_crons_are_refused(cron: str, message: str) -> None:
    """A registry entry without a seconds field, or with a wrong one, fails at declaration."""
    with pytest.raises(ValueError, match=message):
        PeriodicJob(name="x", cron=cron, task=PERIODIC_JOBS[0].task, description="x")
