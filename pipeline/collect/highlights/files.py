"""Highlight files an author has lying around, imported as links with quotes and notes:

- **Readwise CSV** (readwise.io/export, "Export to CSV"): ``Highlight,Book Title,Book Author,
  Amazon Book ID,Note,Color,Tags,Location Type,Location,Highlighted at,Document tags``; also
  Readwise's import template ``Highlight,Title,Author,URL,Note,Location,Date``. A row without a
  URL is a book: it gets the book link (``api.book_url``).
- **Instapaper CSV** (instapaper.com/user, "Export to CSV"): ``URL,Title,Selection,Folder,
  Timestamp[,Tags]``; the selection is the passage saved with the page, the timestamp Unix time.
- **Kindle** ``My Clippings.txt`` (``highlights.kindle``).

Each file is read whole and checked before anything is stored: a broken row or entry is
reported with its line and nothing is written (with ``skip_broken`` the others are). The
entries then go through ``store_entries``, the feed path's one storage and dedup.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pipeline.collect.feeds import FeedEntry, FeedQuote
from pipeline.collect.highlights import kindle
from pipeline.collect.highlights.api import book_url, date_of, number_of, web_url
from pipeline.collect.links import retrying, store_entries
from pipeline.collect.text import normalize_text, one_line
from pipeline.errors import LinkletterError

FORMATS = ("readwise", "instapaper", "kindle")
MAX_FILE_BYTES = 50_000_000
MAX_SHOWN_ERRORS = 20


class ImportFileError(LinkletterError):
    """A file that cannot be imported as it is; the message lists the broken lines."""


@dataclass
class ParsedFile:
    format: str
    entries: list[FeedEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: reason"
    skipped: int = 0  # rows or clippings with nothing to keep (bookmarks, empty rows)


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a byte-order mark dropped); its size bounded."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportFileError(f"{path}: {size:,} bytes is more than an import reads ({MAX_FILE_BYTES:,})")
        data = path.read_bytes()
    except OSError as e:
        raise ImportFileError(f"{path}: cannot read it ({e.strerror or e})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ImportFileError(f"{path}:{line}: not UTF-8 text (an export from Readwise, Instapaper or a Kindle is)") \
            from None


def detect(text: str) -> str | None:
    """The format of a file's text, from its header row or its clippings; None if neither."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
    header = {h.strip().strip('"') for h in first.split(",")}
    if {"highlight", "book title"} <= header or {"highlight", "title", "url"} <= header:
        return "readwise"
    if {"url", "title", "selection"} <= header:
        return "instapaper"
    if kindle.SEPARATOR in text and any(w in text for w in ("Added on", "Hinzugefügt am", "Ajouté le", "Añadido el")):
        return "kindle"
    return None


