"""``twin db verify``: the seed's post-migration verification, done right.

The seed's own SQL had an AND/OR precedence bug and counted "15" indexes where
it listed 12. This checks, against the live catalogue: every table and column of
the data model with its type and nullability, every enum type with its values in
order, the 0002 objects one by one (the experiment FK with ON DELETE CASCADE,
``metrics`` jsonb nullable, ``appliedAt`` timestamp nullable, the 12 indexes by
exact name and column order), and — on a synthetic sample loaded into a scratch
schema that copies the live indexes — that the planner picks the intended index
for each query pattern those indexes serve (no ``enable_seqscan = off``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import twin.db.models  # noqa: F401  (registers every table)
from twin.db.base import metadata
from twin.db.query_patterns import EPIC5_INDEXES, QUERY_PATTERNS, QueryPattern
from twin.enums import ALL_ENUMS

EPIC5_FK = "experiment_assignments_experimentId_fkey"

# Size of the synthetic sample for the planner checks: enough rows per learner
# that an index choice matters, small enough to load in a few seconds.
SAMPLE_LEARNERS = 2_000
SAMPLE_EVENTS_PER_LEARNER = 100
SAMPLE_ROWS_PER_LEARNER = 20
SAMPLE_CONFIGS_PER_LEARNER = 8
SAMPLE_APPLIED_SHARE_PERCENT = 2


@dataclass(frozen=True)
class Check:
    """One verification result."""

    category: str
    name: str
    ok: bool
    detail: str


def _norm_type(type_text: str) -> str:
    """Compare types without quoting/case noise (``"EventType"`` vs EventType)."""
    return type_text.replace('"', "").lower().strip()


def _expected_type(column: sa.Column[Any]) -> str:
    if isinstance(column.type, sa.Enum) and column.type.name:
        return column.type.name
    return str(column.type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


def check_columns(conn: sa.Connection) -> Iterator[Check]:
    """Every table and column of the model: present, same type, same nullability."""
    rows = conn.execute(
        sa.text(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
              AND a.attnum > 0 AND NOT a.attisdropped
            """
        )
    ).all()
    live: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, col, type_text, notnull in rows:
        live.setdefault(table, {})[col] = (type_text, bool(notnull))
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        have = live.get(table.name)
        if have is None:
            yield Check("table", table.name, False, "table is missing")
            continue
        problems = []
        for column in table.columns:
            got = have.get(column.name)
            want_type = _expected_type(column)
            want_null = "NULL" if column.nullable else "NOT NULL"
            if got is None:
                problems.append(f"{column.name}: missing ({want_type} {want_null})")
                continue
            got_null = "NOT NULL" if got[1] else "NULL"
            if _norm_type(got[0]) != _norm_type(want_type) or got_null != want_null:
                problems.append(
                    f"{column.name}: is {got[0]} {got_null}, expected {want_type} {want_null}"
                )
        extra = sorted(set(have) - {c.name for c in table.columns})
        problems += [f"{name}: unexpected column" for name in extra]
        detail = (
            "; ".join(problems)
            if problems
            else f"{len(table.columns)} columns: types and nullability match"
        )
        yield Check("table", table.name, not problems, detail)


def check_enums(conn: sa.Connection) -> Iterator[Check]:
    """Every enum type exists with exactly its values, in order."""
    rows = conn.execute(
        sa.text(
            """
            SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
            FROM pg_type t
            JOIN pg_enum e ON e.enumtypid = t.oid
            JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = current_schema()
            GROUP BY t.typname
            """
        )
    ).all()
    live = {name: list(values) for name, values in rows}
    for enum_cls in ALL_ENUMS:
        want = [m.value for m in enum_cls]
        got = live.get(enum_cls.__name__)
        if got is None:
            yield Check("enum", enum_cls.__name__, False, "enum type is missing")
        elif got != want:
            yield Check("enum", enum_cls.__name__, False, f"values {got}, expected {want}")
        else:
            yield Check("enum", enum_cls.__name__, True, f"{len(want)} values in order")


