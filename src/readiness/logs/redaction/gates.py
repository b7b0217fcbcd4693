r"""Gates: one Hyperscan pass over an ASCII text tells which detectors can find anything in it.

A detector's ``gate`` is a Hyperscan expression that every ASCII text holding one of its findings
matches when scanned between two newlines (``framed``): a superset, a gate may match where the
detector finds nothing, never the reverse. The gates of a detector list are compiled into one
database (cached by their expressions), scanned once per text with ``HS_FLAG_SINGLEMATCH``: the
detectors whose gate did not match are skipped without running their Python regex. Hyperscan
has no lookarounds: a gate that looks at the character before or after a finding matches it.

Hyperscan is a compiled dependency; where it cannot be imported (or refuses an expression) the
gates are off and ``scan`` runs every detector's own Python checks, with the same results.
"""

from __future__ import annotations

import importlib
import threading
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

from readiness._common import speedups

_hs: Any
try:
    _hs = importlib.import_module("hyperscan")
except ImportError:  # pragma: no cover - the wheel exists for the platforms we ship on
    _hs = None


def _load_gate_lines() -> Any:
    """The optional C accelerator's ``GateLines`` (``native/``): ``many``'s match handler in C.
    None when it is not installed, is older, or ``READINESS_PURE_PYTHON`` is set: ``many`` then
    places each match in Python, with the same result."""
    module = speedups.accelerator("GateLines")
    return None if module is None else module.GateLines


_gate_lines: Any = _load_gate_lines()

#: Token characters of the secret detector (``_TOKEN``), and those that are not hex digits.
_T = r"[A-Za-z0-9+/_\-]"
_NOT_HEX = r"[G-Zg-z+/_]"
_H = r"[0-9A-Fa-f\-]"
_NOT_T = r"[^A-Za-z0-9+/_\-]"


#: Between two digit groups of a national phone number: a separator, or the ")" of an area code.
_PHONE_SEPARATOR = r"(?:\)[ .\-]?|[ .\-])"


def _digit_groups(digits: int) -> str:
    # A national phone number has 10 or 11 digits in groups of 1 to 4 joined by separators: it
    # holds ``digits`` digits so grouped (the first and last group may be cut short). Factored
    # as a tree (the first group's size, then the rest): the list of the shapes is too long.
    shapes = [rf"\d{{{digits}}}"] if digits <= 4 else []
    shapes += [
        rf"\d{{{first}}}{_PHONE_SEPARATOR}(?:{_digit_groups(digits - first)})"
        for first in range(1, 5)
        if first < digits
    ]
    return "|".join(shapes)


def _secret_gate() -> str:
    # A run of 20+ token characters is refused when, dashes dropped, it is 16+ hex digits. So a
    # finding's run (from its start: the text's or a non-token character's) has a character that
    # is not a hex digit or a dash, or "=" after it: after 20 hex digits and dashes or more, or
    # after ``first`` (0 to 19) and followed by 19 - ``first`` more token characters (the first
    # positions grouped five by five: one alternative each compiles in a tenth of the time; a
    # group asks for the characters its last position needs); or 5 dashes among hex digits (then
    # fewer than 16 hex digits are left).
    firsts = "|".join(
        f"{_H}{{{first},{first + 4}}}{_NOT_HEX}{_T}{{{15 - first}}}" if first < 15
        else f"{_H}{{{first},{first + 4}}}{_NOT_HEX}"
        for first in range(0, 20, 5)
    )  # fmt: skip
    return rf"{_NOT_T}(?:{_H}{{20}}{_H}*[G-Zg-z+/_=]|{firsts})|-(?:[0-9A-Fa-f]*-){{4}}"


