"""Adaptive personalization (ENGINE.md 5.5, first half): pure analyses over plain values.

- ``strategy``: the four strategy arms and how strongly each moves the defaults.
- ``preferences``: levels, the learner's switches, what may be personalized at ``now``.
- ``evidence``: the findings personalization acts on, each with its confidence.
- ``apply``: engine defaults, client params, one ``apply_*`` per context, safety overrides.
- ``bandit``: Thompson sampling on [0, 1] rewards, propensities by integration, pooled prior.
- ``reward``: the reward of one outcome against the learner's own baseline; feedback.
- ``offpolicy``: inverse-propensity and doubly-robust value of another policy from the log.
- ``effectiveness``: improvement vs baseline, level–outcome correlation, composite score.
"""
