"""Adaptive personalization (ENGINE.md 5.5, first half): load → analysis → write.

- ``common``: rows ↔ value objects, the learner's preferences and arms, bad input as 422.
- ``evidence``: what the twin knows that personalization may act on (patterns, predictions,
  load, burnout), each finding with its confidence.
- ``preferences``: read, change and reset the learner's switches.
- ``decisions``: ``personalization:apply`` — experiment first, else the bandit and the
  context's parameters; every bandit decision logged with its propensity.
- ``outcomes``: outcomes, explicit feedback and implicit signals → the reward → the arm.
- ``derived``: outcomes (and rewards) read from completed sessions and missions that
  followed a decision — the daily job's first step; idempotent.
- ``effectiveness``: measured against the learner's own baseline window; stored per arm.
- ``offpolicy``: inverse-propensity and doubly-robust value of another policy from the log.
- ``overview``: one learner's personalization in one call (level, arms, latest decisions,
  effectiveness) for the dashboard and ``twin personalize``.
"""
