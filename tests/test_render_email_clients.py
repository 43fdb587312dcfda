"""The email HTML as mail clients need it (issue 14, items 1–5 and 7–11): the preheader, markup
every major client keeps, footnote anchors, line breaking, dark-mode and format-detection
metas, local images, the legal footer and the check's size and legal warnings.

The tools' own verdicts (SpamAssassin, caniemail, Chromium) are in test_render_email_tools.py
and test_render_email_browser.py.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.check import check_draft
from pipeline.errors import DraftError
from pipeline.newsletter import open_newsletter
from pipeline.render.email import PREHEADER_SPACER, render_issue, render_system_mail
from pipeline.render.issue import prepare
from pipeline.render.media import MAX_BYTES, MAX_WIDTH, image_size
from pipeline.render.site import build_site, render_issue_page
from pipeline.settings import SettingsError, load_settings

FIXTURES = Path(__file__).parent / "fixtures" / "render" / "drafts"


def png(width: int, height: int) -> bytes:
    """A real (tiny, grey) PNG file of that size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def draft(nl_dir: Path, body: str, name: str = "005-bilder.md", **front) -> Path:
    fm = {"issue": 5, "title": "Bilder", "status": "ready", **front}
    lines = "".join(f"{k}: {v}\n" for k, v in fm.items())
    path = nl_dir / "drafts" / name
    path.write_text(f"---\n{lines}---\n{body}", "utf-8")
    return path


def test_preheader_is_hidden_without_a_colour_and_padded(nl, nl_dir):
    html = render_issue(nl, draft(nl_dir, "Body text.\n", preheader="Sechs Texte über das Warten.")).html
    hidden = re.search(r'<div style="(display:none;[^"]*)">Sechs Texte über das Warten\.((?:&zwnj;&nbsp;)+)</div>', html)
    assert hidden, "the preheader is not the hidden div followed by spacers"
    assert "color" not in hidden.group(1) and "mso-hide:all" in hidden.group(1)
    assert hidden.group(2) == str(PREHEADER_SPACER) and hidden.group(2).count("&zwnj;") >= 80
    assert not re.search(r"(?<![-\w])color:#ffffff", html)  # MRML's white preview text is gone
    # the confirmation mail has the same preheader
    confirm = render_system_mail(nl, "confirm", to="a@example.org", confirm_url="https://x.example/c")
    part = confirm.get_body(("html",)).get_content()
    assert not re.search(r'display:none;[^"]*color', part) and "One click and you are subscribed.&zwnj;&nbsp;" in part


def test_quotes_and_footnotes_use_markup_clients_keep(nl, nl_dir):
    body = ("Text with a note[^1] and another[^2].\n\n> Quoted words.\n>\n> — [Source](https://s.example/a)\n\n"
            "[^1]: The first note.\n[^2]: The second note.\n")
    path = draft(nl_dir, body)
    html = render_issue(nl, path).html
    assert "<footer" not in html and "<section" not in html
    assert '<blockquote cite="https://s.example/a"' in html and '<p class="attribution"' in html
    # each in-page link has an empty <a name> to jump to (Gmail web, Outlook, Yahoo ignore ids)
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert targets == {"fn1", "fn2", "fnref1", "fnref2"}
    for t in targets:
        assert f'<a name="{t}"' in html, t
    # where a client cannot jump, the notes read as a headed list at the end
    notes = html[html.index('class="footnotes-title"'):]
    assert ">Notes</p>" in notes[:200] and notes.index("The first note.") < notes.index("The second note.")
    # the web page keeps its HTML5 markup
    page = render_issue_page(nl, path)
    assert "<footer>" in page and '<section class="footnotes">' in page and 'name="fn1"' not in page


def test_no_mid_word_breaking_and_the_client_metas(nl, nl_dir):
    html = render_issue(nl, draft(nl_dir, "| Programm | Zeit |\n|---|---|\n| Textverarbeitung | 1 s |\n")).html
    assert "word-break:break-word" not in html.replace(" ", "")
    assert re.search(r"<td style=\"[^\"]*hyphens: auto", html)
    head = html[:html.index("</head>")]
    for meta in ('<meta name="color-scheme" content="light dark"',
                 '<meta name="supported-color-schemes" content="light dark"',
                 '<meta name="format-detection" content="telephone=no, date=no, address=no, email=no'):
        assert meta in head, meta
    assert "@media (prefers-color-scheme: dark)" in head and ".ll-top a" in head  # the top link too


