"""How each ingested kind maps onto its table, and the set-based SQL that writes it.

Every write is one ``INSERT … SELECT … FROM unnest(<one array per column>)``
with binary parameters (measured with ``benchmarks/insert_strategies.py``: as fast as
COPY into a temporary table, 1.5–1.7× faster than text parameters; one statement):

- ``ON CONFLICT (id) DO UPDATE`` with the new values, but only when the row
  belongs to the same learner *and* something changed — so a re-sent batch
  writes nothing at all, and another learner's row is never touched;
- ``RETURNING id``: ids not returned are either unchanged rows of this learner
  or rows of another learner, which the caller then tells apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

NOW_UTC_SQL = "(now() AT TIME ZONE 'UTC')::timestamp(3)"


class ColumnKind(Enum):
    """How a column travels: the array type of its parameter and the cast into the table."""

    TEXT = "text"
    TIMESTAMP = "timestamp"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    JSON = "json"
    TEXT_ARRAY = "text_array"
    ENUM = "enum"


_PARAM_ARRAY_TYPES = {
    ColumnKind.TEXT: "text[]",
    ColumnKind.TIMESTAMP: "timestamp[]",
    ColumnKind.INT: "int8[]",
    ColumnKind.FLOAT: "float8[]",
    ColumnKind.BOOL: "bool[]",
    ColumnKind.JSON: "text[]",
    ColumnKind.TEXT_ARRAY: "text[]",
    ColumnKind.ENUM: "text[]",
}


@dataclass(frozen=True)
class Column:
    """A data column written from a record (``id`` and ``userId`` are implicit)."""

    name: str
    kind: ColumnKind = ColumnKind.TEXT
    enum_type: str | None = None
    # When the record leaves it out: keep the stored value, or now() for a new row.
    keep_when_null: bool = False

    def select_expr(self, table: str) -> str:
        """The SELECT expression turning the unnested parameter into the column's type."""
        ref = f'v."{self.name}"'
        if self.kind is ColumnKind.JSON:
            return f"{ref}::jsonb"
        if self.kind is ColumnKind.TEXT_ARRAY:
            return (
                f"ARRAY(SELECT a.e FROM jsonb_array_elements_text({ref}::jsonb) "
                "WITH ORDINALITY AS a(e, n) ORDER BY a.n)"
            )
        if self.kind is ColumnKind.ENUM:
            return f'{ref}::"{self.enum_type}"'
        if self.kind is ColumnKind.INT:
            return f"{ref}::int4"
        if self.keep_when_null:
            return (
                f'COALESCE({ref}, (SELECT x."{self.name}" FROM {table} x WHERE x.id = v.id), '
                f"{NOW_UTC_SQL})"
            )
        return ref


@dataclass(frozen=True)
class Owner:
    """How to find the learner a row belongs to: its own ``userId`` or its parent's."""

    parent_table: str | None = None
    parent_column: str | None = None

    def owner_sql(self, table: str) -> str:
        """``SELECT id, owner`` for the rows whose ids are in ``%(ids)s``."""
        if self.parent_table is None:
            return f'SELECT x.id, x."userId" FROM {table} x WHERE x.id = ANY(%(ids)b::text[])'
        return (
            f'SELECT x.id, p."userId" FROM {table} x '
            f'JOIN {self.parent_table} p ON p.id = x."{self.parent_column}" '
            "WHERE x.id = ANY(%(ids)b::text[])"
        )

    def guard_sql(self) -> str:
        """True when the existing row ``t`` belongs to ``%(user_id)s``."""
        if self.parent_table is None:
            return 't."userId" = %(user_id)s::text'
        return (
            f"EXISTS (SELECT 1 FROM {self.parent_table} p "
            f'WHERE p.id = t."{self.parent_column}" AND p."userId" = %(user_id)s::text)'
        )


DIRECT = Owner()


@dataclass(frozen=True)
class TableSpec:
    """One table the ingestion writes."""

    table: str
    columns: tuple[Column, ...]
    owner: Owner = DIRECT
    touch_updated_at: bool = False

    @property
    def has_user_id(self) -> bool:
        """True when the table has its own ``userId`` column."""
        return self.owner.parent_table is None

    @property
    def column_names(self) -> tuple[str, ...]:
        """The data columns, in order."""
        return tuple(c.name for c in self.columns)

    def upsert_sql(self) -> str:
        """The set-based idempotent upsert; parameters ``%(id)b``, one per column, ``user_id``."""
        names = [c.name for c in self.columns]
        quoted = [f'"{n}"' for n in names]
        insert_cols = ['"id"', *(['"userId"'] if self.has_user_id else []), *quoted]
        select = ["v.id", *(["%(user_id)s::text"] if self.has_user_id else [])]
        select += [c.select_expr(self.table) for c in self.columns]
        arrays = ["%(id)b::text[]"] + [
            f"%({c.name})b::{_PARAM_ARRAY_TYPES[c.kind]}" for c in self.columns
        ]
        sets = [f"{q} = EXCLUDED.{q}" for q in quoted]
        if self.touch_updated_at:
            sets.append(f'"updatedAt" = {NOW_UTC_SQL}')
        current = ", ".join(f"t.{q}" for q in quoted)
        proposed = ", ".join(f"EXCLUDED.{q}" for q in quoted)
        return (
            f"INSERT INTO {self.table} AS t ({', '.join(insert_cols)}) "
            f"SELECT {', '.join(select)} "
            f"FROM unnest({', '.join(arrays)}) AS v(id, {', '.join(quoted)}) "
            f"ON CONFLICT (id) DO UPDATE SET {', '.join(sets)} "
            f"WHERE {self.owner.guard_sql()} "
            f"AND ROW({current}) IS DISTINCT FROM ROW({proposed}) "
            "RETURNING t.id"
        )

    def owner_sql(self) -> str:
        """``SELECT id, owner`` of the rows whose ids are in ``%(ids)s``."""
        return self.owner.owner_sql(self.table)


