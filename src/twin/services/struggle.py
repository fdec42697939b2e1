"""Struggle prediction workflow (ENGINE.md 5.2): database in, pure analyses, database out.

The pure core lives in :mod:`twin.analysis.struggle`; this module loads its inputs for
one learner with a handful of batched queries (whatever the number of objectives),
predicts with the active model (:func:`twin.services.struggle_models.active_model`:
the rule baseline ``rules-v1`` until a trained model is deployed), and writes
``struggle_predictions``, ``struggle_indicators`` and ``intervention_recommendations``.

**No peeking.** :func:`build_contexts` uses only data recorded strictly before ``now``
(reviews, validations, completed missions, load readings, recorded outcomes), so
predictions can be generated at past cut dates on a database holding later data too.
The learner's fitted recall model and learning profile are used only when they were
fitted / analysed before ``now`` (else FSRS-6 defaults / no profile). The one
exception, allowed by the brief: a prerequisite without reviewed cards falls back to
its ``masteryLevel`` (the latest state).

**Feature sources** (the pure ``ObjectiveContext`` fields they fill):

- *Recall of a card at t*: its last review before t (``reviews.stabilityAfter``,
  ``reviewedAt``) and the learner's recall model: ``R = retrievability(weights,
  stabilityAfter, days since that review)``. Reviews without a memory state
  (``stabilityAfter ≤ 0``) are skipped. Never the ``cards`` row (the latest state).
- ``recall_predictions``: recall at ``now`` of each of the objective's reviewed cards.
- ``recall_trend_per_week``: mean recall at ``now`` minus mean recall at ``now − 7 d``
  over the cards reviewed before ``now − 7 d`` (unknown when there are none).
- ``reviews_30d`` / ``again_30d``: the objective's reviews in the 30 days before ``now``.
- ``recent_session_performance``: mean ``missions.sessionPerformanceScore`` (0–100) of
  the learner's missions completed in the 30 days before ``now`` that planned the
  objective (unknown when none).
- ``validation_scores``: the objective's validation scores of the 30 days before ``now``.
- ``prerequisite_masteries``: per prerequisite (``objective_prerequisites``) the mean
  recall at ``now`` of its reviewed cards, else its ``masteryLevel`` mapped to
  NOT_STARTED 0 · BEGINNER 0.25 · INTERMEDIATE 0.5 · ADVANCED 0.75 · MASTERED 1.
- ``learner_ability`` on the complexity scale (BASIC 0.3 … ADVANCED 0.9): from the
  learner's mean validation score q over the 90 days before ``now`` (all objectives,
  at least 5 answers, else unknown): ``0.3 + 0.6·clip((q − 0.5) / 0.4, 0, 1)`` — a
  learner answering at 90% or more handles ADVANCED content, at 50% or less BASIC only.
- ``past_struggles_in_course`` / ``past_outcomes_in_course``: the learner's predictions
  on *other* objectives of the same course whose outcome was recorded before ``now``
  (``actualOutcome`` true = struggled).
- ``content_type_mismatch``: the objective's cards as content types (BASIC and CLOZE →
  flashcard, CLINICAL_REASONING → clinical_reasoning) against the profile's
  ``contentPreferences``: ``1 − Σ shareₜ·prefₜ / maxₜ prefₜ`` (0 when the objective is
  all in the learner's preferred format). Unknown without a profile analysed before
  ``now``, with empty preferences (learning-style profiling off) or without cards.
- ``recent_mean_cognitive_load``: mean ``cognitive_load_metrics.loadScore`` of the 7 days
  before ``now`` (unknown when none).
- ``days_until_exam``: the next exam (date ≥ ``now``) of the objective's course whose
  ``coverageTopics`` meet the lecture's ``topicTags`` (empty coverage = whole course).
- ``days_since_last_study``: since the objective's last review or validation before ``now``.
- ``open_objectives``: distinct objectives of the learner's missions *pending as of
  now* (see below) dated from 24 h before to 14 days after ``now``.

**Candidates** (:func:`candidate_objectives`): objectives of missions pending as of
``now`` dated from 24 h before ``now`` (today's mission) to ``days_ahead`` days after (status PENDING, or COMPLETED / IN_PROGRESS
with ``completedAt`` / ``actualStartTime`` not before ``now`` — at a past cut date such a
mission was still pending; SKIPPED missions are not), objectives covered by exams
within ``days_ahead`` days, then the 5 objectives with the lowest retention among the
others. Only objectives of lectures uploaded before ``now``. ``dueAt`` is the earliest
mission (not before ``now``) / exam date (weakest: ``now + days_ahead``).

**Predictions** (:func:`generate_predictions`): every candidate is stored, also with
p ≤ 0.5 (needed for MISSED outcomes and AUC; lists hide them with ``minProbability``).
``predictionConfidence = dataQuality × (0.5 + 0.5·|2p − 1|)``: full data and a clear
call → near 1; a coin-flip probability or little data → low. Regenerating updates the
learner's *open* prediction of the same objective in place (PENDING, no outcome, no
applied intervention) and replaces its indicators and unapplied interventions — unless
the objective has been studied (reviewed or validated) since that prediction: then its
outcome is being measured on that study (``struggle_outcomes``), and rewriting it with
features that contain the study would grade it on its own evidence, so it is kept as it
was and returned as ``awaitingOutcome`` (it still competes for alerts). For
p > 0.5 indicators and interventions (tailored with the learner's profile) are written.
Alerts (p ≥ 0.7, due within 3 days, top 3 by priority) are returned, not stored.

**Applying an intervention** (:func:`apply_intervention`): the mission is the given one
(must be the learner's: 404; not PENDING: 409 Conflict), else the learner's next
PENDING mission (dated from 24 h before ``now``) planning the related objective, else
the next PENDING mission (none: 409). When that mission does not plan the objective,
the objective is added to it (with the mission's mean minutes per objective) so the
change has something to act on. The mission changes as the pure
:func:`twin.analysis.struggle.workflow.apply_intervention` says; mission-level settings
the ``missions`` table has no column for (break interval, content format, difficulty
ramp, extra review sessions, the interventions applied) are kept on the objective's
entry of ``missions.objectives``; inserted prerequisite reviews are new entries
(``prerequisiteFor``). ``recommendedDuration`` scales with ``estimatedMinutes``. The
intervention becomes IN_PROGRESS with ``appliedAt`` / ``appliedToMissionId``; the
prediction records ``interventionApplied`` / ``interventionId``. Already applied: 409.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Session

from twin.analysis.common import clip01, rounded
from twin.analysis.recall import DEFAULT_FSRS_WEIGHTS, FsrsWeights, RecallModel
from twin.analysis.recall.fsrs6 import retrievability
from twin.analysis.struggle.features import (
    COMPLEXITY_VALUE,
    EXAM_HORIZON_DAYS,
    FEATURE_NAMES,
    PREREQUISITE_MASTERY_THRESHOLD,
    STUDY_GAP_HORIZON_DAYS,
    WORKLOAD_FULL_OPEN_OBJECTIVES,
    FeatureVector,
    ObjectiveContext,
    build_features,
)
from twin.analysis.struggle.model import predict as model_predict
from twin.analysis.struggle.rules import rule_predict
from twin.analysis.struggle.workflow import (
    PREREQUISITE_REVIEW_MINUTES,
    SEVERITY_VALUE,
    AlertCandidate,
    Indicator,
    Intervention,
    LearnerProfile,
    Mission,
    alerts_for,
    indicators_for,
    interventions_for,
)
from twin.analysis.struggle.workflow import apply_intervention as apply_to_mission
from twin.db.base import new_id
from twin.db.models import (
    InterventionRecommendation,
    StruggleIndicator,
    StrugglePrediction,
)
from twin.db.models import Mission as MissionRow
from twin.enums import (
    InterventionStatus,
    InterventionType,
    MissionStatus,
    ObjectiveComplexity,
    PredictionStatus,
    Severity,
)
from twin.errors import Conflict, NotFound
from twin.learners import Learner, LearnerLock, analysis_learner, get_learner, lock_learner
from twin.services.struggle_models import active_model

# --- windows and thresholds ------------------------------------------------------------
DEFAULT_DAYS_AHEAD = 14
MIN_DAYS_AHEAD = 1
MAX_DAYS_AHEAD = 30
WEAKEST_COUNT = 5
"""Objectives with the lowest retention added to the candidates."""
DECLINE_WINDOW = timedelta(days=7)
LAPSE_WINDOW = timedelta(days=30)
VALIDATION_WINDOW = timedelta(days=30)
SESSION_PERFORMANCE_WINDOW = timedelta(days=30)
ABILITY_WINDOW = timedelta(days=90)
ABILITY_MIN_VALIDATIONS = 5
ABILITY_SCORE_FLOOR = 0.5
"""Mean validation score at or below which the learner's ability is BASIC (0.3)."""
ABILITY_SCORE_CEILING = 0.9
"""Mean validation score at or above which the learner's ability is ADVANCED (0.9)."""
ABILITY_LOW = COMPLEXITY_VALUE[ObjectiveComplexity.BASIC]
ABILITY_HIGH = COMPLEXITY_VALUE[ObjectiveComplexity.ADVANCED]
LOAD_WINDOW = timedelta(days=7)
WORKLOAD_HORIZON = timedelta(days=14)
PENDING_MISSION_GRACE = timedelta(hours=24)
"""apply_intervention looks for PENDING missions dated from this long before ``now``."""
MASTERY_LEVEL_VALUE: dict[str, float] = {
    "NOT_STARTED": 0.0,
    "BEGINNER": 0.25,
    "INTERMEDIATE": 0.5,
    "ADVANCED": 0.75,
    "MASTERED": 1.0,
}
CARD_CONTENT_TYPE: dict[str, str] = {
    "BASIC": "flashcard",
    "CLOZE": "flashcard",
    "CLINICAL_REASONING": "clinical_reasoning",
}
AT_RISK_ABOVE = 0.5
"""Predictions above this get indicators and interventions; lists hide the others by default."""
TOP_FACTOR_COUNT = 3
CONFIDENCE_BASE = 0.5
"""predictionConfidence = dataQuality × (0.5 + 0.5·|2p − 1|)."""
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 200
SECONDS_PER_DAY = 86_400.0
SOURCE_MISSION = "mission"
SOURCE_EXAM = "exam"
SOURCE_WEAKEST = "weakest"
SOURCE_ORDER = {SOURCE_MISSION: 0, SOURCE_EXAM: 1, SOURCE_WEAKEST: 2}
SEVERITY_RANK = {None: 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}

