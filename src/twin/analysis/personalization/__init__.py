"""Adaptive personalization (ENGINE.md 5.5, first half): pure analyses over plain values.

- ``strategy``: the four strategy arms and how strongly each moves the defaults.
- ``preferences``: levels, the learner's switches, what may be personalized at ``now``.
- ``evidence``: the findings personalization acts on, each with its confidence.
- ``params``: what a caller may ask of each context (validated) and what an answer holds.
- ``shaping``: engine defaults, how an arm moves a number, the evidence trace, safety limits.
- ``apply``: one ``apply_*`` per context and the dispatch.
- ``bandit``: Thompson sampling on [0, 1] rewards, propensities by integration, pooled prior.
- ``reward``: the reward of one outcome against the learner's own baseline; feedback.
- ``derived``: which completed session or mission followed which decision; its measures.
- ``offpolicy``: inverse-propensity and doubly-robust value of another policy from the log.
- ``effectiveness``: improvement vs baseline, level–outcome correlation, composite score.
- ``personalize``: one request end to end — scope, strategy decision, parameters.

How the value objects map onto the seed's tables:

- ``Preferences`` ↔ ``personalization_preferences``: ``personalizationLevel``, the four
  ``*PersonalizationEnabled`` toggles, ``disabledFeatures`` (names of
  ``PersonalizationFeature``), ``autoAdaptEnabled``. The seed has no column for the pause
  (``paused_until``); a reset (``lastResetAt``) leaves ``initial_stats()``.
- ``ArmStats`` ↔ one ``personalization_configs`` row per (learner, context, arm):
  ``strategyVariant`` = the arm's name, ``timesSelected``, ``totalReward``, ``avgReward``
  (``avg_reward``), ``isActive``; ``confidenceScore`` = ``arm_confidences`` (posterior
  probability that the arm is the best). The Beta posterior is a function of these
  columns and the learner's reward scale only.
- ``reward.Outcome`` / ``effectiveness.OutcomeRecord`` ↔ ``personalization_outcomes``
  (``retentionScore``, ``performanceScore`` 0–100, ``completionRate``, ``engagementScore``;
  ``personalizationApplied`` false → level NONE).
- ``Effectiveness.to_json()`` ↔ ``personalization_effectiveness`` (``retentionImprovement``,
  ``performanceImprovement``, ``completionRateChange``, ``engagementChange``,
  ``sampleSize``, ``correlation``, ``pValue``, ``confidenceInterval``, ``compositeScore``,
  ``isStatisticallySignificant``).
- ``offpolicy.LoggedDecision`` ↔ the project's decision log (context, arm, the propensity
  ``choose_arm`` returned, the reward once known).
"""
