"""Projects over HTTP: ``/api/v1/projects``. Readers list the projects their token may use;
admins create, rename and delete them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from readiness.storage.projects import Project
from readiness.web.deps import (
    Principal,
    get_settings,
    project_service,
    require_admin,
    require_reader,
)
from readiness.web.errors import error_responses
from readiness.web.inputs import JsonBody

router = APIRouter(prefix="/projects", tags=["projects"])

Reader = Annotated[Principal, Depends(require_reader)]
Admin = Annotated[Principal, Depends(require_admin)]


class ProjectRequest(JsonBody):
    """Body of ``POST /api/v1/projects``."""

    name: str = Field(min_length=1, max_length=200, examples=["shop"])


class ProjectRename(JsonBody):
    """Body of ``PATCH /api/v1/projects/{name}``: the new name."""

    name: str = Field(min_length=1, max_length=200, examples=["shop-api"])


class ProjectView(BaseModel):
    """A project as the API shows it."""

    id: int
    name: str
    created_at: Annotated[str, Field(json_schema_extra={"format": "date-time"})]
    created_by: str
    default: bool = Field(description="Whether it is the server's default project.")


def project_view(project: Project, *, default: str) -> dict[str, Any]:
    """One project as the API shows it."""
    return {
        "id": project.id,
        "name": project.name,
        "created_at": project.created_at.isoformat(),
        "created_by": project.created_by,
        "default": project.name == default,
    }


@router.get("", response_model=list[ProjectView])
def list_projects(request: Request, who: Reader) -> list[dict[str, Any]]:
    """The projects this token may use, by name; ``default`` marks the server's default one."""
    default = get_settings(request).project
    return [
        project_view(p, default=default)
        for p in project_service(request).list(allowed=who.projects)
    ]


@router.get("/{name}", response_model=ProjectView)
def get_project(request: Request, name: str, who: Reader) -> dict[str, Any]:
    """One project (403 when the token may not use it, 404 when it does not exist)."""
    settings = get_settings(request)
    found = project_service(request).resolve(
        name, allowed=who.projects, default=settings.project, token=who.name
    )
    return project_view(found, default=settings.project)


@router.post("", status_code=201, responses=error_responses(409), response_model=ProjectView)
def create_project(request: Request, body: ProjectRequest, who: Admin) -> dict[str, Any]:
    """Create a project (409 when the name is taken)."""
    created = project_service(request, who.actor).create(body.name)
    return project_view(created, default=get_settings(request).project)


@router.patch("/{name}", responses=error_responses(409), response_model=ProjectView)
def rename_project(request: Request, name: str, body: ProjectRename, who: Admin) -> dict[str, Any]:
    """Rename a project; its data, token limits and history follow the new name."""
    renamed = project_service(request, who.actor).rename(name, body.name)
    return project_view(renamed, default=get_settings(request).project)


@router.delete("/{name}", responses=error_responses(409), response_model=ProjectView)
def delete_project(request: Request, name: str, who: Admin) -> dict[str, Any]:
    """Delete an empty project (409 while it holds data)."""
    deleted = project_service(request, who.actor).delete(name)
    return project_view(deleted, default=get_settings(request).project)
