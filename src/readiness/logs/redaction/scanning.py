"""``scan``: runs a detector list over a text, the cheapest way that gives the same result.

On an ASCII text, one Hyperscan pass over the detectors' gates (``gates.py``) says which
detectors can find anything; only those run, in order. Elsewhere (or without Hyperscan, or for
detectors without a gate) each detector's own cheap checks decide (length, hint, digit,
prefilter, digit run), then its regex runs (an ``re.ASCII`` twin on ASCII texts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass

from readiness.logs.redaction import gates as g
from readiness.logs.redaction.detectors import Detector, _Always

_DIGIT = re.compile(r"\d")

OnFinding = Callable[[str, str], None]

_ASCII_TWINS: dict[re.Pattern[str], re.Pattern[str]] = {}


def _ascii_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` compiled with ``re.ASCII``: on an ASCII text it matches exactly what
    ``pattern`` does (``\\d`` and ``\\w`` are then the same classes, and no non-ASCII character is
    there to fold), and the engine tests its classes faster. An ASCII pattern only, without
    ``\\s`` (Unicode counts four ASCII control characters as spaces); else ``pattern`` itself."""
    twin = _ASCII_TWINS.get(pattern)
    if twin is None:
        twin = pattern
        source = pattern.pattern
        if source.isascii() and "\\s" not in source and "\\S" not in source:
            try:
                twin = re.compile(source, (pattern.flags & ~re.UNICODE) | re.ASCII)
            except re.error:
                twin = pattern
        _ASCII_TWINS[pattern] = twin
    return twin


_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_RUN_SEPARATORS = b" .-)"


def _digit_runs(text: str) -> bytes:
    """The ASCII ``text`` with every digit a ``0`` and ``_RUN_SEPARATORS`` dropped: it holds
    ``b"0" * n`` when ``text`` has n digits in a row, separators aside."""
    return text.encode("ascii").translate(_DIGITS_TO_ZERO, _RUN_SEPARATORS)


#: One detector as ``scan`` runs it: (detector, min_length, needs_digit, hint, prefilter,
#: its ASCII twin, pattern, its ASCII twin, the digit run as ``b"0" * digit_run`` or None, the
#: marker every match becomes when the detector has no validator, else None).
_Step = tuple[
    Detector,
    int,
    bool,
    "str | None",
    "re.Pattern[str] | None",
    "re.Pattern[str] | None",
    "re.Pattern[str]",
    "re.Pattern[str]",
    "bytes | None",
    "str | None",
]


@dataclass(frozen=True)
class _Plan:
    """How ``scan`` runs a detector list: ``steps`` (those of the detectors needing no digit in
    ``no_digit``); with Hyperscan, ``gates`` scans the gates of the steps ``gated`` names (in the
    order compiled), ``ungated`` lists the steps without a gate (they always run), and
    ``markers_safe`` says that every gate is a default one (see ``_MARKERS``)."""

    steps: tuple[_Step, ...]
    no_digit: tuple[_Step, ...]
    gates: g.Gates | None
    gated: tuple[int, ...]
    ungated: tuple[int, ...]
    markers_safe: bool
    #: Whether every step has a gate, in order (the gates found are the steps to run).
    identity: bool
    #: The steps with a contextual gate (``gates.CONTEXTUAL_GATES``): checked again after a
    #: marker went in.
    contextual: tuple[int, ...]
    #: Texts shorter than ``short`` (the least ``min_length`` of the detectors without a hint)
    #: can only hold findings of ``short_hints`` (min_length, hint), by min_length: one whose
    #: hint it holds, at least that long (the check ``_scan_steps`` makes, done first).
    short: int
    short_hints: tuple[tuple[int, str], ...]


#: Plans by ``id`` of the detector list: the list (kept alive, so the id stays its own), a copy
#: of it when planned (a list changed since is planned again), the plan.
_PLANS: dict[int, tuple[list[Detector], list[Detector], _Plan]] = {}
_MAX_PLANS = 64

#: The replacements of the default detectors that hold no gate match and stop every default gate
#: at their brackets: after putting only these in, the gates matched before still cover the text
#: (a gate matching the new text but not the old would have to cross a bracket).
_MARKERS = frozenset(
    {
        "[JWT]", "[API_KEY:aws]", "[API_KEY:github]", "[API_KEY:stripe]", "[API_KEY:slack]",
        "[API_KEY:google]", "[API_KEY:openai]", "[EMAIL]", "[IBAN]", "[CARD]", "[SSN]",
        "[PHONE]", "[SECRET]",
    }
)  # fmt: skip


