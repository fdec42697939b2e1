"""Measure the seed's performance claims at scale: query latency, index storage, write overhead.

    python -m benchmarks.queries [--learners 10000 --events 10000000 --sample 1000 --seed 1]
    python -m benchmarks.queries --quick          # 500 learners × 200k events, < 1 minute

Builds (or reuses) the benchmark database of :mod:`benchmarks.bench_db`, then runs
every query pattern of :data:`twin.db.query_patterns.QUERY_PATTERNS` — the seed's
seven query types and the five other uses of the 0002 indexes — for randomly
chosen learners with parameters realistic for each learner, in three phases on
the same data:

1. **with** the 0002 indexes (schema at head);
2. **without** them (migrated down to 0001);
3. **with** them again (upgraded back to head).

Server time is the ``Execution Time`` of ``EXPLAIN (ANALYZE, BUFFERS, TIMING OFF,
FORMAT JSON)`` (the embedded server has no ``pg_stat_statements``; TIMING OFF keeps
the per-node clock reads out of the figure); the client round trip is the wall
time of ``execute`` + ``fetchall`` of the real statement, prepared, from psycopg.
Both are measured warm, after one pass over the same learners; the first pass after
a server restart is kept as the "first pass" figure.

Besides the three phases it measures: the write overhead of the three 0002 indexes
on ``behavioral_events`` (between phases 1 and 2, so the index bloat it causes is
rebuilt away by the upgrade), the size of each 0002 index per 10,000 rows (right
after the upgrade built them on the loaded data), and — as a what-if, not a
migration — the two event aggregates with a covering index. Everything goes to
``benchmarks/results/queries.json`` (``queries_quick.json`` with ``--quick``).

For ``twin bench queries``: call :func:`main` with the argument list, or build
:class:`Options` and call :func:`run_benchmark`; :func:`markdown_summary` gives
the README table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks.bench_db import (
    DATA_END,
    DEFAULT_SHARED_BUFFERS,
    EVENT_TYPE_SHARES_PERCENT,
    BenchDatabase,
    Scale,
    ensure_built,
    learner_event_weights,
    open_bench_database,
    restore_applied_at,
    sample_learners,
    server_settings,
)
from benchmarks.bench_http import BATCH_EVENTS as HTTP_BATCH_EVENTS
from benchmarks.bench_http import DEFAULT_INGEST_BATCHES as DEFAULT_HTTP_BATCHES
from benchmarks.bench_http import measure_http
from twin.db import migrate
from twin.db.query_patterns import EPIC5_INDEXES, QUERY_PATTERNS, QueryPattern
from twin.enums import BehavioralPatternType, PersonalizationContext

RESULTS_DIR = Path(__file__).resolve().parent / "results"
RESULT_FORMAT_VERSION = 1

# Full and quick scales.
DEFAULT_LEARNERS = 10_000
DEFAULT_EVENTS = 10_000_000
DEFAULT_SAMPLE = 1_000
DEFAULT_SEED = 1
QUICK_LEARNERS = 500
QUICK_EVENTS = 200_000
QUICK_SAMPLE = 100
QUICK_WRITE_ROWS = 20_000
QUICK_HTTP_BATCHES = 4

# Write overhead: rows inserted per scenario and rows per batch (the API's batch size).
DEFAULT_WRITE_ROWS = 200_000
WRITE_BATCH_ROWS = 5_000
# The scenarios alternate over this many rounds (noise of a shared machine hits both alike).
WRITE_ROUNDS = 4

# Target of issue 4: p95 server execution time with the 0002 indexes at 10M events.
TARGET_P95_MS = 2.0
# Query parameters: how far back "recent" reaches.
EVENTS_SINCE_DAYS = 30
RECOMMENDATIONS_SINCE_DAYS = 30
SCHEDULES_SINCE_MAX_DAYS = 14
MIN_CONFIDENCE_CHOICES = (0.5, 0.6, 0.7, 0.8)
MIN_PROBABILITY_CHOICES = (0.5, 0.6, 0.7)
HOUR_WINDOW_HOURS = 3
# A runaway statement (say, a plan gone wrong without indexes) must not hang the run.
STATEMENT_TIMEOUT_MS = 60_000
PERCENTILES = (50, 95, 99)
# The results table has long plan names: print it at least this wide.
WIDE_CONSOLE_COLUMNS = 200

# The seed's "Performance Impact Analysis" (ms: before, after), storage and write claims.
SEED_LATENCY_CLAIMS_MS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "User event filtering by type & time": ((120, 150), (60, 80)),
    "Pattern confidence filtering": ((80, 100), (50, 65)),
    "High-risk student dashboard": ((150, 200), (90, 120)),
    "Recommendation ranking": ((100, 130), (70, 90)),
    "Personalization config lookup": ((60, 80), (45, 60)),
    "Day-of-week pattern analysis": ((100, 120), (60, 75)),
    "Topic-based struggle tracking": ((130, 160), (80, 105)),
}
SEED_STORAGE_MB_PER_10K_ROWS: dict[str, float] = {
    "behavioral_events": 45,
    "behavioral_patterns": 16,
    "struggle_predictions": 20,
    "recommendations": 16,
    "personalization_configs": 14,
    "study_schedule_recommendations": 3,
}
SEED_INSERT_OVERHEAD_PERCENT = (3.0, 5.0)
EVENT_INDEXES_0002 = tuple(ix.name for ix in EPIC5_INDEXES if ix.table == "behavioral_events")
APPLIED_AT_PATTERN = "recently_applied_schedules"
MB = 1024 * 1024

PHASE_WITH = "with_0002"
PHASE_WITHOUT = "without_0002"
PHASE_WITH_AGAIN = "with_0002_again"


# --- options ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What to run, at which scale, against which database."""

    learners: int = DEFAULT_LEARNERS
    events: int = DEFAULT_EVENTS
    sample: int = DEFAULT_SAMPLE
    seed: int = DEFAULT_SEED
    data_dir: Path | None = None
    database_url: str | None = None
    rebuild: bool = False
    write_rows: int = DEFAULT_WRITE_ROWS
    write_batch: int = WRITE_BATCH_ROWS
    phases: tuple[str, ...] = (PHASE_WITH, PHASE_WITHOUT, PHASE_WITH_AGAIN)
    shared_buffers: str = DEFAULT_SHARED_BUFFERS
    output: Path | None = None
    quick: bool = False
    covering_experiment: bool = True
    # Batches of 5,000 events POSTed through the API (None: no HTTP measurements at all).
    http_batches: int | None = DEFAULT_HTTP_BATCHES

    @property
    def scale(self) -> Scale:
        """The database scale these options ask for."""
        return Scale(learners=self.learners, events=self.events, seed=self.seed)

    @classmethod
    def quick_mode(cls, **overrides: Any) -> Options:
        """The small scale used while developing (finishes in under a minute)."""
        base = cls(
            learners=QUICK_LEARNERS,
            events=QUICK_EVENTS,
            sample=QUICK_SAMPLE,
            write_rows=QUICK_WRITE_ROWS,
            http_batches=QUICK_HTTP_BATCHES,
            quick=True,
        )
        return replace(base, **overrides)


