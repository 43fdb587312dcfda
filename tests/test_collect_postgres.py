"""Collecting into PostgreSQL: the same feeds, bulk inserts and overlapping collects as on SQLite.

Runs when LINKLETTER_TEST_POSTGRES_URL points to a database on a server where this user may
create databases (`.ci/run` starts a throwaway cluster); skipped with that reason otherwise.
"""

from __future__ import annotations

import threading

from sqlmodel import select

from pipeline.collect import add_link, add_source, collect, get_link, list_links
from pipeline.models import Link, Quote
from pipeline.newsletter import open_newsletter
from tests.conftest import requires_postgres
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)

pytestmark = requires_postgres


def test_collect_and_add_on_postgres(nl_dir, pg_database, site):
    env = {"LINKLETTER_DATABASE_URL": pg_database, "LINKLETTER_FETCH_TIMEOUT": "2"}
    nls = [open_newsletter(nl_dir, env=env) for _ in range(2)]
    try:
        add_source(nls[0], site.url("/feeds/blog.rss"))
        add_source(nls[0], site.url("/feeds/highlights.atom"), mode="auto")
        add_source(nls[0], site.url("/feeds/essays.atom"))
        errors: list[BaseException] = []

        def run(nl):
            try:
                collect(nl)
            except BaseException as e:  # noqa: BLE001 - shown by the assertion below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(nl,)) for nl in nls]  # two collects at once
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with nls[0].session() as s:
            links = s.exec(select(Link)).all()
            quotes = s.exec(select(Quote)).all()
        assert len(links) == len({lk.canonical_url for lk in links}) == 4 and len(quotes) == 4
        picked = {lk.canonical_url: lk for lk in list_links(nls[0], "picked")}
        og = picked[site.url("/pages/og.html")]
        assert og.fetch_status == "ok" and og.site_name == "Slow Reading" and og.url == site.url("/pages/og.html")
        # the first feed to store a link gives its date: the blog's entry or the highlight's
        assert og.published_at.date().isoformat() in ("2026-11-23", "2026-11-26")
        link_id = add_link(nls[0], site.url("/pages/german.html"), quotes=["„Ein Zitat ist ein Satz, der zweimal lebt.“"])
        assert get_link(nls[0], link_id).title == "Über Anführungszeichen"  # from the Atom entry
    finally:
        for nl in nls:
            nl.close()
