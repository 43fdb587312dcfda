"""Managing what was collected through the library API (the desk and the CLI are thin over it):
unpick, dismiss and undo, a link's details, adding, removing and reordering quotes before they
are drafted, notes, and the listing filters with paging. A real SQLite file throughout."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pipeline.collect import (add_link, add_quote, dismiss, link_details, list_links, pick, remove_quote,
                              reorder_quotes, set_note, set_quote_note, undismiss, unpick)
from pipeline.draft.assemble import assemble
from pipeline.errors import LinkletterError
from pipeline.models import Issue, Link, Source
from pipeline.states import LinkState


def inbox_link(nl, url: str, source_id: int | None = None) -> int:
    with nl.session() as s:
        link = Link(url=url, canonical_url=url, title=url.rsplit("/", 1)[-1], state="inbox", source_id=source_id)
        s.add(link)
        s.flush()
        return link.id


def test_unpick_puts_a_pick_back_into_the_inbox_and_refuses_what_is_drafted(nl):
    a = add_link(nl, "https://a.example/one", fetch=False)
    b = add_link(nl, "https://a.example/two", fetch=False)
    assert unpick(nl, [a]) == [a]
    assert link_details(nl, a).state == LinkState.INBOX and link_details(nl, a).link.picked_at is None
    with pytest.raises(LinkletterError, match="not picked"):
        unpick(nl, [a, b])  # all or nothing
    assert link_details(nl, b).state == LinkState.PICKED
    assemble(nl)
    with pytest.raises(LinkletterError, match=r"already in a draft: #\d+ \(issue 1\)"):
        unpick(nl, [b])
    with pytest.raises(LinkletterError, match="no link with id 999"):
        unpick(nl, [999])


def test_dismiss_and_undismiss(nl):
    a, b = inbox_link(nl, "https://m.example/post/1"), inbox_link(nl, "https://m.example/post/2")
    assert dismiss(nl, [a, b]) == [a, b]
    assert [lk.id for lk in list_links(nl, "inbox")] == []
    assert [lk.id for lk in list_links(nl, "dismissed")] == [a, b]
    assert undismiss(nl, [a]) == [a]
    assert [lk.id for lk in list_links(nl, "inbox")] == [a]
    with pytest.raises(LinkletterError, match="is not dismissed"):
        undismiss(nl, [a])
    pick(nl, [a], fetch=False)
    assemble(nl)
    with pytest.raises(LinkletterError, match="cannot dismiss links already in a draft"):
        dismiss(nl, [a])


def test_link_details_say_source_quotes_notes_and_placement(nl):
    with nl.session() as s:
        src = Source(url="https://feeds.example/blog.rss", name="Blog")
        s.add(src)
        s.flush()
        sid = src.id
    a = inbox_link(nl, "https://blog.example/essay", source_id=sid)
    q1 = add_quote(nl, a, "First passage.", note="for the intro")
    q2 = add_quote(nl, a, "Second passage.", fragment_url="https://blog.example/essay#:~:text=Second")
    assert add_quote(nl, a, "  First   passage. ").id == q1.id  # the same words: the stored quote
    set_note(nl, a, "ask the author")
    d = link_details(nl, a)
    assert (d.source_id, d.source_name, d.source_url) == (sid, "Blog", "https://feeds.example/blog.rss")
    assert [(q.id, q.text, q.note, q.drafted) for q in d.quotes] == [
        (q1.id, "First passage.", "for the intro", False), (q2.id, "Second passage.", None, False)]
    assert d.quotes[1].source_url.endswith("#:~:text=Second")
    assert d.note == "ask the author" and d.issue_number is None and not d.issue_sent and d.issues == ()
    pick(nl, [a], fetch=False)
    assemble(nl)
    d = link_details(nl, a)
    assert (d.issue_number, d.issue_sent, d.issues) == (1, False, (1,))
    assert all(q.issue_number == 1 for q in d.quotes)
    with nl.session() as s:
        s.exec(select(Issue).where(Issue.number == 1)).one().status = "sent"
    assert link_details(nl, a).issue_sent


def test_quotes_are_removed_and_reordered_only_before_they_are_drafted(nl):
    a = add_link(nl, "https://a.example/page", quotes=["One.", "Two.", "Three."], fetch=False)
    one, two, three = (q.id for q in link_details(nl, a).quotes)
    assert [q.id for q in reorder_quotes(nl, a, [three, one, two])] == [three, one, two]
    four = add_quote(nl, a, "Four.").id  # taken after the reordering: last
    assert [q.id for q in link_details(nl, a).quotes] == [three, one, two, four]
    with pytest.raises(LinkletterError, match="once"):
        reorder_quotes(nl, a, [three, one])
    remove_quote(nl, two)
    assert [q.text for q in link_details(nl, a).quotes] == ["Three.", "One.", "Four."]
    text = assemble(nl).text
    assert text.index("> Three.") < text.index("> One.") < text.index("> Four.")
    with pytest.raises(LinkletterError, match="already in the draft of issue 1"):
        remove_quote(nl, one)
    with pytest.raises(LinkletterError, match="already in a draft"):
        reorder_quotes(nl, a, [one, three, four])
    with pytest.raises(LinkletterError, match="no quote with id 12345"):
        remove_quote(nl, 12345)


def test_notes_are_replaced_and_cleared(nl):
    a = add_link(nl, "https://a.example/page", quotes=["One."], note="first", fetch=False)
    (q,) = link_details(nl, a).quotes
    set_quote_note(nl, q.id, "why this passage")
    set_note(nl, a, "  ")
    d = link_details(nl, a)
    assert d.note is None and d.quotes[0].note == "why this passage"
    with pytest.raises(LinkletterError, match="limited to"):
        set_note(nl, a, "x" * 20_001)


def test_list_links_filters_by_state_and_source_and_pages(nl):
    with nl.session() as s:
        src = Source(url="https://feeds.example/a.rss")
        s.add(src)
        s.flush()
        sid = src.id
    ids = [inbox_link(nl, f"https://a.example/{i}", source_id=sid if i % 2 else None) for i in range(6)]
    assert [lk.id for lk in list_links(nl, source_id=sid)] == ids[1::2]
    assert [lk.id for lk in list_links(nl, limit=2, offset=2)] == ids[2:4]
    assert [lk.id for lk in list_links(nl, before_id=ids[4], limit=2)] == [ids[3], ids[2]]
    pick(nl, ids[:2], fetch=False)
    assemble(nl)
    with nl.session() as s:
        s.exec(select(Issue).where(Issue.number == 1)).one().status = "sent"
    pick(nl, [ids[2]], fetch=False)
    assert [lk.id for lk in list_links(nl, "picked")] == ids[:3]
    assert [lk.id for lk in list_links(nl, "picked", hide_sent=True)] == [ids[2]]
    with pytest.raises(LinkletterError, match="limit must be"):
        list_links(nl, limit=0)
    with pytest.raises(LinkletterError, match="state must be one of"):
        list_links(nl, "archived")


def test_the_upgrade_counts_quotes_of_placed_links_as_placed(tmp_path):
    """Migration 0007: quotes of links already in a draft get their link's issue, so the first
    draft after the upgrade adds none of them again."""
    from sqlalchemy import text

    from pipeline import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine, "0006")
    with engine.begin() as conn:
        for link_id, issue in ((1, 3), (2, None)):
            conn.execute(text("INSERT INTO links (id, url, canonical_url, state, fetch_status, fetch_attempts, "
                              "issue_number, created_at) VALUES (:i, :u, :u, 'picked', 'ok', 0, :n, "
                              "'2026-01-01 00:00:00')"), {"i": link_id, "u": f"https://a.example/{link_id}", "n": issue})
            conn.execute(text("INSERT INTO quotes (link_id, text, text_hash, origin, created_at) "
                              "VALUES (:i, 'Q.', :h, 'cli', '2026-01-01 00:00:00')"), {"i": link_id, "h": f"h{link_id}"})
    db.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT link_id, issue_number, position FROM quotes ORDER BY link_id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, 3, None), (2, None, None)]
