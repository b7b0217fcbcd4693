"""Renderers of a gate report: text, Markdown, JSON and JUnit XML (SARIF has its own file)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET
from hypothesis import given
from hypothesis import strategies as st

from readiness.errors import InputError
from readiness.gate.model import CheckOutcome, CheckResult, CheckStatus, Gate, GateReport
from readiness.gate.render import FORMATS, render


def sample_report() -> GateReport:
    """One check of every status; the warn summary has a pipe, the warn evidence a datetime."""
    return GateReport(
        Gate.MERGE,
        (
            CheckOutcome(
                "tests.passed",
                "The test suite passed",
                "Quarantine known-flaky tests.",
                CheckResult(
                    CheckStatus.PASS,
                    "All 412 tests passed (3 quarantined failures ignored)",
                    {"tests": 412},
                ),
                0.125,
            ),
            CheckOutcome(
                "tests.no_new_flaky",
                "No test became flaky",
                "Prevent recurrence.",
                CheckResult(
                    CheckStatus.FAIL,
                    "1 new test is flaky: test_x",
                    {"new_flaky": ("tests/test_a.py::test_x",)},
                    "Make it deterministic.",
                ),
                0.5,
            ),
            CheckOutcome(
                "tests.quarantine_expired",
                "No quarantine entry has expired",
                "Fix promptly.",
                CheckResult(
                    CheckStatus.WARN,
                    "1 entry expires soon: t | x",
                    {"expires": datetime(2026, 3, 12, tzinfo=UTC)},
                    "Ask the owner.",
                ),
                0.0,
            ),
            CheckOutcome(
                "flags.stale",
                "No stale flags",
                "Remove flags.",
                CheckResult(CheckStatus.SKIP, "No flags configured"),
                0.0,
            ),
            CheckOutcome(
                "db.reachable",
                "Database reachable",
                "Two databases.",
                CheckResult(
                    CheckStatus.ERROR,
                    "ConnectionError: refused",
                    {"exception": "ConnectionError"},
                    "Fix the environment.",
                ),
                1.0,
            ),
        ),
    )


def one(
    status: CheckStatus, summary: str = "s", evidence: dict[str, object] | None = None
) -> GateReport:
    result = CheckResult(status, summary, evidence or {}, "fix it")
    return GateReport(Gate.DEPLOY, (CheckOutcome("x.y", "T", "I", result, 0.0),))


def allowed_missing() -> GateReport:
    """One missing-evidence failure that ``--allow-missing 'tests.*'`` turned into a warning."""
    result = CheckResult(
        CheckStatus.WARN,
        "No test run recorded for commit abc1234 (missing evidence allowed by --allow-missing "
        "'tests.*')",
        {"commit": "abc1234"},
        "Ingest it.",
        missing_evidence=True,
        allowed_by="tests.*",
    )
    return GateReport(Gate.MERGE, (CheckOutcome("tests.passed", "T", "I", result, 0.0),))


# --- text -------------------------------------------------------------------------------------


def test_text_has_one_aligned_line_per_check_remediation_indented_and_a_verdict() -> None:
    assert render(sample_report(), "text") == (
        "PASS  tests.passed              All 412 tests passed (3 quarantined failures ignored)\n"
        "FAIL  tests.no_new_flaky        1 new test is flaky: test_x\n"
        "      Make it deterministic.\n"
        "WARN  tests.quarantine_expired  1 entry expires soon: t | x\n"
        "      Ask the owner.\n"
        "SKIP  flags.stale               No flags configured\n"
        "ERROR db.reachable              ConnectionError: refused\n"
        "      Fix the environment.\n"
        "merge gate: ERROR (1 passed, 1 warned, 1 failed, 1 skipped, 1 error)\n"
    )


def test_text_shows_no_remediation_for_a_passing_check() -> None:
    assert render(one(CheckStatus.PASS, "fine"), "text") == (
        "PASS  x.y  fine\ndeploy gate: PASS (1 passed, 0 warned, 0 failed, 0 skipped, 0 errors)\n"
    )


def test_text_of_an_empty_report_says_it_verified_nothing_and_is_an_error() -> None:
    assert render(GateReport(Gate.VERIFY, ()), "text") == (
        "no check ran, so the verify gate verified nothing and cannot pass\n"
        "verify gate: ERROR (0 passed, 0 warned, 0 failed, 0 skipped, 0 errors)\n"
    )


def test_text_of_an_all_skipped_gate_says_why_it_is_an_error() -> None:
    assert render(one(CheckStatus.SKIP, "skipped by --skip 'x.*'"), "text") == (
        "SKIP  x.y  skipped by --skip 'x.*'\n"
        "every check was skipped, so the deploy gate verified nothing and cannot pass; run at "
        "least one check (narrow --skip, or provide what the skipped checks need)\n"
        "deploy gate: ERROR (0 passed, 0 warned, 0 failed, 1 skipped, 0 errors)\n"
    )


def test_text_shows_an_allowed_missing_evidence_check_as_a_warning_with_its_fix() -> None:
    assert render(allowed_missing(), "text") == (
        "WARN  tests.passed  No test run recorded for commit abc1234 (missing evidence allowed by "
        "--allow-missing 'tests.*')\n"
        "      Ingest it.\n"
        "merge gate: PASS (0 passed, 1 warned, 0 failed, 0 skipped, 0 errors)\n"
    )


def test_text_has_no_ansi_escapes() -> None:
    assert "\x1b" not in render(sample_report(), "text")


# --- markdown ---------------------------------------------------------------------------------

EXPECTED_MARKDOWN = """\
## 💥 Readiness merge gate: error

