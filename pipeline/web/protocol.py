"""uvicorn's h11 protocol with the limits it lacks: a deadline for each request's headers
(slowloris), a cap on open connections in all and per client address. A connection over a
cap is closed as soon as it is accepted, so its file descriptor is free again at once."""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def _trusted(config) -> set[str]:
    """The proxies uvicorn takes X-Forwarded-For from: all of a site's readers come through
    them, so the per-client cap does not apply to them."""
    value = config.forwarded_allow_ips
    items = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    return {item.strip() for item in items if item.strip()}


def guarded_protocol(*, header_timeout: float, max_connections: int, max_per_client: int) -> type:
    """The protocol class for uvicorn.Config(http=...), with these limits."""

    class GuardedH11Protocol(H11Protocol):
        def __init__(self, config, server_state, app_state, _loop=None):
            super().__init__(config, server_state, app_state, _loop)
            self._trusted = _trusted(config)
            self._header_timer = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if self._over_cap():
                transport.abort()  # no answer: the client gets a reset, the descriptor is freed now
                return
            self._arm_header_timer()

        def _over_cap(self) -> bool:
            if len(self.connections) > max_connections:
                return True
            ip = self.client[0] if self.client else None
            if ip is None or ip in self._trusted or "*" in self._trusted:
                return False
            same = sum(1 for c in self.connections if c.client and c.client[0] == ip)
            return same > max_per_client

        def _arm_header_timer(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:  # a new request begins: its headers have a deadline
                self._arm_header_timer()
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm_header_timer()

        def connection_lost(self, exc) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)

    return GuardedH11Protocol