# --- statistics and plans -----------------------------------------------------------------


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99, mean and max of a list of milliseconds (rounded to µs)."""
    if not values_ms:
        return {}
    arr = np.asarray(values_ms, dtype=float)
    out = {f"p{p}": round(float(np.percentile(arr, p)), 3) for p in PERCENTILES}
    out["mean"] = round(float(arr.mean()), 3)
    out["max"] = round(float(arr.max()), 3)
    return out


def _scan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every node of an EXPLAIN JSON plan that reads a relation or an index."""
    if "Relation Name" in plan or "Index Name" in plan:
        yield plan
    for child in plan.get("Plans", []):
        yield from _scan_nodes(child)


def describe_plan(plan: dict[str, Any]) -> str:
    """The plan's access path, e.g. ``Index Scan Backward using x_idx``."""
    parts = []
    for node in _scan_nodes(plan):
        kind = node["Node Type"]
        if node.get("Scan Direction") == "Backward":
            kind += " Backward"
        if "Index Name" in node and kind.startswith("Bitmap Index Scan"):
            parts.append(f"{kind} on {node['Index Name']}")
        elif "Index Name" in node:
            parts.append(f"{kind} using {node['Index Name']}")
        elif kind.startswith("Bitmap Heap Scan"):
            continue  # always paired with the Bitmap Index Scan named next to it
        else:
            parts.append(f"{kind} on {node['Relation Name']}")
    return " + ".join(parts) or "no scan"


def plan_indexes(plan: dict[str, Any]) -> set[str]:
    """Names of every index the plan reads."""
    return {node["Index Name"] for node in _scan_nodes(plan) if "Index Name" in node}


def to_psycopg(query: str) -> str:
    """Turn the patterns' ``:name`` parameters into psycopg's ``%(name)s``."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", query.replace("%", "%%"))


def parameter_names(query: str) -> set[str]:
    """The ``:name`` parameters of a pattern's SQL."""
    return set(re.findall(r"(?<![:\w]):(\w+)", query))


# --- parameters per learner -----------------------------------------------------------------


def learner_parameters(
    bench: BenchDatabase, learners: list[str], rng: np.random.Generator
) -> list[dict[str, Any]]:
    """For each learner, parameter values that make sense for them (their own event types…)."""
    with bench.connect() as conn:
        type_counts: dict[str, list[tuple[str, int]]] = {}
        for uid, event_type, n in conn.execute(
            'SELECT "userId", "eventType"::text, count(*) FROM behavioral_events '
            'WHERE "userId" = ANY(%s) GROUP BY 1, 2 ORDER BY 1, 2',
            (learners,),
        ):
            type_counts.setdefault(uid, []).append((event_type, n))
        pattern_types: dict[str, list[str]] = {}
        for uid, pattern_type in conn.execute(
            'SELECT DISTINCT "userId", "patternType"::text FROM behavioral_patterns '
            'WHERE "userId" = ANY(%s) ORDER BY 1, 2',
            (learners,),
        ):
            pattern_types.setdefault(uid, []).append(pattern_type)
        topics: dict[str, list[str]] = {}
        for uid, topic in conn.execute(
            'SELECT DISTINCT "userId", "topicId" FROM struggle_predictions '
            'WHERE "userId" = ANY(%s) AND "topicId" IS NOT NULL ORDER BY 1, 2',
            (learners,),
        ):
            topics.setdefault(uid, []).append(topic)
    all_pattern_types = [t.value for t in BehavioralPatternType]
    contexts = [c.value for c in PersonalizationContext]
    out = []
    for uid in learners:
        counts = type_counts.get(uid) or [(EVENT_TYPE_SHARES_PERCENT[0][0], 1)]
        weights = np.array([n for _, n in counts], dtype=float)
        event_type = counts[int(rng.choice(len(counts), p=weights / weights.sum()))][0]
        own_patterns = pattern_types.get(uid) or all_pattern_types
        own_topics = topics.get(uid) or ["none"]
        hour_from = int(rng.integers(0, 24 - HOUR_WINDOW_HOURS))
        out.append(
            {
                "user_id": uid,
                "event_type": event_type,
                "since": DATA_END - timedelta(days=EVENTS_SINCE_DAYS),
                "pattern_type": own_patterns[int(rng.integers(len(own_patterns)))],
                "min_confidence": float(rng.choice(MIN_CONFIDENCE_CHOICES)),
                "min_probability": float(rng.choice(MIN_PROBABILITY_CHOICES)),
                "context": contexts[int(rng.integers(len(contexts)))],
                "day_of_week": int(rng.integers(0, 7)),
                "topic_id": own_topics[int(rng.integers(len(own_topics)))],
                "hour_from": hour_from,
                "hour_to": hour_from + HOUR_WINDOW_HOURS,
                "recommendations_since": DATA_END - timedelta(days=RECOMMENDATIONS_SINCE_DAYS),
                "schedules_since": DATA_END
                - timedelta(days=int(rng.integers(1, SCHEDULES_SINCE_MAX_DAYS + 1))),
            }
        )
    return out


def pattern_params(pattern: QueryPattern, params: dict[str, Any]) -> dict[str, Any]:
    """The values of one pattern's parameters (``since`` means something per table)."""
    values = dict(params)
    if pattern.table == "recommendations":
        values["since"] = params["recommendations_since"]
    elif pattern.table == "study_schedule_recommendations":
        values["since"] = params["schedules_since"]
    names = parameter_names(pattern.sql)
    return {k: v for k, v in values.items() if k in names}


# --- measuring one pattern ----------------------------------------------------------------------


