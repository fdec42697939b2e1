"""Shared field types of the API's schemas.

Request bodies are strict: a number or a flag sent as a string (``"60"``, ``"yes"``) is
refused, not coerced; an integer may be written ``60.0`` (JSON Schema counts it as one).
Ids follow one alphabet wherever they enter (:data:`twin.ingest.schemas.ID_RULE`), and
query timestamps the same rule as ingested ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path
from pydantic import (
    AfterValidator,
    PlainSerializer,
    PlainValidator,
    Strict,
    StrictBool,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from starlette.convertors import Convertor

from twin.analysis.common import iso_utc
from twin.ingest.schemas import (
    ID_JSON_SCHEMA,
    ID_RULE,
    TIMESTAMP_JSON_SCHEMA,
    RecordId,
    id_problem,
    parse_rfc3339_aware,
    whole_number,
)

__all__ = [
    "Id",
    "IdPath",
    "JsonBool",
    "JsonFloat",
    "NoColonSegment",
    "QueryTimestamp",
    "Timestamp",
    "UserId",
    "whole_number",
]


TIMESTAMP_EXAMPLE = "2026-03-01T08:00:00.000Z"
Timestamp = Annotated[
    datetime,
    PlainSerializer(iso_utc, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 in UTC with a Z, milliseconds",
            "examples": [TIMESTAMP_EXAMPLE],
        }
    ),
]
"""An instant in an answer: ISO 8601 UTC with a Z at millisecond precision (naive = UTC)."""

JsonBool = StrictBool
"""true or false only (``"yes"``, ``1`` are refused)."""

JsonFloat = Annotated[float, Strict()]
"""A JSON number (``"1.5"`` and ``true`` are refused)."""

Id = RecordId
"""An id inside a request body (the id alphabet, 1–200 characters)."""


def _checked_id(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise PydanticCustomError("id_alphabet", problem)
    return value


IdPath = Annotated[
    str,
    AfterValidator(_checked_id),
    WithJsonSchema({**ID_JSON_SCHEMA, "description": f"An id: {ID_RULE}"}),
]
"""An id in the URL path (the id alphabet; 422 naming ``path.<name>`` otherwise)."""

UserId = Annotated[IdPath, Path(description="The learner's id")]
"""The ``{userId}`` of every learner's path."""


def _query_timestamp(value: object) -> datetime:
    """An RFC 3339 timestamp with an offset, aware in that offset, at ms precision."""
    if isinstance(value, datetime):  # a default written in code
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("timestamp_type", "must be an RFC 3339 timestamp")
    return parse_rfc3339_aware(value)


QueryTimestamp = Annotated[
    datetime, PlainValidator(_query_timestamp), WithJsonSchema(TIMESTAMP_JSON_SCHEMA)
]
"""A timestamp query parameter, parsed like ingested ones (offset required, year 1900–2999)."""


class NoColonSegment(Convertor[str]):
    """A path segment without ``:`` — so ``/experiments/{id}:stop`` is never read as a GET of
    an experiment whose id ends in ``:stop`` (engine ids never hold a colon)."""

    regex = "[^/:]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value
