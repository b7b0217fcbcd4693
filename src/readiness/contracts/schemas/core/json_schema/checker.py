"""JSON Schema compatibility (pure): can every instance valid under the writer's schema be
accepted by the reader's schema?

The check is structural and conservative: when it cannot prove the writer's instances are a
subset of the reader's, it reports why. It covers open and closed content models
(``additionalProperties`` false, absent or a schema), ``required`` changes, ``enum``/``const``
on typed fields, numeric/string/array/object constraints (including ``uniqueItems`` and
``multipleOf`` added), type changes (``integer`` reads as ``number``), ``$ref`` within the
document (cycles are assumed compatible once entered: a co-inductive check), and
``oneOf``/``anyOf``/``allOf``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from readiness.contracts.schemas.core.compat import Incompatibility
from readiness.contracts.schemas.core.json_schema.nodes import (
    TYPES,
    bound,
    merge,
    resolve,
    type_ok,
    types,
    values,
)
from readiness.contracts.schemas.core.json_schema.overlap import Overlap
from readiness.errors import SchemaInvalidError

_LOWER = (("minimum", False), ("exclusiveMinimum", True))
_UPPER = (("maximum", False), ("exclusiveMaximum", True))


def validate_schema(schema: Any) -> None:
    """Raise :class:`SchemaInvalidError` unless ``schema`` is a valid JSON Schema document."""
    import jsonschema  # type: ignore[import-untyped]

    if not isinstance(schema, dict | bool):
        raise SchemaInvalidError("a JSON Schema is an object or a boolean")
    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaInvalidError(f"invalid JSON Schema: {exc.message}") from None


def check(reader: Any, writer: Any) -> list[Incompatibility]:
    """The reasons ``reader`` cannot accept every instance of ``writer`` (empty: compatible)."""
    return _Checker(reader, writer).run()


class _Checker:
    def __init__(self, reader: Any, writer: Any) -> None:
        self.roots = (reader, writer)
        # The pairs entered, kept alive so that ids of merged nodes are never reused.
        self.seen: dict[tuple[int, int], tuple[Any, Any]] = {}
        self.out: list[Incompatibility] = []

    def run(self) -> list[Incompatibility]:
        self.sub(self.roots[1], self.roots[0], "#")
        return self.out

    def bad(self, path: str, kind: str, r: Any, w: Any, why: str) -> None:
        self.out.append(Incompatibility(path, kind, r, w, why))

    def sub(self, w: Any, r: Any, path: str) -> None:
        """Record why instances of ``w`` (writer) are not all valid under ``r`` (reader)."""
        w, r = resolve(w, self.roots[1]), resolve(r, self.roots[0])
        key = (id(w), id(r))
        if key in self.seen:
            return
        self.seen[key] = (w, r)
        if r is True or r == {} or w is False:
            return
        if r is False:
            self.bad(path, "rejects_everything", r, w, "the reader accepts nothing here")
            return
        if w is True:
            w = {}
        self.combinators(w, r, path)

    def combinators(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        w_any = w.get("anyOf") or w.get("oneOf")
        if w_any is not None:
            base = {k: v for k, v in w.items() if k not in ("anyOf", "oneOf")}
            for i, branch in enumerate(w_any):
                self.sub(merge(base, branch, self.roots[1]), r, f"{path}/anyOf/{i}")
            return
        if "allOf" in w:
            merged = {k: v for k, v in w.items() if k != "allOf"}
            for branch in w["allOf"]:
                merged = merge(merged, branch, self.roots[1])
            self.sub(merged, r, path)
            return
        if "allOf" in r:
            rest = {k: v for k, v in r.items() if k != "allOf"}
            for i, branch in enumerate(r["allOf"]):
                self.sub(w, branch, f"{path}/allOf/{i}")
            if rest:
                self.sub(w, rest, path)
            return
        r_any = r.get("anyOf") or r.get("oneOf")
        if r_any is not None:
            self.reader_any(w, r, r_any, path)
            return
        self.plain(w, r, path)

    def reader_any(self, w: dict[str, Any], r: dict[str, Any], r_any: list[Any], path: str) -> None:
        """Some reader branch must accept the writer; for ``oneOf``, exactly one may match."""
        rest = {k: v for k, v in r.items() if k not in ("anyOf", "oneOf")}
        for branch in r_any:
            trial = _Checker(self.roots[0], self.roots[1])
            trial.seen = dict(self.seen)
            trial.sub(w, branch, path)
            if not trial.out:
                if "oneOf" in r:
                    self.exactly_one(w, r["oneOf"], path)
                break
        else:
            self.bad(path, "no_matching_branch", r_any, w, "no reader branch accepts the writer")
        if rest:
            self.sub(w, rest, path)

    def exactly_one(self, w: dict[str, Any], branches: list[Any], path: str) -> None:
        """Flag a writer value that can match two ``oneOf`` branches (the reader refuses it)."""
        overlap, reader = Overlap(), self.roots[0]
        live = [(i, b) for i, b in enumerate(branches) if overlap((w, self.roots[1]), (b, reader))]
        for n, (i, bi) in enumerate(live):
            for j, bj in live[n + 1 :]:
                if overlap((bi, reader), (bj, reader)):
                    self.bad(
                        path,
                        "oneOf_branches_overlap",
                        branches,
                        w,
                        f"a writer value can match the reader's oneOf branches {i} and {j} "
                        "at once, and oneOf refuses a value that matches more than one",
                    )
                    return

    def plain(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        wt, rt = types(w), types(r)
        if rt is not None:
            missing = sorted(t for t in (wt or set(TYPES)) if not type_ok(t, rt))
            if missing:
                self.bad(
                    path,
                    "type_changed",
                    sorted(rt),
                    sorted(wt or TYPES),
                    f"type {missing} not accepted",
                )
                return
        self.values(w, r, path)
        live = wt or set(TYPES)
        if live & {"number", "integer"}:
            self.numbers(w, r, path)
        if "string" in live:
            self.strings(w, r, path)
        if "array" in live:
            self.arrays(w, r, path)
        if "object" in live:
            self.objects(w, r, path)

    def values(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        allowed = values(r)
        if allowed is None:
            return
        given = values(w)
        if given is None:
            self.bad(path, "enum_added", allowed, None, "the reader restricts values to an enum")
            return
        extra = [v for v in given if v not in allowed]
        if extra:
            self.bad(
                path,
                "enum_values_not_accepted",
                allowed,
                given,
                f"values {extra} not in the reader's enum",
            )

    def numbers(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        for keys, lower in ((_LOWER, True), (_UPPER, False)):
            rb, wb = bound(r, keys, lower), bound(w, keys, lower)
            if rb is None:
                continue
            looser = wb is not None and (
                (wb[0] > rb[0] if lower else wb[0] < rb[0])
                or (wb[0] == rb[0] and (wb[1] or not rb[1]))
            )
            if not looser:
                name = "minimum" if lower else "maximum"
                self.bad(
                    path,
                    f"{name}_tightened",
                    rb,
                    wb,
                    f"the reader's {name} rejects some writer values",
                )
        rm = r.get("multipleOf")
        if rm is not None:
            wm = w.get("multipleOf")
            # an integer-only writer writes multiples of 1, which are multiples of 1/k
            step = 1 if wm is None and types(w) == {"integer"} else wm
            if step is None or Fraction(str(step)) % Fraction(str(rm)) != 0:
                self.bad(
                    path, "multipleOf_added", rm, wm, f"writer values need not be multiples of {rm}"
                )

    def strings(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        self.lengths(w, r, path, "minLength", "maxLength")
        for key in ("pattern", "format", "contentEncoding", "contentMediaType"):
            if key in r and r[key] != w.get(key):
                self.bad(
                    path,
                    f"{key}_changed",
                    r[key],
                    w.get(key),
                    f"the reader requires {key} {r[key]!r}",
                )

    def lengths(self, w: dict[str, Any], r: dict[str, Any], path: str, lo: str, hi: str) -> None:
        if lo in r and w.get(lo, 0) < r[lo]:
            self.bad(path, f"{lo}_increased", r[lo], w.get(lo), f"the reader requires {lo} {r[lo]}")
        if hi in r and (hi not in w or w[hi] > r[hi]):
            self.bad(
                path, f"{hi}_decreased", r[hi], w.get(hi), f"the reader allows at most {hi} {r[hi]}"
            )

    def arrays(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        self.lengths(w, r, path, "minItems", "maxItems")
        if r.get("uniqueItems") is True and w.get("uniqueItems") is not True:
            self.bad(
                path,
                "uniqueItems_added",
                True,
                w.get("uniqueItems"),
                "the reader rejects repeated items",
            )
        w_items, r_items = w.get("items", True), r.get("items", True)
        if isinstance(r_items, list) or isinstance(w_items, list):
            if r_items != w_items:
                self.bad(path, "tuple_items_changed", r_items, w_items, "positional items changed")
        else:
            self.sub(w_items, r_items, f"{path}/items")
        w_pre, r_pre = w.get("prefixItems", []), r.get("prefixItems", [])
        for i in range(max(len(w_pre), len(r_pre))):
            wi = w_pre[i] if i < len(w_pre) else w.get("items", True)
            ri = r_pre[i] if i < len(r_pre) else r.get("items", True)
            self.sub(wi, ri, f"{path}/prefixItems/{i}")
        if "contains" in r and r.get("contains") != w.get("contains"):
            self.bad(
                path,
                "contains_changed",
                r["contains"],
                w.get("contains"),
                "the reader requires an item it names",
            )

    def objects(self, w: dict[str, Any], r: dict[str, Any], path: str) -> None:
        self.lengths(w, r, path, "minProperties", "maxProperties")
        w_req, r_req = set(w.get("required", [])), set(r.get("required", []))
        for name in sorted(r_req - w_req):
            self.bad(
                f"{path}/properties/{name}",
                "property_became_required",
                True,
                False,
                f"writer data may omit {name!r}, the reader requires it",
            )
        wp, rp = w.get("properties", {}), r.get("properties", {})
        w_add, r_add = w.get("additionalProperties", True), r.get("additionalProperties", True)
        for name in sorted(set(wp) | set(rp)):
            where = f"{path}/properties/{name}"
            if name in wp and name in rp:
                self.sub(wp[name], rp[name], where)
            elif name in wp:
                if resolve(r_add, self.roots[0]) is False:
                    self.bad(
                        where,
                        "property_removed_from_closed_model",
                        False,
                        wp[name],
                        f"writer data may carry {name!r}, the reader's closed model refuses it",
                    )
                else:
                    self.sub(wp[name], r_add, where)
            elif resolve(w_add, self.roots[1]) is not False and name not in w_req:
                trial = _Checker(self.roots[0], self.roots[1])
                trial.sub(w_add, rp[name], where)
                if trial.out:
                    self.bad(
                        where,
                        "property_added_to_open_model",
                        rp[name],
                        w_add,
                        f"the writer's open model lets data carry {name!r} with any value, "
                        "the reader constrains it",
                    )
        if resolve(w_add, self.roots[1]) is not False:
            if resolve(r_add, self.roots[0]) is False:
                self.bad(
                    path,
                    "content_model_closed",
                    False,
                    w_add,
                    "the writer allows additional properties, the reader refuses them",
                )
            else:
                self.sub(w_add, r_add, f"{path}/additionalProperties")
