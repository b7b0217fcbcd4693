"""A human-readable changelog between two schema versions (pure): what was added, removed and
changed, field by field, and which changes break which direction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from readiness.contracts.schemas.core.compat import Checker, Incompatibility


@dataclass(frozen=True)
class Change:
    path: str
    what: str  # "added", "removed", "changed"
    old: Any
    new: Any

    def line(self) -> str:
        if self.what == "added":
            return f"+ {self.path}: {_show(self.new)}"
        if self.what == "removed":
            return f"- {self.path}: {_show(self.old)}"
        return f"~ {self.path}: {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True)
class Changelog:
    changes: list[Change]
    backward: list[Incompatibility]  # the new schema cannot read old data
    forward: list[Incompatibility]  # old readers cannot read new data

    def lines(self) -> list[str]:
        out = [c.line() for c in self.changes] or ["(no changes)"]
        for label, items in (("breaks BACKWARD", self.backward), ("breaks FORWARD", self.forward)):
            out += [f"! {label}: {i.kind} at {i.path}: {i.why}" for i in items]
        if not self.backward and not self.forward:
            out.append("compatible in both directions (FULL)")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "changes": [c.__dict__ for c in self.changes],
            "backward": [i.as_dict() for i in self.backward],
            "forward": [i.as_dict() for i in self.forward],
            "lines": self.lines(),
        }


def changelog(old: Any, new: Any, checker: Checker) -> Changelog:
    changes: list[Change] = []
    _walk(_keyed(old), _keyed(new), "", changes)
    return Changelog(changes, checker(new, old), checker(old, new))


def _keyed(node: Any) -> Any:
    """Lists of named items (Avro fields, symbols) and ``required`` as dicts keyed by name."""
    if isinstance(node, dict):
        return {k: _keyed(v) for k, v in node.items()}
    if isinstance(node, list) and node and all(isinstance(i, dict) and "name" in i for i in node):
        return {str(i["name"]): _keyed(i) for i in node}
    if isinstance(node, list) and all(isinstance(i, str) for i in node):
        return dict.fromkeys(node, True)
    return node


def _walk(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}/{key}"
            if key not in new:
                out.append(Change(where, "removed", old[key], None))
            elif key not in old:
                out.append(Change(where, "added", None, new[key]))
            else:
                _walk(old[key], new[key], where, out)
    elif old != new:
        out.append(Change(path or "/", "changed", old, new))


def _show(value: Any) -> str:
    if value is True:
        return "present"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 100 else text[:97] + "..."
