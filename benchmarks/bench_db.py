"""The query benchmark's database: where it lives, how it is built, how it is reused.

The benchmark database is never the user's main database. By default it lives in
its own embedded PostgreSQL data directory (``/var/lib/twin-bench`` as root,
``~/.cache/twin-bench`` otherwise), one database per scale, so a quick run and a
full run do not rebuild each other. ``--database-url`` (or
``TWIN_BENCH_DATABASE_URL``) points it at any PostgreSQL ≥ 14 database instead;
that database must be empty or an earlier benchmark database.

Building is server-side: ``INSERT … SELECT … FROM generate_series`` statements,
seeded with ``setseed`` so a scale and a seed always give the same rows, over
per-learner parameters drawn with a seeded numpy Generator (log-normal activity,
a preferred study hour, an ability). Events are written in time order, chunk by
chunk, so each learner's events are scattered over the heap as in production.
All rows are loaded at revision 0001 with the tables' secondary indexes dropped;
then the 0001 indexes are recreated, the schema is upgraded to head (which builds
the 0002 indexes on the loaded data), ``appliedAt`` — a 0002 column — is filled
from a side table, and everything is VACUUM ANALYZEd. A row in ``bench.meta``
marks a complete build; a second run with the same scale skips all of this.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

from twin.db import migrate
from twin.db.embedded import EmbeddedPostgres
from twin.db.engine import normalize_url
from twin.errors import DatabaseUnavailable

GENERATOR_VERSION = 1
BENCH_SCHEMA = "bench"
ROOT_BENCH_DIR = Path("/var/lib/twin-bench")
BENCH_URL_ENV = "TWIN_BENCH_DATABASE_URL"

# The data set's clock: events span WINDOW_DAYS days ending at DATA_END.
DATA_END = datetime(2026, 6, 1)
WINDOW_DAYS = 180
DATA_START = DATA_END - timedelta(days=WINDOW_DAYS)

# Events are inserted in time-ordered chunks of at most this many rows.
MAX_EVENTS_PER_CHUNK = 300_000

# Per-learner activity: events ~ log-normal(0, sigma), scaled to the requested total.
EVENTS_LOGNORMAL_SIGMA = 1.0
# Share of learners who join during the window instead of before it.
LATE_JOINER_SHARE = 0.3
# A learner's study hour: preferred hour + a roughly normal spread of this many hours.
STUDY_HOUR_SPREAD_HOURS = 3
# Preferred study hours (0-23) and their weights: evening-heavy, some mornings.
PREFERRED_HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 2, 3, 4, 4, 3, 3, 3, 4, 5, 6, 7, 8, 9, 10, 9, 6, 3],
    dtype=float,
)
# Ability (mean session performance score, 0-100) ~ 100 · Beta(ABILITY_A, ABILITY_B).
ABILITY_A, ABILITY_B = 5.0, 3.0

# Proportions of the other tables, per learner, as Poisson means: base + events / divisor.
PATTERNS_BASE, PATTERNS_PER_EVENTS, PATTERNS_MAX = 3.0, 120.0, 60
PREDICTIONS_BASE, PREDICTIONS_PER_EVENTS = 10.0, 12.0
RECOMMENDATIONS_BASE, RECOMMENDATIONS_PER_EVENTS = 5.0, 40.0
SCHEDULES_BASE, SCHEDULES_PER_EVENTS = 2.0, 100.0
COURSES_MIN, COURSES_MAX = 2, 5
LECTURES_PER_COURSE = 3
OBJECTIVES_PER_LECTURE = 4
# Personalization: per context, 1..MAX variants tried; the first one is the active arm.
CONFIG_VARIANTS_MAX = 4
# Share of schedule recommendations that were applied (appliedAt set).
SCHEDULE_APPLIED_SHARE = 0.25
# Predictions whose target date is this recent are mostly still PENDING.
RECENT_PREDICTION_DAYS = 14
RECENT_PENDING_SHARE = 0.7
OLD_PENDING_SHARE = 0.08

# Event types and their share of all events, in percent (sums to 100).
EVENT_TYPE_SHARES_PERCENT: tuple[tuple[str, int], ...] = (
    ("CARD_REVIEWED", 40),
    ("SESSION_STARTED", 8),
    ("SESSION_ENDED", 8),
    ("VALIDATION_COMPLETED", 8),
    ("SEARCH_PERFORMED", 7),
    ("MISSION_STARTED", 6),
    ("MISSION_COMPLETED", 5),
    ("GRAPH_VIEWED", 5),
    ("RECOMMENDATION_VIEWED", 5),
    ("RECOMMENDATION_CLICKED", 3),
    ("LECTURE_UPLOADED", 2),
    ("RECOMMENDATION_DISMISSED", 2),
    ("RECOMMENDATION_RATED", 1),
)
STRATEGY_VARIANTS = ("Pattern-heavy", "Prediction-heavy", "Balanced", "Conservative")

# Tables the generator fills (order matters: parents first).
AUX_TABLES = (
    "users",
    "courses",
    "lectures",
    "learning_objectives",
    "personalization_preferences",
)
BULK_TABLES = (
    "behavioral_events",
    "behavioral_patterns",
    "struggle_predictions",
    "recommendations",
    "personalization_configs",
    "study_schedule_recommendations",
)

# Session settings for building (the server's own settings are left alone).
BUILD_SESSION_SETTINGS = {
    "synchronous_commit": "off",
    "maintenance_work_mem": "512MB",
    "work_mem": "256MB",
}
# Settings of the dedicated embedded benchmark server (ALTER SYSTEM, its own data directory).
DEFAULT_SHARED_BUFFERS = "2GB"
EMBEDDED_SERVER_SETTINGS = {"max_wal_size": "4GB"}


# --- scale -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How big the benchmark database is, and the seed that makes it reproducible."""

    learners: int
    events: int
    seed: int

    @property
    def database_name(self) -> str:
        """The database holding this scale on the embedded benchmark server."""
        return f"twin_bench_{self.learners}l_{self.events}e_s{self.seed}"


