"""A folder (or zip) of earlier issues as Markdown or HTML files, one file each, as static
site generators and hand-kept archives have them.

Markdown: optional front matter (``title``, ``date``, ``issue``/``number``, ``url``), else the
first ``# `` heading is the title. HTML: ``<title>`` or the first ``<h1>``; the date from
``<meta property="article:published_time">``, ``<meta name="date">`` or ``<time datetime>``.
Where a file says no date, a leading ``YYYY-MM-DD`` in its name is used; else it is an error
naming the file. The number: the file's ``issue``, else a leading number in its name
(``026-...``), else one in its title."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import yaml

from pipeline.backissues.markdown import html_to_markdown
from pipeline.backissues.readers.common import Container, ExportError, OldIssue, number_in_title, parse_date

_DATE_IN_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_NUMBER_IN_NAME = re.compile(r"^(\d{1,5})(?=[-_. ])")
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)


def _files(container: Container) -> list[str]:
    names = [container.path.name] if container.is_single_file else container.names()
    return [n for n in names if n.lower().endswith((".md", ".markdown", ".html", ".htm"))
            and PurePosixPath(n).name.lower() not in ("readme.md", "index.html")]


def recognises(container: Container) -> bool:
    return bool(_files(container))


def _front_matter(text: str, where: str) -> tuple[dict, str]:
    m = _FRONT.match(text)
    if not m:
        return {}, text
    try:
        data = yaml.safe_load(m.group(1)[:20_000]) or {}
    except yaml.YAMLError as e:
        raise ExportError(f"{where}: the front matter is not valid YAML ({getattr(e, 'problem', e)})") from None
    return (data if isinstance(data, dict) else {}), text[m.end():]


def _markdown_file(text: str, where: str) -> tuple[dict, str, str]:
    meta, body = _front_matter(text, where)
    heading = str(meta.get("title") or "").strip()
    if not heading:
        m = re.search(r"^# (.+)$", body, re.M)
        if m:
            heading = m.group(1).strip()
            body = body[:m.start()] + body[m.end():]
    return meta, heading, body.strip() + "\n"


def _html_file(text: str) -> tuple[dict, str, str]:
    import lxml.html

    root = lxml.html.document_fromstring(text or "<html></html>")
    heading = (root.findtext(".//title") or root.findtext(".//h1") or "").strip()
    meta = {}
    for el in root.iter("meta"):
        if (el.get("property") or el.get("name") or "").lower() in ("article:published_time", "date", "dc.date"):
            meta["date"] = el.get("content")
            break
    if "date" not in meta:
        stamp = next((el.get("datetime") for el in root.iter("time") if el.get("datetime")), None)
        if stamp:
            meta["date"] = stamp
    return meta, heading, html_to_markdown(text, drop_title=heading)


def read(container: Container, *, title: str | None = None, **_options) -> list[OldIssue]:
    out = []
    for name in _files(container):
        where = name
        text = container.read_text(name)
        meta, heading, body = (_markdown_file(text, where) if name.lower().endswith((".md", ".markdown"))
                               else _html_file(text))
        if title and title.lower() not in heading.lower():
            continue
        base = PurePosixPath(name).name
        stamp = meta.get("date")
        if stamp is None and _DATE_IN_NAME.match(base):
            stamp = _DATE_IN_NAME.match(base).group(1)
        if stamp is None:
            raise ExportError(f"{where}: no date (give the file a 'date:' in its front matter, a date meta tag, "
                              f"or a name starting with YYYY-MM-DD)")
        number = meta.get("issue") or meta.get("number")
        if not isinstance(number, int):
            m = _NUMBER_IN_NAME.match(base)
            number = int(m.group(1)) if m and not _DATE_IN_NAME.match(base) else number_in_title(heading)
        url = str(meta.get("url") or meta.get("permalink") or "").strip()
        out.append(OldIssue(key=url or f"file:{name}", title=heading or base, date=parse_date(str(stamp), where),
                            body=body, number=number if isinstance(number, int) and number > 0 else None, where=where,
                            summary=str(meta.get("description") or meta.get("summary") or "").strip() or None))
    return out
