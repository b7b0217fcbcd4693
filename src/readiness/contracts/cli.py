"""``readiness contracts``: consumer contracts and the event-schema registry (``schema``)."""

from __future__ import annotations

import typer

from readiness.contracts import cli_coverage, cli_pact
from readiness.contracts.cli_registry import app as schema_app

app = typer.Typer(
    no_args_is_help=True,
    help="Contracts: the event-schema registry (schema) and consumer contracts.",
)
app.add_typer(schema_app, name="schema")

# The Pact broker's commands (publish, can-i-deploy, record-deployment, ...).
cli_pact.register(app)
# Contract coverage and the providers' stored interfaces (coverage, show-interface, ...).
cli_coverage.register(app)
