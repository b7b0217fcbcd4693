"""Renderers of a lint report: text (with code frames), JSON, SARIF 2.1.0, GitHub annotations."""

from collections.abc import Callable

from readiness.logcheck.lint import LintReport
from readiness.logcheck.render.formats import github, json_text, sarif_text
from readiness.logcheck.render.text import text

RENDERERS: dict[str, Callable[[LintReport], str]] = {
    "text": text,
    "json": json_text,
    "sarif": sarif_text,
    "github": github,
}

__all__ = ["RENDERERS", "github", "json_text", "sarif_text", "text"]
