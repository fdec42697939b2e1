"""Learning-science articles (ENGINE.md 5.6): the catalogue, personalised reading, reads, suggestions.

The articles are loaded by migration 0012 from ``twin/analysis/insights/articles/``. Reading
one (:func:`read_article`) renders its "your data" sections from the learner's twin
(:func:`twin_snapshot`: the fitted forgetting curve, best hours, recent sessions, load and
burnout, session length, content outcomes — nothing when behavioural analysis is off) and
records the read in ``article_reads`` (one row per learner and article: the first read
time is kept, feedback updates it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, naive_utc
from twin.analysis.insights.articles import (
    LATE_NIGHT_FROM_HOUR,
    LATE_NIGHT_UNTIL_HOUR,
    PATTERN_MIN_CONFIDENCE,
    RECENT_DAYS,
    Article,
    ArticleContext,
    ArticleSuggestion,
    BestHour,
    ContentOutcome,
    Reference,
    RenderedArticle,
    TwinSnapshot,
    render_article,
    suggest_articles,
)
from twin.db.base import new_id
from twin.db.models import ArticleRead, LearningArticle
from twin.enums import ArticleCategory, BehavioralPatternType, BurnoutRiskLevel
from twin.errors import NotFound, ValidationFailed
from twin.learners import Learner, get_learner
from twin.services.insights.common import FITTED_CURVE, goal_sessions, pattern_signals

REFERENCES_HEADING = "\n## References\n"


@dataclass(frozen=True)
class ArticleSummary:
    """An article in the catalogue (with the learner's read state when listed for one)."""

    slug: str
    title: str
    category: ArticleCategory
    summary: str
    reading_time_minutes: int
    difficulty: str
    tags: tuple[str, ...]
    read_at: datetime | None = None
    helpful: bool | None = None
    rating: int | None = None


@dataclass(frozen=True)
class ArticleCatalogue:
    """Every article; for a learner also the suggested ones and why."""

    articles: tuple[ArticleSummary, ...]
    suggestions: tuple[ArticleSuggestion, ...]


@dataclass(frozen=True)
class PersonalArticle:
    """An article rendered for one learner, with the read recorded."""

    slug: str
    title: str
    category: ArticleCategory
    summary: str
    markdown: str
    your_data: dict[str, str]
    personalized: bool
    references: tuple[Reference, ...]
    reading_time_minutes: int
    read_at: datetime


def _summary(row: LearningArticle, read: ArticleRead | None = None) -> ArticleSummary:
    return ArticleSummary(
        slug=row.slug,
        title=row.title,
        category=row.category,
        summary=row.summary,
        reading_time_minutes=row.readingTimeMinutes,
        difficulty=row.difficulty,
        tags=tuple(row.tags),
        read_at=None if read is None else read.readAt,
        helpful=None if read is None else read.helpful,
        rating=None if read is None else read.rating,
    )


def catalogue(session: Session) -> ArticleCatalogue:
    """Every article, by slug (no learner)."""
    rows = session.scalars(sa.select(LearningArticle).order_by(LearningArticle.slug))
    return ArticleCatalogue(tuple(_summary(r) for r in rows), ())


def learner_catalogue(session: Session, user_id: str, now: datetime) -> ArticleCatalogue:
    """Every article with the learner's reads, and the ones the learner's twin calls for."""
    learner = get_learner(session, user_id)
    rows = list(session.scalars(sa.select(LearningArticle).order_by(LearningArticle.slug)))
    reads = {
        r.articleId: r
        for r in session.scalars(sa.select(ArticleRead).where(ArticleRead.userId == user_id))
    }
    read_slugs = frozenset(r.slug for r in rows if r.id in reads)
    suggestions: tuple[ArticleSuggestion, ...] = ()
    if learner.analysis_enabled:
        twin = twin_snapshot(session, learner, now)
        types = frozenset(
            p.pattern_type
            for p in pattern_signals(session, user_id, min_confidence=PATTERN_MIN_CONFIDENCE)
        )
        suggestions = tuple(
            suggest_articles(
                ArticleContext(twin, types, read_slugs), available_slugs={r.slug for r in rows}
            )
        )
    return ArticleCatalogue(tuple(_summary(r, reads.get(r.id)) for r in rows), suggestions)


def _article(session: Session, slug: str) -> LearningArticle:
    row = session.scalar(sa.select(LearningArticle).where(LearningArticle.slug == slug))
    if row is None:
        raise NotFound(f"no article {slug!r}; GET /v1/articles lists them")
    return row


def _parsed(row: LearningArticle) -> Article:
    """The stored article as the renderer takes it (the references come from its content)."""
    body, _, refs = row.content.partition(REFERENCES_HEADING)
    return Article(
        slug=row.slug,
        title=row.title,
        category=row.category,
        summary=row.summary,
        difficulty=row.difficulty,
        tags=tuple(row.tags),
        references=tuple(_references(refs)),
        body=body.rstrip() + "\n",
    )


def _references(text: str) -> list[Reference]:
    """``- Authors (year). Title. Venue.`` lines back into references."""
    out = []
    for line in text.splitlines():
        line = line.strip().removeprefix("- ")
        head, sep, rest = line.partition(" (")
        year, sep2, tail = rest.partition("). ")
        if not (sep and sep2 and year.isdigit()):
            continue
        title, _, venue = tail.partition(". ")
        out.append(Reference(head, int(year), title, venue.rstrip(".")))
    return out


def read_article(session: Session, user_id: str, slug: str, now: datetime) -> PersonalArticle:
    """The article with the learner's "your data" filled in; the read is recorded."""
    learner = get_learner(session, user_id)
    row = _article(session, slug)
    twin = twin_snapshot(session, learner, now) if learner.analysis_enabled else TwinSnapshot()
    rendered: RenderedArticle = render_article(_parsed(row), twin)
    at = naive_utc(now)
    stmt = postgresql.insert(ArticleRead).values(
        id=new_id(), userId=user_id, articleId=row.id, readAt=at
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["userId", "articleId"]))
    read_at = session.scalar(
        sa.select(ArticleRead.readAt).where(
            ArticleRead.userId == user_id, ArticleRead.articleId == row.id
        )
    )
    article = _parsed(row)
    return PersonalArticle(
        slug=row.slug,
        title=row.title,
        category=row.category,
        summary=row.summary,
        markdown=rendered.markdown,
        your_data=rendered.sections,
        personalized=rendered.personalized,
        references=article.references,
        reading_time_minutes=row.readingTimeMinutes,
        read_at=read_at or at,
    )


