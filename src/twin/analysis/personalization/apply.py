"""Apply personalization to one request: MISSION, CONTENT, ASSESSMENT or SESSION parameters.

Each ``apply_*`` function takes the learner's :class:`~.evidence.Evidence`, the strategy arm
the bandit chose, the :class:`~.preferences.Scope` (or just a level) and optional client
params, and returns the parameters, the engine defaults they started from, every piece of
evidence considered (used or not, with its confidence), the safety overrides that fired
and the reasons. Nothing is read from a clock or a database.

**Engine defaults** (what NONE gives, and where personalization starts from; a value
the client passes replaces the default as the starting point):

- duration 45 min (5.3's default optimal length), BASIC −10 / ADVANCED +15, clamped 15–120;
- start hour: the client's, else none (the engine does not pick a time);
- mission objectives: the client's candidates in their order, at most ``maxObjectives`` (3);
- difficulty change 0 (mission, content, assessment);
- content mix: equal shares over the available content types; objectives in the given
  order; no advanced objectives;
- assessment every 2 days: the baseline forgetting curve's interval (R0 = 1, k = 0.14/day,
  days until recall falls to 0.8: ln(1.25)/0.14 = 1.6 → 2);
- session breaks every BASIC 45 / INTERMEDIATE 30 / ADVANCED 25 min (5.3), 5 min long,
  10 after 60 min, 15 after 90; phases warm-up min(15 min, 20%), wind-down 20%, peak the
  rest; intensity MEDIUM.

**What each feature moves** (numbers by the arm's weight, ``d + w·(s − d)``; categorical
choices only when the arm's weight for the source is ≥ 0.5, see :mod:`.strategy`):

- TIMING (patterns): the first of the learner's best hours that is free in today's
  calendar for the duration + 10 min (5.3's buffer); without a calendar the best hour;
  without a study-time pattern but with a calendar, a requested hour that is busy moves
  to the first free window that fits.
- DURATION (patterns): towards the learner's optimal session length (+ complexity offset).
- OBJECTIVES (predictions): prerequisite gaps of predicted struggles first, then the
  predicted struggles (most likely first), then the rest.
- DIFFICULTY (predictions / patterns): −1 when a chosen mission objective is predicted to
  be a struggle; +1 when every chosen objective is a strong area (mastery ≥ 0.85); content:
  strong areas become advanced objectives.
- CONTENT_MIX (patterns): shares ∝ exp((score − best)/0.1) over measured outcomes per type
  (an outcome 0.1 better earns e × the share), each type at least 5% (variety), blended
  with the equal default by the weight. Types never measured get the mean score.
- SEQUENCE (predictions): content order as for OBJECTIVES; in a session, predicted
  struggles go to the peak phase (5.3).
- ASSESSMENT_FREQUENCY (patterns / predictions): towards the interval after which the
  learner's own curve falls to 80% recall; predicted struggles are assessed at half that.
- ASSESSMENT_DIFFICULTY (patterns): over-confident (mean confidence − mean score ≥ 0.1)
  → one level harder. Under-confidence does not make items easier: it is answered by
  feedback, not by easier questions.
- BREAKS (patterns): towards 0.9 × the learner's median time to fatigue.
- LOAD_ADJUSTMENT (level HIGH): difficulty follows the current load (5.4: < 30 → +1);
  session intensity HIGH below load 30, LOW from 60, MEDIUM between; burnout MEDIUM caps
  intensity at MEDIUM.

**Safety overrides** (always, whatever the level, the pause or the arm — they are 5.4's
protections, not personalization): burnout HIGH → at most 30 min, review only, difficulty
≤ −1; burnout CRITICAL → at most 20 min, review only, difficulty −2; load HIGH → ×0.7
(5.3), difficulty ≤ −1, 80% review, a break at least every 20 min; load CRITICAL → ×0.7,
difficulty −2, review only, break now. Under an override every parameter starts from the
lighter of the personalized value and the default, so the answer is never heavier than
either: missions keep one objective, sessions run at intensity LOW, content drops new and
advanced material (flashcard review only when flashcards are available), assessments are
never more frequent than the default and never harder than −1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from twin.analysis.patterns.forgetting import (
    review_interval_days,
)
from twin.analysis.personalization.evidence import Evidence
from twin.analysis.personalization.params import (
    MAX_ASSESSMENT_INTERVAL_DAYS,
    MIN_ASSESSMENT_INTERVAL_DAYS,
    AssessmentParameters,
    AssessmentParams,
    ContentParameters,
    ContentParams,
    MissionParameters,
    MissionParams,
    Params,
    Personalized,
    SessionParameters,
    SessionParams,
    check_params,
)
from twin.analysis.personalization.preferences import (
    PersonalizationFeature,
    Scope,
)
from twin.analysis.personalization.shaping import (
    CONTENT_MIX_TEMPERATURE,
    DEFAULT_ASSESSMENT_INTERVAL_DAYS,
    DEFAULT_BREAK_EVERY_MINUTES,
    FOCUS_INTERVAL_FRACTION,
    INTENSITY_HIGH_BELOW_LOAD,
    INTENSITY_LOW_FROM_LOAD,
    MAX_BREAK_EVERY_MINUTES,
    MIN_BREAK_EVERY_MINUTES,
    MIN_CONTENT_SHARE,
    OVERCONFIDENT_GAP,
    OVERRIDE_MAX_OBJECTIVES,
    REVIEW_CONTENT_TYPE,
    SCHEDULE_BUFFER_MINUTES,
    STRONG_MASTERY_MIN,
    _as_scope,
    _duration,
    _finish,
    _fits,
    _load_difficulty,
    _strong_ids,
    _struggles_used,
    _Trace,
    break_schedule,
    cap_change,
    default_duration,
    lighter_duration,
    move,
    safety_limits,
    session_phases,
    struggle_first_order,
)
from twin.analysis.personalization.strategy import ARM_WEIGHTS, CATEGORICAL_MIN_WEIGHT, StrategyArm
from twin.enums import (
    BurnoutRiskLevel,
    PersonalizationContext,
    PersonalizationLevel,
)

F = PersonalizationFeature
Ctx = PersonalizationContext

# --- MISSION -------------------------------------------------------------------------


def _mission_start(
    evidence: Evidence, trace: _Trace, requested: int | None, duration: int, weight: float
) -> int | None:
    schedule = evidence.schedule
    schedule_ok = schedule is not None and trace.consider(
        "SCHEDULE",
        "free today: "
        + ", ".join(f"{w.start_hour:02d}:00 ({w.free_minutes} min)" for w in schedule.windows),
        schedule.confidence,
        "startHour",
        F.TIMING,
    )
    free = [w.start_hour for w in schedule.windows if _fits(w, duration)] if schedule else []
    start = requested
    study = evidence.study_time
    if study is not None and trace.consider(
        "OPTIMAL_STUDY_TIME",
        "best hours " + ", ".join(f"{h:02d}:00" for h in study.hours),
        study.confidence,
        "startHour",
        F.TIMING,
    ):
        if weight < CATEGORICAL_MIN_WEIGHT:
            trace.reasons.append(
                f"startHour kept: the strategy's pattern weight {weight:g} < "
                f"{CATEGORICAL_MIN_WEIGHT:g} does not switch categories"
            )
        elif not schedule_ok:
            start = study.hours[0]
            trace.reasons.append(f"startHour {start:02d}:00: the learner's best hour")
        else:
            best_free = [h for h in study.hours if h in free]
            if best_free:
                start = best_free[0]
                trace.reasons.append(f"startHour {start:02d}:00: a best hour that is free today")
            else:
                trace.reasons.append("startHour: none of the best hours is free today")
    if schedule_ok and start is not None and free and start not in free:
        trace.reasons.append(
            f"startHour {start:02d}:00 is busy today: moved to {free[0]:02d}:00, the first "
            f"free window of {duration} + {SCHEDULE_BUFFER_MINUTES} min"
        )
        start = free[0]
    return start


def mission_defaults(params: MissionParams) -> MissionParameters:
    """The engine's mission for ``params`` (what NONE gives)."""
    return MissionParameters(
        start_hour=params.start_hour,
        duration_minutes=default_duration(params.complexity, params.duration_minutes),
        objective_ids=params.objective_ids[: params.max_objectives],
        difficulty_change=0,
    )


