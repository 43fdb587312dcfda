"""A newsletter folder opened for work: its settings and its database engine, passed along
to every library call. ``init_newsletter`` creates a new folder."""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from pipeline.db import ensure_schema, make_engine, session_scope
from pipeline.errors import LinkletterError
from pipeline.files import private_dir
from pipeline.settings import CONFIG_NAME, KEYS, REQUIRED, Settings, load_settings



@dataclass
class Newsletter:
    settings: Settings
    engine: Engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()


def open_newsletter(root: str | os.PathLike, env: Mapping[str, str] | None = None, *, migrate: bool = True) -> Newsletter:
    """Load the settings of the folder ``root`` and connect to its database (upgrading its schema)."""
    settings = load_settings(root, env)
    engine = make_engine(settings.database_url)
    if migrate:
        try:
            ensure_schema(engine)
        except SQLAlchemyError as e:
            engine.dispose()
            shown = make_url(settings.database_url).render_as_string(hide_password=True)
            reason = getattr(e, "orig", None) or e
            raise LinkletterError(f"{settings.origin('database_url')}: cannot open the database {shown} "
                                  f"(setting 'database_url'): {reason}") from None
    return Newsletter(settings=settings, engine=engine)


_EXAMPLES = {
    "sources": '''sources = [
  # { url = "https://example.org/feed.xml", name = "Example blog", mode = "inbox" },
  # { url = "https://hypothes.is/stream.atom?user=you", name = "My highlights", mode = "auto" },
]''',
    "schedule": 'schedule = { collect = "30m", send = "1m", grace = "1h" }',
}


def config_text(*, title: str, language: str, sender: str, base_url: str, author: str, secret_key: str,
                sources: str | None = None) -> str:
    """The text of a new linkletter.toml: the given values, then every other key commented out
    with its default and what it does."""
    given = {"title": title, "language": language, "base_url": base_url, "author": author,
             "sender": sender, "secret_key": secret_key}
    lines = ["# Linkletter newsletter settings. Every key can also be set by an environment variable",
             "# LINKLETTER_<KEY> (e.g. LINKLETTER_SMTP_URL), which wins over this file.", ""]
    for key, (_parse, default, doc) in KEYS.items():
        lines.append(f"# {doc}")
        if key in given:
            lines.append(f"{key} = {_toml(given[key])}")
        elif key == "sources" and sources is not None:
            lines.append(sources)
        elif key in _EXAMPLES:
            lines.append(_EXAMPLES[key])
        elif default is not REQUIRED:
            lines.append(f"# {key} = {_toml(default)}")
        lines.append("")
    return "\n".join(lines)


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[]"
    return '""'


def init_newsletter(directory: str | os.PathLike, *, title: str = "My Newsletter", language: str = "en",
                    sender: str = "My Newsletter <newsletter@example.org>", base_url: str = "http://127.0.0.1:8080",
                    author: str = "", sources: str | None = None) -> Path:
    """Create a newsletter folder: ``linkletter.toml`` (with a fresh secret key and every other
    setting as a commented example), ``drafts/`` and the database. Refuses an existing one."""
    root = Path(directory).expanduser().resolve()
    if (root / CONFIG_NAME).exists():
        raise LinkletterError(f"{root / CONFIG_NAME} already exists; not overwriting an existing newsletter.")
    if root.exists() and not root.is_dir():
        raise LinkletterError(f"{root} exists and is not a folder.")
    if (root / "linkletter.db").exists():
        raise LinkletterError(f"{root} already holds a newsletter's database; not overwriting it.")
    from pipeline.draft.format import is_draft_file

    if (root / "drafts").is_dir() and any(is_draft_file(p) for p in (root / "drafts").glob("*.md")):
        raise LinkletterError(f"{root / 'drafts'} already holds drafts; not overwriting a newsletter.")
    root.mkdir(parents=True, exist_ok=True)
    private_dir(root / "drafts")  # drafts may hold readers' names and addresses: owner-only
    text = config_text(title=title, language=language, sender=sender, base_url=base_url, author=author,
                       secret_key=secrets.token_urlsafe(32), sources=sources)
    tmp = root / (CONFIG_NAME + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)  # it holds the secret key
    tmp.replace(root / CONFIG_NAME)
    nl = open_newsletter(root, env={})  # validates what was written and creates the database
    nl.close()
    return root
