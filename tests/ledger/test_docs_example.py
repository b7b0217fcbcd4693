"""The example of docs/ledger.md runs and prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_the_example_in_docs_ledger_prints_its_documented_output() -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    code = block.group(1)
    expected = re.findall(r"^# (.*)$", code, re.M)[-1]
    out = io.StringIO()

    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})  # our own documentation

    assert out.getvalue() == expected + "\n"
