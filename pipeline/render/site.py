"""The static site: an index of published issues, one page per issue, ``feed.xml`` (RSS 2.0)
and ``atom.xml`` (Atom 1.0). Plain files any static host can serve.

An issue is published when its draft says ``status: sent``; its ``date`` is the publication
date (else ``send_at``, else the file's modification time). Drafts in any other status are
left out of the index and feeds, but ``render_issue_page`` previews any draft.

A sent issue is shown as it was mailed, from its frozen body (see archive.py); a correction
is an explicit, recorded step. ``build_site`` renders everything first, then writes (see writer.py): a broken draft or
template leaves the site as it was.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

from html import escape as html_escape
from html import unescape as html_unescape

from markupsafe import Markup, escape

from pipeline.draft.format import Draft, list_drafts, read_drafts_leniently
from pipeline.errors import DraftError
from pipeline.i18n import format_date, t
from pipeline.render import templates
from pipeline.render.issue import PreparedIssue, issue_path, prepare
from pipeline.render.writer import Writer

FEED_RSS = "feed.xml"
FEED_ATOM = "atom.xml"


def publication_date(draft: Draft) -> datetime:
    """When the issue was published: ``date``, else ``send_at``, else the file's mtime."""
    when = draft.date or draft.send_at
    if when is None:
        when = datetime.fromtimestamp(os.stat(draft.path).st_mtime, timezone.utc).replace(microsecond=0)
    return when


def published_issues(nl, *, skip_unsent_broken: bool = False) -> list[Draft]:
    """The published drafts, newest first (by publication date, then issue number).

    A draft that cannot be read is an error; with ``skip_unsent_broken`` (the main job's
    rebuild after a send) one that was never sent is left out instead, so an issue the
    author is in the middle of editing does not keep a sent one off the site."""
    try:
        drafts = list_drafts(nl.settings.drafts_dir)
    except DraftError:
        if not skip_unsent_broken:
            raise
        drafts = _readable_unless_sent(nl)
    drafts = [d for d in drafts if d.published]
    return sorted(drafts, key=lambda d: (publication_date(d), d.issue), reverse=True)


def _readable_unless_sent(nl) -> list[Draft]:
    from pipeline.store.issues import sent_draft_names

    with nl.engine.connect() as conn:
        sent = sent_draft_names(conn)
    drafts, broken = read_drafts_leniently(nl.settings.drafts_dir)
    for error in broken:
        if error.path.name in sent:  # a sent issue must not drop off the site: keep the old site
            raise error
    numbers = [d.issue for d in drafts]
    if len(numbers) != len(set(numbers)):
        list_drafts(nl.settings.drafts_dir)  # raises the duplicate-number error
    return drafts


def _site_context(settings, root: str) -> dict:
    lang, loc = settings.language, settings.locale
    return {
        "lang": lang,
        "t": lambda key, **kw: t(loc, key, **kw),
        "newsletter_title": settings.title,
        "author": settings.author,
        "base_url": settings.base_url,
        "root": root,
        "rss_url": f"{settings.base_url}/{FEED_RSS}",
        "atom_url": f"{settings.base_url}/{FEED_ATOM}",
        "postal_address": settings.postal_address,
        "imprint_url": settings.imprint_url,
    }


def page_from(nl, prepared: PreparedIssue, *, root: str = "../") -> str:
    """The issue's web page. ``root`` is the relative path from the page to the site root."""
    settings = nl.settings
    ctx = prepared.context(settings)
    ctx.update(_site_context(settings, root))
    html = prepared.html
    if settings.archive_links and prepared.draft.published:
        html = with_archive_links(html, publication_date(prepared.draft), settings)
    return templates.render(settings, "site/issue.html", content=_markup(html), **ctx)


_EXTERNAL_LINK = re.compile(r'(<a\b[^>]*\bhref="(https?://[^"]+)"[^>]*>.*?</a>)', re.S)


def with_archive_links(html: str, when: datetime, settings) -> str:
    """Put a Web Archive link for the send date after each link to another site, so readers
    can follow a dead link years later. ``html`` is already sanitized; URLs stay escaped."""
    from pipeline.check.snapshot import archive_url

    label = escape(t(settings.locale, "site.archived_copy"))
    title = escape(t(settings.locale, "site.archived_copy_title"))

    def add(m: re.Match) -> str:
        url = m.group(2)
        if url.startswith(settings.base_url + "/") or url == settings.base_url:
            return m.group(1)
        archived = archive_url(html_unescape(url), when)
        return (f'{m.group(1)} <small class="archived">(<a href="{escape(archived)}" title="{title}" '
                f'rel="nofollow">{label}</a>)</small>')

    return _EXTERNAL_LINK.sub(add, html)


