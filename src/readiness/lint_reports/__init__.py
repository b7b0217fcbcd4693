"""What the platform's linters (``migrations lint``, ``logs lint``) share about their reports.

Each linter keeps its own table, URLs, JSON and page; this package holds the one way they are
built: the report table and its queries (:mod:`.store`), the recorder the merge gate and
``--record`` store a report through (:mod:`.recorder`), the ``--format``/``--fail-on``/
``--record`` handling of a ``lint`` command (:mod:`.cli`) and the ``GET .../reports`` route
(:mod:`.api`). The page parts are macros of ``web/templates/_lint_reports.html``.
"""
