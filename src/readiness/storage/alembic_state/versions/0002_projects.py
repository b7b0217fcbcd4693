"""Projects: every stored item belongs to one; tokens may be limited to some.

Existing data keeps its project name (``default`` unless configured otherwise); each name found
becomes a row of ``rd_projects`` and the ``project`` columns reference it (ON UPDATE CASCADE,
ON DELETE RESTRICT). When the caller passes ``adopt_project`` (the embedded database of a
checkout whose project name is not configured) and all existing data sits in ``default``, that
data moves to the adopted name, so upgrading does not hide a checkout's history behind a new
default name.

Downgrade drops the projects and the token limits; tokens that were limited to projects are
revoked, because the older schema could only let them act on every project.

Revision ID: 0002_projects
Revises: 0001_state
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

revision = "0002_projects"
down_revision = "0001_state"
branch_labels = None
depends_on = None

LEGACY_DEFAULT = "default"
OWNED = ("th_runs", "th_tests", "th_quarantine", "th_quarantine_events", "th_fix_verifications")


def _owned(name: str) -> sa.TableClause:
    return sa.table(name, sa.column("project", sa.String(200)))


def _adopt_legacy_default(conn: sa.Connection, found: set[str]) -> set[str]:
    adopt = context.config.attributes.get("adopt_project") if context.config else None
    if not adopt or found != {LEGACY_DEFAULT} or adopt == LEGACY_DEFAULT:
        return found
    for name in OWNED:
        t = _owned(name)
        conn.execute(t.update().where(t.c.project == LEGACY_DEFAULT).values(project=adopt))
    logging.getLogger("readiness.storage").warning(
        "readiness: this database's history moved from project %r to %r, the default project "
        "name (the directory's name) since projects exist",
        LEGACY_DEFAULT,
        adopt,
    )
    return {adopt}


def upgrade() -> None:
    projects = op.create_table(
        "rd_projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rd_projects")),
        sa.UniqueConstraint("name", name=op.f("uq_rd_projects_name")),
    )
    conn = op.get_bind()
    found = {
        str(row[0])
        for row in conn.execute(sa.union(*(sa.select(_owned(n).c.project) for n in OWNED)))
    }
    found = _adopt_legacy_default(conn, found)
    now = datetime.now(UTC)
    if found:
        op.bulk_insert(
            projects,
            [
                {"name": name, "created_at": now, "created_by": "migration 0002_projects"}
                for name in sorted(found)
            ],
        )
    for name in OWNED:
        with op.batch_alter_table(name) as batch:
            batch.alter_column(
                "project",
                existing_type=sa.String(length=200),
                existing_nullable=False,
                server_default=None,
            )
            batch.create_foreign_key(
                op.f(f"fk_{name}_project_rd_projects"),
                "rd_projects",
                ["project"],
                ["name"],
                onupdate="CASCADE",
                ondelete="RESTRICT",
            )
    with op.batch_alter_table("rd_tokens") as batch:
        batch.add_column(
            sa.Column("all_projects", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "rd_token_projects",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["rd_tokens.id"],
            name=op.f("fk_rd_token_projects_token_id_rd_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project"],
            ["rd_projects.name"],
            name=op.f("fk_rd_token_projects_project_rd_projects"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", "project", name=op.f("pk_rd_token_projects")),
    )


def downgrade() -> None:
    tokens = sa.table(
        "rd_tokens",
        sa.column("all_projects", sa.Boolean()),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.get_bind().execute(
        tokens.update()
        .where(tokens.c.all_projects == sa.false(), tokens.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    op.drop_table("rd_token_projects")
    with op.batch_alter_table("rd_tokens") as batch:
        batch.drop_column("all_projects")
    for name in reversed(OWNED):
        with op.batch_alter_table(name) as batch:
            batch.drop_constraint(op.f(f"fk_{name}_project_rd_projects"), type_="foreignkey")
            batch.alter_column(
                "project",
                existing_type=sa.String(length=200),
                existing_nullable=False,
                server_default=LEGACY_DEFAULT,
            )
    op.drop_table("rd_projects")
