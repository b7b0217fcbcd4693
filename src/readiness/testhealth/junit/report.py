"""One JUnit XML report being read: the exact reader and its state.

The public entry points are in :mod:`.reader`; the fast path (:mod:`.fast`) drives the same
handlers on most of the input, and both build rows through :mod:`.rows`. The exact reader drives
expat directly with the same guards defusedxml installs (no DTD, no entity declarations, no
external references), which refuses XML bombs and external entities at the ``<!DOCTYPE`` line;
it is several times faster than ``defusedxml.ElementTree.iterparse`` (see
``benchmarks/junit_ingest.py``). No tree is built: each ``<testcase>`` becomes rows as soon as it
closes, so memory stays bounded on files of any size, and character data is only collected
inside failure elements. Every byte first passes :class:`~.bounds.BoundedReader`, which bounds
any single text or tag (``testhealth.max_field_bytes``).

Test identity (``CaseResult.test_id``) and the producer of a report: :mod:`.ids`.

Attempts are numbered by arrival per test id over the whole report (:mod:`.attempts`): Surefire
``flakyFailure``/``flakyError``/``rerunFailure``/``rerunError`` children are earlier attempts and
the testcase's own outcome the next one; a testcase whose id was seen before (anywhere earlier:
pytest-rerunfailures, ``go test -count``, gotestsum ``--rerun-fails``) continues its test's
count. In pytest reports a childless copy directly followed by another copy of the same test (in
the same suite) is a rerun failure, since pytest-rerunfailures writes each rerun as an empty
``<testcase>`` right before the next attempt and only reruns failed tests. Our plugin's
``readiness.outcomes`` property lists every attempt's outcome, ``xfailed`` and ``xpassed``
included.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import NoReturn, Protocol
from xml.parsers import expat

from readiness.errors import JUnitParseError
from readiness.testhealth.junit.attempts import AttemptCounter
from readiness.testhealth.junit.bounds import (
    DEFAULT_MAX_FIELD_BYTES,
    BoundedReader,
    FieldTooLong,
)
from readiness.testhealth.junit.ids import (
    _ATTEMPT_CHILDREN,
    guess_format,
    id_prefix,
    make_test_id,
)
from readiness.testhealth.junit.rows import (
    OUTCOMES_PROPERTY,
    Failure,
    Row,
    captures_text,
    case_results,
    child_outcome,
    listed_attempts,
    parse_time,
    parse_timestamp,
    with_failure,
)
from readiness.testhealth.model import CaseResult, Outcome

CHUNK = 1 << 16
PREFIX_CACHE = 1 << 16  # (classname, file, suite) -> id prefix, shared with the fast path
SEED_PROPERTIES = ("readiness.seed", "random_seed", "randomly_seed", "seed")
_CAPTURED = frozenset({"failure", "error", "stackTrace", *_ATTEMPT_CHILDREN})
_REFUSED = "DTDs and entity declarations are not allowed (XML bomb or external entity?)"


class BinaryReader(Protocol):
    """Anything with ``read(size) -> bytes``: an open file, an upload, a hashing wrapper."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(slots=True)
class _Hints:
    root_name: str = ""
    suite_attrs: dict[str, str] = field(default_factory=dict)


# The fast reader (:func:`readiness.testhealth.junit.fast.fast_rows`): yields row batches and
# returns the unread rest of the input when it hands over to the exact reader (None: all read).
FastRows = Callable[["ParsedReport"], Generator[list[Row], None, bytes | None]]


