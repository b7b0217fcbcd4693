"""A seeded, labelled corpus of log lines for the PII detection benchmark.

Every line is built from a template whose slots are filled with generated values; the generator
records the character span and type of each slot, so precision and recall are exact. Positive
slots: EMAIL, CREDIT_CARD (Luhn-valid, several networks and groupings), PHONE (US, UK, DE, FR,
IN, JP, AU, BR; national and international forms), SSN (issuable areas), IP (v4 and v6), IBAN
(mod-97-valid, compact and grouped), SECRET (AWS, GitHub, Stripe, Slack, Google, JWT). Hard
negatives, labelled so false positives on them are counted separately: trace ids, span ids,
UUIDs, hex hashes, timestamps, order numbers and version strings. Half the lines are JSON.

The values are synthetic (generated here; no real person's data).
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

POSITIVE_TYPES = ("EMAIL", "CREDIT_CARD", "PHONE", "SSN", "IP", "IBAN", "SECRET")
NEGATIVE_TYPES = ("TRACE_ID", "SPAN_ID", "UUID", "HASH", "TIMESTAMP", "ORDER", "VERSION")


@dataclass(frozen=True)
class Span:
    """A labelled value: ``text[start:end]`` is of ``type``."""

    start: int
    end: int
    type: str


@dataclass(frozen=True)
class Sample:
    """One log line and its labels."""

    text: str
    spans: tuple[Span, ...]


_FIRST = ("alice", "bob", "chen", "dmitri", "eva", "farah", "gil", "hana", "ines", "jose", "kofi")
_LAST = ("smith", "nguyen", "muller", "garcia", "okafor", "tanaka", "rossi", "kowalski", "silva")
_DOMAINS = ("example.com", "mail.example.org", "corp.example.co.uk", "example.de", "ex-ample.io")


def _email(r: random.Random) -> str:
    first, last = r.choice(_FIRST), r.choice(_LAST)
    local = r.choice((f"{first}.{last}", f"{first}{r.randint(1, 99)}", f"{first}+{last}", first))
    return f"{local}@{r.choice(_DOMAINS)}"


def _luhn_complete(prefix: str, length: int, r: random.Random) -> str:
    body = prefix + "".join(r.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _card(r: random.Random) -> str:
    prefix, length = r.choice((("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                               ("37", 15), ("6011", 16), ("35", 16)))  # fmt: skip
    digits = _luhn_complete(prefix, length, r)
    sep = r.choice(("", " ", "-"))
    if not sep:
        return digits
    groups = (4, 6, 5) if length == 15 else (4, 4, 4, 4)
    out, at = [], 0
    for g in groups:
        out.append(digits[at : at + g])
        at += g
    return sep.join(out)


def _d(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


def _phone(r: random.Random) -> str:
    area = f"{r.randint(2, 9)}{_d(r, 2)}"
    line = f"{r.randint(2, 9)}{_d(r, 2)}"
    forms: list[Callable[[], str]] = [
        lambda: f"({area}) {line}-{_d(r, 4)}",
        lambda: f"{area}-{line}-{_d(r, 4)}",
        lambda: f"{area}.{line}.{_d(r, 4)}",
        lambda: f"+1 {area} {line} {_d(r, 4)}",
        lambda: f"+1-{area}-{line}-{_d(r, 4)}",
        lambda: f"+44 20 {r.randint(7, 8)}{_d(r, 3)} {_d(r, 4)}",
        lambda: f"+44 7{_d(r, 3)} {_d(r, 6)}",
        lambda: f"020 {r.randint(7, 8)}{_d(r, 3)} {_d(r, 4)}",
        lambda: f"+49 30 {r.randint(2, 9)}{_d(r, 7)}",
        lambda: f"+49 151 {_d(r, 8)}",
        lambda: f"+33 1 {_d(r, 2)} {_d(r, 2)} {_d(r, 2)} {_d(r, 2)}",
        lambda: f"+33 6 {_d(r, 2)} {_d(r, 2)} {_d(r, 2)} {_d(r, 2)}",
        lambda: f"+91 98{_d(r, 3)} {_d(r, 5)}",
        lambda: f"+81 3-{_d(r, 4)}-{_d(r, 4)}",
        lambda: f"+61 2 {_d(r, 4)} {_d(r, 4)}",
        lambda: f"+55 11 9{_d(r, 4)}-{_d(r, 4)}",
        lambda: f"+1{area}{line}{_d(r, 4)}",
    ]
    return r.choice(forms)()


def _ssn(r: random.Random) -> str:
    area = r.choice([a for a in range(1, 900) if a != 666])
    sep = r.choice(("-", "-", "-", " "))
    return f"{area:03d}{sep}{r.randint(1, 99):02d}{sep}{r.randint(1, 9999):04d}"


def _ip(r: random.Random) -> str:
    if r.random() < 0.6:
        return ".".join(str(r.randint(1, 254)) for _ in range(4))
    groups = [f"{r.randint(0, 0xFFFF):x}" for _ in range(8)]
    if r.random() < 0.5:
        return "2001:db8:" + ":".join(groups[2:])
    return f"2001:db8:{groups[2]}::{groups[7]}"


_IBAN_FORMATS = {"DE": ("n", 18), "GB": ("a4n", 14), "FR": ("n", 23), "NL": ("a4n", 10),
                 "ES": ("n", 20), "IT": ("a1n", 22), "BE": ("n", 12)}  # fmt: skip


def _iban(r: random.Random) -> str:
    country = r.choice(list(_IBAN_FORMATS))
    kind, n = _IBAN_FORMATS[country]
    if kind == "a4n":
        bban = "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + _d(r, n)
    elif kind == "a1n":
        bban = r.choice(string.ascii_uppercase) + _d(r, n)
    else:
        bban = _d(r, n)
    number = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    iban = f"{country}{98 - number % 97:02d}{bban}"
    if r.random() < 0.5:
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def _alnum(r: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _secret(r: random.Random) -> str:
    upper = string.ascii_uppercase + string.digits
    forms: list[Callable[[], str]] = [
        lambda: "AKIA" + _alnum(r, 16, upper),
        lambda: "ghp_" + _alnum(r, 36),
        lambda: "sk_live_" + _alnum(r, 24),
        lambda: f"xoxb-{_d(r, 12)}-{_d(r, 12)}-{_alnum(r, 24)}",
        lambda: "AIza" + _alnum(r, 35, string.ascii_letters + string.digits + "_-"),
        lambda: ".".join((_b64url({"alg": "HS256", "typ": "JWT"}),
                          _b64url({"sub": _d(r, 6), "iat": int(_d(r, 9))}),
                          _alnum(r, 43, string.ascii_letters + string.digits + "_-"))),
    ]  # fmt: skip
    return r.choice(forms)()


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _uuid(r: random.Random) -> str:
    h = _hex(r, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def _timestamp(r: random.Random) -> str:
    return r.choice((
        f"2025-0{r.randint(1, 9)}-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}:"
        f"{r.randint(10, 59)}.{_d(r, 3)}Z",
        f"{r.randint(1_600_000_000, 1_800_000_000)}{_d(r, 3)}",
        f"2025/0{r.randint(1, 9)}/{r.randint(10, 28)} {r.randint(10, 23)}:{r.randint(10, 59)}:00",
    ))  # fmt: skip


def _order(r: random.Random) -> str:
    return r.choice((f"ORD-{_d(r, 10)}", f"{_d(r, 12)}", f"INV-2025-{_d(r, 6)}", f"#{_d(r, 9)}"))


def _version(r: random.Random) -> str:
    return r.choice((f"v{r.randint(1, 9)}.{r.randint(0, 40)}.{r.randint(0, 99)}",
                     f"{r.randint(1, 9)}.{r.randint(0, 40)}.{r.randint(0, 99)}.{_d(r, 4)}",
                     f"1.2.840.{_d(r, 5)}.1.1"))  # fmt: skip


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "EMAIL": _email, "CREDIT_CARD": _card, "PHONE": _phone, "SSN": _ssn, "IP": _ip,
    "IBAN": _iban, "SECRET": _secret,
    "TRACE_ID": lambda r: _hex(r, 32), "SPAN_ID": lambda r: _hex(r, 16), "UUID": _uuid,
    "HASH": lambda r: _hex(r, r.choice((32, 40, 64))), "TIMESTAMP": _timestamp,
    "ORDER": _order, "VERSION": _version,
}  # fmt: skip

_KEYS = {
    "EMAIL": "contact", "CREDIT_CARD": "payment", "PHONE": "callback", "SSN": "tax_ref",
    "IP": "client", "IBAN": "payout_account", "SECRET": "header", "TRACE_ID": "trace",
    "SPAN_ID": "span", "UUID": "entity", "HASH": "digest", "TIMESTAMP": "at",
    "ORDER": "order", "VERSION": "build",
}  # fmt: skip

_TEXT_TEMPLATES = (
    "2025-03-15 14:23:01 INFO  [{svc}] user {a} updated profile, ref {b}",
    "WARN payment retry for {a} failed (attempt 3) correlation={b}",
    "ERROR {svc}: could not deliver message to {a}; last seen {b}",
    "DEBUG request from {a} accepted, job {b} queued",
    "{svc} | audit | value={a} | note=rotation scheduled | id {b}",
)
_SERVICES = ("checkout", "billing", "auth-gateway", "notifier", "ledger")


def _json_line(r: random.Random, fills: list[tuple[str, str]]) -> tuple[str, list[Span]]:
    parts, spans = ['{"level":"info","service":"' + r.choice(_SERVICES) + '"'], []
    offset = len(parts[0])
    for kind, value in fills:
        prefix = f',"{_KEYS[kind]}":"'
        start = offset + len(prefix)
        parts.append(prefix + value + '"')
        spans.append(Span(start, start + len(value), kind))
        offset += len(prefix) + len(value) + 1
    parts.append(',"msg":"done"}')
    return "".join(parts), spans


def _text_line(r: random.Random, fills: list[tuple[str, str]]) -> tuple[str, list[Span]]:
    template = r.choice(_TEXT_TEMPLATES).replace("{svc}", r.choice(_SERVICES))
    text, spans = "", []
    rest = template
    for slot, (kind, value) in zip(("{a}", "{b}"), fills, strict=True):
        before, rest = rest.split(slot, 1)
        text += before
        spans.append(Span(len(text), len(text) + len(value), kind))
        text += value
    return text + rest, spans


def generate(n: int, seed: int = 11) -> list[Sample]:
    """``n`` labelled log lines: one positive value and one hard negative in each of 70%, two
    hard negatives in the rest."""
    r = random.Random(seed)
    samples = []
    for i in range(n):
        if r.random() < 0.7:
            kinds = [POSITIVE_TYPES[i % len(POSITIVE_TYPES)], r.choice(NEGATIVE_TYPES)]
        else:
            kinds = [r.choice(NEGATIVE_TYPES), r.choice(NEGATIVE_TYPES)]
        fills = [(kind, GENERATORS[kind](r)) for kind in kinds]
        text, spans = (_json_line if r.random() < 0.5 else _text_line)(r, fills)
        for span, (kind, value) in zip(spans, fills, strict=True):
            assert text[span.start : span.end] == value, (kind, value, text)
        samples.append(Sample(text, tuple(spans)))
    return samples
