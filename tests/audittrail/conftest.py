"""The audit CLI fixture (10 events, a checkpoint, verified) shared with tests/audit."""

from tests.audit.test_tamper_cli import cli

__all__ = ["cli"]
