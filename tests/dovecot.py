"""A real IMAP server for tests: Debian's Dovecot (package dovecot-imapd), started by the
fixture with a throwaway configuration in a temporary folder, listening on a free loopback
port, one test user in a passwd-file, mail in Maildir under the folder. As root (CI) Dovecot
drops to its own users (dovecot, dovenull), as anyone else it runs rootless as that user
(the configuration follows Dovecot's "rootless installation" documentation: every internal
and login user is the running user). ``dovecot -F`` keeps it in the foreground, a child of
the test, stopped at the end. Skipped (with the reason) where Dovecot is not installed;
.ci/run installs it.

:class:`CuttingProxy` sits between client and server on loopback and drops the connection at
a chosen point of the real IMAP conversation (a connection lost mid-fetch).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
USER, PASSWORD = "bounces", "imap-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dovecot exited {proc.returncode}: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            threading.Event().wait(0.05)  # the server is starting: look again
    raise RuntimeError(f"dovecot did not listen on {port}: {log.read_text() if log.exists() else ''}")


class Dovecot:
    def __init__(self, root: Path, *, tls: bool = False):
        self.own_root = None
        if os.geteuid() == 0:  # Dovecot's users must reach the folder: pytest's tmp_path is root's, 0700
            import tempfile

            self.own_root = root = Path(tempfile.mkdtemp(prefix="linkletter-dovecot-"))
            root.chmod(0o755)
        self.root = root
        self.port = _free_port()
        self.tls = tls
        self.proc: subprocess.Popen | None = None
        self.cert = root / "cert.pem"

    @property
    def url(self) -> str:
        return f"{'imaps' if self.tls else 'imap'}://{USER}@{'localhost' if self.tls else '127.0.0.1'}:{self.port}"

    def _config(self) -> str:
        if os.geteuid() == 0:
            internal, login, mail = "dovecot", "dovenull", "dovecot"
        else:
            internal = login = mail = pwd.getpwuid(os.geteuid()).pw_name
        r = self.root
        ssl = (f"ssl = required\nssl_cert = <{self.cert}\nssl_key = <{r / 'key.pem'}\n" if self.tls else "ssl = no\n")
        listener = "imaps" if self.tls else "imap"
        other = "imap" if self.tls else "imaps"
        return f"""base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={mail} gid={mail} home={r}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener {listener} {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener {other} {{
    port = 0
  }}
}}
"""

    def __enter__(self) -> "Dovecot":
        for d in ("run", "state", "home"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        if self.tls:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                            "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", str(self.root / "key.pem"), "-out", str(self.cert)],
                           check=True, capture_output=True, timeout=60)
        if os.geteuid() == 0:
            shutil.chown(self.root / "home", "dovecot", "dovecot")
        conf = self.root / "dovecot.conf"
        conf.write_text(self._config())
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.root / "stderr.log", "wb"))
        _wait_for_port(self.port, self.proc, self.root / "stderr.log")
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.own_root is not None:
            shutil.rmtree(self.own_root, ignore_errors=True)

    def client(self):
        import imaplib

        import ssl

        if self.tls:
            c = imaplib.IMAP4_SSL("localhost", self.port, ssl_context=ssl.create_default_context(cafile=str(self.cert)))
        else:
            c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login(USER, PASSWORD)
        return c

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        c = self.client()
        try:
            for m in messages:
                assert c.append(folder, None, None, m)[0] == "OK"
        finally:
            c.logout()

    def count(self, folder: str) -> int:
        c = self.client()
        try:
            typ, data = c.select(f'"{folder}"', readonly=True)
            return int(data[0]) if typ == "OK" else -1
        finally:
            c.logout()


class CuttingProxy:
    """A loopback TCP relay to ``port`` that drops its first connection when ``server_mark``
    has been seen ``nth`` times in the server's answers (after passing on ``keep`` more bytes),
    or when the client sends ``client_mark`` (not passed on). Later connections pass through."""

    def __init__(self, port: int, *, server_mark: bytes | None = None, nth: int = 1, keep: int = 40,
                 client_mark: bytes | None = None):
        self.upstream = port
        self.server_mark, self.nth, self.keep, self.client_mark = server_mark, nth, keep, client_mark
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(("127.0.0.1", self.upstream))
            cutting = self.connections == 1
            threading.Thread(target=self._pump, args=(server, client, self.server_mark if cutting else None, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(client, server, self.client_mark if cutting else None, False),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, mark: bytes | None, from_server: bool) -> None:
        seen, tail = 0, b""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if mark is not None and not self.cut.is_set():
                    window = tail + data
                    hits = window.count(mark)
                    if from_server and seen + hits >= self.nth:
                        at = _nth_index(window, mark, self.nth - seen) - len(tail)
                        dst.sendall(data[:max(at, 0) + len(mark) + self.keep])
                        self._drop(src, dst)
                        return
                    if not from_server and hits:
                        self._drop(src, dst)
                        return
                    seen += hits
                    tail = window[-len(mark):]
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _drop(self, *socks: socket.socket) -> None:
        self.cut.set()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


def _nth_index(data: bytes, mark: bytes, n: int) -> int:
    at = -1
    for _ in range(n):
        at = data.find(mark, at + 1)
    return at