def _rows(text: str, errors: list[str]):
    """(line number where the row starts, row dict) of a CSV with a header: quoted fields with
    commas and line breaks, either line end; blank lines are no rows. Cells past the header's
    are listed under the key None (as csv.DictReader does). Where the text stops being CSV, an
    error for that line ends the rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    try:
        header = next(reader, [])
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            record: dict = dict(zip(header, row))
            if len(row) > len(header):
                record[None] = row[len(header):]
            yield start, record
    except csv.Error as e:  # a cell over csv's size limit (128 KiB), a NUL byte: the rest is unreadable
        errors.append(f"line {end + 1}: not readable as CSV from here on ({e})")


def _cell(row: dict, *names: str) -> str:
    for name in names:
        for key, value in row.items():
            if key is not None and key.strip().lower() == name and isinstance(value, str):
                return value
    return ""


def _readwise_date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    found = date_of(value)
    if found:
        return found
    for fmt in ("%B %d, %Y %I:%M:%S %p", "%B %d, %Y %I:%M %p", "%B %d, %Y"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def parse_readwise(text: str) -> ParsedFile:
    out = ParsedFile("readwise")
    for line, row in _rows(text, out.errors):
        if None in row:  # more cells than the header has
            out.errors.append(f"line {line}: {len(row[None])} cell(s) more than the header names")
            continue
        quote = normalize_text(_cell(row, "highlight"))
        title, author = one_line(_cell(row, "book title", "title")), one_line(_cell(row, "book author", "author"))
        if not quote:
            out.skipped += 1
            continue
        url = _cell(row, "url").strip()
        page = web_url(url) if url else book_url(title, author)
        if page is None:
            out.errors.append(f"line {line}: " + (f"not a web address: {one_line(url)[:80]!r}" if url
                                                 else "no URL and no book title: nothing to link it to"))
            continue
        out.entries.append(FeedEntry(url=page, title=title[:500] or None, author=author[:200] or None, quotes=[
            FeedQuote(text=quote, note=normalize_text(_cell(row, "note")) or None, origin="highlight",
                      highlighted_at=_readwise_date(_cell(row, "highlighted at", "date")),
                      position=number_of(_cell(row, "location")))]))
    return out


def parse_instapaper(text: str) -> ParsedFile:
    out = ParsedFile("instapaper")
    for line, row in _rows(text, out.errors):
        if None in row:
            out.errors.append(f"line {line}: {len(row[None])} cell(s) more than the header names")
            continue
        url = _cell(row, "url").strip()
        page = web_url(url)
        if page is None:
            out.errors.append(f"line {line}: not a web address: {one_line(url)[:80]!r}" if url
                              else f"line {line}: no URL")
            continue
        stamp = number_of(_cell(row, "timestamp"))
        when = datetime.fromtimestamp(stamp, timezone.utc) if stamp and 0 < stamp < 32503680000 else None
        selection = normalize_text(_cell(row, "selection"))
        quotes = [FeedQuote(text=selection, origin="highlight", highlighted_at=when)] if selection else []
        out.entries.append(FeedEntry(url=page, title=one_line(_cell(row, "title"))[:500] or None, quotes=quotes))
    return out


def parse_kindle(text: str) -> ParsedFile:
    clippings, errors = kindle.parse_clippings(text)
    out = ParsedFile("kindle", errors=[str(e) for e in errors])
    books = kindle.books(clippings)
    out.skipped = len(clippings) - sum(len(b.highlights) + len(b.own_notes) + len(b.notes) for b in books)
    for book in books:
        quotes = [FeedQuote(text=c.text, note=book.notes.get(i), origin="highlight", highlighted_at=c.added,
                            position=float(c.location[0]) if c.location else (float(c.page) if c.page else None))
                  for i, c in enumerate(book.highlights)]
        out.entries.append(FeedEntry(url=book_url(book.title, book.author), title=book.title[:500],
                                     author=(book.author or "")[:200] or None, quotes=quotes,
                                     note="\n\n".join(book.own_notes) or None))
    return out


PARSERS = {"readwise": parse_readwise, "instapaper": parse_instapaper, "kindle": parse_kindle}


def parse_file(path: Path, fmt: str | None = None) -> ParsedFile:
    """Read and check a highlight file; ``fmt`` None detects it from the header or content."""
    text = read_text(path)
    if fmt is None:
        fmt = detect(text)
        if fmt is None:
            raise ImportFileError(f"{path}: cannot tell what this file is; say --from {'|'.join(FORMATS)}")
    elif fmt not in FORMATS:
        raise ImportFileError(f"--from must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return PARSERS[fmt](text)


@dataclass
class ImportReport:
    format: str
    entries: int
    new_links: int
    new_quotes: int
    skipped: int
    errors: list[str]  # the broken lines left out (with skip_broken)


def import_highlights(nl, path: str | Path, *, fmt: str | None = None, pick: bool = False,
                      skip_broken: bool = False) -> ImportReport:
    """Import a Readwise CSV, Instapaper CSV or Kindle ``My Clippings.txt``: its pages become
    links (in the inbox, or picks with ``pick``) with their highlights as quotes and the notes
    with them, deduplicated with every link and quote already there (importing twice adds
    nothing). A broken row is an error naming its line, and nothing is stored, unless
    ``skip_broken``: then the rest is, and the report lists what was left out."""
    path = Path(path)
    parsed = parse_file(path, fmt)
    if parsed.errors and not skip_broken:
        shown = [f"{path}:{e.removeprefix('line ')}" for e in parsed.errors[:MAX_SHOWN_ERRORS]]
        more = len(parsed.errors) - len(shown)
        raise ImportFileError("\n".join([f"{path}: {len(parsed.errors)} broken row(s), nothing imported "
                                          f"(--skip-broken imports the rest):", *shown]
                                         + ([f"... and {more} more"] if more > 0 else [])))

    def write():
        with nl.session() as s:
            return store_entries(s, None, parsed.entries, auto=pick)

    stored = retrying(write)
    return ImportReport(format=parsed.format, entries=len(parsed.entries), new_links=len(stored.new_links),
                        new_quotes=stored.new_quotes, skipped=parsed.skipped, errors=parsed.errors)
