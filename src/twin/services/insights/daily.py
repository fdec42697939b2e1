"""The daily insights run of one learner (ENGINE.md 5.6), in one transaction.

Under the learner's insights lock (a second run finds it taken and skips), as of ``now``:

1. **Pull** what the other capabilities stored: the pattern analysis's latest result
   becomes its week's snapshot;
2. **Scores**: the current and previous local weeks (all weeks the first time);
3. **Evaluate** applications whose 14-day test period is over;
4. **Goals**: progress of every active goal from the data, milestones, completion, expiry;
5. **Recommendations**: new ones from every source;
6. **Notifications** for strong patterns, burnout entering HIGH/CRITICAL and struggle
   alerts (goal and recommendation notifications come with steps 4 and 5), each event once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc
from twin.learners import LearnerLock, analysis_learner, try_lock_learner
from twin.services.insights import evolution, goals, notifications, recommendations, score

OUTCOME_DONE = "done"
OUTCOME_LOCKED = "locked"


@dataclass(frozen=True)
class DailyRun:
    """What the daily run did for one learner."""

    user_id: str
    outcome: str
    snapshot: bool = False
    weeks_scored: int = 0
    evaluated: int = 0
    goals_updated: int = 0
    milestones: int = 0
    recommendations_created: int = 0
    notifications: int = 0


def run_daily(session: Session, user_id: str, now: datetime) -> DailyRun:
    """One learner's daily insights run (403 when analysis is off; skipped when locked)."""
    learner = analysis_learner(session, user_id)
    if not try_lock_learner(session, LearnerLock.INSIGHTS, user_id):
        return DailyRun(user_id, OUTCOME_LOCKED)
    now = aware_utc(now)
    snap = evolution.snapshot_patterns(session, learner, now)
    weeks = score.refresh_scores(session, learner, now)
    evaluated = recommendations.evaluate_due(session, learner, now)
    goal_run = goals.update_active_goals(session, learner, now)
    generated = recommendations.generate(session, learner, now)
    pulled = (
        notifications.pull_patterns(session, user_id)
        + notifications.pull_burnout(session, user_id, now)
        + notifications.pull_struggle_alerts(session, user_id, now)
    )
    made = notifications.notify(session, user_id, pulled, now)
    return DailyRun(
        user_id,
        OUTCOME_DONE,
        snapshot=snap,
        weeks_scored=len(weeks),
        evaluated=evaluated.evaluated,
        goals_updated=goal_run.updated,
        milestones=goal_run.milestones,
        recommendations_created=len(generated.created),
        notifications=goal_run.notifications + generated.notifications + len(made),
    )
