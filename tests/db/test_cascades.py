"""Cascade rules of the data model, each with real rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.db.rows import insert_one_row_everywhere
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def _count(conn: sa.Connection, table: str, where: str = "TRUE") -> int:
    return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}" WHERE {where}')).scalar_one())


@pytest.fixture
def rows(db: Database) -> dict[str, dict[str, object]]:
    with db.engine.begin() as conn:
        return insert_one_row_everywhere(conn)


def test_deleting_an_experiment_deletes_its_assignments(db: Database, rows: dict) -> None:
    with db.engine.begin() as conn:
        assert _count(conn, "experiment_assignments") == 1
        conn.execute(sa.text("DELETE FROM personalization_experiments"))
        assert _count(conn, "experiment_assignments") == 0


@pytest.mark.parametrize("parent", ["behavioral_patterns", "behavioral_insights"])
def test_deleting_a_pattern_or_insight_deletes_its_links(
    db: Database, rows: dict, parent: str
) -> None:
    with db.engine.begin() as conn:
        assert _count(conn, "insight_patterns") == 1
        conn.execute(sa.text(f'DELETE FROM "{parent}"'))
        assert _count(conn, "insight_patterns") == 0


def test_deleting_an_article_deletes_its_reads(db: Database, rows: dict) -> None:
    with db.engine.begin() as conn:
        assert _count(conn, "article_reads") == 1
        conn.execute(sa.text("DELETE FROM learning_articles"))
        assert _count(conn, "article_reads") == 0


def test_deleting_an_objective_with_predictions_is_refused(db: Database, rows: dict) -> None:
    objective = rows["learning_objectives"]["id"]
    with db.engine.connect() as conn:
        with pytest.raises(
            sa.exc.IntegrityError, match="struggle_predictions_learningObjectiveId_fkey"
        ):
            conn.execute(
                sa.text("DELETE FROM learning_objectives WHERE id = :id"), {"id": objective}
            )
        conn.rollback()
        assert _count(conn, "learning_objectives") == 1


def test_deleting_a_prediction_nulls_indicator_and_intervention_links(
    db: Database, rows: dict
) -> None:
    with db.engine.begin() as conn:
        assert _count(conn, "struggle_indicators", '"predictionId" IS NOT NULL') == 1
        assert _count(conn, "intervention_recommendations", '"predictionId" IS NOT NULL') == 1
        conn.execute(sa.text("DELETE FROM struggle_predictions"))
        assert _count(conn, "struggle_indicators", '"predictionId" IS NULL') == 1
        assert _count(conn, "intervention_recommendations", '"predictionId" IS NULL') == 1
        # prediction_feedback belongs to its prediction (0003: ON DELETE CASCADE).
        assert _count(conn, "prediction_feedback") == 0


def test_updating_an_id_cascades(db: Database, rows: dict) -> None:
    """Every FK is ON UPDATE CASCADE."""
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE personalization_experiments SET id = 'renamed'"))
        assert _count(conn, "experiment_assignments", "\"experimentId\" = 'renamed'") == 1
