"""Every way a command can end is exit 0 (ok), 1 (a check failed) or 2 (anything else)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from readiness.cli.lazy import PLATFORM_COMMANDS, plugin_apps
from readiness.cli.main import app
from readiness.testing import junit_xml
from tests._live import wait_until
from tests.cli.conftest import Run

READINESS = Path(sys.executable).with_name("readiness")


def every_command_path() -> list[tuple[str, ...]]:
    """``()``, ``("tests",)``, ``("tests", "ingest")``, ...: every command and group."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...], ctx: Any) -> None:
        paths.append(path)
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*path, name), ctx)

    root = typer.main.get_command(app)
    walk(root, (), root.make_context("readiness", ["--version"], resilient_parsing=True))
    return paths


def test_the_root_help_lists_every_platform_and_plugin_command(cli: Run) -> None:
    code, out, err = cli(None, "--help")

    listed = {line.split()[1] for line in out.splitlines() if line.startswith("│ ")}
    assert (code, err) == (0, "")
    assert {*PLATFORM_COMMANDS, *plugin_apps()} <= listed
    assert {*PLATFORM_COMMANDS, *plugin_apps()} == {
        "init",
        "projects",
        "serve",
        "demo",
        "gate",
        "db",
        "tokens",
        "sessions",
        "audit",
        "contracts",
        "logs",
        "migrations",
        "notify",
        "schemas",
        "tests",
    }


@pytest.mark.parametrize("path", every_command_path(), ids=lambda p: " ".join(p) or "readiness")
def test_help_of_every_command_exits_0(cli: Run, path: tuple[str, ...]) -> None:
    code, out, err = cli(None, *path, "--help")

    assert (code, err) == (0, "")
    assert "Usage: readiness" in out


def test_no_arguments_prints_the_help_and_exits_0(cli: Run) -> None:
    code, out, err = cli(None)

    assert (code, err) == (0, "")
    assert "Usage: readiness [OPTIONS] COMMAND [ARGS]..." in out


def test_a_bare_group_prints_its_help_and_exits_0(cli: Run) -> None:
    code, out, err = cli(None, "tests", "quarantine")

    assert (code, err) == (0, "")
    assert "Usage: readiness tests quarantine [OPTIONS] COMMAND [ARGS]..." in out


def test_an_unknown_command_suggests_the_closest_ones(cli: Run) -> None:
    code, out, err = cli(None, "test")

    assert (code, out) == (2, "")
    assert err == "error: No such command 'test'. Did you mean 'tests', 'tokens'?\n"


def test_an_unknown_option_is_exit_2(cli: Run, project_dir: Path) -> None:
    code, _, err = cli(project_dir, "tests", "flaky", "--bogus")

    assert (code, err) == (2, "error: No such option: --bogus\n")


def test_a_bad_choice_lists_the_choices_without_typer_jargon(cli: Run, project_dir: Path) -> None:
    code, _, err = cli(project_dir, "tests", "flaky", "--format", "xml")

    assert code == 2
    assert (
        err == "error: Invalid value for '--format' / '-f': 'xml' is not one of 'text', 'json'.\n"
    )


def interrupt(*_args: Any, **_kwargs: Any) -> Any:
    raise KeyboardInterrupt


def test_ctrl_c_in_a_command_is_exit_2_with_one_line(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("readiness.testhealth.client.open_client", interrupt)

    code, out, err = cli(project_dir, "tests", "flaky")

    assert (code, out) == (2, "")
    assert err == "error: interrupted (Ctrl-C); the command stopped before it finished\n"


def test_an_aborted_prompt_is_exit_2(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def abort(*_args: Any, **_kwargs: Any) -> Any:
        raise typer.Abort

    monkeypatch.setattr("readiness.testhealth.client.open_client", abort)

    code, _, err = cli(project_dir, "tests", "flaky")

    assert (code, err) == (2, "error: aborted\n")


def test_a_bug_is_one_line_naming_readiness_debug(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("readiness.testhealth.client.open_client", bug)

    code, _, err = cli(project_dir, "tests", "flaky")

    assert code == 2
    assert err == (
        "error: internal error: ZeroDivisionError: division by zero (a bug in Readiness; set "
        "READINESS_DEBUG=1 to see the traceback, and please report it)\n"
    )


def test_readiness_debug_prints_the_traceback_of_a_bug_before_the_line(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("readiness.testhealth.client.open_client", bug)
    monkeypatch.setenv("READINESS_DEBUG", "1")

    code, _, err = cli(project_dir, "tests", "flaky")

    assert code == 2
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith("READINESS_DEBUG=1 to see the traceback, and please report it)\n")


def test_a_database_error_after_opening_is_one_line(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy.exc

    def lost(*_args: Any, **_kwargs: Any) -> Any:
        raise sqlalchemy.exc.OperationalError(
            "SELECT 1", {}, Exception("server closed the connection unexpectedly\nmore")
        )

    monkeypatch.setattr("readiness.testhealth.client.open_client", lost)

    code, _, err = cli(project_dir, "tests", "flaky")

    assert code == 2
    assert err == (
        "error: database error: server closed the connection unexpectedly; check the database "
        "(state_url/audit_url) and its schema (`readiness db current`)\n"
    )


def test_a_usage_error_names_no_secret_of_the_environment(
    cli: Run, project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "rdy_thisIsTheSecretTokenValue0123456789"
    monkeypatch.setenv("READINESS_TOKEN", token)

    def leak(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError(f"bad header Bearer {token}")

    monkeypatch.setattr("readiness.testhealth.client.open_client", leak)

    _, _, err = cli(project_dir, "tests", "flaky")

    assert token not in err
    assert "bad header Bearer ***" in err


def test_the_version_is_the_installed_distribution_version(cli: Run) -> None:
    from importlib.metadata import version

    code, out, _ = cli(None, "--version")

    assert (code, out) == (0, f"readiness {version('readiness')}\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_a_real_sigint_while_reading_input_is_exit_2_with_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "junit.xml"
    os.mkfifo(fifo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    proc = subprocess.Popen(
        [str(READINESS), "-C", str(tmp_path), "tests", "ingest", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    writer: list[int] = []

    def reader_is_waiting() -> bool:
        # A non-blocking open for writing succeeds only once the CLI has the pipe open to read.
        try:
            writer.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            return False
        return True

    try:
        wait_until(reader_is_waiting, "the CLI to open the pipe")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        for fd in writer:
            os.close(fd)
        proc.kill()

    assert proc.returncode == 2
    assert err.decode() == ("error: interrupted (Ctrl-C); the command stopped before it finished\n")


def test_a_reader_that_stops_reading_early_is_exit_0_and_silent(tmp_path: Path) -> None:
    ids = {f"tests/test_mod{n // 100}.py::test_case_number_{n}": "passed" for n in range(5000)}
    report = tmp_path / "junit.xml"
    report.write_bytes(junit_xml(ids))  # ~250 kB of ids: more than a pipe holds
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    subprocess.run(
        [str(READINESS), "-C", str(tmp_path), "tests", "ingest", str(report)],
        env=env,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [str(READINESS), "-C", str(tmp_path), "tests", "known"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None

    first = proc.stdout.readline()  # like `| head -1`: read one line, then go away
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(timeout=60)

    assert first == b"tests/test_mod0.py::test_case_number_0\n"
    assert (proc.returncode, err) == (0, b"")
