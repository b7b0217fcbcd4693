"""audit: the append-only record of who did what (the audit database).

Application events and the platform's own events live in one Merkle ledger (``trail``,
``outbox``); ``service`` is what every feature records its events through.
"""
