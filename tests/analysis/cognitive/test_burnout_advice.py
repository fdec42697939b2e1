"""Burnout advice: recommendations and mission limits by level (hand-checked wording)."""

from __future__ import annotations

from twin.analysis.cognitive.burnout_advice import mission_override_for, recommendations_for
from twin.enums import BurnoutRiskLevel


def test_interventions_by_level() -> None:
    """Recommendations and mission overrides follow the level."""
    assert "Keep going" in recommendations_for(BurnoutRiskLevel.LOW)[0]
    medium = " ".join(recommendations_for(BurnoutRiskLevel.MEDIUM, (), 120.0))
    assert "25%" in medium and "90 min" in medium and "break" in medium  # 120 × 0.75 = 90
    high = " ".join(recommendations_for(BurnoutRiskLevel.HIGH))
    assert "48 hours" in high and "Review only" in high
    critical = " ".join(recommendations_for(BurnoutRiskLevel.CRITICAL))
    assert "2–3 days off" in critical and "No new content" in critical
    assert mission_override_for(BurnoutRiskLevel.LOW, 10.0) is None
    assert mission_override_for(BurnoutRiskLevel.MEDIUM, 40.0) is None
    critical_override = mission_override_for(BurnoutRiskLevel.CRITICAL, 80.0)
    assert critical_override is not None and critical_override.rest_days == 2
    assert not critical_override.new_content and critical_override.review_only
    severe = mission_override_for(BurnoutRiskLevel.CRITICAL, 90.0)
    assert severe is not None and severe.rest_days == 3
