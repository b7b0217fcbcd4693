"""Engines, metadata and our own Alembic histories for the state and audit databases."""

from readiness.storage.engine import Stores, create_engine_for, open_stores
from readiness.storage.metadata import audit_metadata, state_metadata

__all__ = ["Stores", "audit_metadata", "create_engine_for", "open_stores", "state_metadata"]
