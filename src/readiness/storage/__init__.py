"""Engines, metadata and our own Alembic histories for the state and audit databases."""

from readiness.storage.engine import Stores, create_engine_for
from readiness.storage.metadata import audit_metadata, state_metadata
from readiness.storage.stores import open_stores

__all__ = ["Stores", "audit_metadata", "create_engine_for", "open_stores", "state_metadata"]
