"""The application factory: ``create_app(settings)`` wires auth, errors, plugins and pages."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import NoMatchFound

import readiness
from readiness._common.clock import Clock, SystemClock
from readiness.config import Settings
from readiness.errors import ConfigError, StorageError
from readiness.server.gates_page import gates_page
from readiness.server.routes import (
    gates,
    meta,
    notify,
    projects,
    session,
    sessions,
    tokens,
)
from readiness.storage import Stores, open_stores
from readiness.web.deps import Principal, require_reader
from readiness.web.errors import API_ERRORS, error_responses, install_error_handlers
from readiness.web.headers import SecurityHeadersMiddleware
from readiness.web.limits import (
    LOG_TEXT_LIMIT,
    SOURCE_TEXT_LIMIT,
    UPLOAD_LIMIT,
    BodyLimitMiddleware,
)
from readiness.web.pages import DashboardPage, make_templates
from readiness.web.query import refuse_repeated_query

STATIC_DIR = Path(__file__).parent.parent / "web" / "static"
KEY_BYTES = 32
API_PREFIX = "/api/v1"
log = logging.getLogger("readiness.server")


def load_session_key(path: Path) -> bytes:
    """The dashboard signing key; created with 32 random bytes when missing.

    A new key file is 0600 in folders created 0700, whatever the umask.
    """
    from readiness.storage.files import create_private_file

    try:
        create_private_file(path, os.urandom(KEY_BYTES))
    except OSError as exc:
        raise ConfigError(
            f"server.secret_key_file {path}: cannot be created ({exc.strerror}); "
            "make its folder writable or point secret_key_file elsewhere"
        ) from exc
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"server.secret_key_file {path}: cannot be read ({exc.strerror}); fix its permissions"
        ) from exc
    if len(key) < KEY_BYTES:
        raise ConfigError(
            f"server.secret_key_file {path}: holds {len(key)} bytes, expected at least "
            f"{KEY_BYTES}; delete it to have a new key generated"
        )
    return key


def _mount_path(path: str) -> str:
    return "" if path == "/" else path.rstrip("/")


def create_app(
    settings: Settings,
    *,
    stores: Stores | None = None,
    clock: Clock | None = None,
    pm: Any = None,
    extra_routers: Sequence[APIRouter] = (),
    extra_pages: Sequence[DashboardPage] = (),
    extra_root_routers: Sequence[APIRouter] = (),
    notify_worker: bool = False,
    relay_worker: bool = False,
) -> FastAPI:
    """Build the server: API routers and dashboard pages come from plugins (``pm``).

    With ``notify_worker`` (``readiness serve`` passes ``notify.worker``) the webhook delivery
    worker runs in a background thread for the app's lifetime; with ``relay_worker`` (``readiness
    serve``) so does the audit outbox's relay, instead of relaying in each request.
    """
    if pm is None:
        from readiness.plugins import get_plugin_manager

        pm = get_plugin_manager()
    routers: list[APIRouter] = [r for group in pm.hook.readiness_api_routers() for r in group]
    routers.extend(extra_routers)
    root_routers: list[APIRouter] = [r for group in pm.hook.readiness_root_routers() for r in group]
    root_routers.extend(extra_root_routers)
    pages: list[DashboardPage] = [p for group in pm.hook.readiness_dashboard_pages() for p in group]
    pages.extend(extra_pages)
    pages.append(gates_page())

    app = FastAPI(
        title="Readiness",
        version=readiness.__version__,
        description="Production-readiness platform: flaky tests, contracts, audit, gates.",
        lifespan=_lifespan,
        # The schema is served below behind a token; no Swagger UI (it loads from a CDN).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(refuse_repeated_query)],
    )
    app.state.settings = settings
    app.state.stores = stores if stores is not None else open_stores(settings)
    app.state.owns_stores = stores is None
    app.state.clock = clock or SystemClock()
    app.state.notify_worker = notify_worker
    app.state.relay_worker = relay_worker
    app.state.notify_sweeps = [
        s for group in pm.hook.readiness_notify_sweeps(settings=settings) for s in group
    ]
    _prepare_default_project(settings, app.state.stores, app.state.clock)
    app.state.session_key = load_session_key(settings.path(settings.server.secret_key_file))
    app.state.templates = make_templates(p.templates for p in pages if p.templates)
    app.state.version = readiness.__version__
    app.state.nav = [
        {"title": p.title, "path": p.path, "role": p.role}
        for p in sorted(pages, key=lambda p: (p.nav_order or 0, p.title))
        if p.nav_order is not None
    ]

    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        prefixes={
            f"{API_PREFIX}/tests/runs": UPLOAD_LIMIT,
            f"{API_PREFIX}/logs/scan": LOG_TEXT_LIMIT,
            f"{API_PREFIX}/logs/lint": SOURCE_TEXT_LIMIT,
        },
    )
    app.add_middleware(SecurityHeadersMiddleware)  # added last: outermost, sees every response

    app.include_router(meta.router)
    app.include_router(session.router)
    app.include_router(notify.page_router)
    errors = error_responses(*API_ERRORS)
    for router in (
        tokens.router,
        sessions.router,
        notify.router,
        projects.router,
        gates.router,
        *routers,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=errors)
    for router in root_routers:  # the same routers at the root (clients' own base URLs)
        app.include_router(router, responses=errors, include_in_schema=False)
    app.state.api_roots = _roots(root_routers)
    for page in pages:
        app.include_router(page.router, prefix=_mount_path(page.path), include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_: Annotated[Principal, Depends(require_reader)]) -> dict[str, Any]:
        """The OpenAPI document of every API route (reader role)."""
        return app.openapi()

    return app


def prepare_routes(app: FastAPI) -> None:
    """Build every route's request handling now rather than on the first request.

    FastAPI resolves an included router's routes (parameters, pydantic adapters) lazily, the first
    time a request walks past them: about half a second for this application's ~200 routes, paid
    by whoever sends the first request (seconds on a loaded machine, past a client's timeout).
    ``readiness serve`` calls this before it listens. Asking for the URL of a name no route has
    walks every route once; the answer (no such route) is expected.
    """
    try:
        app.url_path_for(_NO_ROUTE)
    except NoMatchFound:
        return


#: A route name nothing registers (a NUL cannot appear in a Python function name).
_NO_ROUTE = "\0prepare-routes"


def _roots(routers: Sequence[Any]) -> tuple[str, ...]:
    """The first path segments of root-mounted routers' routes: their errors are answered in
    JSON. FastAPI 0.16x keeps an included router nested (``original_router``): walked too."""
    found: set[str] = set()
    for router in routers:
        prefix = getattr(router, "prefix", "")
        if prefix:
            found.add("/" + prefix.split("/")[1])
            continue
        for route in router.routes:
            nested = getattr(route, "original_router", None)
            if nested is not None:
                found.update(_roots([nested]))
                continue
            path = getattr(route, "path", "")
            if path.startswith("/") and len(path) > 1:
                found.add("/" + path.split("/")[1])
    return tuple(sorted(found))


def _prepare_default_project(settings: Settings, stores: Stores, clock: Clock) -> None:
    """A new server's first project is its default one (``project``, else its directory name).

    Further projects are created by an admin. A database that already holds projects but not
    the default one gets a warning: calls that name no project will answer 404.
    """
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from readiness.projects.service import ProjectService

    service = ProjectService(stores=stores, clock=clock, actor="server")
    try:
        known = [p.name for p in service.list()]
        if not known:
            service.ensure(settings.project)
    except (OperationalError, ProgrammingError) as exc:
        raise StorageError(
            "the state database has no projects table: its schema is older than this "
            "version; run `readiness db upgrade`"
        ) from exc
    if known and settings.project not in known:
        hint = service.legacy_hint(settings.project)
        log.warning(
            "default project %r does not exist (known: %s); %s",
            settings.project,
            ", ".join(known),
            hint or "set project in the server's configuration",
        )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    from readiness.audit.service import start_relay_worker

    relayer = (
        start_relay_worker(app.state.stores, app.state.clock) if app.state.relay_worker else None
    )
    worker = None
    if app.state.notify_worker:
        from readiness.notify.worker import DeliveryWorker

        worker = DeliveryWorker(
            app.state.stores,
            settings=app.state.settings.notify,
            clock=app.state.clock,
            sweeps=app.state.notify_sweeps,
        )
        worker.start()
    yield
    if worker is not None:
        worker.stop()
    if relayer is not None:
        relayer.stop()  # relays what is left
    for name in ("audit_ledger", "audit_query_ledger"):  # the audit log's sequencers
        ledger = getattr(app.state, name, None)
        if ledger is not None:
            ledger.close()
    if app.state.owns_stores:
        app.state.stores.dispose()
