"""The handbook's own form of the check (21.6, "The migration CI check"): run the previous
application version's test suite against the migrated database.

The suite is a directory, or a directory at a git ref (``git archive``); it runs with pytest in
a subprocess whose environment names the scratch database (``DATABASE_URL`` by default). It is
run once before the pending migrations (tests already failing are reported apart) and after
each pending statement, so a test that starts failing is attributed to the statement.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from defusedxml import ElementTree

from readiness.errors import InputError


def database_url(dsn: str, dbname: str) -> str:
    """``dsn`` (a URL) pointing at ``dbname`` instead, as ``postgresql://``."""
    parts = urlsplit(dsn.replace("postgresql+psycopg://", "postgresql://", 1))
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, "", ""))


@contextmanager
def suite_directory(path: Path, ref: str | None) -> Iterator[Path]:
    """``path`` itself, or ``path`` as it was at git ``ref`` (extracted to a temp directory)."""
    if ref is None:
        if not path.is_dir():
            raise InputError(f"--previous-tests {str(path)!r} is not a directory of tests")
        yield path
        return
    repo = subprocess.run(  # noqa: S603 - fixed git arguments
        ["git", "-C", str(path if path.is_dir() else Path.cwd()), "rev-parse", "--show-toplevel"],  # noqa: S607
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if repo.returncode != 0:
        raise InputError(f"--previous-ref needs a git repository ({repo.stderr.strip()})")
    top = Path(repo.stdout.strip())
    relative = path.resolve().relative_to(top) if path.is_absolute() else path
    archive = subprocess.run(  # noqa: S603 - fixed git arguments
        ["git", "-C", str(top), "archive", "--format=tar", ref, str(relative)],  # noqa: S607
        capture_output=True, check=False,
    )  # fmt: skip
    if archive.returncode != 0:
        message = archive.stderr.decode(errors="replace").strip()
        raise InputError(f"cannot read {relative} at --previous-ref {ref!r} ({message})")
    with tempfile.TemporaryDirectory(prefix="readiness-suite-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / relative


def run_suite(directory: Path, env_name: str, url: str) -> dict[str, str]:
    """Run pytest on ``directory`` with ``env_name=url``: failing test id -> first error line."""
    directory = directory.resolve()
    with tempfile.TemporaryDirectory(prefix="readiness-junit-") as tmp:
        junit = Path(tmp) / "junit.xml"
        env = {**os.environ, env_name: url}
        # A suite without its own pytest configuration must not pick up the configuration of
        # a project above it (ours included): give it an empty one.
        own = [directory / n for n in ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini")]
        config = [] if any(p.is_file() for p in own) else ["-c", str(Path(tmp) / "pytest.ini")]
        (Path(tmp) / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        subprocess.run(  # noqa: S603 - our own interpreter running pytest
            [sys.executable, "-m", "pytest", str(directory), "-q", "-p", "no:cacheprovider",
             f"--junitxml={junit}", f"--rootdir={directory}", *config],
            cwd=directory, env=env, capture_output=True, check=False,
        )  # fmt: skip
        if not junit.exists():
            raise InputError(f"the previous test suite in {str(directory)!r} did not run")
        return failures(junit.read_text(encoding="utf-8"))


def failures(junit_xml: str) -> dict[str, str]:
    """Failing or erroring test cases of a JUnit report: ``classname::name`` -> message."""
    root = ElementTree.fromstring(junit_xml)
    out: dict[str, str] = {}
    for case in root.iter("testcase"):
        for tag in ("failure", "error"):
            found = case.find(tag)
            if found is not None:
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                message = (found.get("message") or found.text or tag).strip().splitlines()
                out[name] = message[0] if message else tag
                break
    return out
