"""SARIF output: the mandatory structure of SARIF 2.1.0, checked without the network.

``sarif_problems`` checks the properties the SARIF 2.1.0 specification (OASIS, 2020) makes
mandatory or constrains, for the objects we emit: sarifLog (§3.13), run (§3.14), tool (§3.18),
toolComponent (§3.19), reportingDescriptor (§3.49), result (§3.27), message (§3.11),
location (§3.28), physicalLocation (§3.29), artifactLocation (§3.4), region (§3.30),
invocation (§3.20), notification (§3.58). The validator is itself tested against broken logs
below.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import readiness
from readiness.gate.model import CheckOutcome, CheckResult, CheckStatus, Gate, GateReport
from readiness.gate.render import render
from readiness.gate.render.sarif import sarif_log

LEVELS = {"none", "note", "warning", "error"}
KINDS = {"notApplicable", "pass", "fail", "review", "open", "informational"}


def _message_problems(where: str, message: Any) -> list[str]:
    if not isinstance(message, dict):
        return [f"{where}: message must be an object"]
    if not isinstance(message.get("text"), str) and not isinstance(message.get("id"), str):
        return [f"{where}: message needs text or id"]
    return []


def _location_problems(where: str, location: Any) -> list[str]:
    physical = location.get("physicalLocation") if isinstance(location, dict) else None
    if not isinstance(physical, dict):
        return [f"{where}: location needs a physicalLocation object"]
    problems = []
    artifact = physical.get("artifactLocation")
    if not isinstance(artifact, dict) or not isinstance(artifact.get("uri"), str):
        problems.append(f"{where}: artifactLocation.uri must be a string")
    elif "\\" in artifact["uri"] or artifact["uri"].startswith("/"):
        problems.append(f"{where}: uri must be a relative URI reference")
    if "region" in physical:
        line = physical["region"].get("startLine")
        if not isinstance(line, int) or line < 1:
            problems.append(f"{where}: region.startLine must be an integer >= 1")
    return problems


def _result_problems(where: str, result: Any, rules: list[Any]) -> list[str]:
    problems = _message_problems(where, result.get("message"))
    kind, level = result.get("kind", "fail"), result.get("level", "warning")
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} is not a SARIF kind")
    if level not in LEVELS:
        problems.append(f"{where}: level {level!r} is not a SARIF level")
    if kind != "fail" and level != "none":
        problems.append(f"{where}: kind {kind!r} requires level 'none' (§3.27.10)")
    index = result.get("ruleIndex")
    if index is not None:
        if not isinstance(index, int) or not 0 <= index < len(rules):
            problems.append(f"{where}: ruleIndex {index!r} out of range")
        elif rules[index].get("id") != result.get("ruleId"):
            problems.append(f"{where}: ruleIndex and ruleId name different rules")
    if "properties" in result and not isinstance(result["properties"], dict):
        problems.append(f"{where}: properties must be an object")
    for j, location in enumerate(result.get("locations", [])):
        problems += _location_problems(f"{where}.locations[{j}]", location)
    return problems


def _rule_problems(where: str, rule: Any) -> list[str]:
    if not isinstance(rule, dict) or not isinstance(rule.get("id"), str):
        return [f"{where}: rule needs a string id"]
    return [
        f"{where}.{key}: needs text"
        for key in ("shortDescription", "fullDescription", "help")
        if key in rule and not isinstance(rule[key].get("text"), str)
    ]


def sarif_problems(log: Any) -> list[str]:
    """Every violation of SARIF 2.1.0's mandatory structure found in ``log`` (empty: valid)."""
    if not isinstance(log, dict) or log.get("version") != "2.1.0":
        return ["sarifLog: version must be '2.1.0'"]
    runs = log.get("runs")
    if not isinstance(runs, list):
        return ["sarifLog: runs must be an array"]
    problems: list[str] = []
    for i, run in enumerate(runs):
        driver = run.get("tool", {}).get("driver") if isinstance(run, dict) else None
        if not isinstance(driver, dict) or not isinstance(driver.get("name"), str):
            problems.append(f"runs[{i}]: tool.driver.name is required")
            continue
        rules = driver.get("rules", [])
        ids = [r.get("id") for r in rules if isinstance(r, dict)]
        if len(ids) != len(set(ids)):
            problems.append(f"runs[{i}]: rule ids must be unique")
        for j, rule in enumerate(rules):
            problems += _rule_problems(f"runs[{i}].rules[{j}]", rule)
        for j, invocation in enumerate(run.get("invocations", [])):
            if not isinstance(invocation.get("executionSuccessful"), bool):
                problems.append(f"runs[{i}].invocations[{j}]: executionSuccessful is required")
            for k, note in enumerate(invocation.get("toolExecutionNotifications", [])):
                where = f"runs[{i}].invocations[{j}].toolExecutionNotifications[{k}]"
                problems += _message_problems(where, note.get("message"))
                if note.get("level", "warning") not in LEVELS:
                    problems.append(f"{where}: level {note['level']!r} is not a SARIF level")
        for j, result in enumerate(run.get("results", [])):
            problems += _result_problems(f"runs[{i}].results[{j}]", result, rules)
    return problems


