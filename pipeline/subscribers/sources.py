"""Where an import's rows come from: a CSV file, or each CSV file of a zip (Mailchimp's
export of all three lists), read as UTF-8 text, and what to say when a file cannot be read."""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, TextIO

from pipeline.subscribers.addresses import SubscriberError


@dataclass(frozen=True)
class Source:
    label: str                      # for messages: the path, or 'archive.zip:member.csv'
    name: str                       # for the consent record: the file's name
    open_bytes: Callable[[], BinaryIO]
    size: int                       # bytes (uncompressed)


# A zip (Mailchimp's export of all three lists) is read member by member, never unpacked; the
# declared sizes bound what is read (zipfile stops at a member's declared size).
MAX_ZIP_MEMBERS = 20
MAX_MEMBER_SIZE = 4 << 30


def sources(path: Path) -> list[Source]:
    if not zipfile.is_zipfile(path):
        return [Source(str(path), path.name, lambda: open(path, "rb"), path.stat().st_size)]
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise SubscriberError(f"{path}: not a readable zip file: {e}") from None
    members = sorted((i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")
                      and "__MACOSX" not in i.filename), key=lambda i: i.filename)
    if not members:
        raise SubscriberError(f"{path}: the zip file holds no .csv file")
    if len(members) > MAX_ZIP_MEMBERS or any(i.file_size > MAX_MEMBER_SIZE for i in members):
        raise SubscriberError(f"{path}: the zip file holds more than {MAX_ZIP_MEMBERS} CSV files or one larger "
                              f"than {MAX_MEMBER_SIZE >> 30} GiB; unpack it and import the files one by one")
    return [Source(f"{path}:{i.filename}", Path(i.filename).name, lambda i=i: zf.open(i), i.file_size)
            for i in members]


def open_text(source: Source) -> TextIO:
    # utf-8-sig: a BOM from spreadsheet exports is dropped; anything not UTF-8 raises.
    return io.TextIOWrapper(source.open_bytes(), encoding="utf-8-sig", errors="strict", newline="")


def unreadable(source: Source, reader, e: Exception) -> SubscriberError:
    if isinstance(e, UnicodeDecodeError):
        return SubscriberError(f"{source.label}:{_first_non_utf8_line(source)}: the file is not UTF-8 ({e.reason}); "
                               f"save it as UTF-8 and import again. Nothing was imported.")
    return SubscriberError(f"{source.label}:{reader.line_num}: not a valid CSV file: {e}; nothing was imported")


def _first_non_utf8_line(source: Source) -> int:
    """The line of the first byte that is not UTF-8 (scanning again in binary: simple and exact)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    line = 0
    with source.open_bytes() as f:
        for line, raw in enumerate(f, 1):
            try:
                dec.decode(raw)
            except UnicodeDecodeError:
                return line
    return line
