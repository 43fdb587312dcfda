"""A subscriber's address and name: normalized and validated once, here (the form, the CLI
and the import all come through these), and the statuses and limits of a subscriber record."""

from __future__ import annotations

import hashlib
import re

from pipeline.errors import LinkletterError
from pipeline.states import SUBSCRIBER_STATUSES

STATUSES = SUBSCRIBER_STATUSES
LEFT = ("unsubscribed", "bounced", "complained")
CONSENT_SOURCES = ("form", "import", "cli")
MAX_NAME = 200
MAX_EMAIL = 254
MAX_USER_AGENT = 500
MAX_TEXT = 2000

# The columns of an export, which an import also accepts (a round trip keeps everything).
FIELDS = ("email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at",
          "consent_source", "consent_ip", "consent_user_agent", "consent_text", "consent_at", "attributes")
# Export-only columns: what came back for each subscriber (mail_events); an import ignores them.
EVENT_FIELDS = ("hard_bounces", "soft_bounces", "complaints")
_TIME_FIELDS = ("created_at", "confirmed_at", "unsubscribed_at", "consent_at")


class SubscriberError(LinkletterError):
    """An address, name or subscriber change that cannot be accepted; the message says why.
    ``field`` names the input at fault ('email', 'name'), for a form to show it in place."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------ normalizing input

# A strict subset of what email-validator accepts: a dot-atom local part of at most 64
# characters and a plain LDH domain (no '--', as in IDNA labels) with an alphabetic top-level
# domain that is not a special-use name. Addresses matching it skip the (~18 µs) validator
# call, which matters for a million-row import; everything else goes through email-validator.
# tests/test_subscribers.py checks the subset property.
_SPECIAL_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test", "internal", "alt")
_FAST_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_FAST_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
                          + "".join(rf"(?<!\.{tld})" for tld in _SPECIAL_TLDS))
# Domains that passed _FAST_DOMAIN: a list's addresses share few domains (gmail.com, ...), so
# each is checked once. Bounded, so a file of a million distinct domains cannot grow it.
_GOOD_DOMAINS: set[str] = set()
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_email(text: str) -> str:
    """The stored form of an address: stripped, lower-cased as a whole, validated (no DNS).
    Raises SubscriberError with the reason."""
    addr = text.strip().lower() if isinstance(text, str) else ""
    if _fast_valid(addr):
        return addr
    if not isinstance(text, str):
        raise SubscriberError("the email address is missing", "email")
    if "\r" in text or "\n" in text:
        raise SubscriberError("the email address contains a line break", "email")
    if not addr:
        raise SubscriberError("the email address is empty", "email")
    if len(addr) > MAX_EMAIL:
        raise SubscriberError(f"the email address is longer than {MAX_EMAIL} characters", "email")
    from email_validator import EmailNotValidError, validate_email  # only for the unusual addresses

    try:
        # allow_smtputf8=False: a non-ASCII local part (jörg@...) needs SMTPUTF8, which the send
        # stage does not use (most servers refuse it): better refused here than never mailed.
        # An international domain is fine: the send stage writes it in its IDNA form.
        result = validate_email(addr, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as e:
        local = addr.rpartition("@")[0]
        if local and not local.isascii():
            raise SubscriberError(f"{addr} cannot be mailed: the part before the @ holds non-ASCII characters "
                                  f"(like ö or é), which most mail servers refuse", "email") from None
        raise SubscriberError(f"not a valid email address: {e}", "email") from None
    return result.normalized.lower()


def _fast_valid(addr: str) -> bool:
    local, at, domain = addr.rpartition("@")
    if not at or len(addr) > MAX_EMAIL or len(local) > 64 or _FAST_LOCAL.fullmatch(local) is None:
        return False
    if domain in _GOOD_DOMAINS:
        return True
    if "--" in domain or _FAST_DOMAIN.fullmatch(domain) is None:
        return False
    if len(_GOOD_DOMAINS) < 100_000:
        _GOOD_DOMAINS.add(domain)
    return True


def clean_name(text: str | None) -> str:
    """A display name: one line (a line break could inject mail headers), at most MAX_NAME chars."""
    if text is None:
        return ""
    name = text.strip()
    if len(name) <= MAX_NAME and not _CONTROL.search(name):
        return name
    if "\r" in text or "\n" in text:
        raise SubscriberError("the name contains a line break", "name")
    if len(name) > MAX_NAME:
        raise SubscriberError(f"the name is longer than {MAX_NAME} characters", "name")
    raise SubscriberError("the name contains control characters", "name")


def email_hash(email: str) -> str:
    """What is kept of a removed address: SHA-256 of its normalized form. Unkeyed on purpose,
    so changing the secret key never lets a removed address back in."""
    return hashlib.sha256(email.encode("utf-8")).hexdigest()


def _one_line(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.replace("\r", " ").replace("\n", " ").strip()
    return value[:limit]



# Providers that deliver a.b.c@ to abc@ (for the throttle only: addresses are stored as typed).
_DOTLESS_DOMAINS = ("gmail.com", "googlemail.com")


def mailbox_key(addr: str) -> str:
    """The mailbox a normalized address delivers to, for throttling confirmation mails:
    without a ``+tag`` (most providers deliver ``bomb+1@`` to ``bomb@``), without dots where
    the provider ignores them, ``googlemail.com`` as ``gmail.com``."""
    local, _, domain = addr.rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"
