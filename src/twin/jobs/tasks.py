"""The engine's tasks, gathered on a procrastinate Blueprint that the App factory adds."""

from __future__ import annotations

import logging

from procrastinate import Blueprint

from twin.jobs import (
    cognitive,
    experiments,
    insights,
    orchestration,
    patterns,
    personalization,
    struggle,
)
from twin.jobs.registry import PERIODIC_JOBS, register_periodic_jobs

log = logging.getLogger(__name__)

PING = "ping"
CAPABILITY_JOB_MODULES = (
    patterns,
    cognitive,
    struggle,
    orchestration,
    experiments,
    insights,
    personalization,
)
"""Job modules of the capabilities, one per capability that has scheduled work."""


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
    # On-demand tasks of the capabilities' job modules (e.g. one job per learner, fanned
    # out by a tick); each jobs/<capability>.py has a register_tasks.
    for module in CAPABILITY_JOB_MODULES:
        module.register_tasks(blueprint)
    register_periodic_jobs(blueprint, PERIODIC_JOBS)
    return blueprint
