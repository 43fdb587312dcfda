"""Migration 0008: stored quotes get the hash of today's typography normalization; two quotes
of a link that are now one passage are both kept, and the passage is not stored a third time."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlmodel import Session

from pipeline import db
from pipeline.collect.links import NewQuote, add_quotes
from pipeline.collect.text import quote_hash


def _old_hash(t: str) -> str:  # the hash before 0008: whitespace collapsed, nothing else
    return hashlib.sha256(" ".join(t.split()).encode("utf-8")).hexdigest()


def test_upgrade_rehashes_quotes_and_keeps_both_of_two_now_equal(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine, "0006")
    curly, straight = "Sie nennen es „Ökosystem“.", 'Sie nennen es\n"Ökosystem".'
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO links (id, url, canonical_url, state, fetch_status, fetch_attempts, created_at) "
                          "VALUES (1, 'https://a.example/p', 'https://a.example/p', 'picked', 'ok', 0, '2026-01-01')"))
        for t in (curly, straight, "Ein anderer Satz."):
            conn.execute(text("INSERT INTO quotes (link_id, text, text_hash, origin, created_at) "
                              "VALUES (1, :t, :h, 'feed', '2026-01-01')"), {"t": t, "h": _old_hash(t)})
    db.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, text, text_hash, cite_text, position FROM quotes ORDER BY id")).all()
    assert [r.text for r in rows] == [curly, straight, "Ein anderer Satz."]  # nothing deleted
    assert rows[0].text_hash == quote_hash(curly) == quote_hash(straight)
    assert rows[1].text_hash == f"{quote_hash(straight)}:{rows[1].id}"
    assert rows[2].text_hash == quote_hash("Ein anderer Satz.")
    assert {(r.cite_text, r.position) for r in rows} == {(None, None)}
    with Session(engine) as s:  # the passage, typeset a third way, is known
        assert add_quotes(s, 1, [NewQuote("Sie nennen es “Ökosystem”.")], "cli") == 0
        assert add_quotes(s, 1, [NewQuote("Noch ein Satz.")], "cli") == 1
        s.commit()
    engine.dispose()
