"""Which recorded study decides a prediction's outcome, and what it decides (pure).

The service loads the learner's PENDING predictions and their study items (reviews and
validation answers, time-ordered) and hands them to :func:`decide_outcomes`; it writes
what comes back. :func:`window_verdicts` judges every objective studied in a window
(the struggle-reduction measure). Days are the learner's *local* calendar days and
only whole days count (study before the local midnight that starts ``now``'s day), so
an outcome never changes as more of the same day's reviews arrive.

*The evidence rule* (``evidence-v1``, :func:`~twin.analysis.struggle.outcomes.sequential_outcome`)
decides whenever the learner has a baseline: how they do on *other* objectives from
30 days before the prediction to the end of the evidence window (non-first reviews
recalled, ≥ 30; mean validation score, ≥ 5 answers). The evidence is the objective's
own non-first reviews and validation answers after the prediction, for at most
:data:`NEVER_STUDIED_DISMISS_DAYS` days. First reviews of a card are left out on both
sides: they measure how new material goes, not whether this objective is hard for
this learner.

*The ENGINE rule* (``engine-v1``) decides when there is no baseline yet: the first
complete local day after the prediction on which the learner reviewed the objective's
cards ≥ :data:`MIN_REVIEWS_FOR_OUTCOME` times or answered a validation prompt on it,
judged by :func:`~twin.analysis.struggle.outcomes.automatic_outcome`. Its verdict is
kept for every prediction either way, so both rules can be compared on the same data.

Not decided 30 days after the prediction: DISMISSED (``inconclusive`` when studied,
``never_studied`` otherwise). One outcome per objective and study day: when several
predictions of an objective are decided on the same day, the latest records it and
the older ones become DISMISSED (``superseded``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from twin.analysis.common import local_date, local_midnight_utc, rounded
from twin.analysis.struggle.outcomes import (
    ENGINE_RULE,
    EVIDENCE_RULE,
    STRUGGLE_AGAIN_AT_LEAST,
    EvidenceDecision,
    EvidenceItem,
    OutcomeBaseline,
    automatic_outcome,
    outcome_baseline,
    prediction_status,
    sequential_outcome,
    window_verdict,
)
from twin.enums import PredictionStatus

MIN_REVIEWS_FOR_OUTCOME = STRUGGLE_AGAIN_AT_LEAST
"""Reviews of an objective's cards on one local day that make it a study day (3)."""

MIN_VALIDATIONS_FOR_OUTCOME = 1
"""Validation answers on an objective on one local day that make it a study day."""

NEVER_STUDIED_DISMISS_DAYS = 30
"""A prediction whose objective is not decided this many days after it becomes DISMISSED."""

BASELINE_DAYS = 30
"""The learner's baseline comes from other objectives from this long before the prediction."""

REASON_STUDIED = "studied"
REASON_SUPERSEDED = "superseded"
REASON_NEVER_STUDIED = "never_studied"
REASON_INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True, slots=True)
class StudyItem:
    """One study item of the learner: a review (``again`` set) or a validation answer (``score``)."""

    objective_id: str
    at: datetime
    again: bool | None
    first: bool
    """A card's first review (no memory state before it): not evidence of difficulty."""
    score: float | None


@dataclass(frozen=True)
class PendingPrediction:
    """A PENDING prediction without learner feedback, as the capture needs it."""

    id: str
    objective_id: str
    predicted_at: datetime
    probability: float


@dataclass(frozen=True)
class DayObservation:
    """What the learner did on one objective on one local day (after a prediction)."""

    reviews: int = 0
    again: int = 0
    validation_scores: tuple[float, ...] = ()

    @property
    def qualifies(self) -> bool:
        """Enough study to judge: ≥ 3 reviews or ≥ 1 validation answer."""
        return (
            self.reviews >= MIN_REVIEWS_FOR_OUTCOME
            or len(self.validation_scores) >= MIN_VALIDATIONS_FOR_OUTCOME
        )

    @property
    def accuracy(self) -> float | None:
        """Share of reviews recalled (rating ≠ AGAIN); None below 3 reviews."""
        if self.reviews < MIN_REVIEWS_FOR_OUTCOME:
            return None
        return (self.reviews - self.again) / self.reviews

    @property
    def validation(self) -> float | None:
        """Mean validation score (0–1), None without answers."""
        if not self.validation_scores:
            return None
        return sum(self.validation_scores) / len(self.validation_scores)

    def struggled(self) -> bool | None:
        """The automatic outcome of ENGINE.md 5.2 for this day."""
        return automatic_outcome(
            self.accuracy, self.again if self.reviews > 0 else None, self.validation
        )


