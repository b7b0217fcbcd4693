"""Parse a migration's SQL with PostgreSQL's own parser (pglast, libpg_query).

One call parses a whole SQL file (fast path); when it fails, the file is split on the scanner's
semicolons and each statement parsed alone, so one bad statement is reported at its
line:column and the others are still linted.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from typing import Any

from pglast import parser

from readiness.migrations.model import Chunk, MigrationFile, SourceError, Statement


class _Positions:
    """Byte offsets (what libpg_query reports) to 1-based line and column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")
        self.ascii = len(self.data) == len(text)
        self.starts = [0]
        at = text.find("\n")
        while at >= 0:
            self.starts.append(at + 1)
            at = text.find("\n", at + 1)

    def char(self, byte_offset: int) -> int:
        if self.ascii:
            return byte_offset
        return len(self.data[:byte_offset].decode("utf-8", errors="ignore"))

    def line_col(self, char_offset: int) -> tuple[int, int]:
        row = bisect_right(self.starts, char_offset) - 1
        return row + 1, char_offset - self.starts[row] + 1


def skip_trivia(text: str, i: int) -> int:
    """The offset of the first character at or after ``i`` that is not space or a comment."""
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            break
    return i


def parse(file: MigrationFile) -> tuple[list[Statement], list[SourceError]]:
    """The statements of ``file`` in order, and the parts that did not parse."""
    statements: list[Statement] = []
    errors: list[SourceError] = []
    for chunk in file.chunks:
        _parse_chunk(file.path, chunk, statements, errors)
    return statements, errors


def _parse_chunk(path: str, chunk: Chunk, out: list[Statement], errors: list[SourceError]) -> None:
    pos = _Positions(chunk.sql)
    try:
        tree = json.loads(parser.parse_sql_json(chunk.sql))
    except parser.ParseError as exc:
        _parse_pieces(path, chunk, pos, out, errors, exc)
        return
    for raw in tree.get("stmts", []):
        begin = pos.char(raw.get("stmt_location", 0))
        length = raw.get("stmt_len")
        end = len(chunk.sql) if length is None else pos.char(raw.get("stmt_location", 0) + length)
        out.append(_statement(path, chunk, pos, raw["stmt"], begin, end))


def _statement(  # noqa: PLR0917 - one statement's source, node and span
    path: str, chunk: Chunk, pos: _Positions, node: dict[str, Any], begin: int, end: int
) -> Statement:
    begin = skip_trivia(chunk.sql, begin)
    line, col = _where(chunk, pos, begin)
    return Statement(
        path,
        line,
        col,
        chunk.sql[begin:end].strip().rstrip(";").rstrip(),
        node,
        chunk.transactional,
        chunk.generated,
        chunk.learn_only,
    )


def _where(chunk: Chunk, pos: _Positions, offset: int) -> tuple[int, int]:
    if chunk.generated:
        return chunk.line, chunk.column
    line, col = pos.line_col(offset)
    return chunk.line + line - 1, (chunk.column + col - 1) if line == 1 else col


def _parse_pieces(  # noqa: PLR0917
    path: str,
    chunk: Chunk,
    pos: _Positions,
    out: list[Statement],
    errors: list[SourceError],
    first: parser.ParseError,
) -> None:
    try:
        tokens = parser.scan(chunk.sql)
    except parser.ParseError as exc:
        errors.append(_error(path, chunk, pos, exc))
        return
    cuts = [t.end + 1 for t in tokens if t.name == "ASCII_59"]
    begin = 0
    failed = False
    for end in [*cuts, len(chunk.sql)]:
        piece = chunk.sql[begin:end]
        if piece.strip():
            try:
                tree = json.loads(parser.parse_sql_json(piece))
            except parser.ParseError as exc:
                offset = begin + _offset(exc, len(piece.rstrip()))
                line, col = _where(chunk, pos, offset)
                errors.append(SourceError(path, line, col, str(exc.args[0])))
                failed = True
            else:
                for raw in tree.get("stmts", []):
                    out.append(_statement(path, chunk, pos, raw["stmt"], begin, end))
        begin = end
    if not failed:
        errors.append(_error(path, chunk, pos, first))


def _error(path: str, chunk: Chunk, pos: _Positions, exc: parser.ParseError) -> SourceError:
    offset = _offset(exc, len(chunk.sql.rstrip()))
    line, col = _where(chunk, pos, offset)
    return SourceError(path, line, col, str(exc.args[0]))


def _offset(exc: parser.ParseError, end: int) -> int:
    """Where the parser stopped (the end of the text for "at end of input")."""
    where = exc.args[1] if len(exc.args) > 1 else None
    return where if isinstance(where, int) else end
