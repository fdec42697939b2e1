"""Learning-science articles (ENGINE.md 5.6): the format, the "your data" renderer, the suggestion rules.

**Format.** Each article is a Markdown file in ``articles/`` (shipped as package data)
opening with a TOML front-matter block between ``+++`` lines: ``slug``, ``title``,
``category`` (an :class:`~twin.enums.ArticleCategory` value), ``summary``,
``difficulty``, ``tags`` and ``[[references]]`` (``authors``, ``year``, ``title``,
``venue``). TOML because the standard library reads it (``tomllib``) and people can
edit it. The body may contain placeholders ``{{ name }}``; each name is a function in
:data:`PLACEHOLDERS` that writes a short paragraph from the learner's
:class:`TwinSnapshot` — the learner's own numbers when the twin has them, and a plain
"not enough data yet" (with the engine's minimum) when it does not. No placeholder
writes a number that is not in the snapshot or a named engine constant.

:func:`parse_article` is pure; :func:`bundled_articles` reads the shipped files (static
package data, the only file access in this package) for the data migration, which
stores :meth:`Article.to_row` in ``learning_articles``.

**Suggestions** (:func:`suggest_articles`): each rule of :data:`RULES` names the state
of the twin that calls for an article and says why; unread articles only, at most 2,
in rule order.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from importlib import resources

from twin.analysis.insights.common import check_percent, check_unit
from twin.analysis.patterns.content import CONTENT_LABELS
from twin.analysis.patterns.forgetting import (
    BASELINE_DECAY_PER_DAY,
    REVIEW_TARGET_RECALL,
    half_life_days,
)
from twin.analysis.patterns.memory_curve import MIN_FIRST_REPEATS
from twin.analysis.patterns.study_time import MIN_SESSIONS_PER_HOUR
from twin.enums import ArticleCategory, BehavioralPatternType, BurnoutRiskLevel

FRONT_MATTER_DELIMITER = "+++"
PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
WORDS_PER_MINUTE = 200
DIFFICULTIES = ("BEGINNER", "INTERMEDIATE", "ADVANCED")
ARTICLES_PACKAGE = "twin.analysis.insights"
ARTICLES_DIR = "articles"
NOT_ENOUGH = "Not enough data yet"
RECENT_DAYS = 30  # "recent" study for the late-night and retrieval-share figures
LATE_NIGHT_FROM_HOUR = 23
LATE_NIGHT_UNTIL_HOUR = 5
MIN_RECENT_SESSIONS = 5
MIN_CONTENT_MINUTES = 60.0
MIN_LOAD_SESSIONS = 3
LOAD_BANDS = ((40.0, "LOW"), (60.0, "MODERATE"), (80.0, "HIGH"))  # 5.4: upper bounds
LOAD_TOP_BAND = "CRITICAL"
RETRIEVAL_CONTENT_TYPES = ("flashcard", "validation", "clinical_reasoning")
HIGH_LOAD_FROM = 60.0
LOW_RECALL_BELOW = REVIEW_TARGET_RECALL
LOW_RETRIEVAL_SHARE_BELOW = 0.3
LATE_NIGHT_SHARE_FROM = 0.2
PATTERN_MIN_CONFIDENCE = 0.6
MAX_ARTICLE_SUGGESTIONS = 2


class ArticleFormatError(ValueError):
    """An article file that does not follow the format."""


@dataclass(frozen=True)
class Reference:
    """A published source: authors, year, title, venue."""

    authors: str
    year: int
    title: str
    venue: str

    def citation(self) -> str:
        """``Authors (year). Title. Venue.``"""
        return f"{self.authors} ({self.year}). {self.title}. {self.venue}."


@dataclass(frozen=True)
class Article:
    """One parsed article."""

    slug: str
    title: str
    category: ArticleCategory
    summary: str
    difficulty: str
    tags: tuple[str, ...]
    references: tuple[Reference, ...]
    body: str

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The placeholder names in the body, in order of first appearance."""
        return tuple(dict.fromkeys(PLACEHOLDER_RE.findall(self.body)))

    @property
    def reading_time_minutes(self) -> int:
        """Words / 200, rounded up (at least 1)."""
        return max(1, math.ceil(len(self.body.split()) / WORDS_PER_MINUTE))

    def content(self) -> str:
        """The Markdown stored in ``content``: the body (placeholders kept) and the references."""
        refs = "\n".join(f"- {r.citation()}" for r in self.references)
        return f"{self.body.rstrip()}\n\n## References\n\n{refs}\n"

    def to_row(self) -> dict[str, object]:
        """Column name → value for ``learning_articles``."""
        return {
            "slug": self.slug,
            "title": self.title,
            "category": self.category,
            "summary": self.summary,
            "content": self.content(),
            "personalizedSections": {
                "placeholders": [
                    {"name": name, "description": PLACEHOLDERS[name].description}
                    for name in self.placeholders
                ]
            },
            "externalLinks": None,
            "readingTimeMinutes": self.reading_time_minutes,
            "difficulty": self.difficulty,
            "tags": list(self.tags),
        }


