"""Pure helpers shared by every feature: clock, ids, canonical JSON."""
