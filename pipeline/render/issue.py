"""One issue, prepared once for every output: the draft, its sanitized HTML body, its plain
text body with the numbered links, and what the templates around it need.

The email, the plain text and the web page are all made from one :class:`PreparedIssue`,
so the Markdown is parsed once however many outputs are written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pipeline.draft.format import Draft, read_draft
from pipeline.i18n import format_date, t
from pipeline.render import markdown


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
    html: str  # the sanitized body
    text: str  # the body as plain text, links as [n]
    links: list[str]  # the URLs of [1], [2], ...
    web_url: str
    preheader: str

    @property
    def number(self) -> int:
        return self.draft.issue

    @property
    def date(self) -> datetime | None:
        """The publication date (``date``), else the planned one (``send_at``)."""
        return self.draft.date or self.draft.send_at

    def subject(self, settings) -> str:
        """The Subject: front matter ``subject``, else ``title``, else 'Newsletter · Issue N'."""
        return self.draft.subject_line or f"{settings.title} · {t(settings.language, 'issue.number', number=self.number)}"

    def context(self, settings) -> dict:
        """What every template of an issue gets."""
        lang = settings.language
        when = self.date
        return {
            "lang": lang,
            "t": lambda key, **kw: t(lang, key, **kw),
            "newsletter_title": settings.title,
            "author": settings.author,
            "base_url": settings.base_url,
            "issue": self.number,
            "title": self.draft.title,
            "subject": self.subject(settings),
            "preheader": self.preheader,
            "date": format_date(lang, when) if when else "",
            "date_iso": when.isoformat() if when else "",
            "web_url": self.web_url,
        }


def load(draft: Draft | str | os.PathLike) -> Draft:
    return draft if isinstance(draft, Draft) else read_draft(Path(draft))


_REF = re.compile(r" \[\d+\]|\[\^\d+\]")


def default_preheader(text: str, limit: int = 140) -> str:
    """The first paragraph of the plain text that is not a quote, cut at a word."""
    for para in text.split("\n\n"):
        para = para.strip()
        if para and not para.startswith((">", "-", "=")):
            line = " ".join(_REF.sub("", para).split())
            if len(line) <= limit:
                return line
            cut = line[:limit].rsplit(" ", 1)[0]
            return cut.rstrip(",;:.–—") + "…"
    return ""


# C0 control characters other than tab and line breaks: invisible, and not allowed in XML,
# so one in a draft would make the feeds ill-formed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(draft: Draft) -> Draft:
    fields = {k: _CONTROL.sub("", v) for k in ("body", "title", "subject", "preheader")
              if isinstance(v := getattr(draft, k), str) and _CONTROL.search(v)}
    return replace(draft, **fields) if fields else draft


def prepare(nl, draft: Draft | str | os.PathLike) -> PreparedIssue:
    """Parse the draft's body once into HTML and plain text."""
    draft = without_controls(load(draft))
    lang = nl.settings.language
    doc = markdown.parse(draft.body)
    html = markdown.to_html(doc)
    plain = markdown.to_text(doc, {"notes": t(lang, "text.notes"), "image": t(lang, "text.image")})
    return PreparedIssue(
        draft=draft, html=html, text=plain.body, links=plain.links,
        web_url=issue_url(nl.settings, draft.issue),
        preheader=draft.preheader if draft.preheader is not None else default_preheader(plain.body),
    )
