"""Every closed-form number against GrowthBook's gbstats 0.8.0, on all 74 reference cases.

The vectors (``../shared/oracles/experiments.json``, relative to the repository root) were
produced by gbstats 0.8.0 itself; the README beside them states the conventions and the
tolerances used here: closed-form numbers 1e-9 relative with a 1e-12 absolute floor, t-test
p-values 1e-9 relative or 1e-12 absolute, risk 1e-8 relative or 1e-12 absolute; error cases
match the message exactly and then the fixed default numbers. The file is read in place; the
test is skipped with a message when it is absent.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from twin.analysis.experiments.bayesian import BayesianConfig, bayesian_effect
from twin.analysis.experiments.frequentist import (
    FrequentistConfig,
    FrequentistResult,
    SequentialConfig,
    sequential_ttest,
    welch_ttest,
)
from twin.analysis.experiments.srm import srm_p_value
from twin.analysis.experiments.statistics import (
    ArmStatistic,
    DifferenceType,
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    StatisticKind,
)

ORACLE = Path(__file__).resolve().parents[3].parent / "shared" / "oracles" / "experiments.json"
EXPECTED_CASES = 74
CLOSED_FORM_RTOL = 1e-9
CLOSED_FORM_ATOL = 1e-12
P_VALUE_RTOL = 1e-9
P_VALUE_ATOL = 1e-12
RISK_RTOL = 1e-8
RISK_ATOL = 1e-12


def _load_cases() -> list[dict[str, Any]]:
    if not ORACLE.is_file():
        return []
    cases: list[dict[str, Any]] = json.loads(ORACLE.read_text())
    return cases


CASES = _load_cases()
skip_without_oracle = pytest.mark.skipif(
    not CASES,
    reason=f"gbstats reference vectors not found at {ORACLE} (read in place, never copied)",
)


def _close(actual: float, expected: float, rtol: float, atol: float) -> bool:
    """Relative tolerance with an absolute floor (math.isclose semantics: either suffices)."""
    return math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol)


def assert_close(
    name: str,
    actual: float,
    expected: float,
    rtol: float = CLOSED_FORM_RTOL,
    atol: float = CLOSED_FORM_ATOL,
) -> None:
    assert _close(actual, expected, rtol, atol), (
        f"{name}: got {actual!r}, gbstats {expected!r} (rel err "
        f"{abs(actual - expected) / max(abs(expected), 1e-300):.2e})"
    )


def arm(spec: dict[str, Any]) -> ArmStatistic:
    """One arm of a case as our sufficient statistic (fields named as in the oracle)."""
    kind = spec["statistic"]
    if kind == "sample_mean":
        return SampleMeanStatistic(n=spec["n"], sum=spec["sum"], sum_squares=spec["sum_squares"])
    if kind == "proportion":
        return ProportionStatistic(n=spec["n"], sum=spec["sum"])
    assert kind == "regression_adjusted"
    return RegressionAdjustedStatistic(
        n=spec["n"],
        sum=spec["sum"],
        sum_squares=spec["sum_squares"],
        pre_sum=spec["pre_sum"],
        pre_sum_squares=spec["pre_sum_squares"],
        post_pre_sum_of_products=spec["post_pre_sum_of_products"],
        post_kind=StatisticKind(spec["post_statistic"]),
    )


def check_frequentist(case: dict[str, Any], result: FrequentistResult) -> None:
    expected = case["expected"]
    assert (result.error.value if result.error else None) == expected["error_message"]
    assert_close("expected", result.expected, expected["expected"])
    assert_close("ci[0]", result.ci[0], expected["ci"][0])
    assert_close("ci[1]", result.ci[1], expected["ci"][1])
    assert_close("uplift.mean", result.expected, expected["uplift"]["mean"])
    assert_close("uplift.stddev", result.stddev, expected["uplift"]["stddev"])
    if case["kind"] == "sequential_ttest":
        # The sequential p is a closed form (no t distribution): the closed-form tolerance.
        assert_close("p_value", result.p_value, expected["p_value"])
    else:
        assert_close("p_value", result.p_value, expected["p_value"], P_VALUE_RTOL, P_VALUE_ATOL)
    if "theta" in expected:
        assert result.theta is not None
        assert_close("theta", result.theta, expected["theta"])
    diagnostics = case.get("diagnostics")
    if diagnostics is None:
        assert result.diagnostics is None
        return
    ours = result.diagnostics
    assert ours is not None
    assert_close("variance", ours.variance, diagnostics["variance"])
    for side in ("a", "b"):
        assert_close(f"mean_{side}", getattr(ours, f"mean_{side}"), diagnostics[f"mean_{side}"])
        assert_close(
            f"unadjusted_mean_{side}",
            getattr(ours, f"unadjusted_mean_{side}"),
            diagnostics[f"unadjusted_mean_{side}"],
        )
        assert_close(
            f"variance_{side}", getattr(ours, f"variance_{side}"), diagnostics[f"variance_{side}"]
        )
    if case["kind"] == "sequential_ttest":
        assert ours.rho is not None
        assert_close("rho", ours.rho, diagnostics["rho"])
        assert ours.total_n == diagnostics["N"]
    else:
        assert ours.dof is not None and ours.t_statistic is not None
        assert_close("dof", ours.dof, diagnostics["dof"])
        assert_close("t_statistic", ours.t_statistic, diagnostics["t_statistic"])


def run_case(case: dict[str, Any]) -> None:
    kind = case["kind"]
    config = case["config"]
    if kind == "srm":
        p = srm_p_value(case["inputs"]["users"], case["inputs"]["weights"])
        assert_close("p_value", p, case["expected"]["p_value"])
        return
    stat_a, stat_b = arm(case["inputs"]["a"]), arm(case["inputs"]["b"])
    difference_type = DifferenceType(config["difference_type"])
    if kind in ("welch_ttest", "proportion_ttest", "cuped_ttest"):
        frequentist = FrequentistConfig(
            alpha=config["alpha"], test_value=config["test_value"], difference_type=difference_type
        )
        check_frequentist(case, welch_ttest(stat_a, stat_b, frequentist))
        return
    if kind == "sequential_ttest":
        sequential = SequentialConfig(
            alpha=config["alpha"],
            test_value=config["test_value"],
            difference_type=difference_type,
            tuning_parameter=config["sequential_tuning_parameter"],
        )
        check_frequentist(case, sequential_ttest(stat_a, stat_b, sequential))
        return
    assert kind == "bayesian_effect"
    # Only the improper prior is implemented; with it the prior type changes nothing.
    assert config["prior_effect"]["proper"] is False
    result = bayesian_effect(
        stat_a, stat_b, BayesianConfig(alpha=config["alpha"], difference_type=difference_type)
    )
    expected = case["expected"]
    assert (result.error.value if result.error else None) == expected["error_message"]
    assert result.difference_type.value == expected["risk_type"]
    assert_close("expected", result.expected, expected["expected"])
    assert_close("ci[0]", result.ci[0], expected["ci"][0])
    assert_close("ci[1]", result.ci[1], expected["ci"][1])
    assert_close("uplift.mean", result.expected, expected["uplift"]["mean"])
    assert_close("uplift.stddev", result.stddev, expected["uplift"]["stddev"])
    assert_close("chance_to_win", result.chance_to_win, expected["chance_to_win"])
    assert_close("risk[0]", result.risk[0], expected["risk"][0], RISK_RTOL, RISK_ATOL)
    assert_close("risk[1]", result.risk[1], expected["risk"][1], RISK_RTOL, RISK_ATOL)
    if "theta" in expected:
        assert result.theta is not None
        assert_close("theta", result.theta, expected["theta"])


@skip_without_oracle
def test_the_file_holds_all_74_cases() -> None:
    """A truncated or replaced file must not pass quietly."""
    assert len(CASES) == EXPECTED_CASES
    assert len({c["id"] for c in CASES}) == EXPECTED_CASES


@skip_without_oracle
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_matches_gbstats(case: dict[str, Any]) -> None:
    """Our number equals gbstats 0.8.0's at the README's tolerance, error cases included."""
    run_case(case)


@skip_without_oracle
@pytest.mark.parametrize(
    "case",
    [c for c in CASES if "raw" in c["inputs"] and c["expected"].get("error_message") is None],
    ids=lambda c: c["id"],
)
def test_sums_from_raw_values_give_the_same_numbers(case: dict[str, Any]) -> None:
    """Statistics built from the per-unit values (as the SQL aggregate would) match too."""
    raw = case["inputs"]["raw"]
    built = dict(case)
    built["inputs"] = {
        "a": {"statistic": "sample_mean", **_sums(raw["a"])},
        "b": {"statistic": "sample_mean", **_sums(raw["b"])},
    }
    run_case(built)


def _sums(values: list[float]) -> dict[str, float]:
    stat = SampleMeanStatistic.from_values(values)
    return {"n": stat.n, "sum": stat.sum, "sum_squares": stat.sum_squares}
