r"""Value detectors: a linear-time regex finds candidates, a validator confirms them.

Every pattern starts only where its own character class does not precede it (a lookbehind),
and its repetitions are bounded or unambiguous, so scanning is linear in the text's length:
no catastrophic backtracking (``tests/logs/test_redaction_fuzz.py`` times hostile inputs).
Where a pattern's first character is a literal or a plain class, the lookbehind comes after it
(``\d(?<![\w\-+]\d)`` rather than ``(?<![\w\-+])\d``: the same matches) so the engine skips
to candidate characters instead of trying every position; ASCII texts run ``re.ASCII`` twins.
Each default detector also has a Hyperscan ``gate`` (``gates.py``); ``scanning.scan`` runs them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from readiness.logs.redaction import gates as g
from readiness.logs.redaction import validators as v

#: The replacement of a match, or None when the validator refuses it; a pair when only part of
#: the match is the finding: (the replacement of the whole match, the part found).
Replace = Callable[["re.Match[str]"], "str | tuple[str, str] | None"]
#: A detector's pattern and replacement in one call on an ASCII text (``Detector.ascii_sub``).
AsciiSub = Callable[[str], tuple[str, list[str], bool]]

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
    #: How many ASCII digits in a row every finding holds once the separators `` .-)`` are
    #: dropped (0: no such bound); checked on ASCII texts with a bytes translation.
    digit_run: int = 0
    #: A Hyperscan expression every ASCII text holding a finding matches (``gates.py``): on
    #: ASCII texts, one Hyperscan pass over every gate tells which detectors to run at all.
    gate: str | None = None
    #: A function of an ASCII text, False when the text holds no finding (run before
    #: ``pattern`` on ASCII texts).
    ascii_check: Callable[[str], bool] | None = None
    #: What ``pattern`` and ``replace`` give on an ASCII text, in one call: (the text with every
    #: finding replaced, the findings, whether every replacement is a marker of
    #: ``scanning._MARKERS``); run in their place on ASCII texts behind the gates.
    ascii_sub: AsciiSub | None = None


def _marker(marker: str, valid: Callable[[str], bool]) -> Replace:
    return lambda m: marker if valid(m.group(0)) else None


class _Always:
    """The ``Replace`` of a detector without a validator: every match becomes ``marker`` (so
    ``scan`` can substitute it without a call per match when nobody asks for the findings)."""

    __slots__ = ("marker",)

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self, _m: re.Match[str]) -> str:
        return self.marker


def _always(marker: str) -> Replace:
    return _Always(marker)


_JWT = re.compile(r"eyJ(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
_AWS = re.compile(r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}(?![A-Za-z0-9])")
_GITHUB = re.compile(
    r"g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{36}|ithub_pat_[A-Za-z0-9_]{82})(?![A-Za-z0-9_])"
)
_STRIPE = re.compile(r"[sr](?<![A-Za-z0-9_][sr])k_(?:live|test)_[A-Za-z0-9]{10,99}(?![A-Za-z0-9])")
_SLACK = re.compile(r"xox(?<![A-Za-z0-9_\-]xox)[abposr]-[A-Za-z0-9\-]{10,250}")
_GOOGLE = re.compile(r"AIza(?<![A-Za-z0-9_\-]AIza)[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")
_OPENAI = re.compile(r"sk-(?<![A-Za-z0-9_\-]sk-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,250}")
_BEARER = re.compile(r"(?i)(b(?<![A-Za-z0-9]b)earer)[ \t]+[A-Za-z0-9\-._~+/]{16,4096}=*")
# The local part possessive (``{1,64}+``): giving characters back leaves one of its own class
# where "@" must be, so backtracking never matched; it only cost time at every word's start.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}+@[A-Za-z0-9\-]{1,63}"
    r"(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,63}(?![A-Za-z0-9\-])"
)
_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"\d(?<![\w\-+]\d)(?:[ \-]?\d){12,18}(?![\w\-])")
_SSN = re.compile(r"(\d(?<![\w\-]\d)\d\d)([ \-])(\d{2})\2(\d{4})(?![\w\-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])({_OCTET})\.({_OCTET})\.({_OCTET})\.{_OCTET}(?![\w/]|\.\w)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{1,38}(?![\w:/])")
# Two patterns, so the international one runs only on texts holding a "+" (one pattern with
# both cost three times as much per line).
_PHONE_INTERNATIONAL = re.compile(
    r"\+(?<![\w+]\+)(?:[1-9]\d{0,3}(?:[ .\-]?\(\d{1,4}\)[ .\-]?\d{1,8}|[ .\-]\d{1,8}){1,5}"
    r"(?![\w\-/:]|\.\w)|[1-9]\d{6,14}(?!\w))"
)
_PHONE_NATIONAL = re.compile(
    r"[(\d](?<![\w+.\-/:][(\d])(?:(?<=\()\d{1,4}\)[ .\-]?\d{1,4}|(?<=\d)\d{0,3})"
    r"(?:[ .\-]\d{1,4}){1,4}(?![\w.\-/:])"
)
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


_CARD_GROUP_RUN = re.compile(r"(?<!\d)\d{3,19}(?:[ \-]\d{3,19})*(?!\d)")


def _card(m: re.Match[str]) -> str | tuple[str, str] | None:
    text = m.group(0)
    digits = text.replace(" ", "").replace("-", "")
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
                if v.card_valid(text[a:b].replace(" ", "").replace("-", "")):
                    best = (a, b)
    if best is None:
        return None
    a, b = best
    return text[:a] + "[CARD]" + text[b:], text[a:b]


def _ssn(m: re.Match[str]) -> str | None:
    return "[SSN]" if v.ssn_valid(*m.group(1, 3, 4)) else None


def _ipv4(m: re.Match[str]) -> str:
    return "%s.%s.%s.0/24" % m.group(1, 2, 3)  # noqa: UP031 - one call for the three groups


def _ipv6(m: re.Match[str]) -> str | None:
    text = m.group(0)
    if _ipv6_network is not None:
        # The C accelerator, for an address written the plain way (None: the rest decides).
        plain = _ipv6_network(text)
        if plain is not None:
            return plain
    if text.count(":") < 2 or not any(ch not in ":" for ch in text):
        return None
    prefix = _ipv6_prefix(text)
    if prefix is not None:
        # What ``ipaddress`` prints for the /48 network: the longest run of zero groups (the
        # last five, and the zero groups before them) as "::".
        while prefix and prefix[-1] == 0:
            prefix.pop()
        return ":".join(["%x" % group for group in prefix]) + "::/48"  # noqa: UP031
    if "::" not in text:
        # Without "::", ``ipaddress`` takes 8 groups of 1 to 4 hex digits only (``_ipv6_prefix``
        # read those): "14:23:01" is refused here, without raising its ValueError.
        return None
    try:
        network = ipaddress.IPv6Network(f"{text}/48", strict=False)
    except ValueError:
        return None
    return f"{network.network_address}/48"


def _load_ipv6_network() -> Callable[[str], str | None] | None:
    fast = v._speedups
    return None if fast is None else fast.ipv6_network


#: The C accelerator's ``_ipv6`` of a plainly written address (``validators._speedups``).
_ipv6_network = _load_ipv6_network()


def _ipv6_prefix(text: str) -> list[int] | None:
    """The first three groups of the address ``text`` (hex digits and colons) when it is written
    the plain way: 8 groups of 1 to 4 hex digits, or fewer around one "::"; None for anything
    else (``ipaddress`` then decides, as it does for these)."""
    head, double, tail = text.partition("::")
    if double:
        left = head.split(":") if head else []
        right = tail.split(":") if tail else []
        if len(left) + len(right) > 7:
            return None
        groups = [*left, *["0"] * (8 - len(left) - len(right)), *right]
    else:
        groups = text.split(":")
        if len(groups) != 8:
            return None
    if "" in groups or max(map(len, groups)) > 4:
        return None
    return [int(group, 16) for group in groups[:3]]


#: What a phone match holds besides digits (``str.translate`` deletes them).
_PHONE_PUNCTUATION = str.maketrans("", "", "+ .-()")
_PHONE_GROUPS = re.compile(r"[ .\-()]+")


def _phone(m: re.Match[str]) -> str | None:
    text = m.group(0)
    # The patterns match digits and those characters only (as bytes, where ASCII: faster).
    digits = (
        len(text.encode("ascii").translate(None, b"+ .-()"))
        if text.isascii()
        else len(text.translate(_PHONE_PUNCTUATION))
    )
    if text.startswith("+"):
        return "[PHONE]" if 7 <= digits <= 15 else None
    if not 10 <= digits <= 11:
        return None
    groups = _PHONE_GROUPS.split(text.strip("()"))
    if len(groups) > 2 and all(len(g) == 3 for g in groups[1:]):
        return None  # thousands grouping: "1 000 000 000"
    return "[PHONE]"


#: ``bytes.translate`` tables: the characters of ``_TOKEN`` and "=" kept, every other byte a space;
#: the hex digits and "-", deleted.
_TOKEN_BYTES = bytes(
    ch if chr(ch).isascii() and (chr(ch).isalnum() or chr(ch) in "+/_-=") else 32
    for ch in range(256)
)
_HEX_AND_DASH = b"0123456789abcdefABCDEF-"


def _secret_candidates(text: str) -> bool:
    """Whether the ASCII ``text`` has a run of ``_TOKEN`` characters the secret validator could
    accept: 20 or more, not (dashes dropped) 16 or more hex digits. A run of hex digits and
    dashes is refused unless fewer than 16 hex digits are left; a run with "=" after it or with
    any other character goes on to the validator."""
    runs = text.encode("ascii").translate(_TOKEN_BYTES).split()
    if max(map(len, runs), default=0) < MIN_SECRET_LENGTH:
        return False
    return any(
        len(run) >= MIN_SECRET_LENGTH
        and (bool(run.translate(None, _HEX_AND_DASH)) or len(run) - run.count(b"-") < 16)
        for run in runs
    )


def _secret_check() -> Callable[[str], bool]:
    """``_secret_candidates``, or the C accelerator's (the same answer on ASCII texts, the only
    ones it is given; ``validators._speedups``)."""
    fast = v._speedups
    return (
        _secret_candidates
        if fast is None
        else cast("Callable[[str], bool]", fast.secret_candidates)
    )


def _ssn_sub() -> AsciiSub | None:
    """The C accelerator's SSN detector (``validators._speedups``), or None without it."""
    fast = v._speedups
    return None if fast is None else fast.ssn_sub


