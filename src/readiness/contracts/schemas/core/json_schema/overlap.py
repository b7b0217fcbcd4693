"""Whether two JSON Schemas can accept one value (pure): what makes a reader's ``oneOf``
refuse a writer value matching two of its branches."""

from __future__ import annotations

from typing import Any

from readiness.contracts.schemas.core.json_schema.nodes import (
    common_types,
    merge,
    property_schema,
    resolve,
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
        common = common_types(a, b)
        va, vb = values(a), values(b)
        if va is not None and vb is not None:
            keys_b = {value_key(v) for v in vb}
            if not any(value_key(v) in keys_b for v in va):
                return False
        return bool(common) and not (
            common == {"object"} and self.objects_disjoint((a, one[1]), (b, two[1]), depth)
        )

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
