"""The checklist runner: merge, deploy and verify gates."""
