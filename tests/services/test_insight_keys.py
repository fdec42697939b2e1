"""Insight keys (migration 0008): an open insight keeps its key when its pattern is deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.services.patterns_support import (
    END,
    cohort_db,
    cohort_module_db,
    count_rows,
    execute,
    learner,
    naive,
    rows,
    scalar,
)
from twin.db.engine import Database
from twin.services import patterns as ps

pytestmark = pytest.mark.db

__all__ = ["cohort_db", "cohort_module_db"]  # fixtures used here

L0 = learner(1)  # the cohort learner with insights at END (a 20:00 chronotype)
FIRST = END - timedelta(days=2)


def _analyze(db: Database, now: datetime) -> ps.AnalysisOutcome:
    with db.session() as session:
        return ps.analyze_user(session, L0, now=now, force=True)


def _keys_by_insight(db: Database) -> dict[str, str]:
    return dict(
        rows(db, 'SELECT "insightId", key FROM insight_keys WHERE "userId" = :u', u=L0)  # type: ignore[arg-type]
    )


def _insights_with_key(db: Database, key: str) -> list[str]:
    return [
        r.insightId
        for r in rows(
            db,
            'SELECT k."insightId" FROM insight_keys k WHERE k."userId" = :u AND k.key = :k '
            'ORDER BY k."createdAt"',
            u=L0,
            k=key,
        )
    ]


def _open_keys(db: Database) -> tuple[set[str], set[str], set[str]]:
    with db.session() as session:
        return (
            ps.open_insight_keys(session, L0),
            ps.stored_insight_keys(session, L0),
            ps.linked_insight_keys(session, L0),
        )


def test_every_generated_insight_stores_its_key(cohort_db: Database) -> None:
    outcome = _analyze(cohort_db, FIRST)
    assert outcome.status == ps.STATUS_ANALYZED and outcome.insight_ids
    keys = _keys_by_insight(cohort_db)
    assert sorted(keys) == sorted(outcome.insight_ids)
    stamps = rows(cohort_db, 'SELECT DISTINCT "createdAt" FROM insight_keys')
    assert [s[0] for s in stamps] == [naive(FIRST)]
    for insight_id, key in keys.items():
        insight_type = scalar(
            cohort_db,
            'SELECT "insightType"::text FROM behavioral_insights WHERE id = :i',
            i=insight_id,
        )
        # "<InsightType>:<PatternType>:<pattern key>", the primary pattern being linked.
        itype, ptype, pkey = key.split(":", 2)
        assert itype == insight_type
        linked = rows(
            cohort_db,
            'SELECT p."patternType"::text AS ptype, p."patternData"->>\'key\' AS pkey '
            'FROM insight_patterns ip JOIN behavioral_patterns p ON p.id = ip."patternId" '
            'WHERE ip."insightId" = :i',
            i=insight_id,
        )
        assert (ptype, pkey) in {(r.ptype, r.pkey) for r in linked}
    # While the patterns exist, stored and derived keys agree on the open insights.
    open_keys, stored, derived = _open_keys(cohort_db)
    assert stored == set(keys.values()) and stored <= derived and open_keys == derived
    # Deleting the learner's patterns and insights takes the keys with them (cascade).
    with cohort_db.session() as session:
        ps.delete_patterns(session, L0)
    assert count_rows(cohort_db, "insight_keys", L0) == 0


def test_an_open_insight_whose_pattern_was_deleted_gets_no_duplicate(cohort_db: Database) -> None:
    first = _analyze(cohort_db, FIRST)
    keys = _keys_by_insight(cohort_db)
    insight_id = first.insight_ids[0]
    key = keys[insight_id]
    # The lifecycle deletes the insight's patterns (3 misses or confidence < 0.4).
    execute(
        cohort_db,
        'DELETE FROM behavioral_patterns WHERE id IN (SELECT "patternId" FROM insight_patterns '
        'WHERE "insightId" = :i)',
        i=insight_id,
    )
    assert count_rows(cohort_db, "behavioral_insights", L0) == len(first.insight_ids)
    open_keys, stored, derived = _open_keys(cohort_db)
    assert key in stored and key in open_keys
    assert key not in derived  # what the pre-0008 derivation lost

    second = _analyze(cohort_db, END)  # the same pattern is detected again, as a new one
    assert second.status == ps.STATUS_ANALYZED
    assert second.created >= 1
    assert _insights_with_key(cohort_db, key) == [insight_id]  # no duplicate
    open_texts = rows(
        cohort_db,
        'SELECT "insightType", title FROM behavioral_insights '
        'WHERE "userId" = :u AND "acknowledgedAt" IS NULL',
        u=L0,
    )
    assert len(open_texts) == len(set(open_texts))


def test_acknowledging_frees_the_key_for_a_new_insight(cohort_db: Database) -> None:
    first = _analyze(cohort_db, FIRST)
    keys = _keys_by_insight(cohort_db)
    # Acknowledge every open insight, and delete the patterns of one of them.
    for insight_id in first.insight_ids:
        with cohort_db.session() as session:
            ps.acknowledge_insight(session, L0, insight_id, applied=True, now=FIRST)
    insight_id = first.insight_ids[0]
    key = keys[insight_id]
    execute(
        cohort_db,
        'DELETE FROM behavioral_patterns WHERE id IN (SELECT "patternId" FROM insight_patterns '
        'WHERE "insightId" = :i)',
        i=insight_id,
    )
    assert _open_keys(cohort_db) == (set(), set(), set())

    second = _analyze(cohort_db, END)
    regenerated = {_keys_by_insight(cohort_db)[i] for i in second.insight_ids}
    assert key in regenerated  # the acknowledged insight may be told again
    assert _insights_with_key(cohort_db, key)[0] == insight_id
    assert len(_insights_with_key(cohort_db, key)) == 2


def test_insights_without_a_stored_key_fall_back_to_their_patterns(cohort_db: Database) -> None:
    first = _analyze(cohort_db, FIRST)
    execute(cohort_db, 'DELETE FROM insight_keys WHERE "userId" = :u', u=L0)  # as before 0008
    open_keys, stored, derived = _open_keys(cohort_db)
    assert stored == set() and open_keys == derived and derived

    second = _analyze(cohort_db, END)
    assert second.status == ps.STATUS_ANALYZED
    links = rows(
        cohort_db,
        'SELECT i."insightType", ip."patternId" FROM behavioral_insights i '
        'JOIN insight_patterns ip ON ip."insightId" = i.id WHERE i."userId" = :u',
        u=L0,
    )
    assert len(links) == len(set(links))  # no insight repeated for a linked pattern
    total = scalar(cohort_db, 'SELECT count(*) FROM behavioral_insights WHERE "userId" = :u', u=L0)
    assert total == len(first.insight_ids) + len(second.insight_ids)
