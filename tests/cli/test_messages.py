"""What the command line says, checked without a database: errors, hints, figures, layout.

Each test names the complaint of issue 15 it guards against: options named as typed,
no doubled prefixes, hints that name commands, no raw Python structures, no unit-less or
empty figures, flags shown as flags, readable prediction reasons, counts that add up,
labelled priorities, output that reads at 80 columns.
"""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from twin.analysis.struggle.contexts import Candidate, ObjectiveInfo
from twin.analysis.struggle.features import FEATURE_NAMES, UNKNOWN_VALUE, FeatureVector
from twin.analysis.struggle.workflow import Intervention
from twin.cli import app
from twin.cli.cognitive import measure_text, profile_line
from twin.cli.common import cli_message, insufficient_text, words
from twin.cli.ingest import failure_message, problem_line
from twin.cli.patterns import daily_limit_text
from twin.cli.serve import port_problem
from twin.cli.simulate import existing_cohort_message
from twin.cli.struggle import counts_line, predictions_block, readable_reasons, unknown_text
from twin.enums import InterventionType
from twin.errors import Conflict, Forbidden, NotFound
from twin.learners import check_analysis_consent, unknown_learner
from twin.services.struggle import GeneratedPrediction, GenerationResult, KeptPrediction

runner = CliRunner()
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RAW_STRUCTURE = re.compile(r"[{}\[\]]|'\w+':")


def single_word_runs(output: str, run: int = 3) -> list[str]:
    """Table lines of ``run`` consecutive continuation rows that hold one word each.

    One-word-per-line wrapping (a squeezed column) shows as table lines whose first cell
    is empty (a row continued) and whose filled cells hold a single word, one after the
    other; a phrase wrapped once leaves at most one such line.
    """
    found: list[str] = []
    streak: list[str] = []
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        filled = [c for c in cells if c]
        continuation = bool(cells) and not cells[0] and bool(filled)
        if continuation and all(len(c.split()) == 1 for c in filled):
            streak.append(line)
            if len(streak) >= run:
                found.extend(streak)
        else:
            streak = []
    return found


def fits(output: str, width: int = 80) -> list[str]:
    """Lines longer than ``width``."""
    return [line for line in output.splitlines() if len(line) > width]


