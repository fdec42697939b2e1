"""Burnout detection on ``twin.simulate`` cohorts — a calibration aid, not a test (not collected).

Run: ``.venv/bin/python -m tests.analysis.cognitive.simulated_cohort_check --learners 200``

Maps simulated rows to the analyses' value objects roughly as a service would:
per session, reviews in time order give latencies (``timeSpentMs``) and
correctness (rating ≠ AGAIN), four blocks of reviews give the within-session
performance (GOOD/EASY share), ``SESSION_ENDED`` events give pauses; the latency
baseline comes from previous sessions' medians, the optimal length from the
truth's best duration bucket. Sessions are scored with
:func:`compute_cognitive_load`, grouped by local day with the day's missions
(planned / completed or in progress / skipped), and assessed every day from day
14. Prints, per episode kind, the share of episodes assessed HIGH or CRITICAL
within 7 days of onset, and the share of learners without episodes ever
assessed HIGH or CRITICAL.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from datetime import UTC, date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from twin.analysis.cognitive.burnout import DailyStudyAggregate, assess_burnout_risk
from twin.analysis.cognitive.common import BurnoutRiskLevel
from twin.analysis.cognitive.load import (
    SessionLoadInput,
    baseline_latency_ms,
    compute_cognitive_load,
    median_latency_ms,
)
from twin.simulate.generate import LearnerData, generate_cohort_learner

START = date(2026, 1, 5)
WEEKS = 10
DETECTION_DAYS = 7
PERFORMANCE_BLOCKS = 4
LATE_NIGHT_HOURS = (23, 5)
AT_RISK = {BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL}


def _rows(data: LearnerData, table: str) -> list[dict[str, Any]]:
    t = data.table(table)
    return [dict(zip(t.column_names, row, strict=True)) for row in t.rows()]


def daily_aggregates(data: LearnerData) -> list[DailyStudyAggregate]:
    """The learner's days as the burnout analysis takes them."""
    tz = ZoneInfo(data.truth["timezone"])
    ended = {
        e["sessionId"]: e
        for e in (json.loads(r["eventData"]) for r in _rows(data, "behavioral_events"))
        if "pauseCount" in e
    }
    reviews: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in _rows(data, "reviews"):
        reviews[r["sessionId"]].append(r)
    low, high = data.truth["bestSessionBucketMinutes"]
    optimal = (low + (high or 90)) / 2
    medians: list[float] = []
    days: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"minutes": 0.0, "loads": [], "perf": [], "eng": [], "late": 0.0}
    )
    for s in sorted(_rows(data, "study_sessions"), key=lambda r: r["startedAt"]):
        revs = sorted(reviews.get(s["id"], []), key=lambda r: r["reviewedAt"])
        good = [1.0 if r["rating"] in ("GOOD", "EASY") else 0.0 for r in revs]
        blocks = np.array_split(np.asarray(good), PERFORMANCE_BLOCKS)
        event = ended.get(s["id"], {})
        paused_s = event.get("pausedMs", 0) / 1000
        latencies = tuple(float(r["timeSpentMs"]) for r in revs)
        result = compute_cognitive_load(
            SessionLoadInput(
                latencies_ms=latencies,
                correct=tuple(r["rating"] != "AGAIN" for r in revs),
                pause_count=event.get("pauseCount", 0),
                pause_seconds=paused_s,
                active_seconds=max(0.0, s["durationMs"] / 1000 - paused_s),
                performance_scores=tuple(float(b.mean()) * 100 for b in blocks)
                if len(good) >= 2 * PERFORMANCE_BLOCKS
                else (),
                duration_minutes=s["durationMs"] / 60_000,
                baseline_latency_ms=baseline_latency_ms(medians),
                optimal_session_minutes=optimal,
            )
        )
        median = median_latency_ms(latencies)
        if median is not None:
            medians.append(median)
        local = s["startedAt"].replace(tzinfo=UTC).astimezone(tz)
        day = days[local.date()]
        day["minutes"] += s["durationMs"] / 60_000
        day["loads"].append(result.load_score)
        if event.get("goodEasyShare") is not None:
            day["perf"].append(event["goodEasyShare"] * 100)
        if event.get("engagementScore") is not None:
            day["eng"].append(event["engagementScore"])
        if local.hour >= LATE_NIGHT_HOURS[0] or local.hour < LATE_NIGHT_HOURS[1]:
            day["late"] += s["durationMs"] / 60_000
    plans: dict[date, Counter[str]] = defaultdict(Counter)
    for m in _rows(data, "missions"):
        plan_day = m["date"].replace(tzinfo=UTC).astimezone(tz).date()
        plans[plan_day]["planned"] += 1
        plans[plan_day]["done"] += m["status"] in ("COMPLETED", "IN_PROGRESS")
        plans[plan_day]["skipped"] += m["status"] == "SKIPPED"
    out = []
    for d in sorted(set(days) | set(plans)):
        found, plan = days.get(d), plans.get(d, Counter())
        out.append(
            DailyStudyAggregate(
                day=d,
                study_minutes=found["minutes"] if found else 0.0,
                mean_load=float(np.mean(found["loads"])) if found and found["loads"] else None,
                sessions_planned=plan["planned"],
                sessions_completed=plan["done"],
                sessions_skipped=plan["skipped"],
                mean_performance=float(np.mean(found["perf"])) if found and found["perf"] else None,
                engagement=float(np.mean(found["eng"])) if found and found["eng"] else None,
                late_night_minutes=found["late"] if found else 0.0,
            )
        )
    return out


def main(learners: int, seed: int) -> None:
    """Print detection and false-alarm rates for a simulated cohort."""
    detected: Counter[str] = Counter()
    episodes: Counter[str] = Counter()
    flagged_clean = clean = 0
    for index in range(learners):
        data = generate_cohort_learner(seed, index, START, WEEKS)
        days = daily_aggregates(data)
        at_risk = {
            START + timedelta(days=k): assess_burnout_risk(
                days, START + timedelta(days=k), history_start=START
            ).level
            in AT_RISK
            for k in range(13, WEEKS * 7)
        }
        if not data.truth["episodes"]:
            clean += 1
            flagged_clean += any(at_risk.values())
        for e in data.truth["episodes"]:
            onset = date.fromisoformat(e["onsetDate"])
            episodes[e["kind"]] += 1
            detected[e["kind"]] += any(
                at_risk.get(onset + timedelta(days=j), False) for j in range(DETECTION_DAYS + 1)
            )
    for kind in sorted(episodes):
        print(f"{kind}: {detected[kind]}/{episodes[kind]} HIGH+ within {DETECTION_DAYS} days")
    print(f"without episodes: {flagged_clean}/{clean} ever HIGH+")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    main(args.learners, args.seed)
