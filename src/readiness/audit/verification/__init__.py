"""Continuous verification of the audit trail: scheduled verify runs (recorded), periodic
checkpoints, notifications on failure, RFC 3161 timestamps of checkpoints."""
