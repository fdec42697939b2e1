"""Articles: the shipped files parse, cover the five topics, render with and without data; rules."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from twin.analysis.insights import articles as art
from twin.analysis.insights.articles import (
    PLACEHOLDERS,
    RULES,
    ArticleContext,
    ArticleFormatError,
    BestHour,
    ContentOutcome,
    TwinSnapshot,
    bundled_articles,
    load_band,
    parse_article,
    render_article,
    rule_slugs,
    suggest_articles,
)
from twin.analysis.patterns.forgetting import BASELINE_DECAY_PER_DAY, half_life_days
from twin.db.models.insights import LearningArticle
from twin.enums import ArticleCategory, BehavioralPatternType, BurnoutRiskLevel

REPO = Path(__file__).resolve().parents[3]
ARTICLES = bundled_articles()
FULL = TwinSnapshot(
    half_life_days=3.46,
    review_interval_days=2,
    first_repeats=320,
    recall_rate=0.81,
    best_hours=(BestHour("06:00–09:00", 18.0, 34),),
    recent_sessions=24,
    recent_late_night_sessions=6,
    recent_minutes_by_content=(("lecture", 300.0), ("flashcard", 200.0), ("validation", 100.0)),
    mean_load_7d=63.0,
    load_sessions_7d=5,
    burnout_level=BurnoutRiskLevel.MEDIUM,
    optimal_session_minutes=45,
    fatigue_minutes=38.0,
    content_outcomes=(ContentOutcome("flashcard", 0.71, 180), ContentOutcome("lecture", 0.58, 40)),
)
EMPTY = TwinSnapshot()


def test_five_articles_one_per_category() -> None:
    """At least five, unique slugs, every ArticleCategory covered."""
    assert len(ARTICLES) >= 5
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES)
    assert {a.category for a in ARTICLES} == set(ArticleCategory)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_article_shape(article: art.Article) -> None:
    """A few hundred words, a 'Your data' section with placeholders, ≥ 3 complete references."""
    words = len(article.body.split())
    assert 350 <= words <= 900
    assert "## Your data" in article.body and article.placeholders
    assert len(article.references) >= 3
    for r in article.references:
        assert 1800 < r.year <= 2026 and r.authors and r.title and r.venue
    assert article.summary and article.title and article.reading_time_minutes == -(-words // 200)
    row = article.to_row()
    assert set(row) <= {c.name for c in LearningArticle.__table__.columns}
    assert "## References" in str(row["content"])
    assert row["personalizedSections"] == {
        "placeholders": [
            {"name": n, "description": PLACEHOLDERS[n].description} for n in article.placeholders
        ]
    }


def test_shipped_references_include_the_key_sources() -> None:
    """The classic sources of each topic are cited (author, year)."""
    cited = {(r.authors.split(",")[0], r.year) for a in ARTICLES for r in a.references}
    for source in (
        ("Ebbinghaus", 1885),
        ("Cepeda", 2006),
        ("Roediger", 2006),
        ("Sweller", 1988),
        ("Pashler", 2008),
        ("Dunlosky", 2013),
        ("Walker", 2004),
    ):
        assert source in cited


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_renders_with_and_without_data(article: art.Article) -> None:
    """With the learner's data their numbers appear; without, each section says 'not enough data yet'.
    Either way no placeholder is left."""
    full = render_article(article, FULL)
    empty = render_article(article, EMPTY)
    for rendered in (full, empty):
        assert "{{" not in rendered.markdown and "}}" not in rendered.markdown
        assert set(rendered.sections) == set(article.placeholders)
    assert full.personalized and not empty.personalized
    for name, text in empty.sections.items():
        assert text.startswith("Not enough data yet"), name
    for name, text in full.sections.items():
        assert not text.startswith("Not enough data yet"), name


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


# Numbers a "not enough data yet" paragraph may state: the engine's minimums and windows, the
# default curve's half-life, the learner's zero counts — never a made-up value.
ENGINE_NUMBERS = {
    "0",
    "2",
    "3",
    "5",
    "7",
    "30",
    "50",
    "60",
    f"{half_life_days(BASELINE_DECAY_PER_DAY):.1f}",
}


def test_empty_twin_states_no_invented_number() -> None:
    """Without data the paragraphs quote only engine constants and zeros."""
    for name, placeholder in PLACEHOLDERS.items():
        assert _numbers(placeholder.render(EMPTY)) <= ENGINE_NUMBERS, name


def test_full_twin_paragraphs_quote_the_twin() -> None:
    """Golden paragraphs from the snapshot's numbers."""
    r = {n: p.render(FULL) for n, p in PLACEHOLDERS.items()}
    assert "your half-life is 3.5 days" in r["your_forgetting_curve"]
    assert "shorter than the engine's default curve (5.0 days)" in r["your_forgetting_curve"]
    assert "review about every 2 days" in r["your_review_interval"]
    assert "81% of your 320 first repeats of new cards" in r["your_recall_rate"]
    assert "Fitted on your 320 first repeats" in r["your_forgetting_curve"]
    assert "50% of your 600 study minutes went to retrieval" in r["your_retrieval_share"]
    assert "63/100 (HIGH), from 5 sessions" in r["your_load"] and "MEDIUM" in r["your_load"]
    assert (
        "about 45 minutes" in r["your_session_length"]
        and "about 38 minutes" in r["your_session_length"]
    )
    assert "06:00–09:00 score 18% higher" in r["your_best_hours"]
    assert "6 of your 24 sessions" in r["your_late_study"] and "(25%)" in r["your_late_study"]
    assert r["your_content_outcomes"].index("flashcards 0.71 (180 items)") < r[
        "your_content_outcomes"
    ].index("lectures 0.58")