@dataclass
class PatternMeasurement:
    """Timings and plans of one query pattern in one phase."""

    key: str
    title: str
    seed_query_type: str | None
    index_name: str
    samples: int
    server_ms: dict[str, float]
    planning_ms: dict[str, float]
    client_ms: dict[str, float]
    first_pass_client_ms: dict[str, float]
    plan: str
    plan_share: float
    intended_index_share: float
    rows_mean: float
    shared_hit_blocks_mean: float
    shared_read_blocks_mean: float
    jit_share: float = 0.0
    skipped: str | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _skipped(pattern: QueryPattern, reason: str) -> PatternMeasurement:
    return PatternMeasurement(
        key=pattern.key,
        title=pattern.title,
        seed_query_type=pattern.seed_query_type,
        index_name=pattern.index_name,
        samples=0,
        server_ms={},
        planning_ms={},
        client_ms={},
        first_pass_client_ms={},
        plan="",
        plan_share=0.0,
        intended_index_share=0.0,
        rows_mean=0.0,
        shared_hit_blocks_mean=0.0,
        shared_read_blocks_mean=0.0,
        skipped=reason,
    )


def _client_pass(
    conn: psycopg.Connection[Any], query: str, values: list[dict[str, Any]]
) -> tuple[list[float], list[int]]:
    """Run the prepared statement once per parameter set; wall ms and row counts."""
    times: list[float] = []
    rows: list[int] = []
    with conn.cursor() as cur:
        for v in values:
            t0 = time.perf_counter_ns()
            cur.execute(query, v, prepare=True)
            fetched = cur.fetchall()
            times.append((time.perf_counter_ns() - t0) / 1e6)
            rows.append(len(fetched))
    return times, rows


def measure_pattern(
    conn: psycopg.Connection[Any],
    pattern: QueryPattern,
    param_sets: list[dict[str, Any]],
    *,
    tick: Callable[[int], None] | None = None,
) -> PatternMeasurement:
    """Warm up, then time the server (EXPLAIN ANALYZE) and the client round trip."""
    query = to_psycopg(pattern.sql)
    values = [pattern_params(pattern, p) for p in param_sets]
    first_pass, _ = _client_pass(conn, query, values)
    if tick:
        tick(len(values))
    explain = "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + query
    server: list[float] = []
    planning: list[float] = []
    plans: Counter[str] = Counter()
    intended = 0
    hits: list[int] = []
    reads: list[int] = []
    jit = 0
    for v in values:
        row = conn.execute(explain, v).fetchone()
        assert row is not None
        doc = row[0] if isinstance(row[0], list) else json.loads(row[0])
        top = doc[0]
        server.append(float(top["Execution Time"]))
        planning.append(float(top["Planning Time"]))
        plans[describe_plan(top["Plan"])] += 1
        intended += pattern.index_name in plan_indexes(top["Plan"])
        hits.append(int(top["Plan"].get("Shared Hit Blocks", 0)))
        reads.append(int(top["Plan"].get("Shared Read Blocks", 0)))
        jit += "JIT" in top
    if tick:
        tick(len(values))
    client, rows = _client_pass(conn, query, values)
    if tick:
        tick(len(values))
    plan, count = plans.most_common(1)[0]
    n = len(values)
    return PatternMeasurement(
        key=pattern.key,
        title=pattern.title,
        seed_query_type=pattern.seed_query_type,
        index_name=pattern.index_name,
        samples=n,
        server_ms=percentiles(server),
        planning_ms=percentiles(planning),
        client_ms=percentiles(client),
        first_pass_client_ms=percentiles(first_pass),
        plan=plan,
        plan_share=round(count / n, 3),
        intended_index_share=round(intended / n, 3),
        rows_mean=round(float(np.mean(rows)), 2),
        shared_hit_blocks_mean=round(float(np.mean(hits)), 1),
        shared_read_blocks_mean=round(float(np.mean(reads)), 1),
        jit_share=round(jit / n, 3),
    )


def _measurement_connection(bench: BenchDatabase) -> psycopg.Connection[Any]:
    conn = bench.connect()
    conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT_MS)))
    return conn


def _columns_present(conn: psycopg.Connection[Any], pattern: QueryPattern) -> bool:
    """False when the pattern reads a column the current revision does not have."""
    try:
        conn.execute("EXPLAIN " + to_psycopg(pattern.sql), _dummy_params(pattern))
    except psycopg.errors.UndefinedColumn:
        return False
    return True


def _dummy_params(pattern: QueryPattern) -> dict[str, Any]:
    return {name: None for name in parameter_names(pattern.sql)}


@dataclass
class PhaseResult:
    """Every pattern measured at one schema revision."""

    name: str
    revision: str | None
    seconds: float
    patterns: dict[str, PatternMeasurement] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "revision": self.revision,
            "seconds": round(self.seconds, 2),
            "patterns": {k: m.as_json() for k, m in self.patterns.items()},
        }


def run_phase(
    bench: BenchDatabase,
    name: str,
    patterns: Sequence[QueryPattern],
    param_sets: list[dict[str, Any]],
    *,
    progress: Progress | None = None,
) -> PhaseResult:
    """Measure every pattern at the database's current revision."""
    started = time.perf_counter()
    result = PhaseResult(name=name, revision=migrate.current_revision(bench.engine), seconds=0.0)
    task = None
    if progress is not None:
        task = progress.add_task(f"queries {name}", total=3 * len(patterns) * len(param_sets))
        if not progress.console.is_terminal:
            progress.console.log(f"phase {name} at revision {result.revision}")
    with _measurement_connection(bench) as conn:
        for pattern in patterns:
            if not _columns_present(conn, pattern):
                result.patterns[pattern.key] = _skipped(
                    pattern, f"a column it reads does not exist at revision {result.revision}"
                )
                if progress is not None and task is not None:
                    progress.advance(task, 3 * len(param_sets))
                continue

            def tick(n: int) -> None:
                if progress is not None and task is not None:
                    progress.advance(task, n)

            result.patterns[pattern.key] = measure_pattern(conn, pattern, param_sets, tick=tick)
    result.seconds = time.perf_counter() - started
    return result


def measure_without_index(
    bench: BenchDatabase,
    pattern: QueryPattern,
    param_sets: list[dict[str, Any]],
) -> PatternMeasurement:
    """Measure ``pattern`` with its index dropped inside a transaction that is rolled back.

    For the one pattern that cannot run at 0001 because its column is 0002's own
    (``study_schedule_recommendations.appliedAt``).
    """
    with _measurement_connection(bench) as conn:
        conn.autocommit = False
        try:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(pattern.index_name)))
            conn.execute(f"ANALYZE {pattern.table}")
            return measure_pattern(conn, pattern, param_sets)
        finally:
            conn.rollback()


