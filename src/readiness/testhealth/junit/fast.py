"""The fast reader behind :class:`~.report.ParsedReport`: two layers, one read.

Layer one is the same guarded expat parser as the exact reader, but without per-element
callbacks: it checks every byte (well-formedness, and DTDs, entities and external references are
refused through its rare declaration callbacks) at C speed. Layer two finds the ``<testcase>``
elements with compiled regular expressions over the same bytes and builds the rows, whole regions
at a time with C-level ``map``/``zip``; cases with children, reruns and everything between
testcases (suites, properties) go through the exact reader's own handlers, driven by a small tag
tokenizer instead of expat.

When the optional C accelerator (``native/``, installed as ``readiness[speedups]``) is present,
it builds the rows of a region of plain testcases in one pass instead of the regular
expressions; it declines anything else (returns ``None``) and the regions it declines take the
path above, so every path gives the same rows. ``READINESS_PURE_PYTHON=1`` turns it off.

The read loop that cuts the input into regions and hands over to the exact reader is in
:mod:`.regions`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from itertools import compress, repeat
from operator import add, itemgetter
from typing import TYPE_CHECKING, Protocol, cast

from readiness._common import speedups
from readiness.testhealth.junit.ids import id_prefix
from readiness.testhealth.junit.markup import NAME, HandOver, attr_value, char_data, parse_attrs
from readiness.testhealth.junit.report import PREFIX_CACHE
from readiness.testhealth.junit.rows import (
    Failure,
    Row,
    captures_text,
    child_outcome,
    parse_time,
    with_failure,
)

if TYPE_CHECKING:
    from readiness.testhealth.junit.report import ParsedReport

_TAG = re.compile(rf"<(/?)({NAME})([^>]*)>")
_CASE = re.compile(r"<testcase(?=[\s/>])([^>]*)>(?:(?<=/>)|(.*?)</testcase\s*>)", re.S)
# A testcase body of one outcome child and text without markup around it (the common failure).
_ONE_CHILD = re.compile(r"[^<]*<(failure|error|skipped)([^<>]*)>(?:([^<]*)</\1\s*>)?[^<]*")
# A testcase body of captured output only (<system-out>/<system-err> of plain text).
_OUTPUT_ONLY = re.compile(r"(?:[^<]*<(system-out|system-err)(?:/>|>[^<]*</\1>))*[^<]*")
_SPECIAL = ("&", "\t", "\n", "\r")
_USED = frozenset({"classname", "name", "file", "time"})  # the attributes _finish_case reads


class _Scanner(Protocol):
    """The optional C accelerator (``native/`` in the repository, ``readiness[speedups]``)."""

    def scan(
        self,
        text: str,
        suite: str | None,
        prefix_of: Callable[[str, str | None], tuple[str, str | None] | None],
        parse_time: Callable[[str], float],
    ) -> tuple[list[Row], list[int], dict[int, tuple[str, dict[str, str]]]] | None: ...


def _load_speedups() -> _Scanner | None:
    module = speedups.accelerator("scan")
    return None if module is None else cast("_Scanner", module)


_speedups = _load_speedups()


class RegionReader:
    """Turns regions (strings of complete elements) into rows on ``report``."""

    def __init__(self, report: ParsedReport) -> None:
        self.report = report
        self.templates: dict[tuple[str, ...], tuple[tuple[str, ...], re.Pattern[str]]] = {}
        self.prefixes = report._prefixes  # shared with the exact handlers (same key, same value)

    # -- markup outside testcases and inside one: the exact handlers, driven by tokens ------

    def tags(self, text: str) -> None:
        """Tags between testcases (suites, properties); their text is never used."""
        if "<" not in text:
            return
        report = self.report
        n = 0
        for close, name, inside in _TAG.findall(text):
            n += 1
            if close:
                if inside.strip():
                    raise HandOver("end tag")
                report._end(name)
                continue
            attrs, empty = parse_attrs(inside)
            if name == "testcase":
                raise HandOver("testcase")
            report._start(name, attrs)
            if empty:
                report._end(name)
        if n != text.count("<"):
            raise HandOver("markup")

    def case(self, inside: str, body: str | None) -> None:
        """One testcase through the exact handlers (children, captured text, reruns)."""
        attrs, _empty = parse_attrs(inside)
        self.report._start("testcase", attrs)
        self.case_body(body or "")

    # -- regions ----------------------------------------------------------------------------

    def region(self, text: str) -> None:
        if not self.bulk(text):
            self.generic(text)

    def generic(self, text: str) -> None:
        pos = 0
        count = 0
        for m in _CASE.finditer(text):
            count += 1
            self.tags(text[pos : m.start()])
            self.case(m.group(1), m.group(2))
            pos = m.end()
        self.tags(text[pos:])
        if count != text.count("<testcase"):
            raise HandOver("testcase")

    def _template(self, text: str) -> tuple[tuple[str, ...], re.Pattern[str]] | None:
        first = _CASE.search(text)
        if first is None:
            return None
        inside = first.group(1)
        parts = inside.removesuffix("/").split('"')
        keys = tuple(parts[0::2])
        if len(parts) < 3 or "'" in inside or ">" in inside or keys[-1].strip():
            return None
        found = self.templates.get(keys)
        if found is None:
            if any(not re.fullmatch(rf"\s+{NAME}\s*=\s*", k) for k in keys[:-1]):
                return None
            names = [k.strip().rstrip("=").strip() for k in keys[:-1]]
            if len(set(names)) != len(names):
                return None
            # Only what the reader uses is captured: fewer groups, faster findall.
            body = "".join(
                re.escape(k) + ('"([^"]*)"' if name in _USED else '"[^"]*"')
                for k, name in zip(keys, names, strict=False)
            )
            pattern = re.compile(
                rf"<testcase{body}{re.escape(keys[-1])}(?:(/)>|>(.*?)</testcase\s*>)", re.S
            )
            found = self.templates[keys] = (tuple(n for n in names if n in _USED), pattern)
        return found

    def bulk(self, text: str) -> bool:  # noqa: PLR0911 - one region, in C-level steps
        """All testcases of the region at once, when they share one attribute layout, no tags
        lie between them and the format is known; ``False`` leaves the region to ``generic``."""
        report = self.report
        fmt = report.format
        if fmt is None:
            return False
        if _speedups is not None and self._scan(text, fmt):
            return True
        found = self._template(text)
        if found is None:
            return False
        names, pattern = found
        matches = pattern.findall(text)
        n = len(matches)
        if not n or n != text.count("<testcase"):
            return False
        columns = list(zip(*matches, strict=True))
        bodies: Sequence[str] = columns[-1]
        closed = n - columns[-2].count("/")  # cases with an end tag
        marked = [i for i in compress(range(n), bodies) if "<" in bodies[i]]
        inner = sum(bodies[i].count("<") for i in marked)
        if text.count("<") != n + closed + inner:
            return False  # tags between testcases (a suite boundary): the generic path
        # Captured output alone is never used: those cases are plain rows.
        with_body = [i for i in marked if not _OUTPUT_ONLY.fullmatch(bodies[i])]
        values: dict[str, Sequence[str]] = {}
        for name, column in zip(names, columns, strict=False):
            joined = "".join(column)
            special_chars = any(c in joined for c in _SPECIAL)
            values[name] = list(map(attr_value, column)) if special_chars else column
        if "name" not in values or "" in values["name"]:
            return False
        case_names = values["name"]
        classnames: Sequence[str] = values.get("classname") or [""] * n
        files: Sequence[str | None] = values.get("file") or [None] * n
        suites = report._suites
        suite = suites[-1] if suites else None
        prefixes: dict[tuple[str, str | None], str] = {}
        paths: dict[tuple[str, str | None], str | None] = {}
        cache = self.prefixes
        if len(cache) > PREFIX_CACHE:
            cache.clear()
        keys = list(zip(classnames, files, strict=False))
        for key in set(keys):
            cached = cache.get((*key, suite))
            if cached is None:
                cached = cache[(*key, suite)] = id_prefix(fmt, key[0], key[1], suite)
            prefix, path = cached
            if prefix is None:
                return False  # the id depends on the name (jest, go): the generic path
            prefixes[key] = prefix
            paths[key] = path
        ids = list(map(add, map(prefixes.__getitem__, keys), case_names))
        durations = _durations(values.get("time"), n)
        rows: list[Row] = list(
            zip(
                ids,
                repeat(suite),
                case_names,
                map(paths.__getitem__, keys),
                repeat(0),
                durations,
                repeat(0),
                repeat(None),
                repeat(None),
                repeat(None),
            )
        )
        self._emit(
            rows,
            ids,
            self.report._numbers.arrive(ids),
            with_body,
            body_of=bodies.__getitem__,
            attrs_of=lambda i: dict(zip(names, (c[i] for c in values.values()), strict=True)),
        )
        return True

    def _scan(self, text: str, fmt: str) -> bool:
        """The region through the C accelerator; ``False`` when it leaves the region to us."""
        suites = self.report._suites
        suite = suites[-1] if suites else None
        cache = self.prefixes
        if len(cache) > PREFIX_CACHE:
            cache.clear()

        def prefix_of(classname: str, file: str | None) -> tuple[str, str | None] | None:
            key = (classname, file, suite)
            cached = cache.get(key)
            if cached is None:
                cached = cache[key] = id_prefix(fmt, classname, file, suite)
            return None if cached[0] is None else cached  # type: ignore[return-value]

        assert _speedups is not None
        found = _speedups.scan(text, suite, prefix_of, parse_time)
        if found is None:
            return False
        rows, special, held = found
        ids = list(map(itemgetter(0), rows))
        reruns = self.report._numbers.arrive(ids)
        if not held.keys() >= set(reruns):
            self.report._numbers.undo_arrival()
            return False  # a rerun of a test seen earlier: the accelerator kept no body for it
        self._emit(
            rows,
            ids,
            reruns,
            special,
            body_of=lambda i: held[i][0],
            attrs_of=lambda i: held[i][1],
        )
        return True

    def _emit(
        self,
        rows: list[Row],
        ids: list[str],
        reruns: list[int],
        with_body: list[int],
        *,
        body_of: Callable[[int], str],
        attrs_of: Callable[[int], dict[str, str]],
    ) -> None:
        """The region's rows in order: plain ones in blocks, the common failure or skip built
        here, and reruns (``reruns``: a test id seen before, which continues its attempts) and
        any other body through the exact handlers. The caller has recorded the arrival of
        ``ids`` (:meth:`~.attempts.AttemptCounter.arrive`)."""
        report = self.report
        repeated = set(reruns)
        last = 0
        for i in sorted(repeated.union(with_body)):
            self._block(rows[last:i])
            failure = None if i in repeated else self._one_child(body_of(i))
            if failure is not None:
                self._block([with_failure(rows[i][:4], failure, 0, rows[i][5])])
            else:
                if i not in repeated:  # a first execution: the exact handlers number it
                    report._numbers.unsee(ids[i])
                report._start("testcase", attrs_of(i))
                self.case_body(body_of(i))
            last = i + 1
        self._block(rows[last:])

    @staticmethod
    def _one_child(body: str) -> Failure | None:
        """The outcome of a testcase body that is one ``failure``/``error``/``skipped`` element
        and text around it; ``None`` for any other body."""
        one = _ONE_CHILD.fullmatch(body)
        if one is None:
            return None
        name, inside, text = one.groups()
        attrs, empty = parse_attrs(inside)
        if empty != (text is None):
            return None
        # What _start_in_case and the capture do for this child, without the tokens.
        outcome = child_outcome(name, attrs.get("type"))
        assert outcome is not None  # failure, error or skipped
        failure = Failure(outcome, attrs.get("message"), attrs.get("type"))
        if text and captures_text(outcome):
            failure.add_text(char_data(text))
        return failure

    def case_body(self, body: str) -> None:
        """The children and text of the open testcase, then its end."""
        report = self.report
        if "<" not in body:  # text directly inside <testcase> is never used
            report._end("testcase")
            return
        if "<testcase" in body:
            raise HandOver("nested testcase")
        failure = self._one_child(body) if report.format is not None else None
        if failure is not None:
            report._final = failure
            report._end("testcase")
            return
        pos = n = 0
        for m in _TAG.finditer(body):
            n += 1
            capture = report._capture
            if capture is not None and m.start() > pos:
                capture.add_text(char_data(body[pos : m.start()]))
            pos = m.end()
            close, name, rest = m.groups()
            if close:
                if rest.strip():
                    raise HandOver("end tag")
                report._end(name)
                continue
            child, child_empty = parse_attrs(rest)
            report._start(name, child)
            if child_empty:
                report._end(name)
        if n != body.count("<"):
            raise HandOver("markup")
        capture = report._capture
        if capture is not None and pos < len(body):
            capture.add_text(char_data(body[pos:]))
        report._end("testcase")

    def _block(self, rows: list[Row]) -> None:
        """First executions of distinct tests, each a single row (``_emit`` records them)."""
        if not rows:
            return
        report = self.report
        if report._pending is not None:
            report._out.append(report._pending)
        report._out.extend(rows[:-1])
        report._pending = rows[-1]


def _durations(times: Sequence[str] | None, n: int) -> list[float]:
    if times is None:
        return [0.0] * n
    try:
        values = list(map(float, times))
        total = math.fsum(values)
    except (ValueError, OverflowError):
        return list(map(parse_time, times))
    if math.isfinite(total) and values and min(values) >= 0.0 and max(values) < 1e9:
        return values
    return list(map(parse_time, times))
