"""Every ``READINESS_*`` variable the code reads is a setting or is known not to be one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readiness.config import NOT_SETTINGS, load_settings

SRC = Path(__file__).resolve().parents[1] / "src" / "readiness"
READ = re.compile(r'"(READINESS_[A-Z_]+)"')


def _read_by_the_code() -> list[str]:
    names = {m for path in SRC.rglob("*.py") for m in READ.findall(path.read_text("utf-8"))}
    return sorted(names)


def test_the_code_reads_the_variables_this_test_knows() -> None:
    assert _read_by_the_code() == [
        "READINESS_ACTOR",
        "READINESS_AUDIT_OBSERVED",
        "READINESS_DEBUG",
        "READINESS_PROJECT",
        "READINESS_PURE_PYTHON",
        "READINESS_TEST_PG_URL",
        "READINESS_TOKEN",
        "READINESS_URL",
    ]


@pytest.mark.parametrize("name", _read_by_the_code())
def test_setting_a_variable_the_code_reads_never_breaks_the_settings(
    name: str, tmp_path: Path
) -> None:
    value = "https://readiness.example" if name == "READINESS_URL" else "1"
    settings = load_settings(tmp_path, environ={name: value})
    if name in NOT_SETTINGS:
        assert settings.model_dump() == load_settings(tmp_path, environ={}).model_dump()


def test_the_accelerator_switch_is_not_a_setting(tmp_path: Path) -> None:
    # It once was read as one: `READINESS_PURE_PYTHON=1 readiness ...` failed with
    # "pure_python: Extra inputs are not permitted".
    switched = load_settings(tmp_path, environ={"READINESS_PURE_PYTHON": "1"})
    assert switched.model_dump() == load_settings(tmp_path, environ={}).model_dump()
