"""The registry's tables and queries (state database): subjects, versions, schemas, settings
and references (:mod:`.registry`), and governance's tables (:mod:`.governance`)."""