def test_load_bands() -> None:
    """5.4 bands: LOW < 40 ≤ MODERATE < 60 ≤ HIGH < 80 ≤ CRITICAL."""
    assert [load_band(x) for x in (39.9, 40, 59.9, 60, 79.9, 80)] == [
        "LOW",
        "MODERATE",
        "MODERATE",
        "HIGH",
        "HIGH",
        "CRITICAL",
    ]


GOOD = """+++
slug = "x-y"
title = "T"
category = "COGNITIVE_LOAD"
summary = "S"

[[references]]
authors = "A, B."
year = 2001
title = "Paper"
venue = "Journal, 1(1), 1–2"
+++
# T

## Your data

{{ your_load }}
"""


def test_parse_minimal_and_errors() -> None:
    """A minimal file parses; each kind of mistake is refused with a message."""
    a = parse_article(GOOD)
    assert a.slug == "x-y" and a.placeholders == ("your_load",) and a.difficulty == "BEGINNER"
    for bad, fragment in (
        (GOOD.replace("+++\nslug", "slug", 1), "must start with"),
        (GOOD.replace("+++\n# T", "# T"), "not closed"),
        (GOOD.replace("COGNITIVE_LOAD", "ASTROLOGY"), "unknown category"),
        (GOOD.replace("your_load", "your_horoscope"), "unknown placeholder"),
        (GOOD.replace('slug = "x-y"', 'slug = "X Y"'), "slug"),
        (GOOD.replace("year = 2001", 'year = "2001"'), "year"),
        (GOOD.split("[[references]]")[0] + "+++\n# T\n", "references"),
        (GOOD.replace('summary = "S"', 'summary = "S'), "TOML"),
    ):
        with pytest.raises(ArticleFormatError, match=fragment):
            parse_article(bad)


def test_pyproject_ships_the_articles() -> None:
    """The package-data globs of pyproject.toml match every article file."""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = meta["tool"]["setuptools"]["package-data"]["twin"]
    folder = REPO / "src" / "twin" / "analysis" / "insights" / "articles"
    files = sorted(p.relative_to(REPO / "src" / "twin").as_posix() for p in folder.glob("*.md"))
    assert len(files) == len(ARTICLES)
    for f in files:
        assert any(fnmatch(f, g) for g in globs), f


def ctx(
    twin: TwinSnapshot = EMPTY,
    patterns: set[BehavioralPatternType] | None = None,
    read: set[str] | None = None,
) -> ArticleContext:
    return ArticleContext(twin, frozenset(patterns or ()), frozenset(read or ()))


def test_each_rule_fires_on_its_state() -> None:
    """Load → cognitive load; fast forgetting → spacing; little retrieval → retrieval practice;
    late nights or best hours → time of day; a content preference → learning styles."""
    slugs = {a.slug for a in ARTICLES}
    assert rule_slugs() <= slugs
    cases = {
        "cognitive-load": TwinSnapshot(mean_load_7d=70.0, load_sessions_7d=4),
        "spaced-repetition-and-the-forgetting-curve": TwinSnapshot(
            half_life_days=3.0, review_interval_days=2
        ),
        "retrieval-practice": TwinSnapshot(
            recent_minutes_by_content=(("lecture", 200.0), ("flashcard", 20.0))
        ),
        "time-of-day-and-sleep": TwinSnapshot(recent_sessions=10, recent_late_night_sessions=3),
    }
    for slug, twin in cases.items():
        assert [s.slug for s in suggest_articles(ctx(twin))] == [slug]
    styles = suggest_articles(ctx(patterns={BehavioralPatternType.CONTENT_TYPE_PREFERENCE}))
    assert [s.slug for s in styles] == ["learning-styles-what-the-evidence-shows"]
    assert suggest_articles(ctx()) == []
    # Slow forgetting, plenty of retrieval, no late nights: nothing called for.
    calm = TwinSnapshot(
        half_life_days=8.0,
        recall_rate=0.9,
        first_repeats=100,
        recent_sessions=10,
        recent_minutes_by_content=(("flashcard", 200.0), ("lecture", 100.0)),
        mean_load_7d=35.0,
        load_sessions_7d=5,
    )
    assert suggest_articles(ctx(calm)) == []


def test_suggestions_skip_read_articles_and_stop_at_two() -> None:
    """Rule order, unread only, at most 2, one per slug."""
    busy = ctx(
        FULL, {BehavioralPatternType.CONTENT_TYPE_PREFERENCE, BehavioralPatternType.ATTENTION_CYCLE}
    )
    assert [s.slug for s in suggest_articles(busy)] == [
        "cognitive-load",
        "spaced-repetition-and-the-forgetting-curve",
    ]
    read = ctx(
        FULL,
        {BehavioralPatternType.CONTENT_TYPE_PREFERENCE},
        {"cognitive-load", "retrieval-practice"},
    )
    assert [s.slug for s in suggest_articles(read, limit=5)] == [
        "spaced-repetition-and-the-forgetting-curve",
        "time-of-day-and-sleep",
        "learning-styles-what-the-evidence-shows",
    ]
    assert all(r.reason for r in RULES)
