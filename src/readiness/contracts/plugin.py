"""Contracts as a built-in plugin: the ``contracts`` CLI sub-app and the event-schema registry's
Confluent-compatible REST API (``/schema-registry``)."""

from __future__ import annotations

from typing import Any

from readiness.plugins.manager import hookimpl


@hookimpl
def readiness_cli_apps() -> list[tuple[str, Any]]:
    from readiness.contracts.cli import app

    return [("contracts", app)]


@hookimpl
def readiness_api_routers() -> list[Any]:
    from readiness.contracts.api_registry import router

    return [router]
