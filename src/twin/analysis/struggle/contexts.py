"""What prediction knows of a learner's objectives at one date: contexts and candidates (pure).

The service loads a :class:`LearnerData` (one learner, one ``now``; only data recorded
strictly before ``now``) and hands it here:

- :func:`objective_contexts` builds each objective's :class:`~twin.analysis.struggle.features.ObjectiveContext`
  (the inputs of the 15 features);
- :func:`candidates` chooses the objectives to predict and when each is due.

**Feature sources** (the ``ObjectiveContext`` fields they fill):

- *Recall of a card at t*: its last review before t (stability after that review) and
  the learner's recall weights: ``R = retrievability(weights, stability, days since
  that review)``. Reviews without a memory state (stability ≤ 0) are skipped.
- ``recall_predictions``: recall at ``now`` of each of the objective's reviewed cards.
- ``recall_trend_per_week``: mean recall at ``now`` minus mean recall at ``now − 7 d``
  over the cards reviewed before ``now − 7 d`` (unknown when there are none).
- ``reviews_30d`` / ``again_30d``: the objective's reviews in the 30 days before ``now``.
- ``recent_session_performance``: mean session performance (0–100) of the learner's
  missions completed in the 30 days before ``now`` that planned the objective.
- ``validation_scores``: the objective's validation scores of the 30 days before ``now``.
- ``prerequisite_masteries``: per prerequisite the mean recall at ``now`` of its reviewed
  cards, else its mastery level mapped to NOT_STARTED 0 · BEGINNER 0.25 · INTERMEDIATE
  0.5 · ADVANCED 0.75 · MASTERED 1.
- ``learner_ability`` on the complexity scale (BASIC 0.3 … ADVANCED 0.9): from the
  learner's mean validation score q over the 90 days before ``now`` (all objectives, at
  least 5 answers, else unknown): ``0.3 + 0.6·clip((q − 0.5) / 0.4, 0, 1)`` — a learner
  answering at 90% or more handles ADVANCED content, at 50% or less BASIC only.
- ``past_struggles_in_course`` / ``past_outcomes_in_course``: the learner's recorded
  outcomes on *other* objectives of the same course.
- ``content_type_mismatch``: the objective's cards as content types (BASIC and CLOZE →
  flashcard, CLINICAL_REASONING → clinical_reasoning) against the profile's content
  preferences: ``1 − Σ shareₜ·prefₜ / maxₜ prefₜ`` (0 when the objective is all in the
  learner's preferred format; unknown without preferences or cards).
- ``recent_mean_cognitive_load``: mean load of the 7 days before ``now``.
- ``days_until_exam``: the next exam (date ≥ ``now``) of the objective's course whose
  coverage topics meet the lecture's topic tags (empty coverage = whole course).
- ``days_since_last_study``: since the objective's last review or validation before ``now``.
- ``open_objectives``: distinct objectives of the learner's missions *pending as of
  now* dated from 24 h before to 14 days after ``now``.

**Candidates**: objectives of missions pending as of ``now`` dated from 24 h before
``now`` (today's mission) to ``days_ahead`` days after (status PENDING, or COMPLETED /
IN_PROGRESS with the completion / start not before ``now`` — at a past cut date such a
mission was still pending; SKIPPED missions are not), objectives covered by exams
within ``days_ahead`` days, then the 5 objectives with the lowest retention among the
others. Only objectives of lectures uploaded before ``now``. ``dueAt`` is the earliest
mission (not before ``now``) / exam date (weakest: ``now + days_ahead``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from twin.analysis.common import clip01
from twin.analysis.recall import FsrsWeights
from twin.analysis.recall.fsrs6 import retrievability
from twin.analysis.struggle.features import COMPLEXITY_VALUE, ObjectiveContext
from twin.enums import MissionStatus, ObjectiveComplexity

# --- windows (the service loads what they need, strictly before ``now``) -------------------
DECLINE_WINDOW = timedelta(days=7)
"""Recall trend: recall at ``now`` against recall this long before."""
LAPSE_WINDOW = timedelta(days=30)
"""Reviews and AGAINs counted for the lapse rate."""
VALIDATION_WINDOW = timedelta(days=30)
"""Validation answers of the objective counted for its validation score."""
SESSION_PERFORMANCE_WINDOW = timedelta(days=30)
"""Completed missions whose session performance counts for their objectives."""
ABILITY_WINDOW = timedelta(days=90)
"""Validation answers (all objectives) behind the learner's ability."""
LOAD_WINDOW = timedelta(days=7)
"""Cognitive-load readings averaged for the load feature."""
WORKLOAD_HORIZON = timedelta(days=14)
"""Pending missions this far ahead count as open work."""
PENDING_MISSION_GRACE = timedelta(hours=24)
"""Missions dated from this long before ``now`` still count as today's (pending) work."""

