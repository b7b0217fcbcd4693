"""The platform's own audit events (tokens, sessions, projects, webhooks, quarantine, ingest)
on the audit ledger, atomic with the state changes they record.

A feature writes an event with :func:`~readiness.audit.outbox.service.record` on the connection
of its own state transaction: the event becomes a row of the state database's outbox, committed
or rolled back with the change. :func:`~readiness.audit.outbox.relay.relay` moves committed rows
into the ledger exactly once (see that module); it runs right after the commit, before anything
reads the trail, and in ``readiness audit verify``. docs/audit-platform-events.md tells the story.
"""