def outcome(
    check_id: str, status: CheckStatus, evidence: dict[str, Any] | None = None
) -> CheckOutcome:
    result = CheckResult(status, f"{check_id} is {status.value}", evidence or {}, "Do the fix.")
    return CheckOutcome(check_id, f"Title of {check_id}", f"Item of {check_id}", result, 0.5)


def sample_report() -> GateReport:
    return GateReport(
        Gate.MERGE,
        (
            outcome("tests.passed", CheckStatus.PASS, {"tests": 3}),
            outcome("tests.no_new_flaky", CheckStatus.FAIL, {"file": "tests/test_a.py", "line": 7}),
            outcome(
                "tests.quarantine_expired",
                CheckStatus.WARN,
                {"at": datetime(2026, 1, 2, tzinfo=UTC)},
            ),
            outcome("flags.stale", CheckStatus.SKIP),
            outcome("db.reachable", CheckStatus.ERROR),
        ),
    )


def test_the_sample_log_has_no_sarif_problems() -> None:
    assert sarif_problems(json.loads(render(sample_report(), "sarif"))) == []


def test_the_log_names_the_schema_version_and_the_readiness_driver() -> None:
    log = json.loads(render(sample_report(), "sarif"))

    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("readiness", readiness.__version__)
    assert driver["informationUri"].startswith("https://")
    assert log["runs"][0]["automationDetails"] == {"id": "readiness/gate/merge/"}


def test_there_is_one_rule_per_check_with_title_checklist_item_and_remediation() -> None:
    rules = sarif_log(sample_report())["runs"][0]["tool"]["driver"]["rules"]

    assert [r["id"] for r in rules] == [
        "tests.passed",
        "tests.no_new_flaky",
        "tests.quarantine_expired",
        "flags.stale",
        "db.reachable",
    ]
    assert rules[1] == {
        "id": "tests.no_new_flaky",
        "name": "TestsNoNewFlaky",
        "shortDescription": {"text": "Title of tests.no_new_flaky"},
        "fullDescription": {"text": "Item of tests.no_new_flaky"},
        "help": {"text": "Do the fix."},
    }


def test_each_status_maps_to_its_kind_and_level() -> None:
    results = sarif_log(sample_report())["runs"][0]["results"]

    assert [(r["ruleId"], r["ruleIndex"], r["kind"], r["level"]) for r in results] == [
        ("tests.passed", 0, "pass", "none"),
        ("tests.no_new_flaky", 1, "fail", "error"),
        ("tests.quarantine_expired", 2, "fail", "warning"),
        ("flags.stale", 3, "notApplicable", "none"),
        ("db.reachable", 4, "fail", "error"),
    ]


def test_a_result_carries_the_summary_and_json_evidence() -> None:
    result = json.loads(render(sample_report(), "sarif"))["runs"][0]["results"][2]

    assert result["message"] == {"text": "tests.quarantine_expired is warn"}
    assert result["properties"] == {
        "status": "warn",
        "evidence": {"at": "2026-01-02T00:00:00+00:00"},
        "durationSeconds": 0.5,
        "missingEvidence": False,
        "allowedBy": None,
    }
    assert "locations" not in result


def test_an_allowed_missing_evidence_check_is_a_warning_naming_the_pattern() -> None:
    allowed = CheckResult(
        CheckStatus.WARN,
        "No test run recorded for commit abc1234 (missing evidence allowed by --allow-missing "
        "'tests.*')",
        {"commit": "abc1234"},
        "Ingest it.",
        missing_evidence=True,
        allowed_by="tests.*",
    )
    report = GateReport(Gate.MERGE, (CheckOutcome("tests.passed", "T", "I", allowed, 0.0),))

    [result] = sarif_log(report)["runs"][0]["results"]

    assert (result["kind"], result["level"], result["message"]["text"]) == (
        "fail",
        "warning",
        "No test run recorded for commit abc1234 (missing evidence allowed by --allow-missing "
        "'tests.*')",
    )
    assert (result["properties"]["missingEvidence"], result["properties"]["allowedBy"]) == (
        True,
        "tests.*",
    )


def test_evidence_with_file_and_line_becomes_a_physical_location() -> None:
    result = sarif_log(sample_report())["runs"][0]["results"][1]

    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "tests/test_a.py"},
                "region": {"startLine": 7},
            }
        }
    ]


