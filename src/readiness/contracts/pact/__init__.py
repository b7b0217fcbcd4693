"""A Pact-compatible broker: pacticipants, versions, pacts, verifications, environments and the
can-i-deploy decision (handbook 19.5)."""
