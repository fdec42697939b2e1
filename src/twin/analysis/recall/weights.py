"""FSRS-6 model weights by name, mapped to and from the 21-number vector the FSRS tools use."""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

from fsrs.scheduler import DEFAULT_PARAMETERS

FSRS6_WEIGHT_COUNT = 21


@dataclass(frozen=True)
class FsrsWeights:
    """The 21 FSRS-6 weights; field order is the order of the vector (w0 … w20)."""

    initial_stability_again: float  # w0, days
    initial_stability_hard: float  # w1, days
    initial_stability_good: float  # w2, days
    initial_stability_easy: float  # w3, days
    initial_difficulty_again: float  # w4: D0(Again); D0(g) = w4 − e^(w5·(g−1)) + 1
    initial_difficulty_rating_factor: float  # w5
    difficulty_step: float  # w6: difficulty change per rating step away from Good
    difficulty_mean_reversion: float  # w7: pull towards D0(Easy)
    recall_stability_scale: float  # w8: e^w8 scales the stability gain after a recall
    recall_stability_exponent: float  # w9: gain ∝ S^−w9
    recall_retrievability_factor: float  # w10: gain ∝ e^((1−R)·w10) − 1
    forget_stability_scale: float  # w11
    forget_difficulty_exponent: float  # w12: post-lapse S ∝ D^−w12
    forget_stability_exponent: float  # w13: post-lapse S ∝ (S+1)^w13 − 1
    forget_retrievability_factor: float  # w14: post-lapse S ∝ e^((1−R)·w14)
    hard_penalty: float  # w15
    easy_bonus: float  # w16
    short_term_rating_factor: float  # w17: same-day stability change e^(w17·(g−3+w18))
    short_term_rating_offset: float  # w18
    short_term_stability_exponent: float  # w19: same-day change ∝ S^−w19
    decay: float  # w20: forgetting-curve decay, R(t) = (1 + f·t/S)^−w20

    @classmethod
    def from_vector(cls, values: tuple[float, ...] | list[float]) -> FsrsWeights:
        """Weights from the 21-number FSRS-6 vector (w0 … w20)."""
        if len(values) != FSRS6_WEIGHT_COUNT:
            raise ValueError(f"FSRS-6 needs {FSRS6_WEIGHT_COUNT} weights, got {len(values)}")
        return cls(*(float(v) for v in values))

    def as_vector(self) -> tuple[float, ...]:
        """The 21-number FSRS-6 vector (w0 … w20), as the ``fsrs`` packages take it."""
        return tuple(float(v) for v in astuple(self))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Field names in vector order."""
        return tuple(f.name for f in fields(cls))


# The ``fsrs`` package's FSRS-6 defaults.
DEFAULT_FSRS_WEIGHTS = FsrsWeights.from_vector(DEFAULT_PARAMETERS)