def article_feedback(
    session: Session,
    user_id: str,
    slug: str,
    now: datetime,
    *,
    helpful: bool | None = None,
    rating: int | None = None,
    feedback: str | None = None,
    read_duration_seconds: int | None = None,
    completed: bool | None = None,
) -> ArticleSummary:
    """Record the learner's feedback on an article they read (404 when not read yet)."""
    get_learner(session, user_id)
    if all(v is None for v in (helpful, rating, feedback, read_duration_seconds, completed)):
        raise ValidationFailed(
            "give at least one of helpful, rating, feedback, readDurationSeconds, completedRead",
            details=[{"index": None, "field": "body", "reason": "no feedback field given"}],
        )
    row = _article(session, slug)
    read = session.scalar(
        sa.select(ArticleRead).where(ArticleRead.userId == user_id, ArticleRead.articleId == row.id)
    )
    if read is None:
        raise NotFound(
            f"learner {user_id!r} has not read {slug!r}: read it first (GET …/articles/{slug})"
        )
    if helpful is not None:
        read.helpful = helpful
    if rating is not None:
        read.rating = rating
    if feedback is not None:
        read.feedback = feedback
    if read_duration_seconds is not None:
        read.readDurationSeconds = read_duration_seconds
    if completed is not None:
        read.completedRead = completed
    session.flush()
    return _summary(row, read)


# --- the learner's twin, as the articles quote it -------------------------------------------

_PROFILE_SQL = sa.text(
    'SELECT "personalizedForgettingCurve" AS curve, "optimalSessionDuration" AS optimal '
    'FROM user_learning_profiles WHERE "userId" = :u'
)
_LOAD_SQL = sa.text(
    """
    SELECT p."meanLoad7d" AS mean_load,
           (SELECT count(*) FROM cognitive_load_metrics m
             WHERE m."userId" = :u AND m."timestamp" > :week AND m."timestamp" <= :now) AS n,
           (SELECT "riskLevel"::text FROM burnout_risk_assessments b
             WHERE b."userId" = :u AND b."assessmentDate" <= :now
             ORDER BY b."assessmentDate" DESC, b.id DESC LIMIT 1) AS burnout
    FROM users u LEFT JOIN learner_load_profiles p ON p."userId" = u.id WHERE u.id = :u
    """
)