1 passed, 1 warned, 1 failed, 1 skipped, 1 error

| Status | Check | Summary |
| --- | --- | --- |
| ✅ pass | `tests.passed` | All 412 tests passed (3 quarantined failures ignored) |
| ❌ fail | `tests.no_new_flaky` | 1 new test is flaky: test_x |
| ⚠️ warn | `tests.quarantine_expired` | 1 entry expires soon: t \\| x |
| ⏭️ skip | `flags.stale` | No flags configured |
| 💥 error | `db.reachable` | ConnectionError: refused |

**What to do**

- ❌ `tests.no_new_flaky`: Make it deterministic.
- 💥 `db.reachable`: Fix the environment.
- ⚠️ `tests.quarantine_expired`: Ask the owner.
"""


def test_markdown_is_a_pr_comment_with_a_table_and_advice_for_every_finding() -> None:
    assert render(sample_report(), "markdown") == EXPECTED_MARKDOWN


HEAD = "3f2a9c1d5e7b8a0f4c6d2e1b9a8f7c6d5e4b3a2f1e0d9c8b7a6f5e4d3c2b1a09"  # SHA-256 object name
BASE = "9d8c7b6a5f4e3d2c1b0a99887766554433221100"  # SHA-1
PASSED_ADVICE = (
    "Fix the failing tests: their history does not show them flaky, so a re-run will not "
    "turn them green."
)
BECAME_FLAKY_ADVICE = (
    "Investigate (could it be a real race in the code?), then fix it or quarantine it with an "
    "owner and an expiry."
)


def broken_and_flaky() -> GateReport:
    """A merge gate as testhealth's checks report one broken test and one that became flaky.

    Summaries, advice and checklist items are the real checks' texts (``testhealth/checks.py``).
    """
    from readiness.testhealth.checks import NoNewFlakyCheck, TestsPassedCheck

    passed, flaky = TestsPassedCheck(), NoNewFlakyCheck()
    return GateReport(
        Gate.MERGE,
        (
            CheckOutcome(
                flaky.id,
                flaky.title,
                flaky.checklist_item,
                CheckResult(
                    CheckStatus.WARN,
                    "1 existing test became flaky: tests/test_cart.py::test_total",
                    {
                        "base": BASE,
                        "head": HEAD,
                        "new_flaky": [],
                        "became_flaky": [
                            {"test_id": "tests/test_cart.py::test_total", "flake_rate": None}
                        ],
                    },
                    BECAME_FLAKY_ADVICE,
                ),
                0.02,
            ),
            CheckOutcome(
                passed.id,
                passed.title,
                passed.checklist_item,
                CheckResult(
                    CheckStatus.FAIL,
                    "1 of 412 tests failed: tests/test_pay.py::test_refund",
                    {"commit": HEAD, "failed": ["tests/test_pay.py::test_refund"]},
                    PASSED_ADVICE,
                ),
                0.01,
            ),
            CheckOutcome(
                "tests.quarantine_expired",
                "No quarantine entry has expired",
                "Mean time to fix a flaky test.",
                CheckResult(CheckStatus.PASS, "No test is quarantined"),
                0.0,
            ),
        ),
        base=BASE,
        head=HEAD,
    )


def test_markdown_of_a_broken_and_a_flaky_test_is_short_and_gives_each_its_own_advice() -> None:
    text = render(
        broken_and_flaky(),
        "markdown",
        dashboard_url="https://readiness.example.com/gates?project=shop",
    )

    assert text == (
        "## ❌ Readiness merge gate: fail\n"
        "\n"
        "Commit `3f2a9c1d5e7b` against `9d8c7b6a5f4e` · 1 passed, 1 warned, 1 failed, 0 skipped, "
        "0 errors\n"
        "\n"
        "| Status | Check | Summary |\n"
        "| --- | --- | --- |\n"
        "| ⚠️ warn | `tests.no_new_flaky` | 1 existing test became flaky: "
        "tests/test_cart.py::test_total |\n"
        "| ❌ fail | `tests.passed` | 1 of 412 tests failed: tests/test_pay.py::test_refund |\n"
        "| ✅ pass | `tests.quarantine_expired` | No test is quarantined |\n"
        "\n"
        "**What to do**\n"
        "\n"
        f"- ❌ `tests.passed`: {PASSED_ADVICE}\n"
        f"- ⚠️ `tests.no_new_flaky`: {BECAME_FLAKY_ADVICE}\n"
        "\n"
        "[Gate history and trends on the dashboard]"
        "(https://readiness.example.com/gates?project=shop)\n"
    )


def test_markdown_never_shows_json_null_full_hashes_or_the_quarantine_checklist_item() -> None:
    text = render(broken_and_flaky(), "markdown")

    assert ("null" in text, "{" in text, HEAD in text, BASE in text) == (False,) * 4
    assert "separate suite" not in text  # tests.passed's checklist item: advice for flaky tests


def test_markdown_of_an_all_skipped_gate_states_the_reason_under_the_error_heading() -> None:
    lines = render(one(CheckStatus.SKIP), "markdown").splitlines()

    assert lines[:6] == [
        "## 💥 Readiness deploy gate: error",
        "",
        "0 passed, 0 warned, 0 failed, 1 skipped, 0 errors",
        "",
        "**every check was skipped, so the deploy gate verified nothing and cannot pass; run at "
        "least one check (narrow --skip, or provide what the skipped checks need)**",
        "",
    ]


def test_markdown_shows_an_allowed_missing_evidence_check_as_a_warning_row() -> None:
    lines = render(allowed_missing(), "markdown").splitlines()

    assert lines[0] == "## ✅ Readiness merge gate: pass"
    assert lines[6] == (
        "| ⚠️ warn | `tests.passed` | No test run recorded for commit abc1234 (missing evidence "
        "allowed by --allow-missing 'tests.*') |"
    )


def test_markdown_escapes_html_and_keeps_a_multiline_summary_in_one_table_row() -> None:
    text = render(one(CheckStatus.PASS, "uses <script>\nand | pipes"), "markdown")

    assert "| ✅ pass | `x.y` | uses &lt;script&gt; and \\| pipes |" in text.splitlines()


def test_markdown_cuts_full_hashes_in_summaries_and_advice_to_12_digits() -> None:
    summary = f"No test run recorded for commit {HEAD}"
    result = CheckResult(CheckStatus.FAIL, summary, {}, f"Ingest the report of {BASE}.")
    report = GateReport(Gate.MERGE, (CheckOutcome("tests.passed", "T", "I", result, 0.0),))

    lines = render(report, "markdown").splitlines()

    assert lines[6] == "| ❌ fail | `tests.passed` | No test run recorded for commit 3f2a9c1d5e7b |"
    assert lines[-1] == "- ❌ `tests.passed`: Ingest the report of 9d8c7b6a5f4e."


def test_markdown_leaves_short_hex_and_numbers_alone() -> None:
    text = render(one(CheckStatus.PASS, "commit abc1234 and 1234567890123456789"), "markdown")

    assert "| ✅ pass | `x.y` | commit abc1234 and 1234567890123456789 |" in text.splitlines()


def test_markdown_shows_no_advice_section_when_every_check_passed() -> None:
    assert render(one(CheckStatus.PASS, "fine"), "markdown") == (
        "## ✅ Readiness deploy gate: pass\n"
        "\n"
        "1 passed, 0 warned, 0 failed, 0 skipped, 0 errors\n"
        "\n"
        "| Status | Check | Summary |\n"
        "| --- | --- | --- |\n"
        "| ✅ pass | `x.y` | fine |\n"
    )


# --- json -------------------------------------------------------------------------------------


def test_json_has_the_gate_the_verdict_and_every_check_with_iso_datetimes() -> None:
    document = json.loads(render(sample_report(), "json"))

    assert document["gate"] == "merge"
    assert document["verdict"] == "error"
    assert [c["id"] for c in document["checks"]] == [
        "tests.passed",
        "tests.no_new_flaky",
        "tests.quarantine_expired",
        "flags.stale",
        "db.reachable",
    ]
    assert document["checks"][2] == {
        "id": "tests.quarantine_expired",
        "title": "No quarantine entry has expired",
        "checklist_item": "Fix promptly.",
        "status": "warn",
        "summary": "1 entry expires soon: t | x",
        "evidence": {"expires": "2026-03-12T00:00:00+00:00"},
        "remediation": "Ask the owner.",
        "missing_evidence": False,
        "allowed_by": None,
        "duration_s": 0.0,
    }
    assert document["checks"][1]["evidence"] == {"new_flaky": ["tests/test_a.py::test_x"]}
    assert document["checks"][3]["remediation"] is None


def test_json_verdict_is_fail_when_a_check_failed_and_none_errored() -> None:
    assert json.loads(render(one(CheckStatus.FAIL), "json"))["verdict"] == "fail"


def test_json_reason_is_null_when_the_counts_explain_the_verdict() -> None:
    assert json.loads(render(sample_report(), "json"))["reason"] is None


def test_json_of_an_all_skipped_gate_is_an_error_with_the_reason() -> None:
    document = json.loads(render(one(CheckStatus.SKIP), "json"))

    assert (document["verdict"], document["reason"]) == (
        "error",
        "every check was skipped, so the deploy gate verified nothing and cannot pass; run at "
        "least one check (narrow --skip, or provide what the skipped checks need)",
    )


def test_json_marks_an_allowed_missing_evidence_check_with_the_pattern() -> None:
    [check] = json.loads(render(allowed_missing(), "json"))["checks"]

    assert (check["status"], check["missing_evidence"], check["allowed_by"]) == (
        "warn",
        True,
        "tests.*",
    )
    assert check["summary"] == (
        "No test run recorded for commit abc1234 (missing evidence allowed by --allow-missing "
        "'tests.*')"
    )


# --- junit ------------------------------------------------------------------------------------


def test_junit_has_one_suite_named_after_the_gate_with_exact_counts() -> None:
    root = SafeET.fromstring(render(sample_report(), "junit"))

    counts = {"tests": "5", "failures": "1", "errors": "1", "skipped": "1", "time": "1.625"}
    assert (root.tag, root.attrib) == ("testsuites", {"name": "readiness", **counts})
    [suite] = list(root)
    assert (suite.tag, suite.attrib) == ("testsuite", {"name": "readiness.gate.merge", **counts})


def cases_of(report: GateReport) -> list[Any]:
    """The ``<testcase>`` elements of the JUnit rendering of ``report``."""
    return list(SafeET.fromstring(render(report, "junit"))[0].iter("testcase"))


def test_junit_maps_each_status_to_its_element() -> None:
    cases = [
        (case.attrib, [(child.tag, child.attrib) for child in case])
        for case in cases_of(sample_report())
    ]
    classname = "readiness.gate.merge"
    assert cases == [
        ({"classname": classname, "name": "tests.passed", "time": "0.125"}, []),
        (
            {"classname": classname, "name": "tests.no_new_flaky", "time": "0.500"},
            [
                (
                    "failure",
                    {"message": "1 new test is flaky: test_x", "type": "fail"},
                )
            ],
        ),
        (
            {"classname": classname, "name": "tests.quarantine_expired", "time": "0.000"},
            [("system-out", {})],
        ),
        (
            {"classname": classname, "name": "flags.stale", "time": "0.000"},
            [("skipped", {"message": "No flags configured"})],
        ),
        (
            {"classname": classname, "name": "db.reachable", "time": "1.000"},
            [("error", {"message": "ConnectionError: refused", "type": "error"})],
        ),
    ]


def properties_of(report: GateReport) -> list[dict[str, str]]:
    """The suite properties of the JUnit rendering of ``report``."""
    suite = SafeET.fromstring(render(report, "junit"))[0]
    return [p.attrib for p in suite.iter("property")]


def test_junit_suite_properties_carry_the_verdict() -> None:
    assert properties_of(sample_report()) == [{"name": "readiness.verdict", "value": "error"}]


def test_junit_suite_properties_carry_why_an_all_skipped_gate_is_an_error() -> None:
    assert properties_of(one(CheckStatus.SKIP)) == [
        {"name": "readiness.verdict", "value": "error"},
        {
            "name": "readiness.verdict_reason",
            "value": "every check was skipped, so the deploy gate verified nothing and cannot "
            "pass; run at least one check (narrow --skip, or provide what the skipped checks "
            "need)",
        },
    ]


def test_junit_shows_an_allowed_missing_evidence_check_as_a_passing_case_with_a_warning() -> None:
    [case] = cases_of(allowed_missing())

    assert [(child.tag, child.text) for child in case] == [
        (
            "system-out",
            "WARN No test run recorded for commit abc1234 (missing evidence allowed by "
            "--allow-missing 'tests.*')\n\n"
            'Evidence:\n{\n  "commit": "abc1234"\n}\n\n'
            "Remediation: Ingest it.",
        )
    ]


def test_junit_failure_text_carries_evidence_and_remediation() -> None:
    suite = cases_of(sample_report())

    assert suite[1][0].text == (
        "1 new test is flaky: test_x\n\n"
        'Evidence:\n{\n  "new_flaky": [\n    "tests/test_a.py::test_x"\n  ]\n}\n\n'
        "Remediation: Make it deterministic."
    )
    assert suite[2][0].text == (
        "WARN 1 entry expires soon: t | x\n\n"
        'Evidence:\n{\n  "expires": "2026-03-12T00:00:00+00:00"\n}\n\n'
        "Remediation: Ask the owner."
    )


def test_junit_replaces_characters_xml_cannot_carry() -> None:
    [case] = cases_of(one(CheckStatus.FAIL, "bell \x07 here"))

    assert case[0].attrib["message"] == "bell \ufffd here"


@given(st.text(max_size=40))
def test_junit_stays_well_formed_and_keeps_every_xml_safe_summary(summary: str) -> None:
    [case] = cases_of(one(CheckStatus.FAIL, summary))

    message = case[0].attrib["message"]
    assert len(message) == len(summary)
    assert all(m in (s, "\ufffd") for m, s in zip(message, summary, strict=True))


@given(st.text(max_size=40), st.sampled_from(list(CheckStatus)))
def test_json_round_trips_any_summary(summary: str, status: CheckStatus) -> None:
    document = json.loads(render(one(status, summary), "json"))

    assert (document["checks"][0]["summary"], document["checks"][0]["status"]) == (
        summary,
        status.value,
    )


# --- dispatch ---------------------------------------------------------------------------------


def test_every_format_renders_the_sample() -> None:
    assert FORMATS == ("text", "markdown", "json", "junit", "sarif")
    assert all(render(sample_report(), fmt).endswith("\n") for fmt in FORMATS)


def test_an_unknown_format_is_an_input_error_listing_the_formats() -> None:
    with pytest.raises(InputError) as raised:
        render(sample_report(), "html")

    assert str(raised.value) == (
        "gate output format 'html' is not supported; use one of text, markdown, json, junit, sarif"
    )


_WORDS = st.text(alphabet="ghijklmnopqrstuvwxyz .:/()", min_size=1, max_size=12)
_HASHES = st.sampled_from([40, 64]).flatmap(
    lambda n: st.text(alphabet="0123456789abcdef", min_size=n, max_size=n)
)


@given(
    st.lists(st.one_of(_WORDS, _HASHES), min_size=1, max_size=8), st.sampled_from(list(CheckStatus))
)
def test_markdown_never_shows_a_full_hash_whatever_the_summary_and_advice_say(
    words: list[str], status: CheckStatus
) -> None:
    text = " ".join(words)
    result = CheckResult(status, text, {"hash": "f" * 64}, text)
    report = GateReport(
        Gate.MERGE, (CheckOutcome("x.y", "T", "I", result, 0.0),), base="e" * 40, head="d" * 64
    )

    rendered = render(report, "markdown")

    assert re.search(r"[0-9a-f]{13,}", rendered) is None