#: The gates of ``default_detectors``, by detector kind (the two phone patterns apart).
GATE_JWT = r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\."
GATE_AWS = r"A(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}"
GATE_GITHUB = r"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82}"
GATE_STRIPE = r"[sr]k_(?:live|test)_[A-Za-z0-9]{10}"
GATE_SLACK = r"xox[abposr]-[A-Za-z0-9\-]{10}"
GATE_GOOGLE = r"AIza[0-9A-Za-z_\-]{35}"
GATE_OPENAI = r"sk-[A-Za-z0-9_\-]{20}"
GATE_BEARER = r"(?i)bearer[ \t]+[A-Za-z0-9\-._~+/]{16}"
GATE_EMAIL = r"[A-Za-z0-9._%+\-]@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2}"
# (11 characters or more, spaces among them, follow the check digits.)
GATE_IBAN = r"[A-Z]{2}[0-9]{2}[ A-Z0-9]{11}"
# Every card network's numbers start with 2 to 6 (``validators.card_brand``); 12 to 18 more
# digits follow to the end of the match (a card among other digit groups ends it or comes
# before the groups that do), then what the pattern's lookahead allows.
GATE_CARD = r"[2-6](?:[ \-]?[0-9]){12,18}[^0-9A-Za-z_\-]"
# The SSA issues no area 9xx.
GATE_SSN = r"[0-8][0-9]{2}[ \-][0-9]{2}[ \-][0-9]{4}"
# Then what the pattern's lookahead allows: no word character, "/", or "." and a word character.
GATE_IPV4 = (
    r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
    r"(?:[^0-9A-Za-z_/.]|\.[^0-9A-Za-z_])"
)
# An IPv6 address without "::" has eight groups (five are enough here: cheaper to scan).
GATE_IPV6 = r"::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]"
GATE_PHONE_INTERNATIONAL = r"\+[1-9](?:[0-9]{0,3}[ .\-(]|[0-9]{6})"
# 10 digits in groups (then the rest of the last group, and what the pattern's lookahead allows).
GATE_PHONE_NATIONAL = rf"(?:{_digit_groups(10)})[0-9]{{0,3}}[^0-9A-Za-z_.\-/:]"
GATE_SECRET = _secret_gate()

#: The default gates. None matches inside a marker such as ``[API_KEY:github]``; none but the
#: ``CONTEXTUAL_GATES`` matches a ``[`` or ``]``; the secret gate's look before a run cannot
#: start a longer run at a marker. So after putting only markers in, the gates matched before
#: still cover the text (the contextual ones aside).
DEFAULT_GATES = frozenset(
    {
        GATE_JWT, GATE_AWS, GATE_GITHUB, GATE_STRIPE, GATE_SLACK, GATE_GOOGLE, GATE_OPENAI,
        GATE_BEARER, GATE_EMAIL, GATE_IBAN, GATE_CARD, GATE_SSN, GATE_IPV4, GATE_IPV6,
        GATE_PHONE_INTERNATIONAL, GATE_PHONE_NATIONAL, GATE_SECRET,
    }
)  # fmt: skip

#: The default gates that look at the character after a finding: a marker put in right after a
#: digit (or a digit and a ".") may make them match where they did not (``scan`` then checks
#: their detectors again).
CONTEXTUAL_GATES = frozenset({GATE_CARD, GATE_IPV4, GATE_PHONE_NATIONAL})

_COMPILED: dict[tuple[str, ...], Gates | None] = {}
_COMPILED_MANY: dict[tuple[str, ...], Gates | None] = {}
_LOCK = threading.Lock()


def available() -> bool:
    """Whether Hyperscan can be imported here."""
    return _hs is not None


def collect(gate: int, _start: int, _end: int, _flags: int, found: list[int]) -> None:
    """The match handler of ``Gates.scan``: ``found`` (its context) gets the gate's index."""
    found.append(gate)