# --- what-if: covering indexes for the two event aggregates ---------------------------------------

# The aggregates read every matching event row from the heap: for the most active
# learners thousands of scattered pages. An index that INCLUDEs the aggregated
# column answers them from the index alone (index-only scan). Measured here as an
# experiment, not a migration: created, measured, dropped.
COVERING_EXPERIMENT: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "day_of_week_analysis": (
        "bench_exp_events_userId_dayOfWeek_covering_idx",
        ("userId", "dayOfWeek"),
        ("sessionPerformanceScore",),
    ),
    "hour_of_day_analysis": (
        "bench_exp_events_userId_timeOfDay_covering_idx",
        ("userId", "timeOfDay"),
        ("sessionPerformanceScore",),
    ),
}


def covering_index_experiment(
    bench: BenchDatabase, param_sets: list[dict[str, Any]], *, progress: Progress | None = None
) -> dict[str, Any]:
    """Measure the event aggregates with a covering index next to the 0002 one, then drop it."""
    out: dict[str, Any] = {}
    by_key = {p.key: p for p in QUERY_PATTERNS}
    for key, (name, columns, include) in COVERING_EXPERIMENT.items():
        pattern = by_key[key]
        ddl = sql.SQL("CREATE INDEX {} ON {} ({}) INCLUDE ({})").format(
            sql.Identifier(name),
            sql.Identifier(pattern.table),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(map(sql.Identifier, include)),
        )
        if progress is not None and not progress.console.is_terminal:
            progress.console.log(f"experiment: {name}")
        with _measurement_connection(bench) as conn:
            conn.execute("SET statement_timeout = 0")
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
            t0 = time.perf_counter()
            conn.execute(ddl)
            build_seconds = time.perf_counter() - t0
            try:
                size_row = conn.execute(
                    "SELECT pg_relation_size(to_regclass(quote_ident(%s)))", (name,)
                ).fetchone()
                m = measure_pattern(conn, replace(pattern, index_name=name), param_sets)
            finally:
                conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
        out[key] = {
            "index": f"{name} ON {pattern.table} ({', '.join(columns)}) "
            f"INCLUDE ({', '.join(include)})",
            "build_seconds": round(build_seconds, 1),
            "bytes": int(size_row[0]) if size_row and size_row[0] is not None else None,
            "measurement": m.as_json(),
        }
    return out


# --- storage --------------------------------------------------------------------------------------


def index_storage(bench: BenchDatabase) -> dict[str, Any]:
    """Size of every 0002 index per 10,000 rows of its table, and per table vs the seed."""
    indexes: list[dict[str, Any]] = []
    tables: dict[str, dict[str, Any]] = {}
    with bench.connect() as conn:
        counts: dict[str, int] = {}
        for table in SEED_STORAGE_MB_PER_10K_ROWS:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()
            counts[table] = int(row[0]) if row else 0
        for ix in EPIC5_INDEXES:
            row = conn.execute(
                "SELECT pg_relation_size(to_regclass(quote_ident(%s)))", (ix.name,)
            ).fetchone()
            size = int(row[0]) if row and row[0] is not None else 0
            rows = counts[ix.table]
            per_10k = size / rows * 10_000 / MB if rows else 0.0
            indexes.append(
                {
                    "index": ix.name,
                    "table": ix.table,
                    "bytes": size,
                    "rows": rows,
                    "mb_per_10k_rows": round(per_10k, 3),
                    "bytes_per_row": round(size / rows, 1) if rows else None,
                }
            )
        for table, seed_mb in SEED_STORAGE_MB_PER_10K_ROWS.items():
            row = conn.execute(
                "SELECT pg_relation_size(to_regclass(quote_ident(%s))), "
                "pg_indexes_size(to_regclass(quote_ident(%s)))",
                (table, table),
            ).fetchone()
            heap, all_indexes = (int(row[0]), int(row[1])) if row else (0, 0)
            size = sum(i["bytes"] for i in indexes if i["table"] == table)
            rows = counts[table]
            measured = size / rows * 10_000 / MB if rows else 0.0
            tables[table] = {
                "rows": rows,
                "indexes_0002_bytes": size,
                "indexes_0002_mb_per_10k_rows": round(measured, 3),
                "seed_mb_per_10k_rows": seed_mb,
                "seed_over_measured": round(seed_mb / measured, 1) if measured else None,
                "heap_mb_per_10k_rows": round(heap / rows * 10_000 / MB, 3) if rows else None,
                "all_indexes_mb_per_10k_rows": (
                    round(all_indexes / rows * 10_000 / MB, 3) if rows else None
                ),
            }
    total = sum(t["indexes_0002_mb_per_10k_rows"] for t in tables.values())
    return {
        "indexes": indexes,
        "tables": tables,
        "total_mb_per_10k_rows_each": round(total, 3),
        "seed_total_mb_per_10k_rows_each": sum(SEED_STORAGE_MB_PER_10K_ROWS.values()),
    }


# --- write overhead -------------------------------------------------------------------------------

_EVENT_COLUMNS = (
    "id",
    "userId",
    "eventType",
    "eventData",
    "timestamp",
    "completionQuality",
    "contentType",
    "dayOfWeek",
    "difficultyLevel",
    "engagementLevel",
    "sessionPerformanceScore",
    "timeOfDay",
)
_EVENT_CASTS = (
    "text[]",
    "text[]",
    'text[]::"EventType"[]',
    "text[]::jsonb[]",
    "timestamp[]",
    'text[]::"CompletionQuality"[]',
    "text[]",
    "int4[]",
    "text[]",
    'text[]::"EngagementLevel"[]',
    "int4[]",
    "int4[]",
)
INSERT_EVENTS_SQL = (
    "INSERT INTO behavioral_events ("
    + ", ".join(f'"{c}"' for c in _EVENT_COLUMNS)
    + ") SELECT * FROM unnest("
    + ", ".join(f"%s::{cast}" for cast in _EVENT_CASTS)
    + ")"
)