def _maybe_rounded(x: float | None) -> float | None:
    return None if x is None else rounded(x)


@dataclass(frozen=True)
class OutcomeEvidence:
    """What the automatic capture measured for one prediction (also kept on the prediction)."""

    rule: str
    """:data:`EVIDENCE_RULE` (the sequential test) or :data:`ENGINE_RULE` (no baseline yet)."""
    baseline: OutcomeBaseline
    decision: EvidenceDecision | None
    """The sequential test (evidence rule only)."""
    engine_verdict: bool | None
    """What the ENGINE rule says on the first study day (kept for comparison)."""
    engine_day: date | None

    def stored_json(self) -> dict[str, Any]:
        """As stored in ``featureVector.outcome``."""
        d = self.decision
        return {
            "rule": self.rule,
            "baselineAccuracy": _maybe_rounded(self.baseline.accuracy),
            "baselineValidation": _maybe_rounded(self.baseline.validation),
            "baselineReviews": self.baseline.reviews,
            "baselineValidations": self.baseline.validations,
            "reviews": None if d is None else d.reviews,
            "again": None if d is None else d.again,
            "validations": None if d is None else d.validations,
            "logLikelihoodRatio": None if d is None else rounded(d.log_likelihood_ratio),
            "engineRuleStruggled": self.engine_verdict,
            "engineRuleDay": None if self.engine_day is None else self.engine_day.isoformat(),
        }


@dataclass(frozen=True)
class CapturedOutcome:
    """What the capture did to one prediction."""

    prediction_id: str
    objective_id: str
    status: PredictionStatus
    reason: str
    """``studied`` (outcome recorded); DISMISSED: ``superseded``, ``never_studied``, ``inconclusive``."""
    struggled: bool | None = None
    study_date: date | None = None
    observation: DayObservation | None = None
    """The ENGINE rule's study day (when there was one)."""
    evidence: OutcomeEvidence | None = None


def first_study_day(
    items: Sequence[StudyItem], after: datetime, zone: tzinfo, now: datetime
) -> tuple[date, DayObservation] | None:
    """The first complete local day after ``after`` that qualifies, with its observation."""
    days: dict[date, list[StudyItem]] = {}
    for item in items:
        if item.at > after:
            days.setdefault(local_date(item.at, zone), []).append(item)
    for day in sorted(days):
        entries = days[day]
        obs = DayObservation(
            reviews=sum(1 for i in entries if i.score is None),
            again=sum(1 for i in entries if i.score is None and i.again),
            validation_scores=tuple(i.score for i in entries if i.score is not None),
        )
        if obs.qualifies:
            if local_midnight_utc(day + timedelta(days=1), zone) > now:
                return None  # the study day is not over yet: wait for it
            return day, obs
    return None


class StudyTotals:
    """Running sums of time-ordered items, for the baseline of any window in O(log n)."""

    def __init__(self, items: Sequence[StudyItem]) -> None:
        self.times = [i.at for i in items]
        reviews = again = validations = 0
        score = 0.0
        self.sums: list[tuple[int, int, int, float]] = [(0, 0, 0, 0.0)]
        for i in items:
            if i.score is not None:
                validations += 1
                score += i.score
            elif not i.first:
                reviews += 1
                again += 1 if i.again else 0
            self.sums.append((reviews, again, validations, score))

    def window(self, since: datetime, until: datetime) -> tuple[int, int, int, float]:
        """(non-first reviews, AGAINs among them, validations, score sum) in [since, until)."""
        lo = bisect_left(self.times, since)
        hi = bisect_left(self.times, until)
        a, b = self.sums[lo], self.sums[hi]
        return b[0] - a[0], b[1] - a[1], b[2] - a[2], b[3] - a[3]


def baseline_between(
    everything: StudyTotals, own: StudyTotals, since: datetime, until: datetime
) -> OutcomeBaseline:
    """The learner's baseline on the other objectives in [since, until)."""
    all_r, all_a, all_v, all_s = everything.window(since, until)
    own_r, own_a, own_v, own_s = own.window(since, until)
    return outcome_baseline(all_r - own_r, all_a - own_a, all_v - own_v, all_s - own_s)


def evidence_between(
    items: Sequence[StudyItem], after: datetime, until: datetime
) -> list[StudyItem]:
    """The objective's items in (after, until): non-first reviews and validations."""
    return [i for i in items if after < i.at < until and (i.score is not None or not i.first)]


def as_evidence(items: Sequence[StudyItem]) -> list[EvidenceItem]:
    """The sequential test's view of study items."""
    return [EvidenceItem(again=i.again if i.score is None else None, score=i.score) for i in items]


