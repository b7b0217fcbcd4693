"""The schema check without Alembic agrees with Alembic, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from readiness.storage.engine import Stores
from readiness.storage.migrate import downgrade, head_revision
from readiness.storage.schema import HISTORIES, current_revisions, read_history


@pytest.mark.parametrize("kind", ["state", "audit", "vault"])
def test_the_heads_read_from_the_files_are_alembics_heads(kind: str) -> None:
    alembic_heads = ScriptDirectory(str(HISTORIES[kind])).get_heads()

    assert read_history(kind).heads == tuple(sorted(alembic_heads))


@pytest.mark.parametrize("kind", ["state", "audit", "vault"])
def test_every_revision_of_the_files_is_one_alembic_knows_with_the_same_parents(kind: str) -> None:
    script = ScriptDirectory(str(HISTORIES[kind]))
    alembic_parents = {
        rev.revision: tuple(sorted(rev._all_down_revisions)) for rev in script.walk_revisions()
    }

    assert {r: tuple(sorted(p)) for r, p in read_history(kind).parents.items()} == alembic_parents


def test_a_migrated_database_is_at_the_head(stores: Stores) -> None:
    with stores.state.connect() as conn:
        state = current_revisions(conn, "state")
    with stores.audit.connect() as conn:
        audit = current_revisions(conn, "audit")

    assert (state, audit) == ((head_revision("state"),), (head_revision("audit"),))


def test_a_database_at_base_has_no_revision(stores: Stores) -> None:
    downgrade("state", stores.state, "base")

    with stores.state.connect() as conn:
        assert current_revisions(conn, "state") == ()
