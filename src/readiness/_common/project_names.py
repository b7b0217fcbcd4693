"""Project names: the one rule every surface checks, and the default taken from a directory.

A project name appears in configuration files, URLs (``?project=shop``), CLI arguments,
exports and audit events, so it is kept to characters that need no quoting anywhere:
lowercase letters, digits, ``-``, ``_`` and ``.``, starting with a letter or digit, at most
:data:`MAX_LENGTH` characters. Lowercase only, so ``Shop`` and ``shop`` can never be two projects.
"""

from __future__ import annotations

import re

from readiness.errors import InputError

MAX_LENGTH = 64
# Names stored before the rule existed (free strings) may be up to this long; lookups accept them.
STORED_MAX_LENGTH = 200
FALLBACK = "default"
RULE = (
    f"use 1-{MAX_LENGTH} characters from a-z, 0-9, '-', '_' and '.', "
    "starting with a letter or digit"
)

_VALID = re.compile(rf"[a-z0-9][a-z0-9._-]{{0,{MAX_LENGTH - 1}}}")
_INVALID_RUN = re.compile(r"[^a-z0-9._-]+")


def is_valid_project_name(name: str) -> bool:
    """True when ``name`` follows the rule for new project names."""
    return _VALID.fullmatch(name) is not None


def project_name_from(text: str) -> str:
    """The closest valid name to ``text`` (a directory name): ``My Shop`` -> ``my-shop``.

    Runs of other characters become one ``-``; leading separators are dropped; an input with
    nothing usable gives ``default``.
    """
    slug = _INVALID_RUN.sub("-", text.strip().lower())
    slug = slug.lstrip("._-")[:MAX_LENGTH].rstrip("-")
    return slug if is_valid_project_name(slug) else FALLBACK


def validate_project_name(name: str, *, what: str = "project name") -> str:
    """Return ``name`` when it follows the rule, else raise one InputError that suggests a fix."""
    if is_valid_project_name(name):
        return name
    raise InputError(
        f"{what} {name[:80]!r} is not valid: {RULE} (e.g. {project_name_from(name)!r})",
        details={"field": "project", "got": name[:80]},
    )


def check_lookup_name(name: str, *, what: str = "project") -> str:
    """Return ``name`` when it can name a stored project (any printable text up to 200 chars).

    Lookups accept names stored before the naming rule, but never text no project can have
    (control characters, over-long values), which would only reach the database as an error.
    """
    if 0 < len(name) <= STORED_MAX_LENGTH and name.isprintable():
        return name
    shown = name[:80].encode("unicode_escape").decode("ascii")
    raise InputError(
        f"{what} '{shown}' cannot name a project: {RULE}",
        details={"field": "project", "got": shown},
    )