def render_issue_page(nl, draft: Draft | str | os.PathLike) -> str:
    """The web page of any draft (published or not), e.g. for a preview."""
    return page_from(nl, prepare(nl, draft))


def _markup(html: str) -> Markup:
    return Markup(html)  # already sanitized by pipeline.render.markdown


def _absolute(html: str, page_url: str) -> str:
    """Feed readers show content away from the page: make in-page links absolute."""
    return html.replace('href="#', f'href="{page_url}#')


@dataclass(frozen=True)
class FeedItem:
    number: int
    title: str
    url: str
    summary: str
    html: str
    date: datetime

    @property
    def summary_html(self) -> str:
        """The summary for RSS's <description>, which readers take as HTML: escaped once here
        (and once more by the template), so "<b>" in a summary is shown, not obeyed."""
        return html_escape(self.summary, quote=False)

    @property
    def rfc822(self) -> str:
        return format_datetime(self.date)

    @property
    def rfc3339(self) -> str:
        return self.date.isoformat().replace("+00:00", "Z")


def render_feeds(nl, issues: list[PreparedIssue]) -> tuple[str, str]:
    """(RSS 2.0, Atom 1.0) of ``issues`` (newest first), each at most ``feed_items`` long."""
    settings = nl.settings
    items = [FeedItem(number=p.number, title=p.draft.title or t(settings.locale, "issue.number", number=p.number),
                      url=p.web_url, summary=p.summary, html=_absolute(p.html, p.web_url),
                      date=publication_date(p.draft))
             for p in issues[: settings.feed_items]]
    updated = max((i.date for i in items), default=datetime(1970, 1, 1, tzinfo=timezone.utc))
    ctx = _site_context(settings, "")
    ctx.update(items=items, updated_rfc822=format_datetime(updated),
               updated_rfc3339=updated.isoformat().replace("+00:00", "Z"))
    return templates.render(settings, f"site/{FEED_RSS}", **ctx), templates.render(settings, f"site/{FEED_ATOM}", **ctx)


def render_index(nl, issues: list[PreparedIssue]) -> str:
    settings = nl.settings
    ctx = _site_context(settings, "")
    entries = [{"number": p.number, "title": p.draft.title, "path": issue_path(p.number), "summary": p.summary,
                "date": format_date(settings.language, publication_date(p.draft)),
                "date_iso": publication_date(p.draft).isoformat()} for p in issues]
    return templates.render(settings, "site/index.html", issues=entries, **ctx)


def plan_site(nl, writer: Writer, *, skip_unsent_broken: bool = False) -> None:
    """Render every file of the site into ``writer`` (nothing is written yet)."""
    from pipeline.render.archive import as_mailed

    # a sent issue's page and feed items show what was mailed (see pipeline/render/archive.py)
    issues = as_mailed(nl, [prepare(nl, d) for d in published_issues(nl, skip_unsent_broken=skip_unsent_broken)])
    writer.add("index.html", render_index(nl, issues))
    for p in issues:
        writer.add(issue_path(p.number), page_from(nl, p))
    add_media(writer, issues)
    rss, atom = render_feeds(nl, issues)
    writer.add(FEED_RSS, rss)
    writer.add(FEED_ATOM, atom)
    _plan_redirects(nl, writer, [p.draft for p in issues])


def _plan_redirects(nl, writer: Writer, drafts) -> None:
    """The old addresses of imported issues (see redirects.py); no files when there are none."""
    from pipeline.render import redirects

    pairs = redirects.redirect_pairs(drafts, nl.settings.base_url)
    if pairs or (writer.out_dir / redirects.REDIRECTS).exists():
        writer.add(redirects.REDIRECTS, redirects.redirects_file(pairs))
        writer.add(redirects.NGINX_MAP, redirects.nginx_map(pairs))


def add_media(writer: Writer, issues: list[PreparedIssue]) -> None:
    """The issues' local images, under the content-hashed names their pages and emails use
    (see render/media.py); a picture two issues share is written once."""
    from pipeline.render.media import MEDIA_DIR

    for p in issues:
        for media in p.media.values():
            rel = f"{MEDIA_DIR}/{media.name}"
            if rel not in writer.files:
                writer.add(rel, media.source.read_bytes())


def build_site(nl, out_dir: str | os.PathLike | None = None, *, skip_unsent_broken: bool = False) -> Path:
    """Write the site into ``out_dir`` (default: the folder's ``site/``); returns that folder."""
    out = Path(out_dir) if out_dir is not None else nl.settings.site_dir
    writer = Writer(out)
    plan_site(nl, writer, skip_unsent_broken=skip_unsent_broken)
    writer.commit()
    writer.prune("issues")
    return out
