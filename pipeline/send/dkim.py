"""DKIM signing of outgoing issue mails with dkimpy, when ``dkim_domain`` is configured.

The body differs per subscriber (the unsubscribe link), so every message is signed on its own;
the key is read and parsed once per send.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import LinkletterError

# The headers a receiver shows or acts on; all are in every issue mail.
SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe",
                  b"list-unsubscribe-post", b"mime-version", b"content-type"]


class DkimSigner:
    def __init__(self, domain: str, selector: str, key: bytes):
        self.domain, self.selector, self.key = domain.encode("ascii"), selector.encode("ascii"), key

    def sign(self, message: bytes) -> bytes:
        """The message with a DKIM-Signature header in front (relaxed/relaxed, rsa-sha256)."""
        import dkim

        try:
            sig = dkim.sign(message, self.selector, self.domain, self.key, include_headers=SIGNED_HEADERS,
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
