"""logcheck: the logging feature's surfaces over ``readiness.logs`` (issue 11)."""
