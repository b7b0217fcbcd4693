"""Every Python sample in docs/logs.md runs and prints what the page shows after it (the broker
samples against the local RabbitMQ and NATS, as tests/logs/test_propagation.py)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests._live import free_port, wait_until
from tests.logs.conftest import NATS, RABBIT, require_broker

DOC = Path(__file__).resolve().parents[2] / "docs" / "logs.md"
SAMPLE = re.compile(r"```python\n(.*?)```\n\n(?:[^`\n]*\n\n)?```(?:json|text)\n(.*?)```", re.S)
#: What changes from run to run: the time, a new span id, a duration.
VARYING = re.compile(r'"(timestamp|span_id|duration_ms)":("[0-9T:.\-]+Z"|"[0-9a-f]{16}"|[0-9.]+)')


def _steady(text: str) -> str:
    return VARYING.sub(r'"\1":_', text)


def samples() -> list[tuple[str, str]]:
    return SAMPLE.findall(DOC.read_text(encoding="utf-8"))


def _is_server(code: str) -> bool:
    return "uvicorn.run(" in code


def test_every_python_block_is_followed_by_its_output() -> None:
    assert len(samples()) == DOC.read_text(encoding="utf-8").count("```python") == 12
    assert len([code for code, _ in samples() if _is_server(code)]) == 1


@pytest.mark.parametrize(
    ("code", "expected"), [sample for sample in samples() if not _is_server(sample[0])]
)
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


def test_the_copy_paste_fastapi_service_runs_as_pasted(tmp_path: Path) -> None:
    [(code, expected)] = [sample for sample in samples() if _is_server(sample[0])]
    (tmp_path / "main.py").write_text(code, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=tmp_path,
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/orders/ord-7"

    def answered() -> bool:
        try:
            return httpx.get(url, headers={"X-Request-ID": "req-1"}).status_code == 200
        except httpx.HTTPError:
            return proc.poll() is not None

    try:
        wait_until(answered, "the documented FastAPI service to answer")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    trace = re.compile(r'"trace_id":"[0-9a-f]{32}"')
    assert (proc.returncode, out) == (0, "")
    assert trace.sub("_", _steady(err)) == trace.sub("_", _steady(expected))
