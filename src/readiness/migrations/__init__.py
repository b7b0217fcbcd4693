"""Migration safety: the linter, the live rollback-safety check and the expand/contract toolkit."""
