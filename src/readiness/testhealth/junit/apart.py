"""The well-formedness check of a large JUnit file by expat in a second process.

A real file of at least ``APART_MIN`` bytes is checked there (pyexpat holds the GIL, so a thread
would not help) while :mod:`readiness.testhealth.junit.fast` builds rows from the same bytes in
this process: the rows stream out meanwhile, and the verdict is awaited once the input is read;
a malformed file or a DTD raises the same ``JUnitParseError`` then, after the rows (a consumer
such as the ingest rolls them back). The rows are safe before the verdict because the fast
reader never expands an entity: it only replaces the five predefined ones and character
references. On a hand-over to the exact reader, its in-process parser first catches up on the
bytes already read, from the file itself.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readiness.errors import JUnitParseError
from readiness.testhealth.junit.report import _REFUSED, BinaryReader

if TYPE_CHECKING:
    from readiness.testhealth.junit.report import ParsedReport

APART_MIN = 4 << 20  # smaller inputs are checked in-process (a second process costs ~15 ms)
# The checker run in the second process: the same guards as the in-process parser.
_CHECKER = """
import sys
from xml.parsers import expat
p = expat.ParserCreate()
p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
class Refused(Exception):
    pass
def refuse(*args):
    raise Refused
p.StartDoctypeDeclHandler = p.EntityDeclHandler = refuse
p.UnparsedEntityDeclHandler = p.ExternalEntityRefHandler = refuse
try:
    with open(sys.argv[1], "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            p.Parse(chunk, False)
    p.Parse(b"", True)
    print("ok")
except Refused:
    print("refused", p.CurrentLineNumber)
except expat.ExpatError as exc:
    print("error", exc.lineno, exc.code)
except (ValueError, LookupError) as exc:
    print("unreadable", p.CurrentLineNumber, str(exc).replace(chr(10), " "))
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

    def __init__(self, path: Path) -> None:
        self.path = path
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code, a file path
            [sys.executable, "-I", "-S", "-c", _CHECKER, str(path)],
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
        return False

    def catch_up(self, report: ParsedReport, size: int) -> None:
        """Feed the in-process parser the first ``size`` bytes of the file."""
        self.stop()
        with self.path.open("rb") as f:
            while size > 0:
                chunk = f.read(min(size, 1 << 20))
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
        Checker(report.checked_apart).verdict(report)