def _email_sub() -> AsciiSub | None:
    """The C accelerator's e-mail detector (``validators._speedups``), or None without it."""
    fast = v._speedups
    return None if fast is None else fast.email_sub


def _ipv4_sub() -> AsciiSub | None:
    """The C accelerator's IPv4 detector (``validators._speedups``), or None without it."""
    fast = v._speedups
    return None if fast is None else fast.ipv4_sub


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
        Detector("jwt", _JWT, _marker("[JWT]", v.jwt_valid), "eyJ", 10, gate=g.GATE_JWT),
        Detector("api_key:aws", _AWS, _always("[API_KEY:aws]"), "A", 20, gate=g.GATE_AWS),
        Detector(
            "api_key:github", _GITHUB, _always("[API_KEY:github]"), "_", 40, gate=g.GATE_GITHUB
        ),
        Detector(
            "api_key:stripe", _STRIPE, _always("[API_KEY:stripe]"), "k_", 18, gate=g.GATE_STRIPE
        ),
        Detector("api_key:slack", _SLACK, _always("[API_KEY:slack]"), "xox", 15, gate=g.GATE_SLACK),
        Detector(
            "api_key:google", _GOOGLE, _always("[API_KEY:google]"), "AIza", 39, gate=g.GATE_GOOGLE
        ),
        Detector(
            "api_key:openai", _OPENAI, _always("[API_KEY:openai]"), "sk-", 23, gate=g.GATE_OPENAI
        ),
        Detector(
            "bearer", _BEARER, _bearer, None, 23, prefilter=_BEARER_PREFILTER, gate=g.GATE_BEARER
        ),
        Detector(
            "email", _EMAIL, _always("[EMAIL]"), "@", 6, gate=g.GATE_EMAIL, ascii_sub=_email_sub()
        ),
        Detector(
            "iban",
            _IBAN,
            _iban,
            None,
            15,
            needs_digit=True,
            prefilter=_IBAN_PREFILTER,
            gate=g.GATE_IBAN,
        ),
        Detector("card", _CARD, _card, None, 13, needs_digit=True, digit_run=13, gate=g.GATE_CARD),
        Detector(
            "ssn",
            _SSN,
            _ssn,
            None,
            11,
            needs_digit=True,
            digit_run=9,
            gate=g.GATE_SSN,
            ascii_sub=_ssn_sub(),
        ),
        Detector(
            "ip",
            _IPV4,
            _ipv4,
            ".",
            7,
            needs_digit=True,
            prefilter=_IPV4_PREFILTER,
            gate=g.GATE_IPV4,
            ascii_sub=_ipv4_sub(),
        ),
        Detector("ip", _IPV6, _ipv6, ":", 2, prefilter=_IPV6_PREFILTER, gate=g.GATE_IPV6),
        Detector(
            "phone",
            _PHONE_INTERNATIONAL,
            _phone,
            "+",
            8,
            needs_digit=True,
            gate=g.GATE_PHONE_INTERNATIONAL,
        ),
        Detector(
            "phone",
            _PHONE_NATIONAL,
            _phone,
            None,
            10,
            needs_digit=True,
            digit_run=10,
            gate=g.GATE_PHONE_NATIONAL,
        ),
        Detector(
            "secret",
            _TOKEN,
            _secret(entropy_threshold),
            None,
            20,
            needs_digit=True,
            gate=g.GATE_SECRET,
            ascii_check=_secret_check(),
        ),
    ]
