"""Signed, unguessable tokens for the links in mails and for the bookmarklet.

Tokens are derived from the secret key, so nothing needs to be stored or indexed for them:

- unsubscribe: ``<id>.<hmac>``, valid for as long as the secret key is (a link in an old
  issue must keep working). A subscriber's links can be revoked one by one: each revocation
  raises the subscriber's ``link_generation`` and later links are ``<id>-<generation>.<hmac>``;
  the web checks the generation against the database (:func:`pipeline.subscribers.
  subscriber_for_unsubscribe`), so links of generation 0 (all links before any revocation)
  stay valid until their subscriber's first revocation;
- confirm: an itsdangerous timestamped signature of the subscriber id, valid for
  ``confirm_max_age`` seconds (``now``, epoch seconds, stands in for the clock in tests);
- collect: the bookmarklet's token, from the config or derived from the secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from pipeline.errors import LinkletterError


class TokenError(LinkletterError):
    """A token was forged, mangled or belongs to another purpose."""


class TokenExpired(TokenError):
    """A genuine token whose time is up."""


def _mac(secret: str, purpose: str, value: str, length: int = 22) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


def unsubscribe_token(secret: str, subscriber_id: int, generation: int = 0) -> str:
    value = f"{subscriber_id}-{generation}" if generation else str(subscriber_id)
    return f"{value}.{_mac(secret, 'unsubscribe', value)}"


def verify_unsubscribe_link(secret: str, token: str) -> tuple[int, int]:
    """(subscriber id, link generation) of a genuine unsubscribe token; TokenError otherwise.
    Whether the generation is still the subscriber's is the caller's to check."""
    value, _, mac = token.partition(".")
    sid, _, gen = value.partition("-")
    if (not sid.isdigit() or len(sid) > 18 or (gen and (not gen.isdigit() or len(gen) > 9 or gen[0] == "0"))
            or not hmac.compare_digest(mac, _mac(secret, "unsubscribe", value))):
        raise TokenError("this unsubscribe link is not valid")
    return int(sid), int(gen or 0)


def verify_unsubscribe(secret: str, token: str) -> int:
    """The subscriber id of a genuine unsubscribe token (any generation); TokenError otherwise."""
    return verify_unsubscribe_link(secret, token)[0]


def _confirm_serializer(secret: str, now: float | None = None) -> URLSafeTimedSerializer:
    if now is None:
        return URLSafeTimedSerializer(secret, salt="linkletter-confirm")

    class _At(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now)

    return URLSafeTimedSerializer(secret, salt="linkletter-confirm", signer=_At)


def confirm_token(secret: str, subscriber_id: int, *, now: float | None = None) -> str:
    return _confirm_serializer(secret, now).dumps(subscriber_id)


def verify_confirm(secret: str, token: str, max_age: int, *, now: float | None = None) -> int:
    """The subscriber id of a valid, unexpired confirm token; TokenExpired or TokenError otherwise."""
    try:
        value = _confirm_serializer(secret, now).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenExpired("this confirmation link has expired") from None
    except BadSignature:
        raise TokenError("this confirmation link is not valid") from None
    if not isinstance(value, int):
        raise TokenError("this confirmation link is not valid")
    return value


def collect_token(settings) -> str:
    """The bookmarklet's secret: ``collect_token`` from the config, else derived from the secret key."""
    return settings.collect_token or _mac(settings.secret_key, "collect", "bookmarklet", 32)


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def unsubscribe_url(settings, subscriber_id: int, generation: int = 0) -> str:
    return f"{settings.base_url}/unsubscribe/{unsubscribe_token(settings.secret_key, subscriber_id, generation)}"


def confirm_url(settings, subscriber_id: int) -> str:
    return f"{settings.base_url}/confirm/{confirm_token(settings.secret_key, subscriber_id)}"


def click_signature(secret: str, issue: int, index: int, url: str) -> str:
    """The signature of a counted link (``/r/<issue>/<index>?u=<url>&s=<signature>``): it binds
    the issue, the link's place and its target, so no other target can be sent through."""
    return _mac(secret, "click", f"{issue}:{index}:{url}")


def verify_click(secret: str, issue: int, index: int, url: str, signature: str) -> None:
    """Nothing for a genuine counted link; TokenError for an unsigned or altered one."""
    if not hmac.compare_digest(signature.encode(), click_signature(secret, issue, index, url).encode()):
        raise TokenError("this link was not made by this newsletter")


# ------------------------------------------------------------------ tags in mail addresses

def _mac32(secret: str, purpose: str, value: str, length: int = 16) -> str:
    """Lower-case base32 MAC: address local parts are sometimes case-folded on the way back."""
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().rstrip("=").lower()[:length]


def verp_token(secret: str, delivery_id: int) -> str:
    """``<delivery id>.<mac>``: the tag of one delivery's bounce address (VERP)."""
    return f"{delivery_id}.{_mac32(secret, 'verp', str(delivery_id))}"


def verify_verp(secret: str, token: str) -> int:
    """The delivery id of a genuine VERP tag; TokenError otherwise (any case accepted)."""
    value, _, mac = token.lower().partition(".")
    if not value.isdigit() or len(value) > 18 or not hmac.compare_digest(mac, _mac32(secret, "verp", value)):
        raise TokenError("this bounce address was not made by this newsletter")
    return int(value)


def mailto_unsubscribe_token(secret: str, subscriber_id: int, generation: int, issue: int) -> str:
    """``<id>-<generation>-<issue>.<mac>``: the tag of a subscriber's mailto unsubscribe address
    in one issue (revoked with their links, like the web link)."""
    value = f"{subscriber_id}-{generation}-{issue}"
    return f"{value}.{_mac32(secret, 'unsubscribe-mailto', value)}"


def verify_mailto_unsubscribe(secret: str, token: str) -> tuple[int, int, int]:
    """(subscriber id, link generation, issue) of a genuine mailto unsubscribe tag; TokenError otherwise."""
    value, _, mac = token.lower().partition(".")
    parts = value.split("-")
    if (len(parts) != 3 or not all(p.isdigit() and 0 < len(p) <= 18 for p in parts)
            or not hmac.compare_digest(mac, _mac32(secret, "unsubscribe-mailto", value))):
        raise TokenError("this unsubscribe address was not made by this newsletter")
    return int(parts[0]), int(parts[1]), int(parts[2])
