"""Plugin system (pluggy): hook specifications and the manager."""

from readiness.plugins.manager import get_plugin_manager, hookimpl

__all__ = ["get_plugin_manager", "hookimpl"]