# --- ability ---------------------------------------------------------------------------------
ABILITY_MIN_VALIDATIONS = 5
ABILITY_SCORE_FLOOR = 0.5
"""Mean validation score at or below which the learner's ability is BASIC (0.3)."""
ABILITY_SCORE_CEILING = 0.9
"""Mean validation score at or above which the learner's ability is ADVANCED (0.9)."""
ABILITY_LOW = COMPLEXITY_VALUE[ObjectiveComplexity.BASIC]
ABILITY_HIGH = COMPLEXITY_VALUE[ObjectiveComplexity.ADVANCED]

MASTERY_LEVEL_VALUE: dict[str, float] = {
    "NOT_STARTED": 0.0,
    "BEGINNER": 0.25,
    "INTERMEDIATE": 0.5,
    "ADVANCED": 0.75,
    "MASTERED": 1.0,
}
"""A prerequisite's mastery (0–1) from its stored level when none of its cards was reviewed."""
CARD_CONTENT_TYPE: dict[str, str] = {
    "BASIC": "flashcard",
    "CLOZE": "flashcard",
    "CLINICAL_REASONING": "clinical_reasoning",
}
"""Content type of a card type, as the profile's content preferences name them."""
DEFAULT_CONTENT_TYPE = "flashcard"

# --- candidates ------------------------------------------------------------------------------
WEAKEST_COUNT = 5
"""Objectives with the lowest retention added to the candidates."""
SOURCE_MISSION = "mission"
SOURCE_EXAM = "exam"
SOURCE_WEAKEST = "weakest"
SOURCE_ORDER = {SOURCE_MISSION: 0, SOURCE_EXAM: 1, SOURCE_WEAKEST: 2}
"""When two sources give the same due date, a mission beats an exam beats "weakest"."""
SECONDS_PER_DAY = 86_400.0


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


@dataclass(frozen=True, slots=True)
class CardFacts:
    """One card's reviews as of ``now`` and as of ``now − 7 d`` (its last review before each)."""

    objective_id: str | None
    card_type: str
    stability_now: float | None = None
    last_now: datetime | None = None
    stability_past: float | None = None
    last_past: datetime | None = None
    reviews_30d: int = 0
    again_30d: int = 0


@dataclass(frozen=True, slots=True)
class ValidationFacts:
    """One validation answer of the last 90 days."""

    objective_id: str | None
    score: float
    at: datetime


@dataclass(frozen=True, slots=True)
class MissionFacts:
    """A mission dated around ``now`` or completed in the last 30 days."""

    id: str
    date: datetime
    status: str
    completed_at: datetime | None
    started_at: datetime | None
    performance: float | None
    objective_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExamFacts:
    """An exam dated at or after ``now``."""

    id: str
    course_id: str
    date: datetime
    coverage_topics: tuple[str, ...]


