"""Counts in words: ``1 commit``, ``2 commits``, ``0 entries``. Pure.

Every message that counts something says it through :func:`plural`, so no message reads
"1 commits" or hedges with "commit(s)"; a value a user gave is shown with :func:`shown` and
:func:`kind_of`, in the words of the file they wrote it in, never as a Python repr.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time


def plural_noun(n: int, noun: str, many: str | None = None) -> str:
    """``noun`` for one, else its plural: ``many`` when given, else the regular English form.

    >>> plural_noun(1, "entry"), plural_noun(2, "entry"), plural_noun(0, "match")
    ('entry', 'entries', 'matches')
    """
    if n == 1:
        return noun
    if many is not None:
        return many
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``n`` followed by ``noun`` in the number ``n`` asks for.

    >>> plural(0, "commit"), plural(1, "commit"), plural(2, "commit")
    ('0 commits', '1 commit', '2 commits')
    >>> plural(1_200, "test result")
    '1200 test results'
    """
    return f"{n} {plural_noun(n, noun, many)}"


def shown(value: object) -> str:  # noqa: PLR0911 - one return per kind of value
    """``value`` as a user wrote it in TOML or JSON, for a message: never a Python repr.

    >>> shown("next month"), shown(None), shown([1, "a"]), shown(True)
    ('"next month"', 'nothing', '[1, "a"]', 'true')
    """
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {shown(v)}" for k, v in value.items()) + "}"
    return str(value)


def kind_of(value: object) -> str:
    """What ``value`` is in TOML words: ``a string``, ``an integer``, ``a date``, ...

    >>> kind_of("x"), kind_of(3), kind_of([])
    ('a string', 'an integer', 'an array')
    """
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, datetime):
        return "a date and time"
    for kind, words in _KINDS:
        if isinstance(value, kind):
            return words
    return "a value"


_KINDS: tuple[tuple[type, str], ...] = (
    (str, "a string"),
    (int, "an integer"),
    (float, "a number"),
    (date, "a date"),
    (time, "a time"),
    (list, "an array"),
    (tuple, "an array"),
    (dict, "a table"),
)
