"""The engine's Thompson sampling against MABWiser 2.7.4 (``../shared/oracles/bandits.json``).

Protocol of the oracle README: reward table ``default_rng(s).random((5000, K))``, policy
randomness ``default_rng(s + 1,000,000)``, one Beta draw per arm in arm order, first argmax,
cold and round-robin starts. Following that draw order exactly, the engine reproduces
MABWiser's per-seed regret; the README's coarse checks (ratio of means in [0.5, 2], |z| < 3,
goal ratio ≤ 1.1) then hold trivially, and are asserted too. Smaller horizons only (200 and
1,000); the benchmark runs all three.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks.personalization_quality import ORACLE, thompson_regrets_by_horizon
from twin.analysis.personalization.bandit import ArmStats, choose_arm
from twin.analysis.personalization.strategy import ARMS

HORIZONS = (200, 1000)

pytestmark = pytest.mark.skipif(
    not ORACLE.exists(), reason=f"oracle vectors not found at {ORACLE} (../shared/oracles)"
)


def _oracle() -> dict[str, object]:
    data: dict[str, object] = json.loads(ORACLE.read_text())
    return data


def test_thompson_reproduces_mabwiser_per_seed() -> None:
    """Every ThompsonSampling row at T = 200 and 1,000: identical per-seed regret, ratio 1."""
    data = _oracle()
    problems = {p["id"]: p["p"] for p in data["problems"]}  # type: ignore[attr-defined]
    seeds = data["env_seeds"]
    runs = {
        (pid, start): [thompson_regrets_by_horizon(p, start, HORIZONS, s) for s in seeds]  # type: ignore[attr-defined]
        for pid, p in problems.items()
        for start in data["starts"]  # type: ignore[attr-defined]
    }
    rows = [
        r
        for r in data["results"]  # type: ignore[attr-defined]
        if r["policy"] == "ThompsonSampling" and r["horizon"] in HORIZONS
    ]
    assert len(rows) == 12
    for row in rows:
        ours = np.array([run[row["horizon"]] for run in runs[(row["problem"], row["start"])]])
        assert ours == pytest.approx(row["regret_per_seed"], abs=1e-9), (
            row["problem"],
            row["start"],
        )
        ratio = ours.mean() / row["regret_mean"]
        sem = ours.std(ddof=1) / math.sqrt(ours.size)
        z = abs(ours.mean() - row["regret_mean"]) / math.hypot(sem, row["regret_sem"])
        assert 0.5 <= ratio <= 2.0 and ratio <= 1.1 and z < 3.0


def test_choose_arm_makes_the_same_choices() -> None:
    """The engine's decision function (strategy arms, ArmStats) reproduces the per-seed regret
    of the problems with at most four arms (bern5_spread has more arms than strategies)."""
    data = _oracle()
    for problem in data["problems"]:  # type: ignore[attr-defined]
        p = np.asarray(problem["p"])
        if p.size > len(ARMS):
            continue
        arms = ARMS[: p.size]
        for row in data["results"]:  # type: ignore[attr-defined]
            if (
                row["problem"] != problem["id"]
                or row["policy"] != "ThompsonSampling"
                or row["horizon"] != 1000
            ):
                continue
            for seed, expected in list(zip(data["env_seeds"], row["regret_per_seed"], strict=True))[
                :5
            ]:  # type: ignore[call-overload]
                table = np.random.default_rng(seed).random((5000, p.size))
                rng = np.random.default_rng(seed + 1_000_000)
                stats = [ArmStats(a) for a in arms]
                regret = 0.0
                for t in range(1000):
                    if row["start"] == "round_robin" and t < p.size:
                        i = t
                    else:
                        d = choose_arm(stats, rng, exploration=0.0, with_propensities=False)
                        i = arms.index(d.arm)
                    stats[i] = stats[i].updated(float(table[t, i] < p[i]))
                    regret += p.max() - p[i]
                assert regret == pytest.approx(expected, abs=1e-9)
