"""The event-schema registry: pure compatibility engines (JSON Schema, Avro), store, service."""
