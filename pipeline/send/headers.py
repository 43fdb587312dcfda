"""Header values of every outgoing mail, issue or system: addresses through one formatter that
can't add a recipient, and text values refused when they hold a line break or control
character, before and after RFC 2047 decoding, and again after folding.

Why after decoding: Python's header folding decodes encoded words in the value it is given and
writes what they hold, so ``=?utf-8?q?Hi=0D=0ABcc:_x@y?=`` became a real ``Bcc:`` line
(CVE-2024-6923 on Python 3.11.7). Why after folding: a folder with another such bug must
still not be able to write a line that is not a continuation.
"""

from __future__ import annotations

import re
from email import policy
from email.header import Header

from pipeline.errors import LinkletterError


class AddressError(LinkletterError):
    """A subscriber's address can't be put into a mail header as it is."""


class HeaderError(LinkletterError):
    """A header value would break out of its header (a line break or control character)."""


# C0 controls, DEL, C1 controls (NEL, U+0085, is a line end to str.splitlines and to some mail
# programs) and the Unicode line and paragraph separators
_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ADDR = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9 !#$%&'*+/=?^_`{|}~.,;:@()\[\]-]*$")


def smtp_address(addr: str) -> str:
    """The address as it goes into ``RCPT TO`` and ``To``: ASCII, internationalized domains in
    their ASCII (IDNA) form. Anything that could break out of a header raises AddressError."""
    addr = addr.strip()
    local, _, domain = addr.rpartition("@")
    if not local or not domain:
        raise AddressError(f"not an email address: {addr!r}")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError(f"the domain of {addr!r} is not valid") from None
    out = f"{local}@{domain}"
    if not _ADDR.match(out):
        raise AddressError(f"{addr!r} can't be mailed without SMTPUTF8 or holds characters not allowed in an address")
    return out


def format_to(name: str, addr: str) -> bytes:
    """An address header value (``To``): the display name quoted or RFC 2047-encoded, never able
    to inject a header or a second address (line breaks and control characters become spaces;
    a name that looks like an encoded word is encoded itself, so no reader decodes it into an
    address)."""
    return _with_phrase(name, smtp_address(addr), "To")


def _with_phrase(name: str, inner: str, header: str) -> bytes:
    """``"name" <inner>``: the name quoted or RFC 2047-encoded, control characters made spaces."""
    name = " ".join(_CTRL.sub(" ", name or "").split())
    if not name:
        return inner.encode("ascii")
    if name.isascii() and "=?" not in name:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{inner}>'.encode("ascii")
    encoded = Header(name, "utf-8", header_name=header).encode(linesep="\r\n")
    return f"{encoded} <{inner}>".encode("ascii")


def format_address(value: str) -> bytes:
    """A setting like ``sender`` ('Name <addr>' or addr) as an address header value (Reply-To)."""
    from email.utils import parseaddr

    name, addr = parseaddr(value)
    if not addr:
        raise AddressError(f"not an email address: {value!r}")
    return format_to(name, addr)


def list_id(title: str, domain: str) -> bytes:
    """The ``List-Id`` value (RFC 2919): the title as its phrase, and an id made of the title's
    letters and digits under the sender's domain (``"Weekly Reads" <weekly-reads.example.org>``),
    the same for every issue so filters and providers can tell the list."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    label = "-".join(re.findall(r"[a-z0-9]+", ascii_title))[:40].strip("-") or "newsletter"
    domain = smtp_address(f"x@{domain or 'localhost'}").partition("@")[2]
    return _with_phrase(title, f"{label}.{domain}", "List-Id")


def header_problem(value: str) -> str | None:
    """Why ``value`` can't be a header value, or None. Looks at the value as written and as a
    mail program decodes it (RFC 2047 encoded words)."""
    if _CTRL.search(value):
        return "holds a line break or control character"
    try:
        decoded = str(policy.SMTP.header_factory("Subject", value))
    except Exception:  # noqa: BLE001 (a value the parser can't take can't be sent either)
        return "can't be read as a header value"
    if _CTRL.search(decoded):
        return "holds an encoded line break or control character (=?...?= text that decodes to one)"
    return None


def fold(name: str, value: str) -> bytes:
    """The header line ``name: value``, RFC 2047-encoded where needed and folded, ending in CRLF.
    HeaderError when the value could write anything but this one header."""
    problem = header_problem(value)
    if problem:
        raise HeaderError(f"the {name} header {problem}: {value!r}")
    folded = policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP)
    lines = folded.split("\r\n")
    if (lines[-1] != "" or any(not ln[:1] in (" ", "\t") for ln in lines[1:-1]) or "\r" in folded.replace("\r\n", "")
            or "\n" in folded.replace("\r\n", "") or not lines[0].lower().startswith(name.lower() + ":")):
        raise HeaderError(f"the {name} header would not stay one header: {value!r}")
    return folded.encode("ascii")
