"""Behavioral insights (ENGINE.md 5.6): the part of the twin a learner acts on, as pure analyses.

- ``common``: source references, week arithmetic, small helpers.
- ``recommendations``: templates, readiness, the priority formula, candidates from every
  capability (patterns and insights, struggle interventions, load and burnout, schedule,
  personalization, experiment winners), selection (top 5, ≤ 2 per type, no duplicates).
- ``evaluation``: an applied recommendation's 2-week baseline vs its 2-week test period.
- ``goals``: templates, metrics computed from raw data, validation, suggestions, progress,
  milestones and expiry.
- ``notifications``: the events a learner is told about, each with a stable dedup key.
- ``score``: the weekly behavioral score (0–100) and its five components.
- ``correlation``: weekly behavioral score vs exam and validation results.
- ``evolution``: patterns week by week (new / kept / gone) and now vs N weeks ago.
- ``articles``: the learning-science articles (package data in ``articles/``), their
  "your data" renderer and the rules that suggest one.

Every input is a small frozen value object the service fills from the database; every
output maps onto the seed's tables (``recommendations``, ``applied_recommendations``,
``behavioral_goals``, ``insight_notifications``, ``learning_articles``, ``article_reads``).
"""
