"""Learning-pattern recognition (ENGINE.md 5.1): pure analyses over small frozen value objects.

Entry point: ``twin.analysis.patterns.profile.analyze_learner``; then
``lifecycle.plan_lifecycle`` and ``insights.generate_insights``.
"""
