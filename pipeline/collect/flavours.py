"""Feed flavours: feeds about other people's pages, and how their entries are read.

A plain feed (a blog, a magazine) is about its own articles: its entries' authors wrote them.
The other flavours point to pages someone else wrote; the entry's author is the curator (kept
as ``via``), never the page's author, and the page's own metadata wins once it is fetched:

- ``annotations`` (Hypothesis ``stream.atom``/``stream.rss``): a ``related`` link is the
  annotated page; the ``<blockquote>`` is the highlight and the rest the annotator's note,
  kept with its line breaks (it is Markdown). An annotation without a highlight is a page note.
- ``bookmarks`` (Pinboard, Instapaper): the entry's description is the passage the author
  selected when bookmarking: it becomes a quote.
- ``linkblog`` (a JSON Feed link blog: items with ``external_url``): the linked page is the
  link; the blogger's commentary stays the description.
- ``microblog`` (a Mastodon account's RSS): the link is the article the post links to (not the
  post itself); the post's text is the curator's note. A post that links to nothing is skipped.

A source's kind names its flavour; a source of kind ``feed`` gets the flavour :func:`detect`
tells from the feed (Hypothesis's tag ids, Mastodon's generator, Pinboard's and Instapaper's
channel links), else it is read as a plain feed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pipeline.collect.text import element_text, one_line

CURATED = frozenset({"annotations", "bookmarks", "linkblog", "microblog"})
# h's tag URI for an annotation: tag:{domain},2015-09:{id} (h/feeds/util.py, RFC 4151)
_HYPOTHESIS_ID = re.compile(r"^tag:[^,\s]+,2015-09:\S+$")
_BOOKMARK_HOSTS = ("pinboard.in", "instapaper.com")


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def _on(host: str, domains) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def detect(parsed) -> str:
    """The flavour of a feed read by feedparser: 'annotations', 'bookmarks', 'microblog', or
    'feed' when it cannot be told."""
    entries = parsed.entries[:50]
    if entries and sum(1 for e in entries if _HYPOTHESIS_ID.match(str(e.get("id") or ""))) * 2 > len(entries):
        return "annotations"
    if str(parsed.feed.get("generator") or "").lower().startswith("mastodon"):
        return "microblog"
    if _on(_host(parsed.feed.get("link")), _BOOKMARK_HOSTS):
        return "bookmarks"
    return "feed"


def detect_json(items: list) -> str:
    """The flavour of a JSON Feed: 'linkblog' when most items link elsewhere (``external_url``,
    which the JSON Feed spec names for link blogs), else 'feed'."""
    dicts = [i for i in items[:50] if isinstance(i, dict)]
    if dicts and sum(1 for i in dicts if isinstance(i.get("external_url"), str)) * 2 > len(dicts):
        return "linkblog"
    return "feed"


def _classes(el) -> set[str]:
    return set((el.get("class") or "").lower().split()) | set((el.get("rel") or "").lower().split())


def microblog_post(root, post_url: str) -> tuple[str | None, str]:
    """The article a microblog post (a parsed ``<description>``) links to, and the post's text
    without that link. Mentions, hashtags and links to the post's own server are not articles."""
    own = _host(post_url)
    article = None
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        host = _host(href)
        if not href.startswith(("http://", "https://")) or _classes(a) & {"mention", "hashtag", "u-url", "tag"}:
            continue
        if host == own or (a.getparent() is not None and "h-card" in _classes(a.getparent())):
            continue
        article = href
        a.drop_tree()
        break
    text = element_text(root)
    return article, re.sub(r"[ \t]+([:,.;!?])", r"\1", text).strip()


def curator(author: str | None, feed_title: str | None, flavour: str) -> str | None:
    """Whom a curated entry is from: its author, for a microblog the account (the feed's title)."""
    name = one_line(author) or (one_line(feed_title) if flavour == "microblog" else "")
    return name[:200] or None
