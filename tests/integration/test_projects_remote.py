"""Two repositories, one central server: the same test path stays two tests.

The reported defect: ``tests/test_misc.py`` from two repositories became one test with the runs
of both. Here two real pytest projects (pytester), each with its own ``tests/test_misc.py``,
upload through the pytest plugin to a live server (real uvicorn, real app); the CLI then reads
each project back through the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from readiness._common.clock import SystemClock
from readiness.auth.service import TokenService
from readiness.cli.main import main
from readiness.config import load_settings
from readiness.projects.service import ProjectService
from readiness.server.app import create_app
from readiness.storage import open_stores
from readiness.testhealth import service as _service  # noqa: F401 - see below
from tests._live import live_server

# pytester drops the modules first imported during a test; the server would then define the
# testhealth tables a second time. Importing them here keeps them out of that snapshot.

pytest_plugins = ["pytester"]

MISC = "tests/test_misc.py::test_settings"


@dataclass
class Central:
    url: str
    admin: str
    writer: str


@pytest.fixture
def central(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    settings = load_settings(tmp_path / "server", environ={}, overrides={"project": "main"})
    stores = open_stores(settings)
    clock = SystemClock()
    for name in ("main", "alpha", "beta"):
        ProjectService(stores=stores, clock=clock, actor="admin").create(name)
    tokens = TokenService(stores=stores, clock=clock, actor="admin")
    admin, _ = tokens.create(name="root", role="admin")
    writer, _ = tokens.create(name="ci", role="writer")
    for key in ("READINESS_PROJECT", "READINESS_ACTOR", "READINESS_STATE_URL"):
        monkeypatch.delenv(key, raising=False)
    try:
        with live_server(create_app(settings, stores=stores, clock=clock)) as url:
            monkeypatch.setenv("READINESS_URL", url)
            monkeypatch.setenv("READINESS_TOKEN", writer)
            yield Central(url, admin, writer)
    finally:
        stores.dispose()


def _repository(pytester: pytest.Pytester, name: str, outcome: str) -> Path:
    """A checkout called ``name`` whose ``tests/test_misc.py`` passes or fails."""
    root = pytester.mkdir(name)
    (root / "tests").mkdir()
    (root / "tests" / "test_misc.py").write_text(
        f"def test_settings():\n    assert {outcome == 'passed'}\n", encoding="utf-8"
    )
    return root


def _upload(pytester: pytest.Pytester, root: Path, commit: str) -> pytest.RunResult:
    return pytester.runpytest(
        "--rootdir",
        str(root),
        str(root / "tests"),
        "-p",
        "no:randomly",
        "--readiness-upload",
        f"--readiness-commit={commit}",
    )


def _health(central: Central, project: str) -> list[tuple[str, int, int]]:
    found = httpx.get(
        f"{central.url}/api/v1/tests/health",
        params={"project": project},
        headers={"Authorization": f"Bearer {central.writer}"},
    ).json()
    return [(h["test_id"], h["runs"], h["failures"]) for h in found]


def test_the_same_test_file_in_two_repositories_stays_two_tests(
    pytester: pytest.Pytester, central: Central
) -> None:
    alpha = _repository(pytester, "alpha", "passed")
    beta = _repository(pytester, "beta", "failed")

    first, second = _upload(pytester, alpha, "a1"), _upload(pytester, alpha, "a2")
    third = _upload(pytester, beta, "b1")

    assert [r.ret for r in (first, second, third)] == [0, 0, 1]
    first.stdout.fnmatch_lines([f"readiness: results uploaded to {central.url} (project alpha)"])
    assert _health(central, "alpha") == [(MISC, 2, 0)]
    assert _health(central, "beta") == [(MISC, 1, 1)]
    assert _health(central, "main") == []


def test_an_upload_into_a_project_the_server_lacks_says_how_to_create_it(
    pytester: pytest.Pytester, central: Central
) -> None:
    gamma = _repository(pytester, "gamma", "passed")

    result = _upload(pytester, gamma, "g1")

    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "readiness: WARNING upload failed: POST /api/v1/tests/runs: server answered 404: "
            "project 'gamma' does not exist (known: alpha, beta, main); an admin creates it "
            "with `readiness projects create gamma`"
        ]
    )


def test_the_cli_reads_each_repositorys_project_from_the_server(
    pytester: pytest.Pytester, central: Central, capsys: pytest.CaptureFixture[str]
) -> None:
    alpha = _repository(pytester, "alpha", "passed")
    beta = _repository(pytester, "beta", "failed")
    _upload(pytester, alpha, "a1")
    _upload(pytester, beta, "b1")
    capsys.readouterr()

    views = {}
    for root in (alpha, beta):
        code = main(["-C", str(root), "tests", "flaky", "--all", "--format", "json"])
        views[root.name] = (
            code,
            [(t["test_id"], t["failures"]) for t in json.loads(capsys.readouterr().out)],
        )

    assert views == {"alpha": (0, [(MISC, 0)]), "beta": (0, [(MISC, 1)])}


def test_a_repository_without_a_project_on_the_server_is_told_how_to_get_one(
    pytester: pytest.Pytester, central: Central, capsys: pytest.CaptureFixture[str]
) -> None:
    gamma = _repository(pytester, "gamma", "passed")

    code = main(["-C", str(gamma), "tests", "flaky"])

    assert code == 2
    assert capsys.readouterr().err == (
        f"error: server {central.url}: project 'gamma' does not exist (known: alpha, beta, "
        "main); an admin creates it with `readiness projects create gamma`\n"
    )


def test_an_admin_creates_and_lists_projects_on_the_server_from_the_cli(
    central: Central,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READINESS_TOKEN", central.admin)
    checkout = tmp_path / "gamma"
    checkout.mkdir()

    assert main(["-C", str(checkout), "projects", "create", "gamma"]) == 0
    assert main(["-C", str(checkout), "projects", "list", "--format", "json"]) == 0

    out = capsys.readouterr().out
    listed = json.loads(out[out.index("[") :])
    assert [(p["name"], p["current"]) for p in listed] == [
        ("alpha", False),
        ("beta", False),
        ("gamma", True),
        ("main", False),
    ]


def test_a_writer_cannot_create_projects_on_the_server(
    central: Central, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["-C", str(tmp_path), "projects", "create", "gamma"])

    assert code == 2
    assert capsys.readouterr().err == (
        f"error: server {central.url}: role 'writer' may not do this; it needs the 'admin' role\n"
    )
