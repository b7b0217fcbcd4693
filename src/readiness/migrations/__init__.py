"""Migration safety: a linter for SQL and Alembic migrations (locks, rewrites, rollback safety)."""
