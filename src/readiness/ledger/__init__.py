"""The tamper-evident ledger: an RFC 9162 Merkle log with signed checkpoints (see docs/ledger.md).

``readiness.ledger.core`` is the pure part (hashing, proofs, signed notes, checkpoints,
cosignatures, tiles); storage, the sequencer and the surfaces build on it.
"""
