"""Phases and the content sequence of a session plan (ENGINE.md 5.3 "Session plan").

**Phases** over the study minutes S (breaks excluded): warm-up ``min(15, 0.2·S)`` of
easy reviews, wind-down ``0.2·S`` of medium reviews, peak the rest (60% of S, plus what
the 15-minute cap leaves). Due cards are banded by predicted recall: easy ≥ 0.85,
medium ≥ 0.6, hard below; within a band the lowest recall comes first.

**Sequence**. Items are card blocks (up to 5 minutes of cards at the learner's median
time per card; in warm-up and wind-down up to a third of the phase, so a review phase
is at most 3 blocks), mission objectives (split into parts of ≥ 5 min when a break
comes), validations, and an intervention item for each predicted struggle (5.2) in the
peak. A greedy pass walks the session and at each point places the first item, in
the phase's priority order, that keeps the two rules: no more than 3 items of one
kind in a row, and an objective studied again only 10 or more minutes after its last
item ended. Peak order: struggle interventions (most probable first), hard reviews,
mission objectives, validations, new cards. When only rule-breaking content is left,
it is placed anyway and the relaxation is recorded (so the learner never gets an
empty stretch while due content waits); when nothing fits, the minutes are reported
as unfilled. A phase without its own content (no easy cards for the warm-up, say) takes
the peak's. At burnout HIGH or CRITICAL the plan is review only: no new cards and no new
mission content (5.4's rule for those levels).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from twin.analysis.orchestration.common import (
    SECONDS_PER_MINUTE,
    add_minutes,
    iso,
    rounded,
)
from twin.analysis.orchestration.duration import EPSILON_MINUTES, Break
from twin.analysis.orchestration.plan_inputs import (
    Band,
    CardT,
    DueCard,
    ItemKind,
    MissionObjective,
    Phase,
    PlanRequest,
    StruggleForecast,
    ValidationPrompt,
)
from twin.enums import InterventionType

# --- phases and sequence ----------------------------------------------------
WARM_UP_MAX_MINUTES = 15.0
WARM_UP_SHARE = 0.2
WIND_DOWN_SHARE = 0.2
MAX_SAME_KIND_RUN = 3
OBJECTIVE_SPACING_MINUTES = 10.0
CARD_BLOCK_MINUTES = 5.0
MIN_OBJECTIVE_PART_MINUTES = 5.0


# --- phases -----------------------------------------------------------------


@dataclass(frozen=True)
class PhaseSpan:
    """A phase as study minutes and as wall offsets from the session start."""

    phase: Phase
    study_minutes: float
    start_offset: float
    end_offset: float


def phase_spans(duration_minutes: float, breaks: Sequence[Break]) -> tuple[PhaseSpan, ...]:
    """Warm-up ``min(15, 20%)``, peak the rest, wind-down 20% of the study minutes, on the wall clock."""
    study = duration_minutes - sum(b.minutes for b in breaks)
    warm = min(WARM_UP_MAX_MINUTES, WARM_UP_SHARE * study)
    wind = WIND_DOWN_SHARE * study
    peak = study - warm - wind
    warm_end = _study_to_wall(warm, breaks)
    peak_end = _study_to_wall(warm + peak, breaks)
    return (
        PhaseSpan(Phase.WARM_UP, warm, 0.0, warm_end),
        PhaseSpan(Phase.PEAK, peak, warm_end, peak_end),
        PhaseSpan(Phase.WIND_DOWN, wind, peak_end, float(duration_minutes)),
    )


def _study_to_wall(study_minute: float, breaks: Sequence[Break]) -> float:
    """The wall offset where ``study_minute`` of study is reached (a boundary on a break start stays before it)."""
    wall = study_minute
    for b in breaks:
        if b.start_offset < wall - EPSILON_MINUTES:
            wall += b.minutes
    return wall


# --- sequencing -------------------------------------------------------------


@dataclass(frozen=True)
class PlanItem:
    """One item of the sequence with its place on the session's wall clock."""

    index: int
    kind: ItemKind
    phase: Phase
    start_offset: float
    minutes: float
    objective_ids: tuple[str, ...] = ()
    card_ids: tuple[str, ...] = ()
    ref_id: str | None = None
    interventions: tuple[InterventionType, ...] = ()
    probability: float | None = None
    mean_recall: float | None = None
    part: int | None = None

    @property
    def end_offset(self) -> float:
        """Minutes after the session start when the item ends."""
        return self.start_offset + self.minutes

    def to_json(self, session_start: datetime) -> dict[str, object]:
        """JSON element of ``planData.items``."""
        out: dict[str, object] = {
            "index": self.index,
            "kind": self.kind.value,
            "phase": self.phase.value,
            "startOffsetMinutes": rounded(self.start_offset, 2),
            "minutes": rounded(self.minutes, 2),
            "start": iso(add_minutes(session_start, self.start_offset)),
            "objectiveIds": list(self.objective_ids),
        }
        if self.card_ids:
            out["cardIds"] = list(self.card_ids)
        if self.ref_id is not None:
            out["refId"] = self.ref_id
        if self.interventions:
            out["interventions"] = [i.value for i in self.interventions]
        if self.probability is not None:
            out["struggleProbability"] = rounded(self.probability, 4)
        if self.mean_recall is not None:
            out["meanRecall"] = rounded(self.mean_recall, 4)
        if self.part is not None:
            out["part"] = self.part
        return out


