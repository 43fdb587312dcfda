"""A real MTA for tests: Debian's Postfix (package postfix), a throwaway instance started by
the fixture: its own config_directory, queue and data folders in a temporary folder, smtpd on
a free loopback port, master in the foreground (``postfix -c DIR start-fg``, a child of the
test), stopped at the end (``postfix -c DIR stop``).

Postfix's master must start as root (it then runs its daemons as the user postfix), so the
fixture runs only as root (CI is root; see .ci/run) and is skipped, saying so, otherwise.
bench/ uses only Postfix's smtp-sink and smtp-source, which need no root; a whole MTA does.

Mail for ``dead.example`` goes to Postfix's ``error:`` transport: accepted at RCPT time
(``smtpd_reject_unlisted_recipient = no``), then bounced by Postfix itself with its own DSN to
the envelope sender; mail for ``alive.example`` and ``news.example.org`` (the bounce domain) is relayed by Postfix's
smtp client to ``bounce_port`` (the test's aiosmtpd, standing in for the newsletter's MX).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

POSTFIX = "/usr/sbin/postfix" if Path("/usr/sbin/postfix").exists() else None
DAEMONS = "/usr/lib/postfix/sbin"

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def unavailable() -> str | None:
    if POSTFIX is None:
        return "Postfix is not installed (Debian: postfix; .ci/run installs it)"
    if os.geteuid() != 0:
        return "Postfix's master must start as root (CI runs as root)"
    return None


class Postfix:
    def __init__(self, bounce_port: int):
        self.root = Path(tempfile.mkdtemp(prefix="linkletter-postfix-"))
        self.root.chmod(0o755)  # the postfix user reads its configuration and map here
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.bounce_port = bounce_port
        self.conf = self.root / "conf"
        self.proc: subprocess.Popen | None = None

    @property
    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> "Postfix":
        r = self.root
        for d in ("conf", "queue", "data"):
            (r / d).mkdir()
        shutil.chown(r / "data", "postfix")
        (self.conf / "transport").write_text(f"dead.example error:5.1.1 mailbox does not exist\n"
                                             f"alive.example smtp:[127.0.0.1]:{self.bounce_port}\n"
                                             f"news.example.org smtp:[127.0.0.1]:{self.bounce_port}\n")
        (self.conf / "main.cf").write_text(f"""compatibility_level = 3.6
queue_directory = {r}/queue
data_directory = {r}/data
command_directory = /usr/sbin
daemon_directory = {DAEMONS}
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.invalid
mydomain = test.invalid
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
transport_maps = texthash:{self.conf}/transport
smtpd_reject_unlisted_recipient = no
smtp_dns_support_level = disabled
maillog_file = {r}/maillog
maillog_file_prefixes = {r}
alias_maps =
alias_database =
local_recipient_maps =
notify_classes =
""")
        (self.conf / "master.cf").write_text(MASTER_CF.format(port=self.port))
        self.proc = subprocess.Popen([POSTFIX, "-c", str(self.conf), "start-fg"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postfix exited {self.proc.returncode}: {self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    if s.recv(100).startswith(b"220"):
                        return self
            except OSError:
                threading.Event().wait(0.05)  # master is starting smtpd: look again
        raise RuntimeError(f"postfix did not listen on {self.port}: {self.log}")

    def __exit__(self, *exc) -> None:
        subprocess.run([POSTFIX, "-c", str(self.conf), "stop"], capture_output=True, timeout=60)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)
