"""Signed, unguessable tokens for the links in mails and for the bookmarklet.

Tokens are derived from the secret key, so nothing needs to be stored or indexed for them:

- unsubscribe: ``<id>.<hmac>``, valid for as long as the secret key is (a link in an old
  issue must keep working);
- confirm: an itsdangerous timestamped signature of the subscriber id, valid for
  ``confirm_max_age`` seconds;
- collect: the bookmarklet's token, from the config or derived from the secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from pipeline.errors import LinkletterError


class TokenError(LinkletterError):
    """A token was forged, mangled or belongs to another purpose."""


class TokenExpired(TokenError):
    """A genuine token whose time is up."""


def _mac(secret: str, purpose: str, value: str, length: int = 22) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


def unsubscribe_token(secret: str, subscriber_id: int) -> str:
    return f"{subscriber_id}.{_mac(secret, 'unsubscribe', str(subscriber_id))}"


def verify_unsubscribe(secret: str, token: str) -> int:
    """The subscriber id of a valid unsubscribe token; TokenError otherwise."""
    sid, _, mac = token.partition(".")
    if not sid.isdigit() or len(sid) > 18 or not hmac.compare_digest(mac, _mac(secret, "unsubscribe", sid)):
        raise TokenError("this unsubscribe link is not valid")
    return int(sid)


def _confirm_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="linkletter-confirm")


def confirm_token(secret: str, subscriber_id: int) -> str:
    return _confirm_serializer(secret).dumps(subscriber_id)


def verify_confirm(secret: str, token: str, max_age: int) -> int:
    """The subscriber id of a valid, unexpired confirm token; TokenExpired or TokenError otherwise."""
    try:
        value = _confirm_serializer(secret).loads(token, max_age=max_age)
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


def unsubscribe_url(settings, subscriber_id: int) -> str:
    return f"{settings.base_url}/unsubscribe/{unsubscribe_token(settings.secret_key, subscriber_id)}"


def confirm_url(settings, subscriber_id: int) -> str:
    return f"{settings.base_url}/confirm/{confirm_token(settings.secret_key, subscriber_id)}"
