"""Avro compatibility (pure) per the specification's schema-resolution rules: can a reader
schema read every datum written with a writer schema?

Rules: identical primitives match; promotions int→long→float→double, string↔bytes; records
match by name (or a reader alias), each reader field is found in the writer by name or alias,
else it needs a default; writer fields the reader lacks are skipped; enums: a writer symbol the
reader lacks needs the reader enum's ``default``; fixed: same name and size; arrays and maps by
their items and values; a writer union is readable when each branch is, a reader union reads a
writer when one branch does. Named types are compared once per pair (recursive types end).
"""

from __future__ import annotations

from typing import Any

from readiness.contracts.schemas.core.compat import Incompatibility
from readiness.errors import SchemaInvalidError

PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def parse(schema: Any) -> Any:
    """The parsed schema (fastavro), or :class:`SchemaInvalidError`."""
    import fastavro

    try:
        # fastavro builds a new parsed form and leaves ``schema`` as it was (no copy needed)
        return fastavro.parse_schema(schema)
    except Exception as exc:  # fastavro raises several exception types for bad schemas
        raise SchemaInvalidError(f"invalid Avro schema: {exc}") from None


def check(reader: Any, writer: Any) -> list[Incompatibility]:
    """The reasons ``reader`` cannot read data written with ``writer`` (empty: compatible)."""
    r, w = parse(reader), parse(writer)
    checker = _Checker(_named(r), _named(w))
    checker.read(r, w, "/")
    return checker.out


def _named(parsed: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if isinstance(parsed, dict):
        found.update(parsed.get("__named_schemas", {}))
    return found


def _kind(node: Any) -> str:
    if isinstance(node, list):
        return "union"
    if isinstance(node, dict):
        return str(node["type"])
    return str(node)


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class _Checker:
    def __init__(self, r_named: dict[str, Any], w_named: dict[str, Any]) -> None:
        self.names = (r_named, w_named)
        self.seen: set[tuple[str, str]] = set()
        self.out: list[Incompatibility] = []

    def deref(self, node: Any, side: int) -> Any:
        if isinstance(node, str) and node not in PRIMITIVES:
            return self.names[side].get(node, node)
        if isinstance(node, dict) and node.get("type") in PRIMITIVES and len(node) == 1:
            return node["type"]
        if isinstance(node, dict) and isinstance(node.get("type"), dict | list):
            return node["type"]
        return node

    def matches(self, r: Any, w: Any) -> bool:
        trial = _Checker(*self.names)
        trial.seen = set(self.seen)
        trial.read(r, w, "/")
        return not trial.out

    def bad(self, path: str, kind: str, r: Any, w: Any, why: str) -> None:
        self.out.append(Incompatibility(path, kind, _brief(r), _brief(w), why))

    def read(self, r: Any, w: Any, path: str) -> None:
        r, w = self.deref(r, 0), self.deref(w, 1)
        rk, wk = _kind(r), _kind(w)
        if wk == "union":
            for i, branch in enumerate(w):
                self.read(r, branch, f"{path}union[{i}]/")
            return
        if rk == "union":
            if not any(self.matches(branch, w) for branch in r):
                self.bad(
                    path,
                    "union_missing_branch",
                    r,
                    w,
                    f"no branch of the reader's union reads {wk}",
                )
            return
        if rk in PRIMITIVES or wk in PRIMITIVES:
            if rk != wk and rk not in PROMOTIONS.get(wk, set()):
                self.bad(path, "type_changed", r, w, f"{wk} cannot be read as {rk}")
            return
        if rk != wk:
            self.bad(path, "type_changed", r, w, f"{wk} cannot be read as {rk}")
            return
        if rk in ("record", "enum", "fixed"):
            if not _same_name(r, w):
                self.bad(
                    path,
                    "name_changed",
                    r["name"],
                    w["name"],
                    "named types must match by name or alias",
                )
                return
            key = (str(r["name"]), str(w["name"]))
            if key in self.seen:
                return
            self.seen.add(key)
        getattr(self, f"read_{rk}")(r, w, path)

    def read_record(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        by_name = {f["name"]: f for f in w["fields"]}
        for field in r["fields"]:
            names = [field["name"], *field.get("aliases", [])]
            source = next((by_name[n] for n in names if n in by_name), None)
            where = f"{path}{field['name']}/"
            if source is not None:
                self.read(field["type"], source["type"], where)
            elif "default" not in field:
                self.bad(
                    where,
                    "field_without_default",
                    field["name"],
                    None,
                    f"the writer has no field {field['name']!r} and the reader's has no default",
                )

    def read_enum(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        missing = [s for s in w["symbols"] if s not in r["symbols"]]
        if missing and "default" not in r:
            self.bad(
                path,
                "enum_symbols_missing",
                r["symbols"],
                w["symbols"],
                f"symbols {missing} unknown to the reader, which has no default",
            )

    def read_fixed(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        if r["size"] != w["size"]:
            self.bad(path, "fixed_size_changed", r["size"], w["size"], "fixed sizes differ")

    def read_array(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        self.read(r["items"], w["items"], f"{path}items/")

    def read_map(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        self.read(r["values"], w["values"], f"{path}values/")


def _same_name(r: dict[str, Any], w: dict[str, Any]) -> bool:
    if r["name"] == w["name"]:
        return True
    names = {r["name"], _short(r["name"])} | set(r.get("aliases", []))
    names |= {_short(a) for a in r.get("aliases", [])}
    return w["name"] in names or _short(w["name"]) in names


def _brief(node: Any) -> Any:
    if isinstance(node, dict):
        return node.get("name", node.get("type"))
    if isinstance(node, list):
        return [_brief(b) for b in node]
    return node
