"""The connections of a fetch: where they may go, which sockets they use, when they are cut.

:func:`tracking_adapter` makes a requests ``HTTPAdapter`` whose connections connect only to
addresses a :class:`~pipeline.collect.destinations.FetchPolicy` checked (resolved once, so no
second DNS answer can differ), and register their sockets: with a :class:`SocketRegistry`
(``Fetcher.abort`` cuts them all) and with the :class:`Deadline` of the request running in
their thread (cut when it passes).
"""

from __future__ import annotations

import socket
import threading
import weakref

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from pipeline.collect.destinations import FetchPolicy


class SocketRegistry:
    """The sockets of one Fetcher's connections (weakly held: a closed connection drops out)."""

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._sockets.add(sock)

    def shutdown_all(self) -> int:
        """Shut every socket down: a thread blocked reading one gets an error at once. How many."""
        with self._lock:
            sockets = list(self._sockets)
        return sum(_shutdown(sock) for sock in sockets)


def _shutdown(sock: socket.socket) -> bool:
    try:
        sock.shutdown(socket.SHUT_RDWR)
        return True
    except OSError:  # closed meanwhile, or never connected
        return False


class Deadline:
    """The total deadline of one request: when it passes, the sockets the request uses are shut
    down (a blocked read then ends at once, whatever the server sends) and ``expired`` is set.
    Active for the requests its thread makes inside ``with deadline:``."""

    _active = threading.local()

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        Deadline._active.current = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._sockets.clear()
        Deadline._active.current = None

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    @classmethod
    def watch(cls, sock: socket.socket | None) -> None:
        """Put a socket the current request uses under its thread's deadline, if any."""
        self = getattr(cls._active, "current", None)
        if self is None or sock is None:
            return
        with self._lock:
            if not self._done:
                self._sockets.append(sock)
            cut = self.expired and not self._done
        if cut:
            _shutdown(sock)


def _pinned_socket(conn: HTTPConnection, policy: FetchPolicy) -> socket.socket:
    """urllib3's ``_new_conn``, connecting only to the addresses the policy checked (the name is
    resolved once, here: no second answer can point elsewhere)."""
    try:
        addresses = policy.addresses(conn._dns_host, conn.port)
    except socket.gaierror as e:
        raise NameResolutionError(conn.host, conn, e) from e
    error: Exception | None = None
    for address in addresses:
        try:
            return create_connection((address, conn.port), conn.timeout, source_address=conn.source_address,
                                     socket_options=conn.socket_options)
        except socket.timeout:
            error = ConnectTimeoutError(conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})")
        except OSError as e:
            error = NewConnectionError(conn, f"Failed to establish a new connection: {e}")
    raise error or NewConnectionError(conn, "no address to connect to")


def tracking_adapter(registry: SocketRegistry, pool_size: int, policy: FetchPolicy) -> HTTPAdapter:
    """An HTTPAdapter whose connections go only where ``policy`` permits and register their
    socket once connected (with the registry, and the deadline of the request). urllib3 takes
    the connection class from the pool class, and the pool class from the pool manager."""

    class Guarded:  # mixed into both connection classes
        def _new_conn(self) -> socket.socket:
            return _pinned_socket(self, policy)

        def connect(self) -> None:
            super().connect()
            registry.add(self.sock)
            Deadline.watch(self.sock)

    class Watched:  # mixed into both pool classes
        def _get_conn(self, timeout=None):
            conn = super()._get_conn(timeout)
            Deadline.watch(conn.sock)  # a kept-alive connection (a new one is watched once connected)
            return conn

    class Connection(Guarded, HTTPConnection):
        pass

    class SecureConnection(Guarded, HTTPSConnection):
        pass

    class Pool(Watched, HTTPConnectionPool):
        ConnectionCls = Connection

    class SecurePool(Watched, HTTPSConnectionPool):
        ConnectionCls = SecureConnection

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs) -> None:
            super().init_poolmanager(*args, **kwargs)
            # an instance attribute: the module-level mapping other pool managers use stays as it is
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}

    return Adapter(pool_connections=pool_size, pool_maxsize=pool_size)
