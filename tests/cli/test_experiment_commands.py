"""``tests verify-fix`` and ``tests classify`` on the real example project, in real pytest runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.demo import example_source
from readiness.testing import junit_xml

pytestmark = pytest.mark.slow

STOCK = "tests/test_orders.py::test_placing_an_order_takes_stock"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(example_source(), root)
    for key in ("READINESS_URL", "READINESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "dev")
    return root


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    code = main(["-C", str(root), *args])
    return code, capsys.readouterr().out


def test_verify_fix_reruns_a_fixed_test_and_releases_it_from_quarantine(
    capsys: pytest.CaptureFixture[str], shop: Path
) -> None:
    for n, outcome in enumerate(["failed", "passed"]):
        report = shop / f"r{n}.xml"
        report.write_bytes(junit_xml({STOCK: outcome}))
        cli(capsys, shop, "tests", "ingest", str(report), "--commit", "c1", "--branch", "main")
    cli(capsys, shop, "tests", "quarantine", "add", STOCK, "--reason", "fails on CI")

    code, out = cli(capsys, shop, "tests", "verify-fix", STOCK, "--runs", "6", "-f", "json")
    _, flaky = cli(capsys, shop, "tests", "flaky", "-f", "json")
    _, quarantined = cli(capsys, shop, "tests", "quarantine", "list", "-f", "json")

    result = json.loads(out)
    assert code == 0
    assert (result["required_runs"], result["runs"], result["failures"]) == (6, 6, 0)
    assert (result["verdict"], result["flake_rate"]) == ("fixed", 0.5)
    assert [(f["test_id"], f["status"]) for f in json.loads(flaky)] == [(STOCK, "fixed")]
    assert json.loads(quarantined) == []


def test_classify_finds_the_order_dependent_victim_and_its_polluter(
    capsys: pytest.CaptureFixture[str], shop: Path
) -> None:
    code, out = cli(
        capsys,
        shop,
        "tests",
        "classify",
        "tests/test_currency.py::test_prices_default_to_usd",
        "-f",
        "json",
    )

    result = json.loads(out)
    assert code == 0
    assert result["label"] == "order-dependent-victim"
    assert result["polluters"] == ["tests/test_currency.py::test_switch_to_eur"]
    assert result["failure_kind"] == "assertion"
