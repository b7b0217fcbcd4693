"""``readiness logs scan FILE|DIR|-``: find PII in existing logs, optionally write a redacted copy.

JSON lines and text lines (gzip-compressed files too) are streamed line by line through the
redaction processor's detectors; the report gives counts by type and each finding's file, line,
type, masked sample and, for JSON lines, key path. Exit 0 when nothing was found, 1 when
something was, 2 when an input cannot be read.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated

import typer

from readiness.logs.scan import TYPES, LogScanner, ScanReport

FORMATS = ("text", "json")
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_FINDINGS = 1000


class UnreadableLogError(Exception):
    """An input that is missing, not a file, or not valid gzip (exit 2)."""


def log_files(paths: list[str]) -> list[tuple[str, Path | None]]:
    """``(label, path)`` of every file to scan, in order; ``-`` is stdin (path None).

    A directory contributes its regular files, recursively and sorted, without dot-files."""
    found: list[tuple[str, Path | None]] = []
    for given in paths:
        if given == "-":
            found.append(("-", None))
            continue
        path = Path(given)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found.extend((str(p), p) for p in files)
        elif path.is_file():
            found.append((given, path))
        else:
            raise UnreadableLogError(f"{given}: no such file or directory")
    return found


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _text(binary: IO[bytes] | gzip.GzipFile) -> io.TextIOWrapper:
    # Invalid UTF-8 survives the round trip to the redacted copy (surrogateescape); lines end at
    # "\n" only, so a stray "\r" inside a line does not split it.
    return io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape", newline="\n")


@contextlib.contextmanager
def open_log(label: str, path: Path | None) -> Iterator[io.TextIOWrapper]:
    """The text of a log file (gunzipped when it starts with the gzip magic) or of stdin."""
    try:
        raw: IO[bytes] = sys.stdin.buffer if path is None else path.open("rb")
    except OSError as exc:
        raise UnreadableLogError(f"{label}: {exc.strerror or exc}") from None
    try:
        head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
        binary: IO[bytes] | gzip.GzipFile = (
            gzip.GzipFile(fileobj=raw) if head == GZIP_MAGIC else raw
        )
        text = _text(binary)
        try:
            yield text
        finally:
            text.detach()  # closing the wrapper would close stdin
            if binary is not raw:
                binary.close()
    finally:
        if path is not None:
            raw.close()


def scan_files(
    files: list[tuple[str, Path | None]], scanner: LogScanner, out: IO[str] | None = None
) -> ScanReport:
    """Scans each file into ``scanner.report``; the redacted copy goes to ``out`` when given."""
    for label, path in files:
        try:
            with open_log(label, path) as stream:
                for redacted in scanner.lines(stream, file=label):
                    if out is not None:
                        out.write(redacted)
                        out.write("\n")
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise UnreadableLogError(f"{label}: {exc}") from None
    return scanner.report


@contextlib.contextmanager
def atomic_text(target: Path) -> Iterator[IO[str]]:
    """A text file written beside ``target`` and renamed over it when complete (gzip when its
    name ends with ``.gz``); removed when anything fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            binary: IO[bytes] | gzip.GzipFile = (
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if target.suffix == ".gz" else raw
            )
            with _text(binary) as text:
                yield text
            if binary is not raw:
                binary.close()
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_text(report: ScanReport) -> str:
    """One line per finding, then a summary line."""
    out = []
    for f in report.findings:
        where = f" key={f.key}" if f.key is not None else ""
        out.append(f"{f.file}:{f.line}: {f.type} {f.sample}{where}")
    if report.truncated:
        out.append(f"(the first {len(report.findings)} findings of {report.total} shown)")
    if report.total:
        by_type = ", ".join(f"{k} {n}" for k, n in sorted(report.counts.items()))
        out.append(f"{report.total} findings in {report.lines} lines: {by_type}")
    else:
        out.append(f"no findings in {report.lines} lines")
    return "\n".join(out) + "\n"


def scan_cmd(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE|DIR|-",
            help="Log files, directories (scanned recursively) or - for stdin.",
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json (default: text).")] = (
        "text"
    ),
    redact_to: Annotated[
        Path | None,
        typer.Option(
            "--redact-to",
            help="Write the redacted copy of the logs to this file, atomically; .gz compresses "
            "(default: none).",
        ),
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(
            "--types",
            help=f"Comma-separated types to look for: {', '.join(TYPES)} (default: all).",
        ),
    ] = None,
    max_findings: Annotated[
        int,
        typer.Option(
            "--max-findings",
            min=0,
            help=f"Findings listed at most; counts include all (default: {DEFAULT_MAX_FINDINGS}).",
        ),
    ] = DEFAULT_MAX_FINDINGS,
) -> None:
    """Report PII in logs by type, with masked samples and line numbers; exit 1 when found."""
    from readiness.console import fail_usage
    from readiness.errors import InputError

    if fmt not in FORMATS:
        raise fail_usage(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    try:
        scanner = LogScanner(types=types.split(",") if types else None, max_findings=max_findings)
    except InputError as exc:
        raise fail_usage(f"--types: {exc.message}") from None
    try:
        files = log_files(paths)
        if redact_to is None:
            report = scan_files(files, scanner)
        else:
            with atomic_text(redact_to) as out:
                report = scan_files(files, scanner, out)
    except UnreadableLogError as exc:
        raise fail_usage(str(exc)) from None
    except OSError as exc:
        raise fail_usage(f"--redact-to {redact_to}: {exc.strerror or exc}") from None
    if fmt == "json":
        sys.stdout.write(json.dumps(report.as_json()) + "\n")
    else:
        sys.stdout.write(render_text(report))
    if report.total:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``scan`` to the ``logs`` sub-app."""
    app.command("scan")(scan_cmd)