def _index_columns(conn: sa.Connection) -> dict[str, tuple[str, list[str]]]:
    rows = conn.execute(
        sa.text(
            """
            SELECT i.relname, t.relname,
                   array(SELECT a.attname
                         FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                         ORDER BY k.ord)
            FROM pg_index ix
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema()
            """
        )
    ).all()
    return {name: (table, list(cols)) for name, table, cols in rows}


def check_epic5_objects(conn: sa.Connection) -> Iterator[Check]:
    """The objects of migration 0002, one by one."""
    fk = conn.execute(
        sa.text(
            """
            SELECT c.confdeltype, c.confupdtype, src.relname, dst.relname,
                   (SELECT array_agg(a.attname) FROM pg_attribute a
                    WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey))
            FROM pg_constraint c
            JOIN pg_class src ON src.oid = c.conrelid
            JOIN pg_class dst ON dst.oid = c.confrelid
            JOIN pg_namespace n ON n.oid = src.relnamespace
            WHERE c.contype = 'f' AND c.conname = :name AND n.nspname = current_schema()
            """
        ),
        {"name": EPIC5_FK},
    ).one_or_none()
    if fk is None:
        yield Check("0002", EPIC5_FK, False, "foreign key is missing")
    else:
        deltype, updtype, src, dst, cols = fk
        ok = (
            deltype == "c"
            and src == "experiment_assignments"
            and dst == "personalization_experiments"
            and list(cols) == ["experimentId"]
        )
        rule = {
            "c": "CASCADE",
            "r": "RESTRICT",
            "n": "SET NULL",
            "a": "NO ACTION",
            "d": "SET DEFAULT",
        }
        yield Check(
            "0002",
            EPIC5_FK,
            ok,
            f"{src}({', '.join(cols)}) → {dst}(id) ON DELETE {rule.get(deltype, deltype)} "
            f"ON UPDATE {rule.get(updtype, updtype)}",
        )
    for table, column, want in (
        ("experiment_assignments", "metrics", "jsonb"),
        ("study_schedule_recommendations", "appliedAt", "timestamp(3) without time zone"),
    ):
        row = conn.execute(
            sa.text(
                """
                SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relname = :t AND a.attname = :c
                  AND NOT a.attisdropped
                """
            ),
            {"t": table, "c": column},
        ).one_or_none()
        name = f"{table}.{column}"
        if row is None:
            yield Check("0002", name, False, "column is missing")
        else:
            ok = row[0] == want and not row[1]
            yield Check(
                "0002", name, ok, f"{row[0]} {'NOT NULL' if row[1] else 'NULL'} (want {want} NULL)"
            )
    live = _index_columns(conn)
    for ix in EPIC5_INDEXES:
        got = live.get(ix.name)
        if got is None:
            yield Check("0002 index", ix.name, False, "index is missing")
            continue
        table, cols = got
        ok = table == ix.table and tuple(cols) == ix.columns
        yield Check("0002 index", ix.name, ok, f"{table} ({', '.join(cols)})")


# --- planner checks on a synthetic sample ---------------------------------------------------