def test_local_images_are_sized_and_copied_into_the_site(nl_dir):
    (nl_dir / "drafts" / "img").mkdir()
    (nl_dir / "drafts" / "img" / "bild.png").write_bytes(png(1200, 600))
    (nl_dir / "drafts" / "img" / "klein.png").write_bytes(png(200, 100))
    path = draft(nl_dir, "![Ein Bild](img/bild.png)\n\n![](img/klein.png)\n\n![Noch einmal](img/bild.png)\n",
                 date="2026-11-27T07:00:00+01:00", status="sent")
    nl = open_newsletter(nl_dir, env={})
    try:
        html = render_issue(nl, path).html
        imgs = re.findall(r"<img [^>]*>", html)
        assert len(imgs) == 3
        big = re.search(r'src="https://news\.example\.org/media/(bild-[0-9a-f]{12}\.png)"', imgs[0])
        assert big and f'width="{MAX_WIDTH}"' in imgs[0] and 'height="272"' in imgs[0]  # 1200×600 shown at 544
        assert 'width="200"' in imgs[1] and 'height="100"' in imgs[1] and "max-width: 100%" in imgs[1]
        assert 'alt="Ein Bild"' in imgs[0]
        page = render_issue_page(nl, path)
        assert f'src="https://news.example.org/media/{big.group(1)}"' in page
        report = check_draft(nl, path, fetch=False)
        codes = [(f.code, f.line) for f in report.findings]
        assert not [c for c in codes if c[0].startswith("link-")] and ("image-alt", 9) in codes  # the one without alt
        site = build_site(nl)
        copied = site / "media" / big.group(1)
        assert copied.read_bytes() == (nl_dir / "drafts" / "img" / "bild.png").read_bytes()
        assert sorted(p.name.split("-")[0] for p in (site / "media").iterdir()) == ["bild", "klein"]
    finally:
        nl.close()


@pytest.mark.parametrize("src, content, reason", [
    ("img/fehlt.png", None, "no such file"),
    ("../../../etc/bild.png", b"x", "inside the newsletter folder"),
    ("img/kaputt.png", b"not a png at all", "not a readable PNG image"),
    ("img/bild.bmp", b"BM....", "not an image format"),
    ("img/riesig.png", b"\x89PNG" + b"\x00" * (MAX_BYTES + 10), "larger than 5 MB"),
])
def test_bad_local_images_are_a_clear_error_with_the_line(nl, nl_dir, src, content, reason):
    if content is not None:
        target = (nl_dir / "drafts" / src).resolve()
        if target.is_relative_to(nl_dir):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    path = draft(nl_dir, f"Intro.\n\n![Bild]({src})\n")
    with pytest.raises(DraftError) as e:
        prepare(nl, path)
    assert e.value.line == 8 and reason in str(e.value) and str(path) in str(e.value)
    assert path.read_text("utf-8").endswith(f"![Bild]({src})\n")  # nothing lost


def test_image_sizes_read_from_each_format():
    assert image_size(png(640, 480), "png") == (640, 480)
    assert image_size(b"GIF89a" + struct.pack("<HH", 320, 200) + b"\x00" * 8, "gif") == (320, 200)
    jpeg = (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
            + b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 768, 1024, 1) + b"\x01\x11\x00" + b"\xff\xd9")
    assert image_size(jpeg, "jpeg") == (1024, 768)
    webp = b"RIFF" + b"\x00" * 4 + b"WEBPVP8X" + b"\x00" * 8 + (799).to_bytes(3, "little") + (599).to_bytes(3, "little")
    assert image_size(webp, "webp") == (800, 600)
    assert image_size(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "png") is None


def test_legal_footer_in_the_email_and_on_the_site(nl_dir):
    path = draft(nl_dir, "Body.\n", date="2026-11-27T07:00:00+01:00", status="sent")
    nl = open_newsletter(nl_dir, env={"LINKLETTER_POSTAL_ADDRESS": "Weekly Reads, 1 Main St, Springfield <b>",
                                      "LINKLETTER_IMPRINT_URL": "https://news.example.org/imprint"})
    try:
        r = render_issue(nl, path)
        assert "Sent by Weekly Reads, 1 Main St, Springfield &lt;b&gt;" in r.html  # escaped
        assert '<a href="https://news.example.org/imprint" style="color:#6b6b6b;">Imprint</a>' in r.html
        site = build_site(nl)
        for page in ("index.html", "issues/5.html"):
            text = (site / page).read_text("utf-8")
            assert "Sent by Weekly Reads, 1 Main St, Springfield &lt;b&gt;" in text and "Imprint</a>" in text
    finally:
        nl.close()
    # without the settings, no empty footer line
    nl = open_newsletter(nl_dir, env={})
    try:
        assert "Sent by" not in render_issue(nl, path).html
    finally:
        nl.close()


