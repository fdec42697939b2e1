"""CONTENT_TYPE_PREFERENCE and the learning-style profile, grounded in measured outcomes.

Per content type (lecture, flashcard, validation, clinical_reasoning) every input is put
on 0-1 *before* anything is combined: performance / 100, retention and completion as
they are, engagement / 100, and time share = the type's minutes / all minutes (the
source system added milliseconds to counts, so time swamped everything). A type's score
is the weighted mean of the components it has (weights below; renormalised over those
present, since e.g. lectures have no retention), then shrunk towards the learner's
average score by ``items / (items + 10)`` so a type seen a handful of times is not
ranked on luck. Types never used get the average (no evidence either way).
``contentPreferences`` = scores / their sum (sums to 1; 0.25 each without data).

Learning-style profile (VARK-like: visual, auditory, reading, kinesthetic). Each content
type spreads its *outcome* evidence (the score without the time share: what worked,
not what was chosen) over the modalities it uses, by the weights in
MODALITY_WEIGHTS_BY_CONTENT — a judgement of how each format presents material, not a
measurement: lectures are slides and speech (visual 0.4, auditory 0.4, reading 0.2);
flashcards are mostly text with some images (reading 0.7, visual 0.3); validation asks
for written explanations and application (reading 0.5, kinesthetic 0.5); clinical
reasoning cases are learning by doing with images and findings (kinesthetic 0.7,
visual 0.3). A modality's score is the evidence-weighted mean outcome, shrunk the same
way; the profile is scores / sum (0.25 each without data). Learning-style labels are
weak science — matching material to a "style" has not been shown to improve learning —
and every text says so.

Confidence of the preference = ``min(1, items/50) × (2·P − 1)``, P = Φ(gap / √(se₁² + se₂²))
between the top two used types' raw scores, with se = √(s(1−s)/items) (scores read
as proportions).

**Fewer than 2 used types is no comparison** (our rule differs from ENGINE.md's "0.25 each
without data"): confidence 0, no pattern, and *no* preferences or style profile — empty,
with ``insufficient = {"contentTypesUsed": {"have": n, "need": 2}}``. A learner who only
ever used flashcards got a flat 25% for lecture, validation and clinical reasoning, which
they never did, and a "learning style" from one format: a uniform answer that looks
measured. Preferences exist only between formats the learner has outcomes for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from scipy import stats

from twin.analysis.common import rounded
from twin.analysis.patterns.common import DetectedPattern, data_factor
from twin.analysis.patterns.inputs import CONTENT_TYPES, PERCENT_MAX, ContentObs, SessionObs
from twin.enums import BehavioralPatternType

MODALITIES: tuple[str, ...] = ("visual", "auditory", "reading", "kinesthetic")
MODALITY_WEIGHTS_BY_CONTENT: dict[str, dict[str, float]] = {
    "lecture": {"visual": 0.4, "auditory": 0.4, "reading": 0.2, "kinesthetic": 0.0},
    "flashcard": {"visual": 0.3, "auditory": 0.0, "reading": 0.7, "kinesthetic": 0.0},
    "validation": {"visual": 0.0, "auditory": 0.0, "reading": 0.5, "kinesthetic": 0.5},
    "clinical_reasoning": {"visual": 0.3, "auditory": 0.0, "reading": 0.0, "kinesthetic": 0.7},
}
CONTENT_PERFORMANCE_WEIGHT = 0.35
CONTENT_RETENTION_WEIGHT = 0.25
CONTENT_COMPLETION_WEIGHT = 0.15
CONTENT_ENGAGEMENT_WEIGHT = 0.15
CONTENT_TIME_SHARE_WEIGHT = 0.10
CONTENT_PRIOR_ITEMS = 10.0
CONTENT_FULL_CONFIDENCE_ITEMS = 50
MIN_CONTENT_TYPES_COMPARED = 2
CONTENT_LABELS = {
    "lecture": "lectures",
    "flashcard": "flashcards",
    "validation": "validation exercises",
    "clinical_reasoning": "clinical reasoning cases",
}
LEARNING_STYLE_CAVEAT = (
    "Learning-style labels (visual, auditory, reading, kinesthetic) are weak science: "
    "matching material to a preferred 'style' has not been shown to improve learning. "
    "This only summarises which formats have worked for you, measured by your own outcomes."
)


@dataclass(frozen=True)
class ContentTypeStat:
    """One content type's normalised components and scores."""

    content_type: str
    items: int
    minutes: float
    components: dict[str, float]
    outcome_score: float | None
    score: float | None
    shrunk_score: float
    preference: float


