"""Counts in words: ``1 commit``, ``2 commits``, ``0 entries``. Pure.

Every message that counts something says it through :func:`plural`, so no message reads
"1 commits" or hedges with "commit(s)".
"""

from __future__ import annotations


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
