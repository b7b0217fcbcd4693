"""The CLI's own log lines (``logging.getLogger("readiness...")`` warnings, a library's errors)
go through ``readiness.logs``' pipeline and its console renderer, on standard error.

``main`` installs ``ConsoleLogHandler`` on the root logger for the command's run and removes it
after. Nothing of ``readiness.logs`` (structlog, orjson) is imported until a line is written, so
a command that logs nothing starts as fast as before. ``readiness serve`` calls ``detach``
and sets up its own (JSON) logging for the server process.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from readiness import __version__

SERVICE = "readiness"
ENVIRONMENT = "cli"


class ConsoleLogHandler(logging.Handler):
    """A ``logging`` handler: the ``readiness.logs`` chain (redaction included) and its console
    renderer, written to the standard error of the moment (tests swap it)."""

    def __init__(
        self, level: int = logging.NOTSET, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__(level)
        self.clock = clock
        self._formatter: logging.Formatter | None = None

    def _build(self) -> logging.Formatter:
        import structlog

        from readiness.logs import Redactor, build_processors, render_console

        options: dict[str, Any] = {} if self.clock is None else {"clock": self.clock}
        chain: list[Any] = build_processors(
            service=SERVICE,
            environment=ENVIRONMENT,
            version=__version__,
            redactor=Redactor(),
            **options,
        )
        return structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *chain],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, render_console],
        )

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._formatter is None:
                self._formatter = self._build()
            sys.stderr.write(self._formatter.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging's contract: a failed line never fails the caller
            self.handleError(record)


@contextmanager
def cli_logging(clock: Callable[[], datetime] | None = None) -> Iterator[ConsoleLogHandler]:
    """The handler on the root logger for the block (a command's run)."""
    handler = ConsoleLogHandler(clock=clock)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def detach() -> None:
    """Removes the CLI's handler (``serve``: the server's own logging replaces it)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, ConsoleLogHandler):
            root.removeHandler(handler)
