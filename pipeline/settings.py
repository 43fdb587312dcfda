"""Settings: embedded defaults ← ``linkletter.toml`` ← ``LINKLETTER_*`` environment variables.

Everything is loaded into one immutable :class:`Settings` object by :func:`load_settings`
and passed along. Nothing here runs at import time.

Every key is declared once in :data:`KEYS` with its type, default and a one-line description;
the config file written by ``linkletter init`` and the docs are made from the same table.
A missing or invalid setting raises :class:`SettingsError`, which names the key and where the
value came from (the file, or the environment variable).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from pipeline.errors import LinkletterError
from pipeline.i18n import LANGUAGES

CONFIG_NAME = "linkletter.toml"
ENV_PREFIX = "LINKLETTER_"
SOURCE_MODES = ("inbox", "auto")


class SettingsError(LinkletterError, ValueError):
    """A setting is missing or invalid. The message names the key and its origin."""


@dataclass(frozen=True)
class SourceConfig:
    url: str
    name: str = ""
    mode: str = "inbox"


@dataclass(frozen=True)
class Schedule:
    """When the main job runs its jobs. Each value is an interval ("30m", "1h", "45s")
    or a five-field cron expression ("0 7 * * 1")."""

    collect: str = "30m"
    send: str = "1m"
    grace: str = "1h"


@dataclass(frozen=True)
class Settings:
    root: Path
    config_path: Path
    title: str
    language: str
    base_url: str
    author: str
    sender: str
    sources: tuple[SourceConfig, ...]
    schedule: Schedule
    database_url: str
    smtp_url: str
    secret_key: str
    collect_token: str = ""
    feed_items: int = 20
    archive_links: bool = False
    fetch_timeout: float = 10.0
    fetch_max_bytes: int = 5_000_000
    fetch_allow: tuple[str, ...] = ()
    per_host_connections: int = 2
    collect_concurrency: int = 32
    smtp_connections: int = 4
    smtp_rate: float = 0.0
    dkim_domain: str = ""
    dkim_selector: str = ""
    dkim_key_file: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    confirm_max_age: int = 7 * 24 * 3600
    subscribe_rate_limit: int = 10
    confirmation_mails_per_hour: int = 100
    send_lease_seconds: int = 120
    # where the values came from, for error messages: key -> "file:line" or "env VAR"
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def drafts_dir(self) -> Path:
        return self.root / "drafts"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def templates_dir(self) -> Path:
        """The newsletter's own templates, which override the shipped ones by name."""
        return self.root / "templates"

    def origin(self, key: str) -> str:
        return self.origins.get(key, str(self.config_path))

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(root={str(self.root)!r}, title={self.title!r}, language={self.language!r})"


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


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {type(value).__name__}")
    if "\r" in value or "\n" in value:
        raise ValueError("must be one line (no line breaks)")
    return value.strip()


def _nonempty(value: Any, key: str) -> str:
    s = _str(value, key)
    if not s:
        raise ValueError("must not be empty")
    return s


def _int(value: Any, key: str) -> int:
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


def _float(value: Any, key: str) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number, got {value!r}") from None
    if f < 0:
        raise ValueError("must not be negative")
    return f


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def _language(value: Any, key: str) -> str:
    s = _nonempty(value, key).lower()
    if s not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(LANGUAGES)}, got {s!r}")
    return s


def _url(value: Any, key: str) -> str:
    s = _nonempty(value, key)
    if not re.match(r"^https?://[^/\s]+", s):
        raise ValueError(f"must be an http:// or https:// URL, got {s!r}")
    return s.rstrip("/")


def _sender(value: Any, key: str) -> str:
    s = _nonempty(value, key)
    m = re.fullmatch(r"(.*)<([^<>]+)>", s)
    addr = m.group(2).strip() if m else s
    if not _EMAIL.match(addr):
        raise ValueError(f"must be an email address such as 'Name <news@example.org>', got {s!r}")
    return s


def _smtp_url(value: Any, key: str) -> str:
    """Checked whole when loading, so a send or a subscribe never meets a broken one. No message
    quotes the value: it may hold a password (Python's own error for a bad port quotes the text
    after the last ':', which is the password when a '#' in it cut the URL short)."""
    from urllib.parse import urlsplit

    s = _str(value, key)
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


def _database_url(value: Any, key: str) -> str:
    s = _str(value, key)
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


def _secret(value: Any, key: str) -> str:
    s = _nonempty(value, key)
    if s.lower() in ("change-me", "changeme", "secret", "changethis"):
        raise ValueError("is a placeholder; set a long random value (linkletter init writes one)")
    if len(s) < 16:
        raise ValueError("must be at least 16 characters long")
    return s


def _sources(value: Any, key: str) -> tuple[SourceConfig, ...]:
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
        unknown = set(item) - {"url", "name", "mode"}
        if unknown:
            raise ValueError(f"entry {i + 1} has unknown field(s): {', '.join(sorted(unknown))}")
        mode = str(item.get("mode", "inbox"))
        if mode not in SOURCE_MODES:
            raise ValueError(f"entry {i + 1}: mode must be inbox or auto, got {mode!r}")
        out.append(SourceConfig(url=_url(item["url"], key), name=str(item.get("name", "")), mode=mode))
    return tuple(out)


def _allow_list(value: Any, key: str) -> tuple[str, ...]:
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


def _schedule(value: Any, key: str) -> Schedule:
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


Parser = Callable[[Any, str], Any]