def new_events(
    learner_ids: list[str], weights: np.ndarray, n: int, rng: np.random.Generator, start: datetime
) -> list[list[Any]]:
    """``n`` new events after ``start`` as column lists, learners drawn by their activity."""
    users = rng.choice(len(learner_ids), size=n, p=weights)
    type_names = [t for t, _ in EVENT_TYPE_SHARES_PERCENT]
    type_p = np.array([p for _, p in EVENT_TYPE_SHARES_PERCENT], dtype=float) / 100
    types = rng.choice(len(type_names), size=n, p=type_p)
    offsets_ms = np.sort(rng.integers(0, 86_400_000, size=n))
    tails = rng.integers(0, 16**14, size=n, dtype=np.int64)
    scores = rng.integers(0, 101, size=n)
    qualities = ("RUSHED", "NORMAL", "THOROUGH", None)
    levels = ("LOW", "MEDIUM", "HIGH", None)
    cols: list[list[Any]] = [[] for _ in _EVENT_COLUMNS]
    epoch_ms = int(start.timestamp() * 1000)
    for i in range(n):
        at = start + timedelta(milliseconds=int(offsets_ms[i]))
        values = (
            f"{epoch_ms + int(offsets_ms[i]):012x}{int(tails[i]):014x}",
            learner_ids[int(users[i])],
            type_names[int(types[i])],
            json.dumps({"client": "web", "durationMs": int(scores[i]) * 600}),
            at,
            qualities[i % 4],
            "flashcard",
            (at.weekday() + 1) % 7,
            "MEDIUM",
            levels[(i // 4) % 4],
            int(scores[i]),
            at.hour,
        )
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    return cols


def _insert_batches(
    conn: psycopg.Connection[Any], cols: list[list[Any]], batch_rows: int
) -> list[float]:
    """Insert the column lists in batches; the wall ms of each batch."""
    times = []
    for lo in range(0, len(cols[0]), batch_rows):
        batch = [c[lo : lo + batch_rows] for c in cols]
        t0 = time.perf_counter_ns()
        conn.execute(INSERT_EVENTS_SQL, batch)
        times.append((time.perf_counter_ns() - t0) / 1e6)
    return times


def _wal_lsn(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


def _wal_bytes_since(conn: psycopg.Connection[Any], lsn: str) -> int:
    """WAL written since ``lsn`` (server-wide: the benchmark is its only writer)."""
    row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s::pg_lsn)", (lsn,))
    value = row.fetchone()
    return int(value[0]) if value else 0


def measure_write_overhead(
    bench: BenchDatabase,
    *,
    rows: int,
    batch_rows: int,
    rounds: int = WRITE_ROUNDS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Insert throughput of new events with vs without the three 0002 event indexes.

    ``rows`` events per scenario, in batches of ``batch_rows``, split over ``rounds``
    rounds that alternate which scenario goes first (so a drifting machine load
    hits both alike). Each scenario runs in a transaction that is rolled back —
    "without" drops the three indexes inside it — so both insert the very same
    events into the very same table; the table is vacuumed after each.
    """
    learner_ids, weights = learner_event_weights(bench)
    rng = np.random.default_rng(seed)
    cols = new_events(learner_ids, weights, rows, rng, DATA_END + timedelta(days=1))
    per_round = max(batch_rows, -(-rows // rounds))
    times: dict[str, list[float]] = {"with": [], "without": []}
    wal_bytes: dict[str, int] = {"with": 0, "without": 0}
    vacuum_seconds = 0.0
    task = progress.add_task("write overhead", total=2 * rows) if progress else None
    for r, lo in enumerate(range(0, rows, per_round)):
        chunk = [c[lo : lo + per_round] for c in cols]
        order = ("with", "without") if r % 2 == 0 else ("without", "with")
        for scenario in order:
            with bench.connect(autocommit=False) as conn:
                wal_before = _wal_lsn(conn)
                if scenario == "without":
                    for name in EVENT_INDEXES_0002:
                        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
                times[scenario] += _insert_batches(conn, chunk, batch_rows)
                wal_bytes[scenario] += _wal_bytes_since(conn, wal_before)
                conn.rollback()
            t0 = time.perf_counter()
            with bench.connect() as conn:
                conn.execute("VACUUM behavioral_events")
            vacuum_seconds += time.perf_counter() - t0
            if progress is not None and task is not None:
                progress.advance(task, len(chunk[0]))
    scenarios: dict[str, dict[str, Any]] = {}
    for scenario, batch_ms in times.items():
        seconds = sum(batch_ms) / 1000
        scenarios[scenario] = {
            "rows": rows,
            "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds, 1),
            "batch_ms": percentiles(batch_ms),
            "wal_bytes_per_row": round(wal_bytes[scenario] / rows, 1),
        }
    with_, without = scenarios["with"], scenarios["without"]
    return {
        "rows_per_scenario": rows,
        "batch_rows": batch_rows,
        "rounds": rounds,
        "indexes_dropped": list(EVENT_INDEXES_0002),
        "scenarios": scenarios,
        "rows_per_s_with": with_["rows_per_s"],
        "rows_per_s_without": without["rows_per_s"],
        "throughput_loss_percent": round(
            100 * (1 - with_["rows_per_s"] / without["rows_per_s"]), 1
        ),
        "batch_p50_ms_with": with_["batch_ms"]["p50"],
        "batch_p50_ms_without": without["batch_ms"]["p50"],
        "batch_latency_overhead_percent": round(
            100 * (with_["batch_ms"]["p50"] / without["batch_ms"]["p50"] - 1), 1
        ),
        "seed_claim_insert_latency_percent": list(SEED_INSERT_OVERHEAD_PERCENT),
        "vacuum_seconds": round(vacuum_seconds, 1),
    }


# --- the run ----------------------------------------------------------------------------------------


def machine_description(bench: BenchDatabase) -> dict[str, Any]:
    """Platform, CPU count, memory, Python and PostgreSQL versions."""
    memory_gb = None
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "postgresql": server_settings(bench).get("server_version"),
        "load_average_at_start": [round(x, 2) for x in load] if load else None,
        "database": bench.description,
    }


def summarize(phases: dict[str, PhaseResult]) -> list[dict[str, Any]]:
    """One row per pattern: seed claims, with / without / with-again figures, ratio, plans."""
    rows = []
    for pattern in QUERY_PATTERNS:
        row: dict[str, Any] = {
            "key": pattern.key,
            "query_type": pattern.seed_query_type or pattern.title,
            "seed_query_type": pattern.seed_query_type is not None,
            "index": pattern.index_name,
        }
        claims = SEED_LATENCY_CLAIMS_MS.get(pattern.seed_query_type or "")
        if claims:
            row["seed_before_ms"], row["seed_after_ms"] = list(claims[0]), list(claims[1])
        for phase_name, prefix in (
            (PHASE_WITH, "with"),
            (PHASE_WITHOUT, "without"),
            (PHASE_WITH_AGAIN, "with_again"),
        ):
            phase = phases.get(phase_name)
            m = phase.patterns.get(pattern.key) if phase else None
            if m is None or m.skipped:
                continue
            row[f"{prefix}_server_ms"] = m.server_ms
            row[f"{prefix}_client_ms"] = m.client_ms
            row[f"{prefix}_plan"] = m.plan
            row[f"{prefix}_intended_index_share"] = m.intended_index_share
            if m.key == APPLIED_AT_PATTERN and prefix == "without":
                row["without_note"] = (
                    "appliedAt is a 0002 column: measured at head with its index dropped "
                    "in a rolled-back transaction"
                )
        with_ms = row.get("with_server_ms")
        without_ms = row.get("without_server_ms")
        if with_ms and without_ms:
            row["ratio_p50"] = round(without_ms["p50"] / max(with_ms["p50"], 1e-6), 1)
            row["ratio_p95"] = round(without_ms["p95"] / max(with_ms["p95"], 1e-6), 1)
        if with_ms and pattern.seed_query_type:
            row["target_p95_ms"] = TARGET_P95_MS
            row["target_met"] = with_ms["p95"] <= TARGET_P95_MS
        rows.append(row)
    return rows


def _fmt(stats: dict[str, float] | None, key: str) -> str:
    if not stats:
        return "–"
    value = stats[key]
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _range(r: list[float] | None) -> str:
    return f"{r[0]:g}–{r[1]:g}" if r else "–"


def markdown_summary(result: dict[str, Any]) -> str:
    """The README table: seed claims next to the measured figures (server execution, ms)."""
    scale = result["scale"]
    lines = [
        f"Query latency at {scale['events']:,} events / {scale['learners']:,} learners, "
        f"{result['sample_learners']:,} sampled learners per query; server execution time "
        "(EXPLAIN ANALYZE, warm) in ms; ratio = without / with.",
        "",
        "| Query type | Seed before → after | With 0002 p50 / p95 | Without p50 / p95 | "
        "Ratio p50 / p95 | Again p95 | Client p50 / p95 | Plan with 0002 | Plan without |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["summary"]:
        name = row["query_type"] + ("" if row["seed_query_type"] else " *")
        seed = (
            f"{_range(row.get('seed_before_ms'))} → {_range(row.get('seed_after_ms'))}"
            if "seed_before_ms" in row
            else "–"
        )
        w, wo = row.get("with_server_ms"), row.get("without_server_ms")
        ratio = f"{row['ratio_p50']:g}× / {row['ratio_p95']:g}×" if "ratio_p95" in row else "–"
        lines.append(
            f"| {name} | {seed} | {_fmt(w, 'p50')} / {_fmt(w, 'p95')} | "
            f"{_fmt(wo, 'p50')} / {_fmt(wo, 'p95')} | {ratio} | "
            f"{_fmt(row.get('with_again_server_ms'), 'p95')} | "
            f"{_fmt(row.get('with_client_ms'), 'p50')} / {_fmt(row.get('with_client_ms'), 'p95')} | "
            f"{row.get('with_plan', '–')} | {row.get('without_plan', '–')} |"
        )
    lines.append("")
    lines.append("\\* not one of the seed's seven query types (another use of a 0002 index).")
    lines += _target_lines(result)
    storage = result.get("storage")
    if storage:
        lines += [
            "",
            "| Table | 0002 indexes, MB per 10K rows (measured) | Seed's estimate | Seed / measured |",
            "|---|---|---|---|",
        ]
        for table, t in storage["tables"].items():
            lines.append(
                f"| {table} | {t['indexes_0002_mb_per_10k_rows']:.3f} | "
                f"{t['seed_mb_per_10k_rows']:g} | {t['seed_over_measured'] or '–'}× |"
            )
    lines += _experiment_lines(result)
    lines += _http_lines(result)
    writes = result.get("write_overhead") or {}
    if "throughput_loss_percent" in writes:
        lines += [
            "",
            f"Write overhead of the three 0002 event indexes ({writes['rows_per_scenario']:,} "
            f"events per scenario in batches of {writes['batch_rows']:,}): "
            f"{writes['rows_per_s_with']:,.0f} events/s with vs "
            f"{writes['rows_per_s_without']:,.0f} without "
            f"({-writes['throughput_loss_percent']:+.1f}% throughput, "
            f"{writes['batch_latency_overhead_percent']:+.1f}% batch latency, "
            f"{writes['scenarios']['with']['wal_bytes_per_row']:,.0f} vs "
            f"{writes['scenarios']['without']['wal_bytes_per_row']:,.0f} WAL bytes per event; "
            f"the seed claims +{SEED_INSERT_OVERHEAD_PERCENT[0]:g}–"
            f"{SEED_INSERT_OVERHEAD_PERCENT[1]:g}% insert latency).",
        ]
    return "\n".join(lines)


def _target_lines(result: dict[str, Any]) -> list[str]:
    seed_rows = [r for r in result["summary"] if r["seed_query_type"] and "with_server_ms" in r]
    if not seed_rows:
        return []
    met = [r for r in seed_rows if r.get("target_met")]
    worst = max(seed_rows, key=lambda r: r["with_server_ms"]["p95"])
    again = [r["with_again_server_ms"]["p95"] for r in seed_rows if "with_again_server_ms" in r]
    line = (
        f"Target p95 ≤ {TARGET_P95_MS:g} ms with the 0002 indexes: met by {len(met)} of "
        f"{len(seed_rows)} seed query types (worst p95 {worst['with_server_ms']['p95']:.3f} ms, "
        f"{worst['query_type']}"
    )
    if again:
        line += f"; worst p95 in the second 'with' phase {max(again):.3f} ms"
    return ["", line + ")."]


def _http_lines(result: dict[str, Any]) -> list[str]:
    http = result.get("http") or {}
    if http.get("status") != "measured":
        return ["", f"HTTP: {http.get('status', 'not measured')} ({http.get('reason', '')})."]
    typed = http["listing"]["with_event_type"]
    untyped = http["listing"]["without_event_type"]
    line = (
        f"Through the API (twin serve on loopback, {typed['requests']:,} learners, pages of "
        f"50): GET …/events p50 / p95 {_fmt(typed['latency_ms'], 'p50')} / "
        f"{_fmt(typed['latency_ms'], 'p95')} ms with an event type, "
        f"{_fmt(untyped['latency_ms'], 'p50')} / {_fmt(untyped['latency_ms'], 'p95')} ms without"
    )
    ingestion = http.get("ingestion")
    if ingestion:
        line += (
            f"; POST …/events:batch {ingestion['events_per_s']:,.0f} events/s from "
            f"{ingestion['clients']} clients ({ingestion['events']:,} events, batch p50 / p95 "
            f"{_fmt(ingestion['batch_latency_ms'], 'p50')} / "
            f"{_fmt(ingestion['batch_latency_ms'], 'p95')} ms)"
        )
    line += (
        f"; API resident memory {http.get('api_idle_rss_mb')} MB idle, "
        f"{http.get('api_peak_rss_mb')} MB peak."
    )
    return ["", line]


def _experiment_lines(result: dict[str, Any]) -> list[str]:
    experiment = result.get("covering_index_experiment")
    if not experiment:
        return []
    lines = [
        "",
        "What-if (not a migration): the event aggregates with a covering index "
        "(created, measured, dropped in the same run); server ms.",
        "",
        "| Query | 0002 index p50 / p95 / p99 | Covering p50 / p95 / p99 | Plan | "
        "Index MB per 10K rows |",
        "|---|---|---|---|---|",
    ]
    summary = {row["key"]: row for row in result["summary"]}
    events = result["scale"]["events"]
    for key, e in experiment.items():
        m = e["measurement"]
        base = summary.get(key, {}).get("with_server_ms")
        per_10k = e["bytes"] / events * 10_000 / MB if e.get("bytes") else 0.0
        lines.append(
            f"| {summary.get(key, {}).get('query_type', key)} | "
            f"{_fmt(base, 'p50')} / {_fmt(base, 'p95')} / {_fmt(base, 'p99')} | "
            f"{_fmt(m['server_ms'], 'p50')} / {_fmt(m['server_ms'], 'p95')} / "
            f"{_fmt(m['server_ms'], 'p99')} | {m['plan']} | {per_10k:.3f} |"
        )
    return lines


def print_summary(result: dict[str, Any], console: Console) -> None:
    """The results as a rich table on the console."""
    table = Table(title="Query latency, server execution ms (EXPLAIN ANALYZE, warm)")
    for col in (
        "Query type",
        "Seed before→after",
        "With p50/p95/p99",
        "Without p50/p95",
        "Ratio p50/p95",
        "Again p95",
        "Client p50/p95",
        "Plan with 0002",
        "Plan without",
    ):
        table.add_column(col, overflow="fold")
    for row in result["summary"]:
        w, wo = row.get("with_server_ms"), row.get("without_server_ms")
        table.add_row(
            row["query_type"] + ("" if row["seed_query_type"] else " *"),
            f"{_range(row.get('seed_before_ms'))} → {_range(row.get('seed_after_ms'))}"
            if "seed_before_ms" in row
            else "–",
            f"{_fmt(w, 'p50')} / {_fmt(w, 'p95')} / {_fmt(w, 'p99')}",
            f"{_fmt(wo, 'p50')} / {_fmt(wo, 'p95')}",
            f"{row['ratio_p50']:g}× / {row['ratio_p95']:g}×" if "ratio_p95" in row else "–",
            _fmt(row.get("with_again_server_ms"), "p95"),
            f"{_fmt(row.get('with_client_ms'), 'p50')} / {_fmt(row.get('with_client_ms'), 'p95')}",
            row.get("with_plan", "–"),
            row.get("without_plan", "–"),
        )
    console.print(table)


@contextmanager
def _progress(console: Console) -> Iterator[Progress]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield progress


def run_benchmark(options: Options, console: Console | None = None) -> dict[str, Any]:
    """Build or reuse the database, measure every phase, return (and write) the results."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    scale = options.scale
    bench = open_bench_database(
        scale,
        data_dir=options.data_dir,
        database_url=options.database_url,
        shared_buffers=options.shared_buffers,
    )
    try:
        result = run_with_database(bench, options, console)
    finally:
        bench.close()
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    if not options.phases:
        return result  # --build-only: nothing measured, nothing to write
    output = options.output or RESULTS_DIR / (
        "queries_quick.json" if options.quick else "queries.json"
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    result["output"] = str(output)
    return result


def run_with_database(bench: BenchDatabase, options: Options, console: Console) -> dict[str, Any]:
    """Build or reuse ``bench``, measure the phases ``options`` ask for; return the results."""
    scale = options.scale
    machine = machine_description(bench)
    with _progress(console) as progress:
        task = progress.add_task("build", total=None)

        def on_build(step: str, done: int, total: int) -> None:
            progress.update(task, description=f"build: {step}", completed=done, total=total)
            if not console.is_terminal:
                console.log(f"build: {step} ({done}/{total})")

        build = ensure_built(bench, scale, rebuild=options.rebuild, progress=on_build)
        progress.update(
            task, description="build (reused)" if build.reused else "build", total=1, completed=1
        )
        rng = np.random.default_rng(options.seed)
        learners = sample_learners(bench, rng, options.sample)
        param_sets = learner_parameters(bench, learners, rng)
        phases: dict[str, PhaseResult] = {}
        writes: dict[str, Any] | None = None
        migrations: dict[str, float] = {}
        storage: dict[str, Any] | None = None
        restarted = False

        if PHASE_WITH in options.phases:
            # An empty buffer cache for the first pass (the OS cache may still be warm).
            restarted = bench.restart()
            phases[PHASE_WITH] = run_phase(
                bench, PHASE_WITH, QUERY_PATTERNS, param_sets, progress=progress
            )
            if PHASE_WITHOUT not in options.phases:
                storage = index_storage(bench)
        if options.write_rows:
            # Before the downgrade: the 0002 indexes it bloats are rebuilt by the upgrade.
            _log(progress, f"write overhead: {options.write_rows:,} events per scenario")
            writes = measure_write_overhead(
                bench,
                rows=options.write_rows,
                batch_rows=options.write_batch,
                seed=options.seed,
                progress=progress,
            )
        if PHASE_WITHOUT in options.phases:
            t0 = time.perf_counter()
            migrate.downgrade(bench.engine, migrate.BASELINE)
            migrations["downgrade_to_0001_seconds"] = round(time.perf_counter() - t0, 2)
            phases[PHASE_WITHOUT] = run_phase(
                bench, PHASE_WITHOUT, QUERY_PATTERNS, param_sets, progress=progress
            )
            t0 = time.perf_counter()
            migrate.upgrade(bench.engine, "head")
            migrations["upgrade_to_head_seconds"] = round(time.perf_counter() - t0, 2)
            # Freshly built by the migration on the loaded data: what the seed estimated.
            storage = index_storage(bench)
            t0 = time.perf_counter()
            restore_applied_at(bench)
            migrations["restore_applied_at_seconds"] = round(time.perf_counter() - t0, 2)
        if PHASE_WITH_AGAIN in options.phases:
            phases[PHASE_WITH_AGAIN] = run_phase(
                bench, PHASE_WITH_AGAIN, QUERY_PATTERNS, param_sets, progress=progress
            )
        if PHASE_WITHOUT in phases:
            applied = next(p for p in QUERY_PATTERNS if p.key == APPLIED_AT_PATTERN)
            if phases[PHASE_WITHOUT].patterns[applied.key].skipped:
                phases[PHASE_WITHOUT].patterns[applied.key] = measure_without_index(
                    bench, applied, param_sets
                )
        experiment = (
            covering_index_experiment(bench, param_sets, progress=progress)
            if options.covering_experiment and PHASE_WITH in options.phases
            else None
        )
        http: dict[str, Any] | None = None
        if options.http_batches is not None and options.phases:
            _log(progress, "http: twin serve on loopback")
            task = progress.add_task(
                "http", total=2 * 2 * len(param_sets) + options.http_batches * HTTP_BATCH_EVENTS
            )
            try:
                http = measure_http(
                    bench,
                    param_sets,
                    ingest_batches=options.http_batches,
                    seed=options.seed,
                    tick=lambda n: progress.advance(task, n),
                )
            except Exception as exc:  # keep the other figures when the server misbehaves
                http = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    return {
        "benchmark": "queries",
        "format_version": RESULT_FORMAT_VERSION,
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python -m benchmarks.queries " + " ".join(sys.argv[1:]),
        "machine": machine,
        "server_settings": server_settings(bench),
        "scale": asdict(scale),
        "sample_learners": len(learners),
        "build": build.as_json(),
        "method": {
            "server_time": "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) 'Execution Time' "
            "(pg_stat_statements is not available on the embedded server)",
            "client_time": "wall time of cursor.execute(prepared statement) + fetchall() "
            "from psycopg over the server's Unix socket",
            "warm": "each pattern is run once for every sampled learner before it is timed",
            "first_pass": "the untimed warm-up pass, timed on the client: right after a "
            "server restart in the first phase"
            + (" (restarted)" if restarted else " (no restart: external server)"),
            "phases": "with = head; without = migrated down to 0001 on the same data; "
            "with again = upgraded back to head",
            "write_overhead": "INSERT … SELECT FROM unnest(arrays) of new events in batches, "
            "with the 0002 indexes vs with the three event ones dropped, same events, "
            "alternating rounds, each scenario in a rolled-back transaction, VACUUM after each",
            "http": "benchmarks.bench_http: twin serve against this database on loopback; "
            "listing timed after a warm pass; ingested events deleted again afterwards",
        },
        "phases": {name: phase.as_json() for name, phase in phases.items()},
        "summary": summarize(phases),
        "storage": storage,
        "write_overhead": writes,
        "migrations": migrations,
        "covering_index_experiment": experiment,
        "http": http,
    }


def _log(progress: Progress, message: str) -> None:
    """A log line when the output is not a terminal (the progress bars then stay silent)."""
    if not progress.console.is_terminal:
        progress.console.log(message)


# --- command line ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Options from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.queries",
        description="Measure the 0002 indexes at scale: query latency with/without, "
        "index storage, write overhead.",
    )
    parser.add_argument("--learners", type=int, default=None, help="learners (default 10000)")
    parser.add_argument("--events", type=int, default=None, help="events (default 10000000)")
    parser.add_argument("--sample", type=int, default=None, help="learners sampled per query")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_LEARNERS} learners × {QUICK_EVENTS:,} events, {QUICK_SAMPLE} sampled",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="embedded server directory")
    parser.add_argument(
        "--database-url", default=None, help="use this database (or TWIN_BENCH_DATABASE_URL)"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if reusable")
    parser.add_argument(
        "--build-only", action="store_true", help="build (or check) the database, measure nothing"
    )
    parser.add_argument(
        "--write-rows", type=int, default=None, help="events per write scenario (0: skip)"
    )
    parser.add_argument("--write-batch", type=int, default=WRITE_BATCH_ROWS)
    parser.add_argument(
        "--shared-buffers", default=DEFAULT_SHARED_BUFFERS, help="embedded server only"
    )
    parser.add_argument(
        "--no-covering-experiment",
        action="store_true",
        help="skip the what-if measurement of covering indexes for the event aggregates",
    )
    parser.add_argument(
        "--http-batches",
        type=int,
        default=None,
        help=f"event batches POSTed through the API (default {DEFAULT_HTTP_BATCHES})",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    args = parser.parse_args(argv)
    base = Options.quick_mode() if args.quick else Options()
    overrides: dict[str, Any] = {
        "seed": args.seed,
        "data_dir": args.data_dir,
        "database_url": args.database_url,
        "rebuild": args.rebuild,
        "phases": () if args.build_only else base.phases,
        "covering_experiment": not args.no_covering_experiment,
        "write_batch": args.write_batch,
        "shared_buffers": args.shared_buffers,
        "output": args.output,
    }
    if args.no_http:
        overrides["http_batches"] = None
    for name in ("learners", "events", "sample", "write_rows", "http_batches"):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    return replace(base, **overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; print the table and the README markdown."""
    options = parse_args(argv)
    console = Console(width=max(Console().width, WIDE_CONSOLE_COLUMNS))
    result = run_benchmark(options, Console(stderr=True))
    if not options.phases:
        console.print_json(data=result["build"])
        console.print(f"database ready — {result['total_seconds']:.0f} s")
        return 0
    print_summary(result, console)
    console.print(markdown_summary(result), markup=False, highlight=False, soft_wrap=True)
    console.print(f"results: {result['output']} — total {result['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
