"""``twin dashboard-link USER``: a link that signs a learner in to the dashboard.

The dashboard (``twin.ui``) is a layer over the services, not a capability; its one
command lives here and, like every command, reads the time once and calls through.
"""

from __future__ import annotations

from typing import Annotated

import typer

from twin.cli.common import database
from twin.clock import utcnow

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_LINK_TTL_SECONDS = 3600


def dashboard_link_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    ttl: Annotated[
        int,
        typer.Option(
            "--ttl",
            help="Seconds the link, and the dashboard session it starts, stay valid (≤ 86400).",
        ),
    ] = DEFAULT_LINK_TTL_SECONDS,
    base_url: Annotated[
        str, typer.Option("--base-url", help="Where `twin serve` answers.")
    ] = DEFAULT_BASE_URL,
) -> None:
    """Print a dashboard sign-in link for a learner (a learner token inside; keep it private)."""
    from twin.ui.data import sign_in_link

    with database(migrated=True) as db:
        link = sign_in_link(db, user, base_url, ttl, utcnow())
    print(link)
