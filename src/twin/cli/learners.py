"""``twin keys …``: the service API keys that act for learners (the learners capability's credentials)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from twin.cli.common import console, database
from twin.clock import utcnow

keys_app = typer.Typer(
    help="Service API keys (a key may act for any learner).", no_args_is_help=True
)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="A name for the key, e.g. the platform.")],
) -> None:
    """Create a service API key and print it once (only its hash is stored)."""
    from twin.db import migrate
    from twin.services.auth import create_api_key

    with database() as db:
        migrate.ensure_migrated(db.engine)
        with db.session() as session:
            row, plaintext = create_api_key(session, name)
            key_name = row.name
    console.print(f"service key [bold]{key_name}[/] (shown once, store it now):")
    print(plaintext)


@keys_app.command("list")
def keys_list() -> None:
    """List service API keys (names and prefixes, never the keys)."""
    from twin.db import migrate
    from twin.services.auth import list_api_keys

    with database() as db:
        migrate.ensure_migrated(db.engine)
        table = Table("name", "prefix", "created", "revoked")
        with db.session() as session:
            for key in list_api_keys(session):
                revoked = key.revokedAt.isoformat(timespec="seconds") if key.revokedAt else ""
                table.add_row(
                    key.name,
                    key.keyPrefix + "…",
                    key.createdAt.isoformat(timespec="seconds"),
                    revoked,
                )
        console.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a service API key (takes effect within seconds on every API process)."""
    from twin.db import migrate
    from twin.services.auth import revoke_api_key

    with database() as db:
        migrate.ensure_migrated(db.engine)
        with db.session() as session:
            revoke_api_key(session, name, utcnow())
    console.print(f"revoked [bold]{name}[/]")