def _str(meta: dict[str, object], name: str, where: str) -> str:
    value = meta.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ArticleFormatError(f"{where}: '{name}' must be a non-empty string")
    return value.strip()


def parse_article(text: str, *, source: str = "<article>") -> Article:
    """Parse one article file (front matter + Markdown); ``ArticleFormatError`` says what is wrong."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER_DELIMITER:
        raise ArticleFormatError(f"{source}: must start with a '+++' front-matter line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_DELIMITER)
    except StopIteration:
        raise ArticleFormatError(f"{source}: front matter is not closed by '+++'") from None
    try:
        meta: dict[str, object] = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise ArticleFormatError(f"{source}: front matter is not valid TOML: {exc}") from None
    slug = _str(meta, "slug", source)
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise ArticleFormatError(f"{source}: slug '{slug}' must be lowercase words joined by '-'")
    try:
        category = ArticleCategory(_str(meta, "category", source))
    except ValueError:
        raise ArticleFormatError(f"{source}: unknown category '{meta.get('category')}'") from None
    difficulty = str(meta.get("difficulty", DIFFICULTIES[0]))
    if difficulty not in DIFFICULTIES:
        raise ArticleFormatError(f"{source}: difficulty must be one of {DIFFICULTIES}")
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ArticleFormatError(f"{source}: tags must be a list of strings")
    raw_refs = meta.get("references", [])
    if not isinstance(raw_refs, list) or not raw_refs:
        raise ArticleFormatError(f"{source}: at least one [[references]] entry is required")
    refs = []
    for i, r in enumerate(raw_refs):
        where = f"{source} reference {i + 1}"
        if not isinstance(r, dict) or not isinstance(r.get("year"), int):
            raise ArticleFormatError(f"{where}: needs authors, year (integer), title, venue")
        refs.append(
            Reference(
                _str(r, "authors", where),
                int(r["year"]),
                _str(r, "title", where),
                _str(r, "venue", where),
            )
        )
    body = "\n".join(lines[end + 1 :]).strip() + "\n"
    article = Article(
        slug=slug,
        title=_str(meta, "title", source),
        category=category,
        summary=_str(meta, "summary", source),
        difficulty=difficulty,
        tags=tuple(tags),
        references=tuple(refs),
        body=body,
    )
    unknown = [p for p in article.placeholders if p not in PLACEHOLDERS]
    if unknown:
        raise ArticleFormatError(f"{source}: unknown placeholder(s) {unknown}")
    return article


def bundled_articles() -> list[Article]:
    """The articles shipped with the engine (``articles/*.md``), by slug."""
    folder = resources.files(ARTICLES_PACKAGE).joinpath(ARTICLES_DIR)
    out = [
        parse_article(f.read_text(encoding="utf-8"), source=f.name)
        for f in folder.iterdir()
        if f.name.endswith(".md")
    ]
    return sorted(out, key=lambda a: a.slug)


# --- the learner's twin, as the renderer sees it -------------------------------------------


@dataclass(frozen=True)
class BestHour:
    """An optimal study hour (5.1): its window, lift over the learner's other sessions, sessions."""

    window: str
    lift_percent: float
    window_sessions: int


@dataclass(frozen=True)
class ContentOutcome:
    """The learner's 0–1 outcome score with one content type and the items it is over."""

    content_type: str
    score: float
    items: int

    def __post_init__(self) -> None:
        check_unit("score", self.score)


@dataclass(frozen=True)
class TwinSnapshot:
    """What the articles may quote about the learner (None / 0 / empty = not known).

    ``first_repeats`` (a card's second review after a correct first answer: what the
    learner-facing forgetting curve is fitted on, issue 14) says how far along that fit is;
    ``recall_rate`` is the share of them recalled;
    ``recent_*`` figures are over the last 30 days.
    """

    half_life_days: float | None = None
    review_interval_days: int | None = None
    first_repeats: int = 0
    recall_rate: float | None = None
    best_hours: tuple[BestHour, ...] = ()
    recent_sessions: int = 0
    recent_late_night_sessions: int = 0
    recent_minutes_by_content: tuple[tuple[str, float], ...] = ()
    mean_load_7d: float | None = None
    load_sessions_7d: int = 0
    burnout_level: BurnoutRiskLevel | None = None
    optimal_session_minutes: int | None = None
    fatigue_minutes: float | None = None
    content_outcomes: tuple[ContentOutcome, ...] = ()

    def __post_init__(self) -> None:
        if self.recall_rate is not None:
            check_unit("recall_rate", self.recall_rate)
        if self.mean_load_7d is not None:
            check_percent("mean_load_7d", self.mean_load_7d)
        if not 0 <= self.recent_late_night_sessions <= self.recent_sessions:
            raise ValueError("recent_late_night_sessions must be in [0, recent_sessions]")

    @property
    def recent_minutes(self) -> float:
        """Study minutes over the last 30 days (all content types)."""
        return sum(m for _, m in self.recent_minutes_by_content)

    @property
    def retrieval_share(self) -> float | None:
        """Share of recent minutes on retrieval formats (None below 60 minutes)."""
        total = self.recent_minutes
        if total < MIN_CONTENT_MINUTES:
            return None
        return (
            sum(m for t, m in self.recent_minutes_by_content if t in RETRIEVAL_CONTENT_TYPES)
            / total
        )

    @property
    def late_night_share(self) -> float | None:
        """Share of recent sessions starting 23:00–05:00 (None below 5 sessions)."""
        if self.recent_sessions < MIN_RECENT_SESSIONS:
            return None
        return self.recent_late_night_sessions / self.recent_sessions


def load_band(load: float) -> str:
    """LOW < 40 ≤ MODERATE < 60 ≤ HIGH < 80 ≤ CRITICAL (5.4)."""
    for upper, name in LOAD_BANDS:
        if load < upper:
            return name
    return LOAD_TOP_BAND


def _forgetting_curve(t: TwinSnapshot) -> str:
    default = half_life_days(BASELINE_DECAY_PER_DAY)
    if t.half_life_days is None:
        return (
            f"{NOT_ENOUGH} to fit your own curve: the engine needs at least "
            f"{MIN_FIRST_REPEATS} first repeats (the second review of a card you answered "
            f"correctly the first time) and has {t.first_repeats}. Until then it uses "
            f"its default curve (half-life {default:.1f} days)."
        )
    compare = "shorter than" if t.half_life_days < default else "longer than"
    if math.isclose(t.half_life_days, default, rel_tol=0.05):
        compare = "about the same as"
    return (
        f"Fitted on your {t.first_repeats} first repeats of new cards, your half-life is "
        f"{t.half_life_days:.1f} days: about half of what you have just learned fades within "
        "that time. "
        f"That is {compare} the engine's default curve ({default:.1f} days)."
    )


def _review_interval(t: TwinSnapshot) -> str:
    if t.review_interval_days is None or t.half_life_days is None:
        return f"{NOT_ENOUGH} for a personal review interval; it follows once your curve is fitted."
    days = "day" if t.review_interval_days == 1 else f"{t.review_interval_days} days"
    return (
        f"To keep your predicted recall near {REVIEW_TARGET_RECALL:.0%}, review about every {days}."
    )


def _recall_rate(t: TwinSnapshot) -> str:
    if t.recall_rate is None or t.first_repeats == 0:
        return f"{NOT_ENOUGH}: your own forgetting curve is not fitted yet."
    return (
        f"You recalled {t.recall_rate:.0%} of your {t.first_repeats} first repeats of new cards "
        "— each of them a retrieval attempt."
    )


def _retrieval_share(t: TwinSnapshot) -> str:
    share = t.retrieval_share
    if share is None:
        return (
            f"{NOT_ENOUGH}: the engine needs at least {MIN_CONTENT_MINUTES:.0f} minutes of study "
            f"with a known format in the last {RECENT_DAYS} days, and has "
            f"{t.recent_minutes:.0f}."
        )
    return (
        f"In the last {RECENT_DAYS} days, {share:.0%} of your {t.recent_minutes:.0f} study minutes "
        "went to retrieval (flashcards, validation exercises, clinical cases) and "
        f"{1 - share:.0%} to other formats such as lectures."
    )


def _load(t: TwinSnapshot) -> str:
    if t.mean_load_7d is None or t.load_sessions_7d < MIN_LOAD_SESSIONS:
        return (
            f"{NOT_ENOUGH}: your load summary needs at least {MIN_LOAD_SESSIONS} scored "
            f"sessions in the last 7 days, and has {t.load_sessions_7d}."
        )
    text = (
        f"Your mean cognitive load over the last 7 days is {t.mean_load_7d:.0f}/100 "
        f"({load_band(t.mean_load_7d)}), from {t.load_sessions_7d} sessions."
    )
    if t.burnout_level is not None:
        text += f" Your latest burnout risk level is {t.burnout_level}."
    return text


def _session_length(t: TwinSnapshot) -> str:
    parts = []
    if t.optimal_session_minutes is not None:
        parts.append(f"your sessions of about {t.optimal_session_minutes} minutes have scored best")
    if t.fatigue_minutes is not None:
        parts.append(f"your accuracy tends to drop after about {t.fatigue_minutes:.0f} minutes")
    if not parts:
        return (
            f"{NOT_ENOUGH} on your session length: the engine compares sessions of different "
            "lengths once each length has a few sessions."
        )
    return "So far, " + " and ".join(parts) + "."


def _best_hours(t: TwinSnapshot) -> str:
    if not t.best_hours:
        return (
            f"{NOT_ENOUGH} to name a best hour. The engine names one only when sessions around it "
            f"score clearly above your others, with at least {MIN_SESSIONS_PER_HOUR} sessions "
            "at that hour — no hour has passed that test yet."
        )
    found = "; ".join(
        f"sessions starting {h.window} score {h.lift_percent:.0f}% higher than your others "
        f"({h.window_sessions} sessions)"
        for h in t.best_hours
    )
    return f"Your best hours so far: {found}."


def _late_study(t: TwinSnapshot) -> str:
    share = t.late_night_share
    if share is None:
        return (
            f"{NOT_ENOUGH} on late-night study: it needs at least {MIN_RECENT_SESSIONS} sessions "
            f"in the last {RECENT_DAYS} days, and has {t.recent_sessions}."
        )
    return (
        f"{t.recent_late_night_sessions} of your {t.recent_sessions} sessions in the last "
        f"{RECENT_DAYS} days started between {LATE_NIGHT_FROM_HOUR}:00 and "
        f"{LATE_NIGHT_UNTIL_HOUR:02d}:00 ({share:.0%})."
    )


def _content_outcomes(t: TwinSnapshot) -> str:
    measured = [c for c in t.content_outcomes if c.items > 0]
    if len(measured) < 2:
        return (
            f"{NOT_ENOUGH}: comparing formats needs outcomes with at least two of them, and "
            f"the engine has {len(measured)}."
        )
    ranked = sorted(measured, key=lambda c: (-c.score, c.content_type))
    listed = ", ".join(
        f"{CONTENT_LABELS.get(c.content_type, c.content_type)} {c.score:.2f} ({c.items} items)"
        for c in ranked
    )
    return (
        f"Your outcome scores by format (0–1; performance, retention, completion, engagement and "
        f"time): {listed}. This describes your recent study, not a fixed style."
    )


@dataclass(frozen=True)
class Placeholder:
    """A "your data" paragraph: what it shows and the function that writes it."""

    description: str
    render: Callable[[TwinSnapshot], str]


PLACEHOLDERS: dict[str, Placeholder] = {
    "your_forgetting_curve": Placeholder(
        "half-life of the fitted forgetting curve", _forgetting_curve
    ),
    "your_review_interval": Placeholder(
        "review interval that keeps recall near 80%", _review_interval
    ),
    "your_recall_rate": Placeholder("share of repeat reviews recalled", _recall_rate),
    "your_retrieval_share": Placeholder(
        "share of recent study time on retrieval formats", _retrieval_share
    ),
    "your_load": Placeholder("7-day mean cognitive load and burnout level", _load),
    "your_session_length": Placeholder("best session length and time to fatigue", _session_length),
    "your_best_hours": Placeholder("optimal study hours with their lift", _best_hours),
    "your_late_study": Placeholder("share of recent sessions started late at night", _late_study),
    "your_content_outcomes": Placeholder("outcome score per content format", _content_outcomes),
}


@dataclass(frozen=True)
class RenderedArticle:
    """An article with its placeholders filled for one learner."""

    slug: str
    title: str
    category: ArticleCategory
    markdown: str
    sections: dict[str, str]
    personalized: bool


def render_article(article: Article, twin: TwinSnapshot) -> RenderedArticle:
    """The article's Markdown with every placeholder replaced by the learner's paragraph."""
    sections = {name: PLACEHOLDERS[name].render(twin) for name in article.placeholders}
    markdown = PLACEHOLDER_RE.sub(lambda m: sections[m.group(1)], article.content())
    personalized = any(not text.startswith(NOT_ENOUGH) for text in sections.values())
    return RenderedArticle(
        article.slug, article.title, article.category, markdown, sections, personalized
    )


# --- suggestions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleContext:
    """What the rules look at: the twin, the pattern types held with confidence ≥ 0.6, what was read."""

    twin: TwinSnapshot
    pattern_types: frozenset[BehavioralPatternType] = frozenset()
    read_slugs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ArticleRule:
    """When an article is called for, and the reason shown to the learner."""

    slug: str
    reason: str
    applies: Callable[[ArticleContext], bool]


@dataclass(frozen=True)
class ArticleSuggestion:
    """A suggested article and why."""

    slug: str
    reason: str


def _high_load(c: ArticleContext) -> bool:
    load = c.twin.mean_load_7d
    high = (
        load is not None and c.twin.load_sessions_7d >= MIN_LOAD_SESSIONS and load >= HIGH_LOAD_FROM
    )
    strained = c.twin.burnout_level in (
        BurnoutRiskLevel.MEDIUM,
        BurnoutRiskLevel.HIGH,
        BurnoutRiskLevel.CRITICAL,
    )
    return high or strained


def _fast_forgetting(c: ArticleContext) -> bool:
    h = c.twin.half_life_days
    return (h is not None and h < half_life_days(BASELINE_DECAY_PER_DAY)) or (
        c.twin.recall_rate is not None
        and c.twin.first_repeats >= MIN_FIRST_REPEATS
        and c.twin.recall_rate < LOW_RECALL_BELOW
    )


def _little_retrieval(c: ArticleContext) -> bool:
    share = c.twin.retrieval_share
    return share is not None and share < LOW_RETRIEVAL_SHARE_BELOW


def _timing(c: ArticleContext) -> bool:
    late = c.twin.late_night_share
    return (late is not None and late >= LATE_NIGHT_SHARE_FROM) or bool(
        c.pattern_types
        & {BehavioralPatternType.OPTIMAL_STUDY_TIME, BehavioralPatternType.PERFORMANCE_PEAK}
    )


def _content_preference(c: ArticleContext) -> bool:
    return BehavioralPatternType.CONTENT_TYPE_PREFERENCE in c.pattern_types


def _attention(c: ArticleContext) -> bool:
    return BehavioralPatternType.ATTENTION_CYCLE in c.pattern_types


SLUG_SPACING = "spaced-repetition-and-the-forgetting-curve"
SLUG_RETRIEVAL = "retrieval-practice"
SLUG_LOAD = "cognitive-load"
SLUG_TIMING = "time-of-day-and-sleep"
SLUG_STYLES = "learning-styles-what-the-evidence-shows"

# In priority order: strain first (it changes what any other advice should be).
RULES: tuple[ArticleRule, ...] = (
    ArticleRule(SLUG_LOAD, "Your recent load or burnout risk is high.", _high_load),
    ArticleRule(
        SLUG_SPACING, "You forget faster than the engine's default curve.", _fast_forgetting
    ),
    ArticleRule(
        SLUG_RETRIEVAL,
        "Less than a third of your recent study time is retrieval practice.",
        _little_retrieval,
    ),
    ArticleRule(
        SLUG_TIMING,
        "Your twin found hours that suit you, or you often study late at night.",
        _timing,
    ),
    ArticleRule(
        SLUG_STYLES, "Your twin compared how study formats work for you.", _content_preference
    ),
    ArticleRule(SLUG_LOAD, "Your accuracy drops after a while in long sessions.", _attention),
)


def suggest_articles(
    context: ArticleContext,
    *,
    available_slugs: Collection[str] | None = None,
    limit: int = MAX_ARTICLE_SUGGESTIONS,
) -> list[ArticleSuggestion]:
    """Unread articles the learner's state calls for, in rule order, one per slug, at most 2."""
    out: list[ArticleSuggestion] = []
    for rule in RULES:
        if len(out) >= limit:
            break
        if rule.slug in context.read_slugs or any(s.slug == rule.slug for s in out):
            continue
        if available_slugs is not None and rule.slug not in available_slugs:
            continue
        if rule.applies(context):
            out.append(ArticleSuggestion(rule.slug, rule.reason))
    return out


def rule_slugs(rules: Sequence[ArticleRule] = RULES) -> frozenset[str]:
    """Every slug some rule can suggest."""
    return frozenset(r.slug for r in rules)
