"""The detectors as they were before the speed work (the patterns with leading lookbehinds and the
scan without ASCII twins): the reference ``test_detector_equivalence.py`` compares against.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass

from readiness.logs.redaction import validators as v

#: The replacement of a match, or None when the validator refuses it; a pair when only part of
#: the match is the finding: (the replacement of the whole match, the part found).
Replace = Callable[["re.Match[str]"], "str | tuple[str, str] | None"]

DEFAULT_ENTROPY_THRESHOLD = 4.0
MIN_SECRET_LENGTH = 20


@dataclass(frozen=True)
class Detector:
    """One kind of sensitive value: ``kind`` counts it, ``replace`` returns the redacted text of a
    match or None when the validator refuses it. ``hint`` is a substring the text must contain,
    ``min_length`` the shortest text that can hold a finding, ``needs_digit`` whether every
    finding has a digit: the three let ``scan`` skip a pattern without running it."""

    kind: str
    pattern: re.Pattern[str]
    replace: Replace
    hint: str | None = None
    min_length: int = 0
    needs_digit: bool = False
    #: A cheap pattern every text with a finding matches (searched before ``pattern`` runs).
    prefilter: re.Pattern[str] | None = None


def _marker(marker: str, valid: Callable[[str], bool]) -> Replace:
    return lambda m: marker if valid(m.group(0)) else None


def _always(marker: str) -> Replace:
    return lambda _m: marker


_JWT = re.compile(r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_AWS = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Za-z0-9])")
_GITHUB = re.compile(
    r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])"
)
_STRIPE = re.compile(r"(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{10,99}(?![A-Za-z0-9])")
_SLACK = re.compile(r"(?<![A-Za-z0-9_\-])xox[abposr]-[A-Za-z0-9\-]{10,250}")
_GOOGLE = re.compile(r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")
_OPENAI = re.compile(r"(?<![A-Za-z0-9_\-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,250}")
_BEARER = re.compile(r"(?i)(?<![A-Za-z0-9])(bearer)[ \t]+[A-Za-z0-9\-._~+/]{16,4096}=*")
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}"
    r"(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,63}(?![A-Za-z0-9\-])"
)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\w\-+])\d(?:[ \-]?\d){12,18}(?![\w\-])")
_SSN = re.compile(r"(?<![\w\-])(\d{3})([ \-])(\d{2})\2(\d{4})(?![\w\-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])({_OCTET})\.({_OCTET})\.({_OCTET})\.{_OCTET}(?![\w/]|\.\w)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{1,38}(?![\w:/])")
# Two patterns, so the international one runs only on texts holding a "+" (one pattern with
# both cost three times as much per line).
_PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w+])\+[1-9]\d{0,3}(?:[ .\-]?\(\d{1,4}\)[ .\-]?\d{1,8}|[ .\-]\d{1,8}){1,5}"
    r"(?![\w\-/:]|\.\w)|(?<![\w+])\+[1-9]\d{6,14}(?!\w)"
)
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+.\-/:])(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{1,4}){1,4}(?![\w.\-/:])"
)
_DIGIT = re.compile(r"\d")
# Prefilters: a plain character class first lets the regex engine skip ahead quickly.
_IPV4_PREFILTER = re.compile(r"\d\.\d{1,3}\.\d")
_IPV6_PREFILTER = re.compile(r":[0-9A-Fa-f]{0,4}:")
_BEARER_PREFILTER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr][ \t]")
_IBAN_PREFILTER = re.compile(r"[A-Z][A-Z]\d\d")
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20,}={0,2}")


def _bearer(m: re.Match[str]) -> str:
    return f"{m.group(1)} [SECRET]"


def _iban(m: re.Match[str]) -> str | tuple[str, str] | None:
    # A valid IBAN followed by an unrelated upper-case word: drop trailing groups until valid.
    text = whole = m.group(0)
    while True:
        if v.iban_valid(text):
            return "[IBAN]" if text == whole else ("[IBAN]" + whole[len(text) :], text)
        cut = text.rfind(" ")
        if cut < 15:
            return None
        text = text[:cut]


_CARD_SEPARATORS = re.compile(r"[ \-]")
_CARD_GROUP_RUN = re.compile(r"(?<!\d)\d{3,19}(?:[ \-]\d{3,19})*(?!\d)")


def _card(m: re.Match[str]) -> str | tuple[str, str] | None:
    text = m.group(0)
    digits = _CARD_SEPARATORS.sub("", text)
    if v.card_valid(digits):
        return "[CARD]"
    if len(digits) == len(text):
        return None
    # A card number beside other digit groups ("4111 1111 1111 1111 0"): the longest run of
    # whole groups of 3+ digits (cards print in groups of 4, 5 or 6) that is a valid number.
    best: tuple[int, int] | None = None
    for run in _CARD_GROUP_RUN.finditer(text):
        cuts = [run.start() + i for i, ch in enumerate(run.group(0)) if ch in " -"]
        starts, ends = [run.start(), *(i + 1 for i in cuts)], [*cuts, run.end()]
        for first in range(len(starts)):
            for last in range(len(ends) - 1, first - 1, -1):
                a, b = starts[first], ends[last]
                if best is not None and b - a <= best[1] - best[0]:
                    break
                if v.card_valid(_CARD_SEPARATORS.sub("", text[a:b])):
                    best = (a, b)
    if best is None:
        return None
    a, b = best
    return text[:a] + "[CARD]" + text[b:], text[a:b]


def _ssn(m: re.Match[str]) -> str | None:
    return "[SSN]" if v.ssn_valid(m.group(1), m.group(3), m.group(4)) else None


def _ipv4(m: re.Match[str]) -> str:
    return f"{m.group(1)}.{m.group(2)}.{m.group(3)}.0/24"


def _ipv6(m: re.Match[str]) -> str | None:
    text = m.group(0)
    if text.count(":") < 2 or not any(ch not in ":" for ch in text):
        return None
    try:
        network = ipaddress.IPv6Network(f"{text}/48", strict=False)
    except ValueError:
        return None
    return f"{network.network_address}/48"


def _phone(m: re.Match[str]) -> str | None:
    text = m.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if text.startswith("+"):
        return "[PHONE]" if 7 <= digits <= 15 else None
    if not 10 <= digits <= 11:
        return None
    groups = re.split(r"[ .\-()]+", text.strip("()"))
    if len(groups) > 2 and all(len(g) == 3 for g in groups[1:]):
        return None  # thousands grouping: "1 000 000 000"
    return "[PHONE]"


def _secret(threshold: float) -> Replace:
    def replace(m: re.Match[str]) -> str | None:
        text = m.group(0)
        if v.is_identifier_value(text) or v.is_identifier_value(text.replace("-", "")):
            return None
        if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
            return None
        return "[SECRET]" if v.shannon_entropy(text) >= threshold else None

    return replace


def default_detectors(entropy_threshold: float = DEFAULT_ENTROPY_THRESHOLD) -> list[Detector]:
    """Every detector, in the order they run (the most specific first)."""
    return [
        Detector("jwt", _JWT, _marker("[JWT]", v.jwt_valid), "eyJ", 10),
        Detector("api_key:aws", _AWS, _always("[API_KEY:aws]"), "A", 20),
        Detector("api_key:github", _GITHUB, _always("[API_KEY:github]"), "_", 40),
        Detector("api_key:stripe", _STRIPE, _always("[API_KEY:stripe]"), "k_", 18),
        Detector("api_key:slack", _SLACK, _always("[API_KEY:slack]"), "xox", 15),
        Detector("api_key:google", _GOOGLE, _always("[API_KEY:google]"), "AIza", 39),
        Detector("api_key:openai", _OPENAI, _always("[API_KEY:openai]"), "sk-", 23),
        Detector("bearer", _BEARER, _bearer, None, 23, prefilter=_BEARER_PREFILTER),
        Detector("email", _EMAIL, _always("[EMAIL]"), "@", 6),
        Detector("iban", _IBAN, _iban, None, 15, needs_digit=True, prefilter=_IBAN_PREFILTER),
        Detector("card", _CARD, _card, None, 13, needs_digit=True),
        Detector("ssn", _SSN, _ssn, None, 11, needs_digit=True),
        Detector("ip", _IPV4, _ipv4, ".", 7, needs_digit=True, prefilter=_IPV4_PREFILTER),
        Detector("ip", _IPV6, _ipv6, ":", 2, prefilter=_IPV6_PREFILTER),
        Detector("phone", _PHONE_INTERNATIONAL, _phone, "+", 8, needs_digit=True),
        Detector("phone", _PHONE_NATIONAL, _phone, None, 10, needs_digit=True),
        Detector("secret", _TOKEN, _secret(entropy_threshold), None, 20, needs_digit=True),
    ]


OnFinding = Callable[[str, str], None]


def scan(
    text: str,
    detectors: list[Detector],
    counts: MutableMapping[str, int] | None = None,
    on_finding: OnFinding | None = None,
) -> str:
    """``text`` with every validated finding replaced by its marker; ``counts`` adds one per
    finding under its kind; ``on_finding(kind, original)`` sees each one (``logs scan``)."""
    if len(text) < 2 or not detectors:
        return text
    has_digit = _DIGIT.search(text) is not None
    current = detectors[0]

    # One function for every detector (it reads ``current``): no closure made per detector.
    def substitute(m: re.Match[str]) -> str:
        replaced = current.replace(m)
        if replaced is None:
            return m.group(0)
        found = m.group(0)
        if isinstance(replaced, tuple):
            replaced, found = replaced
        if counts is not None:
            counts[current.kind] = counts.get(current.kind, 0) + 1
        if on_finding is not None:
            on_finding(current.kind, found)
        return replaced

    for detector in detectors:
        if (
            len(text) < detector.min_length
            or (detector.needs_digit and not has_digit)
            or (detector.hint is not None and detector.hint not in text)
            or (detector.prefilter is not None and detector.prefilter.search(text) is None)
        ):
            continue
        current = detector
        text = detector.pattern.sub(substitute, text)
    return text
