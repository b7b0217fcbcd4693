"""Contracts: the Pact broker and the event-schema registry (issue 10)."""