# key -> (parser, default, description). A default of REQUIRED means the key must be set.
REQUIRED = object()
KEYS: dict[str, tuple[Parser, Any, str]] = {
    "title": (_nonempty, REQUIRED, "The newsletter's name, shown in every email and page."),
    "language": (_language, "en", "Language of everything readers see besides your text: de or en."),
    "base_url": (_url, "http://127.0.0.1:8080", "Public address of the web archive, feeds and subscribe pages."),
    "author": (_str, "", "Your name, for feeds and page metadata."),
    "sender": (_sender, REQUIRED, "From address of every mail, e.g. 'Weekly Reads <news@example.org>'."),
    "sources": (_sources, (), "Feeds to poll: a list of URLs or tables { url, name, mode = inbox|auto }."),
    "schedule": (_schedule, Schedule(), "When the main job collects and checks for drafts to send."),
    "database_url": (_database_url, "", "SQLAlchemy URL; empty means the SQLite file linkletter.db in this folder."),
    "smtp_url": (_smtp_url, "", "smtp://user:pass@host:587 (STARTTLS when offered), smtps://...; empty: the outbox/ folder."),
    "secret_key": (_secret, REQUIRED, "Signs confirm and unsubscribe links. Keep it secret; changing it voids old links."),
    "collect_token": (_str, "", "Token for the bookmarklet's POST /collect; empty: derived from secret_key."),
    "feed_items": (_int, 20, "How many published issues the RSS and Atom feeds hold."),
    "archive_links": (_bool, False, "Add a Web Archive link next to every cited link on the web pages."),
    "fetch_timeout": (_float, 10.0, "Seconds to wait for a feed or page to connect and answer; a whole fetch ends after 6 times this."),
    "fetch_max_bytes": (_int, 5_000_000, "Largest feed or page body that is read, in bytes."),
    "fetch_allow": (_allow_list, (), "Local or private hosts that may be fetched besides your sources' own, e.g. [\"127.0.0.1\", \"intranet:8080\", \"10.0.0.0/8\"]."),
    "per_host_connections": (_int, 2, "Parallel requests to one host while collecting."),
    "collect_concurrency": (_int, 32, "Parallel requests in all while collecting."),
    "smtp_connections": (_int, 4, "Parallel SMTP connections while sending."),
    "smtp_rate": (_float, 0.0, "Messages per second at most (0: as fast as the server takes them)."),
    "dkim_domain": (_str, "", "DKIM signing domain (d=); empty: no DKIM signature."),
    "dkim_selector": (_str, "", "DKIM selector (s=)."),
    "dkim_key_file": (_str, "", "Path of the PEM private key for DKIM, relative to this folder."),
    "host": (_str, "127.0.0.1", "Address the web server listens on."),
    "port": (_int, 8080, "Port the web server listens on."),
    "confirm_max_age": (_int, 7 * 24 * 3600, "Seconds a confirmation link stays valid."),
    "subscribe_rate_limit": (_int, 10, "Subscribe requests per IP address and hour."),
    "confirmation_mails_per_hour": (_int, 100, "Confirmation mails per hour in all (a quarter of them, at least 5, "
                                               "to one domain; one per mailbox in 10 minutes). 0: no limit."),
    "send_lease_seconds": (_int, 120, "Seconds a sending process holds an issue before another may take over."),
}


def find_root(explicit: str | os.PathLike | None, env: Mapping[str, str] | None = None) -> Path:
    """The newsletter folder: --dir, else LINKLETTER_DIR, else the current directory."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser().resolve()
    if env.get("LINKLETTER_DIR"):
        return Path(env["LINKLETTER_DIR"]).expanduser().resolve()
    return Path.cwd().resolve()


def _line_of(text: str, key: str) -> int | None:
    m = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def load_settings(root: str | os.PathLike, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``root/linkletter.toml`` and the ``LINKLETTER_*`` variables of ``env``."""
    env = os.environ if env is None else env
    root = Path(root).resolve()
    path = root / CONFIG_NAME
    if not path.is_file():
        raise SettingsError(f"{path}: no {CONFIG_NAME} here. Create a newsletter with 'linkletter init DIR', "
                            f"or point to one with --dir or LINKLETTER_DIR.")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{path}: not valid TOML: {e}") from None

    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        line = _line_of(text, unknown[0])
        where = f"{path}:{line}" if line else str(path)
        raise SettingsError(f"{where}: unknown setting {unknown[0]!r}. Known settings: {', '.join(KEYS)}")

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key, (parse, default, _doc) in KEYS.items():
        env_name = ENV_PREFIX + key.upper()
        if env_name in env:
            raw, origin = env[env_name], f"environment variable {env_name}"
        elif key in data:
            line = _line_of(text, key)
            raw, origin = data[key], f"{path}:{line}" if line else str(path)
        elif default is REQUIRED:
            raise SettingsError(f"{path}: setting {key!r} is missing. {KEYS[key][2]}")
        else:
            values[key] = default
            continue
        try:
            values[key] = parse(raw, key)
        except (ValueError, json.JSONDecodeError) as e:
            raise SettingsError(f"{origin}: setting {key!r} {e}") from None
        origins[key] = origin

    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{root / 'linkletter.db'}"
    elif values["database_url"].startswith("sqlite:///") and not values["database_url"].startswith("sqlite:////"):
        rel = values["database_url"][len("sqlite:///"):]
        if rel and rel != ":memory:":
            values["database_url"] = f"sqlite:///{(root / rel).resolve()}"
    return Settings(root=root, config_path=path, origins=origins, **values)
