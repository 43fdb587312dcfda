"""What a host is, by its name or address alone (no DNS): the one ``is_loopback`` that the web
server's author-only checks and the SMTP password rule share."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 (with or without brackets) or a loopback name such as ``localhost``."""
    if not host:
        return False
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
