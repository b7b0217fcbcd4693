"""The plugin is loaded into every pytest run of every project that installs Readiness: it must
cost nothing there until asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.testhealth.pytest_plugin._report import LEAN

pytest_plugins = ["pytester"]

NEW_MODULES = """\
import json, sys
import pytest
before = set(sys.modules)
import readiness.testhealth.pytest.plugin
new = sorted(set(sys.modules) - before)
print(json.dumps([m for m in new if m.split(".")[0] not in sys.stdlib_module_names]))
"""


def test_importing_the_plugin_imports_only_its_own_modules_besides_the_standard_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NEW_MODULES], capture_output=True, text=True, check=True
    )

    assert json.loads(done.stdout) == [
        "readiness",
        "readiness.testhealth",
        "readiness.testhealth.pytest",
        "readiness.testhealth.pytest.plugin",
        "readiness.testhealth.pytest.recorder",
        "readiness.testhealth.pytest.remote",
        "readiness.testhealth.pytest.report",
        "readiness.testhealth.pytest.summary",
        "readiness.testhealth.pytest.workers",
    ]


def test_a_session_without_readiness_options_loads_nothing_of_the_platform(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("READINESS_")]:
        monkeypatch.delenv(name)  # any READINESS_* variable asks for the settings
    pytester.makeconftest(
        """
        import json, sys
        from pathlib import Path

        def pytest_unconfigure():
            loaded = sorted(m for m in sys.modules if m.startswith(("readiness", "pydantic")))
            Path("loaded.json").write_text(json.dumps(loaded))
        """
    )
    pytester.makepyfile(test_a="def test_a():\n    pass\n")

    result = pytester.runpytest_subprocess(*LEAN, "-p", "no:randomly")

    assert result.ret == pytest.ExitCode.OK
    assert json.loads((pytester.path / "loaded.json").read_text()) == [
        "readiness",
        "readiness.testhealth",
        "readiness.testhealth.pytest",
        "readiness.testhealth.pytest.plugin",
        "readiness.testhealth.pytest.recorder",
        "readiness.testhealth.pytest.remote",
        "readiness.testhealth.pytest.report",
        "readiness.testhealth.pytest.summary",
        "readiness.testhealth.pytest.workers",
    ]
    assert list(pytester.path.glob("*.xml")) == []
