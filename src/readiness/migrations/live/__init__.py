"""The live rollback-safety check: scratch database, generated data, replay of old queries."""
