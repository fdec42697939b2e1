"""Declarative base and the physical conventions of SCHEMA.md.

Tables are snake_case plurals, columns camelCase (Python attributes carry the
same camelCase names, so SQL, COPY, the ORM and the JSON API share one name),
primary keys TEXT, timestamps ``TIMESTAMP(3)`` holding UTC,
JSON as JSONB, enums as PostgreSQL enum types named after the Python enum.
Constraint and index names follow Prisma's scheme (``{table}_{cols}_idx`` …),
cut to PostgreSQL's 63-character limit the way Prisma cuts them.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

from twin.clock import utcnow

PG_IDENTIFIER_MAX = 63
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def prisma_name(table: str, columns: list[str] | tuple[str, ...], suffix: str) -> str:
    """Name an index/constraint as Prisma does: ``{table}_{cols}_{suffix}`` cut to 63 chars."""
    body = "_".join([table, *columns])
    room = PG_IDENTIFIER_MAX - len(suffix) - 1
    return f"{body[:room]}_{suffix}"


def new_id() -> str:
    """A collision-resistant, time-ordered id: ms timestamp + 80 random bits, base32."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


Timestamp = pg.TIMESTAMP(precision=3)
NOW = sa.text("CURRENT_TIMESTAMP")
EMPTY_TEXT_ARRAY = sa.text("ARRAY[]::TEXT[]")

metadata = sa.MetaData(
    naming_convention={
        # Explicit names are given wherever Prisma's scheme differs from these.
        "pk": "%(table_name)s_pkey",
    }
)


class Base(DeclarativeBase):
    """Root of every mapped table."""

    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        str: sa.Text(),
        int: sa.Integer(),
        float: pg.DOUBLE_PRECISION(),
        bool: sa.Boolean(),
        datetime: Timestamp,
        dict[str, Any]: pg.JSONB(),
        list[Any]: pg.JSONB(),
        list[str]: pg.ARRAY(sa.Text()),
    }


def enum_type(enum_cls: type[StrEnum]) -> sa.Enum:
    """The PostgreSQL enum type for ``enum_cls``, named exactly like the class."""
    return sa.Enum(
        enum_cls,
        name=enum_cls.__name__,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


def pk_column() -> MappedColumn[Any]:
    """``id TEXT PRIMARY KEY`` with an engine-generated id when none is given."""
    return mapped_column(sa.Text(), primary_key=True, default=new_id)


def created_column() -> MappedColumn[Any]:
    """A NOT NULL ``TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP`` column."""
    return mapped_column(Timestamp, nullable=False, server_default=NOW, default=utcnow)


def updated_column() -> MappedColumn[Any]:
    """Prisma's ``@updatedAt``: set by the ORM on insert and every update."""
    return mapped_column(
        Timestamp, nullable=False, server_default=NOW, default=utcnow, onupdate=utcnow
    )


def text_array_column() -> MappedColumn[Any]:
    """A ``TEXT[] NOT NULL DEFAULT '{}'`` column (Prisma ``String[]``)."""
    return mapped_column(
        pg.ARRAY(sa.Text()), nullable=False, server_default=EMPTY_TEXT_ARRAY, default=list
    )


def index(table: str, *columns: str, unique: bool = False, **kw: Any) -> sa.Index:
    """A Prisma-named index ``{table}_{cols}_idx`` (or ``_key`` when unique) on physical columns."""
    suffix = "key" if unique else "idx"
    return sa.Index(prisma_name(table, columns, suffix), *columns, unique=unique, **kw)


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    """A Prisma-named unique constraint ``{table}_{cols}_key``."""
    return sa.UniqueConstraint(*columns, name=prisma_name(table, columns, "key"))


def fk(
    table: str,
    column: str,
    target: str,
    *,
    ondelete: str,
) -> sa.ForeignKey:
    """A Prisma-named foreign key ``{table}_{column}_fkey``; ON UPDATE CASCADE always."""
    return sa.ForeignKey(
        target,
        name=prisma_name(table, [column], "fkey"),
        ondelete=ondelete,
        onupdate="CASCADE",
    )