class Gates:
    """Gates compiled into one Hyperscan database. ``scan(framed(text), collect, 0, found,
    scratch())`` appends to ``found`` the index of each gate the ASCII ``text`` matches.
    ``scan`` is Hyperscan's own, called directly by ``detectors.scan`` (no call of ours in
    between, once per text)."""

    def __init__(self, database: Any, size: int = 0) -> None:
        self.scan = database.scan
        #: How many gates were compiled.
        self.size = size
        self.local = threading.local()
        self._prototype = _hs.Scratch(database)

    def scratch(self) -> Any:
        """This thread's scratch space (Hyperscan releases the GIL while it scans)."""
        scratch = getattr(self.local, "scratch", None)
        if scratch is None:
            with _LOCK:
                scratch = self.local.scratch = self._prototype.clone()
        return scratch

    def __call__(self, text: str) -> list[int]:
        """The gates the ASCII ``text`` matches, in no particular order."""
        found: list[int] = []
        self.scan(framed(text), collect, 0, found, self.scratch())
        return found


def many(gates: Gates, texts: Sequence[str]) -> list[list[int]]:
    """What ``gates(text)`` gives for each of the ASCII ``texts`` (without repeats), in one
    Hyperscan scan of ``"\\n".join(texts)`` framed: ``gates`` compiled by ``compiled_many``
    (every match reported, not only each gate's first). Only for gates that match a newline
    first or last if at all, never inside a match (``DEFAULT_GATES``): no match of the joined
    buffer spans two lines' frames, each line's is its own (``framed``)."""
    if not texts:
        return []
    buffer = ("\n" + "\n".join(texts) + "\n").encode("ascii")
    if _gate_lines is not None and gates.size <= 64:
        # The same, each match placed in C (a set bit per gate and line).
        lines = _gate_lines(texts)
        gates.scan(buffer, lines, 0, None, gates.scratch())
        found_: list[list[int]] = lines.found()
        return found_
    # Where each line's newline is: its length plus one, summed.
    newlines = list(accumulate(map((1).__add__, map(len, texts))))
    found: list[list[int]] = [[] for _ in texts]

    def on_match(gate: int, _start: int, end: int, _flags: int, _context: object) -> None:
        # The line of the match's last character (a line's newline after it is its own).
        line = found[bisect_left(newlines, end - 1)]
        if gate not in line:
            line.append(gate)

    gates.scan(buffer, on_match, 0, None, gates.scratch())
    return found


def framed(text: str) -> bytes:
    """What the gates scan: the ASCII ``text`` between two newlines, so a gate's look before
    and after a finding needs no ``^`` or ``$`` (each costs a slower engine)."""
    return f"\n{text}\n".encode("ascii")


def _build(expressions: tuple[str, ...], *, single: bool = True) -> Gates | None:
    if _hs is None:
        return None
    hs = _hs
    flags = []
    sources = []
    for expression in expressions:
        caseless = expression.startswith("(?i)")
        sources.append(expression.removeprefix("(?i)").encode("ascii"))
        flags.append(
            (hs.HS_FLAG_SINGLEMATCH if single else 0) | (hs.HS_FLAG_CASELESS if caseless else 0)
        )
    database = hs.Database()
    try:
        database.compile(expressions=sources, ids=list(range(len(sources))), flags=flags)
    except hs.error:
        return None
    return Gates(database, len(sources))


def compiled(expressions: Sequence[str]) -> Gates | None:
    """The gates ``expressions`` compiled (once per process), or None when Hyperscan is missing
    or refuses one of them."""
    key = tuple(expressions)
    try:
        return _COMPILED[key]
    except KeyError:
        pass
    with _LOCK:
        if key not in _COMPILED:
            _COMPILED[key] = _build(key)
        return _COMPILED[key]


def compiled_many(expressions: Sequence[str]) -> Gates | None:
    """``compiled(expressions)`` reporting every match, for ``many`` (once per process); None
    when Hyperscan is missing or refuses one, or when an expression is not a default gate (only
    those are known never to match across a newline)."""
    key = tuple(expressions)
    try:
        return _COMPILED_MANY[key]
    except KeyError:
        pass
    with _LOCK:
        if key not in _COMPILED_MANY:
            known = all(expression in DEFAULT_GATES for expression in key)
            _COMPILED_MANY[key] = _build(key, single=False) if known else None
        return _COMPILED_MANY[key]
