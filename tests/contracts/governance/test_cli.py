"""Governance commands through the real CLI: consumers, impact, check with consumers, register
with a changelog under governance, diff with meaning changes, processed and usage, samples; the
same commands as the top-level ``schemas`` sub-app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from readiness.cli.main import main
from readiness.contracts.cli_registry import schemas_app


def obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props}


V1 = obj({"id": {"type": "integer"}, "amount": {"type": "number", "x-unit": "EUR"}})
CENTS = obj({"id": {"type": "integer"}, "amount": {"type": "number", "x-unit": "cents"}})


class Cli:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.root), "contracts", "schema", *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str) -> tuple[int, Any]:
        code, out, err = self(*args, "--format", "json")
        assert err == ""
        return code, json.loads(out)


@pytest.fixture
def cli(
    project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    (project_dir / "pyproject.toml").write_text(
        "[tool.readiness.contracts]\ngovernance = true\n", encoding="utf-8"
    )
    for name, schema in (("v1.json", V1), ("cents.json", CENTS), ("reader.json", V1)):
        (project_dir / name).write_text(json.dumps(schema), encoding="utf-8")
    (project_dir / "changelog.md").write_text("billing: amount is in cents\n", encoding="utf-8")
    monkeypatch.chdir(project_dir)
    return Cli(project_dir, capsys)


def test_consumers_impact_check_register_and_diff(cli: Cli) -> None:
    assert cli("register", "orders-value", "v1.json")[0] == 0
    assert cli("consumer", "register", "orders-value", "billing", "--field", "amount")[:2] == (
        0,
        "orders-value: consumer billing registered (strict)\n",
    )
    code, registered = cli.json(
        "consumer",
        "register",
        "orders-value",
        "search",
        "--reader-schema",
        "reader.json",
        "--tolerant",
    )
    assert (code, registered["strict"], registered["reader_schema"]) == (0, False, True)

    assert cli("impact", "orders-value", "--field", "amount")[:2] == (
        0,
        "orders-value: consumers that read amount: billing, search\n",
    )
    code, impact = cli.json("impact", "orders-value", "--against", "cents.json")
    assert (code, impact["affected_consumers"]) == (1, ["billing", "search"])

    code, check = cli.json("check", "orders-value", "cents.json")
    assert (code, check["compatible"], check["affected_consumers"]) == (
        1,
        False,
        ["billing", "search"],
    )
    assert check["messages"] == [
        "meaning changed at amount: x-unit: 'EUR' -> 'cents'",
        "a breaking or meaning change needs a changelog entry naming the affected consumers "
        "(billing, search); pass --changelog FILE or 'changelog' in the request",
    ]
    code, refused = cli.json(
        "register", "orders-value", "cents.json", "--changelog", "changelog.md"
    )
    assert (code, refused["registered"]) == (1, False)
    assert refused["reasons"] == ["the changelog does not name the affected consumers: search"]

    Path("changelog.md").write_text("billing, search: amount is in cents\n", encoding="utf-8")
    assert cli("register", "orders-value", "cents.json", "--changelog", "changelog.md")[:2] == (
        0,
        "orders-value version 2 (schema id 2)\n",
    )
    code, out, _ = cli("diff", "orders-value", "1", "2")
    assert (code, out) == (
        0,
        "orders-value: version 1 -> 2\n"
        '  ~ /properties/amount/x-unit: "EUR" -> "cents"\n'
        "  compatible in both directions (FULL)\n"
        "  ! meaning changed at amount: x-unit: 'EUR' -> 'cents'\n"
        "  changelog:\n"
        "    billing, search: amount is in cents\n",
    )


def test_processed_usage_and_samples(cli: Cli) -> None:
    cli("register", "orders-value", "v1.json")
    assert cli("processed", "orders-value", "billing", "1", "--count", "40")[:2] == (
        0,
        "orders-value v1: 40 events processed by billing\n",
    )
    code, usage = cli.json("usage", "orders-value", "--days", "7")
    assert (code, usage["unused"], usage["versions"][0]["events"]) == (0, [], 40)
    assert cli("processed", "orders-value", "billing", "1", "--day", "May 1")[:2] == (2, "")

    Path("events.jsonl").write_text('{"id": 1, "amount": 2}\n', encoding="utf-8")
    code, samples = cli.json("samples", "orders-value", "events.jsonl")
    assert (code, samples["added"]["events"], samples["drops"]) == (0, 1, [])
    Path("bad.jsonl").write_text("nope\n", encoding="utf-8")
    code, out, err = cli("samples", "orders-value", "bad.jsonl")
    assert (code, out) == (2, "")
    assert err.startswith("error: sample line 1: not JSON")


def test_the_top_level_schemas_app_has_the_same_commands() -> None:
    root = typer.Typer()
    root.add_typer(schemas_app, name="schemas")
    result = CliRunner().invoke(root, ["schemas", "--help"])
    for command in ("check", "register", "diff", "consumer", "impact", "usage", "samples"):
        assert command in result.output
