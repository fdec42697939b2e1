"""A/B experiments on learners (ENGINE.md 5.5, second half): pure statistics over sufficient statistics.

Every number is computed from per-arm sums a SQL aggregate produces (count, Σv, Σv², and for
CUPED Σx, Σx², Σvx), never from rows. The conventions and the reference numbers are
GrowthBook's gbstats 0.8.0 (``../shared/oracles/README.md``), implemented from the formulas.

- ``statistics``: the per-arm sufficient statistics, pooled CUPED θ, effect moments (Δ, V).
- ``frequentist``: Welch t-test (absolute, relative by the delta method) and the always-valid
  sequential interval.
- ``bayesian``: posterior under the improper prior: interval, chance to win, risk.
- ``srm``: the sample-ratio-mismatch χ² p-value.
- ``assignment``: deterministic, sticky SHA-256 assignment of a learner to a variant.
- ``metrics``: the metric catalogue (name, direction, statistic kind, unit).
- ``definition``: an experiment definition and its validation (problems name the field).
- ``verdict``: per-metric comparisons and the verdict (winner / no difference / keep running /
  invalid) with its reasons.
"""
