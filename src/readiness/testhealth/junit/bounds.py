"""A bound on the size of any single text or tag of a JUnit report, by a byte scan before expat.

expat holds a whole start tag in its buffer and scans it again for each piece that arrives, so one
attribute of 200 MiB costs minutes and gigabytes. :class:`BoundedReader` sits between the input and
every reader (the exact one, the fast path, the accelerator, and the check in a second process,
which runs this same file) and passes the bytes through unchanged except:

- **Text** (character data between tags, or a CDATA section's content) longer than the limit
  keeps its first ``limit`` bytes (cut before any partial character or reference) and the rest is
  dropped unread; where the text ends a marker says how many bytes were cut. Captured output and
  failure texts are free-form: a long one should not cost the whole report.
- **A tag** (start, end or empty-element tag with all its attributes, a comment, a processing
  instruction) longer than the limit makes the file invalid: :class:`FieldTooLong` is raised
  once every byte before the tag has been passed on, so the consumer's parser stands on the line
  the tag starts on. Attributes carry names and ids; cutting one would silently merge tests.

Tags that cross a block boundary are held back until they end (so at most ``limit`` bytes), so
what a reader sees, and where an error is raised, does not depend on read sizes. The scan costs a
few C-level ``find`` calls per 64 KiB block: between the first and the last ``<`` of a block
nothing can exceed the limit (a block is at most half of it, and ``<`` cannot occur inside a tag
or a text), so only the edges of a block and CDATA sections, comments and processing instructions
are looked at closely.

Documents in UTF-16 or UTF-32 (a byte-order mark, or NUL bytes in the first four) are not cut:
any stretch of more than ``limit`` bytes without a ``<`` byte makes them invalid.

This module imports only the standard library: :mod:`.apart` runs it in a second process.
"""

from __future__ import annotations

import re
from typing import Protocol

DEFAULT_MAX_FIELD_BYTES = 4 << 20
MIN_FIELD_BYTES = 1024
_BLOCK = 1 << 16
_TEXT, _TAG, _CDATA, _COMMENT, _PI = range(5)
_ENDS = {_COMMENT: b"-->", _PI: b"?>"}
_KIND = {_TAG: "tag", _COMMENT: "comment", _PI: "processing instruction"}
_SPECIAL = re.compile(rb"<(?:!\[CDATA\[|!--|\?)")
_STARTS = (b"<![CDATA[", b"<!--", b"<?")
_TAG_STOP = re.compile(rb"[\"'>]")
_TAG_NAME = re.compile(rb"</?([A-Za-z_:][\w.:-]*)")
_REF_MAX = 64  # a reference longer than this is malformed anyway