def _late(hour: int) -> bool:
    return hour >= LATE_NIGHT_FROM_HOUR or hour < LATE_NIGHT_UNTIL_HOUR


def twin_snapshot(session: Session, learner: Learner, now: datetime) -> TwinSnapshot:
    """What the articles may quote about the learner, from the stored twin."""
    now = aware_utc(now)
    at = naive_utc(now)
    uid = learner.user_id
    profile = session.execute(_PROFILE_SQL, {"u": uid}).first()
    curve = profile.curve if profile is not None and isinstance(profile.curve, dict) else {}
    fitted = curve.get("source") == FITTED_CURVE
    half_life = curve.get("halfLife") if fitted else None
    interval = curve.get("reviewIntervalDays") if fitted else None
    best: list[BestHour] = []
    fatigue: float | None = None
    optimal: int | None = None
    outcomes: list[ContentOutcome] = []
    recall: float | None = None
    for p in pattern_signals(session, uid, min_confidence=PATTERN_MIN_CONFIDENCE):
        d = p.data
        if p.pattern_type is BehavioralPatternType.OPTIMAL_STUDY_TIME:
            lift, n = d.get("liftPercent"), d.get("windowSessions")
            best.append(
                BestHour(
                    str(d.get("window", "")),
                    float(lift) if isinstance(lift, int | float) else 0.0,
                    int(n) if isinstance(n, int | float) else 0,
                )
            )
        elif p.pattern_type is BehavioralPatternType.ATTENTION_CYCLE:
            m = d.get("medianTimeToFatigueMinutes")
            fatigue = float(m) if isinstance(m, int | float) else None
        elif p.pattern_type is BehavioralPatternType.SESSION_DURATION_PREFERENCE:
            m = d.get("optimalDurationMinutes")
            optimal = round(m) if isinstance(m, int | float) else None
        elif p.pattern_type is BehavioralPatternType.CONTENT_TYPE_PREFERENCE:
            types = d.get("types")
            for t in types if isinstance(types, list) else []:
                items = t.get("items") if isinstance(t, dict) else None
                if isinstance(t, dict) and isinstance(t.get("score"), int | float):
                    outcomes.append(
                        ContentOutcome(
                            str(t.get("contentType")),
                            min(1.0, max(0.0, float(t["score"]))),
                            int(items) if isinstance(items, int) else 0,
                        )
                    )
        elif p.pattern_type is BehavioralPatternType.FORGETTING_CURVE:
            r = d.get("recallRate")
            recall = float(r) if isinstance(r, int | float) and 0 <= r <= 1 else None
    recent = goal_sessions(session, uid, learner.zone, now - timedelta(days=RECENT_DAYS), now)
    minutes: dict[str, float] = {}
    for s in recent:
        for t, m in s.content_minutes:
            minutes[t] = minutes.get(t, 0.0) + m
    load = session.execute(_LOAD_SQL, {"u": uid, "now": at, "week": at - timedelta(days=7)}).first()
    mean_load = None if load is None or load.mean_load is None else float(load.mean_load)
    return TwinSnapshot(
        half_life_days=float(half_life) if isinstance(half_life, int | float) else None,
        review_interval_days=int(interval) if isinstance(interval, int | float) else None,
        # The learner-facing curve's own evidence (its first repeats), not the ENGINE
        # exponential's all-review count kept under "exponentialFit".
        first_repeats=int(curve.get("firstRepeats", 0) or 0),
        recall_rate=recall,
        best_hours=tuple(best[:3]),
        recent_sessions=len(recent),
        recent_late_night_sessions=sum(_late(s.hour) for s in recent),
        recent_minutes_by_content=tuple(sorted(minutes.items())),
        mean_load_7d=None if mean_load is None else min(100.0, max(0.0, mean_load)),
        load_sessions_7d=0 if load is None else int(load.n),
        burnout_level=None
        if load is None or load.burnout is None
        else BurnoutRiskLevel(load.burnout),
        optimal_session_minutes=optimal
        if optimal is not None
        else (round(profile.optimal) if profile is not None and profile.optimal else None),
        fatigue_minutes=fatigue,
        content_outcomes=tuple(outcomes),
    )