_SAMPLE_SQL: dict[str, str] = {
    "behavioral_events": """
        INSERT INTO {s}.behavioral_events
            (id, "userId", "eventType", "eventData", "timestamp", "dayOfWeek", "timeOfDay",
             "sessionPerformanceScore")
        SELECT 'e' || g, 'u' || (g % {learners}),
               (enum_range(NULL::"EventType"))[1 + (g * 7) % 13], '{{}}'::jsonb,
               TIMESTAMP '2026-01-01' + ((g * 37) % 259200) * INTERVAL '1 minute',
               (g * 3) % 7, (g * 5) % 24, (g * 11) % 101
        FROM generate_series(1, {events}) AS g
    """,
    "behavioral_patterns": """
        INSERT INTO {s}.behavioral_patterns
            (id, "userId", "patternType", "patternData", confidence, "lastSeenAt")
        SELECT 'p' || g, 'u' || (g % {learners}),
               (enum_range(NULL::"BehavioralPatternType"))[1 + (g * 7) % 6], '{{}}'::jsonb,
               ((g * 37) % 100) / 100.0,
               TIMESTAMP '2026-01-01' + ((g * 13) % 10000) * INTERVAL '1 hour'
        FROM generate_series(1, {rows}) AS g
    """,
    "struggle_predictions": """
        INSERT INTO {s}.struggle_predictions
            (id, "userId", "learningObjectiveId", "topicId", "predictedStruggleProbability",
             "predictionConfidence", "predictionStatus", "strugglingFactors", "predictionDate")
        SELECT 'sp' || g, 'u' || (g % {learners}), 'lo' || g, 't' || ((g * 7) % 5),
               ((g * 37) % 100) / 100.0, 0.7,
               (enum_range(NULL::"PredictionStatus"))[1 + (g * 7) % 6], '[]'::jsonb,
               TIMESTAMP '2026-01-01' + ((g * 13) % 10000) * INTERVAL '1 hour'
        FROM generate_series(1, {rows}) AS g
    """,
    "recommendations": """
        INSERT INTO {s}.recommendations
            (id, "userId", "recommendationType", title, description, "actionableText",
             confidence, "estimatedImpact", "easeOfImplementation", "userReadiness",
             "priorityScore", status, "createdAt")
        SELECT 'r' || g, 'u' || (g % {learners}),
               (enum_range(NULL::"RecommendationType"))[1 + (g * 7) % 6], 't', 'd', 'a',
               0.5, 0.5, 0.5, 0.5, ((g * 37) % 100) / 100.0,
               (enum_range(NULL::"RecommendationStatus"))[1 + (g * 7) % 4],
               TIMESTAMP '2026-01-01' + ((g * 13) % 10000) * INTERVAL '1 hour'
        FROM generate_series(1, {rows}) AS g
    """,
    "personalization_configs": """
        INSERT INTO {s}.personalization_configs
            (id, "userId", "preferencesId", context, "strategyVariant", "avgReward", "isActive")
        SELECT 'c' || g, 'u' || (g % {learners}), 'pref' || (g % {learners}),
               (enum_range(NULL::"PersonalizationContext"))[1 + (g / {learners}) % 4],
               'BALANCED', ((g * 37) % 100) / 100.0, (g / {learners}) % 2 = 0
        FROM generate_series(1, {configs}) AS g
    """,
    "study_schedule_recommendations": """
        INSERT INTO {s}.study_schedule_recommendations
            (id, "userId", "recommendedSchedule", reasoning, "createdAt", "appliedAt")
        SELECT 's' || g, 'u' || (g % {learners}), '{{}}'::jsonb, 'r',
               TIMESTAMP '2026-01-01' + (g % 10000) * INTERVAL '1 hour',
               CASE WHEN g % 100 < {applied_pct}
                    THEN TIMESTAMP '2026-01-01' + (g % 10000) * INTERVAL '1 hour' END
        FROM generate_series(1, {rows}) AS g
    """,
}

_SAMPLE_PARAMS: dict[str, Any] = {
    "user_id": "u42",
    "event_type": "CARD_REVIEWED",
    "since": datetime(2026, 3, 1),
    "pattern_type": "OPTIMAL_STUDY_TIME",
    "min_confidence": 0.6,
    "min_probability": 0.7,
    "context": "MISSION",
    "day_of_week": 2,
    "topic_id": "t3",
    "hour_from": 6,
    "hour_to": 9,
}


