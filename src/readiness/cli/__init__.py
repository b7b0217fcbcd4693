"""The ``readiness`` command line: a Typer root and one sub-app per feature."""
