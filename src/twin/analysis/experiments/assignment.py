"""Deterministic, sticky assignment of a learner to a variant: SHA-256 → [0, 1) → variant by weight.

Byte layout (fixed; changing it would reassign every running experiment's participants):

1. message = UTF-8(salt) ‖ 0x00 ‖ UTF-8(user_id). The salt may not contain U+0000, so the first
   zero byte ends it and no two (salt, user_id) pairs share a message.
2. digest = SHA-256(message), 32 bytes.
3. u = (big-endian unsigned integer of digest[0:8]) >> 11, divided by 2⁵³: the top 53 bits, so
   u is an exact double in [0, 1) on a grid of 2⁻⁵³ (u = 1 is impossible).
4. With weights w_1 … w_k (≥ 0, Σw > 0, in the definition's order), the variant is the first i
   with u·Σw < w_1 + … + w_i: variant i owns [c_{i−1}, c_i)/Σw of the unit interval, and a
   variant of weight 0 owns nothing.

The same (salt, user_id) always gives the same u, so the assignment is sticky without storing
anything; storing it once (the service's job) only guards against later weight changes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from itertools import accumulate

ASSIGNMENT_SEPARATOR = b"\x00"
"""Between the salt and the user id in the hashed message."""

UNIT_PREFIX_BYTES = 8
"""How much of the digest is read: a 64-bit big-endian integer."""

UNIT_BITS = 53
"""Bits of that integer kept: a double represents every multiple of 2⁻⁵³ in [0, 1) exactly."""


def assignment_message(salt: str, user_id: str) -> bytes:
    """The hashed bytes: UTF-8 salt, one zero byte, UTF-8 user id."""
    if not salt:
        raise ValueError("salt must not be empty")
    if "\x00" in salt:
        raise ValueError("salt must not contain U+0000 (it separates the salt from the user id)")
    if not user_id:
        raise ValueError("user_id must not be empty")
    return salt.encode("utf-8") + ASSIGNMENT_SEPARATOR + user_id.encode("utf-8")


def assignment_unit(salt: str, user_id: str) -> float:
    """The learner's fixed position u ∈ [0, 1) in this experiment."""
    digest = hashlib.sha256(assignment_message(salt, user_id)).digest()
    prefix = int.from_bytes(digest[:UNIT_PREFIX_BYTES], "big")
    return (prefix >> (8 * UNIT_PREFIX_BYTES - UNIT_BITS)) / float(1 << UNIT_BITS)


def check_weights(weights: Sequence[float]) -> float:
    """Σw of valid weights (finite, ≥ 0, positive sum); ValueError otherwise."""
    if not weights:
        raise ValueError("at least one weight is needed")
    for weight in weights:
        if isinstance(weight, bool) or not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weights must be finite numbers ≥ 0, got {weight!r}")
    total = math.fsum(weights)
    if total <= 0:
        raise ValueError(f"weights must sum to a positive number, got {total}")
    return total


def variant_index(unit: float, weights: Sequence[float]) -> int:
    """Index of the variant that owns position ``unit`` ∈ [0, 1) under ``weights``."""
    if not 0.0 <= unit < 1.0:
        raise ValueError(f"unit must be in [0, 1), got {unit!r}")
    total = check_weights(weights)
    target = unit * total
    for index, edge in enumerate(accumulate(weights)):
        if target < edge:
            return index
    # Rounding in the running sum can leave u·Σw a hair above the last edge: the position
    # belongs to the last variant that has any weight.
    return max(i for i, w in enumerate(weights) if w > 0)


def assign_variant(salt: str, user_id: str, weights: Sequence[float]) -> int:
    """Index of the variant a learner is assigned to (deterministic in salt, user id, weights)."""
    return variant_index(assignment_unit(salt, user_id), weights)