def _enum(name: str, enum_type: str) -> Column:
    return Column(name, ColumnKind.ENUM, enum_type)


TS = ColumnKind.TIMESTAMP
INT = ColumnKind.INT
FLOAT = ColumnKind.FLOAT

COURSES = TableSpec("courses", (Column("name"), Column("code")), touch_updated_at=True)
LECTURES = TableSpec(
    "lectures",
    (
        Column("courseId"),
        Column("title"),
        Column("topicTags", ColumnKind.TEXT_ARRAY),
        Column("uploadedAt", TS, keep_when_null=True),
    ),
)
OBJECTIVES = TableSpec(
    "learning_objectives",
    (
        Column("lectureId"),
        Column("objective"),
        Column("isHighYield", ColumnKind.BOOL),
        _enum("complexity", "ObjectiveComplexity"),
        _enum("masteryLevel", "MasteryLevel"),
        Column("weaknessScore", FLOAT),
        Column("lastStudiedAt", TS),
        Column("totalStudyTimeMs", INT),
    ),
    owner=Owner("lectures", "lectureId"),
)
CARDS = TableSpec(
    "cards",
    (
        Column("courseId"),
        Column("lectureId"),
        Column("objectiveId"),
        _enum("cardType", "CardType"),
    ),
    owner=Owner("courses", "courseId"),
)
SESSIONS = TableSpec(
    "study_sessions",
    (
        Column("missionId"),
        Column("startedAt", TS),
        Column("completedAt", TS),
        Column("durationMs", INT),
        Column("reviewsCompleted", INT),
        Column("newCardsStudied", INT),
        Column("sessionNotes"),
        Column("objectiveCompletions", ColumnKind.JSON),
    ),
)
REVIEWS = TableSpec(
    "reviews",
    (
        Column("cardId"),
        Column("sessionId"),
        _enum("rating", "ReviewRating"),
        Column("timeSpentMs", INT),
        Column("reviewedAt", TS),
    ),
)
VALIDATIONS = TableSpec(
    "validation_responses",
    (
        Column("sessionId"),
        Column("objectiveId"),
        Column("promptType"),
        Column("score", FLOAT),
        Column("confidence", FLOAT),
        Column("respondedAt", TS),
    ),
)
MISSIONS = TableSpec(
    "missions",
    (
        Column("date", TS),
        _enum("status", "MissionStatus"),
        Column("estimatedMinutes", INT),
        Column("recommendedStartTime", TS),
        Column("actualStartTime", TS),
        Column("completedAt", TS),
        Column("objectives", ColumnKind.JSON),
        Column("reviewCardCount", INT),
        Column("newContentCount", INT),
        Column("actualMinutes", INT),
        Column("difficultyRating", INT),
        Column("successScore", FLOAT),
        Column("recommendedDuration", INT),
        Column("actualDuration", INT),
        Column("sessionPerformanceScore", FLOAT),
    ),
)
EXAMS = TableSpec(
    "exams",
    (
        Column("courseId"),
        Column("name"),
        Column("date", TS),
        Column("coverageTopics", ColumnKind.TEXT_ARRAY),
    ),
)
EVENTS = TableSpec(
    "behavioral_events",
    (
        _enum("eventType", "EventType"),
        Column("eventData", ColumnKind.JSON),
        Column("timestamp", TS),
        _enum("completionQuality", "CompletionQuality"),
        Column("contentType"),
        Column("dayOfWeek", INT),
        Column("difficultyLevel"),
        _enum("engagementLevel", "EngagementLevel"),
        Column("sessionPerformanceScore", INT),
        Column("timeOfDay", INT),
    ),
)

TABLE_SPECS: dict[str, TableSpec] = {
    "courses": COURSES,
    "lectures": LECTURES,
    "objectives": OBJECTIVES,
    "cards": CARDS,
    "sessions": SESSIONS,
    "reviews": REVIEWS,
    "validations": VALIDATIONS,
    "missions": MISSIONS,
    "exams": EXAMS,
    "events": EVENTS,
}
SPECS_BY_TABLE: dict[str, TableSpec] = {spec.table: spec for spec in TABLE_SPECS.values()}

PREREQUISITES_DELETE_SQL = (
    'DELETE FROM objective_prerequisites p WHERE p."objectiveId" = ANY(%(objective_ids)b::text[]) '
    'AND (p."objectiveId", p."prerequisiteId") NOT IN '
    "(SELECT * FROM unnest(%(objective_id)b::text[], %(prerequisite_id)b::text[]))"
)
PREREQUISITES_UPSERT_SQL = (
    'INSERT INTO objective_prerequisites AS t (id, "objectiveId", "prerequisiteId", strength) '
    "SELECT gen_random_uuid()::text, v.o, v.p, v.s "
    "FROM unnest(%(objective_id)b::text[], %(prerequisite_id)b::text[], %(strength)b::float8[]) "
    "AS v(o, p, s) "
    'ON CONFLICT ("objectiveId", "prerequisiteId") DO UPDATE SET strength = EXCLUDED.strength '
    "WHERE t.strength IS DISTINCT FROM EXCLUDED.strength"
)
