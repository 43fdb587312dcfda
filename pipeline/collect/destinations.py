"""Where a fetch may go: no request to an address the author did not choose.

URLs reach the fetcher from outside (feed entries, the bookmarklet, redirects, draft links
for ``check``). A public address is fetched; a loopback, private, link-local (such as
169.254.169.254), reserved or multicast address, and the web server's own address and port,
are not, unless the author chose the host: it is the host (and port) of one of their
sources, or on the ``fetch_allow`` list of the settings (``"127.0.0.1"``, ``"localhost:8080"``,
``"10.0.0.0/8"``: a host name, an address or a network, each with an optional port).

The check is made on the addresses the host name resolves to, when the connection is made
(:meth:`FetchPolicy.addresses`, called by the fetcher's connection class), and the socket
connects to the checked address itself, so a second DNS answer cannot point elsewhere
(rebinding), and every redirect hop to another host is checked the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

from pipeline.errors import SourceError
from pipeline.settings import SettingsError

_DEFAULT_PORTS = {"http": 80, "https": 443}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedDestination(SourceError):
    """A URL that points to an address the author did not choose."""

    status = None


@dataclass(frozen=True)
class Allowed:
    """One allowed destination: a host name, or a network, with an optional port."""

    host: str | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    @classmethod
    def parse(cls, text: str) -> Allowed:
        """``"localhost"``, ``"localhost:8080"``, ``"127.0.0.1"``, ``"[::1]:8080"``, ``"10.0.0.0/8"``."""
        text = text.strip().lower()
        if not text:
            raise ValueError("an empty entry")
        host, port = text, None
        if text.startswith("["):  # [v6] or [v6]:port
            host, _, rest = text[1:].partition("]")
            port = _port(rest[1:]) if rest.startswith(":") else None
        elif text.count(":") == 1:
            host, port_text = text.split(":")
            port = _port(port_text)
        try:
            return cls(network=ipaddress.ip_network(host, strict=False), port=port)
        except ValueError:
            pass
        if not host or "/" in host or any(c.isspace() for c in host):
            raise ValueError(f"{text!r} is not a host name, address or network")
        return cls(host=host.rstrip("."), port=port)

    def names(self, host: str, port: int) -> bool:
        return self.host is not None and self.host == host and self.port in (None, port)

    def holds(self, address: Address, port: int) -> bool:
        return (self.network is not None and address.version == self.network.version
                and address in self.network and self.port in (None, port))


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{text!r} is not a port")
    return int(text)


def _address(text: str) -> Address:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is no part of it
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_public(address: Address) -> bool:
    """An address on the internet: not loopback, private, link-local, shared, reserved or multicast."""
    return address.is_global and not address.is_multicast


class FetchPolicy:
    """Which destinations a fetch may connect to (see the module's docstring)."""

    def __init__(self, allow: Iterable[Allowed] = (), own: Iterable[tuple[Address, int]] = ()):
        self.allow = tuple(allow)
        self.own = frozenset(own)  # the web server's own (address, port)

    def chosen(self, host: str, port: int) -> bool:
        """The author named this host (and port): a source's, or on the allow list."""
        host = host.lower().rstrip(".").strip("[]")
        return any(a.names(host, port) for a in self.allow)

    def permits(self, address: Address, port: int) -> bool:
        if any(a.holds(address, port) for a in self.allow):
            return True
        return is_public(address) and (address, port) not in self.own

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host:port``: all it resolves to if the author
        chose the host, else those the policy permits. BlockedDestination if none is;
        socket.gaierror if the name does not resolve."""
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        resolved = list(dict.fromkeys(info[4][0] for info in infos))
        if self.chosen(host, port):
            return resolved
        permitted = [a for a in resolved if self.permits(_address(a), port)]
        if not permitted:
            shown = ", ".join(resolved[:3])
            raise BlockedDestination(
                f"not fetched: {host}:{port} is a local or private address ({shown}), and not one of your "
                f"sources; add it to the setting fetch_allow if you mean it")
        return permitted


def url_destination(url: str) -> tuple[str, int] | None:
    """The host and port a URL connects to, or None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname.lower().rstrip("."), port


def _own_addresses(settings) -> set[tuple[Address, int]]:
    """Where the web server listens: its address, or every address of this machine when it
    listens on all of them (0.0.0.0, ::)."""
    try:
        host = _address(settings.host)
    except ValueError:
        return set()
    if not host.is_unspecified:
        return {(host, settings.port)}
    try:
        names = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        names = set()
    return {(_address(a), settings.port) for a in names}


def build_policy(settings, source_urls: Iterable[str] = ()) -> FetchPolicy:
    """The policy for a newsletter: its ``fetch_allow`` list, and the host and port of each of
    its sources (those given and those of the settings)."""
    try:
        allow = [Allowed.parse(entry) for entry in settings.fetch_allow]
    except ValueError as e:
        raise SettingsError(f"{settings.origin('fetch_allow')}: setting 'fetch_allow' {e}") from None
    for url in [*source_urls, *(s.url for s in settings.sources)]:
        dest = url_destination(url)
        if dest is not None:
            allow.append(Allowed.parse(f"[{dest[0]}]:{dest[1]}" if ":" in dest[0] else f"{dest[0]}:{dest[1]}"))
    return FetchPolicy(allow, own=_own_addresses(settings))


def policy_for(nl) -> FetchPolicy:
    """The policy of an opened newsletter: its settings and the sources in its database."""
    from pipeline.store import sources as source_store

    with nl.session() as s:
        urls = [src.url for src in source_store.all_sources(s)]
    return build_policy(nl.settings, urls)
