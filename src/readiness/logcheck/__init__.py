"""logcheck: the logging feature's surfaces over ``readiness.logs`` (issue 11): the log-call
linter (``readiness logs lint``) and its gate check, the log scanner (``readiness logs scan``),
debug grants, their API routes and the dashboard page.

``readiness.logs`` is the library applications import; this feature checks the code that calls
it and the logs it wrote.
"""
