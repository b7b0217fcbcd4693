"""The lint rules, one module per family; importing this package registers them all."""

from __future__ import annotations

from readiness.migrations.rules import (  # noqa: F401 (registration)
    columns,
    constraints,
    destructive,
    indexes,
    session,
    style,
)
from readiness.migrations.rules.base import RULES, Context, Hit, Rule

__all__ = ["RULES", "Context", "Hit", "Rule"]
