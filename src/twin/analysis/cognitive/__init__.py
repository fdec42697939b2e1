"""Cognitive load, stress and burnout (ENGINE.md 5.4): pure analyses over plain values.

- ``load``: cognitive load of one session (five 0–100 sub-scores, weighted).
- ``burnout``: burnout risk over 14 days, warning signals, interventions, recovery.
- ``stress``: stress response patterns over 90 days and the stress profile.
- ``difficulty``: difficulty adaptation from the current load.
- ``load_performance``: correlation of load with performance, best load band.
- ``trend``: trend between readings and load history by hour/day/week.
"""
