"""Kindle's ``My Clippings.txt``: every highlight, note and bookmark made on a Kindle.

The format, as Kindles write it (no official documentation; the file itself, as the readers
of it in calibre and KOReader take it): UTF-8, a byte-order mark at the start (some firmware
puts one before every title), Windows line ends, and entries separated by a line of ten ``=``:

    The Hobbit (J. R. R. Tolkien)
    - Your Highlight on page 12 | Location 180-182 | Added on Monday, 3 March 2025 10:02:11

    In a hole in the ground there lived a hobbit.
    ==========

The title line ends with the author in parentheses. The metadata line names the kind
(``Highlight``/``Note``/``Bookmark``; German ``Markierung``/``Notiz``/``Lesezeichen``, French
``surlignement``/``note``/``signet``, Spanish ``subrayado``/``nota``/``marcador``), the page and
location (``Location``, ``Position``, ``emplacement``, ``posición``; older firmware ``Loc.``), and
the date (``Added on``, ``Hinzugefügt am``, ``Ajouté le``, ``Añadido el``), in the device's
language and without a time zone (taken as UTC). A note follows its highlight at the
highlight's last location and becomes that quote's note; a note without one is the book's
note. Bookmarks hold no text and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pipeline.collect.text import normalize_text, one_line

SEPARATOR = "=========="
KINDS = {
    "highlight": ("highlight", "markierung", "surlignement", "subrayado", "evidenziazione"),
    "note": ("note", "notiz", "nota"),
    "bookmark": ("bookmark", "lesezeichen", "signet", "marcador", "segnalibro"),
}
_LOCATION = re.compile(r"(?:location|loc\.|position|emplacement|posición|posizione)\s*(\d+)(?:\s*-\s*(\d+))?", re.I)
_PAGE = re.compile(r"(?:page|seite|página|pagina)\s*(\d+)", re.I)
_ADDED = re.compile(r"(?:added on|hinzugefügt am|ajouté le|añadido el|aggiunto il)\s*(.+)$", re.I)
MONTHS = {name: i + 1 for names in (
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"),
    ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
     "november", "dezember"),
    ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
     "novembre", "décembre"),
    ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
     "noviembre", "diciembre"),
) for i, name in enumerate(names)}
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")
LIMIT_MESSAGES = ("<you have reached the clipping limit", "<sie haben die obergrenze", "<vous avez atteint")


class ClippingError(ValueError):
    """An entry that is not a clipping: ``line`` is where it starts."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line = line


@dataclass
class Clipping:
    line: int  # where the entry starts in the file
    title: str
    author: str | None
    kind: str  # highlight | note | bookmark
    text: str
    location: tuple[int, int] | None = None
    page: int | None = None
    added: datetime | None = None


@dataclass
class Book:
    title: str
    author: str | None
    highlights: list[Clipping] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)  # highlight index -> note
    own_notes: list[str] = field(default_factory=list)  # notes at no highlight


def parse_date(text: str) -> datetime | None:
    """'Monday, 3 March 2025 10:02:11', 'Monday, March 3, 2025 10:02:11 AM',
    'Montag, 3. März 2025 10:02:11', 'lundi 3 mars 2025 10:02:11' -> UTC; None if unreadable."""
    words = re.findall(r"[^\W\d_]+|\d+", text.lower())
    month = next((MONTHS[w] for w in words if w in MONTHS), None)
    numbers = [int(w) for w in re.findall(r"\b\d+\b", _TIME.sub(" ", text))]
    years = [n for n in numbers if n > 1900]
    days = [n for n in numbers if 1 <= n <= 31]
    t = _TIME.search(text)
    if month is None or not years or not days or t is None:
        return None
    hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
    meridiem = (t.group(4) or "").lower().replace(".", "")
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    try:
        return datetime(years[0], month, days[0], hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None


def _title_author(line: str) -> tuple[str, str | None]:
    line = one_line(line.replace("\ufeff", ""))
    m = re.match(r"^(.*\S)\s*\(([^()]*)\)$", line)
    if m and m.group(2).strip():
        return m.group(1), one_line(m.group(2))
    return line, None


def _kind(meta: str) -> str | None:
    head = meta.split("|", 1)[0].lower()
    for kind, words in KINDS.items():
        if any(re.search(rf"\b{w}\b", head) for w in words):
            return kind
    return None


def _entry(lines: list[str], start: int) -> Clipping | None:
    while lines and not lines[0].replace("\ufeff", "").strip():
        lines, start = lines[1:], start + 1
    if not lines:
        return None
    if len(lines) < 2 or not lines[1].lstrip().startswith("-"):
        raise ClippingError(start, "no '- Your Highlight on ... | Added on ...' line after the title")
    title, author = _title_author(lines[0])
    meta = lines[1].strip()
    kind = _kind(meta)
    if not title or kind is None:
        raise ClippingError(start, f"not a highlight, note or bookmark: {one_line(meta)[:80]!r}")
    loc, page, added = _LOCATION.search(meta), _PAGE.search(meta), _ADDED.search(meta)
    location = None
    if loc:
        first = int(loc.group(1))
        last = int(loc.group(2)) if loc.group(2) else first
        if loc.group(2) and last < first:  # old firmware shortens "180-182" to "180-82"
            last = int(str(first)[: len(str(first)) - len(loc.group(2))] + loc.group(2))
        location = (first, last)
    return Clipping(line=start, title=title, author=author, kind=kind, text=normalize_text("\n".join(lines[2:])),
                    location=location, page=int(page.group(1)) if page else None,
                    added=parse_date(added.group(1)) if added else None)


def parse_clippings(text: str) -> tuple[list[Clipping], list[ClippingError]]:
    """Every entry of a ``My Clippings.txt`` (as text), and the entries that are none."""
    clippings, errors = [], []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start, chunk = 1, []
    for number, line in enumerate(lines, 1):
        if line.replace("\ufeff", "").strip() == SEPARATOR:
            try:
                entry = _entry(chunk, start)
            except ClippingError as e:
                errors.append(e)
            else:
                if entry is not None:
                    clippings.append(entry)
            start, chunk = number + 1, []
        else:
            chunk.append(line)
    try:
        entry = _entry(chunk, start)  # a last entry without its separator
    except ClippingError as e:
        errors.append(e)
    else:
        if entry is not None:
            clippings.append(entry)
    return clippings, errors


def books(clippings: list[Clipping]) -> list[Book]:
    """The clippings by book, highlights with their notes; bookmarks and the Kindle's own
    'clipping limit' messages left out."""
    by_key: dict[tuple[str, str | None], Book] = {}
    for c in clippings:
        book = by_key.setdefault((c.title, c.author), Book(c.title, c.author))
        if c.kind == "bookmark" or not c.text or c.text.lower().startswith(LIMIT_MESSAGES):
            continue
        if c.kind == "highlight":
            book.highlights.append(c)
            continue
        at = c.location[0] if c.location else None
        match = next((i for i in range(len(book.highlights) - 1, -1, -1)
                      if at is not None and book.highlights[i].location
                      and book.highlights[i].location[0] <= at <= book.highlights[i].location[1]), None)
        if match is None:
            book.own_notes.append(c.text)
        else:
            book.notes[match] = f"{book.notes[match]}\n\n{c.text}" if match in book.notes else c.text
    return [b for b in by_key.values() if b.highlights or b.own_notes]
