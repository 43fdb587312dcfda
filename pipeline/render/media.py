"""Local images of a draft (``![alt](img/bild.png)``): read, sized, and given a web address.

A mail client cannot load a file from the author's disk, so an image that is a file next to
the drafts is copied into the site (``site/media/<stem>-<hash>.<ext>``, the name carrying
a hash of the bytes, so a changed picture gets a new address and a cached one never goes
stale) and referenced by its absolute URL under ``base_url``. Its width and height are read
from the file's own header (PNG, GIF, JPEG, WebP; no image library) and written into the
``<img>``: Outlook for Windows shows an image without a ``width`` at its full size. The width
shown is at most the column (:data:`MAX_WIDTH`), so a picture twice as wide stays sharp on a
high-density screen.

The file must lie inside the newsletter folder, be one of those formats, and be at most
:data:`MAX_BYTES`; anything else is a :class:`~pipeline.errors.DraftError` with the line.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import DraftError

MAX_WIDTH = 544  # the email's text column: 600 px less 2 × 28 px padding
MAX_BYTES = 5_000_000  # a larger picture makes a slow mail; refused, not shrunk
MEDIA_DIR = "media"
_SUFFIXES = {".png": "png", ".gif": "gif", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")


@dataclass(frozen=True)
class Media:
    source: Path  # the file in the newsletter folder
    name: str  # its name under site/media/
    url: str  # its absolute address
    width: int  # as shown (at most MAX_WIDTH)
    height: int


def is_local(src: str) -> bool:
    """A path, not a web address (nor a data:, javascript:... URL) and not in-page."""
    return bool(src) and not _SCHEME.match(src) and not src.startswith("#")


def image_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, GIF, JPEG or WebP file; None if not one."""
    if kind == "png" and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if kind == "gif" and data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if kind == "webp" and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if kind == "jpeg" and data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a" and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def shown_size(width: int, height: int) -> tuple[int, int]:
    if width <= MAX_WIDTH:
        return width, height
    return MAX_WIDTH, max(1, round(height * MAX_WIDTH / width))


def local_media(settings, draft, images) -> dict[str, Media]:
    """The local images among ``images`` (cites.Image: src, line), by their ``src``."""
    out: dict[str, Media] = {}
    root = Path(settings.root).resolve()
    base = Path(draft.path).resolve().parent
    for image in images:
        if image.src in out or not is_local(image.src):
            continue
        out[image.src] = _media(settings, draft, image, root, base)
    return out


def _media(settings, draft, image, root: Path, base: Path) -> Media:
    def refuse(reason: str) -> DraftError:
        return DraftError(draft.path, image.line, f"image {image.src}: {reason}")

    from urllib.parse import unquote

    path = (base / unquote(image.src.split("?", 1)[0].split("#", 1)[0])).resolve()
    if not path.is_relative_to(root):
        raise refuse("the file must be inside the newsletter folder")
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise refuse(f"not an image format every mail client shows (use one of: {', '.join(sorted(_SUFFIXES))})")
    if not path.is_file():
        raise refuse(f"no such file ({path})")
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise refuse(f"the file is larger than {MAX_BYTES // 1_000_000} MB; make it smaller for an email")
    size = image_size(data, kind)
    if size is None or min(size) <= 0:
        raise refuse(f"the file is not a readable {kind.upper()} image")
    digest = hashlib.sha256(data).hexdigest()[:12]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:60] or "image"
    name = f"{stem}-{digest}.{'jpg' if kind == 'jpeg' else kind}"
    width, height = shown_size(*size)
    return Media(source=path, name=name, url=f"{settings.base_url}/{MEDIA_DIR}/{name}", width=width, height=height)