def default_bench_dir() -> Path:
    """The default data directory of the benchmark server (never a home directory as root)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ROOT_BENCH_DIR
    return Path(platformdirs.user_cache_dir("twin-bench"))


# --- the database handle ---------------------------------------------------------------------


def libpq_url(url: str) -> str:
    """A libpq URL (psycopg's own) from a SQLAlchemy one."""
    return normalize_url(url).replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class BenchDatabase:
    """A connection target for the benchmark: libpq URL, SQLAlchemy engine, embedded server."""

    url: str
    description: str
    embedded: EmbeddedPostgres | None = None
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        """A SQLAlchemy engine (for the migrations), created on first use."""
        if self._engine is None:
            self._engine = sa.create_engine(
                normalize_url(self.url),
                pool_pre_ping=True,
                connect_args={
                    "options": "-c timezone=UTC -c maintenance_work_mem="
                    + BUILD_SESSION_SETTINGS["maintenance_work_mem"]
                },
            )
        return self._engine

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A new psycopg connection (UTC session time zone)."""
        return psycopg.connect(self.url, autocommit=autocommit, options="-c timezone=UTC")

    def dispose(self) -> None:
        """Close pooled connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def restart(self) -> bool:
        """Restart the embedded server (empties PostgreSQL's buffer cache); False if not ours."""
        if self.embedded is None:
            return False
        self.dispose()
        self.embedded.stop()
        self.embedded.start()
        return True

    def close(self) -> None:
        """Dispose of connections and stop the embedded server if we were its last user."""
        self.dispose()
        if self.embedded is not None:
            self.embedded.release()


def _same_database(a: str, b: str) -> bool:
    ua, ub = make_url(normalize_url(a)), make_url(normalize_url(b))
    return (ua.host, ua.port, ua.database, ua.query.get("host")) == (
        ub.host,
        ub.port,
        ub.database,
        ub.query.get("host"),
    )


def open_bench_database(
    scale: Scale,
    *,
    data_dir: Path | None = None,
    database_url: str | None = None,
    shared_buffers: str = DEFAULT_SHARED_BUFFERS,
) -> BenchDatabase:
    """Open the benchmark database: the given URL, or the dedicated embedded server."""
    database_url = database_url or os.environ.get(BENCH_URL_ENV) or None
    if database_url is not None:
        main_url = os.environ.get("TWIN_DATABASE_URL")
        if main_url and _same_database(database_url, main_url):
            raise DatabaseUnavailable(
                "the benchmark database URL is the engine's TWIN_DATABASE_URL; "
                "give the benchmark a database of its own"
            )
        bench = BenchDatabase(url=libpq_url(database_url), description="database URL")
        _check_server(bench)
        return bench
    directory = data_dir or default_bench_dir()
    embedded = EmbeddedPostgres(directory)
    embedded.start()
    admin_url = libpq_url(embedded.url("postgres"))
    if _configure_embedded_server(admin_url, shared_buffers):
        embedded.stop()
        embedded.start()
        admin_url = libpq_url(embedded.url("postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (scale.database_name,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{scale.database_name}"')
    bench = BenchDatabase(
        url=libpq_url(embedded.url(scale.database_name)),
        description=f"embedded PostgreSQL in {directory} (database {scale.database_name})",
        embedded=embedded,
    )
    _check_server(bench)
    return bench


def _check_server(bench: BenchDatabase) -> None:
    try:
        with bench.connect() as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot reach the benchmark database: {exc}") from exc
    if row is None or int(row[0]) < 140000:
        raise DatabaseUnavailable("the benchmark needs PostgreSQL 14 or newer")


def _configure_embedded_server(admin_url: str, shared_buffers: str) -> bool:
    """Apply the benchmark server's settings; True when a restart is needed."""
    settings = {"shared_buffers": shared_buffers, **EMBEDDED_SERVER_SETTINGS}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name, value in settings.items():
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        conn.execute("SELECT pg_reload_conf()")
        # pg_file_settings compares the file with the running values when queried (a reload
        # signal is asynchronous, pg_settings.pending_restart may lag behind it).
        row = conn.execute(
            "SELECT bool_or(NOT applied) FROM pg_file_settings "
            "WHERE name = ANY(%s) AND sourcefile LIKE '%%postgresql.auto.conf'",
            (list(settings),),
        ).fetchone()
    return bool(row and row[0])


def server_settings(bench: BenchDatabase) -> dict[str, str]:
    """The server settings that shape the figures."""
    names = (
        "server_version",
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "random_page_cost",
        "jit",
        "max_parallel_workers_per_gather",
    )
    with bench.connect() as conn:
        rows = conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
            (list(names),),
        ).fetchall()
    return {name: value for name, value in rows}


# --- build or reuse ------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildReport:
    """What was built (or found) and how long each step took."""

    reused: bool
    rows: dict[str, int]
    seconds: dict[str, float]
    built_at: str
    generator_version: int = GENERATOR_VERSION

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


ProgressHook = Callable[[str, int, int], None]
"""Called with (step name, units done, units total) while building."""


def _no_progress(step: str, done: int, total: int) -> None:
    del step, done, total


def read_meta(bench: BenchDatabase) -> dict[str, Any] | None:
    """The marker of a complete build, or None."""
    with bench.connect() as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{BENCH_SCHEMA}.meta",)).fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute(f"SELECT doc FROM {BENCH_SCHEMA}.meta WHERE key = 'build'").fetchone()
    return dict(row[0]) if row else None


def _meta_matches(meta: dict[str, Any] | None, scale: Scale) -> bool:
    return (
        meta is not None
        and meta.get("generator_version") == GENERATOR_VERSION
        and meta.get("scale") == asdict(scale)
    )


def ensure_built(
    bench: BenchDatabase,
    scale: Scale,
    *,
    rebuild: bool = False,
    progress: ProgressHook = _no_progress,
) -> BuildReport:
    """Reuse the database when it holds this scale already; otherwise build it."""
    meta = read_meta(bench)
    if not rebuild and _meta_matches(meta, scale):
        assert meta is not None
        ensure_at_head(bench)
        return BuildReport(
            reused=True,
            rows=dict(meta["rows"]),
            seconds=dict(meta["seconds"]),
            built_at=str(meta["built_at"]),
        )
    _check_may_rebuild(bench, meta)
    return build(bench, scale, progress=progress)


def _check_may_rebuild(bench: BenchDatabase, meta: dict[str, Any] | None) -> None:
    """Refuse to wipe a database that is neither empty nor an earlier benchmark database."""
    if meta is not None:
        return
    with bench.connect() as conn:
        tables = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        ).fetchall()
        names = {t[0] for t in tables} - {"alembic_version"}
        if not names:
            return
        for table in ("users", "behavioral_events"):
            if table in names:
                row = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()
                if row and row[0]:
                    raise DatabaseUnavailable(
                        f"the benchmark database already holds data ({table} is not empty) and "
                        "is not a benchmark database; give the benchmark an empty database"
                    )


def ensure_at_head(bench: BenchDatabase) -> None:
    """Bring a benchmark database interrupted mid-run back to head with its data complete."""
    if migrate.current_revision(bench.engine) == migrate.head_revision():
        return
    migrate.upgrade(bench.engine, "head")
    restore_applied_at(bench)


def restore_applied_at(bench: BenchDatabase) -> int:
    """Fill ``study_schedule_recommendations.appliedAt`` (a 0002 column) from the side table."""
    with bench.connect() as conn:
        cur = conn.execute(
            'UPDATE study_schedule_recommendations s SET "appliedAt" = a."appliedAt" '
            f'FROM {BENCH_SCHEMA}.schedule_applied a WHERE a.id = s.id AND s."appliedAt" IS NULL'
        )
        updated = cur.rowcount
        conn.execute("VACUUM (ANALYZE) study_schedule_recommendations")
    return updated


def _setseed_value(seed: int, stage: int) -> float:
    """A ``setseed`` argument in [-1, 1] from the run seed and a stage number."""
    mixed = (seed * 1_000_003 + stage * 7_919) % 2_000_001
    return mixed / 1_000_000 - 1.0


# --- per-learner parameters (numpy, seeded) ----------------------------------------------------

_CROCKFORD = np.array(list("0123456789abcdefghjkmnpqrstvwxyz"))
ID_LENGTH = 26


@dataclass(frozen=True)
class LearnerParams:
    """Per-learner parameters of the generator, one array element per learner."""

    ids: list[str]
    n_events: np.ndarray
    start_day: np.ndarray
    pref_hour: np.ndarray
    ability: np.ndarray
    n_courses: np.ndarray
    n_patterns: np.ndarray
    n_predictions: np.ndarray
    n_recommendations: np.ndarray
    n_schedules: np.ndarray


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    share = weights / weights.sum() * total
    counts = np.floor(share).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        order = np.argsort(-(share - counts), kind="stable")
        counts[order[:short]] += 1
    result: np.ndarray = counts
    return result


def learner_params(scale: Scale) -> LearnerParams:
    """Draw every learner's parameters from a Generator seeded with the scale's seed."""
    rng = np.random.default_rng(scale.seed)
    n = scale.learners
    letters = rng.integers(0, len(_CROCKFORD), size=(n, ID_LENGTH))
    ids = ["".join(row) for row in _CROCKFORD[letters]]
    weights = rng.lognormal(mean=0.0, sigma=EVENTS_LOGNORMAL_SIGMA, size=n)
    n_events = allocate(scale.events, weights)
    late = rng.random(n) < LATE_JOINER_SHARE
    start_day = np.where(late, rng.integers(0, WINDOW_DAYS - 1, size=n), 0)
    pref_hour = rng.choice(24, size=n, p=PREFERRED_HOUR_WEIGHTS / PREFERRED_HOUR_WEIGHTS.sum())
    ability = 100.0 * rng.beta(ABILITY_A, ABILITY_B, size=n)
    n_courses = rng.integers(COURSES_MIN, COURSES_MAX + 1, size=n)
    n_patterns = np.minimum(
        rng.poisson(PATTERNS_BASE + n_events / PATTERNS_PER_EVENTS), PATTERNS_MAX
    )
    n_predictions = rng.poisson(PREDICTIONS_BASE + n_events / PREDICTIONS_PER_EVENTS)
    n_recommendations = rng.poisson(RECOMMENDATIONS_BASE + n_events / RECOMMENDATIONS_PER_EVENTS)
    n_schedules = rng.poisson(SCHEDULES_BASE + n_events / SCHEDULES_PER_EVENTS)
    return LearnerParams(
        ids=ids,
        n_events=n_events,
        start_day=start_day,
        pref_hour=pref_hour,
        ability=ability,
        n_courses=n_courses,
        n_patterns=n_patterns,
        n_predictions=n_predictions,
        n_recommendations=n_recommendations,
        n_schedules=n_schedules,
    )


# --- SQL of the generator -------------------------------------------------------------------------


def _id_sql(ts: str) -> str:
    """A 26-character time-ordered id: hex milliseconds of ``ts`` + 14 random hex digits."""
    return (
        f"lpad(to_hex((extract(epoch FROM {ts}) * 1000)::bigint), 12, '0') "
        "|| substr(md5(random()::text), 1, 14)"
    )


def _pick(values: tuple[str, ...] | list[str], cast: str = "") -> str:
    """Uniform pick from a constant list (evaluated per row)."""
    items = ", ".join(f"'{v}'" for v in values)
    return f"(ARRAY[{items}]){cast}[1 + floor(random() * {len(values)})::int]"


def _beta_sql(a: int, b: int) -> str:
    """A Beta(a, b) draw (integer a, b) from the benchmark schema's ``beta`` function."""
    return f"{BENCH_SCHEMA}.beta({a}, {b})"


# Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); an integer-shape Gamma is a
# sum of exponentials. A function, so that X is drawn once per call.
BETA_FUNCTION_SQL = f"""
CREATE FUNCTION {BENCH_SCHEMA}.beta(a int, b int) RETURNS float8 VOLATILE LANGUAGE plpgsql AS $$
DECLARE
    x float8 := 0;
    y float8 := 0;
BEGIN
    FOR i IN 1..a LOOP x := x - ln(1.0 - random()); END LOOP;
    FOR i IN 1..b LOOP y := y - ln(1.0 - random()); END LOOP;
    RETURN x / greatest(x + y, 1e-300);
END
$$
"""


def _course_id(learner: str, k: str) -> str:
    return f"substr(md5('crs' || {learner} || '.' || {k}), 1, {ID_LENGTH})"


def _lecture_id(learner: str, k: str, j: str) -> str:
    return f"substr(md5('lec' || {learner} || '.' || {k} || '.' || {j}), 1, {ID_LENGTH})"


def _objective_id(learner: str, k: str, j: str, m: str) -> str:
    return (
        f"substr(md5('obj' || {learner} || '.' || {k} || '.' || {j} || '.' || {m}), 1, {ID_LENGTH})"
    )


_EVENT_TYPE_SLOTS = [name for name, pct in EVENT_TYPE_SHARES_PERCENT for _ in range(pct)]
assert len(_EVENT_TYPE_SLOTS) == 100, "event type shares must sum to 100 percent"

# One chunk of events: every learner's events whose day falls in [day_lo, day_hi).
# A learner active from start_day gets floor(n·(d - start)/(W - start)) events before
# day d, so the chunks add up to exactly n_events.
EVENTS_CHUNK_SQL = f"""
INSERT INTO behavioral_events
    (id, "userId", "eventType", "eventData", "timestamp", "completionQuality", "contentType",
     "dayOfWeek", "difficultyLevel", "engagementLevel", "sessionPerformanceScore", "timeOfDay")
SELECT {_id_sql("s.ts")}, s.uid, s.et::"EventType",
       jsonb_build_object(
           'sessionId', substr(md5(s.uid || (extract(epoch FROM s.ts)::bigint / 3600)::text), 1, 24),
           'durationMs', (1000 + random() * 119000)::int,
           'client', {_pick(["web", "ios", "android"])}),
       s.ts,
       CASE WHEN random() < 0.3 THEN NULL
            ELSE {_pick(["RUSHED", "NORMAL", "NORMAL", "NORMAL", "THOROUGH"])}::"CompletionQuality"
       END,
       CASE WHEN random() < 0.2 THEN NULL
            ELSE {_pick(["flashcard", "lecture", "validation", "clinical_case", "mission"])} END,
       extract(dow FROM s.ts)::int,
       CASE WHEN random() < 0.3 THEN NULL ELSE {_pick(["EASY", "MEDIUM", "HARD"])} END,
       CASE WHEN random() < 0.3 THEN NULL
            ELSE {_pick(["LOW", "MEDIUM", "MEDIUM", "HIGH"])}::"EngagementLevel" END,
       CASE WHEN random() < 0.3 THEN NULL
            ELSE least(100, greatest(0, s.ability + 15 * (random() + random() + random() - 1.5)
                                           * 2))::int END,
       extract(hour FROM s.ts)::int
FROM (
    SELECT l.id AS uid, l.ability, {_pick(_EVENT_TYPE_SLOTS)} AS et,
           (%(window_start)s::timestamp
            + (d.lo + floor(random() * (%(day_hi)s - d.lo))) * INTERVAL '1 day'
            + mod(l.pref_hour + 48 + floor({STUDY_HOUR_SPREAD_HOURS}
                  * (random() + random() + random() + random() - 2))::int, 24) * INTERVAL '1 hour'
            + random() * INTERVAL '1 hour')::timestamp(3) AS ts
    FROM {BENCH_SCHEMA}.learners l
    CROSS JOIN LATERAL (SELECT greatest(%(day_lo)s, l.start_day) AS lo) d
    CROSS JOIN LATERAL generate_series(1, (
        floor(l.n_events * greatest(0, %(day_hi)s - l.start_day)::float8
              / ({WINDOW_DAYS} - l.start_day))
        - floor(l.n_events * greatest(0, %(day_lo)s - l.start_day)::float8
                / ({WINDOW_DAYS} - l.start_day)))::int) g
    WHERE l.start_day < %(day_hi)s
) s
ORDER BY s.ts
"""

_PREDICTION_STATUS_PICK = _pick(
    ["CONFIRMED"] * 2 + ["FALSE_POSITIVE", "MISSED", "DISMISSED"] + ["RESOLVED"] * 3
)
_LEARNER_DAY = f"(l.start_day + floor(random() * ({WINDOW_DAYS} - l.start_day)))"

AUX_SQL: dict[str, str] = {
    "users": f"""
        INSERT INTO users (id, email, name, "createdAt", "updatedAt")
        SELECT l.id, 'learner' || l.idx || '@bench.invalid', 'Learner ' || l.idx,
               %(window_start)s::timestamp + l.start_day * INTERVAL '1 day',
               %(window_start)s::timestamp + l.start_day * INTERVAL '1 day'
        FROM {BENCH_SCHEMA}.learners l ORDER BY l.start_day, l.idx
    """,
    "courses": f"""
        INSERT INTO courses (id, "userId", name, code, "createdAt", "updatedAt")
        SELECT {_course_id("l.id", "k")}, l.id, 'Course ' || k, 'C' || (100 + k),
               %(window_start)s::timestamp, %(window_start)s::timestamp
        FROM {BENCH_SCHEMA}.learners l CROSS JOIN LATERAL generate_series(1, l.n_courses) k
    """,
    "lectures": f"""
        INSERT INTO lectures (id, "userId", "courseId", title, "topicTags", "uploadedAt")
        SELECT {_lecture_id("l.id", "k", "j")}, l.id, {_course_id("l.id", "k")},
               'Lecture ' || k || '.' || j, ARRAY['topic' || k, 'unit' || j],
               %(window_start)s::timestamp
        FROM {BENCH_SCHEMA}.learners l
        CROSS JOIN LATERAL generate_series(1, l.n_courses) k
        CROSS JOIN generate_series(1, {LECTURES_PER_COURSE}) j
    """,
    "learning_objectives": f"""
        INSERT INTO learning_objectives (id, "lectureId", objective, "isHighYield", "createdAt")
        SELECT {_objective_id("l.id", "k", "j", "m")}, {_lecture_id("l.id", "k", "j")},
               'Objective ' || k || '.' || j || '.' || m, random() < 0.3,
               %(window_start)s::timestamp
        FROM {BENCH_SCHEMA}.learners l
        CROSS JOIN LATERAL generate_series(1, l.n_courses) k
        CROSS JOIN generate_series(1, {LECTURES_PER_COURSE}) j
        CROSS JOIN generate_series(1, {OBJECTIVES_PER_LECTURE}) m
    """,
    "personalization_preferences": f"""
        INSERT INTO personalization_preferences (id, "userId", "createdAt", "updatedAt")
        SELECT 'prf' || substr(md5('prf' || l.id), 1, {ID_LENGTH - 3}), l.id,
               %(window_start)s::timestamp, %(window_start)s::timestamp
        FROM {BENCH_SCHEMA}.learners l
    """,
}

BULK_SQL: dict[str, str] = {
    "behavioral_patterns": f"""
        INSERT INTO behavioral_patterns
            (id, "userId", "patternType", "patternData", confidence, "firstDetectedAt",
             "lastSeenAt", "patternName", evidence, "occurrenceCount", "detectedAt")
        SELECT {_id_sql("s.first_at")}, s.uid, s.pt::"BehavioralPatternType",
               jsonb_build_object('window', 'P14D', 'strength', round(s.conf::numeric, 3),
                                  'peakHour', (random() * 23)::int),
               s.conf, s.first_at,
               least(s.first_at + random() * (%(data_end)s::timestamp - s.first_at),
                     %(data_end)s::timestamp)::timestamp(3),
               initcap(replace(lower(s.pt), '_', ' ')),
               ARRAY['seen in ' || (3 + (random() * 20)::int) || ' sessions',
                     'consistent over ' || (1 + (random() * 6)::int) || ' weeks'],
               1 + (random() * 30)::int, s.first_at
        FROM (
            SELECT l.id AS uid,
                   {
        _pick(
            [
                "OPTIMAL_STUDY_TIME",
                "SESSION_DURATION_PREFERENCE",
                "CONTENT_TYPE_PREFERENCE",
                "PERFORMANCE_PEAK",
                "ATTENTION_CYCLE",
                "FORGETTING_CURVE",
            ]
        )
    } AS pt,
                   0.4 + 0.55 * {_beta_sql(2, 2)} AS conf,
                   (%(window_start)s::timestamp + {_LEARNER_DAY} * INTERVAL '1 day'
                    + random() * INTERVAL '1 day')::timestamp(3) AS first_at
            FROM {BENCH_SCHEMA}.learners l CROSS JOIN LATERAL generate_series(1, l.n_patterns) g
        ) s
        ORDER BY s.first_at
    """,
    "struggle_predictions": f"""
        INSERT INTO struggle_predictions
            (id, "userId", "learningObjectiveId", "topicId", "predictedStruggleProbability",
             "predictionConfidence", "predictionStatus", "featureVector", "strugglingFactors",
             "predictionDate", "predictedAt", "acknowledgedAt", "actualOutcome",
             "actualOutcomeRecordedAt", "interventionApplied")
        SELECT {_id_sql("s.predicted_at")}, s.uid,
               {_objective_id("s.uid", "s.k", "s.j", "s.m")}, {_course_id("s.uid", "s.k")},
               s.p, 0.5 + 0.5 * random(), s.status::"PredictionStatus",
               jsonb_build_object('retention', round(random()::numeric, 3),
                                  'reviewsLast7d', (random() * 80)::int,
                                  'avgRating', round((1 + 3 * random())::numeric, 2),
                                  'prerequisiteGap', round(random()::numeric, 3),
                                  'complexity', (1 + random() * 2)::int),
               jsonb_build_array({
        _pick(["LOW_RETENTION", "PREREQUISITE_GAP", "COMPLEXITY_MISMATCH", "COGNITIVE_OVERLOAD"])
    }),
               s.prediction_date, s.predicted_at,
               CASE WHEN s.status <> 'PENDING' AND random() < 0.5
                    THEN s.predicted_at + INTERVAL '1 day' END,
               CASE WHEN s.status IN ('CONFIRMED', 'MISSED') THEN true
                    WHEN s.status = 'FALSE_POSITIVE' THEN false END,
               CASE WHEN s.status IN ('CONFIRMED', 'MISSED', 'FALSE_POSITIVE')
                    THEN s.prediction_date END,
               s.status IN ('CONFIRMED', 'RESOLVED') AND random() < 0.6
        FROM (
            SELECT t.*,
                   CASE WHEN random() < CASE WHEN t.prediction_date
                                                  >= %(data_end)s::timestamp
                                                     - INTERVAL '{RECENT_PREDICTION_DAYS} days'
                                             THEN {RECENT_PENDING_SHARE}
                                             ELSE {OLD_PENDING_SHARE} END
                        THEN 'PENDING'
                        ELSE {_PREDICTION_STATUS_PICK} END AS status
            FROM (
                SELECT t0.*,
                       (t0.predicted_at + (1 + floor(random() * 7)) * INTERVAL '1 day')
                           ::timestamp(3) AS prediction_date
                FROM (
                    SELECT l.id AS uid, 1 + floor(random() * l.n_courses)::int AS k,
                           1 + floor(random() * {LECTURES_PER_COURSE})::int AS j,
                           1 + floor(random() * {OBJECTIVES_PER_LECTURE})::int AS m,
                           {_beta_sql(2, 5)} AS p,
                           (%(window_start)s::timestamp + {_LEARNER_DAY} * INTERVAL '1 day'
                            + random() * INTERVAL '1 day')::timestamp(3) AS predicted_at
                    FROM {BENCH_SCHEMA}.learners l
                    CROSS JOIN LATERAL generate_series(1, l.n_predictions) g
                ) t0
            ) t
        ) s
        ORDER BY s.predicted_at
    """,
    "recommendations": f"""
        INSERT INTO recommendations
            (id, "userId", "recommendationType", title, description, "actionableText",
             confidence, "estimatedImpact", "easeOfImplementation", "userReadiness",
             "priorityScore", status, "sourcePatternIds", "sourceInsightIds", "createdAt",
             "appliedAt", "dismissedAt")
        SELECT {_id_sql("s.created_at")}, s.uid, s.rt::"RecommendationType",
               initcap(replace(lower(s.rt), '_', ' ')) || ': adjust your plan',
               'Based on your recent sessions, a change to your '
                   || lower(replace(s.rt, '_', ' ')) || ' is likely to improve retention.',
               'Try this for the next ' || (3 + (random() * 11)::int) || ' days.',
               s.c, s.i, s.e, s.r, 0.3 * s.c + 0.3 * s.i + 0.2 * s.e + 0.2 * s.r,
               s.status::"RecommendationStatus",
               ARRAY[substr(md5(random()::text), 1, {ID_LENGTH})], ARRAY[]::text[],
               s.created_at,
               CASE WHEN s.status IN ('VIEWED', 'RATED') AND random() < 0.3
                    THEN s.created_at + random() * INTERVAL '2 days' END,
               CASE WHEN s.status = 'DISMISSED' THEN s.created_at + INTERVAL '1 hour' END
        FROM (
            SELECT l.id AS uid,
                   {
        _pick(
            [
                "STUDY_TIME_OPTIMIZATION",
                "SESSION_DURATION_ADJUSTMENT",
                "CONTENT_TYPE_BALANCE",
                "RETENTION_STRATEGY",
                "CONSISTENCY_BUILDING",
                "EXPERIMENTAL_SUGGESTION",
            ]
        )
    } AS rt,
                   {
        _pick(["PENDING"] * 6 + ["VIEWED"] * 7 + ["DISMISSED"] * 4 + ["RATED"] * 3)
    } AS status,
                   random() AS c, random() AS i, random() AS e, random() AS r,
                   (%(window_start)s::timestamp + {_LEARNER_DAY} * INTERVAL '1 day'
                    + random() * INTERVAL '1 day')::timestamp(3) AS created_at
            FROM {BENCH_SCHEMA}.learners l
            CROSS JOIN LATERAL generate_series(1, l.n_recommendations) g
        ) s
        ORDER BY s.created_at
    """,
    "personalization_configs": f"""
        INSERT INTO personalization_configs
            (id, "userId", "preferencesId", context, "strategyVariant", "missionPersonalization",
             "effectivenessScore", "confidenceScore", "timesSelected", "totalReward",
             "avgReward", "isActive", "activatedAt", "deactivatedAt", "createdAt", "updatedAt")
        SELECT {_id_sql("s.created_at")}, s.uid,
               'prf' || substr(md5('prf' || s.uid), 1, {ID_LENGTH - 3}),
               s.ctx::"PersonalizationContext", s.variant,
               jsonb_build_object('timing', 'evening', 'durationMinutes', 30 + s.v * 5),
               round((100 * s.reward)::numeric, 1), 0.5 + 0.5 * random(), s.times,
               s.times * s.reward, s.reward, s.v = 1, s.created_at,
               CASE WHEN s.v > 1 THEN s.created_at + INTERVAL '7 days' END,
               s.created_at, s.created_at
        FROM (
            SELECT l.id AS uid, c.ctx, v.v,
                   (ARRAY{list(STRATEGY_VARIANTS)})[1 + mod(v.v + c.shift, 4)] AS variant,
                   {_beta_sql(2, 2)} AS reward, (random() * 200)::int AS times,
                   (%(window_start)s::timestamp + {_LEARNER_DAY} * INTERVAL '1 day')
                       ::timestamp(3) AS created_at
            FROM {BENCH_SCHEMA}.learners l
            CROSS JOIN LATERAL (
                SELECT ctx, floor(random() * 4 + 0 * l.idx)::int AS shift,
                       1 + floor(random() * {CONFIG_VARIANTS_MAX} + 0 * l.idx)::int AS n
                FROM unnest(ARRAY['MISSION', 'CONTENT', 'ASSESSMENT', 'SESSION']) ctx
            ) c
            CROSS JOIN LATERAL generate_series(1, c.n) v(v)
        ) s
        ORDER BY s.created_at
    """,
    "study_schedule_recommendations": f"""
        INSERT INTO study_schedule_recommendations
            (id, "userId", "recommendedSchedule", reasoning, "createdAt")
        SELECT {_id_sql("s.created_at")}, s.uid,
               jsonb_build_object('startHour', s.hour, 'durationMinutes', 25 + (random() * 60)::int,
                                  'days', jsonb_build_array(1, 3, 5),
                                  'breaks', jsonb_build_array(25, 50)),
               'You study best around ' || s.hour || ':00; sessions then score higher.',
               s.created_at
        FROM (
            SELECT l.id AS uid, l.pref_hour AS hour,
                   (%(window_start)s::timestamp + {_LEARNER_DAY} * INTERVAL '1 day'
                    + random() * INTERVAL '1 day')::timestamp(3) AS created_at
            FROM {BENCH_SCHEMA}.learners l
            CROSS JOIN LATERAL generate_series(1, l.n_schedules) g
        ) s
        ORDER BY s.created_at
    """,
}

SCHEDULE_APPLIED_SQL = f"""
    INSERT INTO {BENCH_SCHEMA}.schedule_applied (id, "appliedAt")
    SELECT id, least("createdAt" + random() * INTERVAL '3 days', %(data_end)s::timestamp)
    FROM study_schedule_recommendations WHERE random() < {SCHEDULE_APPLIED_SHARE}
"""


# --- building -----------------------------------------------------------------------------------


def _event_chunks(total_events: int) -> list[tuple[int, int]]:
    """Day ranges [lo, hi) of the event chunks: whole days dividing the window evenly."""
    wanted = max(1, math.ceil(total_events / MAX_EVENTS_PER_CHUNK))
    divisors = [d for d in range(1, WINDOW_DAYS + 1) if WINDOW_DAYS % d == 0]
    chunks = next((d for d in divisors if d >= wanted), WINDOW_DAYS)
    days = WINDOW_DAYS // chunks
    return [(i * days, (i + 1) * days) for i in range(chunks)]


def _drop_secondary_indexes(conn: psycopg.Connection[Any], tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' non-constraint indexes before a bulk load; return their DDL."""
    rows = conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                          WHERE c.conindid = to_regclass(quote_ident(i.indexname)))
        """,
        (list(tables),),
    ).fetchall()
    for name, _ in rows:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [ddl for _, ddl in rows]


def _create_bench_schema(conn: psycopg.Connection[Any], params: LearnerParams) -> None:
    conn.execute(f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {BENCH_SCHEMA}")
    conn.execute(BETA_FUNCTION_SQL)
    conn.execute(f"CREATE TABLE {BENCH_SCHEMA}.meta (key text PRIMARY KEY, doc jsonb NOT NULL)")
    conn.execute(
        f"""CREATE TABLE {BENCH_SCHEMA}.learners (
            idx int PRIMARY KEY, id text NOT NULL UNIQUE, n_events int NOT NULL,
            start_day int NOT NULL, pref_hour int NOT NULL, ability float8 NOT NULL,
            n_courses int NOT NULL, n_patterns int NOT NULL, n_predictions int NOT NULL,
            n_recommendations int NOT NULL, n_schedules int NOT NULL)"""
    )
    conn.execute(
        f'CREATE TABLE {BENCH_SCHEMA}.schedule_applied (id text PRIMARY KEY, "appliedAt" '
        "timestamp(3) NOT NULL)"
    )
    columns = (
        "idx, id, n_events, start_day, pref_hour, ability, n_courses, n_patterns, "
        "n_predictions, n_recommendations, n_schedules"
    )
    with conn.cursor().copy(f"COPY {BENCH_SCHEMA}.learners ({columns}) FROM STDIN") as copy:
        for i, learner_id in enumerate(params.ids):
            copy.write_row(
                (
                    i,
                    learner_id,
                    int(params.n_events[i]),
                    int(params.start_day[i]),
                    int(params.pref_hour[i]),
                    float(params.ability[i]),
                    int(params.n_courses[i]),
                    int(params.n_patterns[i]),
                    int(params.n_predictions[i]),
                    int(params.n_recommendations[i]),
                    int(params.n_schedules[i]),
                )
            )
    conn.execute(f"ANALYZE {BENCH_SCHEMA}.learners")


def _apply_session_settings(conn: psycopg.Connection[Any], settings: dict[str, str]) -> None:
    for name, value in settings.items():
        conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))


def _reset_schema(bench: BenchDatabase) -> None:
    """Take the engine's schema back to empty (through the migrations), then to 0001."""
    if migrate.current_revision(bench.engine) is not None:
        migrate.downgrade(bench.engine, "base")
    migrate.upgrade(bench.engine, migrate.BASELINE)


def _set_autovacuum(conn: psycopg.Connection[Any], tables: tuple[str, ...], on: bool) -> None:
    """Keep autovacuum off the tables while loading (the build ends with VACUUM ANALYZE)."""
    template = (
        "ALTER TABLE {} RESET (autovacuum_enabled)"
        if on
        else "ALTER TABLE {} SET (autovacuum_enabled = false)"
    )
    for table in tables:
        conn.execute(sql.SQL(template).format(sql.Identifier(table)))


def build(
    bench: BenchDatabase, scale: Scale, *, progress: ProgressHook = _no_progress
) -> BuildReport:
    """Build the benchmark database from nothing (see the module docstring)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    params = learner_params(scale)
    _reset_schema(bench)
    seconds["reset_schema"] = time.perf_counter() - started
    base = {"window_start": DATA_START, "data_end": DATA_END}
    chunks = _event_chunks(scale.events)
    statements: list[tuple[str, str, dict[str, Any]]] = [
        (table, AUX_SQL[table], base) for table in AUX_TABLES
    ]
    statements += [
        ("behavioral_events", EVENTS_CHUNK_SQL, {**base, "day_lo": lo, "day_hi": hi})
        for lo, hi in chunks
    ]
    statements += [(table, statement, base) for table, statement in BULK_SQL.items()]
    statements.append(("schedule_applied", SCHEDULE_APPLIED_SQL, base))
    steps = len(statements) + 3
    tables = (*AUX_TABLES, *BULK_TABLES)

    with bench.connect() as conn:
        _apply_session_settings(conn, BUILD_SESSION_SETTINGS)
        t0 = time.perf_counter()
        _create_bench_schema(conn, params)
        seconds["learners"] = time.perf_counter() - t0
        _set_autovacuum(conn, tables, on=False)
        deferred = _drop_secondary_indexes(conn, tables)
        for stage, (name, statement, values) in enumerate(statements, start=1):
            t0 = time.perf_counter()
            # setseed makes the session's random() reproducible for each statement.
            conn.execute("SELECT setseed(%s)", (_setseed_value(scale.seed, stage),))
            conn.execute(statement, values)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
            progress(name, stage, steps)
        t0 = time.perf_counter()
        for ddl in deferred:
            conn.execute(ddl)
        seconds["indexes_0001"] = time.perf_counter() - t0
        progress("indexes_0001", len(statements) + 1, steps)
        _set_autovacuum(conn, tables, on=True)
    t0 = time.perf_counter()
    migrate.upgrade(bench.engine, "head")
    seconds["upgrade_to_head"] = time.perf_counter() - t0
    progress("upgrade_to_head", len(statements) + 2, steps)
    t0 = time.perf_counter()
    restore_applied_at(bench)
    with bench.connect() as conn:
        _apply_session_settings(
            conn, {"maintenance_work_mem": BUILD_SESSION_SETTINGS["maintenance_work_mem"]}
        )
        conn.execute("VACUUM (ANALYZE)")
    seconds["vacuum_analyze"] = time.perf_counter() - t0
    progress("vacuum_analyze", steps, steps)
    rows = count_rows(bench)
    seconds["total"] = time.perf_counter() - started
    report = BuildReport(
        reused=False,
        rows=rows,
        seconds={k: round(v, 2) for k, v in seconds.items()},
        built_at=datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    with bench.connect() as conn:
        doc = {**report.as_json(), "scale": asdict(scale)}
        conn.execute(
            f"INSERT INTO {BENCH_SCHEMA}.meta (key, doc) VALUES ('build', %s::jsonb) "
            "ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc",
            (json.dumps(doc),),
        )
    return report


def count_rows(bench: BenchDatabase) -> dict[str, int]:
    """Exact row counts of the generated tables."""
    out: dict[str, int] = {}
    with bench.connect() as conn:
        for table in (*AUX_TABLES, *BULK_TABLES):
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            out[table] = int(row[0]) if row else 0
        row = conn.execute(f"SELECT count(*) FROM {BENCH_SCHEMA}.schedule_applied").fetchone()
        out["study_schedule_recommendations.appliedAt"] = int(row[0]) if row else 0
    return out


def sample_learners(bench: BenchDatabase, rng: np.random.Generator, size: int) -> list[str]:
    """``size`` learner ids drawn uniformly without replacement (all of them if fewer)."""
    with bench.connect() as conn:
        ids = [r[0] for r in conn.execute(f"SELECT id FROM {BENCH_SCHEMA}.learners ORDER BY idx")]
    if size >= len(ids):
        return ids
    picked = rng.choice(len(ids), size=size, replace=False)
    return [ids[i] for i in picked]


def learner_event_weights(bench: BenchDatabase) -> tuple[list[str], np.ndarray]:
    """Every learner id and its share of all events (for realistic new-event learners)."""
    with bench.connect() as conn:
        rows = conn.execute(
            f"SELECT id, n_events FROM {BENCH_SCHEMA}.learners ORDER BY idx"
        ).fetchall()
    ids = [r[0] for r in rows]
    counts = np.array([r[1] for r in rows], dtype=float)
    return ids, counts / counts.sum()
