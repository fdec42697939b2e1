"""Seeded synthetic learners with known truth, for the pattern-analysis tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from twin.analysis.patterns.inputs import ReviewMark, ReviewObs, SessionObs
from twin.analysis.patterns.session_duration import DURATION_BUCKETS

T0 = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
# Habitual study hours of a student: mornings, midday, evenings.
HABIT_GROUPS: tuple[tuple[int, ...], ...] = ((6, 7, 8, 9), (12, 13, 14), (18, 19, 20, 21, 22))
HABIT_WEIGHTS = (0.4, 0.2, 0.4)


def session(
    sid: str,
    *,
    day: int = 0,
    hour: int = 9,
    minute: int = 0,
    duration: float = 45.0,
    performance: float = 70.0,
    retention: float | None = None,
    completion: float | None = None,
    engagement: float | None = None,
    reviews: tuple[ReviewMark, ...] = (),
    complexity: str | None = None,
    content_minutes: tuple[tuple[str, float], ...] = (),
) -> SessionObs:
    """A session starting ``day`` days after T0 (a Monday) at ``hour``:``minute``."""
    return SessionObs(
        session_id=sid,
        started_at=T0 + timedelta(days=day, hours=hour, minutes=minute),
        duration_minutes=duration,
        performance=performance,
        retention=retention,
        completion=completion,
        engagement=engagement,
        reviews=reviews,
        complexity=complexity,
        content_minutes=content_minutes,
    )


def marks(pattern: list[tuple[int, int, int]]) -> tuple[ReviewMark, ...]:
    """Reviews from (bucket start minute, correct, total): spread inside each 10-minute bucket."""
    out = []
    for start, correct, total in pattern:
        for i in range(total):
            out.append(ReviewMark(start + 10.0 * i / total, i < correct))
    return tuple(out)


def study_time_learner(
    rng: np.random.Generator,
    *,
    n: int = 100,
    peak_hour: int | None = None,
    amplitude: float = 15.0,
    spread_hours: float = 1.0,
    noise: float = 10.0,
) -> tuple[SessionObs, ...]:
    """Sessions at habitual hours; score = base + amplitude·exp(−(h − peak)²/2σ²) + N(0, noise²)."""
    groups = rng.choice(len(HABIT_GROUPS), size=n, p=HABIT_WEIGHTS)
    hours = [int(rng.choice(HABIT_GROUPS[g])) for g in groups]
    days = rng.integers(0, 84, size=n)
    base = 60.0 + rng.normal(0.0, 5.0)
    out = []
    for i, (h, d) in enumerate(zip(hours, days, strict=True)):
        effect = (
            0.0
            if peak_hour is None
            else amplitude * np.exp(-0.5 * ((h - peak_hour) / spread_hours) ** 2)
        )
        perf = float(np.clip(base + effect + rng.normal(0.0, noise), 0.0, 100.0))
        out.append(
            session(
                f"s{i:03d}", day=int(d), hour=h, minute=int(rng.integers(0, 60)), performance=perf
            )
        )
    return tuple(out)


def duration_learner(
    rng: np.random.Generator,
    *,
    best_bucket: int,
    n: int = 60,
    gap: float = 10.0,
    noise: float = 8.0,
) -> tuple[SessionObs, ...]:
    """Sessions spread over all duration buckets; the ``best_bucket`` performs ``gap`` points higher."""
    out = []
    for i in range(n):
        b = i % len(DURATION_BUCKETS)
        _, _, lo, hi, _ = DURATION_BUCKETS[b]
        dur = float(rng.uniform(max(lo, 10.0), min(hi, 120.0)))
        perf = float(
            np.clip(68.0 + (gap if b == best_bucket else 0.0) + rng.normal(0.0, noise), 0, 100)
        )
        completion = float(np.clip(0.8 + rng.normal(0.0, 0.1), 0.0, 1.0))
        out.append(
            session(
                f"d{i:03d}", day=i, hour=18, duration=dur, performance=perf, completion=completion
            )
        )
    return tuple(out)


def forgetting_reviews(
    rng: np.random.Generator,
    *,
    n: int = 300,
    r0: float = 0.95,
    k: float = 0.2,
    span_days: int = 90,
) -> tuple[ReviewObs, ...]:
    """Repeat reviews at log-uniform intervals of 0.5–30 days, recalled with probability R0·e^(−k·t)."""
    t = np.exp(rng.uniform(np.log(0.5), np.log(30.0), size=n))
    y = rng.random(n) < r0 * np.exp(-k * t)
    at = rng.uniform(0.0, span_days, size=n)
    at[0], at[1] = 0.0, float(span_days)
    return tuple(
        ReviewObs(f"c{i % 40}", T0 + timedelta(days=float(a)), float(ti), bool(yi))
        for i, (ti, yi, a) in enumerate(zip(t, y, at, strict=True))
    )


def first_repeat_reviews(
    rng: np.random.Generator,
    *,
    n: int = 200,
    k: float = 0.1,
    span_days: int = 90,
    interval_range: tuple[float, float] = (0.5, 15.0),
) -> tuple[ReviewObs, ...]:
    """Each card's first repeat after a recalled first review, at log-uniform intervals,
    recalled with probability e^(−k·t) (the learner-facing new-card curve)."""
    t = np.exp(rng.uniform(np.log(interval_range[0]), np.log(interval_range[1]), size=n))
    y = rng.random(n) < np.exp(-k * t)
    at = rng.uniform(0.0, span_days, size=n)
    return tuple(
        ReviewObs(
            f"n{i}",
            T0 + timedelta(days=float(a)),
            float(ti),
            bool(yi),
            repeat_number=1,
            previous_recalled=True,
        )
        for i, (ti, yi, a) in enumerate(zip(t, y, at, strict=True))
    )


def full_learner(
    rng: np.random.Generator, *, n_sessions: int = 100
) -> tuple[tuple[SessionObs, ...], tuple[ReviewObs, ...]]:
    """A learner with a 07:00 peak, fatigue after ~40 min, best with clinical reasoning, k = 0.2
    (R0 0.95 on all repeat reviews; R0 1 on the new-card first repeats)."""
    base = study_time_learner(rng, n=n_sessions, peak_hour=7)
    sessions = []
    for s in base:
        duration = float(rng.uniform(20.0, 110.0))
        reviews = []
        for minute in np.arange(0.0, duration, 1.5):
            p_right = 0.9 if minute < 40 else 0.55
            reviews.append(ReviewMark(float(minute), bool(rng.random() < p_right)))
        clinical = float(rng.uniform(0.0, 0.6)) * duration
        mix = (("clinical_reasoning", clinical), ("flashcard", duration - clinical))
        perf = float(np.clip(s.performance + 10.0 * clinical / duration, 0.0, 100.0))
        sessions.append(
            SessionObs(
                session_id=s.session_id,
                started_at=s.started_at,
                duration_minutes=duration,
                performance=perf,
                retention=float(np.clip(rng.normal(0.8, 0.1), 0.0, 1.0)),
                completion=float(np.clip(rng.normal(0.8, 0.1), 0.0, 1.0)),
                engagement=float(np.clip(rng.normal(70.0, 10.0), 0.0, 100.0)),
                reviews=tuple(reviews),
                content_minutes=mix,
                complexity=str(rng.choice(["BASIC", "INTERMEDIATE", "ADVANCED"])),
            )
        )
    return tuple(sessions), forgetting_reviews(rng) + first_repeat_reviews(rng, k=0.2)