def apply_mission(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: MissionParams | None = None,
) -> Personalized[MissionParameters]:
    """MISSION: start time, duration, objectives and difficulty."""
    params = params or MissionParams()
    sc = _as_scope(scope, Ctx.MISSION)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = mission_defaults(params)
    duration = _duration(evidence, trace, defaults.duration_minutes, params.complexity, w.patterns)
    start = _mission_start(evidence, trace, params.start_hour, duration, w.patterns)
    struggles = _struggles_used(evidence, trace, F.OBJECTIVES, "objectiveIds")
    objectives = defaults.objective_ids
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        objectives = struggle_first_order(params.objective_ids, struggles)[: params.max_objectives]
        if objectives != defaults.objective_ids:
            trace.reasons.append("objectiveIds: prerequisite gaps and predicted struggles first")
    difficulty = 0
    hard = [
        s
        for s in _struggles_used(evidence, trace, F.DIFFICULTY, "difficultyChange")
        if s.objective_id in objectives
    ]
    if hard and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        difficulty = -1
        trace.reasons.append(
            "difficultyChange −1: predicted struggle on " + ", ".join(s.objective_id for s in hard)
        )
    elif objectives and w.patterns >= CATEGORICAL_MIN_WEIGHT:
        strong = _strong_ids(evidence, trace, F.DIFFICULTY, "difficultyChange")
        if strong and all(o in strong for o in objectives):
            difficulty = 1
            trace.reasons.append("difficultyChange +1: every objective is a strong area")
    difficulty = cap_change(difficulty + _load_difficulty(evidence, trace, "difficultyChange"))
    personalized = MissionParameters(start, duration, objectives, difficulty)
    limits = safety_limits(evidence, trace)
    if limits.active:
        personalized = MissionParameters(
            start_hour=start,
            duration_minutes=lighter_duration(duration, defaults.duration_minutes, limits),
            objective_ids=objectives[:OVERRIDE_MAX_OBJECTIVES],
            difficulty_change=min(difficulty, 0, limits.max_difficulty),
            review_only=limits.review_only,
        )
    return _finish(Ctx.MISSION, arm, sc, personalized, defaults, trace, limits)