@dataclass(frozen=True)
class ContentResult:
    """Content preferences, the style profile and the dominant type."""

    types: tuple[ContentTypeStat, ...]
    preferences: dict[str, float]
    learning_style: dict[str, float]
    dominant_type: str | None
    runner_up_type: str | None
    prob_dominant_beats_runner_up: float | None
    total_items: int
    confidence: float
    insufficient: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def types_used(self) -> int:
        """How many content types the learner has outcomes for."""
        return sum(t.items > 0 and t.score is not None for t in self.types)

    @property
    def detected(self) -> bool:
        """A dominant type compared with at least one other used type."""
        return self.dominant_type is not None and self.runner_up_type is not None

    def stat(self, content_type: str) -> ContentTypeStat:
        """The stats of one content type."""
        return next(t for t in self.types if t.content_type == content_type)

    def patterns(self) -> list[DetectedPattern]:
        """The CONTENT_TYPE_PREFERENCE pattern, when two or more types were used."""
        if not self.detected:
            return []
        assert self.dominant_type is not None and self.runner_up_type is not None
        top, second = self.stat(self.dominant_type), self.stat(self.runner_up_type)
        assert top.score is not None and second.score is not None

        def describe(t: ContentTypeStat) -> str:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in t.components.items())
            return f"{CONTENT_LABELS[t.content_type]}: {parts} (n = {t.items})"

        return [
            DetectedPattern(
                pattern_type=BehavioralPatternType.CONTENT_TYPE_PREFERENCE,
                key=f"dominant={self.dominant_type}",
                name=f"Works best for you: {CONTENT_LABELS[self.dominant_type]}",
                confidence=self.confidence,
                evidence=(
                    f"Score {top.score:.2f} with {CONTENT_LABELS[top.content_type]} vs "
                    f"{second.score:.2f} with {CONTENT_LABELS[second.content_type]} (0-1, all inputs normalised to 0-1 first)",
                    *(describe(t) for t in self.types if t.items > 0),
                    LEARNING_STYLE_CAVEAT,
                ),
                data={
                    "dominantType": self.dominant_type,
                    "runnerUpType": self.runner_up_type,
                    "dominantScore": rounded(top.score),
                    "runnerUpScore": rounded(second.score),
                    "dominantItems": top.items,
                    "runnerUpItems": second.items,
                    "probDominantBeatsRunnerUp": rounded(self.prob_dominant_beats_runner_up or 0.0),
                    "contentPreferences": dict(self.preferences),
                    "learningStyleProfile": dict(self.learning_style),
                    "totalItems": self.total_items,
                    "types": [
                        {
                            "contentType": t.content_type,
                            "items": t.items,
                            "minutes": rounded(t.minutes, 1),
                            "components": {k: rounded(v) for k, v in t.components.items()},
                            "score": rounded(t.score) if t.score is not None else None,
                            "preference": t.preference,
                        }
                        for t in self.types
                    ],
                    "learningStyleCaveat": LEARNING_STYLE_CAVEAT,
                },
            )
        ]


def content_from_sessions(sessions: Sequence[SessionObs]) -> tuple[ContentObs, ...]:
    """Per-type outcomes from the sessions' content mix: minute-weighted means of session outcomes.

    A coarse fallback: a session's outcomes cannot be split by content type, so types
    studied in the same sessions look alike. Prefer per-type aggregates (ContentObs)
    built from reviews and validation responses grouped by content type.
    """
    acc: dict[str, dict[str, list[tuple[float, float]]]] = {}
    minutes: dict[str, float] = {}
    items: dict[str, int] = {}
    for s in sorted(sessions, key=lambda s: (s.started_at, s.session_id)):
        for ctype, mins in s.content_minutes:
            if mins <= 0:
                continue
            minutes[ctype] = minutes.get(ctype, 0.0) + mins
            items[ctype] = items.get(ctype, 0) + 1
            slot = acc.setdefault(ctype, {})
            values = {
                "performance": s.performance,
                "retention": s.retention,
                "completion": s.completion_rate,
                "engagement": s.engagement,
            }
            for name, value in values.items():
                if value is not None:
                    slot.setdefault(name, []).append((mins, value))

    def wmean(pairs: list[tuple[float, float]] | None) -> float | None:
        if not pairs:
            return None
        return sum(w * v for w, v in pairs) / sum(w for w, _ in pairs)

    return tuple(
        ContentObs(
            content_type=c,
            items=items[c],
            minutes=minutes[c],
            performance=wmean(acc[c].get("performance")),
            retention=wmean(acc[c].get("retention")),
            completion=wmean(acc[c].get("completion")),
            engagement=wmean(acc[c].get("engagement")),
        )
        for c in CONTENT_TYPES
        if c in minutes
    )


def _weighted(components: dict[str, float], weights: dict[str, float]) -> float | None:
    present = [k for k in components if k in weights]
    if not present:
        return None
    return sum(weights[k] * components[k] for k in present) / sum(weights[k] for k in present)


def _normalise(scores: dict[str, float], keys: Sequence[str]) -> dict[str, float]:
    total = sum(scores[k] for k in keys)
    if total <= 0:
        return {k: 1.0 / len(keys) for k in keys}
    return {k: scores[k] / total for k in keys}


def _shrink(score: float, mass: float, prior: float) -> float:
    return (mass * score + CONTENT_PRIOR_ITEMS * prior) / (mass + CONTENT_PRIOR_ITEMS)


