"""The expand/contract toolkit: plans as numbered migrations, backfill, drift."""
