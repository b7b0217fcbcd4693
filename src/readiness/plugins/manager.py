"""The plugin manager: built-in features first, then ``readiness`` entry points."""

from __future__ import annotations

import importlib
from functools import cache

import pluggy

from readiness.plugins import hookspecs

hookimpl = pluggy.HookimplMarker("readiness")

BUILTIN_PLUGINS = (
    "readiness.testhealth.plugin",
    "readiness.audittrail.plugin",
    "readiness.migrations.plugin",
    "readiness.contracts.plugin",
    "readiness.logcheck.plugin",
)


def builtin_plugin_manager() -> pluggy.PluginManager:
    """A new plugin manager with the built-in features only (no installed plugins)."""
    pm = pluggy.PluginManager("readiness")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    return pm


@cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager with built-ins and installed third-party plugins."""
    pm = builtin_plugin_manager()
    pm.load_setuptools_entrypoints("readiness")
    return pm