#: Where a contextual gate (``gates.CONTEXTUAL_GATES``) may match a text with markers put in but
#: not the text before: its last digit (and a ".") then a marker's "[" (its other characters
#: are no marker's, and its look after a digit is one character). The "[" first, its look
#: behind after it: the engine skips to each "[" (``[0-9]\.?\[`` tried every digit).
_MARKER_AFTER_DIGIT = re.compile(r"\[(?:(?<=[0-9]\[)|(?<=[0-9]\.\[))")


def _plan(detectors: list[Detector]) -> _Plan:
    items = list(detectors)
    cached = _PLANS.get(id(detectors))
    if cached is not None and cached[0] is detectors and cached[1] == items:
        return cached[2]
    steps = tuple(
        (
            d,
            d.min_length,
            d.needs_digit,
            d.hint,
            d.prefilter,
            None if d.prefilter is None else _ascii_twin(d.prefilter),
            d.pattern,
            _ascii_twin(d.pattern),
            b"0" * d.digit_run if d.digit_run > 0 else None,
            # Without a backslash, ``sub`` takes the marker as it is.
            d.replace.marker
            if isinstance(d.replace, _Always) and "\\" not in d.replace.marker
            else None,
        )
        for d in items
    )
    gated = tuple(i for i, d in enumerate(items) if d.gate is not None)
    gates = g.compiled([d.gate for d in items if d.gate is not None]) if gated else None
    plan = _Plan(
        steps=steps,
        no_digit=tuple(step for step in steps if not step[2]),
        gates=gates,
        gated=gated if gates is not None else (),
        ungated=tuple(i for i in range(len(items)) if gates is None or i not in gated),
        # A detector without a gate might put a marker of ``_MARKERS`` anywhere.
        markers_safe=all(d.gate in g.DEFAULT_GATES for d in items),
        identity=gates is not None and gated == tuple(range(len(items))),
        contextual=tuple(i for i in gated if items[i].gate in g.CONTEXTUAL_GATES),
        short=min((d.min_length for d in items if d.hint is None), default=1 << 62),
        short_hints=tuple(sorted((d.min_length, d.hint) for d in items if d.hint is not None)),
    )
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[id(detectors)] = (detectors, items, plan)
    return plan


def prescan(texts: Sequence[str], detectors: list[Detector]) -> list[list[int] | None] | None:
    """The gates each of ``texts`` matches, found in one Hyperscan scan of them all
    (``gates.many``), for ``scan(text, detectors, ..., found=...)``: None for a text that is not
    ASCII (``scan`` looks at it alone); None for them all when ``detectors`` have no gates, a
    gate that is not a default one, or Hyperscan is missing."""
    plan = _plan(detectors)
    if plan.gates is None:
        return None
    gates = g.compiled_many([d.gate for d in detectors if d.gate is not None])
    if gates is None:
        return None
    if "".join(texts).isascii():
        return list(g.many(gates, texts))
    ascii_texts = [text if text.isascii() else "" for text in texts]
    found: list[list[int] | None] = list(g.many(gates, ascii_texts))
    for i, text in enumerate(texts):
        if ascii_texts[i] is not text:
            found[i] = None
    return found


def clean(found: list[int] | None, detectors: list[Detector]) -> bool:
    """Whether a text whose gates ``prescan`` found as ``found`` is sure to come back from
    ``scan`` as it is: an ASCII text no gate matched, every detector gated."""
    return found is not None and not found and not _plan(detectors).ungated


