"""logcheck: the log-call linter (``readiness logs lint``), its gate check, API and page.

``readiness.logs`` is the library applications import; this feature checks the code that calls it.
"""
