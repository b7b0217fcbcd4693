"""The lint pipeline: sources -> statements -> schema state + rules -> suppressions -> report."""

from __future__ import annotations

from readiness.migrations.lint.engine import LintOptions, lint_files, lint_paths

__all__ = ["LintOptions", "lint_files", "lint_paths"]
