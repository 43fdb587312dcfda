"""One issue, prepared once for every stage: the one owner of what a draft contains.

A :class:`PreparedIssue` is made from a draft read once (:func:`pipeline.draft.format.read_draft`)
and its body parsed once (:func:`pipeline.render.markdown.parse`, the only Markdown parser).
It holds:

- ``draft``: the front matter (issue, title, subject, preheader, status, dates) and the body;
- ``document``: the body's syntax tree (its blocks);
- ``cites``: the links, images, blockquotes with their attributions and raw HTML blocks,
  each with its file line (:mod:`pipeline.render.cites`);
- ``html`` and ``text`` (+ ``links``): the body rendered, sanitized HTML and plain text;
- ``email_html``: the same body in the markup mail clients keep (see :mod:`pipeline.render.markdown`);
- ``web_url``, ``preheader`` and ``summary`` (what the archive and feeds say about it,
  :mod:`pipeline.render.summary`).

The check (:func:`pipeline.check.check_draft`), the render (email, web page, feeds), the
source snapshot and the send all take this one object, so a send reads and parses its
draft once. Nothing else parses a draft body, except the check reading earlier sent
issues' links (:func:`pipeline.render.cites.parse_body`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from pipeline.draft.format import Draft, read_draft
from pipeline.errors import DraftError
from pipeline.i18n import format_date, t
from pipeline.render import markdown, plaintext
from pipeline.render.cites import Cites, cites_of
from pipeline.render.summary import summary_of
from pipeline.render.media import local_media


def issue_path(number: int) -> str:
    """The issue page's path inside the site: stable for as long as the issue number is
    (the slug may change when the file is renamed), and servable by any static host
    without directory-index rules."""
    return f"issues/{number}.html"


def issue_url(settings, number: int) -> str:
    return f"{settings.base_url}/{issue_path(number)}"


@dataclass(frozen=True)
class PreparedIssue:
    draft: Draft
    document: markdown.Document  # the body's syntax tree
    cites: Cites  # its links, images, quotes (with attributions), raw HTML blocks
    html: str  # the sanitized body
    email_html: str  # the same, in the email flavour (tables, <p>, name anchors)
    text: str  # the body as plain text, links as [n]
    links: list[str]  # the URLs of [1], [2], ...
    web_url: str
    preheader: str
    summary: str = ""  # for the archive index, the feeds and the page's meta description
    media: dict = field(default_factory=dict)  # local image src -> render.media.Media (copied into the site)

    @property
    def number(self) -> int:
        return self.draft.issue

    @property
    def date(self) -> datetime | None:
        """The publication date (``date``), else the planned one (``send_at``)."""
        return self.draft.date or self.draft.send_at

    def sent_on(self, when: datetime) -> "PreparedIssue":
        """The issue as it goes out at ``when``: a draft without a ``date`` gets the send date
        (in this machine's time zone, as :func:`pipeline.send.campaign.mark_draft_sent` writes
        it), so the date readers see is the day it was sent, not the planned ``send_at``."""
        if self.draft.date is not None:
            return self
        local = when.astimezone().replace(microsecond=0)
        return replace(self, draft=replace(self.draft, date=local))

    def subject(self, settings) -> str:
        """The Subject: front matter ``subject``, else ``title``, else 'Newsletter · Issue N'."""
        return self.draft.subject_line or f"{settings.title} · {t(settings.locale, 'issue.number', number=self.number)}"

    def context(self, settings) -> dict:
        """What every template of an issue gets."""
        lang, loc = settings.language, settings.locale
        when = self.date
        return {
            "lang": lang,
            "t": lambda key, **kw: t(loc, key, **kw),
            "newsletter_title": settings.title,
            "author": settings.author,
            "base_url": settings.base_url,
            "issue": self.number,
            "title": self.draft.title,
            "subject": self.subject(settings),
            "preheader": self.preheader,
            "summary": self.summary,
            "date": format_date(lang, when) if when else "",
            "date_iso": when.isoformat() if when else "",
            "web_url": self.web_url,
            "postal_address": settings.postal_address,
            "imprint_url": settings.imprint_url,
        }


def load(draft: Draft | str | os.PathLike) -> Draft:
    return draft if isinstance(draft, Draft) else read_draft(Path(draft))




def default_preheader(text: str, limit: int = 140) -> str:
    """The inbox preview of an issue without a ``preheader``: its first sentence of substance,
    past a greeting ("Hallo zusammen,"), as the archive's summary takes it (render/summary.py)."""
    from pipeline.render.summary import first_sentence

    return first_sentence(text, limit)


# C0 control characters other than tab and line breaks: invisible, and not allowed in XML,
# so one in a draft would make the feeds ill-formed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(draft: Draft) -> Draft:
    fields = {k: _CONTROL.sub("", v) for k in ("body", "title", "subject", "preheader", "summary")
              if isinstance(v := getattr(draft, k), str) and _CONTROL.search(v)}
    return replace(draft, **fields) if fields else draft


def prepare(nl, draft: PreparedIssue | Draft | str | os.PathLike) -> PreparedIssue:
    """Read the draft (unless given as a :class:`Draft`) and parse its body once into what
    every stage takes. A body nested too deep is a DraftError with its file line."""
    if isinstance(draft, PreparedIssue):
        return draft
    draft = without_controls(load(draft))
    lang = nl.settings.locale
    try:
        doc = markdown.parse(draft.body)
    except markdown.TooDeep as e:
        raise DraftError(draft.path, draft.body_line + e.line - 1, e.reason) from None
    cites = cites_of(doc, draft.body, draft.body_line)
    media = local_media(nl.settings, draft, cites.images)
    html = markdown.to_html(doc, images=media)
    plain = plaintext.to_text(doc, {"notes": t(lang, "text.notes"), "image": t(lang, "text.image")})
    return PreparedIssue(
        draft=draft, document=doc, cites=cites, media=media,
        html=html, email_html=markdown.to_html(doc, email=True, notes=t(lang, "text.notes"), images=media),
        text=plain.body, links=plain.links,
        web_url=issue_url(nl.settings, draft.issue),
        preheader=draft.preheader if draft.preheader is not None else default_preheader(plain.body),
        summary=summary_of(draft.summary, draft.preheader, plain.body),
    )