_IDS = sa.bindparam("ids", type_=pg.ARRAY(sa.Text()))

_OBJECTIVE_INFO_SQL = (
    "SELECT o.id, o.objective, o.complexity::text AS complexity, "
    'o."masteryLevel"::text AS mastery, l.id AS lecture_id, l."topicTags" AS tags, '
    'c.id AS course_id, c.name AS course_name, l."uploadedAt" AS uploaded_at '
    'FROM learning_objectives o JOIN lectures l ON l.id = o."lectureId" '
    'JOIN courses c ON c.id = l."courseId"'
)
"""Objectives with their lecture and course; callers append the WHERE clause."""


# =======================================================================================
# The learner
# =======================================================================================


@dataclass(frozen=True)
class LearnerState:
    """What prediction needs of a learner as of ``now``: recall weights and learning profile."""

    user_id: str
    weights: FsrsWeights
    profile: LearnerProfile
    content_preferences: dict[str, float] | None
    """None: no profile analysed before ``now`` (or empty preferences)."""


_LEARNER_STATE_SQL = sa.text(
    'SELECT m.model, m."fittedAt", p."optimalSessionDuration", p."contentPreferences", '
    'p."preferredStudyTimes", p."lastAnalyzedAt" FROM users u '
    'LEFT JOIN learner_memory_models m ON m."userId" = u.id '
    'LEFT JOIN user_learning_profiles p ON p."userId" = u.id WHERE u.id = :u'
)


def learner_state(session: Session, learner: Learner, now: datetime) -> LearnerState:
    """The learner's recall weights and profile as of ``now`` (fitted / analysed before it)."""
    row = session.execute(_LEARNER_STATE_SQL, {"u": learner.user_id}).one()
    model, fitted_at, optimal, prefs, times, analysed_at = row
    weights = DEFAULT_FSRS_WEIGHTS
    if learner.analysis_enabled and model and fitted_at is not None and fitted_at < now:
        weights = RecallModel.from_dict(model).weights
    profile = LearnerProfile()
    preferences: dict[str, float] | None = None
    if analysed_at is not None and analysed_at < now:
        preferences = {str(k): float(v) for k, v in (prefs or {}).items()} or None
        best_hour = None
        if isinstance(times, list) and times and isinstance(times[0], dict):
            hour = times[0].get("hour")
            best_hour = int(hour) if isinstance(hour, int | float) else None
        preferred = None
        if preferences and len(set(preferences.values())) > 1:
            preferred = max(preferences.items(), key=lambda kv: (kv[1], kv[0]))[0]
        profile = LearnerProfile(
            optimal_session_minutes=int(optimal) if optimal and optimal > 0 else None,
            preferred_content_type=preferred,
            best_study_hour=best_hour,
        )
    return LearnerState(learner.user_id, weights, profile, preferences)


# =======================================================================================
# Loading the learner's data (a handful of queries per learner)
# =======================================================================================


@dataclass(frozen=True)
class ObjectiveInfo:
    """One of the learner's objectives with its lecture and course."""

    id: str
    text: str
    complexity: str
    mastery_level: str
    lecture_id: str
    topic_tags: tuple[str, ...]
    course_id: str
    course_name: str
    uploaded_at: datetime


def _objective_rows(
    session: Session, query: sa.TextClause, params: dict[str, Any]
) -> dict[str, ObjectiveInfo]:
    """``{id: ObjectiveInfo}`` for the rows of ``query`` (built on ``_OBJECTIVE_INFO_SQL``)."""
    return {
        r.id: ObjectiveInfo(
            id=r.id,
            text=r.objective,
            complexity=r.complexity,
            mastery_level=r.mastery,
            lecture_id=r.lecture_id,
            topic_tags=tuple(r.tags or ()),
            course_id=r.course_id,
            course_name=r.course_name,
            uploaded_at=r.uploaded_at,
        )
        for r in session.execute(query, params)
    }


@dataclass
class _CardFacts:
    """One card's reviews as of ``now`` and ``now − 7 d``."""

    objective_id: str | None
    card_type: str
    stability_now: float | None = None
    last_now: datetime | None = None
    stability_past: float | None = None
    last_past: datetime | None = None
    reviews_30d: int = 0
    again_30d: int = 0


@dataclass
class _LearnerData:
    """Everything loaded for one learner at one ``now``."""

    learner: LearnerState
    now: datetime
    objectives: dict[str, ObjectiveInfo]
    cards: list[_CardFacts]
    prerequisites: dict[str, list[str]]
    validations: list[tuple[str | None, float, datetime]]
    missions: list[
        tuple[str, datetime, str, datetime | None, datetime | None, float | None, list[str]]
    ]
    exams: list[tuple[str, str, datetime, tuple[str, ...]]]
    outcomes: dict[str, tuple[int, int]]
    """objective id → (struggled, recorded) of predictions with outcomes recorded before now."""
    mean_load: float | None
    _recall_cache: dict[str, float | None] = field(default_factory=dict)

    def recall(self, stability: float | None, last: datetime | None, at: datetime) -> float | None:
        """Recall at ``at`` of a card last reviewed at ``last`` with ``stability`` (None: no state)."""
        if stability is None or last is None or stability <= 0:
            return None
        elapsed = (at - last).total_seconds() / SECONDS_PER_DAY
        return retrievability(self.learner.weights, stability, elapsed)

    def objective_recalls(self) -> dict[str, list[float]]:
        """Recall at ``now`` of every reviewed card, per objective."""
        out: dict[str, list[float]] = defaultdict(list)
        for c in self.cards:
            if c.objective_id is None:
                continue
            r = self.recall(c.stability_now, c.last_now, self.now)
            if r is not None:
                out[c.objective_id].append(r)
        return out