def _by_objective(items: Sequence[StudyItem]) -> dict[str, list[StudyItem]]:
    out: dict[str, list[StudyItem]] = defaultdict(list)
    for item in items:
        out[item.objective_id].append(item)
    return out


def decide_outcomes(
    pending: Sequence[PendingPrediction],
    items: Sequence[StudyItem],
    zone: tzinfo,
    now: datetime,
) -> list[CapturedOutcome]:
    """What to record for each PENDING prediction at ``now`` (see the module docstring).

    ``pending`` is ordered by prediction time (then id) and ``items`` by time; both are
    the learner's, items from :data:`BASELINE_DAYS` before the oldest prediction up to
    ``now``. Predictions left undecided and not yet due for dismissal are not returned.
    """
    by_objective = _by_objective(items)
    everything = StudyTotals(items)
    totals = {oid: StudyTotals(own) for oid, own in by_objective.items()}
    no_items = StudyTotals([])
    # Only whole local days count: nothing after the start of today (local).
    day_over = local_midnight_utc(local_date(now, zone), zone)

    # (objective, study day) → the predictions it resolves, latest prediction last.
    groups: dict[tuple[str, date], list[PendingPrediction]] = defaultdict(list)
    decided: dict[str, tuple[bool, DayObservation | None, OutcomeEvidence]] = {}
    results: list[CapturedOutcome] = []
    dismiss_before = now - timedelta(days=NEVER_STUDIED_DISMISS_DAYS)
    for p in pending:
        own = by_objective.get(p.objective_id, [])
        engine = first_study_day(own, p.predicted_at, zone, now)
        engine_day, engine_obs = engine if engine is not None else (None, None)
        engine_verdict = engine_obs.struggled() if engine_obs is not None else None
        horizon = min(day_over, p.predicted_at + timedelta(days=NEVER_STUDIED_DISMISS_DAYS))
        baseline = baseline_between(
            everything,
            totals.get(p.objective_id, no_items),
            p.predicted_at - timedelta(days=BASELINE_DAYS),
            horizon,
        )
        outcome: bool | None = None
        day: date | None = None
        decision: EvidenceDecision | None = None
        if baseline.usable:
            evidence = evidence_between(own, p.predicted_at, horizon)
            decision = sequential_outcome(as_evidence(evidence), baseline)
            if decision.struggled is not None and decision.decided_at is not None:
                outcome = decision.struggled
                day = local_date(evidence[decision.decided_at].at, zone)
            rule = EVIDENCE_RULE
        else:
            outcome, day, rule = engine_verdict, engine_day, ENGINE_RULE
        record = OutcomeEvidence(rule, baseline, decision, engine_verdict, engine_day)
        if outcome is None or day is None:
            if p.predicted_at <= dismiss_before:
                studied = any(i.at > p.predicted_at for i in own)
                reason = REASON_INCONCLUSIVE if studied else REASON_NEVER_STUDIED
                results.append(
                    CapturedOutcome(
                        p.id,
                        p.objective_id,
                        PredictionStatus.DISMISSED,
                        reason,
                        observation=engine_obs,
                        evidence=record,
                    )
                )
            continue
        groups[(p.objective_id, day)].append(p)
        decided[p.id] = (outcome, engine_obs, record)

    for (oid, day), preds in groups.items():
        *older, winner = preds
        for p in older:
            results.append(
                CapturedOutcome(p.id, oid, PredictionStatus.DISMISSED, REASON_SUPERSEDED)
            )
        struggled, obs, record = decided[winner.id]
        status = prediction_status(winner.probability, struggled)
        results.append(
            CapturedOutcome(winner.id, oid, status, REASON_STUDIED, struggled, day, obs, record)
        )
    return results


def window_verdicts(items: Sequence[StudyItem], since: datetime, until: datetime) -> list[bool]:
    """Per objective studied in [since, until): did the learner struggle on it (window verdict)?

    ``items`` are the learner's in [since, until), time-ordered. Baseline: the learner's
    other objectives in the same window. Objectives with fewer than 5 non-first reviews
    and validation answers (or without a baseline) are left out.
    """
    everything = StudyTotals(items)
    verdicts = []
    for own in _by_objective(items).values():
        baseline = baseline_between(everything, StudyTotals(own), since, until)
        # The window is [since, until): an item exactly at ``since`` belongs to it.
        inside = evidence_between(own, since - timedelta(microseconds=1), until)
        verdict = window_verdict(as_evidence(inside), baseline)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts
