"""The storage example of docs/ledger.md (its second Python block) prints what the page says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_the_storage_example_in_docs_ledger_prints_its_documented_output() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    code = blocks[1]
    expected = "".join(line + "\n" for line in re.findall(r"^# (.*)$", code, re.M))
    out = io.StringIO()

    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})  # our own documentation

    assert out.getvalue() == expected