def analyze_content(content: Sequence[ContentObs]) -> ContentResult:
    """Content preferences (sum 1), learning-style profile (sum 1) and the dominant content type."""
    merged: dict[str, ContentObs] = {}
    for obs in content:
        if obs.content_type in merged:
            raise ValueError(f"content type {obs.content_type!r} given twice")
        merged[obs.content_type] = obs
    used = [t for t in CONTENT_TYPES if t in merged and merged[t].items > 0]
    total_minutes = sum(merged[t].minutes for t in used)
    outcome_weights = {
        "performance": CONTENT_PERFORMANCE_WEIGHT,
        "retention": CONTENT_RETENTION_WEIGHT,
        "completion": CONTENT_COMPLETION_WEIGHT,
        "engagement": CONTENT_ENGAGEMENT_WEIGHT,
    }
    all_weights = {**outcome_weights, "timeShare": CONTENT_TIME_SHARE_WEIGHT}

    comps: dict[str, dict[str, float]] = {}
    raw: dict[str, float | None] = {}
    outcome: dict[str, float | None] = {}
    for t in CONTENT_TYPES:
        c = merged.get(t)
        parts: dict[str, float] = {}
        if c is not None and c.items > 0:
            if c.performance is not None:
                parts["performance"] = c.performance / PERCENT_MAX
            if c.retention is not None:
                parts["retention"] = c.retention
            if c.completion is not None:
                parts["completion"] = c.completion
            if c.engagement is not None:
                parts["engagement"] = c.engagement / PERCENT_MAX
            if total_minutes > 0:
                parts["timeShare"] = c.minutes / total_minutes
        comps[t] = parts
        raw[t] = _weighted(parts, all_weights)
        outcome[t] = _weighted(parts, outcome_weights)

    items = {t: (merged[t].items if t in merged else 0) for t in CONTENT_TYPES}
    scored = [t for t in used if raw[t] is not None]
    mass = sum(items[t] for t in scored)
    mean_raw = sum(items[t] * (raw[t] or 0.0) for t in scored) / mass if mass else 0.0
    shrunk = {
        t: _shrink(raw[t] or 0.0, items[t], mean_raw) if t in scored else mean_raw
        for t in CONTENT_TYPES
    }
    preferences = _normalise(shrunk, CONTENT_TYPES)

    with_outcome = [t for t in used if outcome[t] is not None]
    o_mass = sum(items[t] for t in with_outcome)
    mean_outcome = (
        sum(items[t] * (outcome[t] or 0.0) for t in with_outcome) / o_mass if o_mass else 0.0
    )
    modality_scores: dict[str, float] = {}
    for m in MODALITIES:
        evidence = [
            (MODALITY_WEIGHTS_BY_CONTENT[t][m] * items[t], outcome[t] or 0.0) for t in with_outcome
        ]
        m_mass = sum(w for w, _ in evidence)
        m_score = sum(w * v for w, v in evidence) / m_mass if m_mass > 0 else mean_outcome
        modality_scores[m] = _shrink(m_score, m_mass, mean_outcome)
    style = _normalise(modality_scores, MODALITIES) if o_mass else {m: 0.25 for m in MODALITIES}

    ranked = sorted(scored, key=lambda t: (-shrunk[t], CONTENT_TYPES.index(t)))
    dominant = ranked[0] if ranked else None
    runner = ranked[1] if len(ranked) > 1 else None
    prob = None
    confidence = 0.0
    if dominant is not None and runner is not None:
        s1, s2 = raw[dominant] or 0.0, raw[runner] or 0.0
        se = math.sqrt(s1 * (1 - s1) / items[dominant] + s2 * (1 - s2) / items[runner])
        gap = s1 - s2
        prob = float(stats.norm.cdf(gap / se)) if se > 0 else (1.0 if gap > 0 else 0.5)
        confidence = data_factor(mass, CONTENT_FULL_CONFIDENCE_ITEMS) * max(0.0, 2.0 * prob - 1.0)

    insufficient: dict[str, dict[str, float]] = {}
    if len(scored) < MIN_CONTENT_TYPES_COMPARED:
        # No comparison between formats: nothing to prefer (see the module docstring).
        preferences = {}
        style = {}
        insufficient = {
            "contentTypesUsed": {"have": len(scored), "need": MIN_CONTENT_TYPES_COMPARED}
        }
    types = tuple(
        ContentTypeStat(
            content_type=t,
            items=items[t],
            minutes=merged[t].minutes if t in merged else 0.0,
            components=comps[t],
            outcome_score=outcome[t],
            score=raw[t],
            shrunk_score=shrunk[t],
            preference=preferences.get(t, 0.0),
        )
        for t in CONTENT_TYPES
    )
    return ContentResult(
        types=types,
        preferences=preferences,
        learning_style=style,
        dominant_type=dominant,
        runner_up_type=runner,
        prob_dominant_beats_runner_up=prob,
        total_items=mass,
        confidence=confidence,
        insufficient=insufficient,
    )
