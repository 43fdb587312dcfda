"""The desk in a real browser: Playwright driving Debian's ``chromium`` (``executable_path``,
no browser download) against the app under uvicorn on loopback.

A remote author is simulated as in tests/test_desk.py: the browser sends
``X-Forwarded-For: 203.0.113.7`` on every request, which uvicorn (trusting 127.0.0.1 as a
proxy, its default) turns into the client address the app checks.

Screenshots of each page at 1280 and 390 px wide go to ``LINKLETTER_SCREENSHOTS`` (a folder)
when that is set, else into the test's tmp folder.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from pipeline import collect
from pipeline.newsletter import open_newsletter
from pipeline.web import create_app
from pipeline.web.desk import auth
from tests.conftest import allow_fetch
from tests.fixtures.collect.site import site, site_server  # noqa: F401  (fixtures)
from tests.smtp_behaviours import DRAFT, Recording, add_subscribers, server_with, write_draft
from tests.test_web import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (the test extra)")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it")
REMOTE = {"X-Forwarded-For": "203.0.113.7"}
PASSAGE = "Das ist keine Laune der Setzer"


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def desk(nl_dir, site, tmp_path):  # noqa: F811
    allow_fetch(nl_dir, "127.0.0.1")
    nl = open_newsletter(nl_dir, env={})
    with LiveServer(create_app(nl)) as server:
        yield nl, server
    nl.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("LINKLETTER_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page, folder: Path, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"desk-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def inbox_link(nl, site, path: str, title: str | None = None) -> int:  # noqa: F811
    link_id = collect.add_link(nl, site.url(path), title=title, fetch=True, origin="cli")
    collect.unpick(nl, [link_id])
    return link_id


def test_the_login_link_logs_a_remote_browser_in(browser, desk):
    nl, server = desk
    token = auth.create_login(nl.settings)
    ctx = browser.new_context(extra_http_headers=REMOTE)
    page = ctx.new_page()
    assert page.goto(server.url + "/desk").status == 404
    page.goto(server.url + f"/desk/login/{token}")
    page.click("#login")
    page.wait_for_url(server.url + "/desk")
    assert page.locator("h1").inner_text() == "Inbox"
    (cookie,) = [c for c in ctx.cookies() if c["name"] == auth.COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    ctx.close()


def test_inbox_pick_dismiss_and_undo(browser, desk, site, shots):  # noqa: F811
    nl, server = desk
    a = inbox_link(nl, site, "/pages/og.html")
    b = inbox_link(nl, site, "/pages/german.html")
    page = browser.new_page()
    page.goto(server.url + "/desk")
    assert page.locator(f"#link-{b}").is_visible() and page.locator(f"#link-{a}").is_visible()
    # newest first
    assert page.locator("article.card").first.get_attribute("data-link") == str(b)
    shoot(page, shots, "inbox")
    page.click(f"#pick-{a}")
    page.wait_for_selector(f"#picked-{a}")
    assert collect.link_details(nl, a).state == "picked"
    page.click(f"#unpick-{a}")
    page.wait_for_selector(f"#link-{a}")
    assert collect.link_details(nl, a).state == "inbox"
    page.click(f"#dismiss-{b}")
    page.wait_for_selector(f"#dismissed-{b}")
    assert not page.locator(f"#link-{b}").count()
    assert collect.link_details(nl, b).state == "dismissed"
    page.click(f"#undismiss-{b}")
    page.wait_for_selector(f"#link-{b}")
    assert collect.link_details(nl, b).state == "inbox"
    page.close()


SELECT = """(passage) => {
  const p = [...document.querySelectorAll('#main-text p')].find(el => el.textContent.includes(passage));
  const node = p.firstChild, start = node.textContent.indexOf(passage);
  const range = document.createRange();
  range.setStart(node, start); range.setEnd(node, start + passage.length);
  const sel = document.getSelection(); sel.removeAllRanges(); sel.addRange(range);
}"""


def test_selecting_a_passage_in_the_reading_view_saves_exactly_that_quote(browser, desk, site, shots):  # noqa: F811
    nl, server = desk
    link_id = inbox_link(nl, site, "/pages/german.html")
    page = browser.new_page()
    page.goto(server.url + f"/desk/link/{link_id}")
    assert page.locator("#main-text").get_attribute("lang") == "de"
    assert page.locator("#main-text").evaluate("el => getComputedStyle(el).hyphens") == "auto"
    assert "„so“ und ‚so‘" in page.locator("#main-text").inner_text()  # typography intact
    page.evaluate(SELECT, PASSAGE)
    page.click("#save-quote")
    page.wait_for_selector("aside blockquote")
    (quote,) = collect.link_details(nl, link_id).quotes
    assert quote.text == PASSAGE
    assert quote.origin == "desk"
    assert quote.source_url == site.url("/pages/german.html") + "#:~:text=Das%20ist%20keine%20Laune%20der%20Setzer"
    shoot(page, shots, "reading")
    # a second quote, moved up, then removed: the stored order follows
    page.evaluate(SELECT, "eine lange Tradition")
    page.click("#save-quote")
    page.wait_for_selector("aside .card >> nth=1")
    second = collect.link_details(nl, link_id).quotes[1]
    page.click(f"#up-{second.id}")
    page.wait_for_selector(f"#remove-{second.id}")
    assert [q.text for q in collect.link_details(nl, link_id).quotes] == ["eine lange Tradition", PASSAGE]
    page.click(f"#remove-{second.id}")
    page.wait_for_selector(f"#quote-{second.id}", state="detached")
    assert [q.text for q in collect.link_details(nl, link_id).quotes] == [PASSAGE]
    page.close()


def test_the_previews_reload_when_the_draft_file_is_saved(browser, desk, shots):
    nl, server = desk
    path = write_draft(nl.settings.root, DRAFT)
    page = browser.new_page()
    page.goto(server.url + f"/desk/draft?draft={path.name}")
    page.frame_locator("#preview-page").locator("body").wait_for()
    page.wait_for_selector("#findings-list")
    shoot(page, shots, "draft")
    assert "A sentence written in another editor" not in page.frame_locator("#preview-page").locator("body").inner_text()
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nA sentence written in another editor.\n", encoding="utf-8")
    page.frame_locator("#preview-page").get_by_text("A sentence written in another editor").wait_for(timeout=10_000)
    page.frame_locator("#preview-email").get_by_text("A sentence written in another editor").wait_for(timeout=10_000)
    assert int(page.locator("body").get_attribute("data-reloads")) >= 1  # the page itself was not reloaded
    assert path.read_text(encoding="utf-8") == text + "\nA sentence written in another editor.\n"
    # the check runs again on save: a line added above the quote moves its finding down by one
    (before,) = [int(n) for n in re.findall(r"line (\d+):", page.locator("#findings-list").inner_text())]
    lines = path.read_text(encoding="utf-8").split("\n")
    body = lines.index("---", 1) + 1
    path.write_text("\n".join(lines[:body + 1] + ["A new first line.", ""] + lines[body + 1:]), encoding="utf-8")
    page.wait_for_function("(n) => document.querySelector('#findings-list') && "
                           "document.querySelector('#findings-list').textContent.includes('line ' + n + ':')",
                           arg=before + 2, timeout=10_000)
    page.close()


class Gate(Recording):
    """Accepts ``first`` messages at once, then holds every further one until ``opened``."""

    def __init__(self, first: int) -> None:
        super().__init__()
        self.first, self.seen, self.opened = first, 0, threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.seen += 1
        if self.seen > self.first:
            await asyncio.get_running_loop().run_in_executor(None, self.opened.wait, 30)
        return await super().handle_DATA(server, session, envelope)


PROSE_DRAFT = """---
issue: 7
title: "Weekly Reads #7: On slowness"
status: ready
---
A short intro. Take your time: this issue has no links, so the check before the send needs no network.
"""


def test_send_now_and_the_progress_bar_moves_during_a_real_send(browser, nl_dir, shots):
    gate = Gate(first=3)
    with server_with(gate) as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url, "LINKLETTER_SMTP_CONNECTIONS": "1"})
        add_subscribers(nl.engine, 12)
        path = write_draft(nl_dir, PROSE_DRAFT)
        app = create_app(nl)
        with LiveServer(app) as server:
            page = browser.new_page()
            page.goto(server.url + f"/desk/draft?draft={path.name}")
            assert "to 12 subscribers" in page.locator("#send-form").inner_text()
            page.check("#send-confirm")
            page.click("#send-now")
            page.wait_for_url(server.url + "/desk/send")
            try:
                page.wait_for_function("() => { const b = document.getElementById('bar');"
                                       " return b && b.value >= 3 && b.max == 12; }", timeout=20_000)
                assert page.locator("#bar").evaluate("b => b.value") < 12  # held at the gate: mid-send
                assert page.locator("#state").inner_text() == "sending"
                shoot(page, shots, "send")
            finally:
                gate.opened.set()
            page.wait_for_selector("#outcome", timeout=20_000)
            app.state.desk_send.thread.join(30)
            assert page.locator("#bar").evaluate("b => b.value") == 12
            assert "12 sent, 0 failed" in page.locator("#outcome").inner_text()
            assert page.locator("#results tbody tr td").nth(2).inner_text() == "12"
            page.close()
        nl.close()
    assert len(smtp.messages) == 12
