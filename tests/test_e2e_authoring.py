"""The authoring half end to end, through the real CLI in subprocesses: init, sources, collect,
pick, add with quotes, draft, the author edits the draft, new entries arrive, draft again.
The author's text stays byte for byte; every pick appears exactly once."""

from __future__ import annotations

import re

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import clean_env

PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="{site}">
<meta name="author" content="{author}"></head>
<body><article><h1>{title}</h1><p>{text}</p><p>Second paragraph of {title}, long enough to count as
the article's main text for the extractor, with a few more words about reading slowly.</p></article></body></html>"""

PAGES = {
    "/blog/one": ("Reading in winter", "Slow Blog", "Mara Lind", "en", "Winter is for long books and short days."),
    "/blog/two": ("Über Geduld", "Langsam", "Jonas Feld", "de", "„Geduld ist eine Form von Aufmerksamkeit“, sagte sie."),
    "/blog/three": ("Marginalia", "Slow Blog", "Mara Lind", "en", "Notes in the margin are a conversation."),
    "/notes/a": ("Libraries at night", "Reading Rooms", "Ada Stone", "en", "A library is a collection of questions."),
    "/notes/b": ("Gardens in frost", "Green Notes", "Lena Brandt", "en", "A garden in winter is a promise."),
    "/by-hand": ("Added by hand", "Elsewhere", "Kai Ode", "en", "Some passages deserve to be kept."),
}


def rss(base: str, paths: list[str]) -> str:
    items = "".join(
        f"<item><title>{PAGES[p][0]}</title><link>{base}{p}?utm_source=rss</link><guid>{p}</guid>"
        f"<description>About {PAGES[p][0]}</description></item>" for p in paths)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Slow Blog</title>'
            f"<link>{base}/</link><description>d</description>{items}</channel></rss>")


def atom(base: str, paths: list[str]) -> str:
    entries = "".join(
        f'<entry><id>{p}</id><title>{PAGES[p][0]}</title><link rel="alternate" href="{base}{p}"/>'
        f'<updated>2026-11-2{i}T10:00:00Z</updated><content type="html">&lt;blockquote&gt;{PAGES[p][4]}'
        f"&lt;/blockquote&gt;</content></entry>" for i, p in enumerate(paths))
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Highlights</title>'
            f'<id>{base}/notes.atom</id><updated>2026-11-27T10:00:00Z</updated>{entries}</feed>')


@pytest.fixture
def site(httpserver: HTTPServer):
    state = {"blog": ["/blog/one", "/blog/two"], "notes": ["/notes/a"]}
    base = httpserver.url_for("").rstrip("/")

    def handle(request: Request) -> Response:
        if request.path == "/blog.rss":
            return Response(rss(base, state["blog"]), content_type="application/rss+xml; charset=utf-8")
        if request.path == "/notes.atom":
            return Response(atom(base, state["notes"]), content_type="application/atom+xml; charset=utf-8")
        if request.path in PAGES:
            title, site_name, author, lang, text = PAGES[request.path]
            return Response(PAGE.format(title=title, site=site_name, author=author, lang=lang, text=text),
                            content_type="text/html; charset=utf-8")
        return Response("not found", status=404)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(handle)
    return base, state


def test_authoring_cycle_keeps_the_authors_text(tmp_path, site, cli):
    base, state = site
    root = tmp_path / "letter"
    env = clean_env()
    cli("init", str(root), "--title", "Slow Reads", "--language", "en", env=env)
    d = ["--dir", str(root)]
    cli(*d, "sources", "add", f"{base}/blog.rss", "--name", "Slow Blog", env=env)
    cli(*d, "sources", "add", f"{base}/notes.atom", "--mode", "auto", env=env)
    out = cli(*d, "collect", env=env).stdout
    assert "3 new link(s)" in out and "0 failed" in out

    inbox = cli(*d, "links", "--inbox", env=env).stdout
    two = re.search(r"^\s*(\d+)\s+inbox\s+Über Geduld", inbox, re.M).group(1)
    cli(*d, "pick", two, env=env)
    cli(*d, "add", f"{base}/by-hand", "--quote", "Some passages deserve to be kept.", env=env)

    first = cli(*d, "draft", env=env).stdout
    (draft,) = (root / "drafts").glob("*.md")
    assert draft.name in first
    text = draft.read_text("utf-8")
    # picks: /notes/a (auto), /blog/two (picked), /by-hand (added); /blog/one stays in the inbox
    for path in ("/notes/a", "/blog/two", "/by-hand"):
        assert text.count(f"{base}{path}") == 1, path
    assert f"{base}/blog/one" not in text
    assert "> A library is a collection of questions." in text
    assert "> Some passages deserve to be kept." in text

    # The author writes: an intro, commentary, moves a block to the top, deletes another one,
    # and pastes a link to an inbox entry by hand (then picks it).
    blocks = text.split("\n\n")
    hand_block = next(b for b in blocks if "/by-hand" in b)
    edited = text.replace(hand_block + "\n\n", "")  # deleted
    edited = edited.replace("---\n\n", "---\n\nDiese Woche: über Geduld — and „slow“ reading.\u00a0Enjoy…\n\n"
                            f"A link I pasted myself: [Reading in winter]({base}/blog/one).\n\n", 1)
    edited = edited.replace("<!-- your commentary -->", "My commentary, written by hand.", 1)
    edited += "\nBis nächste Woche!"  # a sign-off below the marker the draft ends with
    edited = edited.rstrip("\n")  # the author's editor dropped the final newline
    draft.write_text(edited, encoding="utf-8")
    authored = draft.read_bytes()
    one = re.search(r"^\s*(\d+)\s+inbox\s+Reading in winter", cli(*d, "links", "--inbox", env=env).stdout, re.M).group(1)
    cli(*d, "pick", one, env=env)

    # New entries arrive in both feeds.
    state["blog"].append("/blog/three")
    state["notes"].append("/notes/b")
    out = cli(*d, "collect", env=env).stdout
    assert "2 new link(s)" in out
    inbox = cli(*d, "links", "--inbox", env=env).stdout
    three = re.search(r"^\s*(\d+)\s+inbox\s+Marginalia", inbox, re.M).group(1)
    cli(*d, "pick", three, env=env)

    cli(*d, "draft", env=env)
    after = draft.read_bytes()
    marker = authored.index(b"<!-- linkletter:new-picks")  # new picks go above it, not after the sign-off
    assert after.startswith(authored[:marker]) and after.endswith(authored[marker:]), "the author's text changed"
    appended = after[marker:len(after) - len(authored) + marker].decode("utf-8")
    assert after.decode("utf-8").rstrip().endswith("Bis nächste Woche!")
    assert f"{base}/notes/b" in appended and f"{base}/blog/three" in appended
    final = after.decode("utf-8")
    for path in ("/notes/a", "/blog/two", "/blog/one", "/notes/b", "/blog/three"):
        assert final.count(f"{base}{path}") == 1, path
    assert f"{base}/by-hand" not in final  # deleted by the author: not added again

    # Running it again adds nothing.
    cli(*d, "collect", env=env)
    cli(*d, "draft", env=env)
    assert draft.read_bytes() == after
    assert list((root / "drafts").glob("*.md")) == [draft]
