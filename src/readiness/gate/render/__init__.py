"""Render a :class:`GateReport` as text, Markdown, JSON, JUnit XML or SARIF 2.1.0.

Every renderer is a pure function of the report and returns a string; the CLI writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from readiness.errors import InputError
from readiness.gate.model import GateReport
from readiness.gate.render.json import render_json
from readiness.gate.render.junit import render_junit
from readiness.gate.render.markdown import render_markdown
from readiness.gate.render.sarif import render_sarif
from readiness.gate.render.text import render_text

__all__ = [
    "FORMATS",
    "render",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_sarif",
    "render_text",
]

_RENDERERS: Final[dict[str, Callable[[GateReport], str]]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
    "junit": render_junit,
    "sarif": render_sarif,
}
FORMATS: Final[tuple[str, ...]] = tuple(_RENDERERS)


def render(report: GateReport, fmt: str, *, dashboard_url: str | None = None) -> str:
    """Render ``report`` in format ``fmt`` (one of :data:`FORMATS`).

    ``dashboard_url`` (the project's gates page on a server) is linked from the Markdown.
    """
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise InputError(
            f"gate output format {fmt!r} is not supported; use one of {', '.join(FORMATS)}"
        ) from None
    if fmt == "markdown":
        return render_markdown(report, dashboard_url=dashboard_url)
    return renderer(report)
