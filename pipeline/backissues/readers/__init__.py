"""One reader per platform's export. Each turns its files into :class:`OldIssue` objects
(title, date, Markdown body, the number the platform gave it, where it was published), in the
order the export lists them; pipeline/backissues/plan.py numbers and places them.

``READERS`` maps the ``--from`` name to the module; :func:`detect` recognises an export by its
files (a WXR's ``<rss>`` with the WordPress namespace, ``posts.csv``, ``emails.csv``, ...)."""

from __future__ import annotations

import importlib

from pipeline.backissues.readers.common import ExportError, OldIssue, Container, open_container

READERS = {
    "wordpress": "wordpress",
    "feed": "feed",
    "substack": "substack",
    "buttondown": "buttondown",
    "curated": "curated",
    "folder": "folder",
}

__all__ = ["READERS", "Container", "ExportError", "OldIssue", "detect", "read_export"]


def detect(container: Container) -> str:
    """The export's platform, told from its files; an ExportError lists what was looked for."""
    for name in ("substack", "buttondown", "curated", "wordpress", "feed", "folder"):
        if _module(name).recognises(container):
            return name
    raise ExportError(f"{container.label}: not an export Linkletter knows (looked for a WordPress WXR file, a feed, "
                      f"Substack's posts.csv, Buttondown's emails.csv, Curated issue JSON, or .md/.html files); "
                      f"name the platform with --from")


def read_export(container: Container, platform: str, **options) -> list[OldIssue]:
    if platform not in READERS:
        raise ExportError(f"unknown export kind {platform!r}; one of: {', '.join(READERS)}")
    return _module(platform).read(container, **options)


def _module(name: str):
    return importlib.import_module(f"pipeline.backissues.readers.{READERS[name]}")