def _plan_index_nodes(plan: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(node type, index name) for every index-using node of an EXPLAIN JSON plan."""
    if "Index Name" in plan:
        yield plan["Node Type"], plan["Index Name"]
    for child in plan.get("Plans", []):
        yield from _plan_index_nodes(child)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scratch_schema_name() -> str:
    return f"twin_verify_{os.getpid()}_{int(time.time() * 1000) % 1_000_000}"


def explain_pattern(
    conn: sa.Connection, pattern: QueryPattern, params: dict[str, Any]
) -> list[tuple[str, str]]:
    """The index-using nodes of the plan the server picks for ``pattern``."""
    stmt = sa.text("EXPLAIN (FORMAT JSON) " + pattern.sql)
    names = set(re.findall(r":(\w+)", pattern.sql))
    raw = conn.execute(stmt, {k: v for k, v in params.items() if k in names}).scalar_one()
    doc = raw if isinstance(raw, list) else json.loads(raw)
    return list(_plan_index_nodes(doc[0]["Plan"]))


def check_planner(
    conn: sa.Connection, patterns: Iterable[QueryPattern] = QUERY_PATTERNS
) -> Iterator[Check]:
    """Load a sample into a scratch schema with copies of the live indexes; EXPLAIN each.

    Runs inside the caller's transaction, which must be rolled back afterwards.
    """
    patterns = list(patterns)
    live_schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    scratch = _scratch_schema_name()
    tables = sorted({p.table for p in patterns})
    conn.execute(sa.text(f"CREATE SCHEMA {_quote(scratch)}"))
    for table in tables:
        conn.execute(
            sa.text(
                f"CREATE TABLE {_quote(scratch)}.{_quote(table)} "
                f"(LIKE {_quote(live_schema)}.{_quote(table)} INCLUDING DEFAULTS)"
            )
        )
        defs = conn.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = :t"
            ),
            {"t": table},
        ).all()
        for _name, indexdef in defs:
            # Same index, same name, on the scratch copy of the table.
            ddl = re.sub(
                r" ON (ONLY )?\S+ USING ",
                f" ON {_quote(scratch)}.{_quote(table)} USING ",
                indexdef,
                count=1,
            )
            conn.execute(sa.text(ddl))
        sql = _SAMPLE_SQL[table].format(
            s=_quote(scratch),
            learners=SAMPLE_LEARNERS,
            events=SAMPLE_LEARNERS * SAMPLE_EVENTS_PER_LEARNER,
            rows=SAMPLE_LEARNERS * SAMPLE_ROWS_PER_LEARNER,
            configs=SAMPLE_LEARNERS * SAMPLE_CONFIGS_PER_LEARNER,
            applied_pct=SAMPLE_APPLIED_SHARE_PERCENT,
        )
        conn.execute(sa.text(sql))
        conn.execute(sa.text(f"ANALYZE {_quote(scratch)}.{_quote(table)}"))
    conn.execute(sa.text(f"SET LOCAL search_path = {_quote(scratch)}, {_quote(live_schema)}"))
    for pattern in patterns:
        nodes = explain_pattern(conn, pattern, _SAMPLE_PARAMS)
        used = [f"{node} on {name}" for node, name in nodes]
        ok = any(name == pattern.index_name for _, name in nodes)
        detail = ", ".join(used) if used else "no index used (sequential scan)"
        if not ok:
            detail = f"expected {pattern.index_name}; planner chose: {detail}"
        yield Check("planner", pattern.title, ok, detail)


@dataclass(frozen=True)
class VerifyReport:
    """All checks of one verification run."""

    checks: list[Check]
    seconds: float

    @property
    def failed(self) -> list[Check]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return not self.failed

    def summary(self) -> str:
        """One line: counts and verdict."""
        n = len(self.checks)
        bad = len(self.failed)
        verdict = "PASSED" if bad == 0 else "FAILED: " + ", ".join(c.name for c in self.failed)
        took = f"{self.seconds:.1f} s"
        return f"verify: {n} checks, {n - bad} passed, {bad} failed in {took} — {verdict}"


def verify_database(engine: sa.Engine, *, planner: bool = True) -> VerifyReport:
    """Run every check against the live database (the planner sample is rolled back)."""
    started = time.perf_counter()
    checks: list[Check] = []
    with engine.connect() as conn:
        try:
            checks += check_columns(conn)
            checks += check_enums(conn)
            checks += check_epic5_objects(conn)
            if planner:
                checks += check_planner(conn)
        finally:
            # One transaction for everything: the scratch schema and its sample vanish here.
            conn.rollback()
    return VerifyReport(checks=checks, seconds=time.perf_counter() - started)