@dataclass
class _ObjectiveLeft:
    objective: MissionObjective
    minutes_left: float
    parts: int = 0


@dataclass
class _Draft:
    kind: ItemKind
    minutes: float
    objective_ids: tuple[str, ...]
    card_ids: tuple[str, ...] = ()
    ref_id: str | None = None
    interventions: tuple[InterventionType, ...] = ()
    probability: float | None = None
    mean_recall: float | None = None
    part: int | None = None
    source: StruggleForecast | _ObjectiveLeft | ValidationPrompt | None = None


class _Sequencer:
    """Greedy placement of the session's content under the two sequencing rules."""

    def __init__(self, request: PlanRequest, review_only: bool) -> None:
        times = request.item_times
        self.review_minutes = times.review / SECONDS_PER_MINUTE
        self.new_minutes = times.new_card / SECONDS_PER_MINUTE
        self.validation_minutes = times.validation / SECONDS_PER_MINUTE
        # Lowest predicted recall first: the cards closest to being forgotten.
        self.cards = sorted(request.due_cards, key=lambda c: (c.recall, c.card_id))
        self.new_cards = [] if review_only else list(request.new_cards)
        self.objectives: list[_ObjectiveLeft] = (
            []
            if review_only
            else [
                _ObjectiveLeft(o, o.estimated_minutes)
                for o in request.objectives
                if not o.completed
            ]
        )
        self.validations = list(request.validations)
        self.struggles = sorted(request.struggles, key=lambda s: (-s.probability, s.objective_id))
        self.last_end: dict[str, float] = {}
        self.run_kind: ItemKind | None = None
        self.run_length = 0
        self.relaxations: dict[str, int] = {}

    # rules ------------------------------------------------------------------
    def spacing_ok(self, objective_id: str | None, at: float) -> bool:
        """The objective's last item ended at least 10 minutes before ``at``."""
        if objective_id is None:
            return True
        last = self.last_end.get(objective_id)
        return last is None or at - last >= OBJECTIVE_SPACING_MINUTES - EPSILON_MINUTES

    def run_ok(self, kind: ItemKind) -> bool:
        """Placing ``kind`` keeps runs of one kind at 3 or fewer."""
        return self.run_kind != kind or self.run_length < MAX_SAME_KIND_RUN

    def has_content(self) -> bool:
        """Whether anything is left to place."""
        return bool(
            self.cards or self.new_cards or self.objectives or self.validations or self.struggles
        )

    # makers -----------------------------------------------------------------
    def review_block(
        self, at: float, limit: float, target: float, bands: tuple[Band, ...], spacing: bool
    ) -> _Draft | None:
        """Up to ``target`` minutes of due cards of ``bands``, band by band, lowest recall first.

        Only cards whose objective may be studied now (10-minute spacing) are eligible, so the
        order is "lowest recall first among the cards allowed at this point"; a later band is
        used only when the earlier ones have nothing eligible left.
        """
        max_cards = math.floor((min(limit, target) + EPSILON_MINUTES) / self.review_minutes)
        if max_cards <= 0:
            return None
        picked: list[DueCard] = []
        taken: set[str] = set()
        for band in bands:
            eligible = [
                c
                for c in self.cards
                if c.band is band and (not spacing or self.spacing_ok(c.objective_id, at))
            ]
            picked += _lowest_first(eligible, max_cards - len(picked), taken)
            if len(picked) >= max_cards:
                break
        if not picked:
            return None
        return _Draft(
            kind=ItemKind.REVIEW,
            minutes=len(picked) * self.review_minutes,
            objective_ids=_unique(c.objective_id for c in picked),
            card_ids=tuple(c.card_id for c in picked),
            mean_recall=sum(c.recall for c in picked) / len(picked),
        )

    def new_block(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """Up to 5 minutes of new cards in the given order, skipping objectives studied < 10 min ago."""
        max_cards = math.floor(
            (min(limit, CARD_BLOCK_MINUTES) + EPSILON_MINUTES) / self.new_minutes
        )
        if max_cards <= 0:
            return None
        eligible = [c for c in self.new_cards if not spacing or self.spacing_ok(c.objective_id, at)]
        picked = _lowest_first(eligible, max_cards, set())
        if not picked:
            return None
        return _Draft(
            kind=ItemKind.NEW_CARDS,
            minutes=len(picked) * self.new_minutes,
            objective_ids=_unique(c.objective_id for c in picked),
            card_ids=tuple(c.card_id for c in picked),
        )

    def intervention(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """The most probable predicted struggle that fits, with its interventions."""
        for forecast in self.struggles:
            if forecast.minutes > limit + EPSILON_MINUTES:
                continue
            if spacing and not self.spacing_ok(forecast.objective_id, at):
                continue
            return _Draft(
                kind=ItemKind.INTERVENTION,
                minutes=forecast.minutes,
                objective_ids=(forecast.objective_id,),
                ref_id=forecast.objective_id,
                interventions=forecast.interventions,
                probability=forecast.probability,
                source=forecast,
            )
        return None

    def objective(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """The next mission objective (a part of it, ≥ 5 min, when it does not fit whole)."""
        for entry in self.objectives:
            obj, left, parts = entry.objective, entry.minutes_left, entry.parts
            if spacing and not self.spacing_ok(obj.objective_id, at):
                continue
            take = min(left, limit)
            if take < left - EPSILON_MINUTES:
                # A part, and what it leaves, are each at least 5 minutes.
                take = min(take, left - MIN_OBJECTIVE_PART_MINUTES)
                if take < MIN_OBJECTIVE_PART_MINUTES - EPSILON_MINUTES:
                    continue
            split = take < left - EPSILON_MINUTES or parts > 0
            return _Draft(
                kind=ItemKind.OBJECTIVE,
                minutes=take,
                objective_ids=(obj.objective_id,),
                ref_id=obj.objective_id,
                part=parts + 1 if split else None,
                source=entry,
            )
        return None

    def validation(self, at: float, limit: float, spacing: bool) -> _Draft | None:
        """The next validation prompt whose objective may be studied now."""
        if self.validation_minutes > limit + EPSILON_MINUTES:
            return None
        for prompt in self.validations:
            if spacing and not self.spacing_ok(prompt.objective_id, at):
                continue
            return _Draft(
                kind=ItemKind.VALIDATION,
                minutes=self.validation_minutes,
                objective_ids=_unique([prompt.objective_id]),
                ref_id=prompt.prompt_id,
                source=prompt,
            )
        return None

    # choice -----------------------------------------------------------------
    def _makers(
        self, span: PhaseSpan, at: float, limit: float, spacing: bool
    ) -> list[Callable[[], _Draft | None]]:
        """The item makers in the phase's priority order, then the fallbacks."""
        phase_target = max(CARD_BLOCK_MINUTES, span.study_minutes / MAX_SAME_KIND_RUN)
        # A review phase ends at its boundary when a card still fits before it.
        to_boundary = span.end_offset - at
        if to_boundary >= self.review_minutes - EPSILON_MINUTES:
            phase_target = min(phase_target, to_boundary)
        any_band = (Band.HARD, Band.MEDIUM, Band.EASY)
        fallback: list[Callable[[], _Draft | None]] = [
            lambda: self.intervention(at, limit, spacing),
            lambda: self.review_block(at, limit, CARD_BLOCK_MINUTES, any_band, spacing),
            lambda: self.objective(at, limit, spacing),
            lambda: self.validation(at, limit, spacing),
            lambda: self.new_block(at, limit, spacing),
        ]
        if span.phase is Phase.WARM_UP:
            easy = (Band.EASY, Band.MEDIUM)
            return [lambda: self.review_block(at, limit, phase_target, easy, spacing), *fallback]
        if span.phase is Phase.WIND_DOWN:
            medium = (Band.MEDIUM, Band.EASY)
            return [lambda: self.review_block(at, limit, phase_target, medium, spacing), *fallback]
        # Peak content ends at the peak's end when it can, leaving wind-down to medium reviews.
        peak_limit = min(limit, to_boundary) if to_boundary > EPSILON_MINUTES else limit
        peak: list[Callable[[], _Draft | None]] = [
            lambda: self.intervention(at, peak_limit, spacing),
            lambda: self.review_block(at, peak_limit, CARD_BLOCK_MINUTES, (Band.HARD,), spacing),
            lambda: self.objective(at, peak_limit, spacing),
            lambda: self.validation(at, peak_limit, spacing),
            lambda: self.new_block(at, peak_limit, spacing),
        ]
        return [*peak, *fallback]

    def choose(self, span: PhaseSpan, at: float, limit: float) -> tuple[_Draft, list[str]] | None:
        """The first item in priority order that keeps both rules; failing that, the least relaxation."""
        for spacing, runs in ((True, True), (True, False), (False, True), (False, False)):
            for make in self._makers(span, at, limit, spacing):
                draft = make()
                if draft is None or (runs and not self.run_ok(draft.kind)):
                    continue
                broken = []
                if not self.run_ok(draft.kind):
                    broken.append("sameKindRun")
                if any(not self.spacing_ok(o, at) for o in draft.objective_ids):
                    broken.append("objectiveSpacing")
                return draft, broken
        return None

    def place(self, draft: _Draft, phase: Phase, at: float, index: int) -> PlanItem:
        """Commit ``draft`` at ``at`` (its content leaves the pools) and update the rules' state."""
        taken = set(draft.card_ids)
        if draft.kind is ItemKind.REVIEW:
            self.cards = [c for c in self.cards if c.card_id not in taken]
        elif draft.kind is ItemKind.NEW_CARDS:
            self.new_cards = [c for c in self.new_cards if c.card_id not in taken]
        elif isinstance(draft.source, StruggleForecast):
            self.struggles = [x for x in self.struggles if x is not draft.source]
        elif isinstance(draft.source, ValidationPrompt):
            self.validations = [x for x in self.validations if x is not draft.source]
        elif isinstance(draft.source, _ObjectiveLeft):
            draft.source.minutes_left -= draft.minutes
            draft.source.parts += 1
            if draft.source.minutes_left <= EPSILON_MINUTES:
                self.objectives = [e for e in self.objectives if e is not draft.source]
        for objective_id in draft.objective_ids:
            self.last_end[objective_id] = at + draft.minutes
        if self.run_kind == draft.kind:
            self.run_length += 1
        else:
            self.run_kind, self.run_length = draft.kind, 1
        return PlanItem(
            index=index,
            kind=draft.kind,
            phase=phase,
            start_offset=at,
            minutes=draft.minutes,
            objective_ids=draft.objective_ids,
            card_ids=draft.card_ids,
            ref_id=draft.ref_id,
            interventions=draft.interventions,
            probability=draft.probability,
            mean_recall=draft.mean_recall,
            part=draft.part,
        )


def _lowest_first(ordered: Sequence[CardT], room: int, taken: set[str]) -> list[CardT]:
    """Up to ``room`` not-yet-taken cards in the given (lowest recall first) order."""
    picked: list[CardT] = []
    for card in ordered:
        if len(picked) >= room:
            break
        if card.card_id not in taken:
            picked.append(card)
            taken.add(card.card_id)
    return picked


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct non-None values in first-seen order."""
    return tuple(dict.fromkeys(v for v in values if v is not None))


def _phase_at(spans: Sequence[PhaseSpan], at: float) -> PhaseSpan:
    for span in spans:
        if at < span.end_offset - EPSILON_MINUTES:
            return span
    return spans[-1]


def sequence_items(
    request: PlanRequest,
    duration_minutes: float,
    breaks: Sequence[Break],
    spans: Sequence[PhaseSpan],
    *,
    review_only: bool,
) -> tuple[tuple[PlanItem, ...], float, dict[str, int]]:
    """Place the content in the study segments; returns the items, unfilled minutes and relaxations."""
    seq = _Sequencer(request, review_only)
    segments: list[tuple[float, float]] = []
    cursor = 0.0
    for b in breaks:
        segments.append((cursor, b.start_offset))
        cursor = b.end_offset
    segments.append((cursor, float(duration_minutes)))

    items: list[PlanItem] = []
    unfilled = 0.0
    for seg_start, seg_end in segments:
        at = seg_start
        while seg_end - at > EPSILON_MINUTES and seq.has_content():
            span = _phase_at(spans, at)
            choice = seq.choose(span, at, seg_end - at)
            if choice is None:
                break
            draft, broken = choice
            for rule in broken:
                seq.relaxations[rule] = seq.relaxations.get(rule, 0) + 1
            items.append(seq.place(draft, span.phase, at, len(items)))
            at += draft.minutes
        unfilled += max(0.0, seg_end - at)
    return tuple(items), unfilled, seq.relaxations
