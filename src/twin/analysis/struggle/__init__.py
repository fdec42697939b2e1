"""Struggle prediction and interventions (ENGINE.md 5.2): pure analyses over plain values.

- ``contexts``: what is known of a learner's objectives at a date; which to predict.
- ``features``: the 15 features of one (learner, objective), their data quality, in words.
- ``rules``: the additive rule baseline (used until enough outcomes are recorded).
- ``model``: the trained, calibrated classifier, its version, serialisation and deployment gate.
- ``outcomes``: the automatic outcome rules, learner feedback, prediction status.
- ``capture``: which recorded study decides each prediction's outcome, and what it decides.
- ``metrics``: model performance from recorded outcomes, calibration, trend, struggle reduction.
- ``workflow``: indicators, interventions, what an intervention does to a mission, alerts.
- ``common``: small numeric helpers.
"""
