"""Retention tiers of the audit trail: archive old months to Parquet, query across tiers, prune
by policy (docs/audit-retention.md)."""