class ParsedReport:
    """One report being read: iterate it for :class:`CaseResult`; report-level facts fill in.

    ``format``, ``properties``, ``timestamp`` and ``suite`` are known once the first testcase has
    been read (and complete after the iteration ends).
    """

    def __init__(
        self,
        stream: BinaryReader,
        source: str,
        *,
        fast_rows: FastRows | None = None,
        max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES,
    ) -> None:
        self.source = source
        self.format: str | None = None
        self.properties: dict[str, str] = {}
        self.timestamp: datetime | None = None
        self.suite: str | None = None
        self.bounds = BoundedReader(stream, max_field_bytes)  # texts cut: bounds.fields_cut
        self._stream: BinaryReader = self.bounds
        self._started = False
        self._parser = expat.ParserCreate()
        self._fast_rows = fast_rows
        self._exact = fast_rows is None
        self.fast_fallback: str | None = None  # why the fast reader handed over, if it did
        self.checked_apart: Path | None = None  # the file a second process checks, if any
        self._out: list[Row] = []
        self._pending: Row | None = None
        self._stack: list[str] = []
        self._suites: list[str | None] = []
        self._hints = _Hints()
        self._case: dict[str, str] | None = None
        self._inner: list[str] = []
        self._prefixes: dict[tuple[str, str | None, str | None], tuple[str | None, str | None]] = {}
        self._case_children: set[str] = set()
        self._final: Failure | None = None
        self._attempts: list[Failure] = []  # Surefire children of the open testcase
        self._capture: Failure | None = None
        self._listed: str | None = None  # the testcase's readiness.outcomes property
        self._numbers = AttemptCounter()
        self._setup_parser()

    @property
    def seed(self) -> str | None:
        """The random seed the report recorded, if any (``readiness.seed``, ``random_seed``...)."""
        for key in SEED_PROPERTIES:
            if self.properties.get(key):
                return self.properties[key]
        return None

    def _setup_parser(self) -> None:
        p = self._parser
        p.buffer_text = True
        p.buffer_size = CHUNK
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._refuse
        p.EntityDeclHandler = self._refuse
        p.UnparsedEntityDeclHandler = self._refuse
        p.ExternalEntityRefHandler = self._refuse
        if self._exact:
            self._use_handlers()

    def _use_handlers(self) -> None:
        """Exact mode: expat calls back for every element (the fast reader drives them itself)."""
        self._exact = True
        self._numbers.end()  # nothing is taken back from here on
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end

    def _refuse(self, *_args: object) -> NoReturn:
        raise self._error(_REFUSED)

    def _error(self, problem: str) -> JUnitParseError:
        """The error at the parser's position (a line of the input, cuts accounted for)."""
        p = self._parser
        return JUnitParseError(
            self.source, self.bounds.input_line(p.CurrentLineNumber, p.CurrentByteIndex), problem
        )

    def __iter__(self) -> Iterator[CaseResult]:
        return case_results(self.rows())

    def rows(self) -> Iterator[Row]:
        """The executions as plain tuples (the fields of :class:`CaseResult`, outcome an int)."""
        return chain.from_iterable(self.batches())

    def batches(self) -> Iterator[list[Row]]:
        """The rows in file order, a list at a time (what the ingest consumes)."""
        if self._started:
            raise RuntimeError("a ParsedReport can be iterated only once")
        self._started = True
        return self._iterate()

    def _iterate(self) -> Iterator[list[Row]]:
        try:
            rest = b""
            if self._fast_rows is not None:
                handed_over = yield from self._fast_rows(self)
                if handed_over is None:
                    return
                rest = handed_over
                self._use_handlers()
            yield from self._exact_rows(rest)
        except expat.ExpatError as exc:
            line = self.bounds.input_line(exc.lineno, self._parser.ErrorByteIndex)
            raise JUnitParseError(self.source, line, expat.errors.messages[exc.code]) from None
        except FieldTooLong as exc:  # every byte before the tag is parsed: the parser is there
            raise self._error(exc.problem) from None
        except (ValueError, LookupError) as exc:  # e.g. an encoding expat cannot decode
            raise self._error(f"unreadable XML ({exc})") from None

    def _exact_rows(self, first: bytes) -> Iterator[list[Row]]:
        parser = self._parser
        read = self._stream.read
        chunk = first or read(CHUNK)
        while chunk:
            parser.Parse(chunk, False)
            if self._out:
                yield self._out
                self._out = []
            chunk = read(CHUNK)
        parser.Parse(b"", True)
        yield self._finish()

    def _finish(self) -> list[Row]:
        """The held-back last case once the document is known to be complete."""
        if self._pending is not None:
            self._out.append(self._pending)
            self._pending = None
        if self.format is None:
            self.format = self._detect({}, set())
        out, self._out = self._out, []
        return out

    def _detect(self, case_attrs: dict[str, str], children: set[str]) -> str:
        return guess_format(
            self._hints.root_name, self._hints.suite_attrs, self.properties, case_attrs, children
        )

    # -- expat callbacks (the hot path: keep them lean) -----------------------------------

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if self._case is not None:
            self._start_in_case(name, attrs)
            return
        stack = self._stack
        if name == "testcase" and stack:
            self._case = attrs
            self._final = None
            self._listed = None
            if self._attempts:
                self._attempts = []
            if self.format is None:
                self._case_children = set()
            return
        if not stack:
            if name == "testsuites":
                self._hints.root_name = attrs.get("name", "")
            elif name != "testsuite":
                raise self._error(f"expected <testsuites> or <testsuite> root, got <{name}>")
        if name == "testsuite":
            if not self._suites:
                self._hints.suite_attrs = attrs
                self.timestamp = parse_timestamp(attrs.get("timestamp"))
                self.suite = attrs.get("name")
            self._suites.append(attrs.get("name"))
        elif name == "property" and stack and stack[-1] == "properties":
            prop = attrs.get("name")
            if prop:
                self.properties.setdefault(prop, attrs.get("value", ""))
        stack.append(name)

    def _start_in_case(self, name: str, attrs: dict[str, str]) -> None:
        inner = self._inner
        if not inner:  # a direct child of <testcase>
            if self.format is None:
                self._case_children.add(name)
            outcome = child_outcome(name, attrs.get("type"))
            if outcome is not None:
                if self._final is None:  # the first outcome element wins (failure, then error)
                    self._final = Failure(outcome, attrs.get("message"), attrs.get("type"))
                    if captures_text(outcome):
                        self._begin_capture(self._final)
            else:
                outcome = _ATTEMPT_CHILDREN.get(name)
                if outcome is not None:
                    attempt = Failure(
                        outcome,
                        attrs.get("message"),
                        attrs.get("type"),
                        parse_time(attrs.get("time")) if "time" in attrs else None,
                    )
                    self._attempts.append(attempt)
                    self._begin_capture(attempt)
        elif name == "property" and inner[-1] == "properties" and len(inner) == 1:
            if attrs.get("name") == OUTCOMES_PROPERTY:
                self._listed = attrs.get("value")
        elif inner[-1] in _ATTEMPT_CHILDREN and self._attempts:
            # Surefire nests the trace in <stackTrace>; its <system-out> is not the message.
            if name == "stackTrace":
                self._begin_capture(self._attempts[-1])
            else:
                self._end_capture()
        inner.append(name)

    def _begin_capture(self, target: Failure) -> None:
        self._capture = target
        if self._exact:
            self._parser.CharacterDataHandler = target.add_text

    def _end_capture(self) -> None:
        if self._capture is not None:
            self._capture = None
            if self._exact:
                self._parser.CharacterDataHandler = None

    def _end(self, name: str) -> None:
        if self._case is not None:
            if self._inner:
                self._inner.pop()
                if name in _CAPTURED:
                    self._end_capture()
            else:  # expat guarantees this is the </testcase> we opened
                self._finish_case()
            return
        self._stack.pop()
        if name == "testsuite" and self._suites:
            self._suites.pop()

    def _identify(
        self, fmt: str, attrs: dict[str, str], name: str, suite: str | None
    ) -> tuple[str, str | None]:
        classname = attrs.get("classname", "")
        file = attrs.get("file")
        cache_key = (classname, file, suite)
        cached = self._prefixes.get(cache_key)
        if cached is None:
            if len(self._prefixes) > PREFIX_CACHE:
                self._prefixes.clear()
            cached = self._prefixes[cache_key] = id_prefix(fmt, classname, file, suite)
        prefix, file = cached
        if prefix is None:
            return make_test_id(fmt, classname, name, file, suite)
        return prefix + name, file

    def _finish_case(self) -> None:
        attrs = self._case
        assert attrs is not None  # set by _start before any end of testcase
        self._case = None
        name = attrs.get("name")
        if not name:
            raise self._error("<testcase> has no name attribute; every testcase needs one")
        fmt = self.format
        if fmt is None:
            fmt = self.format = self._detect(attrs, self._case_children)
        suites = self._suites
        suite = suites[-1] if suites else None
        test_id, file = self._identify(fmt, attrs, name, suite)
        duration = parse_time(attrs.get("time"))
        numbers = self._numbers
        first = numbers.next_attempt(test_id)
        pending = self._pending
        if pending is not None:
            if (
                fmt == "pytest"
                and pending[0] == test_id
                and pending[4] == 0
                and pending[1] == suite
            ):
                pending = (*pending[:4], 1, *pending[5:])  # a passed copy: a rerun failure
            self._out.append(pending)
        if not self._attempts and self._final is None and self._listed is None:
            numbers.record(test_id, first, 1)
            self._pending = (test_id, suite, name, file, 0, duration, first, None, None, None)
            return
        attempt = first
        head = (test_id, suite, name, file)
        final = self._final
        final_outcome = Outcome.PASSED if final is None else final.outcome
        earlier: list[Failure | int] = list(self._attempts)
        listed = listed_attempts(self._listed, self._attempts, final)
        if listed is not None:
            earlier, final_outcome = listed
        for before in earlier:
            if isinstance(before, Failure):
                self._out.append(with_failure(head, before, attempt, before.duration_s or 0.0))
            else:
                self._out.append((*head, before, 0.0, attempt, None, None, None))
            attempt += 1
        numbers.record(test_id, first, attempt - first + 1)
        if final is None:
            self._pending = (*head, int(final_outcome), duration, attempt, None, None, None)
        else:
            self._pending = with_failure(head, final, attempt, duration)

    # -- state the fast reader saves before a region and restores when it hands over ---------

    def _snapshot(self) -> tuple[object, ...]:
        self._numbers.begin()
        h = self._hints
        return (
            len(self._out), self._pending, self.format, dict(self.properties), self.timestamp,
            self.suite, list(self._stack), list(self._suites), h.root_name, h.suite_attrs,
        )  # fmt: skip

    def _restore(self, saved: tuple[object, ...]) -> None:
        n, pending, fmt, props, timestamp, suite, stack, suites, root, suite_attrs = saved
        assert isinstance(n, int)
        self._numbers.rollback()
        del self._out[n:]
        self._pending = pending  # type: ignore[assignment]  # exactly what _snapshot saved
        self.format = fmt  # type: ignore[assignment]
        self.properties = props  # type: ignore[assignment]
        self.timestamp = timestamp  # type: ignore[assignment]
        self.suite = suite  # type: ignore[assignment]
        self._stack = stack  # type: ignore[assignment]
        self._suites = suites  # type: ignore[assignment]
        self._hints = _Hints(root, suite_attrs)  # type: ignore[arg-type]
        self._case = None
        self._inner = []
        self._final = None
        self._attempts = []
        self._capture = None
        self._listed = None
