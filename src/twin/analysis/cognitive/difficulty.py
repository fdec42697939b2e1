"""Difficulty adapter: move content difficulty with the session's current cognitive load.

==============  =======  =====================================================
load            change   session rules
==============  =======  =====================================================
< 30            +1       harder content
30 ≤ … < 60      0       keep
60 ≤ … < 80     −1       80 % review, a break every 20 minutes
≥ 80            −2       review only, break now
==============  =======  =====================================================

The net change within one session never exceeds 2 levels either way: the
caller passes the change already applied this session and gets back only what
is still allowed (a change back towards the session's starting level is always
allowed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

HARDER_BELOW_LOAD = 30.0
EASIER_FROM_LOAD = 60.0
MUCH_EASIER_FROM_LOAD = 80.0
HARDER_CHANGE_LEVELS = 1
EASIER_CHANGE_LEVELS = -1
MUCH_EASIER_CHANGE_LEVELS = -2
MAX_LEVEL_CHANGE_PER_SESSION = 2
EASIER_REVIEW_SHARE = 0.8
EASIER_BREAK_EVERY_MINUTES = 20


class DifficultyAction(StrEnum):
    """What the adapter asks for."""

    HARDER = "HARDER"
    KEEP = "KEEP"
    EASIER = "EASIER"
    MUCH_EASIER = "MUCH_EASIER"


@dataclass(frozen=True)
class DifficultyAdjustment:
    """The change to apply now, and the session rules that come with it."""

    action: DifficultyAction
    change: int
    desired_change: int
    capped: bool
    review_share: float | None
    review_only: bool
    break_every_minutes: int | None
    break_now: bool
    reason: str


def capped_change(desired: int, applied_this_session: int) -> int:
    """``desired`` limited so the session's net change stays within ±2 (moves back are allowed)."""
    low = min(0, -MAX_LEVEL_CHANGE_PER_SESSION - applied_this_session)
    high = max(0, MAX_LEVEL_CHANGE_PER_SESSION - applied_this_session)
    return max(low, min(high, desired))


def adapt_difficulty(load_score: float, applied_this_session: int = 0) -> DifficultyAdjustment:
    """Difficulty change and session rules for the current load (0–100)."""
    if load_score >= MUCH_EASIER_FROM_LOAD:
        action, desired = DifficultyAction.MUCH_EASIER, MUCH_EASIER_CHANGE_LEVELS
        review_share, review_only, break_every, break_now = 1.0, True, None, True
        reason = f"load {load_score:.0f} ≥ {MUCH_EASIER_FROM_LOAD:.0f}: review only, break now"
    elif load_score >= EASIER_FROM_LOAD:
        action, desired = DifficultyAction.EASIER, EASIER_CHANGE_LEVELS
        review_share, review_only = EASIER_REVIEW_SHARE, False
        break_every, break_now = EASIER_BREAK_EVERY_MINUTES, False
        reason = (
            f"load {load_score:.0f} in {EASIER_FROM_LOAD:.0f}–{MUCH_EASIER_FROM_LOAD:.0f}: "
            f"easier, {EASIER_REVIEW_SHARE:.0%} review, break every "
            f"{EASIER_BREAK_EVERY_MINUTES} min"
        )
    elif load_score >= HARDER_BELOW_LOAD:
        action, desired = DifficultyAction.KEEP, 0
        review_share, review_only, break_every, break_now = None, False, None, False
        reason = f"load {load_score:.0f} in {HARDER_BELOW_LOAD:.0f}–{EASIER_FROM_LOAD:.0f}: keep"
    else:
        action, desired = DifficultyAction.HARDER, HARDER_CHANGE_LEVELS
        review_share, review_only, break_every, break_now = None, False, None, False
        reason = f"load {load_score:.0f} < {HARDER_BELOW_LOAD:.0f}: room for harder content"
    change = capped_change(desired, applied_this_session)
    if change != desired:
        reason += (
            f" (capped: {applied_this_session:+d} already applied this session, "
            f"limit ±{MAX_LEVEL_CHANGE_PER_SESSION})"
        )
    return DifficultyAdjustment(
        action=action,
        change=change,
        desired_change=desired,
        capped=change != desired,
        review_share=review_share,
        review_only=review_only,
        break_every_minutes=break_every,
        break_now=break_now,
        reason=reason,
    )
