"""The fast reader's read loop: the input in chunks, cut into regions of whole elements.

A region ends before the last ``<testcase`` seen, so no element is ever split, and expat is fed
exactly the regions already turned into rows (by :class:`~.fast.RegionReader`). Whenever the
reader meets something it does not reproduce exactly (comments, CDATA, processing instructions,
an encoding other than UTF-8, a testcase inside a testcase, an error to report, an oversized
element, a tag longer than the field bound) it restores the state saved before the region and
hands the rest of the input to the exact reader, whose expat parser stands at exactly that byte.

A real file of at least ``apart.APART_MIN`` bytes is checked by expat in a second process
instead (see :mod:`readiness.testhealth.junit.apart`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from readiness.testhealth.junit.apart import Checker, real_file
from readiness.testhealth.junit.bounds import FieldTooLong
from readiness.testhealth.junit.fast import RegionReader
from readiness.testhealth.junit.report import CHUNK
from readiness.testhealth.junit.rows import Row

if TYPE_CHECKING:
    from readiness.testhealth.junit.report import ParsedReport

MAX_CARRY = 1 << 22  # a region this long without a cut goes to the exact reader (bounded memory)
_DECL = re.compile(rb"(\xef\xbb\xbf)?(?:<\?xml\s[^<>]*?\?>)?")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _utf8_prolog(head: bytes) -> int | None:
    """Where the content after a UTF-8 BOM and XML declaration starts; ``None`` for any
    other encoding (the exact reader lets expat decode those)."""
    m = _DECL.match(head)
    assert m is not None  # every part is optional
    decl = head[m.start() : m.end()]
    if head[m.end() : m.end() + 2] == b"<?":
        return None
    enc = _ENCODING.search(decl)
    if enc is not None and enc.group(1).lower() != b"utf-8":
        return None
    if m.end() == 0 and head[:1] in (b"\xfe", b"\xff", b"\x00"):
        return None
    return m.end()


def fast_rows(report: ParsedReport) -> Generator[list[Row], None, bytes | None]:
    """Yield the report's rows a list at a time; return ``None`` when done, or the unread
    input from where the exact reader must take over (its parser has seen every byte before)."""
    path = real_file(report._stream)
    checker = Checker(path, report.bounds.limit) if path is not None else None
    report.checked_apart = path
    try:
        rest, done = yield from _fast_rows(report, checked_apart=checker is not None)
        if checker is not None and (rest is not None or not checker.verdict(report)):
            # A hand-over, or no verdict (the checker died): the parser checks it all here.
            checker.catch_up(report, done)
            checker = None
        if rest is not None:
            return rest
        if checker is None:
            report._parser.Parse(b"", True)
        yield report._finish()
        return None
    finally:
        if checker is not None:
            checker.stop()


def _region_end(buf: bytes) -> int:
    """Where a region of complete elements ends in ``buf``: before the last ``<testcase``, else
    the last ``<`` (no element is ever split); 0 or less when there is none yet."""
    cut = buf.rfind(b"<testcase")
    return cut if cut >= 0 else buf.rfind(b"<")


def _read_bounded(read: Callable[[int], bytes]) -> bytes | None:
    """The next chunk; ``None`` when a tag is longer than the field bound."""
    try:
        return read(CHUNK)
    except FieldTooLong:
        return None


def _fast_rows(
    report: ParsedReport, *, checked_apart: bool
) -> Generator[list[Row], None, tuple[bytes | None, int]]:
    """The rows until the input ends or must be handed over: ``(unread input or None, bytes
    already given to the parser or the checker)``."""
    parser = report._parser
    read = report._stream.read
    reader = RegionReader(report)
    carry = b""
    started = False
    done = 0
    while True:
        chunk = _read_bounded(read)
        if chunk is None:
            # The exact reader parses what came before the tag, then meets the same error.
            report.fast_fallback = "field too long"
            return carry, done
        buf = carry + chunk if carry else chunk
        cut = _region_end(buf) if chunk else len(buf)
        if cut <= 0 and chunk:
            if len(buf) > MAX_CARRY:
                report.fast_fallback = "element too large"
                return buf, done
            carry = buf
            continue
        region, carry = buf[:cut], buf[cut:]
        skip = 0
        if not started:
            started = True
            prolog = _utf8_prolog(region)
            if prolog is None:
                report.fast_fallback = "encoding"
                return buf, done
            skip = prolog
        if b"\x00" in region:
            # Never XML, and PostgreSQL refuses it in text: the exact reader reports its line.
            report.fast_fallback = "NUL byte"
            return buf, done
        saved = report._snapshot()
        try:
            reader.region(region[skip:].decode("utf-8"))
        except Exception as exc:
            # HandOver, undecodable bytes, or an error to report (a testcase without a name):
            # the exact reader reproduces the rows, or the error with its line, from here.
            report._restore(saved)
            report.fast_fallback = f"{type(exc).__name__}: {exc}"
            return buf, done
        if not checked_apart:
            parser.Parse(region, False)
        done += len(region)
        if report._out:
            yield report._out
            report._out = []
        if not chunk:
            return None, done