def test_evidence_with_a_locations_list_becomes_one_result_per_location() -> None:
    evidence = {
        "locations": [
            {"file": "tests\\test_b.py", "line": 3, "message": "sleep in test_b"},
            {"file": "tests/test_c.py", "line": 0},
            {"test_id": "no file known"},
        ]
    }
    report = GateReport(
        Gate.MERGE, (outcome("tests.determinism_hints", CheckStatus.WARN, evidence),)
    )

    results = sarif_log(report)["runs"][0]["results"]

    assert [(r["message"]["text"], r.get("locations")) for r in results] == [
        (
            "sleep in test_b",
            [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "tests/test_b.py"},
                        "region": {"startLine": 3},
                    }
                }
            ],
        ),
        (
            "tests.determinism_hints is warn",
            [{"physicalLocation": {"artifactLocation": {"uri": "tests/test_c.py"}}}],
        ),
        ("tests.determinism_hints is warn", None),
    ]
    assert sarif_problems(sarif_log(report)) == []


def test_an_all_skipped_gate_is_an_unsuccessful_invocation_with_the_reason() -> None:
    log = sarif_log(GateReport(Gate.DEPLOY, (outcome("a.b", CheckStatus.SKIP),)))

    assert log["runs"][0]["invocations"] == [
        {
            "executionSuccessful": False,
            "toolExecutionNotifications": [
                {
                    "level": "error",
                    "message": {
                        "text": "every check was skipped, so the deploy gate verified nothing "
                        "and cannot pass; run at least one check (narrow --skip, or provide "
                        "what the skipped checks need)"
                    },
                }
            ],
        }
    ]
    assert sarif_problems(log) == []


def test_the_invocation_is_unsuccessful_when_a_check_errored_not_when_one_failed() -> None:
    errored = sarif_log(sample_report())["runs"][0]["invocations"]
    clean = sarif_log(GateReport(Gate.DEPLOY, (outcome("a.b", CheckStatus.FAIL),)))

    assert errored == [{"executionSuccessful": False}]
    assert clean["runs"][0]["invocations"] == [{"executionSuccessful": True}]


@pytest.mark.parametrize(
    ("breakage", "problem"),
    [
        (lambda log: log.update(version="2.0.0"), "sarifLog: version must be '2.1.0'"),
        (
            lambda log: log["runs"][0]["tool"]["driver"].pop("name"),
            "runs[0]: tool.driver.name is required",
        ),
        (
            lambda log: log["runs"][0]["results"][0].update(level="error"),
            "runs[0].results[0]: kind 'pass' requires level 'none' (§3.27.10)",
        ),
        (
            lambda log: log["runs"][0]["results"][0].update(ruleIndex=9),
            "runs[0].results[0]: ruleIndex 9 out of range",
        ),
        (
            lambda log: log["runs"][0]["results"][1]["locations"][0]["physicalLocation"][
                "region"
            ].update(startLine=0),
            "runs[0].results[1].locations[0]: region.startLine must be an integer >= 1",
        ),
        (
            lambda log: log["runs"][0]["results"][2].update(message={}),
            "runs[0].results[2]: message needs text or id",
        ),
        (
            lambda log: log["runs"][0]["invocations"][0].pop("executionSuccessful"),
            "runs[0].invocations[0]: executionSuccessful is required",
        ),
        (
            lambda log: log["runs"][0]["invocations"][0].update(
                toolExecutionNotifications=[{"message": {}}]
            ),
            "runs[0].invocations[0].toolExecutionNotifications[0]: message needs text or id",
        ),
    ],
)
def test_the_validator_reports_each_kind_of_breakage(breakage: Any, problem: str) -> None:
    log = copy.deepcopy(sarif_log(sample_report()))
    breakage(log)

    assert sarif_problems(log) == [problem]


_IDS = st.from_regex(r"[a-z]{1,6}\.[a-z_]{1,8}", fullmatch=True)


@given(
    st.dictionaries(
        _IDS,
        st.tuples(
            st.sampled_from(list(CheckStatus)),
            st.fixed_dictionaries(
                {},
                optional={
                    "file": st.sampled_from(["a.py", "src/b.py"]),
                    "line": st.integers(-2, 500),
                    "note": st.text(max_size=10),
                },
            ),
        ),
        max_size=6,
    )
)
def test_any_report_renders_to_a_valid_sarif_log(checks: dict[str, Any]) -> None:
    report = GateReport(
        Gate.VERIFY,
        tuple(outcome(cid, status, evidence) for cid, (status, evidence) in sorted(checks.items())),
    )

    log = json.loads(render(report, "sarif"))

    assert sarif_problems(log) == []
    assert len(log["runs"][0]["results"]) == len(checks)
