"""Everything a reader sees besides the author's own text, in German and English.

``t(language, key, **kwargs)`` looks a string up and fills its ``{placeholders}``;
``format_date(language, when)`` writes a date the way readers of that language expect.
An unknown key or language is a programming error (KeyError), never a silent fallback.

The form of address: German readers are addressed formally ("Sie", the ``de`` entries) or
informally ("du", the ``de_du`` entries), as the setting ``address_form`` says. ``language``
in these functions is then a *locale*: ``de``, ``de_du`` or ``en`` (see :func:`locale`;
:attr:`pipeline.settings.Settings.locale` is the newsletter's). A string that does not
address the reader has only a ``de`` entry, and ``de_du`` uses it; every string that says
"Sie", "Ihr", "Ihnen" ... has a ``de_du`` twin (tests/test_i18n_address.py checks it).

The strings live in one module per area (``issue``, ``web``, ...), each a ``STRINGS`` dict of
key -> {language: text}; :data:`STRINGS` is all of them, and a key defined twice is an error.
A new area adds its module to :data:`AREAS`.
"""

from __future__ import annotations

from datetime import datetime

from pipeline.i18n import desk, email, issue, notify, picks, stats, web

LANGUAGES = ("de", "en")  # the languages readers can be addressed in; settings check against it
ADDRESS_FORMS = ("sie", "du")  # how German readers are addressed (the setting address_form)
VARIANTS = {"de_du": "de"}  # locale -> the language whose entry it falls back to
LOCALES = LANGUAGES + tuple(VARIANTS)

AREAS = (
    email,
    issue,
    web,
    picks,
    notify,
    desk,
    stats,
)


def _merge(areas) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for area in areas:
        twice = set(merged) & set(area.STRINGS)
        if twice:
            raise KeyError(f"{area.__name__} defines keys another area has: {sorted(twice)}")
        merged.update(area.STRINGS)
    return merged


STRINGS: dict[str, dict[str, str]] = _merge(AREAS)
WEB_STRINGS = web.STRINGS

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
}


def locale(language: str, address_form: str = "sie") -> str:
    """The locale strings are looked up in: ``de_du`` for German with ``du``, else the language."""
    return "de_du" if language == "de" and address_form == "du" else language


def entry_text(entry: dict[str, str], language: str) -> str:
    """One string table entry in a locale: a variant without its own text uses its language's."""
    if language in VARIANTS and language not in entry:
        return entry[VARIANTS[language]]
    return entry[language]


def t(language: str, key: str, **kwargs) -> str:
    """The string ``key`` in ``language`` (a locale) with its placeholders filled from ``kwargs``."""
    text = entry_text(STRINGS[key], language)
    return text.format(**kwargs) if kwargs else text


def format_date(language: str, when: datetime) -> str:
    """'1 December 2026' / '1. Dezember 2026' (the date as it was where it was written)."""
    language = VARIANTS.get(language, language)
    month = MONTHS[language][when.month - 1]
    if language == "de":
        return f"{when.day}. {month} {when.year}"
    return f"{when.day} {month} {when.year}"


def translator(language: str):
    """``t`` bound to one language (a locale), for templates: ``{{ t('footer.unsubscribe') }}``."""
    if language not in LOCALES:
        raise KeyError(language)

    def bound(key: str, **kwargs) -> str:
        return t(language, key, **kwargs)

    return bound
