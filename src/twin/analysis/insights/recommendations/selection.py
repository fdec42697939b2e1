"""Which recommendations to create and to show (ENGINE.md 5.6): top 5 pending, ≤ 2 per type.

Never a key that is open (PENDING / VIEWED), was dismissed (remembered for good) or is
being evaluated; among the rest, highest priority first (ties by key), added while the
learner has fewer than 5 open recommendations and fewer than 2 of that type.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from twin.analysis.insights.recommendations.candidates import RecommendationCandidate
from twin.enums import RecommendationType

MAX_PENDING = 5
MAX_PER_TYPE = 2


@dataclass(frozen=True)
class OpenRecommendation:
    """A stored recommendation that is still open (PENDING or VIEWED, not applied)."""

    key: str
    recommendation_type: RecommendationType
    priority_score: float


# --- selection ---------------------------------------------------------------------------


def select_new(
    candidates: Sequence[RecommendationCandidate],
    *,
    open_recommendations: Sequence[OpenRecommendation] = (),
    blocked_keys: Collection[str] = (),
    max_pending: int = MAX_PENDING,
    max_per_type: int = MAX_PER_TYPE,
) -> list[RecommendationCandidate]:
    """New recommendations to create: not open, not blocked, within 5 open and 2 per type."""
    taken = {o.key for o in open_recommendations} | set(blocked_keys)
    per_type: dict[RecommendationType, int] = {}
    for o in open_recommendations:
        per_type[o.recommendation_type] = per_type.get(o.recommendation_type, 0) + 1
    total = len(open_recommendations)
    chosen: list[RecommendationCandidate] = []
    for c in sorted(candidates, key=lambda c: (-c.priority_score, c.key)):
        if total >= max_pending:
            break
        if c.key in taken or per_type.get(c.recommendation_type, 0) >= max_per_type:
            continue
        chosen.append(c)
        taken.add(c.key)
        per_type[c.recommendation_type] = per_type.get(c.recommendation_type, 0) + 1
        total += 1
    return chosen


def top_pending(
    pending: Sequence[OpenRecommendation],
    *,
    limit: int = MAX_PENDING,
    max_per_type: int = MAX_PER_TYPE,
) -> list[OpenRecommendation]:
    """What to show: highest priority first, at most ``limit`` and 2 per type, one per key."""
    seen: set[str] = set()
    per_type: dict[RecommendationType, int] = {}
    out: list[OpenRecommendation] = []
    for r in sorted(pending, key=lambda r: (-r.priority_score, r.key)):
        if len(out) >= limit:
            break
        if r.key in seen or per_type.get(r.recommendation_type, 0) >= max_per_type:
            continue
        seen.add(r.key)
        per_type[r.recommendation_type] = per_type.get(r.recommendation_type, 0) + 1
        out.append(r)
    return out
