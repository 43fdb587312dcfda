"""Writing files so that readers never see half of one: the author's drafts, the built site; and
folders for personal data, owner-only (0700; what is created in them, 0600)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def private_dir(path: str | os.PathLike) -> Path:
    """``path`` as an existing owner-only folder (0700), made with its parents if missing; an
    existing folder is made owner-only. For personal data: the outbox, the drafts."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def private_file(path: str | os.PathLike) -> Path:
    """``path`` as an existing owner-only file (0600): created empty if missing, else chmod'ed.
    An existing file is never opened: closing any descriptor of a file drops every POSIX lock
    this process holds on it, and SQLite's locks on the database are such locks."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    return path


def write_atomic(path: str | os.PathLike, data: bytes, *, new_mode: int | None = None) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file.
    ``new_mode``: the mode of a new file (0600 for personal data) instead of the usual one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # keep the mode of the file replaced; a new file gets the usual mode (0644 under umask
        # 022), not mkstemp's 0600, so a web server running as another user can read the site
        fresh = 0o666 & ~_umask() if new_mode is None else new_mode
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else fresh)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def draft_path_of(path: Path, root: Path) -> str:
    """How an issue row records its draft: relative to the newsletter folder (POSIX), so the
    folder may move; a draft outside it keeps its full path."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)
