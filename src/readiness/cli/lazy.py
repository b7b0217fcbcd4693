"""The root command group that imports a command's module only when that command is used.

``readiness --version`` and ``readiness tests ingest`` should not pay for the server, the
database migrations or the HTTP client. Platform commands are named here with the module that
defines them; feature sub-apps come from the plugins (``readiness_cli_apps``), asked only when a
name is not a platform command or when ``--help`` lists every command.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from functools import cache
from typing import Any

import typer
import typer.core
import typer.main

from readiness.cli.metavars import humanize, humanize_params

# name -> (module, kind): a "command" module registers it with ``register(app)``; a "group"
# module holds a ``typer.Typer`` named ``app``. Listed in the order ``--help`` shows them.
PLATFORM_COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("readiness.cli.project", "command"),
    "serve": ("readiness.cli.project", "command"),
    "demo": ("readiness.cli.project", "command"),
    "gate": ("readiness.cli.gate", "command"),
    "db": ("readiness.cli.db", "group"),
    "tokens": ("readiness.cli.tokens", "group"),
    "sessions": ("readiness.cli.sessions", "group"),
    "projects": ("readiness.cli.projects", "group"),
    "notify": ("readiness.cli.notify", "group"),
}


@cache
def plugin_apps() -> dict[str, Any]:
    """Sub-apps the plugins contribute, by name (loads the plugin manager once)."""
    from readiness.plugins import get_plugin_manager

    found: dict[str, Any] = {}
    for pairs in get_plugin_manager().hook.readiness_cli_apps():
        for name, sub in pairs:
            found.setdefault(name, sub)
    return found


def _group_of(sub: typer.Typer, name: str) -> typer.core.TyperGroup:
    group = typer.main.get_group(sub)
    group.name = name
    return group


@cache
def _platform_module_commands(module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    holder = typer.Typer()
    module.register(holder)
    return dict(typer.main.get_group(holder).commands)


def load_command(name: str) -> Any | None:
    """The click command ``readiness NAME`` runs, importing its module now (None: unknown)."""
    if name in PLATFORM_COMMANDS:
        module_name, kind = PLATFORM_COMMANDS[name]
        if kind == "group":
            return _group_of(importlib.import_module(module_name).app, name)
        return _platform_module_commands(module_name)[name]
    sub = plugin_apps().get(name)
    return None if sub is None else _group_of(sub, name)


class LazyRootGroup(typer.core.TyperGroup):
    """A Typer group whose sub-commands are imported on first use.

    Every command is humanized as it is loaded (:mod:`readiness.cli.metavars`): its help names
    values ``PATH`` or ``[text|json]``, never ``<list[Path]>``, and flags take no value.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        humanize_params(self)

    def list_commands(self, ctx: Any) -> list[str]:
        names = [*super().list_commands(ctx), *PLATFORM_COMMANDS]
        names += [n for n in plugin_apps() if n not in names]
        return list(dict.fromkeys(names))

    def get_command(self, ctx: Any, cmd_name: str) -> Any | None:
        found = super().get_command(ctx, cmd_name)
        if found is None:
            found = load_command(cmd_name)
            if found is not None:
                self.add_command(humanize(found), cmd_name)
        return found

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except typer.TyperException as exc:  # "No such command": a click UsageError
            # The base class suggests only among commands already loaded; suggest among all.
            known = self.list_commands(ctx)
            matches = get_close_matches(args[0], known) if args else []
            if matches and "Did you mean" not in exc.message:
                suggestions = ", ".join(repr(m) for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise
