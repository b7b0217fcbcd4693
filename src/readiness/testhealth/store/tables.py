"""Tables of testhealth in the state database (created by ``alembic_state``).

``th_results`` holds one row per execution of a test: reruns inside one CI run are separate rows
(``attempt`` 0 is the first execution, 1.. the reruns), so pass-on-retry stays visible.
Outcomes are small integers (see ``model.Outcome``) to keep the 1M-row aggregates cheap.

``th_tests`` keeps what is fixed about a test: its key (which carries its file, classes and name,
see ``junit``) and the first run it was seen in, moved back when an older report is ingested
later. When it was last seen is read from its results, so an ingest of known tests inserts
results and writes no test row, and a new test is one short row.

Every table but ``th_results`` names its project (``storage.projects.project_column``); results
belong to a project through their run and test.
"""

from __future__ import annotations

import sqlalchemy as sa

from readiness.storage.metadata import state_metadata
from readiness.storage.projects import project_column

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TZ = sa.DateTime(timezone=True)

runs = sa.Table(
    "th_runs",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("run_key", sa.String(64), nullable=False),
    sa.Column("ci_run_id", sa.String(200)),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
    sa.Column("job", sa.String(200)),
    sa.Column("commit_sha", sa.String(64)),
    sa.Column("tree_sha", sa.String(64)),
    sa.Column("branch", sa.String(255)),
    sa.Column("started_at", TZ, nullable=False),
    sa.Column("ingested_at", TZ, nullable=False),
    sa.Column("source", sa.String(1000), nullable=False),
    sa.Column("source_digest", sa.String(64), nullable=False),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("seed", sa.String(64)),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("skipped", sa.Integer, nullable=False),
    # Executions after a test's first in this run that were CI retries (never repeats).
    sa.Column("reruns", sa.Integer, nullable=False, server_default="0"),
    # N of ``--readiness-repeat N``: every test ran N times on purpose (1: no repeats).
    sa.Column("repeat", sa.Integer, nullable=False, server_default="1"),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("infra_failure", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("pr", sa.String(64)),
    sa.Column("url", sa.String(1000)),
    sa.Column("provider", sa.String(40)),
    sa.UniqueConstraint("project", "run_key"),
    sa.Index("ix_th_runs_project_branch_started", "project", "branch", "started_at"),
    sa.Index("ix_th_runs_project_commit", "project", "commit_sha"),
)

tests = sa.Table(
    "th_tests",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("test_key", sa.String(2000), nullable=False),
    sa.Column("first_seen", TZ, nullable=False),
    sa.Column("first_commit", sa.String(64)),
    sa.UniqueConstraint("project", "test_key"),
)

results = sa.Table(
    "th_results",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", BigId, sa.ForeignKey("th_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("test_id", BigId, sa.ForeignKey("th_tests.id", ondelete="CASCADE"), nullable=False),
    sa.Column("attempt", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("outcome", sa.SmallInteger, nullable=False),
    sa.Column("duration_s", sa.Float, nullable=False, server_default="0"),
    sa.Column("failure_kind", sa.String(20)),
    sa.Column("message", sa.String(2000)),
    sa.Column("fingerprint", sa.String(16)),
    sa.Column("quarantined", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_th_results_test_run", "test_id", "run_id"),
    sa.Index("ix_th_results_run", "run_id"),
)

quarantine = sa.Table(
    "th_quarantine",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("test_key", sa.String(2000), nullable=False),
    sa.Column("owner", sa.String(200)),
    sa.Column("reason", sa.String(2000), nullable=False),
    sa.Column("issue", sa.String(1000)),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("expires_at", TZ, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("removed_at", TZ),
    sa.Column("removed_by", sa.String(200)),
    sa.Column("remove_reason", sa.String(2000)),
    sa.Index("ix_th_quarantine_project_test", "project", "test_key"),
)

quarantine_events = sa.Table(
    "th_quarantine_events",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("test_key", sa.String(2000), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("at", TZ, nullable=False),
    sa.Column("reason", sa.String(2000)),
    sa.Column("details", sa.JSON, nullable=False),
)

fix_verifications = sa.Table(
    "th_fix_verifications",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("test_key", sa.String(2000), nullable=False),
    sa.Column("at", TZ, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("flake_rate", sa.Float, nullable=False),
    sa.Column("required_runs", sa.Integer, nullable=False),
    sa.Column("runs", sa.Integer, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("verdict", sa.String(20), nullable=False),
)

# The order each process of a failing run executed its tests in (pytest: one suite per
# pytest-xdist worker), so experiments can replay the order a test failed in. ``tests`` is a
# JSON array of test keys in order of first appearance; only runs with a failure keep one.
run_orders = sa.Table(
    "th_run_orders",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", BigId, sa.ForeignKey("th_runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("suite", sa.String(1000)),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("tests", sa.Text, nullable=False),
    sa.Index("ix_th_run_orders_run", "run_id"),
)

# Who owns a test and which issue tracks it, set on the server (dashboard, API, CLI): one row
# per test of a project, whether or not it is quarantined.
test_annotations = sa.Table(
    "th_test_annotations",
    state_metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    project_column(),
    sa.Column("test_key", sa.String(2000), nullable=False),
    sa.Column("owner", sa.String(200)),
    sa.Column("issue", sa.String(1000)),
    sa.Column("set_by", sa.String(200), nullable=False),
    sa.Column("set_at", TZ, nullable=False),
    sa.UniqueConstraint("project", "test_key"),
)
