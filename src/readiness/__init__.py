"""Readiness: a self-hosted production-readiness platform for Python teams."""

# The release version, kept equal to pyproject.toml's (tests/test_version.py checks it against
# the installed metadata). A literal: importlib.metadata would cost every CLI call ~50 ms.
__version__ = "0.1.0"

__all__ = ["__version__"]
