"""The sent email judged by independent tools (issue 14), on the real bytes of a real send of
the long German fixture issue to an SMTP server on loopback (aiosmtpd), and of a real
confirmation mail:

- SpamAssassin 4 (Debian's package; ``spamassassin -L -t``: local tests only, no network):
  no rule that depends on our content fires (see :data:`NOT_OURS`);
- the caniemail data (npm package ``doiuse-email``, pinned in tests/email_lint/): nothing
  that breaks the layout in Gmail, Outlook (Windows, web), Apple Mail and Yahoo.

Each skips, with the reason, only where its program is missing; .ci/run installs both.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from email.header import decode_header, make_header
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.send.campaign import SendOptions, send_issue
from pipeline.send.message import build_single
from pipeline.subscribers.people import add_subscriber, send_confirmation
from tests.smtp import SmtpServer

FIXTURE = Path(__file__).parent / "fixtures" / "render" / "drafts" / "012-langsamkeit.md"
LINT_DIR = Path(__file__).parent / "email_lint"
SPAMASSASSIN = shutil.which("spamassassin")
NODE, NPM = shutil.which("node"), shutil.which("npm")
FAST = SendOptions(retry_base=0.05, poll=0.05, connect_attempts=2, timeout=10)

# Rules that fire on any mail handed straight to SpamAssassin, whatever its content: it has
# not travelled through a relay yet (the receiving servers add Received headers), and the
# informational 0-point marker that an HTML part exists. Every other rule is ours: HTML_*,
# MIME_*, header, body and URI rules all judge what Linkletter wrote. (DNS and DKIM rules
# about the test domains cannot fire: -L runs no network tests.)
NOT_OURS = {"NO_RECEIVED", "NO_RELAYS", "HTML_MESSAGE"}


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """The raw bytes of the long German issue as the SMTP server received them, and of a
    confirmation mail, from a German newsletter with its legal footer set."""
    tmp = tmp_path_factory.mktemp("sent")
    root = init_newsletter(tmp / "n", title="Wochenlese", language="de", author="Die Redaktion",
                           sender="Wochenlese <post@wochenlese.example.de>", base_url="https://wochenlese.example.de")
    text = FIXTURE.read_text("utf-8").replace("status: sent\n", "status: ready\n")
    text = re.sub(r"^date: .*\n", "", text, count=1, flags=re.M)  # the send sets the date
    (root / "drafts" / FIXTURE.name).write_text(text, "utf-8")
    with SmtpServer() as smtp:
        nl = open_newsletter(root, env={"LINKLETTER_SMTP_URL": smtp.url,
                                        "LINKLETTER_POSTAL_ADDRESS": "Lindenstraße 5, 37073 Göttingen",
                                        "LINKLETTER_IMPRINT_URL": "https://wochenlese.example.de/impressum.html"})
        try:
            add_subscriber(nl, "leserin@example.net", name="Jana Lehmann")
            report = send_issue(nl, root / "drafts" / FIXTURE.name, options=FAST, force=True)
            assert report.sent == 1
            pending = add_subscriber(nl, "neu@example.net", status="pending")
            send_confirmation(nl, pending.subscriber.id)
            got = smtp.wait_for(2)
        finally:
            nl.close()
    return {"issue": got[0].raw, "confirm": got[1].raw, "issue_message": got[0].message, "tmp": tmp}


# ---------------------------------------------------------------- SpamAssassin


def spamassassin_rules(raw: bytes, tmp: Path) -> tuple[float, list[str]]:
    """(score, rules that fired) of ``spamassassin -L -t`` on ``raw``."""
    home = tmp / "sa-home"  # its own user state, nothing from this machine's
    home.mkdir(exist_ok=True)
    proc = subprocess.run([SPAMASSASSIN, "-L", "-t", "-x"], input=raw,
                          capture_output=True, timeout=120, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")[-2000:]
    head = proc.stdout.split(b"\n\n", 1)[0].decode("ascii", "replace")
    status = re.search(r"^X-Spam-Status: (.*(?:\n[ \t].*)*)", head, re.M)
    assert status, head[:2000]
    value = " ".join(status.group(1).split())
    score = float(re.search(r"score=(-?[\d.]+)", value).group(1))
    tests = re.search(r"tests=([A-Z0-9_,]*)", value).group(1)
    return score, [t for t in tests.split(",") if t]


needs_sa = pytest.mark.skipif(SPAMASSASSIN is None, reason="needs Debian's spamassassin (apt-get install "
                                                            "spamassassin); .ci/run installs it")


@needs_sa
@pytest.mark.parametrize("which", ["issue", "confirm"])
def test_spamassassin_finds_nothing_of_ours(sent, which):
    score, rules = spamassassin_rules(sent[which], sent["tmp"])
    ours = sorted(set(rules) - NOT_OURS)
    assert ours == [], f"SpamAssassin rules fired on the {which} mail: {ours} (score {score})"
    assert score <= 0


@needs_sa
def test_spamassassin_check_can_fail(sent):
    """The same tool on a mail with the old preheader (white text on the page colour) finds it."""
    old = ('<html><body style="background-color:#f4f1ec;"><div style="display:none;font-size:1px;color:#ffffff;'
           'line-height:1px;max-height:0px;max-width:0px;opacity:0;overflow:hidden;">Sechs Texte über das Warten, '
           'das Lesen und die Kunst, nicht sofort zu antworten.</div><div style="background-color:#f4f1ec;">'
           '<p>Liebe Leserinnen und Leser, diese Woche war eine Woche des Wartens.</p></div></body></html>')
    nl = open_newsletter(init_newsletter(sent["tmp"] / "old", title="W", language="de", sender="W <w@example.de>",
                                         base_url="https://w.example.de"), env={})
    try:
        raw = build_single(nl.settings, subject="Test", text="Liebe Leserinnen und Leser", html=old,
                           to_addr="leserin@example.net", to_name="")
    finally:
        nl.close()
    _, rules = spamassassin_rules(raw, sent["tmp"])
    assert "HTML_FONT_LOW_CONTRAST" in rules


# ---------------------------------------------------------------- caniemail

# The clients of the issue, as caniemail names them.
CLIENTS = ["gmail.*", "outlook.windows", "outlook.outlook-com", "apple-mail.*", "yahoo.*"]
# caniemail features whose lack breaks the layout or loses content there (the element is
# dropped, the box collapses or overflows). What degrades gracefully is not listed: @media
# and class selectors (MJML's responsive layer on top of a fluid one), dark-mode styles,
# hyphens, border-radius; "Local anchors" too: where footnote links cannot jump, the notes
# are a headed list at the end (see pipeline/render/markdown.py).
BREAKING = {
    "HTML5 semantics", "display:flex", "display:grid", "flex-wrap: wrap", "flex-direction:column",
    "grid-template-* properties", "gap, column-gap, row-gap", "position", "float", "transform",
    "CSS Variables (Custom Properties)", "CSS calc() function", "min()", "max()", "clamp()",
    "Embedded <svg> image", "SVG image format", "webP image format", "AVIF image format", "<picture> element",
    "<video> element", "<form> element", "word-break",
}


@pytest.fixture(scope="module")
def doiuse():
    if NODE is None:
        pytest.skip("needs node and npm (Debian's nodejs, npm); .ci/run installs them")
    if not (LINT_DIR / "node_modules" / "doiuse-email").is_dir():
        if NPM is None:
            pytest.skip("needs npm to install tests/email_lint (npm ci); .ci/run does that")
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund", "--silent"], cwd=LINT_DIR, check=True, timeout=300)

    def lint(html: str, tmp: Path) -> dict:
        path = tmp / "lint.html"
        path.write_text(html, "utf-8")
        out = subprocess.run([NODE, str(LINT_DIR / "lint.mjs"), str(path), *CLIENTS], capture_output=True,
                             text=True, timeout=120, check=True).stdout
        return json.loads(out)

    return lint


def breaking(result: dict) -> list[str]:
    titles = []
    for error in result.get("errors", []):
        m = re.match(r"`(.+?)` is not supported by `(.+?)`", error)
        if m and m.group(1) in BREAKING:
            titles.append(f"{m.group(1)} ({m.group(2)})")
    return sorted(set(titles))


class _Boxes(HTMLParser):
    """Elements other than table cells that have a padding and a visible box (a background
    or a border): caniemail's "padding" note for Outlook for Windows says only cells are
    padded, so the text there touches the box's edge."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        style = (dict(attrs).get("style") or "").replace(" ", "").lower()
        padded = re.search(r"(?:^|;)padding(?:-[a-z]+)?:(?!0(?:px)?(?:;|$))", style)
        boxed = re.search(r"(?:^|;)(?:background(?:-color)?|border(?:-[a-z]+)?):(?!0(?:px)?(?:;|$)|none)", style)
        if tag not in ("td", "th") and padded and boxed:
            self.bad.append(f"<{tag} style={style[:80]}>")


