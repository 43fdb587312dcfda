"""The feeds the author follows: added by command or listed in the config's ``sources``."""

from __future__ import annotations

from pipeline.collect.text import one_line
from pipeline.collect.urls import check_url
from pipeline.errors import LinkletterError
from pipeline.models import Source
from pipeline.settings import SOURCE_KINDS, SOURCE_MODES
from pipeline.store import sources as store


def _mode(mode: str) -> str:
    if mode not in SOURCE_MODES:
        raise LinkletterError(f"mode must be one of {', '.join(SOURCE_MODES)}, got {mode!r}")
    return mode


def _kind(kind: str) -> str:
    if kind not in SOURCE_KINDS:
        raise LinkletterError(f"kind must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
    return kind


def add_source(nl, url: str, name: str = "", mode: str = "inbox", kind: str = "feed") -> Source:
    """Follow a feed. ``mode`` 'inbox': its entries wait to be picked; 'auto': each new entry
    is a pick (the author's own bookmark or highlight feed). ``kind``: see SOURCE_KINDS."""
    url = check_url(url)
    mode, kind = _mode(mode), _kind(kind)
    with nl.session() as s:
        existing = store.source_by_url(s, url)
        if existing:
            raise LinkletterError(f"{url} is already a source (#{existing.id}).")
        return store.insert_source(s, url, one_line(name), mode, kind)


def list_sources(nl) -> list[Source]:
    with nl.session() as s:
        return store.all_sources(s)


def remove_source(nl, source_id: int) -> None:
    """Stop following a feed. The links found through it stay."""
    with nl.session() as s:
        if not store.delete_source(s, source_id):
            raise LinkletterError(f"no source #{source_id} (see 'linkletter sources list').")


def sync_config_sources(nl) -> list[Source]:
    """Add the config's ``sources`` that are not in the table yet (a source is one config line
    away); the ones already there are left as they are."""
    added = []
    with nl.session() as s:
        for cfg in nl.settings.sources:
            if store.source_by_url(s, cfg.url) is None:
                added.append(store.insert_source(s, cfg.url, one_line(cfg.name), _mode(cfg.mode), _kind(cfg.kind)))
    return added
