"""The seed's indexes on ``recommendations`` serve the queries the insights service really sends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from twin.db.engine import Database
from twin.db.query_patterns import QueryPattern
from twin.db.verify import check_planner
from twin.services.insights.recommendations import list_recommendations

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

USER = "u7"  # a learner of verify's planner sample (2,000 learners × 20 recommendations)


@contextmanager
def sent_sql(engine: sa.Engine) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every statement (and its parameters) the engine sends while the block runs."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: bool) -> None:
        sent.append((statement, dict(params or {})))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def as_pattern(statement: str, params: dict[str, Any], index_name: str) -> QueryPattern:
    """The sent statement with the learner as ``:user_id`` and every other value inlined."""

    def value(m: re.Match[str]) -> str:
        v = params[m.group(1)]
        if v == USER:
            return "(:user_id)"
        if isinstance(v, int | float):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"

    sql = re.sub(r"%\((\w+)\)s", value, statement)
    return QueryPattern("service", sql, index_name, "recommendations", sql)


def test_the_services_recommendation_queries_use_the_seed_indexes(db: Database) -> None:
    with sent_sql(db.engine) as sent, db.session() as session:
        list_recommendations(session, USER, checked=True)  # the open ones (the dashboard's call)
        list_recommendations(session, USER, status="APPLIED", checked=True)  # newest first
    reads = [(s, p) for s, p in sent if re.search(r"FROM recommendations\b", s)]
    assert len(reads) == 2, sent
    patterns = [
        as_pattern(*reads[0], "recommendations_userId_status_priorityScore_idx"),
        as_pattern(*reads[1], "recommendations_userId_createdAt_idx"),
    ]
    with db.engine.connect() as conn:
        checks = list(check_planner(conn, patterns))
        conn.rollback()
    assert all(c.ok for c in checks), [c.detail for c in checks]