def scan_many(
    texts: Sequence[str],
    prescanned: list[list[int] | None],
    detectors: list[Detector],
    *,
    counts: MutableMapping[str, int] | None = None,
    on_finding: OnFinding | None = None,
    keep: Callable[[str], object] | None = None,
) -> list[str]:
    """``[scan(t, detectors, counts, on_finding, found=f) for t, f in zip(texts, prescanned)]``
    (``prescanned`` from ``prescan``, its lists used up), a text for which ``keep`` is truthy
    left as it is: the same texts, counts and findings in the same order, the plan looked up
    once and a text no gate matched passed over."""
    plan = _plan(detectors)
    gates = plan.gates
    if gates is None:
        raise ValueError("scan_many: these detectors have no gates (prescan gave None)")
    out: list[str] = []
    append = out.append
    every_gated = not plan.ungated
    short, short_hints = plan.short, plan.short_hints
    sub = _Substitute(counts, on_finding)
    #: Whether a text with one gate found may take ``_single``.
    single = plan.identity and every_gated and plan.markers_safe
    for text, found in zip(texts, prescanned, strict=True):
        if (found is not None and not found and every_gated) or (keep is not None and keep(text)):
            append(text)
        elif found is None:
            append(scan(text, detectors, counts, on_finding))
        elif len(text) < 2 or (len(text) < short and not _hinted(text, short_hints)):
            append(text)
        elif single and len(found) == 1:
            append(_single(text, found[0], plan, gates, sub))
        else:
            append(
                _scan_gated(text, plan, gates, found, counts=counts, on_finding=on_finding, sub=sub)
            )
    return out


def _hinted(text: str, short_hints: tuple[tuple[int, str], ...]) -> bool:
    """Whether a text shorter than the plan's ``short`` may hold a finding (``scan``'s check)."""
    size = len(text)
    for min_length, hint in short_hints:
        if size < min_length:
            return False
        if hint in text:
            return True
    return False


def scan(  # noqa: PLR0911, PLR0912 - the cheap exits first: it runs once per string logged
    text: str,
    detectors: list[Detector],
    counts: MutableMapping[str, int] | None = None,
    on_finding: OnFinding | None = None,
    *,
    found: list[int] | None = None,
) -> str:
    """``text`` with every validated finding replaced by its marker; ``counts`` adds one per
    finding under its kind; ``on_finding(kind, original)`` sees each one (``logs scan``).
    ``found``: the gates ``text`` matches, from ``prescan`` (then not scanned again)."""
    if len(text) < 2 or not detectors:
        return text
    # ``_plan`` inlined for its cached case: this runs once per string logged.
    cached = _PLANS.get(id(detectors))
    if cached is not None and cached[0] is detectors and cached[1] == detectors:
        plan = cached[2]
    else:
        plan = _plan(detectors)
    size = len(text)
    if size < plan.short:
        # Keys and short values: most hold no detector's hint.
        for min_length, hint in plan.short_hints:
            if size < min_length:
                return text
            if hint in text:
                break
        else:
            return text
    gates = plan.gates
    if gates is None or not text.isascii():
        return _scan_steps(text, plan.steps, plan.no_digit, counts, on_finding)
    if found is None:
        found = []
        scratch = getattr(gates.local, "scratch", None) or gates.scratch()
        gates.scan(f"\n{text}\n".encode("ascii"), g.collect, 0, found, scratch)  # gates.framed
    else:
        # ``_scan_gated`` sorts and cuts the list it is given.
        found = list(found)
    if not plan.ungated:
        if not found:
            return text
        if len(found) == 1 and plan.identity and plan.markers_safe:
            return _single(text, found[0], plan, gates, _Substitute(counts, on_finding))
    return _scan_gated(text, plan, gates, found, counts=counts, on_finding=on_finding)


def _ordered(plan: _Plan, found: list[int]) -> list[int]:
    """The steps to run, in order: those whose gate is in ``found``, and those without a gate."""
    found.sort()
    todo = found if plan.identity else [plan.gated[i] for i in found]
    if plan.ungated:
        todo.extend(plan.ungated)
        todo.sort()
    return todo


class _Substitute:
    """What ``re.sub`` calls for each match of a validated detector (``current``): its
    replacement, counted under its kind and told to ``on_finding``; ``unsafe`` becomes True when
    a replacement other than a marker of ``_MARKERS`` goes in. One per scan (or batch), so no
    closure is made per text."""

    __slots__ = ("counts", "current", "on_finding", "unsafe")

    def __init__(
        self, counts: MutableMapping[str, int] | None, on_finding: OnFinding | None
    ) -> None:
        self.counts = counts
        self.on_finding = on_finding
        self.current: Detector | None = None
        self.unsafe = False

    def substitute(self, m: re.Match[str]) -> str:
        current = self.current
        assert current is not None
        replaced = current.replace(m)
        if replaced is None:
            return m.group(0)
        found = m.group(0)
        if isinstance(replaced, tuple):
            replaced, found = replaced
            self.unsafe = True
        elif replaced not in _MARKERS:
            self.unsafe = True
        counts = self.counts
        if counts is not None:
            counts[current.kind] = counts.get(current.kind, 0) + 1
        if self.on_finding is not None:
            self.on_finding(current.kind, found)
        return replaced


