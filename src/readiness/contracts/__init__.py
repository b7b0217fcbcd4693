"""contracts: consumer contracts (Pact broker) and the event-schema registry."""
