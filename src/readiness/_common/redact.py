"""Masking secrets in URLs before they are printed or logged (pure string functions).

A database or server URL may carry a password (``postgresql://app:s3cret@db/x``), a token as
user name (``https://rdy_abc@readiness.internal``) or a token in its query
(``https://host/?token=rdy_abc``). Messages name the URL so that a user knows which one failed;
they never show its secrets.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

MASK = "***"

# Query parameters whose value is a credential (compared lower-case, ``-`` read as ``_``).
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "client_secret",
        "credential",
        "credentials",
        "key",
        "pass",
        "passwd",
        "password",
        "private_token",
        "pwd",
        "secret",
        "sig",
        "signature",
        "token",
    }
)
# Schemes where a user name alone is usually a token (git and HTTP clients accept it that way).
_TOKEN_USER_SCHEMES = frozenset({"http", "https"})

# A URL inside free text: scheme://, then anything up to whitespace or a quote.
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


def _is_secret_param(name: str) -> bool:
    key = name.lower().replace("-", "_")
    return key in SECRET_PARAMS or key.endswith(("_token", "_secret", "_password"))


def _mask_query(query: str) -> str:
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_is_secret_param(name) and value for name, value in pairs):
        return query
    return "&".join(
        f"{name}={MASK if _is_secret_param(name) and value else value}" for name, value in pairs
    )


def mask_url(url: str) -> str:
    """``url`` with its password, token-like user name and secret query values as ``***``.

    >>> mask_url("postgresql+psycopg://app:s3cret@db:5432/state?sslmode=require")
    'postgresql+psycopg://app:***@db:5432/state?sslmode=require'
    >>> mask_url("https://rdy_abc@readiness.internal/?token=rdy_abc")
    'https://***@readiness.internal/?token=***'
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # not parseable (e.g. an unclosed IPv6 bracket): hide it all
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _password = userinfo.partition(":")
        if has_password:
            userinfo = f"{user}:{MASK}"
        elif parts.scheme.lower() in _TOKEN_USER_SCHEMES:
            userinfo = MASK
        netloc = f"{userinfo}@{hostport}"
    query = _mask_query(parts.query)
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing secret: the URL exactly as given (``sqlite:////abs/path`` too)
    rebuilt = f"{parts.scheme}://{netloc}{parts.path}"
    rebuilt += f"?{query}" if query else ""
    return rebuilt + (f"#{parts.fragment}" if parts.fragment else "")


def mask_urls(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every URL in it masked (:func:`mask_url`) and each of ``secrets`` as ``***``.

    ``secrets`` are values known to be secret wherever they appear (the API token in use);
    values shorter than 8 characters are left alone, so a short one cannot blank common words.
    """
    masked = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
    for secret in secrets:
        if len(secret) >= 8:
            masked = masked.replace(secret, MASK)
    return masked
