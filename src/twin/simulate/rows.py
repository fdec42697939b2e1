"""Column-oriented rows of generated tables and their PostgreSQL COPY text encoding.

Generated data stays in columns (numpy arrays or lists) until it is written: a
:class:`Table` is a table name plus typed :class:`Column` s. Timestamps are int64
milliseconds since the Unix epoch in UTC (``NULL_MS`` for NULL), stored as naive
UTC ``TIMESTAMP(3)``; JSON columns hold ready-made JSON text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import numpy as np

from twin.analysis.common import naive_utc

NULL_MS = -1
COPY_NULL = "\\N"
_COPY_SPECIALS = ("\\", "\t", "\n", "\r")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
EPOCH = datetime(1970, 1, 1)


class Kind(Enum):
    """How a column's values are encoded."""

    TEXT = "text"  # str | None (enums too)
    INT = "int"  # int64 array, or list of int | None
    FLOAT = "float"  # float64 array, or list of float | None
    BOOL = "bool"
    TIMESTAMP = "timestamp"  # int64 epoch ms, NULL_MS for NULL
    JSON = "json"  # JSON text | None
    TEXT_ARRAY = "text[]"  # list[str]


@dataclass(frozen=True)
class Column:
    """One column: physical name, kind, values."""

    name: str
    kind: Kind
    values: Sequence[Any] | np.ndarray


@dataclass(frozen=True)
class Table:
    """Rows of one table, by column."""

    name: str
    columns: tuple[Column, ...]

    def __len__(self) -> int:
        return len(self.columns[0].values) if self.columns else 0

    @property
    def column_names(self) -> tuple[str, ...]:
        """Physical column names in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Sequence[Any] | np.ndarray:
        """The values of column ``name``."""
        for c in self.columns:
            if c.name == name:
                return c.values
        raise KeyError(name)

    def rows(self) -> list[tuple[Any, ...]]:
        """Rows as Python values (timestamps as naive UTC datetimes), for tests and small uses."""
        cols = [_python_values(c) for c in self.columns]
        return list(zip(*cols, strict=True))


def ms_to_datetime(ms: int) -> datetime:
    """Naive UTC datetime of epoch milliseconds."""
    return EPOCH + timedelta(milliseconds=int(ms))


def datetime_to_ms(value: datetime) -> int:
    """Epoch milliseconds of a datetime (naive = UTC)."""
    return (naive_utc(value) - EPOCH) // timedelta(milliseconds=1)


def iso_ms(ms: int) -> str:
    """RFC 3339 UTC text with milliseconds, e.g. ``2026-01-05T08:00:00.000Z`` (for JSON values)."""
    return ms_to_datetime(ms).isoformat(timespec="milliseconds") + "Z"


def _python_values(column: Column) -> list[Any]:
    values = column.values
    plain = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if column.kind is Kind.TIMESTAMP:
        return [None if v is None or v == NULL_MS else ms_to_datetime(v) for v in plain]
    return plain


def _escape(values: list[str | None]) -> list[str]:
    present = [v for v in values if v is not None]
    joined = "\x00".join(present)
    if any(ch in joined for ch in _COPY_SPECIALS):
        return [COPY_NULL if v is None else v.translate(_COPY_ESCAPES) for v in values]
    if len(present) == len(values):
        return present
    return [COPY_NULL if v is None else v for v in values]


def _array_literal(items: Iterable[str]) -> str:
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return "{" + ",".join(quoted) + "}"


def encode_column(column: Column) -> list[str]:
    """COPY text-format fields of one column."""
    values = column.values
    kind = column.kind
    if kind is Kind.TIMESTAMP:
        ms = np.asarray(values, dtype=np.int64)
        text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms").tolist()
        if (ms == NULL_MS).any():
            text = [
                COPY_NULL if m == NULL_MS else t for m, t in zip(ms.tolist(), text, strict=True)
            ]
        return list(text)
    plain = values.tolist() if isinstance(values, np.ndarray) else list(values)
    if kind in (Kind.TEXT, Kind.JSON):
        return _escape(plain)
    if kind is Kind.INT:
        return [COPY_NULL if v is None else str(int(v)) for v in plain]
    if kind is Kind.FLOAT:
        # repr() is the shortest text that round-trips: the stored double is exact.
        return [COPY_NULL if v is None else repr(float(v)) for v in plain]
    if kind is Kind.BOOL:
        return [COPY_NULL if v is None else ("t" if v else "f") for v in plain]
    if kind is Kind.TEXT_ARRAY:
        return _escape([None if v is None else _array_literal(v) for v in plain])
    raise ValueError(f"unknown column kind {kind}")


def copy_text(table: Table) -> str:
    """The table's rows in PostgreSQL COPY text format (tab-separated, ``\\N`` for NULL)."""
    if len(table) == 0:
        return ""
    fields = [encode_column(c) for c in table.columns]
    return "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"


def copy_statement(table_name: str, column_names: Sequence[str]) -> str:
    """``COPY "table" ("col", …) FROM STDIN`` for the given physical names."""
    cols = ", ".join(f'"{c}"' for c in column_names)
    return f'COPY "{table_name}" ({cols}) FROM STDIN'
