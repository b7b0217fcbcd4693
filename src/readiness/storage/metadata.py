"""The SQLAlchemy ``MetaData`` objects: state (test history, tokens, ...), audit, and the
identity vault of the audit trail's privacy layer (its own database).

Feature ``tables`` modules attach their tables to one of these; Alembic histories under
``alembic_state/`` and ``alembic_audit/`` create them.
"""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

state_metadata = MetaData(naming_convention=NAMING)
audit_metadata = MetaData(naming_convention=NAMING)
vault_metadata = MetaData(naming_convention=NAMING)  # identity vault + security log (privacy)
