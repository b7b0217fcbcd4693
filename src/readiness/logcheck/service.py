"""Use cases of the log-call linter: lint paths or uploaded texts with the project's settings."""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Iterable, Iterator
from pathlib import Path

from readiness.config import LogsSettings, Settings
from readiness.errors import InputError
from readiness.logcheck.lint import RULES, LintOptions, LintReport, Severity, SourceError
from readiness.logcheck.lint.engine import lint_texts as _lint_texts
from readiness.logcheck.lint.model import DEFAULT_PRINT_ALLOWED

#: Directories never walked into: environments, caches, build output, VCS data.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
        "site-packages",
    }
)


def options_from(config: LogsSettings, *, disable: Iterable[str] = ()) -> LintOptions:
    """Lint options from ``[tool.readiness.logs]``; an unknown rule id is an input error."""
    disabled = {*config.disable, *disable}
    unknown = sorted(r for r in disabled if r not in RULES)
    if unknown:
        raise InputError(
            f"[tool.readiness.logs] disable: unknown rule {', '.join(unknown)}; "
            "`readiness logs rules` lists them"
        )
    return LintOptions(
        pii_names=tuple(config.pii_names),
        safe_names=frozenset(config.safe_names),
        field_aliases=dict(config.field_aliases),
        disable=frozenset(disabled),
        print_allowed=(
            DEFAULT_PRINT_ALLOWED if config.print_allowed is None else tuple(config.print_allowed)
        ),
        stack_frames=config.stack_frames,
    )


# Directories at a project's root that hold no service code of its own.
NOT_SERVICE_CODE = frozenset({"tests", "test", "docs", "examples", "benchmarks", "build", "dist"})


def configured_paths(settings: Settings) -> list[Path]:
    """``lint_paths`` of ``[tool.readiness.logs]``; without them the project's code as Python
    projects lay it out: ``src/`` if there is one, else the packages at the root (directories
    with an ``__init__.py``, not tests, docs, examples or benchmarks). Empty: nothing found."""
    if settings.logs.lint_paths:
        return [settings.path(p) for p in settings.logs.lint_paths]
    root = settings.root
    if (root / "src").is_dir():
        return [root / "src"]
    return sorted(
        d
        for d in root.iterdir()
        if d.is_dir()
        and (d / "__init__.py").is_file()
        and d.name not in NOT_SERVICE_CODE
        and d.name not in SKIPPED_DIRS
        and not d.name.startswith(".")
    )


def python_files(target: Path) -> Iterator[Path]:
    """``target`` if it is a file, else its ``.py`` files in name order (skipping SKIPPED_DIRS)."""
    if not target.is_dir():
        yield target
        return
    for root, dirs, files in os.walk(target):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(root) / name


def shown_path(path: Path, *bases: Path) -> str:
    """``path`` relative to the first base it is under (what findings and print_allowed use)."""
    absolute = path.absolute()  # not resolve(): a symlink keeps its own name
    for base in bases:
        try:
            return absolute.relative_to(base.absolute()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def decode(data: bytes) -> str:
    """Python source bytes as text, honouring a coding cookie or BOM (PEP 263)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode("utf-8-sig" if encoding == "utf-8-sig" else encoding)


def lint(
    targets: Iterable[str | Path], options: LintOptions, *, base: Path, root: Path | None = None
) -> LintReport:
    """Lint every Python file under ``targets``. A path that cannot be read is an ``unreadable``
    error; a file that does not decode or parse is reported and the others are linted."""
    texts: list[tuple[str, str]] = []
    errors: list[SourceError] = []
    undecodable = 0
    for target in targets:
        for path in python_files(Path(target)):
            shown = shown_path(path, base, *([root] if root else []))
            try:
                data = path.read_bytes()
            except OSError as exc:
                reason = f"cannot be read ({exc.strerror or type(exc).__name__})"
                errors.append(SourceError(shown, 0, 0, reason, unreadable=True))
                continue
            try:
                texts.append((shown, decode(data)))
            except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
                undecodable += 1
                errors.append(SourceError(shown, 1, 1, f"cannot be decoded: {exc}"))
    report = _lint_texts(texts, options)
    report.files += undecodable
    report.errors[:0] = errors
    return report


#: The name findings give the source read from stdin when ``--stdin-filename`` names none.
STDIN_NAME = "<stdin>"


def lint_bytes(data: bytes, name: str, options: LintOptions) -> LintReport:
    """Lint one module's bytes (``logs lint -``: what stdin held) under the name ``name``.

    Treated as a file of that name would be: text that does not decode or parse is the report's
    error (the run fails, exit 1), not an exception. No bytes at all is nothing to lint, as a
    directory without a Python file: a report of 0 files."""
    if not data:
        return LintReport()
    try:
        source = decode(data)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        return LintReport(files=1, errors=[SourceError(name, 1, 1, f"cannot be decoded: {exc}")])
    return _lint_texts([(name, source)], options)


def lint_texts(files: Iterable[tuple[str, str]], options: LintOptions) -> LintReport:
    """Lint uploaded ``(path, source)`` pairs; nothing is read from disk."""
    return _lint_texts(list(files), options)


def fails(report: LintReport, fail_on: Severity) -> bool:
    """Whether the report fails at ``fail_on``: a finding at or above it, or a file that could
    not be linted (it may hide what the gate looks for)."""
    return bool(report.failing(fail_on) or report.errors)
