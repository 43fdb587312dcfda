"""A Buttondown export (Settings → Export: a zip with ``emails.csv`` and one Markdown file per
email in ``emails/``). Columns as Buttondown's email objects name them: id, subject, body or
not, publish_date, slug, secondary_id (the issue number Buttondown shows), status, email_type,
absolute_url (when the export has it). An email's file is ``emails/<slug>.md`` (or
``<id>.md``); its body is the author's Markdown, kept as written, except Buttondown's editor
comment (``<!-- buttondown-editor-mode: ... -->``). Sent emails (status sent/imported) are read."""

from __future__ import annotations

import re

from pipeline.backissues.markdown import html_to_markdown
from pipeline.backissues.readers.common import Container, ExportError, OldIssue, csv_rows, number_in_title, parse_date

_EDITOR_MODE = re.compile(r"^\s*<!--\s*buttondown-editor-mode:[^>]*-->\s*", re.I)


def recognises(container: Container) -> bool:
    name = None if container.is_single_file else container.find("emails.csv")
    return bool(name) and "subject" in container.read_text(name)[:500].lower()


def _body(container: Container, row: dict, folder: str, where: str) -> str:
    names = set(container.names())
    for stem in (row.get("slug"), row.get("id")):
        for ext in (".md", ".html"):
            name = f"{folder}emails/{(stem or '').strip()}{ext}"
            if stem and name in names:
                text = _EDITOR_MODE.sub("", container.read_text(name))
                return html_to_markdown(text) if ext == ".html" or text.lstrip().startswith("<") else text
    if row.get("body"):
        return _EDITOR_MODE.sub("", row["body"])
    raise ExportError(f"{where}: email {row.get('slug') or row.get('id')!r} has no file in {folder}emails/")


def read(container: Container, *, title: str | None = None, **_options) -> list[OldIssue]:
    folder, rows = csv_rows(container, "emails.csv", {"subject", "publish_date"}, "a Buttondown export holds emails.csv and emails/")
    out = []
    for row, where in rows:
        if (row.get("status") or "sent").strip().lower() not in ("sent", "imported"):
            continue
        heading = (row.get("subject") or "").strip()
        if title and title.lower() not in heading.lower():
            continue
        number = (row.get("secondary_id") or "").strip()
        key = (row.get("absolute_url") or "").strip() or f"buttondown:{(row.get('id') or row.get('slug') or '').strip()}"
        out.append(OldIssue(key=key, title=heading, date=parse_date(row.get("publish_date"), where),
                            body=_body(container, row, folder, where).strip() + "\n",
                            number=int(number) if number.isdigit() and int(number) > 0 else number_in_title(heading),
                            where=where, summary=(row.get("description") or "").strip() or None))
    return out
