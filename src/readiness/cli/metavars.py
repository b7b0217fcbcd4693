"""Help that names values the way a shell user writes them: ``PATH``, ``INTEGER``, ``[text|json]``.

Typer labels a value with its Python annotation (``<list[Path]>``, ``<str>``) and gives flags a
``<bool>`` value they do not take. :func:`humanize` rewrites a command tree once, where the root
group loads it (:mod:`readiness.cli.lazy`), so no command has to spell its metavars by hand:

* an option taking a value shows its kind in capitals (``--commit TEXT``, ``--runs INTEGER``)
  unless the command chose a name (``--project NAME``), and choices as ``[text|json]`` (a long
  list of choices is named for the option, ``--role ROLE``, and listed in its help, so the
  help keeps its width at 80 columns);
* a flag (``--all``, ``--help``) shows nothing after its name;
* an argument is named in capitals (``FILES...``, ``TEST_ID``), with its kind beside it;
* a command's help is reflowed: the line breaks of its docstring are not kept in the middle of a
  sentence (Typer's rich help keeps them), paragraphs are.
"""

from __future__ import annotations

import datetime as dt
import inspect
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

_KINDS: dict[Any, str] = {
    str: "TEXT",
    int: "INTEGER",
    float: "NUMBER",
    bool: "BOOLEAN",
    Path: "PATH",
    dt.datetime: "DATETIME",
    dt.date: "DATE",
}


MAX_CHOICES_WIDTH = 16
"""The widest ``[a|b|c]`` shown as a metavar; longer choice lists move into the help."""


def value_label(param: TyperOption | TyperArgument) -> str:
    """What one value of ``param`` is, for help: ``TEXT``, ``PATH``, ``[text|json]``, ..."""
    desc = param.type_descriptor
    if desc.is_choice:
        values = [c.value if isinstance(c, Enum) else c for c in desc.choices or ()]
        return "[" + "|".join(str(v) for v in values) + "]"
    annotation = desc.annotation
    if desc.is_list and get_args(annotation):
        annotation = get_args(annotation)[0]
    if desc.is_path:
        return "PATH" if desc.path_type == "path" else desc.path_type.upper()
    return _KINDS.get(annotation, "VALUE")


class _HumanArgument(TyperArgument):
    """A Typer argument whose help shows its value's kind in words (``PATH``), not its type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        label = value_label(self)
        return label if self.nargs == 1 else f"{label}..."


def humanize_params(command: Any) -> None:
    """Give ``command``'s own options and arguments the metavars the module docstring describes."""
    # ``--help`` is made on first use and then kept: make it now, so it is a flag like the others.
    help_option = command.get_help_option(typer.Context(command))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, TyperOption):
            if param.is_flag or param.count:
                param.metavar = ""  # a flag takes no value: nothing after its name
            elif param.metavar is None or param.metavar.startswith("<"):
                param.metavar = value_label(param)
                if len(param.metavar) > MAX_CHOICES_WIDTH and param.type_descriptor.is_choice:
                    _choices_into_help(param)
        elif isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = (param.name or "value").upper()
            if type(param) is TyperArgument:
                # Typer has no hook for the kind shown beside an argument: a subclass that adds
                # no state supplies it.
                param.__class__ = _HumanArgument


def _choices_into_help(option: TyperOption) -> None:
    """``--role ROLE`` with "What the token may do: reader, writer, admin, auditor." as help."""
    choices = (option.metavar or "").strip("[]").split("|")
    long = [o for o in option.opts if o.startswith("--")] or [option.name or "value"]
    option.metavar = long[0].lstrip("-").replace("-", "_").upper()
    option.help = f"{(option.help or '').rstrip('.')}: {', '.join(choices)}."


def reflow(text: str) -> str:
    r"""``text`` with each paragraph on one line (a paragraph starting with ``\b`` is kept).

    >>> reflow("Rerun a test,\nthen release it.\n\nMore.")
    'Rerun a test, then release it.\n\nMore.'
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split()) for p in paragraphs)


def humanize(command: Any) -> Any:
    """Humanize ``command`` and, for a group, every command under it; return ``command``."""
    humanize_params(command)
    if getattr(command, "help", None):
        command.help = reflow(command.help)
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            humanize(sub)
    return command
