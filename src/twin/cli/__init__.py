"""The ``twin`` command line: one module per capability, assembled here.

==================  ==============================================  ===================
command             what                                            module
==================  ==============================================  ===================
``import``          import learning data from files                 :mod:`.ingest`
``keys``            service API keys                                :mod:`.learners`
``learners``        the learners in the database                    :mod:`.learners`
``analyze``         a learner's patterns and twin                   :mod:`.patterns`
``health``          cognitive load, burnout risk, stress            :mod:`.cognitive`
``predict``         struggle predictions                            :mod:`.struggle`
``schedule``        study slots and plans around the calendar       :mod:`.orchestration`
``calendar``        a learner's calendar and schedule feed          :mod:`.orchestration`
``model``           the struggle-model registry                     :mod:`.struggle`
``experiment``      A/B experiments: define, results, stop          :mod:`.experiments`
``insights``        recommendations, goals, behavioral score        :mod:`.insights`
``personalize``     a learner's arms, rewards, effectiveness        :mod:`.personalization`
``worker``          job workers                                     :mod:`.jobs`
``db``              migrations, verification, the embedded server   :mod:`.db`
``simulate``        simulated learners with known traits            :mod:`.simulate`
``serve``           the HTTP API                                    :mod:`.serve`
``demo``            everything end to end                           :mod:`.demo`
``dashboard-link``  a dashboard sign-in link for a learner          :mod:`.dashboard`
``bench``           a benchmark of the source checkout              :mod:`.bench`
==================  ==============================================  ===================

Every command opens the database through :func:`twin.cli.common.database`, reads the
time from :func:`twin.clock.utcnow` and calls services; none holds logic of its own.
Importing this package imports no service, no SQLAlchemy and no numpy: ``twin --help``
builds every command, so each module imports what it needs inside its commands
(``tests/cli/test_startup.py`` keeps it so).
"""

from __future__ import annotations

import typer

from twin.cli.bench import BENCH_CONTEXT, bench
from twin.cli.cognitive import health_command
from twin.cli.common import show_flags_as_flags
from twin.cli.dashboard import dashboard_link_command
from twin.cli.db import db_app
from twin.cli.demo import demo
from twin.cli.experiments import experiment_app
from twin.cli.ingest import import_revlog_command
from twin.cli.insights import insights_command
from twin.cli.jobs import worker_command
from twin.cli.learners import keys_app, learners_app
from twin.cli.orchestration import calendar_app, schedule_command
from twin.cli.patterns import analyze_command
from twin.cli.personalization import personalize_command
from twin.cli.serve import serve
from twin.cli.simulate import simulate_command
from twin.cli.struggle import model_app, predict_command

show_flags_as_flags()

app = typer.Typer(
    help="Behavioral Twin Engine: a living model of how each learner learns.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Registration order is the order of `twin --help`.
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(learners_app, name="learners")
app.command("bench", context_settings=BENCH_CONTEXT)(bench)
app.command("worker", help="Run job workers (scheduled analyses, predictions, …).")(worker_command)
app.command("simulate", help="Simulate learners with known hidden traits and load them.")(
    simulate_command
)
app.command("analyze", help="Analyse a learner's patterns now and print their twin.")(
    analyze_command
)
app.command("health", help="A learner's cognitive load, burnout risk and stress patterns.")(
    health_command
)
app.command("predict", help="Predict a learner's upcoming struggles and print the reasons.")(
    predict_command
)
app.add_typer(model_app, name="model")
app.command("dashboard-link", help="Print a link that signs a learner in to the dashboard.")(
    dashboard_link_command
)
app.command("schedule", help="Recommend study slots around a learner's calendar; plan one.")(
    schedule_command
)
app.add_typer(calendar_app, name="calendar")
app.add_typer(experiment_app, name="experiment")
app.command("insights", help="A learner's recommendations, goals and weekly behavioral score.")(
    insights_command
)
app.command("personalize", help="A learner's personalization: level, arms, effectiveness.")(
    personalize_command
)
import_app = typer.Typer(help="Import learning data from files.", no_args_is_help=True)
import_app.command("revlog", help="Import a flashcard review log (CSV) for a learner.")(
    import_revlog_command
)
app.add_typer(import_app, name="import")
app.command("serve")(serve)
app.command("demo")(demo)


def main() -> None:
    """Entry point for ``python -m twin.cli``."""
    app()


__all__ = ["app", "main"]