def _json_ids(entries: Any) -> list[str]:
    """Objective ids of a ``missions.objectives`` JSON list (dicts or plain ids)."""
    out: list[str] = []
    if not isinstance(entries, list):
        return out
    for e in entries:
        if isinstance(e, dict) and isinstance(e.get("objectiveId"), str):
            out.append(e["objectiveId"])
        elif isinstance(e, str):
            out.append(e)
    return out


def _load(
    session: Session, learner: LearnerState, now: datetime, horizon: timedelta
) -> _LearnerData:
    """Load the learner's objectives, cards, reviews, validations, missions, exams, outcomes, load."""
    u = learner.user_id
    objectives = _objective_rows(
        session, sa.text(f'{_OBJECTIVE_INFO_SQL} WHERE l."userId" = :u'), {"u": u}
    )
    past = now - DECLINE_WINDOW
    since30 = now - LAPSE_WINDOW
    cards = [
        _CardFacts(
            objective_id=r[0],
            card_type=r[1],
            stability_now=r[2],
            last_now=r[3],
            stability_past=r[4],
            last_past=r[5],
            reviews_30d=int(r[6]),
            again_30d=int(r[7]),
        )
        for r in session.execute(
            sa.text(
                'SELECT k."objectiveId", k."cardType"::text, '
                '(array_agg(r."stabilityAfter" ORDER BY r."reviewedAt" DESC, r.id DESC))[1], '
                'max(r."reviewedAt"), '
                '(array_agg(r."stabilityAfter" ORDER BY r."reviewedAt" DESC, r.id DESC) '
                'FILTER (WHERE r."reviewedAt" < :past))[1], '
                'max(r."reviewedAt") FILTER (WHERE r."reviewedAt" < :past), '
                'count(r.id) FILTER (WHERE r."reviewedAt" >= :since30), '
                "count(r.id) FILTER (WHERE r.\"reviewedAt\" >= :since30 AND r.rating = 'AGAIN') "
                'FROM cards k JOIN courses co ON co.id = k."courseId" AND co."userId" = :u '
                'LEFT JOIN reviews r ON r."cardId" = k.id AND r."userId" = :u '
                'AND r."reviewedAt" < :now GROUP BY k.id'
            ),
            {"u": u, "now": now, "past": past, "since30": since30},
        )
    ]
    prerequisites: dict[str, list[str]] = defaultdict(list)
    for obj, pre in session.execute(
        sa.text(
            'SELECT p."objectiveId", p."prerequisiteId" FROM objective_prerequisites p '
            'JOIN learning_objectives o ON o.id = p."objectiveId" '
            'JOIN lectures l ON l.id = o."lectureId" WHERE l."userId" = :u '
            'ORDER BY p."objectiveId", p."prerequisiteId"'
        ),
        {"u": u},
    ):
        prerequisites[obj].append(pre)
    validations = [
        (r[0], float(r[1]), r[2])
        for r in session.execute(
            sa.text(
                'SELECT "objectiveId", score, "respondedAt" FROM validation_responses '
                'WHERE "userId" = :u AND "respondedAt" >= :since AND "respondedAt" < :now'
            ),
            {"u": u, "since": now - ABILITY_WINDOW, "now": now},
        )
    ]
    missions = [
        (r[0], r[1], r[2], r[3], r[4], r[5], _json_ids(r[6]))
        for r in session.execute(
            sa.text(
                'SELECT id, date, status::text, "completedAt", "actualStartTime", '
                '"sessionPerformanceScore", objectives FROM missions WHERE "userId" = :u '
                "AND ((date >= :from_ AND date < :to_) OR "
                '("completedAt" >= :perf_from AND "completedAt" < :now)) ORDER BY date, id'
            ),
            {
                "u": u,
                "from_": now - PENDING_MISSION_GRACE,
                "to_": now + max(horizon, WORKLOAD_HORIZON),
                "perf_from": now - SESSION_PERFORMANCE_WINDOW,
                "now": now,
            },
        )
    ]
    exams = [
        (r[0], r[1], r[2], tuple(r[3] or ()))
        for r in session.execute(
            sa.text(
                'SELECT id, "courseId", date, "coverageTopics" FROM exams '
                'WHERE "userId" = :u AND date >= :now ORDER BY date, id'
            ),
            {"u": u, "now": now},
        )
    ]
    outcomes = {
        r[0]: (int(r[1]), int(r[2]))
        for r in session.execute(
            sa.text(
                'SELECT "learningObjectiveId", count(*) FILTER (WHERE "actualOutcome"), count(*) '
                'FROM struggle_predictions WHERE "userId" = :u AND "actualOutcome" IS NOT NULL '
                'AND "actualOutcomeRecordedAt" < :now GROUP BY 1'
            ),
            {"u": u, "now": now},
        )
    }
    mean_load = session.execute(
        sa.text(
            'SELECT avg("loadScore") FROM cognitive_load_metrics WHERE "userId" = :u '
            "AND timestamp >= :since AND timestamp < :now"
        ),
        {"u": u, "since": now - LOAD_WINDOW, "now": now},
    ).scalar_one()
    return _LearnerData(
        learner=learner,
        now=now,
        objectives=objectives,
        cards=cards,
        prerequisites=dict(prerequisites),
        validations=validations,
        missions=missions,
        exams=exams,
        outcomes=outcomes,
        mean_load=None if mean_load is None else float(mean_load),
    )


def _pending_as_of(
    status: str, completed_at: datetime | None, started_at: datetime | None, now: datetime
) -> bool:
    """Whether a mission was still pending at ``now`` (see the module docstring)."""
    if status == MissionStatus.PENDING.value:
        return True
    if status in (MissionStatus.COMPLETED.value, MissionStatus.IN_PROGRESS.value):
        done = completed_at if completed_at is not None else started_at
        return done is None or done >= now
    return False


# =======================================================================================
# Contexts (features' inputs)
# =======================================================================================


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _ability(data: _LearnerData) -> float | None:
    """Learner ability on the complexity scale from the mean validation score of 90 days."""
    scores = [s for _o, s, _t in data.validations]
    if len(scores) < ABILITY_MIN_VALIDATIONS:
        return None
    q = _mean(scores)
    span = ABILITY_SCORE_CEILING - ABILITY_SCORE_FLOOR
    return ABILITY_LOW + (ABILITY_HIGH - ABILITY_LOW) * clip01((q - ABILITY_SCORE_FLOOR) / span)


def _content_mismatch(type_counts: Mapping[str, int], prefs: Mapping[str, float]) -> float | None:
    """1 − preference of the objective's content mix relative to the preferred type's."""
    total = sum(type_counts.values())
    best = max(prefs.values(), default=0.0)
    if total <= 0 or best <= 0:
        return None
    matched = math.fsum(n / total * prefs.get(t, 0.0) for t, n in type_counts.items())
    return clip01(1.0 - matched / best)


def _prerequisite_masteries(
    data: _LearnerData, recalls: Mapping[str, list[float]], objective_id: str
) -> list[tuple[str, float]]:
    """(prerequisite id, mastery 0–1) of each prerequisite of the objective."""
    out = []
    for pre in data.prerequisites.get(objective_id, []):
        if recalls.get(pre):
            out.append((pre, _mean(recalls[pre])))
        else:
            info = data.objectives.get(pre)
            level = info.mastery_level if info is not None else "NOT_STARTED"
            out.append((pre, MASTERY_LEVEL_VALUE.get(level, 0.0)))
    return out


def _next_exam_days(data: _LearnerData, info: ObjectiveInfo) -> float | None:
    """Days until the next exam of the objective's course that covers its lecture's topics."""
    tags = set(info.topic_tags)
    for _exam_id, course_id, date, coverage in data.exams:  # ordered by date
        if course_id == info.course_id and (not coverage or tags & set(coverage)):
            return (date - data.now).total_seconds() / SECONDS_PER_DAY
    return None


