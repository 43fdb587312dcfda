"""A cited PDF (a study, a report): its text and what its document information says (pypdf).

Read within bounds: the body is already capped by the fetch (``fetch_max_bytes``); at most
``MAX_PAGES`` pages and ``MAX_CHARS`` characters are read, and reading stops once the deadline
passes (checked between pages). An encrypted or broken PDF gives no text, never an error: the
page is kept with what its headers tell, and its quotes are "not checked".
"""

from __future__ import annotations

import io
import logging
import re
import time
from datetime import timezone

from pipeline.collect.extract import PageMeta
from pipeline.collect.text import normalize_text, one_line

MAX_PAGES = 300
MAX_CHARS = 2_000_000
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")  # a word hyphenated at a line's end


def _info(reader, name: str) -> str | None:
    try:
        value = getattr(reader.metadata, name, None) if reader.metadata else None
    except Exception:  # noqa: BLE001 - a broken info dictionary is no title
        return None
    return one_line(str(value))[:500] or None if value else None


def read_pdf(body: bytes, *, deadline: float | None = None) -> PageMeta:
    """Title, author, date and text of a PDF; ``deadline`` is a ``time.monotonic()`` value."""
    try:
        import pypdf
    except ImportError:  # pragma: no cover - a dependency; without it a PDF is kept unread
        return PageMeta()
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about odd files are not ours
    try:
        reader = pypdf.PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return PageMeta()
        pages = reader.pages
        count = min(len(pages), MAX_PAGES)
    except Exception:  # noqa: BLE001 - a broken PDF has no text
        return PageMeta()
    texts, size = [], 0
    for i in range(count):
        if deadline is not None and time.monotonic() > deadline:
            break
        try:
            text = pages[i].extract_text() or ""
        except Exception:  # noqa: BLE001 - one unreadable page does not lose the others
            continue
        texts.append(_HYPHEN_BREAK.sub(r"\1\2", text))
        size += len(text)
        if size > MAX_CHARS:
            break
    created = None
    try:
        created = reader.metadata.creation_date if reader.metadata else None
    except Exception:  # noqa: BLE001
        created = None
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    main = normalize_text("\n\n".join(texts))[:MAX_CHARS] or None
    return PageMeta(title=_info(reader, "title"), author=_info(reader, "author"),
                    published_at=created.astimezone(timezone.utc) if created else None, main_text=main)
