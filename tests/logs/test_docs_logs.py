"""Every Python sample in docs/logs.md runs and prints what the page shows after it (the broker
samples against the local RabbitMQ and NATS, as tests/logs/test_propagation.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.logs.conftest import NATS, RABBIT, require_broker

DOC = Path(__file__).resolve().parents[2] / "docs" / "logs.md"
SAMPLE = re.compile(r"```python\n(.*?)```\n\n(?:[^`\n]*\n\n)?```(?:json|text)\n(.*?)```", re.S)
#: What changes from run to run: the time, a new span id, a duration.
VARYING = re.compile(r'"(timestamp|span_id|duration_ms)":("[0-9T:.\-]+Z"|"[0-9a-f]{16}"|[0-9.]+)')


def _steady(text: str) -> str:
    return VARYING.sub(r'"\1":_', text)


def samples() -> list[tuple[str, str]]:
    return SAMPLE.findall(DOC.read_text(encoding="utf-8"))


def test_every_python_block_is_followed_by_its_output() -> None:
    assert len(samples()) == DOC.read_text(encoding="utf-8").count("```python") == 11


@pytest.mark.parametrize(("code", "expected"), samples())
def test_the_sample_prints_what_the_page_shows(code: str, expected: str) -> None:
    if "import pika" in code:
        require_broker("RabbitMQ", RABBIT)
    if "import nats" in code:
        require_broker("NATS", NATS)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert _steady(done.stdout) == _steady(expected)
