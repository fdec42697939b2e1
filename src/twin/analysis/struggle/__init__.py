"""Struggle prediction and interventions (ENGINE.md 5.2): pure analyses over plain values.

- ``common``: enums mirrored from the database, insufficient-data answers, small helpers.
- ``features``: the 15 features of one (learner, objective) and their data quality.
- ``rules``: the additive rule baseline (used until enough outcomes are recorded).
- ``model``: the trained, calibrated classifier, its version, serialisation and deployment gate.
- ``outcomes``: the automatic outcome rule, learner feedback, prediction status.
- ``metrics``: model performance from recorded outcomes, calibration, trend, struggle reduction.
- ``workflow``: indicators, interventions, what an intervention does to a mission, alerts.
"""
