"""Query of the application audit trail: the index, searches, timelines, as-of, exports.

The pipeline: :mod:`.core` (pure: filters, cursors, the as-of fold) → :mod:`.index` (the
derived index of the ledger, filled after each append and caught up from the entries) →
:mod:`.search` (queries on the index, events read back from the ledger) → :mod:`.export`
(files with inclusion proofs, and their offline verification) → :mod:`.service` (every read
is itself an audit event).
"""