def _open_objectives(data: _LearnerData) -> int:
    """Distinct objectives of the missions pending as of now within the workload horizon."""
    ids: set[str] = set()
    for _id, date, status, completed, started, _perf, objs in data.missions:
        if (
            data.now - PENDING_MISSION_GRACE <= date < data.now + WORKLOAD_HORIZON
            and _pending_as_of(status, completed, started, data.now)
        ):
            ids.update(objs)
    return len(ids)


def _contexts(data: _LearnerData, objective_ids: Iterable[str]) -> dict[str, ObjectiveContext]:
    """The pure contexts of the given objectives (unknown ids are left out)."""
    now = data.now
    recalls = data.objective_recalls()
    trend_now: dict[str, list[float]] = defaultdict(list)
    trend_past: dict[str, list[float]] = defaultdict(list)
    reviews: dict[str, int] = defaultdict(int)
    agains: dict[str, int] = defaultdict(int)
    last_study: dict[str, datetime] = {}
    type_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in data.cards:
        if c.objective_id is None:
            continue
        o = c.objective_id
        type_counts[o][CARD_CONTENT_TYPE.get(c.card_type, "flashcard")] += 1
        reviews[o] += c.reviews_30d
        agains[o] += c.again_30d
        if c.last_now is not None and (o not in last_study or c.last_now > last_study[o]):
            last_study[o] = c.last_now
        r_past = data.recall(c.stability_past, c.last_past, now - DECLINE_WINDOW)
        r_now = data.recall(c.stability_now, c.last_now, now)
        if r_past is not None and r_now is not None:
            trend_past[o].append(r_past)
            trend_now[o].append(r_now)
    validations: dict[str, list[float]] = defaultdict(list)
    for obj, score, at in data.validations:
        if obj is None:
            continue
        if at >= now - VALIDATION_WINDOW:
            validations[obj].append(score)
        if obj not in last_study or at > last_study[obj]:
            last_study[obj] = at
    performance: dict[str, list[float]] = defaultdict(list)
    for _id, _date, _status, completed, _started, perf, objs in data.missions:
        if (
            perf is not None
            and completed is not None
            and now - SESSION_PERFORMANCE_WINDOW <= completed < now
        ):
            for obj in set(objs):
                performance[obj].append(float(perf))
    course_outcomes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for obj, (struggled, recorded) in data.outcomes.items():
        info = data.objectives.get(obj)
        if info is not None:
            course_outcomes[info.course_id][0] += struggled
            course_outcomes[info.course_id][1] += recorded
    ability = _ability(data)
    open_objectives = _open_objectives(data)
    prefs = data.learner.content_preferences
    out: dict[str, ObjectiveContext] = {}
    for oid in dict.fromkeys(objective_ids):
        info = data.objectives.get(oid)
        if info is None:
            continue
        own_struggled, own_recorded = data.outcomes.get(oid, (0, 0))
        course_struggled, course_recorded = course_outcomes.get(info.course_id, [0, 0])
        trend = _mean(trend_now[oid]) - _mean(trend_past[oid]) if trend_past.get(oid) else None
        last = last_study.get(oid)
        out[oid] = ObjectiveContext(
            now=now,
            recall_predictions=tuple(recalls.get(oid, ())),
            recall_trend_per_week=trend,
            reviews_30d=reviews.get(oid, 0),
            again_30d=agains.get(oid, 0),
            recent_session_performance=_mean(performance[oid]) if performance.get(oid) else None,
            validation_scores=tuple(validations.get(oid, ())),
            prerequisite_masteries=tuple(
                m for _p, m in _prerequisite_masteries(data, recalls, oid)
            ),
            complexity=ObjectiveComplexity(info.complexity),
            learner_ability=ability,
            past_struggles_in_course=course_struggled - own_struggled,
            past_outcomes_in_course=course_recorded - own_recorded,
            content_type_mismatch=(
                None if prefs is None else _content_mismatch(type_counts.get(oid, {}), prefs)
            ),
            recent_mean_cognitive_load=data.mean_load,
            days_until_exam=_next_exam_days(data, info),
            days_since_last_study=(
                None if last is None else (now - last).total_seconds() / SECONDS_PER_DAY
            ),
            open_objectives=open_objectives,
        )
    return out


def build_contexts(
    session: Session, user_id: str, objective_ids: Sequence[str], now: datetime
) -> dict[str, ObjectiveContext]:
    """The pure contexts of the learner's objectives at ``now`` from data strictly before ``now``.

    Objectives that are not the learner's are left out; 404 for an unknown learner. It
    does not check consent (callers that act for the learner do).
    """
    state = learner_state(session, get_learner(session, user_id), now)
    return _contexts(_load(session, state, now, WORKLOAD_HORIZON), objective_ids)


# =======================================================================================
# Candidates
# =======================================================================================


@dataclass(frozen=True)
class Candidate:
    """An objective to predict: when it is due and why it was chosen."""

    objectiveId: str
    dueAt: datetime
    source: str
    """``mission``, ``exam`` or ``weakest``."""
    sourceId: str | None = None
    """The mission or exam id (None for weakest)."""


def _candidates(data: _LearnerData, days_ahead: int) -> list[Candidate]:
    """Mission, exam and weakest candidates, de-duplicated, earliest due first."""
    now = data.now
    until = now + timedelta(days=days_ahead)
    available = {o for o, info in data.objectives.items() if info.uploaded_at < now}
    best: dict[str, Candidate] = {}

    def offer(c: Candidate) -> None:
        if c.objectiveId not in available:
            return
        cur = best.get(c.objectiveId)
        if cur is None or (c.dueAt, SOURCE_ORDER[c.source]) < (
            cur.dueAt,
            SOURCE_ORDER[cur.source],
        ):
            best[c.objectiveId] = c

    for mid, date, status, completed, started, _perf, objs in data.missions:
        if now - PENDING_MISSION_GRACE <= date <= until and _pending_as_of(
            status, completed, started, now
        ):
            for o in objs:
                offer(Candidate(o, max(date, now), SOURCE_MISSION, mid))
    for exam_id, course_id, date, coverage in data.exams:
        if date > until:
            continue
        cover = set(coverage)
        for o, info in data.objectives.items():
            if info.course_id == course_id and (not cover or cover & set(info.topic_tags)):
                offer(Candidate(o, date, SOURCE_EXAM, exam_id))
    recalls = data.objective_recalls()
    weakest = sorted(
        ((_mean(r), o) for o, r in recalls.items() if o in available and o not in best),
    )[:WEAKEST_COUNT]
    for _r, o in weakest:
        offer(Candidate(o, until, SOURCE_WEAKEST))
    return sorted(best.values(), key=lambda c: (c.dueAt, SOURCE_ORDER[c.source], c.objectiveId))


def candidate_objectives(
    session: Session, user_id: str, now: datetime, days_ahead: int = DEFAULT_DAYS_AHEAD
) -> list[Candidate]:
    """Objectives due within ``days_ahead`` days (missions, exams) plus the weakest ones."""
    state = learner_state(session, get_learner(session, user_id), now)
    return _candidates(_load(session, state, now, timedelta(days=days_ahead)), days_ahead)


# =======================================================================================
# Generation
# =======================================================================================


@dataclass(frozen=True)
class Scored:
    """A prediction's probability and explanation from whichever model is active."""

    probability: float
    contributions: dict[str, float]
    top_factors: list[tuple[str, float]]
    model_version: str


def prediction_confidence(features: FeatureVector, probability: float) -> float:
    """``dataQuality × (0.5 + 0.5·|2p − 1|)``."""
    decisiveness = abs(2.0 * probability - 1.0)
    return clip01(features.data_quality * (CONFIDENCE_BASE + (1 - CONFIDENCE_BASE) * decisiveness))