def _scan_gated(
    text: str,
    plan: _Plan,
    gates: g.Gates,
    found: list[int],
    *,
    counts: MutableMapping[str, int] | None,
    on_finding: OnFinding | None,
    sub: _Substitute | None = None,
) -> str:
    """``scan`` of an ASCII ``text`` whose gates ``found`` matched (``sub``: a ``_Substitute``
    of these ``counts`` and ``on_finding`` to reuse)."""
    if plan.identity and not plan.ungated:
        found.sort()
        todo = found
    else:
        todo = _ordered(plan, found)
    if sub is None:
        sub = _Substitute(counts, on_finding)
    sub.unsafe = not plan.markers_safe
    return _run(text, text, plan, gates, todo, sub=sub)


def _single(text: str, index: int, plan: _Plan, gates: g.Gates, sub: _Substitute) -> str:
    """``_scan_gated(text, plan, gates, [index], ...)`` of a plan whose every step has a gate
    (``identity``, no ``ungated``) and every gate is a default one (``markers_safe``): the step
    ``index`` runs as the first step there does (no digit or cheap checks: its gate matched
    this very text), and most texts are then done without the loop of ``_run``."""
    step = plan.steps[index]
    marker = step[9]
    sub.unsafe = False
    if step[0].ascii_sub is not None:
        replaced = _ascii_sub(step[0], text, sub)
    elif marker is not None and sub.on_finding is None:
        replaced, many = step[7].subn(marker, text)
        if not many:
            return text
        counts = sub.counts
        if counts is not None:
            kind = step[0].kind
            counts[kind] = counts.get(kind, 0) + many
        if marker not in _MARKERS:
            sub.unsafe = True
    else:
        sub.current = step[0]
        replaced = step[7].sub(sub.substitute, text)
    if replaced == text:
        return text
    if (
        not sub.unsafe
        and replaced.isascii()
        and (
            not plan.contextual
            or plan.contextual[-1] <= index
            or _MARKER_AFTER_DIGIT.search(replaced) is None
        )
    ):
        return replaced
    return _run(replaced, text, plan, gates, [], sub=sub, changed_at=index)


def _run(  # noqa: PLR0912, PLR0915 - one loop kept whole: it runs for most strings logged
    text: str,
    original: str,
    plan: _Plan,
    gates: g.Gates,
    todo: list[int],
    *,
    sub: _Substitute,
    changed_at: int = -1,
) -> str:
    """The steps ``todo`` (in order) on the ASCII ``text``, from the ``original`` that
    ``scan`` was given, ``sub.unsafe`` as it stands; ``changed_at``: the step that has just
    changed ``original`` into ``text`` (``todo`` then the steps after it, its gates' verdict)."""
    steps = plan.steps
    counts, on_finding = sub.counts, sub.on_finding
    #: Whether the text ``scan`` was given holds a digit (None: not looked at yet). Detectors
    #: that need one are skipped without it, as ``_scan_steps`` does; on that text itself, a
    #: default detector needing a digit finds nothing without one, so it may run.
    has_digit: bool | None = None
    #: Whether the text changed since the gates were scanned: a gate matched then may no
    #: longer, so the detector's own cheap checks run first.
    stale = False
    k = 0
    index = changed_at
    changed = changed_at >= 0
    while True:
        if changed:
            changed = False
            if not text.isascii():
                # A custom detector put non-ASCII text in: the rest runs without gates.
                # (Those needing a digit run if and only if the text ``scan`` was given held
                # one.)
                rest = steps[index + 1 :]
                if _DIGIT.search(original) is None:
                    rest = tuple(s for s in rest if not s[2])
                return _scan_steps(text, rest, rest, counts, on_finding)
            unsafe = sub.unsafe
            if unsafe:
                todo = [i for i in _ordered(plan, gates(text)) if i > index]
            elif plan.contextual and _MARKER_AFTER_DIGIT.search(text) is not None:
                todo = _still_to_run(plan, todo[k:], index)
            else:
                todo = todo[k:]
            k, stale, sub.unsafe = 0, not unsafe, not plan.markers_safe
        if k >= len(todo):
            return text
        index = todo[k]
        k += 1
        step = steps[index]
        if step[2] and (text is not original or not plan.markers_safe):
            if has_digit is None:
                has_digit = _DIGIT.search(original) is not None
            if not has_digit:
                continue
        if (stale or index in plan.ungated) and not _passes(step, text):
            continue
        current = step[0]
        marker = step[9]
        if current.ascii_sub is not None:
            replaced_text = _ascii_sub(current, text, sub)
        elif marker is not None and on_finding is None:
            replaced_text, many = step[7].subn(marker, text)
            if many and counts is not None:
                counts[current.kind] = counts.get(current.kind, 0) + many
            if many > 0 and marker not in _MARKERS:
                sub.unsafe = True
        else:
            sub.current = current
            replaced_text = step[7].sub(sub.substitute, text)
        if replaced_text == text:
            continue
        text = replaced_text
        changed = True


