"""``twin dashboard-link USER``: a link that signs a learner in to the dashboard."""

from __future__ import annotations

from typing import Annotated

import typer

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
    from twin.cli import database
    from twin.db.migrate import ensure_migrated
    from twin.ui.data import sign_in_link

    with database() as db:
        ensure_migrated(db.engine)
        link = sign_in_link(db, user, base_url, ttl)
    print(link)