def test_imprint_url_must_be_a_web_address(nl_dir):
    with open(nl_dir / "linkletter.toml", "a", encoding="utf-8") as f:
        f.write('imprint_url = "impressum.html"\n')
    with pytest.raises(SettingsError, match="imprint_url"):
        load_settings(nl_dir / "linkletter.toml", env={})


def test_check_warns_about_a_missing_legal_footer_for_a_public_send(nl_dir):
    path = draft(nl_dir, "Body.\n")
    de = {"LINKLETTER_LANGUAGE": "de"}
    cases = [({}, []),  # into the outbox/ folder: not public
             ({"LINKLETTER_SMTP_URL": "smtp://127.0.0.1:2525"}, ["legal-postal-address"]),
             ({**de, "LINKLETTER_SMTP_URL": "smtp://127.0.0.1:2525"}, ["legal-postal-address", "legal-imprint"]),
             ({**de, "LINKLETTER_SMTP_URL": "smtp://127.0.0.1:2525", "LINKLETTER_POSTAL_ADDRESS": "Lindenstr. 5, Göttingen",
               "LINKLETTER_IMPRINT_URL": "https://news.example.org/impressum"}, [])]
    for env, expected in cases:
        nl = open_newsletter(nl_dir, env=env)
        try:
            report = check_draft(nl, path, fetch=False)
        finally:
            nl.close()
        assert [f.code for f in report.warnings if f.code.startswith("legal-")] == expected, env


def test_check_warns_when_the_email_passes_90_kb(nl, nl_dir):
    para = "Ein Absatz über das Warten, das Lesen und die Kunst, nicht sofort zu antworten. " * 8 + "\n\n"
    small = check_draft(nl, draft(nl_dir, para * 20), fetch=False)
    assert not [f for f in small.warnings if f.code == "email-size"]
    big = check_draft(nl, draft(nl_dir, para * 160), fetch=False)
    (warning,) = [f for f in big.warnings if f.code == "email-size"]
    size = warning.details["bytes"]
    assert size > 90 * 1024 and f"{size / 1024:.0f} KB" in warning.message and "102 KB" in warning.message


def test_sent_on_dates_an_undated_issue_with_the_send_day(nl, nl_dir):
    undated = prepare(nl, draft(nl_dir, "Body.\n", send_at="2026-11-20T07:00:00+01:00"))
    when = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)
    dated = undated.sent_on(when)
    assert dated.draft.date == when.astimezone() and dated.context(nl.settings)["date"] == "1 December 2026"
    assert undated.context(nl.settings)["date"] == "20 November 2026"  # the planned day, before the send
    fixed = prepare(nl, draft(nl_dir, "Body.\n", date="2026-11-27T07:00:00+01:00"))
    assert fixed.sent_on(when) is fixed  # a date the author set stays


def test_a_send_puts_the_local_images_into_the_site_before_the_first_message(nl_dir):
    import threading

    from pipeline.send.campaign import SendOptions, send_issue
    from pipeline.subscribers.people import add_subscriber

    (nl_dir / "drafts" / "img").mkdir()
    (nl_dir / "drafts" / "img" / "bild.png").write_bytes(png(300, 200))
    path = draft(nl_dir, "![Ein Bild](img/bild.png)\n")
    nl = open_newsletter(nl_dir, env={})
    try:
        add_subscriber(nl, "leserin@example.net")
        stop = threading.Event()
        stop.set()  # frozen and queued, nothing sent
        report = send_issue(nl, path, stop_event=stop, force=True, options=SendOptions(poll=0.05))
    finally:
        nl.close()
    assert report.sent == 0 and report.pending == 1
    (copied,) = (nl_dir / "site" / "media").iterdir()
    assert copied.name.startswith("bild-") and copied.read_bytes() == (nl_dir / "drafts" / "img" / "bild.png").read_bytes()
