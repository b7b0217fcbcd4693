"""Pure core of the ledger: no database, no clock, no filesystem; everything is a parameter.

Modules, from the bottom up: :mod:`.merkle` (RFC 9162 hashes and proofs over stored complete
subtrees), :mod:`.compact` (growing trees: the sequencer's compact range, the in-memory store),
:mod:`.note` (C2SP signed notes, Ed25519), :mod:`.checkpoint` (C2SP tlog-checkpoint),
:mod:`.cosignature` (C2SP tlog-cosignature v1), :mod:`.tiles` (C2SP tlog-tiles paths and bundles).
"""
