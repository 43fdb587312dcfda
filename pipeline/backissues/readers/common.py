"""What every reader shares: the issue it yields, the export it reads (a file, a folder or a
zip, every read bounded), dates and the numbers platforms write into titles."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath

from pipeline.errors import LinkletterError

MAX_FILE_BYTES = 100_000_000  # one export file (a big blog's WXR is tens of MB)
MAX_TOTAL_BYTES = 1_000_000_000  # everything read from one export (a zip bomb stops here)
MAX_FILES = 20_000


class ExportError(LinkletterError):
    """An export cannot be read; the message names the file (and line or item) and why."""


@dataclass(frozen=True)
class OldIssue:
    key: str  # where it was published (its old URL), else the export's id for it: the import's identity
    title: str
    date: datetime  # aware
    body: str  # Markdown
    number: int | None  # the number the platform (or its title) gave it
    where: str  # for messages: "posts.csv line 14", "export.xml item 3"
    summary: str | None = None  # a subtitle or summary the platform kept: the draft's preheader


class Container:
    """A file, a folder or a zip file, read by relative POSIX names; every read is bounded."""

    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)
        self._zip = zipfile.ZipFile(path) if path.is_file() and zipfile.is_zipfile(path) else None
        self._read = 0

    @property
    def is_single_file(self) -> bool:
        return self._zip is None and self.path.is_file()

    def names(self) -> list[str]:
        if self._zip is not None:
            names = [i.filename for i in self._zip.infolist() if not i.is_dir()]
        elif self.path.is_dir():
            names = [p.relative_to(self.path).as_posix() for p in sorted(self.path.rglob("*")) if p.is_file()]
        else:
            names = [self.path.name]
        names = [n for n in names if not any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(n).parts)]
        if len(names) > MAX_FILES:
            raise ExportError(f"{self.label}: holds {len(names):,} files; at most {MAX_FILES:,} are read")
        return names

    def find(self, name: str) -> str | None:
        """The stored name whose last part is ``name`` (exports are often zipped in a folder)."""
        matches = [n for n in self.names() if PurePosixPath(n).name.lower() == name.lower()]
        return min(matches, key=len) if matches else None

    def read_bytes(self, name: str) -> bytes:
        if self._zip is not None:
            info = self._zip.getinfo(name)
            size = info.file_size
        else:
            target = self.path if self.is_single_file else self.path / name
            size = os.stat(target).st_size
        if size > MAX_FILE_BYTES:
            raise ExportError(f"{self.label}: {name} is {size:,} bytes; at most {MAX_FILE_BYTES:,} are read")
        self._read += size
        if self._read > MAX_TOTAL_BYTES:
            raise ExportError(f"{self.label}: more than {MAX_TOTAL_BYTES:,} bytes in all; not an export of issues")
        if self._zip is not None:
            with self._zip.open(name) as f:
                data = f.read(MAX_FILE_BYTES + 1)  # the header's size may lie
            if len(data) > MAX_FILE_BYTES:
                raise ExportError(f"{self.label}: {name} unpacks to more than {MAX_FILE_BYTES:,} bytes")
            return data
        return target.read_bytes()

    def read_text(self, name: str) -> str:
        data = self.read_bytes(name)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")  # old Windows exports


def csv_rows(container: Container, filename: str, needed: set[str], holds: str):
    """(the file's folder prefix inside the export, an iterator of (row, "file line N"))
    for the export's CSV ``filename``, which must have the ``needed`` columns."""
    name = container.find(filename)
    if name is None:
        raise ExportError(f"{container.label}: no {filename} ({holds})")
    rows = csv.DictReader(io.StringIO(container.read_text(name), newline=""))
    missing = needed - set(rows.fieldnames or ())
    if missing:
        raise ExportError(f"{container.label}: {name} has no column(s) {', '.join(sorted(missing))}")
    folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
    return folder, ((row, f"{name} line {rows.line_num}") for row in rows)


def open_container(path: str | os.PathLike) -> Container:
    path = Path(path).expanduser()
    if not path.exists():
        raise ExportError(f"{path}: no such file or folder")
    try:
        return Container(path)
    except zipfile.BadZipFile as e:
        raise ExportError(f"{path}: not a readable zip file ({e})") from None


_NUMBER_IN_TITLE = re.compile(r"(?:\b(?:no|nr|nummer|number|issue|ausgabe|folge|vol)\.?\s*|#|№\s*)(\d{1,5})\b", re.I)


def number_in_title(title: str) -> int | None:
    """'Krasse Links No 26' -> 26, 'Wochenlese, Ausgabe 12' -> 12, 'Weekly #7' -> 7."""
    m = _NUMBER_IN_TITLE.search(title or "")
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


def parse_date(text: str | None, where: str) -> datetime:
    """ISO 8601 ('2024-03-04T07:00:00.000Z', '2024-03-04 07:00:00+00:00') or RFC 822
    ('Mon, 04 Mar 2024 07:00:00 +0000'); a time without a zone is read as UTC."""
    text = (text or "").strip()
    if not text:
        raise ExportError(f"{where}: no date")
    when = None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    if when is None:
        raise ExportError(f"{where}: {text[:60]!r} is not a date")
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.replace(microsecond=0)
