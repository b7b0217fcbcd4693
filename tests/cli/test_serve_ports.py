"""``demo --serve`` and ``serve`` check their port before doing any work."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._live import free_port
from tests.cli.conftest import Run


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port something is listening on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_demo_serve_on_a_taken_port_is_refused_before_the_demo_runs(
    cli: Run, tmp_path: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_demo(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the demo ran although the port was taken")

    monkeypatch.setattr("readiness.demo.run_demo", no_demo)
    target = tmp_path / "demo"

    code, out, err = cli(None, "demo", "--serve", "--port", str(taken_port), "--dir", str(target))

    assert (code, out) == (2, "")
    assert err == (
        f"error: cannot serve on 127.0.0.1:{taken_port}: Address already in use; stop what is "
        "using it or pick another port with --port\n"
    )
    assert not target.exists()


def test_serve_on_a_taken_port_is_refused_with_exit_2(
    cli: Run, project_dir: Path, taken_port: int
) -> None:
    code, _, err = cli(project_dir, "serve", "--port", str(taken_port))

    assert code == 2
    assert err == (
        f"error: cannot serve on 127.0.0.1:{taken_port}: Address already in use; stop what is "
        "using it or pick another port with --port\n"
    )
    assert list(project_dir.iterdir()) == []


def test_serve_on_an_unknown_host_is_refused_with_exit_2(cli: Run, project_dir: Path) -> None:
    code, _, err = cli(project_dir, "serve", "--host", "no-such-host.invalid", "--port", "8400")

    assert code == 2
    assert err.startswith("error: cannot serve on no-such-host.invalid: ")
    assert err.endswith("; give an address of this machine with --host (e.g. 127.0.0.1)\n")


def test_a_port_out_of_range_is_a_usage_error(cli: Run) -> None:
    code, _, err = cli(None, "demo", "--serve", "--port", "70000")

    assert code == 2
    assert err == (
        "error: Invalid value for '--port': Input should be less than or equal to 65535\n"
    )


def test_serve_prepares_the_routes_before_it_listens(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request is not the one that waits for FastAPI to build the routes."""
    events: list[str] = []
    monkeypatch.setattr("readiness.cli.logsetup.detach", lambda: None)
    monkeypatch.setattr("readiness.server.logsetup.configure_server_logging", lambda _: None)
    monkeypatch.setattr("readiness.server.app.prepare_routes", lambda _: events.append("prepared"))
    monkeypatch.setattr("uvicorn.run", lambda *_args, **_kwargs: events.append("listening"))

    code, _, err = cli(project_dir, "serve", "--port", str(free_port()))

    assert (code, err) == (0, "")
    assert events == ["prepared", "listening"]
