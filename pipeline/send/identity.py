"""Who is sending: an owner id per process, and whether an owner on this machine is gone.

Leases and claims carry ``host:pid:random``. A later run on the same machine can then tell
that the process holding a lease or claims was killed, and take over at once instead of
waiting for the lease to expire (owners on other machines are trusted until it does).
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path


def new_owner() -> str:
    """'host:pid:random' — the pid lets a later run on this host see that we died."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def owner_is_dead(owner: str | None) -> bool:
    """True only when the owner ran on this machine and its process is gone."""
    if not owner:
        return False
    parts = owner.split("/", 1)[0].split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