def html_part(message) -> str:
    return message.get_body(("html",)).get_content()


def test_caniemail_nothing_breaks_the_layout(sent, doiuse):
    html = html_part(sent["issue_message"])
    result = doiuse(html, sent["tmp"])
    assert breaking(result) == [], breaking(result)
    boxes = _Boxes()
    boxes.feed(html)
    assert boxes.bad == [], boxes.bad[:5]


def test_caniemail_check_can_fail(sent, doiuse):
    """The same lint finds what the issue reported: <footer>, <section> and word-break."""
    old = ('<!doctype html><html><body><div style="word-break:break-word;"><blockquote cite="https://e.org/" '
           'style="padding:12px 16px;border-left:4px solid #c2410c"><p>Text</p><footer>— Quelle</footer></blockquote>'
           '<section class="footnotes"><ol><li id="fn1">Note</li></ol></section></div></body></html>')
    found = breaking(doiuse(old, sent["tmp"]))
    assert any(f.startswith("HTML5 semantics (outlook.windows)") for f in found), found
    assert any(f.startswith("word-break") for f in found), found
    boxes = _Boxes()
    boxes.feed(old)
    assert [b.split()[0] for b in boxes.bad] == ["<blockquote"]


def test_sent_issue_shows_the_send_date_and_the_legal_footer(sent):
    html = html_part(sent["issue_message"])
    sent_on = re.search(r"Wochenlese · Ausgabe 12 · (\d{1,2}\. \w+ \d{4})", html)
    assert sent_on, "the header line of the sent issue has no date"
    draft = (sent["tmp"] / "n" / "drafts" / FIXTURE.name).read_text("utf-8")
    written = re.search(r"^date: (\d{4})-(\d\d)-(\d\d)", draft, re.M)  # the date the send wrote into the draft
    from pipeline.i18n import MONTHS

    year, month, day = (int(g) for g in written.groups())
    assert sent_on.group(1) == f"{day}. {MONTHS['de'][month - 1]} {year}"
    assert "Absender: Lindenstraße 5, 37073 Göttingen" in html
    assert 'href="https://wochenlese.example.de/impressum.html"' in html
    subject = str(make_header(decode_header(sent["issue_message"]["Subject"])))
    assert subject == "„Langsamkeit“ – und warum sie sich lohnt"
