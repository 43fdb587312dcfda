"""The check before send: every quote against its source, every link, and the draft's hygiene.

:func:`check_draft` reads; it never writes (no database rows, no files), so ``send`` can
call it first and ``linkletter check`` any number of times.
"""

from __future__ import annotations

import os
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.check.email import check_email
from pipeline.check.hygiene import check_hygiene
from pipeline.check.links import BLOCKING_STATUSES, is_web_url, probe_links, tracking_params
from pipeline.check.quotes import SourceText, closest_passage, split_quote
from pipeline.check.report import CheckReport, Finding, LinkResult, QuoteResult
from pipeline.check.sources import Source, load_sources, url_variants
from pipeline.collect.destinations import policy_for
from pipeline.draft.format import Draft, read_draft
from pipeline.errors import DraftError
from pipeline.render.cites import Blockquote, Cites, InlineQuote, parse_body
from pipeline.render.issue import PreparedIssue, prepare
from pipeline.store import check as store
from pipeline.states import DraftStatus


def check_draft(nl, draft: PreparedIssue | Draft | str | os.PathLike, *, fetch: bool = True) -> CheckReport:
    """Check a draft (a path, or the issue already prepared: see :mod:`pipeline.render.issue`).
    With ``fetch`` (the default) links are requested and sources without stored text are
    fetched now; without it only the database is consulted. The sources loaded stay on the
    report (``report.sources``). A draft that cannot be read raises DraftError (file:line: reason)."""
    prepared = prepare(nl, draft)
    draft, doc = prepared.draft, prepared.cites
    report = CheckReport(draft_path=Path(draft.path), issue=draft.issue, title=draft.title, fetched=fetch)
    report.findings += check_hygiene(draft, doc)
    report.findings += check_email(nl, prepared)

    quote_urls = [q.source_url for q in [*doc.quotes, *doc.inline_quotes] if q.source_url and is_web_url(q.source_url)]
    # a local image is checked as a file when the issue is prepared (render/media.py), not fetched
    images = [image for image in doc.images if image.src not in prepared.media]
    link_urls = [link.url for link in doc.links] + [image.src for image in images]
    with ThreadPoolExecutor(max_workers=2) as pool:  # sources and links are fetched at the same time
        sources_job = pool.submit(load_sources, nl, quote_urls, fetch=fetch)
        status_job = pool.submit(probe_links, link_urls, timeout=nl.settings.fetch_timeout,
                                 per_host=nl.settings.per_host_connections, policy=policy_for(nl)) if fetch else None
        sources = report.sources = sources_job.result()
        statuses = status_job.result() if status_job else {}

    texts: dict[str, SourceText] = {}
    for q in doc.quotes:
        if not q.text.strip():
            report.findings.append(Finding("warning", "hygiene", "quote-empty", q.line,
                                           "blockquote without quoted text"))
            continue
        result = check_quote(q, sources.get(q.source_url or ""), texts)
        report.quotes.append(result)
        report.findings += quote_findings(result)

    for inline in doc.inline_quotes:
        report.findings += check_inline_quote(report, inline, sources, texts)

    featured = featured_before(nl, draft, [link.url for link in doc.links])
    report.links = link_results(doc, statuses, featured, images)
    for link in report.links:
        report.findings += link_findings(link)
    report.findings.sort(key=lambda f: (f.line or 0, f.kind))
    return report


# ---------------------------------------------------------------- quotes

def check_quote(q: Blockquote, source: Source | None, texts: dict[str, SourceText]) -> QuoteResult:
    """The verdict on one blockquote; ``texts`` caches prepared source texts by URL."""
    result = QuoteResult(line=q.line, text=q.text, source_url=q.source_url, verdict="no_source")
    if not q.source_url:
        result.reason = "no link before the quote and no attribution line"
        return result
    if not is_web_url(q.source_url):
        result.reason = f"the source is not a web address: {q.source_url}"
        return result
    if source is None or source.text is None:
        result.verdict = "source_unreachable"
        result.reason = source.error if source else "not fetched"
        return result
    result.source_origin = source.origin
    prepared = texts.get(q.source_url)
    if prepared is None:
        prepared = texts[q.source_url] = SourceText(source.text)
    verified, missing, parts = prepared.find(q.text)
    if verified:
        result.verdict = "verified"
        return result
    result.verdict = "not_found"
    if parts:
        result.missing_part = split_quote(q.text)[missing][0]
        passage = closest_passage(parts[missing], prepared)
        if passage:
            result.closest_passage, result.similarity = passage.text, passage.similarity
    return result


def check_inline_quote(report: CheckReport, q: InlineQuote, sources: dict, texts: dict) -> list[Finding]:
    """A quotation in the author's prose, checked against the link next to it like a blockquote;
    one without a link in its paragraph is reported as not attributed."""
    if q.source_url is None:
        return [Finding("warning", "quote", "inline-quote-unattributed", q.line,
                        f"quotation not checked: no link next to it to attribute it to: „{q.text[:120]}“",
                        {"quote": q.text})]
    as_block = Blockquote(text=q.text, line=q.line, end_line=q.line, attribution_url=None, source_url=q.source_url)
    result = check_quote(as_block, sources.get(q.source_url), texts)
    result.inline = True
    report.quotes.append(result)
    return [replace(f, message="quotation in the text: " + f.message, details={**f.details, "inline": True})
            for f in quote_findings(result)]