def feature_reason(name: str, value: float) -> str:
    """A feature value in words (for the "why" of a prediction)."""
    pct = f"{round(100 * value)}%"
    if name == "retentionScore":
        return f"predicted recall of its cards is {pct}"
    if name == "retentionDeclineRate":
        return f"recall of its cards is falling (decline {pct} of the scale)"
    if name == "reviewLapseRate":
        return f"{pct} of its reviews in the last 30 days were AGAIN"
    if name == "sessionPerformanceScore":
        return f"recent session performance on it is {round(100 * value)}/100"
    if name == "validationScore":
        return f"its validation answers score {pct} on average"
    if name == "prerequisiteGapCount":
        return f"{pct} of its prerequisites are below {round(100 * PREREQUISITE_MASTERY_THRESHOLD)}% mastery"
    if name == "prerequisiteMasteryGap":
        return f"its prerequisites are {round(100 * (1 - value))}% mastered on average"
    if name == "contentComplexity":
        return f"its complexity is {pct} of the scale"
    if name == "complexityMismatch":
        return f"its complexity is {pct} above your current level"
    if name == "historicalStruggleScore":
        return f"past struggles in this course score {pct}"
    if name == "contentTypeMismatch":
        return f"its format differs from your preferred content ({pct} mismatch)"
    if name == "cognitiveLoadIndicator":
        return f"your recent cognitive load is {round(100 * value)}/100"
    if name == "daysUntilExam":
        if value >= 1.0:
            return f"no exam within {round(EXAM_HORIZON_DAYS)} days"
        return f"its exam is in about {round(EXAM_HORIZON_DAYS * value)} days"
    if name == "daysSinceLastStudy":
        if value >= 1.0:
            return f"not studied for {round(STUDY_GAP_HORIZON_DAYS)} days or more"
        return f"last studied {round(STUDY_GAP_HORIZON_DAYS * value)} days ago"
    if name == "workloadLevel":
        return f"{round(WORKLOAD_FULL_OPEN_OBJECTIVES * value)} objectives open in your missions"
    return f"{name} = {value:.2f}"


def _score(features: FeatureVector, trained: Any) -> Scored:
    """Probability and contributions by the rule baseline (``trained`` None) or the model."""
    if trained is None:
        rule = rule_predict(features)
        return Scored(
            rule.probability,
            rule.contributions,
            rule.top_factors(TOP_FACTOR_COUNT),
            rule.model_version,
        )
    pred = model_predict(trained, features, TOP_FACTOR_COUNT)
    return Scored(pred.probability, pred.contributions, list(pred.top_factors), pred.model_version)


