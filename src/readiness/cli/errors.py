"""The CLI's contract under faults: exit 0 (ok), 1 (a check failed) or 2 (anything else).

Every error a user can meet is ONE line on stderr, with every URL in it masked
(:mod:`readiness._common.redact`): a usage mistake, a broken configuration, an unreachable or
unmigrated database, a corrupt file, an unreachable server, Ctrl-C. An unexpected exception is a
bug: it is one line too, naming ``READINESS_DEBUG=1`` which prints the traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import typer

from readiness.console import print_error
from readiness.errors import ReadinessError

OK, CHECK_FAILED, ERROR = 0, 1, 2
INTERRUPTED = 130  # what Typer returns for Ctrl-C; mapped to ERROR


def database_error_message(exc: Exception) -> str | None:
    """One line for a database driver error that escaped the stores (None: not one)."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    detail = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    first = next((line for line in detail.splitlines() if line.strip()), type(exc).__name__)
    return (
        f"database error: {first.strip()}; check the database (state_url/audit_url) and its "
        "schema (`readiness db current`)"
    )


INTERRUPTED_MESSAGE = "interrupted (Ctrl-C); the command stopped before it finished"


def run_guarded(invoke: Callable[[], Any]) -> int:
    """Run the Typer app and turn every way it can end into 0, 1 or 2."""
    try:
        result = invoke()
    except KeyboardInterrupt:
        print_error(INTERRUPTED_MESSAGE)
        return ERROR
    except SystemExit as exc:
        return _exit_status(exc)
    except Exception as exc:
        return _report(exc)
    if result == INTERRUPTED:
        print_error(INTERRUPTED_MESSAGE)
        return ERROR
    if not isinstance(result, int) or isinstance(result, bool):
        return OK  # a command's return value is not an exit status
    return result if result in (OK, CHECK_FAILED, ERROR) else ERROR


def _exit_status(exc: SystemExit) -> int:
    # Typer exits 1 by itself when stdout is a closed pipe (it wraps stdout first): the reader
    # left (`readiness tests known | head`), not a failed check.
    if type(sys.stdout).__name__ == "PacifyFlushWrapper":
        return OK
    code = exc.code
    return code if isinstance(code, int) and code in (OK, CHECK_FAILED, ERROR) else ERROR


def _report(exc: Exception) -> int:  # noqa: PLR0911 - one return per kind of ending
    """Print the one line ``exc`` deserves and return its exit status."""
    if isinstance(exc, typer.Abort):
        print_error("aborted")
        return ERROR
    if isinstance(exc, typer.TyperException):  # click usage errors: unknown option, ...
        if type(exc).__name__ == "NoArgsIsHelpError":
            # Bare `readiness` (or `readiness tests`) asks what there is: the help, printed on
            # stdout, is the answer, not an error.
            return OK
        # Typer words a bad choice "Value error, 'x' is not one of ...": drop its jargon.
        print_error(exc.format_message().replace("Value error, ", ""))
        return ERROR
    if isinstance(exc, ReadinessError):
        print_error(exc.message)
        return ERROR
    if isinstance(exc, BrokenPipeError):  # the reader left, not an error
        _silence_stdout()
        return OK
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        print_error(f"{where}{exc.strerror or exc}")
        return ERROR
    message = database_error_message(exc)  # a database error past the stores
    if message is not None:
        print_error(message)
        return ERROR
    if os.environ.get("READINESS_DEBUG"):
        traceback.print_exc()
    print_error(
        f"internal error: {type(exc).__name__}: {exc} (a bug in Readiness; "
        "set READINESS_DEBUG=1 to see the traceback, and please report it)"
    )
    return ERROR


def _silence_stdout() -> None:
    # Python would report the broken pipe again when it flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured in tests)
        pass