@dataclass(frozen=True)
class LearnerData:
    """Everything prediction reads of one learner at one ``now`` (recorded before ``now``)."""

    now: datetime
    weights: FsrsWeights
    """The learner's recall weights as of ``now`` (FSRS-6 defaults when none was fitted)."""
    content_preferences: Mapping[str, float] | None
    """None: no profile analysed before ``now`` (or empty preferences)."""
    objectives: Mapping[str, ObjectiveInfo]
    cards: Sequence[CardFacts]
    prerequisites: Mapping[str, Sequence[str]]
    validations: Sequence[ValidationFacts]
    missions: Sequence[MissionFacts]
    exams: Sequence[ExamFacts]
    """Ordered by date."""
    outcomes: Mapping[str, tuple[int, int]]
    """objective id → (struggled, recorded) of predictions with outcomes recorded before now."""
    mean_load: float | None

    def recall(self, stability: float | None, last: datetime | None, at: datetime) -> float | None:
        """Recall at ``at`` of a card last reviewed at ``last`` with ``stability`` (None: no state)."""
        if stability is None or last is None or stability <= 0:
            return None
        elapsed = (at - last).total_seconds() / SECONDS_PER_DAY
        return retrievability(self.weights, stability, elapsed)

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


def mission_objective_ids(entries: Any) -> list[str]:
    """Objective ids of a ``missions.objectives`` JSON list (dicts with ``objectiveId`` or plain ids)."""
    out: list[str] = []
    if not isinstance(entries, list):
        return out
    for e in entries:
        if isinstance(e, dict) and isinstance(e.get("objectiveId"), str):
            out.append(e["objectiveId"])
        elif isinstance(e, str):
            out.append(e)
    return out


def pending_as_of(
    status: str, completed_at: datetime | None, started_at: datetime | None, now: datetime
) -> bool:
    """Whether a mission was still pending at ``now`` (done or started at or after ``now`` counts)."""
    if status == MissionStatus.PENDING.value:
        return True
    if status in (MissionStatus.COMPLETED.value, MissionStatus.IN_PROGRESS.value):
        done = completed_at if completed_at is not None else started_at
        return done is None or done >= now
    return False


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def learner_ability(data: LearnerData) -> float | None:
    """Learner ability on the complexity scale from the mean validation score of 90 days."""
    scores = [v.score for v in data.validations]
    if len(scores) < ABILITY_MIN_VALIDATIONS:
        return None
    q = _mean(scores)
    span = ABILITY_SCORE_CEILING - ABILITY_SCORE_FLOOR
    return ABILITY_LOW + (ABILITY_HIGH - ABILITY_LOW) * clip01((q - ABILITY_SCORE_FLOOR) / span)


def content_mismatch(type_counts: Mapping[str, int], prefs: Mapping[str, float]) -> float | None:
    """1 − preference of the objective's content mix relative to the preferred type's."""
    total = sum(type_counts.values())
    best = max(prefs.values(), default=0.0)
    if total <= 0 or best <= 0:
        return None
    matched = math.fsum(n / total * prefs.get(t, 0.0) for t, n in type_counts.items())
    return clip01(1.0 - matched / best)


def prerequisite_masteries(
    data: LearnerData, recalls: Mapping[str, list[float]], objective_id: str
) -> list[tuple[str, float]]:
    """(prerequisite id, mastery 0–1) of each prerequisite of the objective."""
    out = []
    for pre in data.prerequisites.get(objective_id, ()):
        if recalls.get(pre):
            out.append((pre, _mean(recalls[pre])))
        else:
            info = data.objectives.get(pre)
            level = info.mastery_level if info is not None else "NOT_STARTED"
            out.append((pre, MASTERY_LEVEL_VALUE.get(level, 0.0)))
    return out


def next_exam_days(data: LearnerData, info: ObjectiveInfo) -> float | None:
    """Days until the next exam of the objective's course that covers its lecture's topics."""
    tags = set(info.topic_tags)
    for exam in data.exams:  # ordered by date
        if exam.course_id == info.course_id and (
            not exam.coverage_topics or tags & set(exam.coverage_topics)
        ):
            return (exam.date - data.now).total_seconds() / SECONDS_PER_DAY
    return None


