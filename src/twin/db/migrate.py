"""Schema migrations (Alembic) driven from the engine: upgrade, downgrade, current, history."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from twin.errors import MigrationError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
EPIC5 = "0002"


# Objects that live in the database but are not ours to compare (the job queue's).
FOREIGN_TABLE_PREFIXES = ("procrastinate_",)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave the job queue's own objects out of autogenerate comparisons."""
    if type_ == "table" and name and name.startswith(FOREIGN_TABLE_PREFIXES):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(FOREIGN_TABLE_PREFIXES))


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    """The migration scripts."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision id."""
    head = script_directory().get_current_head()
    if head is None:
        raise MigrationError("no migrations found")
    return head


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Downgrade the schema to ``revision``."""
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class RevisionInfo:
    """One migration in the history."""

    revision: str
    down_revision: str | None
    message: str
    applied: bool


def history(engine: sa.Engine | None = None) -> list[RevisionInfo]:
    """All revisions oldest first, marked applied when at or below the database's current one."""
    scripts = script_directory()
    revs = list(reversed(list(scripts.walk_revisions())))
    applied: set[str] = set()
    if engine is not None:
        current = current_revision(engine)
        if current is not None:
            applied = {r.revision for r in scripts.iterate_revisions(current, "base")}
    return [
        RevisionInfo(
            revision=r.revision,
            down_revision=r.down_revision if isinstance(r.down_revision, str) else None,
            message=r.doc or "",
            applied=r.revision in applied,
        )
        for r in revs
    ]


def ensure_migrated(engine: sa.Engine) -> None:
    """Fail clearly when the database is not at the head revision."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise MigrationError(
            f"the database is at revision {current or 'none'}, the engine needs {head}; "
            "run `twin db upgrade`"
        )
