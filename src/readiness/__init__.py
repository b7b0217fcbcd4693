"""Readiness: a self-hosted production-readiness platform for Python teams."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("readiness")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
