"""JSON Schema compatibility (pure): :func:`check` walks a writer's schema against a reader's
(:mod:`.checker`), over node helpers (:mod:`.nodes`) and the ``oneOf`` overlap test
(:mod:`.overlap`)."""

from readiness.contracts.schemas.core.json_schema.checker import check, validate_schema

__all__ = ["check", "validate_schema"]