class FieldTooLong(Exception):
    """A tag of the report is longer than the limit.

    Raised once every byte before the tag has been read, so the line the tag starts on is the
    line the consumer's parser stands at (see :meth:`BoundedReader.input_line`).
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def marker(cut: int, limit: int) -> bytes:
    """What replaces the end of a text longer than ``limit`` bytes (``cut`` bytes dropped)."""
    return (
        f"\n[readiness: {cut} more bytes cut here; texts are kept up to "
        f"testhealth.max_field_bytes = {limit} bytes]\n"
    ).encode("ascii")


class BoundedReader:
    """``read(size)`` of ``stream`` with every text at most ``limit`` bytes and every tag at most
    ``limit`` bytes (else :class:`FieldTooLong`, raised again on every later read)."""

    def __init__(self, stream: _Reader, limit: int = DEFAULT_MAX_FIELD_BYTES) -> None:
        if limit < MIN_FIELD_BYTES:
            raise ValueError(f"max_field_bytes must be at least {MIN_FIELD_BYTES}, got {limit}")
        self.wrapped = getattr(stream, "wrapped", stream)  # lets the reader see a real file
        self.limit = limit
        self.fields_cut = 0  # texts cut so far
        self.bytes_cut = 0  # bytes they lost
        self._stream = stream
        self._block = min(_BLOCK, limit // 2)
        self._mode = _TEXT
        self._quote = b""  # the open quote inside a tag
        self._run = 0  # bytes of the current text kept so far
        self._dropped = -1  # bytes dropped from the current text; -1 while none
        self._held = b""  # input not passed on yet: a tag in progress, or a partial token
        self._resume = 0  # where the scan continues in the held bytes
        self._token_start = 0  # where the tag being scanned starts in the current block
        self._wide: bool | None = None
        self._passed = 0  # bytes passed on so far
        self._cuts: list[tuple[int, int]] = []  # (offset passed on, newlines cut there)
        self._buf = b""
        self._pos = 0
        self._eof = False
        self._error: FieldTooLong | None = None

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes (all that is left when ``size`` is negative); ``b""`` at the end."""
        if size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        while self._pos >= len(self._buf):
            if self._error is not None:
                raise self._error
            if self._eof:
                return b""
            self._fill()
        buf, pos = self._buf, self._pos
        if pos == 0 and size >= len(buf):
            self._pos = len(buf)
            return buf
        self._pos = pos + size
        return buf[pos : pos + size]

    # -- one block ----------------------------------------------------------------------------

    def _fill(self) -> None:
        raw = self._stream.read(self._block)
        eof = not raw
        data = self._held + raw if self._held else raw
        self._held = b""
        self._buf, self._pos = b"", 0
        if eof:
            self._eof = True
        if self._wide is None:
            if len(data) < 4 and not eof:
                self._held = data
                return
            self._wide = data[:2] in (b"\xfe\xff", b"\xff\xfe") or b"\x00" in data[:4]
        if self._wide:
            self._buf = self._wide_block(data, eof)
            self._passed += len(self._buf)
            return
        out: list[bytes] = []
        keep = self._scan(data, eof, out)
        self._held = data[keep:]
        self._buf = out[0] if len(out) == 1 else b"".join(out)
        self._passed += len(self._buf)

    def input_line(self, line: int, offset: int) -> int:
        """The line of the input at ``line`` of what was passed on, ``offset`` bytes into it:
        the cuts before ``offset`` took their newlines with them (and the markers add two)."""
        return line + sum(newlines for at, newlines in self._cuts if at <= offset)

    def _wide_block(self, data: bytes, eof: bool) -> bytes:
        """UTF-16/32: no cuts, only the bound on stretches without a ``<`` byte. The stretch
        after the last ``<`` is held back until the next one arrives, so the first stretch of
        ``data`` is the only one that can be long (a block is at most half the limit)."""
        n = len(data)
        after = data.find(b"<", 1)
        if (after if after >= 0 else n) > self.limit:
            self._error = FieldTooLong(f"a text or tag {self._limit_words('it')}")
            self._eof = True
            return b""
        keep = n if eof else max(data.rfind(b"<"), 0)
        self._held = data[keep:]
        return data[:keep]

    def _scan(self, data: bytes, eof: bool, out: list[bytes]) -> int:
        """Pass ``data`` on into ``out``; returns where the held-back rest starts."""
        n = len(data)
        i = self._resume
        self._resume = 0
        emit = 0  # data[emit:i] is passed on unchanged unless a cut intervenes
        while i < n:
            mode = self._mode
            if mode in (_TAG, _COMMENT, _PI):
                i, held = self._token(data, i, eof)
                if held is not None:
                    out.append(data[emit:held])
                    return held if self._error is None else n
                continue
            end = data.find(b"<", i) if mode == _TEXT else data.find(b"]]>", i)
            stop = end
            if end < 0:
                stop = n if eof else self._partial_end(data, i, n)
            emit = self._text(data, i, stop, emit, out)
            if end < 0:
                if stop < n:  # a partial reference, character or terminator: next block
                    out.append(data[emit:stop])
                    return stop
                break
            # The text ends here: its marker, then the tag or the end of the CDATA section.
            if self._dropped >= 0:
                out.append(data[emit:end])
                out.append(marker(self._dropped, self.limit))
                emit = end
                self._dropped = -1
            self._run = 0
            if mode == _CDATA:
                self._mode = _TEXT
                i = end + 3
            elif not eof and n - end < 9 and any(s.startswith(data[end:n]) for s in _STARTS):
                out.append(data[emit:end])  # "<", "<!-", "<![CDA"...: decided next block
                return end
            else:
                i = self._open(data, end)
                if self._mode == _TAG:
                    i = self._skip(data, end, i)
        out.append(data[emit:n])
        return n

    def _token(self, data: bytes, i: int, eof: bool) -> tuple[int, int | None]:
        """Scan the tag in progress from ``i``: ``(where the scan goes on, None)``, or ``(_,
        where the held-back rest starts)`` for a tag that goes on in the next block (held back
        whole, at most the limit) or is too long (then nothing more is passed on)."""
        n = len(data)
        start, mode = self._token_start, self._mode
        i, done = self._in_token(data, i)
        if (i if done else n) - start > self.limit:
            self._error = FieldTooLong(self._too_long(data, mode))
            self._eof = True
            return n, start
        if done or eof:  # an unclosed tag at the end: expat says so
            return (i if done else n), None
        self._resume = i - start
        self._token_start = 0
        return n, start

    def _text(self, data: bytes, i: int, stop: int, emit: int, out: list[bytes]) -> int:
        """Account for the text ``data[i:stop]``; returns the new start of what is passed on."""
        size = stop - i
        if self._dropped >= 0:  # already cutting: drop it all
            out.append(data[emit:i])
            self._drop(data, i, stop)
            return stop
        room = self.limit - self._run
        if size <= room:
            self._run += size
            return emit
        cut = i + room
        if self._mode == _TEXT:  # never inside a reference
            amp = data.rfind(b"&", max(i, cut - _REF_MAX), cut)
            if amp >= 0 and data.find(b";", amp, cut) < 0:
                cut = amp
        while cut > i and 0x80 <= data[cut] < 0xC0:  # never inside a UTF-8 character
            cut -= 1
        out.append(data[emit:cut])
        self._run += cut - i
        self._dropped = 0
        self.fields_cut += 1
        self._cuts.append((self._passed + sum(map(len, out)), -2))  # the marker's two lines
        self._drop(data, cut, stop)
        return stop

    def _drop(self, data: bytes, start: int, stop: int) -> None:
        self._dropped += stop - start
        self.bytes_cut += stop - start
        at, newlines = self._cuts[-1]
        self._cuts[-1] = (at, newlines + data.count(b"\n", start, stop))

    def _partial_end(self, data: bytes, i: int, n: int) -> int:
        """Where a text at the end of a block stops being certainly complete: before a partial
        reference, UTF-8 character or CDATA terminator."""
        if self._mode == _CDATA:
            end = n - 2 if data.endswith(b"]]") else n - 1 if data.endswith(b"]") else n
        else:
            end = n
            amp = data.rfind(b"&", max(i, n - _REF_MAX), n)
            if amp >= 0 and data.find(b";", amp, n) < 0:
                end = amp
        for back in range(1, 4):  # a lead byte whose character is not complete
            if end - back < i:
                break
            byte = data[end - back]
            if byte < 0x80:
                break
            if byte >= 0xC0:
                need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
                if back < need:
                    end -= back
                break
        return max(end, i)

    def _open(self, data: bytes, at: int) -> int:
        """Enter the token that starts with the ``<`` at ``at``; returns where its scan goes on."""
        if data.startswith(b"<![CDATA[", at):
            self._mode = _CDATA
            return at + 9
        self._token_start = at
        self._quote = b""
        if data.startswith(b"<!--", at):
            self._mode = _COMMENT
            return at + 4
        if data.startswith(b"<?", at):
            self._mode = _PI
            return at + 2
        self._mode = _TAG
        return at + 1

    def _skip(self, data: bytes, at: int, i: int) -> int:
        """From the tag at ``at``, jump to the last ``<`` of the block (or the first CDATA
        section, comment or processing instruction before it): every tag and text in between
        lies between two ``<`` less than the limit apart, and ends."""
        target = data.rfind(b"<")
        if target <= at:
            return i
        if data.find(b"!", at) >= 0 or data.find(b"?", at) >= 0:  # memchr first: rarely there
            special = _SPECIAL.search(data, at + 1)
            if special is not None:
                target = special.start()
        self._mode = _TEXT
        self._run = 0
        return target

    def _in_token(self, data: bytes, i: int) -> tuple[int, bool]:
        """Scan a tag, comment or processing instruction from ``i``: ``(position after it,
        True)`` with the mode back to text, or ``(where to resume, False)`` when it goes on in
        the next block."""
        n = len(data)
        if self._mode != _TAG:
            term = _ENDS[self._mode]
            end = data.find(term, i)
            if end < 0:  # the terminator may straddle the blocks
                return max(i, n - len(term) + 1), False
            self._mode = _TEXT
            return end + len(term), True
        while True:
            if self._quote:
                end = data.find(self._quote, i)
                if end < 0:
                    return n, False
                self._quote = b""
                i = end + 1
                continue
            m = _TAG_STOP.search(data, i)
            if m is None:
                return n, False
            i = m.end()
            char = data[m.start() : i]
            if char == b">":
                self._mode = _TEXT
                return i, True
            self._quote = char

    def _too_long(self, data: bytes, mode: int) -> str:
        name = _TAG_NAME.match(data, self._token_start) if mode == _TAG else None
        if name is None:
            return f"a {_KIND.get(mode, 'tag')} {self._limit_words('it')}"
        tag = name.group(1).decode("ascii", "replace")
        return f"a <{tag}> tag {self._limit_words('its attributes')}"

    def _limit_words(self, shorten: str) -> str:
        return (
            f"of more than {self.limit} bytes (the testhealth.max_field_bytes limit); "
            f"shorten {shorten} or raise the limit"
        )
