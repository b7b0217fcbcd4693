"""testhealth: trust in the test suite (flaky-test detection, quarantine, fix verification)."""