def _ascii_sub(detector: Detector, text: str, sub: _Substitute) -> str:
    """``detector.ascii_sub`` on the ASCII ``text``, its findings counted and told as
    ``sub.substitute`` does (``sub.unsafe`` set when a replacement is not a marker of
    ``_MARKERS``)."""
    assert detector.ascii_sub is not None
    replaced, found, markers = detector.ascii_sub(text)
    if found:
        if not markers:
            sub.unsafe = True
        kind = detector.kind
        if sub.counts is not None:
            sub.counts[kind] = sub.counts.get(kind, 0) + len(found)
        if sub.on_finding is not None:
            for original in found:
                sub.on_finding(kind, original)
    return replaced


def _still_to_run(plan: _Plan, rest: list[int], index: int) -> list[int]:
    """The steps still to run after the step ``index`` put only markers of ``_MARKERS`` in, one
    of them after a digit: ``rest``, and the contextual ones after ``index``."""
    return sorted({*rest, *(i for i in plan.contextual if i > index)})


def _passes(step: _Step, text: str) -> bool:
    """Whether a detector's own cheap checks let it run on the ASCII ``text`` (its need of a
    digit aside)."""
    detector, min_length, _n, hint, _p, ascii_prefilter, _pattern, _a, digit_run, _m = step
    if len(text) < min_length or (hint is not None and hint not in text):
        return False
    if ascii_prefilter is not None and ascii_prefilter.search(text) is None:
        return False
    if digit_run is not None and digit_run not in _digit_runs(text):
        return False
    return detector.ascii_check is None or detector.ascii_check(text)


def _scan_steps(
    text: str,
    steps: tuple[_Step, ...],
    no_digit: tuple[_Step, ...],
    counts: MutableMapping[str, int] | None,
    on_finding: OnFinding | None,
) -> str:
    """``scan`` without gates: each detector's cheap checks, then its regex."""
    if not steps:
        return text
    has_digit = _DIGIT.search(text) is not None
    ascii_text = text.isascii()
    # One substitution for every detector (it reads ``sub.current``); its ``unsafe`` is unused
    # here: without gates there is no rescan to decide.
    sub = _Substitute(counts, on_finding)
    size = len(text)
    #: ``_digit_runs(text)``, made when a detector first needs it.
    runs: bytes | None = None
    for (
        detector,
        min_length,
        _needs_digit,
        hint,
        prefilter,
        ascii_prefilter,
        pattern,
        ascii_pattern,
        digit_run,
        _marker,
    ) in steps if has_digit else no_digit:
        if size < min_length or (hint is not None and hint not in text):
            continue
        if prefilter is not None:
            chosen = ascii_prefilter if ascii_text else prefilter
            if chosen is not None and chosen.search(text) is None:
                continue
        if digit_run is not None and ascii_text:
            if runs is None:
                runs = _digit_runs(text)
            if digit_run not in runs:
                continue
        if ascii_text and detector.ascii_check is not None and not detector.ascii_check(text):
            continue
        sub.current = detector
        replaced_text = (ascii_pattern if ascii_text else pattern).sub(sub.substitute, text)
        if replaced_text != text:
            # A custom detector may put non-ASCII text in.
            text, size, ascii_text = replaced_text, len(replaced_text), replaced_text.isascii()
            runs = None
    return text
