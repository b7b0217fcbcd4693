"""End to end: a polluter in one package makes a victim in another fail; classify finds it and
verify-fix keeps the victim in quarantine until the polluter is fixed.

A multi-file pytest project (a package, several test packages, a few hundred tests) is generated
in the test. Real pytest runs it through our plugin, the report is ingested, and the real
``readiness`` CLI runs in subprocesses, as a developer would run it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.cli.main import main

pytestmark = pytest.mark.slow

POLLUTER = "tests/api/test_settings.py::test_switching_to_eur_is_remembered"
VICTIM = "tests/pricing/test_labels.py::test_labels_default_to_usd"

SOURCES = {
    "pyproject.toml": """\
[project]
name = "shopkit"
version = "0.1.0"

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
# The plugins of this environment that the project does not use (it would not install them).
addopts = "-p no:schemathesis -p no:hypothesispytest -p no:anyio -p no:cacheprovider"
""",
    "shopkit/__init__.py": "",
    "shopkit/config.py": 'CURRENCY = ["USD"]\n',
    "shopkit/prices.py": """\
from shopkit import config


def label(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} {config.CURRENCY[0]}"
""",
    "shopkit/stock.py": """\
def take(stock: dict[str, int], sku: str, n: int) -> int:
    if stock.get(sku, 0) < n:
        raise ValueError(f"only {stock.get(sku, 0)} of {sku} left")
    stock[sku] -= n
    return stock[sku]
""",
    "tests/__init__.py": "",
    "tests/api/__init__.py": "",
    "tests/api/test_settings.py": """\
from shopkit import config, prices


def test_switching_to_eur_is_remembered():
    config.CURRENCY[0] = "EUR"  # never restored: every later test sees euros
    assert prices.label(100) == "1.00 EUR"
""",
    "tests/pricing/__init__.py": "",
    "tests/pricing/test_labels.py": """\
import pytest

from shopkit import prices


@pytest.mark.parametrize("cents", range(30))
def test_label_has_two_decimals(cents):
    assert prices.label(cents).split(" ")[0].endswith(f"{cents:02d}")


def test_labels_default_to_usd():
    assert prices.label(1250) == "12.50 USD"
""",
    "tests/stock/__init__.py": "",
    "tests/users/__init__.py": "",
}
FILLER = """\
import pytest

from shopkit import stock


@pytest.mark.parametrize("n", range(40))
def test_taking_stock_{k}(n):
    assert stock.take({{"sku": 100}}, "sku", n) == 100 - n
"""
for k, folder in enumerate(["api", "api", "api", "stock", "stock", "users", "users"]):
    SOURCES[f"tests/{folder}/test_module_{k}.py"] = FILLER.format(k=k)
SUITE_SIZE = 1 + 31 + 7 * 40  # 312 tests


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _readiness(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``readiness`` command, in a subprocess."""
    script = shutil.which("readiness", path=str(Path(sys.executable).parent))
    assert script is not None, "the readiness console script is installed with the package"
    return subprocess.run(
        [script, "-C", str(root), *args], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The generated project after a CI run where the victim failed, ingested and quarantined."""
    for key in ("READINESS_URL", "READINESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "dev")
    root = tmp_path / "shopkit"
    _write(root, SOURCES)
    ci = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--readiness-junit=ci.xml"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert (ci.returncode, ci.stdout.splitlines()[-1].split(" in ")[0]) == (
        1,
        f"1 failed, {SUITE_SIZE - 1} passed",
    ), ci.stdout[-2000:]
    assert (
        main(
            [
                "-C",
                str(root),
                "tests",
                "ingest",
                str(root / "ci.xml"),
                "--commit",
                "c1",
                "--branch",
                "main",
            ]
        )
        == 0
    )
    assert (
        main(["-C", str(root), "tests", "quarantine", "add", VICTIM, "--reason", "fails on CI"])
        == 0
    )
    return root


def _quarantined(root: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["-C", str(root), "tests", "quarantine", "list", "-f", "json"]) == 0
    return [e["test_id"] for e in json.loads(capsys.readouterr().out)]


def test_classify_finds_the_polluter_in_another_package_from_the_order_the_victim_failed_in(
    project: Path,
) -> None:
    done = _readiness(project, "tests", "classify", VICTIM, "-f", "json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["label"], result["polluters"]) == ("order-dependent-victim", [POLLUTER])
    assert result["runs"]["failing-order-1"] == "failed"
    assert result["evidence"].startswith(
        "passes alone (3 runs in fresh processes) and fails after the order of run "
    )
    assert result["evidence"].endswith(
        f"where it failed: 151 tests before it; confirmed as a pair: {POLLUTER} then the test fails"
    )
    assert result["search_runs"] <= 9  # ceil(log2 151) + 1
    assert result["pytest_runs"] == 3 + 1 + 1 + result["search_runs"]


def test_verify_fix_keeps_the_victim_in_quarantine_while_its_polluter_still_pollutes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = _readiness(project, "tests", "verify-fix", VICTIM, "-f", "json")

    result = json.loads(done.stdout)
    assert done.returncode == 1
    assert (result["verdict"], result["runs"], result["failures"]) == ("still-flaky", 1, 1)
    assert result["experiments"] == {"failing-order-1": "failed 1 of 1"}
    assert _quarantined(project, capsys) == [VICTIM]


def test_verify_fix_releases_the_victim_after_50_clean_runs_once_the_polluter_is_fixed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_test = project / "tests" / "api" / "test_settings.py"
    settings_test.write_text(
        settings_test.read_text(encoding="utf-8").replace(
            '    config.CURRENCY[0] = "EUR"  # never restored: every later test sees euros\n'
            '    assert prices.label(100) == "1.00 EUR"\n',
            '    config.CURRENCY[0] = "EUR"\n'
            "    try:\n"
            '        assert prices.label(100) == "1.00 EUR"\n'
            "    finally:\n"
            '        config.CURRENCY[0] = "USD"\n',
        ),
        encoding="utf-8",
    )

    done = _readiness(project, "tests", "verify-fix", VICTIM, "-f", "json")

    result = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert (result["verdict"], result["runs"], result["failures"]) == ("fixed", 50, 0)
    assert result["experiments"] == {
        "failing-order-1": "passed 1 of 1",
        "alone": "passed 25 of 25",
        "module-rounds": "passed 24 of 24",
    }
    assert _quarantined(project, capsys) == []
