"""insights: recommendation keys, pattern snapshots, weekly scores, exam results; the articles.

Four learner-scoped tables of the insights capability (ENGINE.md 5.6; see
``twin.db.models.insights_support``) and a data migration that loads the learning-science
articles shipped in ``twin/analysis/insights/articles/`` into ``learning_articles`` (id
``article-<slug>``; an existing slug is updated in place). Downgrading drops the tables and
deletes the shipped articles (and, by cascade, their reads).

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("CURRENT_TIMESTAMP")
TS = postgresql.TIMESTAMP(precision=3)
JSONB = postgresql.JSONB(astext_type=sa.Text())
ARTICLE_ID_PREFIX = "article-"


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["userId"],
        ["users.id"],
        name=f"{table}_userId_fkey",
        onupdate="CASCADE",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Create the four tables and load the shipped articles."""
    op.create_table(
        "recommendation_keys",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("recommendationId", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("sources", JSONB, server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column(
            "evidence",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY[]::TEXT[]"),
            nullable=False,
        ),
        sa.Column("createdAt", TS, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendationId"],
            ["recommendations.id"],
            name="recommendation_keys_recommendationId_fkey",
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        _user_fk("recommendation_keys"),
        sa.PrimaryKeyConstraint("id", name="recommendation_keys_pkey"),
        sa.UniqueConstraint("recommendationId", name="recommendation_keys_recommendationId_key"),
    )
    op.create_index("recommendation_keys_userId_key_idx", "recommendation_keys", ["userId", "key"])
    op.create_table(
        "pattern_snapshots",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("weekStart", sa.Date(), nullable=False),
        sa.Column("analyzedAt", TS, nullable=False),
        sa.Column("patterns", JSONB, nullable=False),
        sa.Column("createdAt", TS, server_default=NOW, nullable=False),
        _user_fk("pattern_snapshots"),
        sa.PrimaryKeyConstraint("id", name="pattern_snapshots_pkey"),
        sa.UniqueConstraint("userId", "weekStart", name="pattern_snapshots_userId_weekStart_key"),
    )
    op.create_table(
        "behavioral_scores",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("weekStart", sa.Date(), nullable=False),
        sa.Column("score", postgresql.DOUBLE_PRECISION(), nullable=False),
        sa.Column("components", JSONB, nullable=False),
        sa.Column("sessions", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("computedAt", TS, server_default=NOW, nullable=False),
        _user_fk("behavioral_scores"),
        sa.PrimaryKeyConstraint("id", name="behavioral_scores_pkey"),
        sa.UniqueConstraint("userId", "weekStart", name="behavioral_scores_userId_weekStart_key"),
    )
    op.create_table(
        "exam_results",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("userId", sa.Text(), nullable=False),
        sa.Column("examId", sa.Text(), nullable=True),
        sa.Column("score", postgresql.DOUBLE_PRECISION(), nullable=False),
        sa.Column("takenAt", TS, nullable=False),
        sa.Column("createdAt", TS, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["examId"],
            ["exams.id"],
            name="exam_results_examId_fkey",
            onupdate="CASCADE",
            ondelete="SET NULL",
        ),
        _user_fk("exam_results"),
        sa.PrimaryKeyConstraint("id", name="exam_results_pkey"),
    )
    op.create_index("exam_results_userId_takenAt_idx", "exam_results", ["userId", "takenAt"])
    load_articles()


UPSERT_ARTICLE_SQL = sa.text(
    """
    INSERT INTO learning_articles (id, slug, title, category, summary, content,
        "personalizedSections", "readingTimeMinutes", difficulty, tags)
    VALUES (:id, :slug, :title, CAST(:category AS "ArticleCategory"), :summary, :content,
        CAST(:sections AS jsonb), :minutes, :difficulty, CAST(:tags AS text[]))
    ON CONFLICT (slug) DO UPDATE SET
        title = excluded.title, category = excluded.category, summary = excluded.summary,
        content = excluded.content, "personalizedSections" = excluded."personalizedSections",
        "readingTimeMinutes" = excluded."readingTimeMinutes",
        difficulty = excluded.difficulty, tags = excluded.tags,
        "updatedAt" = CURRENT_TIMESTAMP
    """
)


def load_articles() -> None:
    """Insert (or update by slug) every article shipped with the engine."""
    import json

    from twin.analysis.insights.articles import bundled_articles

    bind = op.get_bind()
    for article in bundled_articles():
        row = article.to_row()
        bind.execute(
            UPSERT_ARTICLE_SQL,
            {
                "id": ARTICLE_ID_PREFIX + article.slug,
                "slug": article.slug,
                "title": row["title"],
                "category": str(row["category"]),
                "summary": row["summary"],
                "content": row["content"],
                "sections": json.dumps(row["personalizedSections"]),
                "minutes": row["readingTimeMinutes"],
                "difficulty": row["difficulty"],
                "tags": list(article.tags),
            },
        )


def downgrade() -> None:
    """Delete the shipped articles; drop the four tables."""
    op.execute(
        sa.text("DELETE FROM learning_articles WHERE id LIKE :p").bindparams(
            p=ARTICLE_ID_PREFIX + "%"
        )
    )
    op.drop_index("exam_results_userId_takenAt_idx", table_name="exam_results")
    op.drop_table("exam_results")
    op.drop_table("behavioral_scores")
    op.drop_table("pattern_snapshots")
    op.drop_index("recommendation_keys_userId_key_idx", table_name="recommendation_keys")
    op.drop_table("recommendation_keys")
