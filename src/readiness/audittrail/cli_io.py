"""What the ``readiness audit`` commands share: reading events from a file or stdin, and
opening the project's stores with the audit log's ledger."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from readiness.console import state

if TYPE_CHECKING:
    from readiness.config import Settings
    from readiness.ledger.service import LedgerService
    from readiness.storage import Stores

MAX_INPUT_BYTES = 256 << 20


def read_input(source: str, *, too_big: str = "append in several calls") -> bytes:
    """The bytes of ``source`` (a path, or ``-`` for stdin), at most :data:`MAX_INPUT_BYTES`."""
    from readiness.errors import InputError

    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        with Path(source).open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{source}: more than {MAX_INPUT_BYTES} bytes; {too_big}")
    return data


def open_trail(ctx: typer.Context) -> tuple[Settings, Stores, LedgerService]:
    """The settings, the opened stores and the audit log's ledger (the caller closes both)."""
    from readiness.audit.trail import open_ledger
    from readiness.storage import open_stores

    settings = state(ctx).settings
    stores = open_stores(settings)
    try:
        return settings, stores, open_ledger(settings, stores.audit, state(ctx).clock)
    except BaseException:
        stores.dispose()
        raise
