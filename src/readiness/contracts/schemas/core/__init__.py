"""The registry's pure core: compatibility engines (JSON Schema, Avro), modes, formats,
field paths, references bundling, diffs and example payloads. No storage, clock or settings:
everything is passed in."""
