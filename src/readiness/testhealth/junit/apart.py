"""The well-formedness check of a large JUnit file by expat in a second process.

A real file of at least ``APART_MIN`` bytes is checked there (pyexpat holds the GIL, so a thread
would not help) while :mod:`readiness.testhealth.junit.fast` builds rows from the same bytes in
this process: the rows stream out meanwhile, and the verdict is awaited once the input is read;
a malformed file or a DTD raises the same ``JUnitParseError`` then, after the rows (a consumer
such as the ingest rolls them back). The rows are safe before the verdict because the fast
reader never expands an entity: it only replaces the five predefined ones and character
references. On a hand-over to the exact reader, its in-process parser first catches up on the
bytes already read, from the file itself.

The second process reads the file through the same :class:`~.bounds.BoundedReader` (it runs
:mod:`.bounds` from its file, which needs only the standard library), so it checks exactly the
bytes the readers see, in bounded memory, and names the same lines.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readiness.errors import JUnitParseError
from readiness.testhealth.junit import bounds
from readiness.testhealth.junit.bounds import BoundedReader
from readiness.testhealth.junit.report import _REFUSED, BinaryReader

if TYPE_CHECKING:
    from readiness.testhealth.junit.report import ParsedReport

APART_MIN = 4 << 20  # smaller inputs are checked in-process (a second process costs ~15 ms)
# The checker run in the second process: the same guards as the in-process parser, over the
# same bounded bytes. argv: the file, the field bound, the path of bounds.py.
_CHECKER = """
import sys
import importlib.util
from xml.parsers import expat
spec = importlib.util.spec_from_file_location("readiness_junit_bounds", sys.argv[3])
bounds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bounds)
p = expat.ParserCreate()
p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
class Refused(Exception):
    pass
def refuse(*args):
    raise Refused
p.StartDoctypeDeclHandler = p.EntityDeclHandler = refuse
p.UnparsedEntityDeclHandler = p.ExternalEntityRefHandler = refuse
with open(sys.argv[1], "rb") as f:
    r = bounds.BoundedReader(f, int(sys.argv[2]))
    def here():
        return r.input_line(p.CurrentLineNumber, p.CurrentByteIndex)
    try:
        for chunk in iter(lambda: r.read(1 << 20), b""):
            p.Parse(chunk, False)
        p.Parse(b"", True)
        print("ok")
    except Refused:
        print("refused", here())
    except bounds.FieldTooLong as exc:
        print("limit", here(), exc.problem)
    except expat.ExpatError as exc:
        print("error", r.input_line(exc.lineno, p.ErrorByteIndex), exc.code)
    except (ValueError, LookupError) as exc:
        print("unreadable", here(), str(exc).replace(chr(10), " "))
"""


def real_file(stream: BinaryReader) -> Path | None:
    """The path of ``stream`` when it is a regular file of at least ``APART_MIN`` bytes read from
    its start (a wrapper names what it wraps as ``wrapped``)."""
    inner: Any = getattr(stream, "wrapped", stream)
    name = getattr(inner, "name", None)
    if not isinstance(name, str):
        return None
    path = Path(name)
    try:
        if inner.tell() != 0:
            return None
        st = os.fstat(inner.fileno())
        same = path.stat()
    except (AttributeError, OSError, ValueError):
        return None
    if (st.st_dev, st.st_ino) != (same.st_dev, same.st_ino) or st.st_size < APART_MIN:
        return None
    return path if stat.S_ISREG(st.st_mode) else None


class Checker:
    """expat over the whole file in a second process."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        argv = [sys.executable, "-I", "-S", "-c", _CHECKER, str(path), str(limit), bounds.__file__]
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code, a file path
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            self.proc.communicate()

    def verdict(self, report: ParsedReport) -> bool:
        """Raise the file's parse error, if any; ``False`` when the checker gave no verdict."""
        out, _ = self.proc.communicate()
        word, *rest = out.decode("utf-8", "replace").strip().split(" ", 2)
        if word == "ok":
            return True
        if word == "refused":
            raise JUnitParseError(report.source, int(rest[0]), _REFUSED)
        if word == "error":
            from xml.parsers import expat

            raise JUnitParseError(report.source, int(rest[0]), expat.errors.messages[int(rest[1])])
        if word == "unreadable":
            raise JUnitParseError(report.source, int(rest[0]), f"unreadable XML ({rest[1]})")
        if word == "limit":
            raise JUnitParseError(report.source, int(rest[0]), rest[1])
        return False

    def catch_up(self, report: ParsedReport, size: int) -> None:
        """Feed the in-process parser the first ``size`` bytes the readers saw of the file."""
        self.stop()
        with self.path.open("rb") as f:
            seen = BoundedReader(f, self.limit)  # the same bytes again: the bound is exact
            while size > 0:
                chunk = seen.read(min(size, 1 << 20))
                if not chunk:
                    break
                report._parser.Parse(chunk, False)
                size -= len(chunk)


def check_whole_file(report: ParsedReport) -> None:
    """Raise the file's ``JUnitParseError`` if a file checked in a second process is malformed.

    Rows of such a file reach the writer before its verdict; when the writer fails first (for
    example PostgreSQL refusing a NUL byte that expat would have refused too), the file's own
    error is the one to report.
    """
    if report.checked_apart is not None:
        Checker(report.checked_apart, report.bounds.limit).verdict(report)
