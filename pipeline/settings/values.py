"""Parsers for setting values, and the small value types they produce.

Each parser takes the raw value (from TOML or an environment variable's string) and the key,
and returns the checked value or raises ValueError with a message that completes
"setting 'KEY' ..."; :func:`pipeline.settings.load_settings` adds where the value came from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pipeline.i18n import ADDRESS_FORMS, LANGUAGES

SOURCE_MODES = ("inbox", "auto")
# What a source is, which decides how its entries are read (whose author, what is a quote).
# "feed" is any RSS/Atom/JSON feed (its flavour detected from the feed itself); the others name a
# feed flavour or a service's own API. Each group is extended by the code that reads that kind.
SOURCE_KINDS = (
    "feed",
    # -- feed flavours (issue 13: bookmarks, annotations, link blogs, microblogs)
    "bookmarks", "annotations", "linkblog", "microblog",
    # -- highlight services' own APIs (issue 13: hypothesis, readwise, raindrop, wallabag)
    "hypothesis", "readwise", "raindrop", "wallabag",
)


@dataclass(frozen=True)
class SourceConfig:
    url: str
    name: str = ""
    mode: str = "inbox"
    kind: str = "feed"


@dataclass(frozen=True)
class Schedule:
    """When the main job runs its jobs. Each value is an interval ("30m", "1h", "45s")
    or a five-field cron expression ("0 7 * * 1")."""

    collect: str = "30m"
    send: str = "1m"
    grace: str = "1h"


# ---------------------------------------------------------------- parsing helpers

_INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def parse_interval(text: str) -> int | None:
    """'30m' -> 1800 seconds; None if the text is not an interval."""
    m = _INTERVAL.match(text)
    if not m:
        return None
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _is_cron(text: str) -> bool:
    """A valid five-field cron expression (minute hour day month weekday)."""
    if len(text.split()) != 5:
        return False
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(text)
    except ValueError:
        return False
    return True


def as_str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {type(value).__name__}")
    if "\r" in value or "\n" in value:
        raise ValueError("must be one line (no line breaks)")
    return value.strip()


def as_nonempty(value: Any, key: str) -> str:
    s = as_str(value, key)
    if not s:
        raise ValueError("must not be empty")
    return s


def as_int(value: Any, key: str) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?\d+", value):
            raise ValueError(f"must be a whole number, got {value!r}")
        value = int(value)
    if not isinstance(value, int):
        raise ValueError("must be a whole number")
    if value < 0:
        raise ValueError("must not be negative")
    return value


def as_float(value: Any, key: str) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {value!r}") from None
    if f < 0:
        raise ValueError("must not be negative")
    return f


def as_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def one_of(value: Any, key: str, choices: tuple[str, ...], hint: str = "") -> str:
    """A value from ``choices`` (case-insensitive); ``hint`` explains them in the error."""
    s = as_nonempty(value, key).lower()
    if s not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}{hint}, got {s!r}")
    return s


def as_language(value: Any, key: str) -> str:
    return one_of(value, key, LANGUAGES)


def as_url(value: Any, key: str) -> str:
    s = as_nonempty(value, key)
    if not re.match(r"^https?://[^/\s]+", s):
        raise ValueError(f"must be an http:// or https:// URL, got {s!r}")
    return s.rstrip("/")


def as_optional_url(value: Any, key: str) -> str:
    """An http(s) URL, or empty for none."""
    return as_url(value, key) if as_str(value, key) else ""


def as_sender(value: Any, key: str) -> str:
    s = as_nonempty(value, key)
    m = re.fullmatch(r"(.*)<([^<>]+)>", s)
    addr = m.group(2).strip() if m else s
    if not _EMAIL.match(addr):
        raise ValueError(f"must be an email address such as 'Name <news@example.org>', got {s!r}")
    return s


def as_smtp_url(value: Any, key: str) -> str:
    """Checked whole when loading, so a send or a subscribe never meets a broken one. No message
    quotes the value: it may hold a password (Python's own error for a bad port quotes the text
    after the last ':', which is the password when a '#' in it cut the URL short)."""
    from urllib.parse import urlsplit

    s = as_str(value, key)
    if not s:
        return s
    if not re.match(r"^(smtp|smtps|smtp\+starttls)://", s):
        raise ValueError("must start with smtp://, smtps:// or smtp+starttls:// (or be empty for the file outbox)")
    encode = "write it percent-encoded (# as %23, @ as %40, / as %2F, ? as %3F, [ as %5B)"
    try:
        parts = urlsplit(s)
    except ValueError:  # an unclosed '[' (an IPv6 host), maybe in the password
        raise ValueError(f"has a '[' or ']' that is not an IPv6 host; if the user name or password holds one, {encode}") \
            from None
    try:
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        raise ValueError("has a port that is not a number between 1 and 65535; if the user name or password holds "
                         f"one of : / ? # @ % [ ], {encode}") from None
    host = parts.hostname
    if not host:
        raise ValueError("has no host name (smtp://user:password@host:port)")
    if any(ch.isspace() or not ch.isprintable() or ch in "\\\"'<>^`{|}" for ch in host):
        raise ValueError("has a host name with a space or a character a host name can't hold")
    if parts.fragment or (parts.path not in ("", "/")):
        raise ValueError(f"holds a '#' or '/' after the host; if the password holds one, {encode}")
    for pair in parts.query.split("&") if parts.query else ():
        if pair not in SMTP_URL_OPTIONS:
            raise ValueError(f"has an option that is not one of ?{', ?'.join(SMTP_URL_OPTIONS)}; if the password "
                             f"holds a '?', {encode}")
    return s


# what may follow smtp_url's host (see pipeline.send.transports.parse_smtp_url)
SMTP_URL_OPTIONS = ("tls=none", "tls=off", "tls=false")


def as_database_url(value: Any, key: str) -> str:
    s = as_str(value, key)
    if not s:
        return s
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        if make_url(s).get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise ValueError("must be a database URL such as sqlite:///linkletter.db or "
                         "postgresql://user:password@host/dbname") from None
    return s


def as_secret(value: Any, key: str) -> str:
    s = as_nonempty(value, key)
    if s.lower() in ("change-me", "changeme", "secret", "changethis"):
        raise ValueError("is a placeholder; set a long random value (linkletter init writes one)")
    if len(s) < 16:
        raise ValueError("must be at least 16 characters long")
    return s


def as_sources(value: Any, key: str) -> tuple[SourceConfig, ...]:
    if isinstance(value, str):  # from the environment: JSON, or URLs separated by commas/spaces
        value = value.strip()
        value = json.loads(value) if value.startswith("[") else [u for u in re.split(r"[,\s]+", value) if u]
    if not isinstance(value, list):
        raise ValueError("must be a list of sources")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or "url" not in item:
            raise ValueError(f"entry {i + 1} must be a URL or a table with a 'url'")
        unknown = set(item) - {"url", "name", "mode", "kind"}
        if unknown:
            raise ValueError(f"entry {i + 1} has unknown field(s): {', '.join(sorted(unknown))}")
        mode = str(item.get("mode", "inbox"))
        if mode not in SOURCE_MODES:
            raise ValueError(f"entry {i + 1}: mode must be inbox or auto, got {mode!r}")
        kind = str(item.get("kind", "feed"))
        if kind not in SOURCE_KINDS:
            raise ValueError(f"entry {i + 1}: kind must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
        out.append(SourceConfig(url=as_url(item["url"], key), name=str(item.get("name", "")), mode=mode, kind=kind))
    return tuple(out)


def as_allow_list(value: Any, key: str) -> tuple[str, ...]:
    """Hosts, addresses or networks with an optional port; from the environment: JSON, or
    entries separated by commas or spaces."""
    if isinstance(value, str):
        value = value.strip()
        value = json.loads(value) if value.startswith("[") else [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of hosts, e.g. [\"127.0.0.1\", \"localhost:8080\"]")
    bad = next((v for v in value if not v.strip() or any(c.isspace() for c in v.strip())), None)
    if bad is not None:
        raise ValueError(f"has an entry that is not a host: {bad!r}")
    return tuple(v.strip() for v in value)


def as_schedule(value: Any, key: str) -> Schedule:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ValueError("must be a table, e.g. schedule = { collect = \"30m\", send = \"1m\" }")
    unknown = set(value) - {"collect", "send", "grace"}
    if unknown:
        raise ValueError(f"has unknown field(s): {', '.join(sorted(unknown))}")
    for k, v in value.items():
        if k == "grace":
            if not isinstance(v, str) or not parse_interval(v):
                raise ValueError(f"grace must be an interval like '1h', got {v!r}")
        elif not isinstance(v, str) or not (parse_interval(v) or _is_cron(v)):
            raise ValueError(f"{k} must be an interval like '30m' or a valid cron expression like '0 7 * * 1' "
                             f"(minute hour day month weekday, in the machine's time zone), got {v!r}")
    return Schedule(**value)


# ---------------------------------------------------------------- what comes back (issue 15)

_BOUNCE_LOCAL = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


def as_bounce_address(value: Any, key: str) -> str:
    """A plain address (``bounces@news.example.org``) whose local part takes ``+token`` tags
    (VERP); empty: bounces go to the From address as before."""
    s = as_str(value, key)
    if not s:
        return ""
    local, _, domain = s.rpartition("@")
    if not _BOUNCE_LOCAL.match(local) or not re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", domain or "") or "+" in s:
        raise ValueError(f"must be a plain address such as bounces@news.example.org (letters, digits, '.', '_', "
                         f"'-' before the @, no '+'), got {s[:80]!r}")
    return s.lower()


def as_imap_url(value: Any, key: str) -> str:
    """imaps://user@host[:port] (TLS from the start; the password comes from the environment),
    or imap://user@host[:port] to loopback only (tests, a local Dovecot); empty: no polling."""
    s = as_str(value, key)
    if not s:
        return ""
    from urllib.parse import urlsplit

    parts = urlsplit(s)
    if parts.scheme not in ("imaps", "imap") or not parts.hostname or not parts.username:
        raise ValueError("must look like imaps://user@imap.example.org (the password goes in the environment "
                         "variable LINKLETTER_INBOUND_IMAP_PASSWORD)")
    if parts.password:
        raise ValueError("must not hold the password; set LINKLETTER_INBOUND_IMAP_PASSWORD instead")
    try:
        parts.port
    except ValueError:
        raise ValueError("has a port that is not a number between 1 and 65535") from None
    return s


