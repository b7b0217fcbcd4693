"""``readiness contracts``: consumer contracts and the event-schema registry (``schema``)."""

from __future__ import annotations

import importlib
import importlib.util

import typer

from readiness.contracts.cli_registry import app as schema_app

app = typer.Typer(
    no_args_is_help=True,
    help="Contracts: the event-schema registry (schema) and consumer contracts.",
)
app.add_typer(schema_app, name="schema")

# The Pact broker's commands join when that module is present (readiness.contracts.cli_pact).
if importlib.util.find_spec("readiness.contracts.cli_pact") is not None:
    importlib.import_module("readiness.contracts.cli_pact").register(app)
