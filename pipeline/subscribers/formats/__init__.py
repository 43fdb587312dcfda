"""The export formats the import reads: one small module per platform saying which column
means what, all feeding the one import path (``pipeline/subscribers/records.py``: validation,
merging, suppression, the consent record).

A file's format is recognised by its header row (the first module whose ``detect`` accepts it,
most specific first; a plain CSV last) or named with ``--from``.
"""

from __future__ import annotations

from pipeline.subscribers.addresses import SubscriberError
from typing import Callable

from pipeline.subscribers.formats import (beehiiv, buttondown, common, curated, fast, ghost, keila, listmonk,
                                          mailchimp, plain, substack)
from pipeline.subscribers.formats.common import COLUMNS, Header, Spec, utc_text

FORMATS = {m.NAME: m for m in (mailchimp, substack, buttondown, ghost, listmonk, beehiiv, keila, curated, plain)}
NAMES = tuple(FORMATS)


def recognise(header: list[str], forced: str | None = None, *, default_status: str = "active",
              unescape=None) -> Spec:
    """The Spec for a file with this header row: of the format ``forced`` (a name in NAMES) or
    of the first format that recognises the header. Raises SubscriberError when the columns the
    format needs are missing."""
    h = Header(header)
    if forced is not None:
        if forced not in FORMATS:
            raise SubscriberError(f"unknown format {forced!r}; known: {', '.join(NAMES)}")
        module = FORMATS[forced]
    else:
        module = next(m for m in FORMATS.values() if m is plain or m.detect(h))
    if module is plain:
        return plain.spec(h, default_status, unescape)
    return module.spec(h)


def row_mapper(spec: Spec, source: str, now: str) -> Callable[[list], tuple]:
    """The function that maps one row of this file (see ``common.row_mapper``); for the usual
    exports a generated one for the common rows (``fast``), with the same results."""
    general = common.row_mapper(spec, source, now)
    if fast.suits(spec):
        return fast.compile_mapper(spec, common.consent_prefix(spec, source), now, general)
    return general


__all__ = ["COLUMNS", "FORMATS", "NAMES", "Header", "Spec", "recognise", "row_mapper", "utc_text"]