def open_objectives(data: LearnerData) -> int:
    """Distinct objectives of the missions pending as of now within the workload horizon."""
    ids: set[str] = set()
    for m in data.missions:
        if data.now - PENDING_MISSION_GRACE <= m.date < data.now + WORKLOAD_HORIZON and (
            pending_as_of(m.status, m.completed_at, m.started_at, data.now)
        ):
            ids.update(m.objective_ids)
    return len(ids)


def objective_contexts(
    data: LearnerData, objective_ids: Iterable[str]
) -> dict[str, ObjectiveContext]:
    """The feature inputs of the given objectives (ids that are not the learner's are left out)."""
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
        type_counts[o][CARD_CONTENT_TYPE.get(c.card_type, DEFAULT_CONTENT_TYPE)] += 1
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
    for v in data.validations:
        if v.objective_id is None:
            continue
        if v.at >= now - VALIDATION_WINDOW:
            validations[v.objective_id].append(v.score)
        if v.objective_id not in last_study or v.at > last_study[v.objective_id]:
            last_study[v.objective_id] = v.at
    performance: dict[str, list[float]] = defaultdict(list)
    for m in data.missions:
        if (
            m.performance is not None
            and m.completed_at is not None
            and now - SESSION_PERFORMANCE_WINDOW <= m.completed_at < now
        ):
            for obj in set(m.objective_ids):
                performance[obj].append(float(m.performance))
    course_outcomes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for obj, (struggled, recorded) in data.outcomes.items():
        info = data.objectives.get(obj)
        if info is not None:
            course_outcomes[info.course_id][0] += struggled
            course_outcomes[info.course_id][1] += recorded
    ability = learner_ability(data)
    open_count = open_objectives(data)
    prefs = data.content_preferences
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
            prerequisite_masteries=tuple(m for _p, m in prerequisite_masteries(data, recalls, oid)),
            complexity=ObjectiveComplexity(info.complexity),
            learner_ability=ability,
            past_struggles_in_course=course_struggled - own_struggled,
            past_outcomes_in_course=course_recorded - own_recorded,
            content_type_mismatch=(
                None if prefs is None else content_mismatch(type_counts.get(oid, {}), prefs)
            ),
            recent_mean_cognitive_load=data.mean_load,
            days_until_exam=next_exam_days(data, info),
            days_since_last_study=(
                None if last is None else (now - last).total_seconds() / SECONDS_PER_DAY
            ),
            open_objectives=open_count,
        )
    return out


@dataclass(frozen=True)
class Candidate:
    """An objective to predict: when it is due and why it was chosen."""

    objectiveId: str
    dueAt: datetime
    source: str
    """``mission``, ``exam`` or ``weakest``."""
    sourceId: str | None = None
    """The mission or exam id (None for weakest)."""


def candidates(data: LearnerData, days_ahead: int) -> list[Candidate]:
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

    for m in data.missions:
        if now - PENDING_MISSION_GRACE <= m.date <= until and pending_as_of(
            m.status, m.completed_at, m.started_at, now
        ):
            for o in m.objective_ids:
                offer(Candidate(o, max(m.date, now), SOURCE_MISSION, m.id))
    for exam in data.exams:
        if exam.date > until:
            continue
        cover = set(exam.coverage_topics)
        for o, info in data.objectives.items():
            if info.course_id == exam.course_id and (not cover or cover & set(info.topic_tags)):
                offer(Candidate(o, exam.date, SOURCE_EXAM, exam.id))
    recalls = data.objective_recalls()
    weakest = sorted(
        ((_mean(r), o) for o, r in recalls.items() if o in available and o not in best),
    )[:WEAKEST_COUNT]
    for _r, o in weakest:
        offer(Candidate(o, until, SOURCE_WEAKEST))
    return sorted(best.values(), key=lambda c: (c.dueAt, SOURCE_ORDER[c.source], c.objectiveId))
