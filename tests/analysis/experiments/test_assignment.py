"""Sticky SHA-256 assignment: golden positions, the byte layout, and convergence to the weights."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.analysis.experiments.assignment import (
    assign_variant,
    assignment_message,
    assignment_unit,
    variant_index,
)

# Golden digests from coreutils, independently of this code:
#   printf 'exp-salt\0learner-1' | sha256sum  → 147ff28fa991622b2cce…
#   printf 'exp-salt\0learner-2' | sha256sum  → f70abf692e5bf82da00c…
#   printf 'cmk1salt\0ü-user'    | sha256sum  → 1767466b6f1d2dca77cf…  (UTF-8 user id)
# u = (first 16 hex digits as an integer) >> 11, / 2**53, worked out by hand from those digits.
GOLDEN = [
    ("exp-salt", "learner-1", "147ff28fa991622b", 0.08007732398397627),
    ("exp-salt", "learner-2", "f70abf692e5bf82d", 0.9650077468671582),
    ("cmk1salt", "ü-user", "1767466b6f1d2dca", 0.09141960261250814),
]


@pytest.mark.parametrize(("salt", "user_id", "digest_prefix", "unit"), GOLDEN)
def test_golden_positions(salt: str, user_id: str, digest_prefix: str, unit: float) -> None:
    message = assignment_message(salt, user_id)
    assert hashlib.sha256(message).hexdigest().startswith(digest_prefix)
    assert assignment_unit(salt, user_id) == unit


def test_golden_variants_by_weight() -> None:
    """u = 0.0801 and 0.9650: 50/50 → 0, 1; 5/95 → 1 (0.0801 ≥ 0.05); 9/1 → 0, 1 (0.965 ≥ 0.9)."""
    assert assign_variant("exp-salt", "learner-1", [1, 1]) == 0
    assert assign_variant("exp-salt", "learner-2", [1, 1]) == 1
    assert assign_variant("exp-salt", "learner-1", [5, 95]) == 1
    assert assign_variant("exp-salt", "learner-2", [9, 1]) == 1
    assert assign_variant("exp-salt", "learner-1", [9, 1]) == 0


def test_byte_layout_is_salt_nul_user() -> None:
    assert assignment_message("s", "u") == b"s\x00u"
    assert assignment_message("é", "1") == b"\xc3\xa9\x001"


def test_salt_and_user_must_not_be_ambiguous() -> None:
    with pytest.raises(ValueError, match="U\\+0000"):
        assignment_message("a\x00b", "c")
    with pytest.raises(ValueError, match="salt must not be empty"):
        assignment_message("", "c")
    with pytest.raises(ValueError, match="user_id must not be empty"):
        assignment_message("s", "")


def test_variant_index_edges() -> None:
    """Each variant owns [c_{i−1}, c_i) of u·Σw; a zero-weight variant owns nothing."""
    assert variant_index(0.0, [1, 1]) == 0
    assert variant_index(0.5, [1, 1]) == 1
    assert variant_index(0.4999, [1, 1]) == 0
    assert variant_index(0.5, [1, 0, 1]) == 2
    assert variant_index(0.0, [0, 1]) == 1
    with pytest.raises(ValueError, match="in \\[0, 1\\)"):
        variant_index(1.0, [1, 1])
    with pytest.raises(ValueError, match="positive number"):
        variant_index(0.3, [0, 0])
    with pytest.raises(ValueError, match="≥ 0"):
        variant_index(0.3, [1, -1])


# No deadline: the first example pays scipy/numpy warm-up, and the machine is shared.
@settings(deadline=None)
@given(
    salt=st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
    user_id=st.text(min_size=1, max_size=40),
    weights=st.lists(st.floats(0, 100), min_size=1, max_size=6).filter(lambda w: sum(w) > 0),
)
def test_assignment_is_deterministic_and_never_picks_a_zero_weight(
    salt: str, user_id: str, weights: list[float]
) -> None:
    first = assign_variant(salt, user_id, weights)
    assert first == assign_variant(salt, user_id, weights)
    assert 0 <= first < len(weights) and weights[first] > 0
    assert 0.0 <= assignment_unit(salt, user_id) < 1.0


@pytest.mark.parametrize("weights", [[1, 1], [0.55, 0.45], [1, 2, 7], [5, 0, 5]])
def test_assignment_proportions_converge_to_the_weights(weights: list[float]) -> None:
    """20,000 learners: every share within 4 binomial standard errors of its weight."""
    n = 20_000
    counts = np.bincount(
        [assign_variant("convergence-salt", f"learner-{i}", weights) for i in range(n)],
        minlength=len(weights),
    )
    target = np.asarray(weights) / sum(weights)
    se = np.sqrt(target * (1 - target) / n)
    assert np.all(np.abs(counts / n - target) <= 4 * se + 1e-12)


def test_positions_are_independent_across_salts() -> None:
    """The same learners in two experiments: their positions are uncorrelated (|r| < 0.05)."""
    users = [f"learner-{i}" for i in range(5_000)]
    first = [assignment_unit("experiment-one", u) for u in users]
    second = [assignment_unit("experiment-two", u) for u in users]
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.05
