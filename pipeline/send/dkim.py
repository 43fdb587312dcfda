"""DKIM signing of outgoing issue mails with dkimpy, when ``dkim_domain`` is configured.

The body differs per subscriber (the unsubscribe link), so every message is signed on its own;
the key is read and parsed once per send.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import LinkletterError

# The headers a receiver shows or acts on. Absent ones are signed too (as empty), so none can be
# added later: a Reply-To on a mail without one, a second List-Unsubscribe.
SIGNED_HEADERS = (b"from", b"reply-to", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe",
                  b"list-unsubscribe-post", b"list-id", b"feedback-id", b"precedence", b"mime-version",
                  b"content-type", b"content-transfer-encoding")
# Signed once more than they occur (oversigning, RFC 6376 8.15): a verifier then also hashes the
# "missing" next instance, so a second one prepended by anybody breaks the signature (without it
# a prepended `List-Unsubscribe: <https://evil.example/...>` still verified, and most mail
# programs show or act on the topmost one).
OVERSIGNED = frozenset({b"from", b"subject", b"reply-to", b"list-unsubscribe", b"list-unsubscribe-post",
                        b"feedback-id"})
_FIELD = re.compile(rb"^([A-Za-z0-9-]+)[ \t]*:", re.M)


def include_headers(message: bytes) -> list[bytes]:
    """The h= list for ``message``: every signed header as often as it occurs, the oversigned
    ones once more."""
    head = message.split(b"\r\n\r\n", 1)[0]
    counts: dict[bytes, int] = {}
    for m in _FIELD.finditer(head):
        name = m.group(1).lower()
        counts[name] = counts.get(name, 0) + 1
    out: list[bytes] = []
    for name in SIGNED_HEADERS:
        out.extend([name] * (max(counts.get(name, 0), 1) + (name in OVERSIGNED and counts.get(name, 0) > 0)))
    return out


class DkimSigner:
    def __init__(self, domain: str, selector: str, key: bytes):
        self.domain, self.selector, self.key = domain.encode("ascii"), selector.encode("ascii"), key

    def sign(self, message: bytes) -> bytes:
        """The message with a DKIM-Signature header in front (relaxed/relaxed, rsa-sha256), its
        headers chosen and oversigned by :func:`include_headers`."""
        import dkim

        try:
            sig = dkim.sign(message, self.selector, self.domain, self.key, include_headers=include_headers(message),
                            canonicalize=(b"relaxed", b"relaxed"), linesep=b"\r\n")
        except dkim.DKIMException as e:
            raise LinkletterError(f"DKIM signing failed: {e}") from None
        return sig + message


def signer_from_settings(settings) -> DkimSigner | None:
    """A signer when ``dkim_domain`` is set; a clear error when its selector or key is missing."""
    if not settings.dkim_domain:
        return None
    if not settings.dkim_selector:
        raise LinkletterError(f"{settings.origin('dkim_domain')}: dkim_domain is set but dkim_selector is empty")
    if not settings.dkim_key_file:
        raise LinkletterError(f"{settings.origin('dkim_domain')}: dkim_domain is set but dkim_key_file is empty")
    path = Path(settings.root) / settings.dkim_key_file
    try:
        key = path.read_bytes()
    except OSError as e:
        raise LinkletterError(f"cannot read the DKIM key {path}: {e.strerror or e}") from None
    if b"PRIVATE KEY" not in key:
        raise LinkletterError(f"{path} is not a PEM private key")
    signer = DkimSigner(settings.dkim_domain, settings.dkim_selector, key)
    signer.sign(b"From: a@b.c\r\nSubject: key check\r\n\r\nx\r\n")  # a broken key fails now, not mid-send
    return signer