@dataclass(frozen=True)
class GeneratedPrediction:
    """One stored prediction of a generation run."""

    prediction_id: str
    objective: ObjectiveInfo
    candidate: Candidate
    probability: float
    confidence: float
    model_version: str
    features: FeatureVector
    contributions: dict[str, float]
    top_factors: list[tuple[str, float]]
    created: bool
    indicators: list[Indicator]
    interventions: list[tuple[str, Intervention]]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary."""
        values = self.features.as_dict()
        return {
            "predictionId": self.prediction_id,
            "objective": _objective_json(self.objective),
            "dueAt": self.candidate.dueAt,
            "source": self.candidate.source,
            "probability": rounded(self.probability),
            "confidence": rounded(self.confidence),
            "modelVersion": self.model_version,
            "dataQuality": rounded(self.features.data_quality),
            "atRisk": self.probability > AT_RISK_ABOVE,
            "created": self.created,
            "topFactors": [
                {
                    "feature": n,
                    "value": rounded(values[n]),
                    "contribution": rounded(c),
                    "reason": feature_reason(n, values[n]),
                }
                for n, c in self.top_factors
            ],
            "indicators": [
                {
                    "type": i.indicator_type.value,
                    "severity": i.severity.value,
                    "strength": rounded(i.strength),
                }
                for i in self.indicators
            ],
            "interventions": [
                {
                    "id": iid,
                    "type": i.intervention_type.value,
                    "priority": i.priority,
                    "description": i.description,
                    "reasoning": i.reasoning,
                }
                for iid, i in self.interventions
            ],
        }


@dataclass(frozen=True)
class AlertView:
    """An alert about an imminent, likely struggle."""

    prediction_id: str
    objective: ObjectiveInfo
    probability: float
    priority: float
    urgency: float
    due_at: datetime

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "predictionId": self.prediction_id,
            "objective": _objective_json(self.objective),
            "probability": rounded(self.probability),
            "priority": rounded(self.priority, 2),
            "urgency": rounded(self.urgency),
            "dueAt": self.due_at,
        }


@dataclass(frozen=True)
class KeptPrediction:
    """An open prediction left as it was: its objective has been studied since it was made.

    Its outcome is being measured on that study (see ``struggle_outcomes``), so rewriting
    it with features that already contain the study would grade it on its own evidence.
    """

    prediction_id: str
    objective: ObjectiveInfo
    probability: float
    confidence: float
    predicted_at: datetime
    due_at: datetime

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "predictionId": self.prediction_id,
            "objective": _objective_json(self.objective),
            "probability": rounded(self.probability),
            "confidence": rounded(self.confidence),
            "predictedAt": self.predicted_at,
            "dueAt": self.due_at,
        }


@dataclass(frozen=True)
class GenerationResult:
    """What a generation run stored and what deserves an alert."""

    user_id: str
    generated_at: datetime
    model_version: str
    days_ahead: int
    created: int
    updated: int
    indicators: int
    interventions: int
    predictions: list[GeneratedPrediction]
    alerts: list[AlertView]
    awaiting_outcome: list[KeptPrediction] = field(default_factory=list)
    """Open predictions kept as they were while their outcome is measured."""

    @property
    def at_risk(self) -> int:
        """Predictions above 0.5."""
        return sum(1 for p in self.predictions if p.probability > AT_RISK_ABOVE)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "userId": self.user_id,
            "generatedAt": self.generated_at,
            "modelVersion": self.model_version,
            "daysAhead": self.days_ahead,
            "counts": {
                "candidates": len(self.predictions),
                "created": self.created,
                "updated": self.updated,
                "atRisk": self.at_risk,
                "indicators": self.indicators,
                "interventions": self.interventions,
                "alerts": len(self.alerts),
                "awaitingOutcome": len(self.awaiting_outcome),
            },
            "predictions": [p.to_json() for p in self.predictions],
            "awaitingOutcome": [k.to_json() for k in self.awaiting_outcome],
            "alerts": [a.to_json() for a in self.alerts],
        }


def _objective_json(info: ObjectiveInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "text": info.text,
        "complexity": info.complexity,
        "courseId": info.course_id,
        "courseName": info.course_name,
        "lectureId": info.lecture_id,
    }


def _open_predictions(
    session: Session, user_id: str, objective_ids: Sequence[str]
) -> dict[str, StrugglePrediction]:
    """The newest open prediction (PENDING, no outcome, no applied intervention) per objective."""
    rows = session.scalars(
        sa.select(StrugglePrediction)
        .where(
            StrugglePrediction.userId == user_id,
            StrugglePrediction.learningObjectiveId.in_(objective_ids),
            StrugglePrediction.predictionStatus == PredictionStatus.PENDING,
            StrugglePrediction.actualOutcome.is_(None),
            StrugglePrediction.interventionApplied.is_(False),
        )
        .order_by(StrugglePrediction.predictedAt.desc(), StrugglePrediction.id.desc())
    ).all()
    out: dict[str, StrugglePrediction] = {}
    for row in rows:
        out.setdefault(row.learningObjectiveId, row)
    return out


_STUDIED_SINCE_SQL = sa.text(
    """
    SELECT p.id FROM struggle_predictions p
    WHERE p.id = ANY(:ids) AND (
      EXISTS (SELECT 1 FROM cards c JOIN reviews r ON r."cardId" = c.id
              WHERE c."objectiveId" = p."learningObjectiveId" AND r."userId" = p."userId"
                AND r."reviewedAt" > p."predictedAt" AND r."reviewedAt" < :now)
      OR EXISTS (SELECT 1 FROM validation_responses v
                 WHERE v."objectiveId" = p."learningObjectiveId" AND v."userId" = p."userId"
                   AND v."respondedAt" > p."predictedAt" AND v."respondedAt" < :now))
    """
)


def _studied_since(session: Session, prediction_ids: Sequence[str], now: datetime) -> set[str]:
    """Open predictions whose objective was studied (reviewed or validated) after them."""
    if not prediction_ids:
        return set()
    return set(session.scalars(_STUDIED_SINCE_SQL, {"ids": list(prediction_ids), "now": now}))


def _kept_alert_candidates(
    session: Session,
    kept: Sequence[StrugglePrediction],
    dues: Mapping[str, datetime],
    now: datetime,
) -> list[AlertCandidate]:
    """Alert candidates of kept predictions, from what was stored with them."""
    severities: dict[str, list[Severity]] = defaultdict(list)
    for pid, severity in session.execute(
        sa.select(StruggleIndicator.predictionId, StruggleIndicator.severity).where(
            StruggleIndicator.predictionId.in_([k.id for k in kept])
        )
    ):
        if pid is not None:
            severities[pid].append(severity)
    out = []
    for row in kept:
        vector = row.featureVector or {}
        load = (vector.get("features") or {}).get("cognitiveLoadIndicator")
        unknown = "cognitiveLoadIndicator" in (vector.get("unknown") or [])
        top = max(severities[row.id], key=lambda s: SEVERITY_VALUE[s], default=None)
        out.append(
            AlertCandidate(
                prediction_id=row.id,
                probability=row.predictedStruggleProbability,
                confidence=row.predictionConfidence,
                due_in_days=(dues[row.id] - now).total_seconds() / SECONDS_PER_DAY,
                severity=top,
                cognitive_load=0.0 if unknown or load is None else float(load),
            )
        )
    return out


def generate_predictions(
    session: Session, user_id: str, now: datetime, days_ahead: int = DEFAULT_DAYS_AHEAD
) -> GenerationResult:
    """Predict every candidate objective, store the predictions, indicators, interventions.

    404 for an unknown learner, 403 when behavioural analysis is off. ``now`` is naive UTC.
    """
    if not MIN_DAYS_AHEAD <= days_ahead <= MAX_DAYS_AHEAD:
        raise ValueError(f"days_ahead must be {MIN_DAYS_AHEAD}–{MAX_DAYS_AHEAD}, got {days_ahead}")
    learner = learner_state(session, analysis_learner(session, user_id), now)
    lock_learner(session, LearnerLock.STRUGGLE_PREDICTION, user_id)
    data = _load(session, learner, now, timedelta(days=days_ahead))
    candidates = _candidates(data, days_ahead)
    model = active_model(session)
    existing = _open_predictions(session, user_id, [c.objectiveId for c in candidates])
    measuring = _studied_since(session, [p.id for p in existing.values()], now)
    kept_rows = {oid: row for oid, row in existing.items() if row.id in measuring}
    existing = {oid: row for oid, row in existing.items() if row.id not in measuring}
    kept = [
        KeptPrediction(
            prediction_id=row.id,
            objective=data.objectives[c.objectiveId],
            probability=row.predictedStruggleProbability,
            confidence=row.predictionConfidence,
            predicted_at=row.predictedAt,
            due_at=c.dueAt,
        )
        for c in candidates
        if (row := kept_rows.get(c.objectiveId)) is not None
    ]
    candidates = [c for c in candidates if c.objectiveId not in kept_rows]
    contexts = _contexts(data, [c.objectiveId for c in candidates])
    if existing:
        ids = [p.id for p in existing.values()]
        session.execute(sa.delete(StruggleIndicator).where(StruggleIndicator.predictionId.in_(ids)))
        session.execute(
            sa.delete(InterventionRecommendation).where(
                InterventionRecommendation.predictionId.in_(ids),
                InterventionRecommendation.appliedAt.is_(None),
            )
        )
    results: list[GeneratedPrediction] = []
    alert_candidates = _kept_alert_candidates(
        session, list(kept_rows.values()), {k.prediction_id: k.due_at for k in kept}, now
    )
    n_indicators = n_interventions = 0
    for cand in candidates:
        ctx = contexts[cand.objectiveId]
        info = data.objectives[cand.objectiveId]
        features = build_features(ctx)
        scored = _score(features, model.trained)
        confidence = prediction_confidence(features, scored.probability)
        values = features.as_dict()
        vector = {
            "modelVersion": scored.model_version,
            **features.to_json(),
            "contributions": {k: rounded(v) for k, v in scored.contributions.items()},
            "dueAt": cand.dueAt.isoformat(),
            "source": cand.source,
        }
        factors = [
            {"feature": n, "value": rounded(values[n]), "contribution": rounded(c)}
            for n, c in scored.top_factors
        ]
        row = existing.get(cand.objectiveId)
        created = row is None
        if row is None:
            row = StrugglePrediction(id=new_id(), userId=user_id, learningObjectiveId=info.id)
            session.add(row)
        row.topicId = info.topic_tags[0] if info.topic_tags else None
        row.predictedStruggleProbability = scored.probability
        row.predictionConfidence = confidence
        row.predictionStatus = PredictionStatus.PENDING
        row.featureVector = vector
        row.strugglingFactors = factors
        row.predictionDate = now
        row.predictedAt = now
        indicators: list[Indicator] = []
        interventions: list[tuple[str, Intervention]] = []
        if scored.probability > AT_RISK_ABOVE:
            indicators = indicators_for(features, scored.contributions)
            for ind in indicators:
                session.add(
                    StruggleIndicator(
                        id=new_id(),
                        userId=user_id,
                        learningObjectiveId=info.id,
                        predictionId=row.id,
                        indicatorType=ind.indicator_type,
                        severity=ind.severity,
                        context={
                            **ind.context,
                            "strength": rounded(ind.strength),
                            "contribution": rounded(ind.contribution),
                        },
                        detectedAt=now,
                    )
                )
            for iv in interventions_for(features, indicators, learner.profile):
                iid = new_id()
                interventions.append((iid, iv))
                session.add(
                    InterventionRecommendation(
                        id=iid,
                        userId=user_id,
                        predictionId=row.id,
                        interventionType=iv.intervention_type,
                        description=iv.description,
                        reasoning=iv.reasoning,
                        priority=iv.priority,
                        status=InterventionStatus.PENDING,
                        relatedObjectiveId=info.id,
                        createdAt=now,
                    )
                )
        n_indicators += len(indicators)
        n_interventions += len(interventions)
        top_severity = max(
            (i.severity for i in indicators),
            key=lambda s: SEVERITY_VALUE[s],
            default=None,
        )
        alert_candidates.append(
            AlertCandidate(
                prediction_id=row.id,
                probability=scored.probability,
                confidence=confidence,
                due_in_days=(cand.dueAt - now).total_seconds() / SECONDS_PER_DAY,
                severity=top_severity,
                cognitive_load=(
                    0.0
                    if "cognitiveLoadIndicator" in features.unknown
                    else features.cognitive_load_indicator
                ),
            )
        )
        results.append(
            GeneratedPrediction(
                prediction_id=row.id,
                objective=info,
                candidate=cand,
                probability=scored.probability,
                confidence=confidence,
                model_version=scored.model_version,
                features=features,
                contributions=scored.contributions,
                top_factors=scored.top_factors,
                created=created,
                indicators=indicators,
                interventions=interventions,
            )
        )
    session.flush()
    shown: dict[str, tuple[ObjectiveInfo, float, datetime]] = {
        r.prediction_id: (r.objective, r.probability, r.candidate.dueAt) for r in results
    }
    shown.update({k.prediction_id: (k.objective, k.probability, k.due_at) for k in kept})
    alerts = [
        AlertView(
            prediction_id=a.prediction_id,
            objective=shown[a.prediction_id][0],
            probability=shown[a.prediction_id][1],
            priority=a.priority,
            urgency=a.urgency,
            due_at=shown[a.prediction_id][2],
        )
        for a in alerts_for(alert_candidates)
    ]
    created_count = sum(1 for r in results if r.created)
    return GenerationResult(
        user_id=user_id,
        generated_at=now,
        model_version=model.version,
        days_ahead=days_ahead,
        created=created_count,
        updated=len(results) - created_count,
        indicators=n_indicators,
        interventions=n_interventions,
        predictions=sorted(results, key=lambda r: (-r.probability, r.candidate.dueAt)),
        alerts=alerts,
        awaiting_outcome=sorted(kept, key=lambda k: (-k.probability, k.due_at)),
    )


# =======================================================================================
# Reading predictions and interventions
# =======================================================================================


def intervention_json(row: InterventionRecommendation) -> dict[str, Any]:
    """JSON-ready form of an intervention row."""
    return {
        "id": row.id,
        "predictionId": row.predictionId,
        "objectiveId": row.relatedObjectiveId,
        "type": row.interventionType.value,
        "priority": row.priority,
        "description": row.description,
        "reasoning": row.reasoning,
        "status": row.status.value,
        "createdAt": row.createdAt,
        "appliedAt": row.appliedAt,
        "appliedToMissionId": row.appliedToMissionId,
    }


def _indicator_json(row: StruggleIndicator) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.indicatorType.value,
        "severity": row.severity.value,
        "context": dict(row.context or {}),
        "detectedAt": row.detectedAt,
    }


@dataclass(frozen=True)
class PredictionView:
    """A stored prediction with its objective, indicators and interventions."""

    row: StrugglePrediction
    objective: ObjectiveInfo | None
    indicators: list[StruggleIndicator]
    interventions: list[InterventionRecommendation]

    def _vector(self) -> dict[str, Any]:
        return dict(self.row.featureVector or {})

    def top_factors(self) -> list[dict[str, Any]]:
        """The stored top factors with their reasons in words."""
        out = []
        for f in self.row.strugglingFactors or []:
            if isinstance(f, dict) and "feature" in f:
                value = float(f.get("value", 0.0))
                out.append({**f, "reason": feature_reason(str(f["feature"]), value)})
        return out

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        r = self.row
        vector = self._vector()
        due = vector.get("dueAt")
        return {
            "id": r.id,
            "objective": (
                _objective_json(self.objective)
                if self.objective is not None
                else {"id": r.learningObjectiveId}
            ),
            "topicId": r.topicId,
            "probability": rounded(r.predictedStruggleProbability),
            "confidence": rounded(r.predictionConfidence),
            "status": r.predictionStatus.value,
            "modelVersion": vector.get("modelVersion"),
            "dataQuality": vector.get("dataQuality"),
            "source": vector.get("source"),
            "dueAt": datetime.fromisoformat(due) if isinstance(due, str) else None,
            "predictedAt": r.predictedAt,
            "acknowledgedAt": r.acknowledgedAt,
            "actualOutcome": r.actualOutcome,
            "actualOutcomeRecordedAt": r.actualOutcomeRecordedAt,
            "interventionApplied": r.interventionApplied,
            "interventionId": r.interventionId,
            "topFactors": self.top_factors(),
            "indicators": [_indicator_json(i) for i in self.indicators],
            "interventions": [intervention_json(i) for i in self.interventions],
        }

    def why(self) -> dict[str, Any]:
        """Every feature: value, whether unknown, contribution, in words; model and top factors."""
        vector = self._vector()
        features = vector.get("features") or {}
        unknown = set(vector.get("unknown") or [])
        contributions = vector.get("contributions") or {}
        rows = []
        for name in FEATURE_NAMES:
            value = float(features.get(name, 0.5))
            rows.append(
                {
                    "feature": name,
                    "value": value,
                    "unknown": name in unknown,
                    "contribution": float(contributions.get(name, 0.0)),
                    "reason": "not measured" if name in unknown else feature_reason(name, value),
                }
            )
        return {
            "modelVersion": vector.get("modelVersion"),
            "dataQuality": vector.get("dataQuality"),
            "probability": rounded(self.row.predictedStruggleProbability),
            "features": rows,
            "topFactors": [f["reason"] for f in self.top_factors()],
        }


@dataclass(frozen=True)
class PredictionList:
    """Predictions matching a filter, and counts over all of the learner's predictions."""

    predictions: list[PredictionView]
    stats: dict[str, Any]


