"""The personalization benchmark end to end at a tiny scale: the oracle rows, recovery, the
effectiveness check, pooled vs uniform priors, off-policy coverage and the cost table."""

from __future__ import annotations

import pytest

from benchmarks.personalization_quality import Options, run, run_ope_only


@pytest.mark.slow
def test_quick_personalization_benchmark() -> None:
    options = Options(
        quick=True,
        seed=17,
        learners=8,
        ope_trials=2,
        ope_trials_plain=1,
        ope_learners=6,
        horizons=(200,),
        prior_caps=(5.0,),
        # The true advantages only sort pairs into eligible or not; the smoke run checks the
        # parts run end to end, not their figures (400 draws: benchmarks/results).
        advantage_draws=50,
    )
    result = run(options, report=lambda _text: None)
    oracle = result["oracle"]
    if "rows" in oracle:
        # plain Thompson sampling reproduces MABWiser draw for draw on the oracle's protocol
        assert all(r["ratio"] == pytest.approx(1.0) for r in oracle["rows"])
    assert result["population"]["learners"] == 8
    eff = result["effectiveness"]
    assert eff["noDifferencePairs"] + eff["advantagePairs"] + eff["insufficient"] >= 0
    share = eff["noDifferenceNotSignificantShare"]
    assert share is None or 0.0 <= share <= 1.0
    assert len(result["priors"]) == 2
    assert set(result["offPolicy"]["logging"]) == {"engine (floor 0.1)", "plain Thompson"}
    assert result["speed"]["calls"] > 0 and result["speed"]["p95Ms"] > 0


@pytest.mark.slow
def test_ope_only_reports_coverage_with_its_interval() -> None:
    """``--ope-only``: part 3 alone, each coverage with its Wilson interval and the plain IPS beside it."""
    options = Options(
        quick=True,
        seed=17,
        learners=8,
        ope_trials=2,
        ope_trials_plain=0,
        ope_learners=6,
        horizons=(200,),
        prior_caps=(5.0,),
        ope_only=True,
    )
    off = run_ope_only(options)["offPolicy"]
    assert set(off["logging"]) == {"engine (floor 0.1)"}
    for c in off["logging"]["engine (floor 0.1)"]["coverage"].values():
        for key in ("ips", "plainIps", "dr"):
            low, high = c[key + "Interval95"]
            assert 0.0 <= low <= c[key] <= high <= 1.0
