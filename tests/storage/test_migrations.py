from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.engine import Stores
from readiness.storage.migrate import current_revision, downgrade, head_revision, upgrade


def test_both_databases_are_at_head_after_upgrade(stores: Stores) -> None:
    state_head = "0019_provider_interfaces"
    assert current_revision("state", stores.state) == head_revision("state") == state_head
    assert (
        current_revision("audit", stores.audit) == head_revision("audit") == "0010_entry_partitions"
    )


def test_downgrade_to_base_drops_every_table_and_upgrade_restores_them(stores: Stores) -> None:
    downgrade("state", stores.state, "base")
    assert "th_results" not in sa.inspect(stores.state).get_table_names()
    upgrade("state", stores.state)
    assert {"th_runs", "th_tests", "th_results", "rd_tokens"} <= set(
        sa.inspect(stores.state).get_table_names()
    )
