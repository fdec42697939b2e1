"""The engine's tasks, gathered on a procrastinate Blueprint that the App factory adds."""

from __future__ import annotations

import logging

from procrastinate import Blueprint

from twin.jobs import patterns, struggle
from twin.jobs.registry import PERIODIC_JOBS, register_periodic_jobs

log = logging.getLogger(__name__)

PING = "ping"


def ping(message: str) -> str:
    """Log and return ``message``: a job that checks that workers run."""
    log.info("ping: %s", message)
    return message


def build_blueprint() -> Blueprint:
    """A new Blueprint holding every on-demand task and every periodic job of the registry."""
    # A fresh one per App: adding a blueprint to an App renames its tasks in place
    # (namespace prefix), so one blueprint can serve only one App.
    blueprint = Blueprint()
    blueprint.task(name=PING)(ping)
    # On-demand tasks of feature modules (e.g. one job per learner, fanned out by a tick).
    patterns.register_tasks(blueprint)
    struggle.register_tasks(blueprint)
    register_periodic_jobs(blueprint, PERIODIC_JOBS)
    return blueprint
