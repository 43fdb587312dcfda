"""The issue email (Jinja2 → MJML → HTML, plus its plain text), the MIME message, and the
system mail (the confirmation).

How the HTML is made: the template ``email/issue.mjml`` is rendered by Jinja2 with
``{{ content }}`` standing for the body, MRML (mjml-python) turns it into HTML, and the body,
with the quote styles put inline by css-inline (MRML does not inline ``mj-style``), takes
its place. MRML never parses the author's HTML, and the body is styled without running an
inliner over the whole document.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from functools import lru_cache

import css_inline
from markupsafe import Markup
from mjml import mjml2html

from pipeline.draft.format import Draft
from pipeline.errors import LinkletterError
from pipeline.i18n import t
from pipeline.render import UNSUBSCRIBE_PLACEHOLDER, templates
from pipeline.render.issue import PreparedIssue, prepare
from pipeline.render.templates import TemplateError

CONTENT_MARKER = "<!--LINKLETTER-CONTENT-->"

# Styles of the body, put inline into each element (mail clients drop <style> blocks or
# ignore them). Quotes carry their own colours and background so they stay readable when a
# client switches to dark mode; the mj-style in email/base.mjml refines dark mode where
# clients support prefers-color-scheme. The quote's box is its table cell (Outlook for
# Windows pads only cells); table cells break lines between words, hyphenating where the
# client can (``lang`` is set), never inside a word. Only a link (a long URL written out)
# may break anywhere, so it cannot push the layout wider than a phone.
CONTENT_CSS = """
p { margin: 0 0 16px 0; }
h1, h2 { font-size: 22px; line-height: 1.3; margin: 30px 0 12px 0; }
h3, h4, h5, h6 { font-size: 19px; line-height: 1.3; margin: 24px 0 10px 0; }
a { color: #a63f17; text-decoration: underline; overflow-wrap: anywhere; }
blockquote { margin: 0 0 20px 0; padding: 0; }
blockquote > table { border-collapse: collapse; margin: 0; width: 100%; }
blockquote > table > tbody > tr > td { padding: 12px 16px; border: 0; border-left: 4px solid #c2410c; background-color: #f7f2ec; color: #262626; }
blockquote p { margin: 0 0 10px 0; }
blockquote p:last-of-type { margin: 0; }
blockquote td p.attribution { margin: 0; font-size: 14px; color: #595959; }
ul, ol { margin: 0 0 16px 0; padding: 0 0 0 24px; }
li { margin: 0 0 6px 0; }
img { max-width: 100%; height: auto; border: 0; }
pre { white-space: pre-wrap; font-size: 14px; background-color: #f2f2f2; padding: 10px; }
code { font-family: Menlo, Consolas, monospace; font-size: 15px; }
table { border-collapse: collapse; margin: 0 0 16px 0; }
th, td { border: 1px solid #d9d9d9; padding: 4px 8px; -webkit-hyphens: auto; hyphens: auto; }
hr { border: 0; border-top: 1px solid #d9d9d9; margin: 24px 0; }
sup { line-height: 0; }
p.footnotes-title { font-weight: bold; margin: 0 0 8px 0; }
"""

# After the preview text: zero-width non-joiners and no-break spaces, so a client's preview
# line shows the preheader and then nothing, not the first words of the body.
PREHEADER_SPACER = Markup("&zwnj;&nbsp;" * 90)

# MRML writes word-break:break-word on every mj-text cell: it breaks words anywhere once a
# table is narrow ("Textverarbeit|ung" at 375 px). Text breaks between words instead.
_MRML_WORD_BREAK = "word-break:break-word;"


def finish_html(html: str) -> str:
    """MRML's HTML as it goes out: without its word-break rule."""
    return html.replace(_MRML_WORD_BREAK, "")


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # Built once: parsing the stylesheet each time would cost as much as inlining.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    preheader: str
    html: str
    text: str
    issue: int
    web_url: str
    # what html and text hold where each subscriber's unsubscribe URL goes
    unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER


def mjml_to_html(settings, name: str, mjml: str) -> str:
    """MRML's HTML for ``mjml``, the output of template ``name``; invalid MJML is a
    TemplateError naming the template and, where it can be found, the line. MRML lets some
    mistakes pass silently (an unknown mj- tag, a misspelt closing tag): those are looked for
    first."""
    problem = _first_bad_tag(mjml)
    if problem is not None:
        offset, reason = problem
        path, line = _line_of(settings, name, mjml, offset)
        raise TemplateError(path, line, f"invalid MJML: {reason}")
    try:
        return finish_html(mjml2html(mjml))
    except (ValueError, RuntimeError) as e:
        path, line = _locate_mjml_error(settings, name, mjml)
        raise TemplateError(path, line, f"invalid MJML: {e}") from None


_MJ_TAG = re.compile(r"<(/?)(mjml|mj-[a-z-]+)\b[^>]*?(/?)>")
# The tags of MJML 4 (what MRML implements); anything else named mj-* is a typo.
MJML_TAGS = frozenset("""mjml mj-head mj-body mj-attributes mj-all mj-class mj-breakpoint mj-font mj-html-attributes
    mj-html-attribute mj-selector mj-preview mj-style mj-title mj-include mj-accordion mj-accordion-element
    mj-accordion-title mj-accordion-text mj-button mj-carousel mj-carousel-image mj-column mj-divider mj-group
    mj-hero mj-image mj-navbar mj-navbar-link mj-raw mj-section mj-social mj-social-element mj-spacer mj-table
    mj-text mj-wrapper""".split())


def _first_bad_tag(mjml: str) -> tuple[int, str] | None:
    """(offset, reason) of the first unknown MJML tag or closing tag that closes nothing open."""
    stack: list[tuple[str, int]] = []
    for m in _MJ_TAG.finditer(mjml):
        closing, tag, selfclosing = m.group(1), m.group(2), m.group(3)
        if tag not in MJML_TAGS:
            return m.start(), f"unknown tag <{closing}{tag}>"
        if selfclosing:
            continue
        if not closing:
            stack.append((tag, m.start()))
        elif stack and stack[-1][0] == tag:
            stack.pop()
        elif stack:  # point at the tag left open: that is where the mistake usually is
            return stack[-1][1], f"<{stack[-1][0]}> is closed by </{tag}>"
        else:
            return m.start(), f"</{tag}> closes nothing that is open"
    return None


def _locate_mjml_error(settings, name: str, mjml: str):
    """MRML's errors carry no position. Find the first MJML tag that is never closed or is
    closed by the wrong tag, then the template line that wrote it."""
    stack: list[tuple[str, int]] = []
    bad: int | None = None
    for m in _MJ_TAG.finditer(mjml):
        closing, tag, selfclosing = m.group(1), m.group(2), m.group(3)
        if selfclosing:
            continue
        if not closing:
            stack.append((tag, m.start()))
        elif stack and stack[-1][0] == tag:
            stack.pop()
        else:
            bad = stack[-1][1] if stack else m.start()
            break
    if bad is None and stack:
        bad = stack[-1][1]
    if bad is None:
        return templates.template_path(settings, name), None
    return _line_of(settings, name, mjml, bad)


def _line_of(settings, name: str, mjml: str, offset: int):
    """The template file and line that wrote the MJML at ``offset`` (found by its text)."""
    default = templates.template_path(settings, name)
    wanted = mjml[offset:].split("\n", 1)[0].strip()
    for candidate in _template_chain(settings, name):
        for number, line in enumerate(candidate.read_text("utf-8").split("\n"), 1):
            if wanted and wanted in line:
                return candidate, number
    return default, None


def _template_chain(settings, name: str):
    """The template and the templates it extends (``{% extends "..." %}``), in that order."""
    seen = set()
    while name and name not in seen:
        seen.add(name)
        path = templates.template_path(settings, name)
        yield path
        m = re.search(r"{%-?\s*extends\s+[\"']([^\"']+)[\"']", path.read_text("utf-8"))
        name = m.group(1) if m else None


# ---------------------------------------------------------------- the issue


def email_from(nl, prepared: PreparedIssue, *, unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER) -> RenderedEmail:
    settings = nl.settings
    if unsubscribe_url != UNSUBSCRIBE_PLACEHOLDER and (unsubscribe_url in prepared.email_html
                                                       or unsubscribe_url in prepared.text):
        raise LinkletterError("the issue's content holds the unsubscribe marker made for it; render it again")
    ctx = prepared.context(settings)
    ctx.update(unsubscribe_url=unsubscribe_url, content=Markup(CONTENT_MARKER), preheader_spacer=PREHEADER_SPACER)
    mjml = templates.render(settings, "email/issue.mjml", **ctx)
    html = mjml_to_html(settings, "email/issue.mjml", mjml)
    if CONTENT_MARKER not in html:
        raise TemplateError(templates.template_path(settings, "email/issue.mjml"), None,
                            "the template never writes {{ content }}, so the issue's text would be missing")
    # css-inline writes NBSP as an entity; keep the author's typography as characters
    body = _inliner().inline_fragment(prepared.email_html, CONTENT_CSS).replace("&nbsp;", "\u00a0")
    html = html.replace(CONTENT_MARKER, body, 1).rstrip("\n") + "\n"  # MIME parts end with a newline
    text = templates.render(settings, "email/issue.txt", body=prepared.text, links=prepared.links, **ctx)
    return RenderedEmail(subject=prepared.subject(settings), preheader=prepared.preheader, html=html,
                         text=text, issue=prepared.number, web_url=prepared.web_url, unsubscribe_url=unsubscribe_url)


def render_issue(nl, draft: Draft | str | os.PathLike, *, unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER
                 ) -> RenderedEmail:
    """The issue's email: subject, preheader, HTML and plain text. Both hold ``unsubscribe_url``
    (default: the literal ``UNSUBSCRIBE_PLACEHOLDER``) where each subscriber's unsubscribe URL
    goes; a send passes a marker made for the issue, which its content can't hold."""
    return email_from(nl, prepare(nl, draft), unsubscribe_url=unsubscribe_url)


# ---------------------------------------------------------------- MIME (built by pipeline.send.message)


def _parsed(data: bytes) -> EmailMessage:
    import email
    from email import policy

    return email.message_from_bytes(data, policy=policy.default)


def build_message(nl, rendered: RenderedEmail, *, to: str | None = None) -> EmailMessage:
    """The issue as a ready MIME message (for a look at it; a send builds its own from the same
    builder): multipart/alternative, text first, both parts quoted-printable, the subject
    RFC 2047-encoded when it is not ASCII."""
    from pipeline.send.message import build_single

    name, addr = parseaddr(to) if to else ("", None)
    return _parsed(build_single(nl.settings, subject=rendered.subject, text=rendered.text, html=rendered.html,
                                to_addr=addr, to_name=name))


# ---------------------------------------------------------------- system mails


def render_system_mail(nl, name: str, *, to: str, **context) -> EmailMessage:
    """:func:`system_mail` for ``to`` ('Name <addr>' or an address), as an EmailMessage."""
    to_name, to_addr = parseaddr(to)
    return _parsed(system_mail(nl, name, to_addr=to_addr, to_name=to_name, **context))


def system_mail(nl, name: str, *, to_addr: str, to_name: str = "", **context) -> bytes:
    """A system mail from ``email/<name>.mjml`` and ``email/<name>.txt``, localized, built by
    the one message builder (:func:`pipeline.send.message.build_single`), ready to sign and send.

    Shipped: ``confirm`` (context: ``confirm_url``), the double opt-in mail. (A ``welcome``
    mail was shipped but never sent; it is gone.) A folder may add its own; its subject
    is ``subject=`` in the context, else the string ``mail.<name>.subject``.
    """
    settings = nl.settings
    lang = settings.locale
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise LinkletterError(f"no system mail named {name!r}")
    subject = context.pop("subject", None)
    if subject is None:
        try:
            subject = t(lang, f"mail.{name}.subject", title=settings.title)
        except KeyError:
            raise LinkletterError(f"the system mail {name!r} has no subject: pass subject=...") from None
    try:
        preheader = t(lang, f"mail.{name}.preheader")
    except KeyError:
        preheader = ""
    ctx = {
        "lang": settings.language, "t": lambda key, **kw: t(lang, key, **kw), "newsletter_title": settings.title,
        "base_url": settings.base_url, "subject": subject, "preheader": context.pop("preheader", preheader),
        "preheader_spacer": PREHEADER_SPACER,
    }
    ctx.update(context)
    html = mjml_to_html(settings, f"email/{name}.mjml", templates.render(settings, f"email/{name}.mjml", **ctx))
    text = templates.render(settings, f"email/{name}.txt", **ctx)
    from pipeline.send.message import build_single

    return build_single(settings, subject=subject, text=text, html=html, to_addr=to_addr, to_name=to_name)