# --- CONTENT -------------------------------------------------------------------------


def content_defaults(params: ContentParams) -> ContentParameters:
    """Equal shares over the available types, objectives in the given order."""
    share = 1.0 / len(params.content_types)
    return ContentParameters(
        mix=tuple((t, share) for t in params.content_types),
        objective_order=params.objective_ids,
        advanced_objective_ids=(),
    )


def outcome_mix(
    content_types: Sequence[str], scores: Mapping[str, float]
) -> tuple[tuple[str, float], ...]:
    """Shares ∝ exp((score − best)/0.1), each ≥ 5%, summing to 1; unmeasured types at the mean."""
    measured = [scores[t] for t in content_types if t in scores]
    if not measured:
        share = 1.0 / len(content_types)
        return tuple((t, share) for t in content_types)
    mean = sum(measured) / len(measured)
    s = {t: scores.get(t, mean) for t in content_types}
    best = max(s.values())
    raw = {t: math.exp((v - best) / CONTENT_MIX_TEMPERATURE) for t, v in s.items()}
    total = sum(raw.values())
    shares = {t: v / total for t, v in raw.items()}
    floor = min(MIN_CONTENT_SHARE, 1.0 / len(content_types))
    # Raise the small shares to the floor and take it from the others in proportion.
    low = {t for t, v in shares.items() if v < floor}
    if low:
        rest = 1.0 - floor * len(low)
        high_total = sum(v for t, v in shares.items() if t not in low)
        shares = {t: floor if t in low else v / high_total * rest for t, v in shares.items()}
    return tuple((t, shares[t]) for t in content_types)


