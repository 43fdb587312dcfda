"""A Substack export (Settings → Exports: a zip with ``posts.csv`` and ``posts/<post_id>.html``).

``posts.csv`` columns: post_id, post_date, is_published, email_sent_at, inbox_sent_at, type,
audience, title, subtitle, podcast_url. ``post_id`` is "<number>.<slug>"; the HTML file holds
the post's body only. Published posts of type newsletter are read (podcasts and threads are
not issues). The export has no addresses: with ``old_site`` (https://name.substack.com or the
custom domain) each issue's old URL is ``<old_site>/p/<slug>``, and the site redirects it."""

from __future__ import annotations


from pipeline.backissues.markdown import html_to_markdown
from pipeline.backissues.readers.common import Container, ExportError, OldIssue, csv_rows, number_in_title, parse_date

_NEEDED = {"post_id", "post_date", "is_published", "title"}


def recognises(container: Container) -> bool:
    name = None if container.is_single_file else container.find("posts.csv")
    return bool(name) and "post_id" in container.read_text(name)[:500]


def read(container: Container, *, old_site: str | None = None, title: str | None = None, **_options) -> list[OldIssue]:
    folder, rows = csv_rows(container, "posts.csv", _NEEDED, "a Substack export holds posts.csv and posts/")
    out = []
    for row, where in rows:
        if (row.get("is_published") or "").strip().lower() != "true":
            continue
        if (row.get("type") or "newsletter").strip().lower() not in ("newsletter", ""):
            continue
        heading = (row.get("title") or "").strip()
        if title and title.lower() not in heading.lower():
            continue
        post_id = (row.get("post_id") or "").strip()
        html_name = f"{folder}posts/{post_id}.html"
        if html_name not in container.names():
            raise ExportError(f"{where}: post {post_id!r} has no file {html_name} in the export")
        slug = post_id.split(".", 1)[1] if "." in post_id else post_id
        key = f"{old_site.rstrip('/')}/p/{slug}" if old_site else f"substack:{post_id}"
        out.append(OldIssue(key=key, title=heading, date=parse_date(row.get("email_sent_at") or row.get("post_date"), where),
                            body=html_to_markdown(container.read_text(html_name), drop_title=heading),
                            number=number_in_title(heading), where=where,
                            summary=(row.get("subtitle") or "").strip() or None))
    return out
