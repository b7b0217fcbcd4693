"""Which project a request acts on, and whether its token may: pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Collection

from readiness.errors import PermissionDeniedError


def choose_project(requested: str | None, *, allowed: Collection[str] | None, default: str) -> str:
    """The project a call acts on: the one it names, else its token's only project, else
    ``default`` (the server's default project).

    ``allowed`` is None for a token that may act on every project.
    """
    if requested is not None:
        return requested
    if allowed is not None and len(allowed) == 1:
        return next(iter(allowed))
    return default


def check_allowed(name: str, *, allowed: Collection[str] | None, token: str) -> None:
    """Raise PermissionDeniedError (403) when a token limited to ``allowed`` names ``name``.

    This runs before the project is looked up, so a limited token learns nothing about the
    projects outside its list, not even whether they exist.
    """
    if allowed is None or name in allowed:
        return
    limits = ", ".join(sorted(allowed)) or "no project"
    raise PermissionDeniedError(
        f"token {token!r} may not use project {name!r}; it is limited to: {limits}. "
        f"Choose one of those, or ask an admin for a token that may use {name!r}",
        details={"project": name, "allowed": sorted(allowed)},
    )
