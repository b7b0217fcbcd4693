"""Loading ``module:app`` leaves the process as it was: the import path and the project's
modules are restored, so two projects' modules of the same name do not mix."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from readiness.audit.capture.coverage import load_app
from readiness.errors import InputError

APP = """from fastapi import FastAPI

app = FastAPI()


@app.get("/{name}")
def route() -> None: ...
"""


def project(root: Path, name: str) -> Path:
    root.mkdir()
    (root / "capture_probe_app.py").write_text(APP.replace("{name}", name))
    return root


def test_loading_restores_the_import_path_and_drops_the_projects_modules(tmp_path: Path) -> None:
    first = project(tmp_path / "one", "first")
    second = project(tmp_path / "two", "second")
    path = list(sys.path)

    one = load_app("capture_probe_app:app", first)
    assert sys.path == path
    assert "capture_probe_app" not in sys.modules
    two = load_app("capture_probe_app:app", second)

    assert [r.path for r in one.routes][-1] == "/first"
    assert [r.path for r in two.routes][-1] == "/second"  # its own module, not the first's
    assert sys.path == path


def test_a_failed_import_restores_the_import_path_too(tmp_path: Path) -> None:
    root = project(tmp_path / "one", "first")
    path = list(sys.path)

    with pytest.raises(InputError, match="has no attribute nothing"):
        load_app("capture_probe_app:nothing", root)

    assert sys.path == path
    assert "capture_probe_app" not in sys.modules
