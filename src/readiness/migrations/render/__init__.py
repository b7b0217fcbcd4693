"""Renderers of a lint report: text with code frames, JSON, SARIF 2.1.0, GitHub, Markdown."""

from __future__ import annotations

from collections.abc import Callable

from readiness.migrations.model import LintReport
from readiness.migrations.render.formats import github, json_text, markdown, sarif_text
from readiness.migrations.render.text import text

RENDERERS: dict[str, Callable[[LintReport], str]] = {
    "text": text,
    "json": json_text,
    "sarif": sarif_text,
    "github": github,
    "markdown": markdown,
}

__all__ = ["RENDERERS"]
