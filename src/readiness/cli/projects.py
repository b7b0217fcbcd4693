"""``readiness projects``: list, create, rename and delete projects.

Against the local database, or against a shared server when ``READINESS_URL`` is set (its
``/api/v1/projects``; creating, renaming and deleting need an admin token there).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Protocol

import typer

from readiness.console import Format, FormatOption, console, emit_json, state
from readiness.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    ReadinessError,
    RemoteError,
)

app = typer.Typer(no_args_is_help=True, help="Projects: list, create, rename, delete.")

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The project's name.")]


class _Projects(Protocol):
    def list(self) -> list[dict[str, Any]]: ...
    def create(self, name: str) -> dict[str, Any]: ...
    def rename(self, old: str, new: str) -> dict[str, Any]: ...
    def delete(self, name: str) -> dict[str, Any]: ...


def _view(project: Any) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "created_at": project.created_at.isoformat(),
        "created_by": project.created_by,
    }


class _Local:
    """The projects of the local database."""

    def __init__(self, ctx: typer.Context) -> None:
        from readiness.projects.service import ProjectService
        from readiness.storage import open_stores

        cli = state(ctx)
        self.stores = open_stores(cli.settings)
        self.service = ProjectService(stores=self.stores, clock=cli.clock, actor=cli.actor)

    def list(self) -> list[dict[str, Any]]:
        return [_view(p) for p in self.service.list()]

    def create(self, name: str) -> dict[str, Any]:
        return _view(self.service.create(name))

    def rename(self, old: str, new: str) -> dict[str, Any]:
        return _view(self.service.rename(old, new))

    def delete(self, name: str) -> dict[str, Any]:
        return _view(self.service.delete(name))

    def close(self) -> None:
        self.stores.dispose()


_ERRORS: dict[int, type[ReadinessError]] = {
    400: InputError,
    401: AuthError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InputError,
}


class _Remote:
    """The projects of a shared server (``/api/v1/projects``)."""

    def __init__(self, ctx: typer.Context) -> None:
        import httpx

        settings = state(ctx).settings
        token = settings.resolved_token()
        if not token:
            raise ConfigError(
                f"READINESS_URL is set ({settings.url}) but no token: set READINESS_TOKEN "
                "or token_file to a token of the server"
            )
        self.base = str(settings.url).rstrip("/")
        self.http = httpx.Client(
            base_url=f"{self.base}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(60.0, connect=10.0),
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"Readiness server {self.base} unreachable: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200] or response.reason_phrase
            error = _ERRORS.get(response.status_code, RemoteError)
            raise error(f"server {self.base}: {message}")
        try:
            return response.json()
        except ValueError as exc:
            raise RemoteError(
                f"server {self.base}: answered {response.status_code} without JSON; "
                "is READINESS_URL a Readiness server?"
            ) from exc

    def list(self) -> list[dict[str, Any]]:
        return [_strip(p) for p in self._call("GET", "/projects")]

    def create(self, name: str) -> dict[str, Any]:
        return _strip(self._call("POST", "/projects", json={"name": name}))

    def rename(self, old: str, new: str) -> dict[str, Any]:
        return _strip(self._call("PATCH", f"/projects/{old}", json={"name": new}))

    def delete(self, name: str) -> dict[str, Any]:
        return _strip(self._call("DELETE", f"/projects/{name}"))

    def close(self) -> None:
        self.http.close()


def _strip(data: dict[str, Any]) -> dict[str, Any]:
    # The server's own default project is not this checkout's concern.
    return {k: v for k, v in data.items() if k != "default"}


@contextmanager
def _projects(ctx: typer.Context) -> Iterator[_Projects]:
    client: _Local | _Remote = _Remote(ctx) if state(ctx).settings.is_remote else _Local(ctx)
    try:
        yield client
    finally:
        client.close()


@app.command("list")
def list_cmd(ctx: typer.Context, fmt: Format = FormatOption) -> None:
    """List projects; `*` marks this checkout's project."""
    current = state(ctx).settings.project
    with _projects(ctx) as projects:
        found = projects.list()
    for p in found:
        p["current"] = p["name"] == current
    if fmt is Format.JSON:
        emit_json(found)
        return
    if not found:
        console.print(
            f"no projects yet; the first `readiness tests ingest` creates {current!r}, "
            f"or run `readiness projects create {current}`"
        )
        return
    width = max(len(p["name"]) for p in found)
    for p in found:
        mark = "*" if p["current"] else " "
        console.print(
            f"{mark} {p['name']:<{width}}  created {p['created_at'][:10]} by {p['created_by']}",
            markup=False,
        )


@app.command("create")
def create_cmd(ctx: typer.Context, name: NameArg, fmt: Format = FormatOption) -> None:
    """Create a project (a server needs one before a writer token may ingest into it)."""
    with _projects(ctx) as projects:
        created = projects.create(name)
    if fmt is Format.JSON:
        emit_json(created)
        return
    console.print(f"project {created['name']!r} created", markup=False)


@app.command("rename")
def rename_cmd(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(metavar="OLD", help="The project's current name.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="Its new name.")],
    fmt: Format = FormatOption,
) -> None:
    """Rename a project; its history, quarantine and token limits follow the new name."""
    with _projects(ctx) as projects:
        renamed = projects.rename(old, new)
    if fmt is Format.JSON:
        emit_json(renamed)
        return
    console.print(
        f"project {old!r} renamed to {renamed['name']!r}; its data and token limits moved with it",
        markup=False,
    )


@app.command("delete")
def delete_cmd(ctx: typer.Context, name: NameArg, fmt: Format = FormatOption) -> None:
    """Delete an empty project (one that holds data is refused: rename it instead)."""
    with _projects(ctx) as projects:
        deleted = projects.delete(name)
    if fmt is Format.JSON:
        emit_json(deleted)
        return
    console.print(f"project {deleted['name']!r} deleted", markup=False)