def apply_content(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: ContentParams | None = None,
) -> Personalized[ContentParameters]:
    """CONTENT: type mix from measured outcomes, prerequisite gaps first, strong areas → advanced."""
    params = params or ContentParams()
    sc = _as_scope(scope, Ctx.CONTENT)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = content_defaults(params)
    mix = defaults.mix
    content = evidence.content
    if content is not None and trace.consider(
        "CONTENT_TYPE_PREFERENCE",
        "outcome per type: "
        + ", ".join(f"{o.content_type} {o.score:.2f} (n = {o.items})" for o in content.outcomes),
        content.confidence,
        "mix",
        F.CONTENT_MIX,
    ):
        scores = {o.content_type: o.score for o in content.outcomes if o.items > 0}
        suggested = dict(outcome_mix(params.content_types, scores))
        mix = tuple((t, move(share, suggested[t], w.patterns)) for t, share in defaults.mix)
        trace.reasons.append(
            "mix: towards the types with the best measured outcomes "
            f"(weight {w.patterns:g}): " + ", ".join(f"{t} {s:.0%}" for t, s in mix)
        )
    order = defaults.objective_order
    struggles = _struggles_used(evidence, trace, F.SEQUENCE, "objectiveOrder")
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        order = struggle_first_order(params.objective_ids, struggles)
        if order != defaults.objective_order:
            trace.reasons.append(
                "objectiveOrder: prerequisite gaps first, then predicted struggles"
            )
    advanced: tuple[str, ...] = ()
    strong = _strong_ids(evidence, trace, F.DIFFICULTY, "advancedObjectiveIds")
    if strong and w.patterns >= CATEGORICAL_MIN_WEIGHT:
        pool = params.objective_ids or tuple(sorted(strong))
        advanced = tuple(o for o in pool if o in strong)
        if advanced:
            trace.reasons.append(
                "advancedObjectiveIds: strong areas (mastery ≥ "
                f"{STRONG_MASTERY_MIN:g}) move on to advanced material"
            )
    personalized = ContentParameters(mix, order, advanced)
    limits = safety_limits(evidence, trace)
    if limits.active:
        if REVIEW_CONTENT_TYPE in params.content_types:
            mix = tuple((t, 1.0 if t == REVIEW_CONTENT_TYPE else 0.0) for t in params.content_types)
        personalized = ContentParameters(mix, order, (), new_content=False)
    return _finish(Ctx.CONTENT, arm, sc, personalized, defaults, trace, limits)


# --- ASSESSMENT ----------------------------------------------------------------------


def assessment_defaults(params: AssessmentParams) -> AssessmentParameters:
    """The baseline curve's interval (2 days) or the caller's; no difficulty change."""
    interval = params.interval_days or DEFAULT_ASSESSMENT_INTERVAL_DAYS
    return AssessmentParameters(interval_days=interval, difficulty_change=0)


def _clamp_interval(days: float) -> int:
    return max(
        MIN_ASSESSMENT_INTERVAL_DAYS, min(MAX_ASSESSMENT_INTERVAL_DAYS, math.floor(days + 0.5))
    )