def _objective_infos(session: Session, objective_ids: Sequence[str]) -> dict[str, ObjectiveInfo]:
    if not objective_ids:
        return {}
    return _objective_rows(
        session,
        sa.text(f"{_OBJECTIVE_INFO_SQL} WHERE o.id = ANY(:ids)").bindparams(_IDS),
        {"ids": list(objective_ids)},
    )


def _views(session: Session, rows: Sequence[StrugglePrediction]) -> list[PredictionView]:
    """Prediction rows with their objectives, indicators and interventions (3 queries)."""
    ids = [r.id for r in rows]
    infos = _objective_infos(session, sorted({r.learningObjectiveId for r in rows}))
    indicators: dict[str, list[StruggleIndicator]] = defaultdict(list)
    interventions: dict[str, list[InterventionRecommendation]] = defaultdict(list)
    if ids:
        for ind in session.scalars(
            sa.select(StruggleIndicator)
            .where(StruggleIndicator.predictionId.in_(ids))
            .order_by(StruggleIndicator.detectedAt, StruggleIndicator.id)
        ):
            indicators[ind.predictionId or ""].append(ind)
        for iv in session.scalars(
            sa.select(InterventionRecommendation)
            .where(InterventionRecommendation.predictionId.in_(ids))
            .order_by(InterventionRecommendation.priority.desc(), InterventionRecommendation.id)
        ):
            interventions[iv.predictionId or ""].append(iv)
    for v in indicators.values():
        v.sort(key=lambda i: -SEVERITY_RANK.get(i.severity.value, 0))
    return [
        PredictionView(r, infos.get(r.learningObjectiveId), indicators[r.id], interventions[r.id])
        for r in rows
    ]


def list_predictions(
    session: Session,
    user_id: str,
    *,
    status: PredictionStatus | str | None = None,
    min_probability: float = AT_RISK_ABOVE,
    limit: int = DEFAULT_LIST_LIMIT,
) -> PredictionList:
    """The learner's predictions with p ≥ ``min_probability`` (and ``status``), most likely first.

    ``stats`` counts all of the learner's predictions: by status, at risk, with outcomes.
    """
    analysis_learner(session, user_id)
    query = sa.select(StrugglePrediction).where(
        StrugglePrediction.userId == user_id,
        StrugglePrediction.predictedStruggleProbability >= min_probability,
    )
    if status is not None:
        query = query.where(StrugglePrediction.predictionStatus == PredictionStatus(status))
    rows = session.scalars(
        query.order_by(
            StrugglePrediction.predictedStruggleProbability.desc(),
            StrugglePrediction.predictedAt.desc(),
            StrugglePrediction.id,
        ).limit(max(1, min(limit, MAX_LIST_LIMIT)))
    ).all()
    by_status = dict.fromkeys((s.value for s in PredictionStatus), 0)
    total = at_risk = with_outcome = 0
    for st, n, risky, outcome in session.execute(
        sa.text(
            'SELECT "predictionStatus"::text, count(*), '
            'count(*) FILTER (WHERE "predictedStruggleProbability" > :risk), '
            'count(*) FILTER (WHERE "actualOutcome" IS NOT NULL) '
            'FROM struggle_predictions WHERE "userId" = :u GROUP BY 1'
        ),
        {"u": user_id, "risk": AT_RISK_ABOVE},
    ):
        by_status[st] = int(n)
        total += int(n)
        at_risk += int(risky)
        with_outcome += int(outcome)
    stats = {
        "total": total,
        "atRisk": at_risk,
        "withOutcome": with_outcome,
        "byStatus": by_status,
        "returned": len(rows),
    }
    return PredictionList(_views(session, rows), stats)


def prediction_detail(session: Session, user_id: str, prediction_id: str) -> PredictionView:
    """One of the learner's predictions with everything behind it (404 if not theirs)."""
    analysis_learner(session, user_id)
    row = session.scalars(
        sa.select(StrugglePrediction).where(
            StrugglePrediction.id == prediction_id, StrugglePrediction.userId == user_id
        )
    ).first()
    if row is None:
        raise NotFound(f"learner {user_id!r} has no prediction {prediction_id!r}")
    return _views(session, [row])[0]


