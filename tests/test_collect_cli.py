"""The collect commands, run as the real CLI in a subprocess with stdin not a terminal."""

from __future__ import annotations

import re

from tests.conftest import clean_env
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)


def test_sources_collect_links_pick_add(nl_dir, site, cli):
    d = ["--dir", str(nl_dir)]
    env = clean_env(LINKLETTER_FETCH_TIMEOUT="2")
    out = cli(*d, "sources", "add", site.url("/feeds/blog.rss"), "--name", "Slow Reading", env=env).stdout
    assert re.search(r"Added source #1 \(inbox\)", out)
    out = cli(*d, "sources", "add", site.url("/feeds/highlights.atom"), "--mode", "auto", env=env).stdout
    assert "#2 (auto)" in out

    done = cli(*d, "collect", env=env)
    assert "Polled 2 source(s): 0 unchanged, 0 failed; 3 new link(s), 3 new quote(s); 2 page(s) fetched, 0 failed." in done.stdout
    assert "[1/" in done.stderr and "feed ok" in done.stderr  # plain progress lines when not on a terminal

    inbox = cli(*d, "links", "--inbox", env=env).stdout
    assert "Structured data, quietly" in inbox and "On marginalia" not in inbox  # picked by the auto source
    picked = cli(*d, "links", "--picked", env=env).stdout
    assert "On marginalia" in picked and "[2 quote(s)]" in picked
    jsonld_id = re.search(r"^\s*(\d+)\s+inbox\s+Structured data", inbox, re.M).group(1)

    out = cli(*d, "pick", jsonld_id, env=env).stdout
    assert f"Picked 1 link(s): {jsonld_id}" in out
    picked = cli(*d, "links", "--picked", env=env).stdout  # the pick fetched its page at once
    assert "Structured data, quietly" in picked and "(page pending)" not in picked
    again = cli(*d, "collect", env=env).stdout  # nothing left for the collect to fetch
    assert "0 page(s) fetched, 0 failed" in again

    out = cli(*d, "add", site.url("/pages/german.html?utm_source=x"), "--quote", "„Ein Zitat ist ein Satz, der zweimal lebt.“",
              "--quote", "Wer Zitate sammelt, sammelt Stimmen", "--note", "für die Einleitung", env=env).stdout
    assert re.search(r"Picked link #4: Über Anführungszeichen", out)
    listing = cli(*d, "links", env=env).stdout
    assert re.search(r"^\s*4\s+picked\s+Über Anführungszeichen – Langsam lesen\s+<.*/pages/german.html>\s+\[2 quote\(s\)\]",
                     listing, re.M)

    cli(*d, "sources", "remove", "1", env=env)
    remaining = cli(*d, "sources", "list", env=env).stdout
    assert "#1 " not in remaining and "#2 " in remaining
    assert "Structured data, quietly" in cli(*d, "links", env=env).stdout  # its links stay


def test_errors_are_messages_not_tracebacks(nl_dir, cli):
    d = ["--dir", str(nl_dir)]
    for args, message in [
        (["pick", "99"], "no link with id 99"),
        (["sources", "remove", "5"], "no source #5"),
        (["add", "javascript:alert(1)"], "not an http:// or https:// URL"),
    ]:
        proc = cli(*d, *args, check=False)
        assert proc.returncode == 1, args
        assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_add_with_an_unreachable_page_keeps_the_pick(nl_dir, cli):
    from tests.smtp import free_port

    d = ["--dir", str(nl_dir)]
    url = f"http://127.0.0.1:{free_port()}/gone"
    proc = cli(*d, "add", url, "--quote", "still worth quoting",
               env=clean_env(LINKLETTER_FETCH_TIMEOUT="0.5", LINKLETTER_FETCH_ALLOW="127.0.0.1"))
    assert "Picked link #1" in proc.stdout
    assert "could not be fetched" in proc.stderr and "next collect" in proc.stderr
    assert "(page failed: connection refused)" in cli(*d, "links", "--picked").stdout


def test_collect_on_a_terminal_shows_a_progress_bar(nl_dir, site):
    """stderr on a real pseudo-terminal: a tqdm bar instead of log lines."""
    import os
    import pty
    import subprocess
    import sys

    from pipeline.collect import add_source
    from pipeline.newsletter import open_newsletter

    nl = open_newsletter(nl_dir, env={})
    add_source(nl, site.url("/feeds/highlights.atom"), mode="auto")
    nl.close()
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    try:
        proc = subprocess.run([sys.executable, "-m", "pipeline", "--dir", str(nl_dir), "collect"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=slave, env=clean_env(), text=True, timeout=120)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0 and "Polled 1 source(s)" in proc.stdout
    text = shown.decode("utf-8", "replace")
    assert re.search(r"\| \d/3 \[", text) and "req/s" in text  # the bar; its total grew to 1 feed + 2 pages
    assert "[1/" not in text  # no log lines on a terminal


def test_passwords_in_feed_urls_are_not_shown(nl_dir, cli):
    from tests.smtp import free_port

    from pipeline.collect import add_source
    from pipeline.newsletter import open_newsletter

    d = ["--dir", str(nl_dir)]
    url = f"http://reader:s3cret-token@127.0.0.1:{free_port()}/private.atom"
    nl = open_newsletter(nl_dir, env={})
    add_source(nl, url)
    nl.close()
    done = cli(*d, "collect", env=clean_env(LINKLETTER_FETCH_TIMEOUT="0.5"))
    listing = cli(*d, "sources", "list").stdout
    for text in (done.stdout, done.stderr, listing):
        assert "s3cret-token" not in text
    assert "reader:***@127.0.0.1" in listing and "connection refused" in listing
