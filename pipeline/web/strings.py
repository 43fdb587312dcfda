"""What readers see on the server's own pages: ``pipeline/i18n/web.py``
(one string table, one rule: an unknown key or language is a KeyError, never a fallback),
looked up for ``settings.locale`` (the language, and for German the form of address)."""

from __future__ import annotations

from pipeline.i18n import WEB_STRINGS, entry_text, t


def text(lang: str, key: str, **values) -> str:
    """The string ``key`` in ``lang``, filled in."""
    return t(lang, key, **values)


def has(key: str) -> bool:
    return key in WEB_STRINGS


def table(lang: str, **values) -> dict[str, str]:
    """Every page string of ``lang`` with ``values`` filled in, for templates (``t['confirm.title']``);
    a string needing a value not given stays as it is."""
    out = {}
    for key, langs in WEB_STRINGS.items():
        text = entry_text(langs, lang)
        try:
            out[key] = text.format(**values)
        except KeyError:
            out[key] = text
    return out