def apply_assessment(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: AssessmentParams | None = None,
) -> Personalized[AssessmentParameters]:
    """ASSESSMENT: frequency from the forgetting rate, difficulty from calibration."""
    params = params or AssessmentParams()
    sc = _as_scope(scope, Ctx.ASSESSMENT)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = assessment_defaults(params)
    interval = defaults.interval_days
    f = evidence.forgetting
    if f is not None and trace.consider(
        "FORGETTING_CURVE",
        f"R0 {f.r0:.2f}, k {f.decay_per_day:.3f}/day (half-life {math.log(2) / f.decay_per_day:.1f} days)",
        f.confidence,
        "intervalDays",
        F.ASSESSMENT_FREQUENCY,
    ):
        suggestion = review_interval_days(f.r0, f.decay_per_day)
        interval = _clamp_interval(move(defaults.interval_days, suggestion, w.patterns))
        if interval != defaults.interval_days:
            trace.reasons.append(
                f"intervalDays {defaults.interval_days} → {interval}: the learner's recall falls "
                f"to 80% after {suggestion} days (weight {w.patterns:g})"
            )
    focus: tuple[str, ...] = ()
    focus_interval: int | None = None
    struggles = _struggles_used(evidence, trace, F.ASSESSMENT_FREQUENCY, "focusObjectiveIds")
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        focus = tuple(
            s.objective_id
            for s in struggles
            if not params.objective_ids or s.objective_id in params.objective_ids
        )
        if focus:
            focus_interval = _clamp_interval(interval * FOCUS_INTERVAL_FRACTION)
            trace.reasons.append(
                f"focusObjectiveIds: predicted struggles assessed every {focus_interval} days"
            )
    difficulty = 0
    cal = evidence.calibration
    if cal is not None and trace.consider(
        "CALIBRATION",
        f"mean confidence {cal.mean_confidence:.2f} vs mean score {cal.mean_score:.2f} "
        f"(n = {cal.responses})",
        cal.confidence,
        "difficultyChange",
        F.ASSESSMENT_DIFFICULTY,
    ):
        if cal.gap >= OVERCONFIDENT_GAP and w.patterns >= CATEGORICAL_MIN_WEIGHT:
            difficulty = 1
            trace.reasons.append(
                f"difficultyChange +1: over-confident by {cal.gap:.2f} (≥ {OVERCONFIDENT_GAP:g})"
            )
        elif cal.gap <= -OVERCONFIDENT_GAP:
            trace.reasons.append(
                "difficultyChange kept: under-confidence is answered by feedback, not easier items"
            )
    personalized = AssessmentParameters(interval, difficulty, focus, focus_interval)
    limits = safety_limits(evidence, trace)
    if limits.active:
        lighter = max(interval, defaults.interval_days)
        personalized = AssessmentParameters(
            interval_days=lighter,
            difficulty_change=min(difficulty, limits.max_difficulty),
            focus_objective_ids=focus,
            focus_interval_days=None if focus_interval is None else max(focus_interval, lighter),
        )
    return _finish(Ctx.ASSESSMENT, arm, sc, personalized, defaults, trace, limits)


# --- SESSION -------------------------------------------------------------------------


def session_defaults(params: SessionParams) -> SessionParameters:
    """5.3's defaults: 45 min ± complexity, breaks by complexity, phases, intensity MEDIUM."""
    duration = default_duration(params.complexity, params.duration_minutes)
    every = DEFAULT_BREAK_EVERY_MINUTES[params.complexity]
    return SessionParameters(
        duration_minutes=duration,
        break_every_minutes=every,
        breaks=break_schedule(duration, every),
        phases=session_phases(duration),
        peak_objective_ids=(),
        intensity="MEDIUM",
    )


def _intensity(evidence: Evidence, trace: _Trace) -> str:
    if evidence.load is None or not trace.consider(
        "COGNITIVE_LOAD",
        f"load {evidence.load.score:.0f} ({evidence.load.level.value})",
        evidence.load.confidence,
        "intensity",
        F.LOAD_ADJUSTMENT,
    ):
        return "MEDIUM"
    score = evidence.load.score
    if score < INTENSITY_HIGH_BELOW_LOAD:
        intensity = "HIGH"
    elif score >= INTENSITY_LOW_FROM_LOAD:
        intensity = "LOW"
    else:
        intensity = "MEDIUM"
    if evidence.burnout is BurnoutRiskLevel.MEDIUM and intensity == "HIGH":
        intensity = "MEDIUM"
        trace.reasons.append("intensity capped at MEDIUM: burnout risk MEDIUM")
    if intensity != "MEDIUM":
        trace.reasons.append(f"intensity {intensity}: current load {score:.0f}")
    return intensity