def as_optional_sender(value: Any, key: str) -> str:
    """Empty, or an address like ``sender`` ('Name <addr>' or addr)."""
    s = as_str(value, key)
    return as_sender(s, key) if s else ""


def as_optional_secret(value: Any, key: str) -> str:
    """Empty (the feature is off), or a secret of at least 16 characters."""
    s = as_str(value, key)
    return as_secret(s, key) if s else ""


def as_str_list(value: Any, key: str) -> tuple[str, ...]:
    """A list of one-line strings; from the environment: JSON, or entries separated by commas or spaces."""
    if isinstance(value, str):
        value = value.strip()
        value = json.loads(value) if value.startswith("[") else [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return tuple(as_nonempty(v, key) for v in value)


# ---------------------------------------------------------------- the voice and titles (issue 14)

TITLE_FIELDS = ("number", "title", "date")


def as_address_form(value: Any, key: str) -> str:
    return one_of(value, key, ADDRESS_FORMS, " (formal 'Sie' or informal 'du')")


def as_title_pattern(value: Any, key: str) -> str:
    """A title pattern such as ``{title} No {number}``: only the fields :data:`TITLE_FIELDS`,
    each maybe with a format (``{number:03d}``); empty means the language's own."""
    import string

    s = as_str(value, key)
    try:
        fields = [f for _text, f, _spec, _conv in string.Formatter().parse(s) if f is not None]
    except ValueError as e:
        raise ValueError(f"is not a valid pattern ({e}); write braces as {{{{ and }}}}") from None
    for f in fields:
        if f not in TITLE_FIELDS:
            raise ValueError(f"may use {', '.join('{' + n + '}' for n in TITLE_FIELDS)}, got {{{f}}}")
    try:
        s.format(number=1, title="Title", date="1 January 2026")
    except (ValueError, TypeError) as e:
        raise ValueError(f"is not a valid pattern: {e}") from None
    if s and "number" not in fields:
        raise ValueError("must contain {number}, so two issues never share a title")
    return s


def as_positive_int(value: Any, key: str) -> int:
    n = as_int(value, key)
    if n < 1:
        raise ValueError("must be 1 or more")
    return n
