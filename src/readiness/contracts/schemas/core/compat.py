"""Compatibility modes and the explained incompatibility, shared by both engines (pure).

A check asks one question: can a *reader* schema read every datum written with a *writer*
schema? BACKWARD means the new schema reads old data (reader=new, writer=old); FORWARD means
old readers read new data (reader=old, writer=new); FULL asks both. The ``_TRANSITIVE`` forms
ask against every earlier version, the others against the latest only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from readiness.errors import InputError

MODES = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
DEFAULT_MODE = "BACKWARD"


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader cannot read a writer's data: where, what changed, why it breaks."""

    path: str
    kind: str
    reader: Any
    writer: Any
    why: str
    direction: str = ""  # "BACKWARD" or "FORWARD" once a mode's check labels it

    def message(self) -> str:
        side = f"{self.direction}: " if self.direction else ""
        return (
            f"{side}{self.kind} at {self.path}: {self.why} "
            f"(reader: {_short(self.reader)}, writer: {_short(self.writer)})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "reader": self.reader,
            "writer": self.writer,
            "why": self.why,
            "direction": self.direction,
            "message": self.message(),
        }


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_mode(mode: str) -> str:
    upper = mode.upper()
    if upper not in MODES:
        raise InputError(f"unknown compatibility mode {mode!r}; expected one of {', '.join(MODES)}")
    return upper


Checker = Callable[[Any, Any], list[Incompatibility]]


def check_against(
    checker: Checker, mode: str, new: Any, previous: Sequence[Any]
) -> list[Incompatibility]:
    """The incompatibilities of ``new`` with ``previous`` (oldest first) under ``mode``."""
    mode = check_mode(mode)
    if mode == "NONE" or not previous:
        return []
    olds = list(previous) if mode.endswith("_TRANSITIVE") else [previous[-1]]
    base = mode.removesuffix("_TRANSITIVE")
    found: list[Incompatibility] = []
    for old in reversed(olds):
        if base in ("BACKWARD", "FULL"):
            found += [_label(i, "BACKWARD") for i in checker(new, old)]
        if base in ("FORWARD", "FULL"):
            found += [_label(i, "FORWARD") for i in checker(old, new)]
    return found


def _label(item: Incompatibility, direction: str) -> Incompatibility:
    who = (
        "the new schema cannot read data written with the old one"
        if direction == "BACKWARD"
        else "readers of the old schema cannot read data written with the new one"
    )
    return Incompatibility(
        item.path, item.kind, item.reader, item.writer, f"{item.why}; {who}", direction
    )
