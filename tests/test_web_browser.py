"""The subscribe, confirm and unsubscribe pages driven in headless Chromium (Debian's
``chromium``): type into the form, press the button, see the result page.

Chromium is driven over the DevTools protocol through ``--remote-debugging-pipe`` (JSON
messages separated by NUL bytes on file descriptors 3 and 4), so no WebSocket library is
needed. Without chromium the tests are skipped with that reason; `.ci/run` provides it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from pipeline import subscribers as subs
from pipeline.tokens import unsubscribe_token
from pipeline.web import create_app
from tests.test_web import LiveServer, _confirm_link, _open, _sub

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Like the PostgreSQL tests: run wherever the browser is (.ci/run installs it), and say why not elsewhere.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it")
SCREENSHOTS = os.environ.get("LINKLETTER_SCREENSHOTS")  # keep the screenshots here, to look at them


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools pipe."""

    def __init__(self, profile: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # The child's ends go to free descriptors >= 10 first, so dup2 onto 3 and 4 in the
        # child cannot overwrite one with the other.
        high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def child_fds():
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "--window-size=800,900", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, pass_fds=(3, 4))
        os.close(high_r)
        os.close(high_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def _read(self, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise AssertionError("chromium did not answer")
            chunk = os.read(self._from_chrome, 65536)
            if not chunk:
                raise AssertionError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, session: bool = False, **params) -> int:
        """Send a command without waiting for its answer (for a target paused until it runs)."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        return self._id

    def call(self, method: str, session: bool = False, **params) -> dict:
        self.send(method, session, **params)
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} event")
            self.events.append(self._read(timeout))

    def js(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_event("Page.loadEventFired")

    def type_into(self, selector: str, text: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", session=True, text=text)

    def press(self, selector: str) -> None:
        """Click the element with a real mouse event at its centre, then wait for the next page."""
        box = self.js(f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                      f" return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
        self.events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)
        self.wait_event("Page.loadEventFired")

    def screenshot(self, path: Path) -> bytes:
        import base64

        data = base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


def test_subscribe_confirm_and_unsubscribe_in_a_real_browser(nl_dir, tmp_path, browser):
    from tests.smtp import SmtpServer

    with SmtpServer() as smtp:
        nl = _open(nl_dir, smtp)
        with LiveServer(create_app(nl)) as server:
            browser.goto(server.url + "/subscribe")
            assert browser.js("document.title") == "Subscribe to Weekly Reads · Weekly Reads"
            # accessible: every visible field has its label; the honeypot is out of sight
            assert browser.js("document.querySelector('#email').labels[0].textContent") == "Email address"
            assert browser.js("document.querySelector('#name').labels[0].textContent") == "Name (optional)"
            assert browser.js("document.querySelector('#website').getBoundingClientRect().right") < 0
            browser.type_into("#email", "Browser.Reader@Example.org")
            browser.type_into("#name", "Bea Browser")
            browser.press("button[type=submit]")
            assert browser.js("document.querySelector('h1').textContent") == "Please check your inbox"
            shot = browser.screenshot(Path(SCREENSHOTS or tmp_path) / "subscribed.png")
            assert shot.startswith(b"\x89PNG") and len(shot) > 5000

            (mail,) = smtp.wait_for(1)
            assert _sub(nl, "browser.reader@example.org").status == "pending"
            browser.goto(server.url + urlsplit(_confirm_link(mail.message)).path)
            assert browser.js("document.querySelector('h1').textContent") == "Confirm your subscription"
            assert _sub(nl, "browser.reader@example.org").status == "pending"
            browser.press("button[type=submit]")
            assert browser.js("document.querySelector('h1').textContent") == "You are subscribed"
            sub = _sub(nl, "browser.reader@example.org")
            assert sub.status == "active" and sub.name == "Bea Browser"
            assert "HeadlessChrome" in sub.consent_user_agent

            browser.goto(server.url + "/unsubscribe/" + unsubscribe_token(nl.settings.secret_key, sub.id))
            assert browser.js("document.querySelector('h1').textContent") == "Unsubscribe"
            browser.press("button[type=submit]")
            assert browser.js("document.querySelector('h1').textContent") == "You are unsubscribed"
            assert browser.js("document.cookie") == ""
            browser.screenshot(Path(SCREENSHOTS or tmp_path) / "unsubscribed.png")
        assert _sub(nl, "browser.reader@example.org").status == "unsubscribed"
        nl.close()


def test_the_german_form_shows_the_error_in_place_in_a_real_browser(tmp_path, browser):
    from pipeline.newsletter import init_newsletter

    root = init_newsletter(tmp_path / "brief", title="Wochenlese", language="de",
                           sender="Wochenlese <brief@example.org>", base_url="https://brief.example.org")
    nl = _open(root)
    with LiveServer(create_app(nl)) as server:
        browser.goto(server.url + "/subscribe")
        assert browser.js("document.documentElement.lang") == "de"
        # the browser's own check would stop a malformed address; a typo it lets through:
        browser.type_into("#email", "leser@beispiel")
        browser.press("button[type=submit]")
        assert browser.js("document.querySelector('#form-error').textContent") == \
            "Bitte geben Sie eine gültige E-Mail-Adresse ein."
        assert browser.js("document.querySelector('#email').value") == "leser@beispiel"
        assert browser.js("document.querySelector('#email').getAttribute('aria-invalid')") == "true"
        browser.screenshot(Path(SCREENSHOTS or tmp_path) / "form-error-de.png")
        assert httpx.get(server.url + "/subscribe").status_code == 200
    assert list(subs.list_subscribers(nl)) == []
    nl.close()


ARTICLE = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Straßenlärm: Was die Stadt plant</title>
</head><body><h1>Straßenlärm</h1><p id="q">Die Bürger-Initiative fordert weniger Lärm, mehr Grün &amp; Ruhe – für alle,
die hier wohnen.</p><p>Ein anderer Absatz.</p></body></html>"""


def test_the_bookmarklet_saves_the_selected_german_passage_from_another_site(nl_dir, browser, httpserver):
    from sqlalchemy import select

    from pipeline.models import Link, Quote
    from pipeline.web.author import bookmarklet, bookmarklet_token
    from urllib.parse import unquote

    httpserver.expect_request("/artikel/42").respond_with_data(ARTICLE, content_type="text/html; charset=utf-8")
    nl = _open(nl_dir)
    token = bookmarklet_token(nl.settings)
    with LiveServer(create_app(nl)) as server:
        article = httpserver.url_for("/artikel/42")  # another origin than the server's
        browser.goto(article)
        # a hostile page wraps everything a bookmarklet might call and keeps what it is handed
        browser.js("(() => { window.seen = []; const keep = (o, k) => { const f = o[k]; o[k] = function (...a) {"
                   " window.seen.push(JSON.stringify(a)); return f.apply(this, a); }; };"
                   " keep(window, 'fetch'); keep(document, 'createElement'); keep(window, 'open');"
                   " keep(HTMLInputElement.prototype, 'setAttribute'); })()")
        browser.js("(() => { const r = document.createRange(); r.selectNodeContents(document.getElementById('q'));"
                   " getSelection().removeAllRanges(); getSelection().addRange(r); })()")
        # the tab the bookmarklet opens on the server is attached to, paused until we listen
        browser.call("Target.setAutoAttach", autoAttach=True, waitForDebuggerOnStart=True,
                     flatten=True)
        browser.events.clear()
        # a click on a bookmark is a user gesture: the new tab is no blocked popup
        browser.call("Runtime.evaluate", session=True, expression=unquote(bookmarklet(server.url)[len("javascript:"):]),
                     userGesture=True)
        seen = browser.js("JSON.stringify(window.seen)")
        article_session = browser.session
        browser.session = browser.wait_event("Target.attachedToTarget")["params"]["sessionId"]
        browser.send("Page.enable", session=True)  # answered only once the paused tab runs
        browser.call("Runtime.runIfWaitingForDebugger", session=True)
        browser.wait_event("Page.loadEventFired")
        assert browser.js("location.href") == server.url + "/collect/new"
        assert browser.js("document.querySelector('#selection').value").startswith("Die Bürger-Initiative")
        browser.type_into("#token", token)
        browser.press("button[type=submit]")
        assert browser.js("document.querySelector('h1').textContent") == "Saved to Weekly Reads"
        browser.session = article_session
        assert browser.js("location.href") == article  # the visited page stayed where it was
    assert token not in seen and "token" not in seen  # the page never had the token to see
    with nl.session() as s:
        (link,) = s.scalars(select(Link)).all()
        (quote,) = s.scalars(select(Quote)).all()
        assert link.url == article and link.title == "Straßenlärm: Was die Stadt plant" and link.state == "picked"
        assert quote.text == "Die Bürger-Initiative fordert weniger Lärm, mehr Grün & Ruhe – für alle, die hier wohnen."
        assert quote.source_url == (article + "#:~:text=Die%20B%C3%BCrger%2DInitiative%20fordert%20weniger,"
                                    "alle%2C%20die%20hier%20wohnen.")
    nl.close()
