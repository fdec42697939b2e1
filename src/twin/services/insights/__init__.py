"""Behavioral insights (ENGINE.md 5.6): the part of the twin a learner acts on — the service layer.

The analyses live in :mod:`twin.analysis.insights` (pure); each module here loads their
inputs, calls them and writes the results:

- :mod:`.recommendations` (with :mod:`.providers`, one candidate provider per source
  capability, and :mod:`.outcomes`, the metric a recommendation is judged on):
  ``recommendations``, ``recommendation_keys``, ``applied_recommendations``;
- :mod:`.goals`: ``behavioral_goals`` (suggestions, creation, edits, daily progress);
- :mod:`.notifications`: ``insight_notifications`` (one row per event);
- :mod:`.score`: ``behavioral_scores``, ``exam_results`` and the academic correlation;
- :mod:`.evolution`: ``pattern_snapshots``, pattern evolution and progress;
- :mod:`.articles`: ``learning_articles`` and ``article_reads``;
- :mod:`.dashboard`: the one aggregate call; :mod:`.clear`: clearing the insights;
- :mod:`.daily`: the daily run of one learner (the job calls it).

Writes of one learner are serialised by ``LearnerLock.INSIGHTS``; every query is scoped
to one learner.
"""
