"""Struggle answers that explain themselves: reduction direction, open predictions, metrics."""

from __future__ import annotations

from datetime import date, datetime

from twin.analysis.struggle.metrics import performance_report
from twin.analysis.struggle.metrics import struggle_reduction as reduction_of
from twin.api.schemas.struggle import PerformanceReportOut, StruggleReductionOut
from twin.enums import PredictionStatus
from twin.services.struggle.outcomes import DateWindow, ReductionReport
from twin.services.struggle.views import status_reason

NOW = datetime(2026, 3, 15, 12, 0)


def _report(baseline: tuple[int, int], current: tuple[int, int]) -> dict[str, object]:
    result = reduction_of(baseline[0], baseline[1], current[0], current[1])
    report = ReductionReport(
        "u",
        "month",
        datetime(2026, 3, 1, 9, 0),
        DateWindow(date(2026, 1, 18), date(2026, 3, 1)),
        DateWindow(date(2026, 2, 13), date(2026, 3, 15)),
        result,
    )
    answer: dict[str, object] = StruggleReductionOut.model_validate(report).model_dump(mode="json")
    return answer


def test_a_negative_reduction_says_struggles_rose() -> None:
    """3 of 20 before (15%), 21 of 50 now (42%): (0.15 - 0.42) / 0.15 = -1.8, i.e. 180% more."""
    body = _report((3, 20), (21, 50))
    assert body["reduction"] == -1.8 and body["change"] == "rose"
    assert body["summary"] == (
        "struggles rose: 15% of the objectives studied were struggles before predictions, "
        "42% in the current window (180% more than before)"
    )
    assert body["predictionsEnabledAt"] == "2026-03-01T09:00:00.000Z"
    assert body["baselineWindow"] == {"start": "2026-01-18", "end": "2026-03-01"}


def test_a_fall_and_no_result_in_words() -> None:
    fell = _report((10, 20), (5, 20))  # 50% → 25%: (0.5 - 0.25) / 0.5 = 0.5
    assert fell["change"] == "fell" and fell["reduction"] == 0.5
    assert str(fell["summary"]).endswith("(50% fewer than before)")
    short = _report((3, 20), (1, 4))  # 4 current objectives < 10
    assert short["change"] is None and short["status"] == "insufficient_data"
    assert short["summary"] == "not enough data yet: current objectives: 4 of 10"


def test_metrics_without_confirmed_struggles_say_so() -> None:
    """10 outcomes, none a struggle, one predicted: precision 0/1, recall undefined."""
    report = performance_report([0.6] + [0.1] * 9, [False] * 10)
    body = PerformanceReportOut.model_validate(report).model_dump(mode="json")
    assert body["recall"] is None and body["f1"] is None and body["auc"] is None
    assert body["notes"] == [
        "no confirmed struggles yet: recall, F1 and AUC need at least one recorded struggle; "
        "every predicted struggle so far was a false alarm"
    ]
    quiet = performance_report([0.1] * 10, [False] * 10)
    notes = PerformanceReportOut.model_validate(quiet).model_dump(mode="json")["notes"]
    assert notes[0].startswith("no confirmed struggles yet") and "false alarm" not in notes[0]
    assert notes[1] == "no prediction reached 0.5 yet: precision needs at least one"


def test_an_open_prediction_says_what_it_waits_for() -> None:
    predicted = datetime(2026, 3, 1, 9, 0)
    late = status_reason(PredictionStatus.PENDING, datetime(2026, 3, 10), predicted, NOW)
    assert late.startswith("open although its due date (2026-03-10) has passed:")
    assert late.endswith("dismissed if still undecided on 2026-03-31")  # 30 days after
    soon = status_reason(PredictionStatus.PENDING, datetime(2026, 3, 20), predicted, NOW)
    assert soon.startswith("open (due 2026-03-20):")
    assert status_reason(PredictionStatus.MISSED, None, predicted, NOW).startswith(
        "no struggle was predicted"
    )