def apply_session(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: SessionParams | None = None,
) -> Personalized[SessionParameters]:
    """SESSION: length, breaks, sequence (struggles in the peak) and intensity."""
    params = params or SessionParams()
    sc = _as_scope(scope, Ctx.SESSION)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = session_defaults(params)
    duration = _duration(evidence, trace, defaults.duration_minutes, params.complexity, w.patterns)
    every = defaults.break_every_minutes
    att = evidence.attention
    if att is not None and trace.consider(
        "ATTENTION_CYCLE",
        f"break every {att.break_interval_minutes:.0f} min (0.9 × median time to fatigue)",
        att.confidence,
        "breakEveryMinutes",
        F.BREAKS,
    ):
        every = max(
            MIN_BREAK_EVERY_MINUTES,
            min(
                MAX_BREAK_EVERY_MINUTES,
                math.floor(move(every, att.break_interval_minutes, w.patterns) + 0.5),
            ),
        )
        if every != defaults.break_every_minutes:
            trace.reasons.append(
                f"breakEveryMinutes {defaults.break_every_minutes} → {every}: the learner tires "
                f"after about {att.break_interval_minutes / 0.9:.0f} min"
            )
    peak: tuple[str, ...] = ()
    struggles = _struggles_used(evidence, trace, F.SEQUENCE, "peakObjectiveIds")
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        peak = tuple(
            s.objective_id
            for s in struggles
            if not params.objective_ids or s.objective_id in params.objective_ids
        )
        if peak:
            trace.reasons.append("peakObjectiveIds: predicted struggles in the peak phase (5.3)")
    intensity = _intensity(evidence, trace)
    personalized = SessionParameters(
        duration_minutes=duration,
        break_every_minutes=every,
        breaks=break_schedule(duration, every),
        phases=session_phases(duration),
        peak_objective_ids=peak,
        intensity=intensity,
    )
    limits = safety_limits(evidence, trace)
    if limits.active:
        d = lighter_duration(duration, defaults.duration_minutes, limits)
        e = min(every, defaults.break_every_minutes)
        if limits.break_every_max is not None:
            e = min(e, limits.break_every_max)
        personalized = SessionParameters(
            duration_minutes=d,
            break_every_minutes=e,
            breaks=break_schedule(d, e),
            phases=session_phases(d),
            peak_objective_ids=() if limits.review_only else peak,
            intensity="LOW",
            review_only=limits.review_only,
            break_now=limits.break_now,
        )
    return _finish(Ctx.SESSION, arm, sc, personalized, defaults, trace, limits)


# --- dispatch ------------------------------------------------------------------------


def apply(
    context: PersonalizationContext,
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: Mapping[str, Any] | Params | None = None,
) -> Personalized[Any]:
    """The ``apply_*`` of ``context``; ``params`` may be raw JSON (validated here)."""
    parsed = check_params(context, params)
    if context is Ctx.MISSION:
        assert isinstance(parsed, MissionParams)
        return apply_mission(evidence, arm, scope, parsed)
    if context is Ctx.CONTENT:
        assert isinstance(parsed, ContentParams)
        return apply_content(evidence, arm, scope, parsed)
    if context is Ctx.ASSESSMENT:
        assert isinstance(parsed, AssessmentParams)
        return apply_assessment(evidence, arm, scope, parsed)
    assert isinstance(parsed, SessionParams)
    return apply_session(evidence, arm, scope, parsed)
