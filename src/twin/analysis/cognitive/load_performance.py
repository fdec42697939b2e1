"""Load versus performance: Pearson correlation and the learner's best load band (inverted U).

Per session: (mean load 0–100, performance 0–100). From 30 sessions on, the
answer is Pearson's r with its two-sided p-value (scipy) and a table of 20-point
load bands; the best band is the one with the highest mean performance among
bands with at least 5 sessions. ``inverted_u`` is true when populated bands on
both sides of the best band do worse — the Yerkes–Dodson shape, where some load
helps and too much hurts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from twin.analysis.common import InsufficientData

MIN_SESSIONS = 30
LOAD_BAND_WIDTH = 20.0
LOAD_BAND_COUNT = 5
MIN_SESSIONS_PER_BAND = 5
SIGNIFICANCE_LEVEL = 0.05
# Confidence grows linearly with sessions up to this many.
SESSIONS_FOR_FULL_CONFIDENCE = 100


@dataclass(frozen=True)
class LoadBand:
    """Sessions whose load fell in ``[low, high)`` (the top band includes 100)."""

    low: float
    high: float
    sessions: int
    mean_performance: float | None
    mean_load: float | None


@dataclass(frozen=True)
class LoadPerformanceAnalysis:
    """Correlation of load with performance and the band where the learner does best."""

    sessions: int
    pearson_r: float | None
    p_value: float | None
    significant: bool
    bands: tuple[LoadBand, ...]
    best_band: LoadBand | None
    inverted_u: bool
    confidence: float

    @classmethod
    def empty(cls, sessions: int) -> LoadPerformanceAnalysis:
        """Nothing measured yet: ``sessions`` sessions, below the minimum."""
        return cls(sessions, None, None, False, (), None, False, 0.0)


def load_bands(loads: np.ndarray, performances: np.ndarray) -> tuple[LoadBand, ...]:
    """The five 20-point load bands with session counts and means."""
    index = np.clip((loads // LOAD_BAND_WIDTH).astype(int), 0, LOAD_BAND_COUNT - 1)
    bands = []
    for i in range(LOAD_BAND_COUNT):
        mask = index == i
        n = int(mask.sum())
        bands.append(
            LoadBand(
                low=i * LOAD_BAND_WIDTH,
                high=(i + 1) * LOAD_BAND_WIDTH,
                sessions=n,
                mean_performance=float(performances[mask].mean()) if n else None,
                mean_load=float(loads[mask].mean()) if n else None,
            )
        )
    return tuple(bands)


def analyze_load_performance(
    loads: Sequence[float] | np.ndarray, performances: Sequence[float] | np.ndarray
) -> LoadPerformanceAnalysis | InsufficientData:
    """Pearson r, p-value and best load band from ≥ 30 sessions; otherwise what is missing."""
    x = np.asarray(loads, dtype=float)
    y = np.asarray(performances, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"{x.size} loads but {y.size} performances")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = np.clip(x[keep], 0.0, 100.0), y[keep]
    n = int(x.size)
    if n < MIN_SESSIONS:
        return InsufficientData("sessions", n, MIN_SESSIONS)

    r: float | None = None
    p: float | None = None
    if float(np.ptp(x)) > 0 and float(np.ptp(y)) > 0:
        result = stats.pearsonr(x, y)
        r, p = float(result.statistic), float(result.pvalue)

    bands = load_bands(x, y)
    eligible = [
        (i, b)
        for i, b in enumerate(bands)
        if b.sessions >= MIN_SESSIONS_PER_BAND and b.mean_performance is not None
    ]
    best_index: int | None = None
    best: LoadBand | None = None
    if eligible:
        best_index, best = max(eligible, key=lambda e: (e[1].mean_performance or 0.0, -e[0]))
    inverted_u = False
    if best is not None and best_index is not None:
        best_mean = best.mean_performance or 0.0
        lower = [b for i, b in eligible if i < best_index]
        higher = [b for i, b in eligible if i > best_index]
        inverted_u = (
            bool(lower)
            and bool(higher)
            and all((b.mean_performance or 0.0) < best_mean for b in lower + higher)
        )
    return LoadPerformanceAnalysis(
        sessions=n,
        pearson_r=r,
        p_value=p,
        significant=p is not None and not math.isnan(p) and p < SIGNIFICANCE_LEVEL,
        bands=bands,
        best_band=best,
        inverted_u=inverted_u,
        confidence=min(1.0, n / SESSIONS_FOR_FULL_CONFIDENCE),
    )
