"""Private files and folders: the data directory, the databases and the secrets.

``.readiness/`` holds test history, audit events, API token digests and signing keys, so what
Readiness creates there is readable by its owner only: folders 0700, files 0600, whatever the
umask (``mkdir``/``open`` modes are filtered by the umask, so the mode is set explicitly after).
SQLite creates a database's ``-wal`` and ``-shm`` files with the database file's own mode, so a
0600 database keeps them private too. Folders that already exist are left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0700 (existing ones are untouched)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(DIR_MODE)
        except FileExistsError:  # another process made it first: not ours to change
            continue
        folder.chmod(DIR_MODE)


def create_private_file(path: Path, content: bytes = b"") -> bool:
    """Create ``path`` with mode 0600 holding ``content``; False when it already exists.

    ``O_EXCL`` makes creation atomic: two processes never both write a new file.
    """
    make_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(content)
    return True
