"""Migration 0012_schema_registry creates exactly the tables readiness.contracts declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from readiness.contracts.schemas.store import registry as store
from readiness.storage import Stores
from readiness.storage.metadata import state_metadata

OURS = {
    t.name
    for t in (
        store.registry_schemas,
        store.registry_versions,
        store.registry_config,
        store.registry_references,
    )
}


def test_the_migrated_tables_are_the_declared_tables(stores: Stores) -> None:
    with stores.state.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_name": lambda name, kind, _p: kind != "table" or name in OURS,
                "include_object": lambda obj, name, kind, _r, _c: kind != "table" or name in OURS,
            },
        )
        differences = compare_metadata(context, state_metadata)
    assert differences == []
