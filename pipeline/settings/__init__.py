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
from typing import Any, Mapping

from pipeline.errors import LinkletterError
from pipeline.i18n import locale
from pipeline.settings.keys import KEYS, REQUIRED
from pipeline.settings.values import SMTP_URL_OPTIONS, SOURCE_KINDS, SOURCE_MODES, Schedule, SourceConfig, parse_interval

__all__ = ["CONFIG_NAME", "ENV_PREFIX", "KEYS", "REQUIRED", "SMTP_URL_OPTIONS", "SOURCE_KINDS", "SOURCE_MODES", "Schedule",
           "Settings", "SettingsError", "SourceConfig", "find_root", "load_settings", "parse_interval"]

CONFIG_NAME = "linkletter.toml"
ENV_PREFIX = "LINKLETTER_"


class SettingsError(LinkletterError, ValueError):
    """A setting is missing or invalid. The message names the key and its origin."""


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
    # -- collect: sources, pages, highlight services (issue 13)
    hypothesis_token: str = field(default="", repr=False)
    readwise_token: str = field(default="", repr=False)
    raindrop_token: str = field(default="", repr=False)
    wallabag_client_id: str = field(default="", repr=False)
    wallabag_client_secret: str = field(default="", repr=False)
    wallabag_username: str = field(default="", repr=False)
    wallabag_password: str = field(default="", repr=False)
    # -- the issue's look and voice: email, text, titles, footer (issue 14)
    address_form: str = "sie"
    title_pattern: str = ""
    first_issue_number: int = 1
    postal_address: str = ""
    imprint_url: str = ""
    # -- what comes back: bounces, complaints, inbound mail, webhooks, notify (issue 15)
    bounce_address: str = ""
    inbound_imap_url: str = ""
    inbound_imap_password: str = ""
    inbound_imap_folder: str = "INBOX"
    inbound_imap_processed_folder: str = "Linkletter/Processed"
    inbound_imap_interval: str = "5m"
    soft_bounce_limit: int = 2
    soft_bounce_days: int = 30
    inbound_max_bytes: int = 10_000_000
    reply_to: str = ""
    notify: str = ""
    notify_hard_bounce_percent: float = 2.0
    notify_complaints: int = 0
    webhook_max_age: int = 3600
    webhook_ses_topics: tuple[str, ...] = ()
    webhook_sns_test_cert_host: str = ""
    webhook_postmark_secret: str = ""
    webhook_sendgrid_public_key: str = ""
    webhook_mailgun_signing_key: str = ""
    webhook_generic_secret: str = ""
    # -- moving in: subscriber and archive imports (issue 16)
    # -- the author's desk, stats, click counts (issue 17)
    click_counts: bool = False
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

    @property
    def locale(self) -> str:
        """What reader-facing strings are looked up in: the language, and for German the form
        of address (``de`` is "Sie", ``de_du`` is "du"; see :mod:`pipeline.i18n`)."""
        return locale(self.language, self.address_form)

    def origin(self, key: str) -> str:
        return self.origins.get(key, str(self.config_path))

    def __repr__(self) -> str:  # never print secrets
        return f"Settings(root={str(self.root)!r}, title={self.title!r}, language={self.language!r})"


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