def quote_findings(r: QuoteResult) -> list[Finding]:
    if r.verdict == "verified":
        return []
    if r.verdict == "not_found":
        where = "the stored text of" if r.source_origin == "stored" else "the text of"
        part = "" if r.missing_part is None or len(split_quote(r.text)) < 2 else f" (this part: {r.missing_part})"
        return [Finding("error", "quote", "quote-not-found", r.line,
                        f"quote not found in {where} {r.source_url}{part}",
                        {"quote": r.text, "source_url": r.source_url, "missing_part": r.missing_part,
                         "closest_passage": r.closest_passage, "similarity": r.similarity})]
    if r.verdict == "source_unreachable":
        # Without the source text the quote cannot be vouched for: an error, unless the check
        # was told not to fetch (then it is only not yet checked).
        return [Finding("warning" if r.reason and "fetching is off" in r.reason else "error", "quote",
                        "quote-source-unreachable", r.line,
                        f"quote not checked: its source {r.source_url} is unreachable ({r.reason})",
                        {"source_url": r.source_url, "reason": r.reason})]
    return [Finding("warning", "quote", "quote-no-source", r.line, f"quote without a source: {r.reason}",
                    {"quote": r.text})]



# ---------------------------------------------------------------- links

def featured_before(nl, draft: Draft, urls: list[str]) -> dict[str, list[int]]:
    """For each URL of the draft, the earlier issues that featured it: links the assembler
    placed in a sent issue numbered below this one, and links in earlier drafts marked sent."""
    variants = {u: url_variants(u) for u in urls if is_web_url(u)}
    wanted: dict[str, set[str]] = {}
    for url, vs in variants.items():
        for v in vs:
            wanted.setdefault(v, set()).add(url)
    out: dict[str, set[int]] = {}
    with nl.session() as session:
        for link in store.links_featured_before(session, list(wanted), draft.issue):
            for key in {link.url, link.canonical_url}:
                for url in wanted.get(key, ()):
                    out.setdefault(url, set()).add(link.issue_number)
    for earlier in sent_drafts_before(nl.settings.drafts_dir, draft):
        for link in earlier[1].links:
            for v in url_variants(link.url) if is_web_url(link.url) else ():
                for url in wanted.get(v, ()):
                    out.setdefault(url, set()).add(earlier[0])
    return {u: sorted(n) for u, n in out.items()}


def sent_drafts_before(drafts_dir: Path, draft: Draft) -> list[tuple[int, Cites]]:
    """(issue number, parsed body) of every draft in ``drafts_dir`` marked sent with a lower
    number. A draft that cannot be read is passed over here: it is not the one being checked."""
    out = []
    if not Path(drafts_dir).is_dir():
        return out
    this = Path(draft.path).resolve()
    for path in sorted(Path(drafts_dir).glob("*.md")):
        if path.resolve() == this:
            continue
        try:
            other = read_draft(path)
        except DraftError:
            continue
        if other.status == DraftStatus.SENT and other.issue < draft.issue:
            out.append((other.issue, parse_body(other.body, other.body_line)))
    return out


def link_results(doc: Cites, statuses: dict, featured: dict[str, list[int]], images=None) -> list[LinkResult]:
    out = []
    for link in doc.links:
        out.append(_link_result(link.url, link.line, link.text, statuses, featured, image=False))
    for image in doc.images if images is None else images:
        out.append(_link_result(image.src, image.line, image.alt, statuses, {}, image=True))
    return out


def _link_result(url, line, text, statuses, featured, *, image: bool) -> LinkResult:
    r = LinkResult(url=url, line=line, text=text, image=image, tracking=tracking_params(url),
                   featured_in=featured.get(url, []))
    s = statuses.get(url)
    if s is not None:
        r.checked, r.status, r.final_url, r.redirects, r.error = True, s.status, s.final_url, s.redirects, s.error
    return r


def link_findings(r: LinkResult) -> list[Finding]:
    out = []
    what = "image" if r.image else "link"
    details = {"url": r.url}
    if not is_web_url(r.url):
        if not r.url.startswith(("mailto:", "tel:")):
            out.append(Finding("warning", "link", "link-not-absolute", r.line,
                               f"{what} {r.url or '(empty)'} is not a full web address and will not work in an email",
                               details))
        return out
    if r.error:
        out.append(Finding("error", "link", "link-unreachable", r.line, f"{what} {r.url} is unreachable ({r.error})",
                           {**details, "error": r.error}))
    elif r.status is not None and r.status >= 400:
        blocked = r.status in BLOCKING_STATUSES
        out.append(Finding("warning" if blocked else "error", "link", "link-blocked" if blocked else "link-dead",
                           r.line, f"{what} {r.url} answers {r.status}"
                                   f"{' (it may refuse automated requests)' if blocked else ''}", {**details, "status": r.status, "final_url": r.final_url}))
    if r.checked and r.redirects and r.final_url and r.final_url != r.url:
        out.append(Finding("warning", "link", "link-redirect", r.line,
                           f"{what} {r.url} redirects ({', '.join(map(str, r.redirects))}) to {r.final_url}",
                           {**details, "final_url": r.final_url, "redirects": r.redirects}))
    if r.tracking:
        out.append(Finding("warning", "link", "link-tracking", r.line,
                           f"{what} {r.url} carries tracking parameters ({', '.join(r.tracking)})",
                           {**details, "parameters": r.tracking}))
    if r.featured_in:
        issues = ", ".join(str(n) for n in r.featured_in)
        out.append(Finding("warning", "link", "link-featured", r.line,
                           f"{what} {r.url} was already featured in issue {issues}", {**details, "issues": r.featured_in}))
    return out
