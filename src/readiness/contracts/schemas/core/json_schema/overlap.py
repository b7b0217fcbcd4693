"""Whether two JSON Schemas can accept one value (pure): what makes a reader's ``oneOf``
refuse a writer value matching two of its branches.

Conservative: two schemas overlap unless something shows that no value satisfies both — their
types; their ``const``/``enum`` values; for numbers, ranges (``minimum``, ``exclusiveMaximum``,
...) with no common number, or no common integer when only integers are allowed; for strings,
length ranges; for arrays, item-count ranges, or item schemas that cannot overlap when both ask
for at least one item; for objects, a required property whose two schemas cannot overlap.
(``pattern``, ``multipleOf`` and ``format`` are not compared: they never make two schemas
disjoint here.)"""

from __future__ import annotations

import math
from typing import Any

from readiness.contracts.schemas.core.json_schema.nodes import (
    bound,
    common_types,
    merge,
    property_schema,
    resolve,
    type_of,
    type_ok,
    types,
    value_key,
    values,
)

_OVERLAP_DEPTH = 16
Side = tuple[Any, Any]  # a schema node and the root document its $refs resolve in


class Overlap:
    """Whether some value may be valid under two schemas: conservative, True unless a type,
    a const/enum or a required-property discriminator makes them disjoint."""

    def __call__(self, one: Side, two: Side, depth: int = 0) -> bool:
        a, b = resolve(*one), resolve(*two)
        if a is False or b is False:
            return False
        if not isinstance(a, dict) or not isinstance(b, dict) or depth > _OVERLAP_DEPTH:
            return True
        for x, rx, other in ((a, one[1], (b, two[1])), (b, two[1], (a, one[1]))):
            if "allOf" in x:
                merged = {k: v for k, v in x.items() if k != "allOf"}
                for branch in x["allOf"]:
                    merged = merge(merged, branch, rx)
                return self((merged, rx), other, depth + 1)
            alts = x.get("anyOf") or x.get("oneOf")
            if alts is not None:
                base = {k: v for k, v in x.items() if k not in ("anyOf", "oneOf")}
                return any(self((merge(base, alt, rx), rx), other, depth + 1) for alt in alts)
        if _values_disjoint(a, b):
            return False
        common = common_types(a, b)
        return any(self._type_shared(t, (a, one[1]), (b, two[1]), depth) for t in common)

    def _type_shared(self, t: str, one: Side, two: Side, depth: int) -> bool:
        """Whether some value of type ``t`` may be valid under both schemas."""
        a, b = one[0], two[0]
        if t in ("integer", "number"):
            return _numbers_meet(a, b, integers=t == "integer")
        if t == "string":
            return _counts_meet(a, b, "minLength", "maxLength")
        if t == "array":
            return self._arrays_meet(one, two, depth)
        if t == "object":
            return not self.objects_disjoint(one, two, depth)
        return True

    def _arrays_meet(self, one: Side, two: Side, depth: int) -> bool:
        a, b = one[0], two[0]
        if not _counts_meet(a, b, "minItems", "maxItems"):
            return False
        items = (a.get("items", True), b.get("items", True))
        if max(_count(a, "minItems"), _count(b, "minItems")) == 0 or not all(
            isinstance(i, dict | bool) for i in items
        ):
            return True  # the empty array is valid under both (tuple forms: not compared)
        return self((items[0], one[1]), (items[1], two[1]), depth + 1)

    def objects_disjoint(self, one: Side, two: Side, depth: int) -> bool:
        """A property one side requires whose schemas on the two sides are disjoint (the
        ``type`` + ``const`` discriminator pattern, or a closed model refusing it)."""
        a, b = one[0], two[0]
        required = set(a.get("required", [])) | set(b.get("required", []))
        return any(
            not self(
                (property_schema(a, name), one[1]), (property_schema(b, name), two[1]), depth + 1
            )
            for name in sorted(required)
        )


_LOWER = (("minimum", False), ("exclusiveMinimum", True))
_UPPER = (("maximum", False), ("exclusiveMaximum", True))
Bound = tuple[float, bool]  # a limit and whether it is exclusive


def _values_disjoint(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether the ``const``/``enum`` values of one side cannot be valid under the other."""
    va, vb = values(a), values(b)
    if va is not None and vb is not None:
        keys_b = {value_key(v) for v in vb}
        if not any(value_key(v) in keys_b for v in va):
            return True
    return any(
        own is not None and not any(_admits(other, v) for v in own)
        for own, other in ((va, b), (vb, a))
    )


def _limit(
    node: dict[str, Any], keys: tuple[tuple[str, bool], ...], *, lower: bool
) -> Bound | None:
    found = bound(node, keys, lower)
    return None if found is None else (float(found[0]), bool(found[1]))


def _numbers_meet(a: dict[str, Any], b: dict[str, Any], *, integers: bool) -> bool:
    """Whether a number (an integer with ``integers``) lies in both schemas' ranges."""
    lows = [x for x in (_limit(a, _LOWER, lower=True), _limit(b, _LOWER, lower=True)) if x]
    highs = [x for x in (_limit(a, _UPPER, lower=False), _limit(b, _UPPER, lower=False)) if x]
    if not lows or not highs:
        return True
    low = max(lows, key=lambda x: (x[0], x[1]))  # the higher, exclusive before inclusive
    high = min(highs, key=lambda x: (x[0], not x[1]))  # the lower, exclusive first
    if integers and math.isfinite(low[0]) and math.isfinite(high[0]):
        first = math.ceil(low[0]) + (1 if low[1] and math.ceil(low[0]) == low[0] else 0)
        last = math.floor(high[0]) - (1 if high[1] and math.floor(high[0]) == high[0] else 0)
        return first <= last
    return low[0] < high[0] or (low[0] == high[0] and not (low[1] or high[1]))


def _count(node: dict[str, Any], key: str) -> int:
    """A ``min*`` count of ``node`` (0 when absent or not a number)."""
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    return max(0, math.ceil(value))


def _most(node: dict[str, Any], key: str) -> float:
    """A ``max*`` count of ``node`` (infinite when absent or not a number)."""
    value = node.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.inf
    return float(math.floor(value)) if math.isfinite(value) else math.inf


def _counts_meet(a: dict[str, Any], b: dict[str, Any], lower: str, upper: str) -> bool:
    """Whether a length or item count lies in both schemas' ranges."""
    return max(_count(a, lower), _count(b, lower)) <= min(_most(a, upper), _most(b, upper))


def _admits(node: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` may be valid under ``node`` as far as its type, numeric range, length
    and item count tell (True when they do not rule it out)."""
    allowed = types(node)
    t = type_of(value)
    if allowed is not None and not type_ok(t, allowed):
        return False
    if t in ("integer", "number") and not isinstance(value, bool):
        return _numbers_meet(node, {"minimum": value, "maximum": value}, integers=False)
    if t == "string":
        return _counts_meet(node, {"minLength": len(value), "maxLength": len(value)},
                            "minLength", "maxLength")  # fmt: skip
    if t == "array":
        return _counts_meet(node, {"minItems": len(value), "maxItems": len(value)},
                            "minItems", "maxItems")  # fmt: skip
    return True
