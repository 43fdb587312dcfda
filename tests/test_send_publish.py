"""`linkletter send` publishes a finished issue: the site and feeds are rebuilt, and a broken
build is a warning, never a failed send (the real CLI in a subprocess)."""

from __future__ import annotations

from pipeline.newsletter import open_newsletter
from tests.conftest import clean_env, run_cli
from tests.smtp_behaviours import add_subscribers, write_draft


def test_a_finished_send_puts_the_issue_on_the_site_and_in_the_feeds(nl_dir):
    write_draft(nl_dir)
    add_subscribers(open_newsletter(nl_dir, env={}).engine, 2)
    proc = run_cli("send", "7", "--force", env=clean_env(LINKLETTER_DIR=str(nl_dir)))
    assert "2 sent" in proc.stdout and "Site and feeds rebuilt" in proc.stdout
    feed = (nl_dir / "site" / "feed.xml").read_text(encoding="utf-8")
    atom = (nl_dir / "site" / "atom.xml").read_text(encoding="utf-8")
    assert "On slowness" in feed and "On slowness" in atom
    assert list((nl_dir / "site" / "issues").iterdir())


def test_a_broken_site_build_after_a_send_is_a_warning_with_file_and_line(nl_dir):
    write_draft(nl_dir)
    add_subscribers(open_newsletter(nl_dir, env={}).engine, 2)
    own = nl_dir / "templates" / "site"
    own.mkdir(parents=True)
    (own / "feed.xml").write_text("<rss>\n{% if %}\n</rss>\n", encoding="utf-8")
    proc = run_cli("send", "7", "--force", env=clean_env(LINKLETTER_DIR=str(nl_dir)), check=False)
    assert proc.returncode == 0, proc.stderr
    assert "2 sent" in proc.stdout
    assert "warning: the site was not rebuilt" in proc.stderr and "feed.xml:2" in proc.stderr
    assert "Traceback" not in proc.stderr