def render(renderable: object, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


# --- errors name what the user typed ------------------------------------------------------


def test_import_problems_name_the_option_and_the_file_once() -> None:
    assert (
        problem_line({"line": None, "field": "timezone", "reason": "unknown IANA time zone 'X'"})
        == "--timezone: unknown IANA time zone 'X'"
    )
    assert problem_line({"line": None, "field": "user", "reason": "empty"}) == "--user: empty"
    reason = "/tmp/a.csv is not UTF-8 text (invalid start byte at byte 0)"
    assert problem_line({"line": None, "field": "file", "reason": reason}, "/tmp/a.csv") == reason
    assert problem_line({"line": 3, "field": "review_rating", "reason": "must be 1–4"}) == (
        "line 3: review_rating: must be 1–4"
    )


def test_import_refusals_say_skip_bad_as_typed() -> None:
    details = [{"line": 3, "field": "review_rating", "reason": "must be 1–4"}]
    text = failure_message("x: 1 bad line(s) (use skip_bad …)", details, "log.csv")
    assert "--skip-bad" in text and "skip_bad" not in text.replace("--skip-bad", "")
    assert text.startswith("log.csv: 1 bad line(s); nothing was imported")
    header = [{"line": 1, "field": "header", "reason": "missing columns"}]
    assert "--skip-bad" not in failure_message("x", header, "log.csv")  # cannot help there
    zone = [{"line": None, "field": "timezone", "reason": "unknown IANA time zone 'Mars/X'"}]
    assert failure_message("invalid import arguments", zone, "log.csv") == (
        "--timezone: unknown IANA time zone 'Mars/X'; nothing was imported"
    )
    file_only = [{"line": None, "field": "file", "reason": "log.csv has no review rows"}]
    text = failure_message("log.csv has no review rows", file_only, "log.csv")
    assert text.count("log.csv") == 1 and "file:" not in text


def test_engine_errors_get_command_line_hints() -> None:
    text = cli_message(unknown_learner("ghost"))
    assert "no learner with id 'ghost'" in text
    assert "twin learners list" in text and "/v1/" not in text and "PUT" not in text
    with pytest.raises(Forbidden) as off:
        check_analysis_consent("shy", False)
    text = cli_message(off.value)
    assert "switched off for learner 'shy'" in text and "behavioralAnalysisEnabled" in text
    assert "PATCH" not in text and "/v1/" not in text
    assert cli_message(NotFound("no API key named 'x'")) == "no API key named 'x'"
    # The routes a service suggests become the commands that do the same.
    text = cli_message(
        Conflict(
            "an uploaded calendar has nothing to fetch; upload the file again with "
            "POST /v1/users/u-1/calendar:upload to refresh it"
        )
    )
    assert text == (
        "an uploaded calendar has nothing to fetch; upload the file again with "
        "`twin calendar upload u-1 FILE` to refresh it"
    )


def test_daily_limit_and_existing_cohort_name_the_options() -> None:
    details = Conflict(
        "…",
        details={
            "lastAnalyzedAt": "2026-03-02T09:00:00+00:00",
            "nextAllowedAt": "2026-03-03T09:00:00+00:00",
            "sessionsSinceLastAnalysis": 4,
            "sessionsForEarlierRun": 10,
        },
    ).details
    text = daily_limit_text(details)
    assert "2026-03-03 09:00 UTC" in text and "6 more session(s)" in text
    assert "--force" in text and '{"force": true}' not in text
    text = existing_cohort_message({"seed": 7, "existingLearners": 12}, 7)
    assert "12 simulated learners of seed 7" in text
    assert "--replace" in text and "--seed" in text and "replace=True" not in text


def test_a_taken_port_is_named_before_anything_starts() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert port_problem("127.0.0.1", port) == (
            f"port {port} on 127.0.0.1 is taken (another program listens there)"
        )
    assert port_problem("127.0.0.1", port) is None  # free again once closed
    assert "--host" in (port_problem("no-such-host.invalid", 8000) or "")


def test_demo_and_serve_refuse_a_taken_port_naming_the_option() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        for command in (["demo"], ["serve"]):
            result = runner.invoke(app, [*command, "--port", str(port)], terminal_width=200)
            assert result.exit_code == 1, result.output
            assert f"port {port} on 127.0.0.1 is taken" in result.output
            assert "--port" in result.output
        demo = runner.invoke(app, ["demo", "--port", str(port)], terminal_width=200)
        assert f"make demo PORT={port + 1}" in demo.output
        assert "database" not in demo.output  # refused before the set-up


# --- figures in words, with units ---------------------------------------------------------


def test_insufficient_data_is_said_in_words() -> None:
    text = insufficient_text({"sessions": {"have": 0, "need": 6}})
    assert text == "0 of the 6 sessions needed"
    assert not RAW_STRUCTURE.search(text)
    assert insufficient_text({"loadReadings": {"have": 2, "need": 5}}) == (
        "2 of the 5 load readings needed"
    )
    assert words("daysSinceFirstSession") == "days since first session"


def test_profile_line_never_prints_an_empty_figure() -> None:
    empty = profile_line({"loadTolerance": None, "loadToleranceMethod": "none", "meanLoad7d": None})
    assert "—" not in empty and " h" not in empty and "(none)" not in empty
    assert "load tolerance not measured yet" in empty
    assert "recovery time not measured yet" in empty
    full = profile_line(
        {
            "loadTolerance": 79.4,
            "loadToleranceMethod": "p90_load",
            "meanLoad7d": 65.2,
            "meanRecoveryHours": 3.84,
        }
    )
    assert "load tolerance 79/100 (p90 load)" in full and "3.8 h on average" in full


def test_burnout_measures_carry_their_units() -> None:
    assert measure_text(0.333, "share of study days with load > 60", True) == (
        "33% of study days with load > 60"
    )
    assert measure_text(14.0, "days with load < 40", True) == "14 days with load < 40"
    assert measure_text(-11.1, "performance points lost (fitted)", True) == (
        "11.1 performance points gained (fitted)"
    )
    assert measure_text(None, "hours/week", False).startswith("not measured")
    assert measure_text(-0.0, "performance points lost (fitted)", True) == (
        "0 performance points lost (fitted)"
    )
    assert measure_text(1.0, "days with load < 40", True) == "1 day with load < 40"


def every_command() -> list[list[str]]:
    """The path of every leaf command of ``twin`` (``["calendar", "connect"]``, …)."""
    import typer.main

    # Typer vendors its own click: a group is whatever has sub-commands.
    def walk(command: Any, path: list[str]) -> list[list[str]]:
        subs = getattr(command, "commands", None)
        if not subs:
            return [path]
        return [p for name, sub in subs.items() for p in walk(sub, [*path, name])]

    return walk(typer.main.get_command(app), [])


def test_flags_are_shown_as_flags() -> None:
    commands = every_command()
    assert ["calendar", "connect"] in commands and ["demo"] in commands  # the walk sees all
    for command in commands:
        result = runner.invoke(app, [*command, "--help"], terminal_width=120)
        assert result.exit_code == 0, command
        assert "<bool>" not in result.output and "BOOLEAN" not in result.output, command
    assert "--force" in runner.invoke(app, ["analyze", "--help"]).output


def test_every_table_command_offers_json() -> None:
    for command in (
        ["db", "verify"],
        ["db", "history"],
        ["keys", "list"],
        ["learners", "list"],
        ["analyze"],
        ["health"],
        ["predict"],
        ["model", "list"],
        ["model", "train"],
        ["simulate"],
        ["import", "revlog"],
        ["schedule"],
        ["insights"],
        ["experiment", "list"],
        ["experiment", "results"],
        ["experiment", "metrics"],
        ["experiment", "stop"],
    ):
        result = runner.invoke(app, [*command, "--help"], terminal_width=200)
        assert "--json" in result.output, command


# --- predictions -----------------------------------------------------------------------


def _features(values: dict[str, float], unknown: frozenset[str] = frozenset()) -> FeatureVector:
    full = {name: UNKNOWN_VALUE for name in FEATURE_NAMES} | values
    return FeatureVector.from_array([full[n] for n in FEATURE_NAMES], unknown=unknown)


def _prediction(
    features: FeatureVector, contributions: dict[str, float], p: float = 0.91
) -> GeneratedPrediction:
    objective = ObjectiveInfo(
        id="o1",
        text="Interpret key concept 6 of hypersensitivity (Immunology)",
        complexity="INTERMEDIATE",
        mastery_level="BEGINNER",
        lecture_id="l1",
        topic_tags=(),
        course_id="c1",
        course_name="Immunology",
        uploaded_at=T,
    )
    contributions = {n: 0.0 for n in FEATURE_NAMES} | contributions
    return GeneratedPrediction(
        prediction_id="p1",
        objective=objective,
        candidate=Candidate(objectiveId="o1", dueAt=T, source="mission", sourceId="m1"),
        probability=p,
        confidence=0.85,
        model_version="struggle-lr-test",
        features=features,
        contributions=contributions,
        top_factors=sorted(contributions.items(), key=lambda kv: -kv[1])[:3],
        created=True,
        indicators=[],
        interventions=[
            (
                "i1",
                Intervention(
                    InterventionType.PREREQUISITE_REVIEW,
                    9,
                    "Review the weak prerequisites first, in a 30-minute session.",
                    "because",
                ),
            )
        ],
    )


def _result(predictions: list[GeneratedPrediction], kept: int = 0) -> GenerationResult:
    return GenerationResult(
        user_id="learner-1",
        generated_at=T,
        model_version="struggle-lr-test",
        days_ahead=14,
        created=1,
        updated=len(predictions) - 1,
        indicators=0,
        interventions=1,
        predictions=predictions,
        alerts=[],
        awaiting_outcome=[
            KeptPrediction(f"k{i}", predictions[0].objective, 0.4, 0.5, T, T) for i in range(kept)
        ],
    )


def test_reasons_worth_reading_come_first_and_harmless_values_are_not_reasons() -> None:
    # A trained model may credit "no open objective" (workload 0) with raising the risk;
    # that is not a reason to show. Validation at 23% (measured) is.
    features = _features({"workloadLevel": 0.0, "validationScore": 0.23, "retentionScore": 0.4})
    prediction = _prediction(
        features, {"workloadLevel": 0.9, "validationScore": 0.6, "retentionScore": 0.3}
    )
    reasons = readable_reasons(prediction)
    assert reasons[0] == "its validation answers score 23% on average"
    assert "predicted recall of its cards is 40%" in reasons
    assert not any("objectives open" in r for r in reasons)


def test_unknown_features_are_shown_as_unknown_never_as_a_value() -> None:
    features = _features({"retentionScore": 0.3}, unknown=frozenset({"validationScore"}))
    prediction = _prediction(features, {"validationScore": 0.8, "retentionScore": 0.5})
    reasons = readable_reasons(prediction)
    assert not any("validation answers score 50%" in r for r in reasons)
    assert "validation score" in unknown_text(prediction)
    text = render(predictions_block(_result([prediction])))
    assert "50%" not in text
    assert "unknown" in text and "validation score" in text


def test_counts_add_up_and_priorities_are_labelled() -> None:
    prediction = _prediction(_features({"retentionScore": 0.3}), {"retentionScore": 0.5})
    second = _prediction(_features({"retentionScore": 0.2}), {"retentionScore": 0.6}, p=0.8)
    second = GeneratedPrediction(**{**second.__dict__, "prediction_id": "p2"})
    result = _result([prediction, second], kept=2)
    line = counts_line(result)
    # 4 objectives = 2 predicted (1 new + 1 updated) + 2 kept
    assert line.startswith("4 objectives due or weakest: 2 predicted now (1 new, 1 updated)")
    assert "2 kept as they were" in line
    text = render(predictions_block(result))
    assert "priority 9/10" in text
    assert "priority 1–10, higher first" in text


def test_predictions_read_at_80_columns() -> None:
    features = _features(
        {"validationScore": 0.23, "retentionScore": 0.41, "prerequisiteGapCount": 1.0},
        unknown=frozenset({"sessionPerformanceScore", "contentTypeMismatch"}),
    )
    prediction = _prediction(
        features,
        {"validationScore": 0.6, "retentionScore": 0.4, "prerequisiteGapCount": 0.5},
    )
    text = render(predictions_block(_result([prediction], kept=1)))
    assert fits(text) == []
    assert single_word_runs(text) == []
    # whole words: each reason is readable on one or two lines
    assert "its validation answers score 23% on average" in " ".join(text.split())