def list_interventions(
    session: Session, user_id: str, *, status: InterventionStatus | str | None = None
) -> list[InterventionRecommendation]:
    """The learner's interventions (optionally of one status), highest priority, newest first."""
    analysis_learner(session, user_id)
    query = sa.select(InterventionRecommendation).where(
        InterventionRecommendation.userId == user_id
    )
    if status is not None:
        query = query.where(InterventionRecommendation.status == InterventionStatus(status))
    return list(
        session.scalars(
            query.order_by(
                InterventionRecommendation.priority.desc(),
                InterventionRecommendation.createdAt.desc(),
                InterventionRecommendation.id,
            )
        ).all()
    )


# =======================================================================================
# Applying an intervention to a mission
# =======================================================================================

MISSION_ENTRY_KEYS = {
    "break_interval_minutes": "breakIntervalMinutes",
    "content_type": "contentType",
    "extra_review_sessions": "extraReviewSessions",
    "difficulty_ramp": "difficultyRamp",
}
"""Pure ``Mission`` fields kept on the objective's entry of ``missions.objectives``."""


@dataclass(frozen=True)
class ApplyResult:
    """The applied intervention and the mission before and after."""

    intervention: InterventionRecommendation
    mission: MissionRow
    before: dict[str, Any]
    after: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        m = self.mission
        return {
            "intervention": intervention_json(self.intervention),
            "mission": {
                "id": m.id,
                "date": m.date,
                "status": m.status.value,
                "estimatedMinutes": m.estimatedMinutes,
                "recommendedDuration": m.recommendedDuration,
                "objectives": list(m.objectives),
            },
            "before": self.before,
            "after": self.after,
        }


def _choose_mission(
    session: Session, user_id: str, objective_id: str | None, mission_id: str | None, now: datetime
) -> MissionRow:
    """The given mission (404 / 409 when not usable) or the next PENDING one."""
    if mission_id is not None:
        mission = session.scalars(
            sa.select(MissionRow)
            .where(MissionRow.id == mission_id, MissionRow.userId == user_id)
            .with_for_update()
        ).first()
        if mission is None:
            raise NotFound(f"learner {user_id!r} has no mission {mission_id!r}")
        if mission.status != MissionStatus.PENDING:
            raise Conflict(
                f"mission {mission_id!r} is {mission.status.value}: interventions change only "
                "PENDING missions",
                details={"missionId": mission_id, "status": mission.status.value},
            )
        return mission
    pending = session.scalars(
        sa.select(MissionRow)
        .where(
            MissionRow.userId == user_id,
            MissionRow.status == MissionStatus.PENDING,
            MissionRow.date >= now - PENDING_MISSION_GRACE,
        )
        .order_by(MissionRow.date, MissionRow.id)
        .with_for_update()
    ).all()
    for m in pending:
        if objective_id is not None and objective_id in _json_ids(m.objectives):
            return m
    if not pending:
        raise Conflict(
            f"learner {user_id!r} has no PENDING mission to apply the intervention to; "
            "create one or pass missionId",
            details={"missionId": None},
        )
    return pending[0]


def _mission_summary(m: MissionRow) -> dict[str, Any]:
    return {
        "estimatedMinutes": m.estimatedMinutes,
        "recommendedDuration": m.recommendedDuration,
        "objectiveIds": _json_ids(m.objectives),
    }


def apply_intervention(
    session: Session,
    user_id: str,
    intervention_id: str,
    *,
    mission_id: str | None = None,
    now: datetime,
) -> ApplyResult:
    """Apply one of the learner's interventions to a mission (see the module docstring).

    404: unknown learner, intervention or mission; 403: analysis off; 409: already
    applied, mission not PENDING, or no PENDING mission.
    """
    learner = learner_state(session, analysis_learner(session, user_id), now)
    iv = session.scalars(
        sa.select(InterventionRecommendation)
        .where(
            InterventionRecommendation.id == intervention_id,
            InterventionRecommendation.userId == user_id,
        )
        .with_for_update()
    ).first()
    if iv is None:
        raise NotFound(f"learner {user_id!r} has no intervention {intervention_id!r}")
    if iv.appliedAt is not None or iv.status != InterventionStatus.PENDING:
        raise Conflict(
            f"intervention {intervention_id!r} was already applied"
            + (f" to mission {iv.appliedToMissionId!r}" if iv.appliedToMissionId else "")
            + f" (status {iv.status.value})",
            details={"interventionId": intervention_id, "status": iv.status.value},
        )
    objective_id = iv.relatedObjectiveId
    mission = _choose_mission(session, user_id, objective_id, mission_id, now)
    before = _mission_summary(mission)
    entries: list[Any] = [
        dict(e) if isinstance(e, dict) else {"objectiveId": e} if isinstance(e, str) else e
        for e in mission.objectives or []
    ]
    ids = _json_ids(entries)
    estimated = float(mission.estimatedMinutes)
    if objective_id is not None and objective_id not in ids:
        per = round(estimated / len(ids)) if ids else round(estimated)
        entries.append({"objectiveId": objective_id, "estimatedMinutes": per, "completed": False})
        estimated += per if ids else 0
        ids.append(objective_id)
    entry = next(
        (e for e in entries if isinstance(e, dict) and e.get("objectiveId") == objective_id),
        {},
    )
    pure = Mission(
        objective_ids=tuple(ids),
        estimated_minutes=estimated,
        break_interval_minutes=entry.get("breakIntervalMinutes"),
        content_type=entry.get("contentType"),
        extra_review_sessions=int(entry.get("extraReviewSessions", 0)),
        difficulty_ramp=bool(entry.get("difficultyRamp", False)),
    )
    weak: list[str] = []
    if objective_id is not None and iv.interventionType == InterventionType.PREREQUISITE_REVIEW:
        data = _load(session, learner, now, WORKLOAD_HORIZON)
        recalls = data.objective_recalls()
        weak = [
            p
            for p, m in _prerequisite_masteries(data, recalls, objective_id)
            if m < PREREQUISITE_MASTERY_THRESHOLD
        ]
    changed = apply_to_mission(
        pure,
        iv.interventionType,
        objective_id=objective_id or "",
        weak_prerequisite_ids=weak,
        profile=learner.profile,
    )
    by_id = {e["objectiveId"]: e for e in entries if isinstance(e, dict) and "objectiveId" in e}
    new_entries: list[Any] = []
    for oid in changed.objective_ids:
        if oid in by_id:
            new_entries.append(by_id[oid])
        else:
            new_entries.append(
                {
                    "objectiveId": oid,
                    "estimatedMinutes": round(PREREQUISITE_REVIEW_MINUTES),
                    "completed": False,
                    "prerequisiteFor": objective_id,
                    "interventionId": iv.id,
                }
            )
    new_entries.extend(e for e in entries if not (isinstance(e, dict) and "objectiveId" in e))
    if objective_id is not None and objective_id in by_id:
        target = by_id[objective_id]
        for attr, key in MISSION_ENTRY_KEYS.items():
            value = getattr(changed, attr)
            if value != getattr(pure, attr) or key in target:
                target[key] = value
        target["interventions"] = [*target.get("interventions", []), iv.id]
    if mission.estimatedMinutes > 0 and mission.recommendedDuration is not None:
        ratio = changed.estimated_minutes / float(mission.estimatedMinutes)
        mission.recommendedDuration = round(mission.recommendedDuration * ratio)
    mission.estimatedMinutes = round(changed.estimated_minutes)
    mission.objectives = new_entries
    iv.appliedAt = now
    iv.appliedToMissionId = mission.id
    iv.status = InterventionStatus.IN_PROGRESS
    if iv.predictionId is not None:
        session.execute(
            sa.update(StrugglePrediction)
            .where(StrugglePrediction.id == iv.predictionId)
            .values(interventionApplied=True, interventionId=iv.id)
        )
    session.flush()
    return ApplyResult(iv, mission, before, _mission_summary(mission))
