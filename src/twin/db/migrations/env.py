"""Alembic environment: runs on the connection the engine hands over (never at import)."""

from __future__ import annotations

from alembic import context

import twin.db.models  # noqa: F401  (registers every table on the metadata)
from twin.db.base import metadata
from twin.db.migrate import include_object


def run_migrations_online() -> None:
    """Run with the connection in ``config.attributes['connection']``."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        compare_type=True,
        compare_server_default=False,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `twin db upgrade`")
run_migrations_online()
