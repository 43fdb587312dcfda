"""The email HTML and the issue page in a real browser (Debian's headless Chromium):
screenshots at 375 px and 1200 px, and nothing scrolls sideways at 375 px.

The width is measured inside an iframe 375 px wide (headless Chromium's own window has a
minimum width larger than a phone's), by a script that writes the document's scrollWidth
and clientWidth into the DOM, which ``--dump-dom`` then prints.

Set LINKLETTER_SCREENSHOTS=DIR to keep the screenshots for a look.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.render.email import render_issue
from pipeline.render.site import render_issue_page

DRAFTS = Path(__file__).parent / "fixtures" / "render" / "drafts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Like the PostgreSQL tests: run wherever the browser is (.ci/run installs it), and say why not elsewhere.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=3000"]

PROBE = r"""<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" style="width:{width}px;height:1200px;border:0" srcdoc="{doc}"></iframe>
<script>
function rgb(s) {{ return s.match(/[\d.]+/g).map(Number); }}
function lum(c) {{
  var a = c.slice(0, 3).map(function (v) {{ v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }});
  return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
}}
window.addEventListener('load', function () {{
  var w = document.getElementById('f').contentWindow, d = w.document.documentElement;
  function background(el) {{
    for (; el; el = el.parentElement) {{
      var c = rgb(w.getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }}
    return [255, 255, 255];
  }}
  function ruleWidth(q) {{  // the quote's rule: on the blockquote (page) or its table cell (email)
    if (!q) return null;
    var box = q.querySelector('td') || q;
    return w.getComputedStyle(box).borderLeftWidth;
  }}
  function contrast(el) {{
    if (!el) return null;
    var f = lum(rgb(w.getComputedStyle(el).color)), b = lum(background(el));
    return (Math.max(f, b) + 0.05) / (Math.min(f, b) + 0.05);
  }}
  document.body.setAttribute('data-probe', JSON.stringify({{
    scrollWidth: d.scrollWidth, clientWidth: d.clientWidth,
    quote: contrast(w.document.querySelector('blockquote p')),
    text: contrast(w.document.querySelector('blockquote ~ p')),
    rule: ruleWidth(w.document.querySelector('blockquote'))
  }}));
}});
</script></body></html>"""


def chromium(args: list[str], tmp: Path, name: str) -> subprocess.Popen:
    profile = tmp / f"profile-{name}"
    return subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """The long German issue's email and page, and a page that does scroll sideways."""
    tmp = tmp_path_factory.mktemp("browser")
    root = init_newsletter(tmp / "n", title="Wochenlese", language="de", sender="W <w@example.de>",
                           base_url="https://lese.example.de")
    for name in ("012-langsamkeit.md", "003-short.md"):
        shutil.copyfile(DRAFTS / name, root / "drafts" / name)
    nl = open_newsletter(root, env={})
    try:
        docs = {
            "email-long": render_issue(nl, root / "drafts" / "012-langsamkeit.md").html,
            "page-long": render_issue_page(nl, root / "drafts" / "012-langsamkeit.md"),
            "email-short": render_issue(nl, root / "drafts" / "003-short.md").html,  # long URL, table
            "page-short": render_issue_page(nl, root / "drafts" / "003-short.md"),
            "too-wide": '<!doctype html><meta name="viewport" content="width=device-width">'
                        '<table style="width:600px"><tr><td>fixed</td></tr></table>',
        }
    finally:
        nl.close()
    paths = {}
    for name, doc in docs.items():
        paths[name] = tmp / f"{name}.html"
        paths[name].write_text(doc, "utf-8")
    return tmp, paths


def measure(tmp: Path, paths: dict[str, Path], dark: bool = False, probe_page: str = PROBE) -> dict[str, dict]:
    """Each document's probe results in a 375 px frame (light or dark colour scheme);
    ``probe_page`` is the probe (a format string taking ``width`` and ``doc``)."""
    procs = {}
    scheme = ["--blink-settings=preferredColorScheme=0"] if dark else []
    for name, path in paths.items():
        probe = tmp / f"probe-{name}-{dark}.html"
        probe.write_text(probe_page.format(width=375, doc=html.escape(path.read_text("utf-8"), quote=True)), "utf-8")
        procs[name] = chromium([*scheme, "--window-size=800,1300", "--dump-dom", probe.as_uri()], tmp,
                               f"probe-{name}-{dark}")
    results = {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=90)
        m = re.search(r'data-probe="([^"]+)"', out)
        assert m, f"no measurement for {name}: {out[:300]}"
        results[name] = json.loads(html.unescape(m.group(1)))
    return results


def test_nothing_scrolls_sideways_at_375px(documents):
    tmp, paths = documents
    results = measure(tmp, paths)
    # the check can fail: a 600 px table does scroll
    assert results.pop("too-wide")["scrollWidth"] > 375
    for name, r in results.items():
        assert r["clientWidth"] == 375, (name, r)
        assert r["scrollWidth"] <= r["clientWidth"], f"{name} scrolls sideways at 375 px: {r}"


def test_quotes_and_text_readable_in_light_and_dark_mode(documents):
    """WCAG AA contrast (4.5:1) for the quote text and the text after it, and a visible rule."""
    tmp, paths = documents
    docs = {name: paths[name] for name in ("email-long", "page-long")}
    for dark in (False, True):
        for name, r in measure(tmp, docs, dark=dark).items():
            assert r["quote"] >= 4.5 and r["text"] >= 4.5, (name, "dark" if dark else "light", r)
            assert r["rule"] == "4px", (name, r)
    # the check can fail: grey on grey is reported
    grey = tmp / "grey.html"
    grey.write_text('<body style="background:#777"><blockquote style="color:#888"><p>low</p></blockquote><p>x</p>',
                    "utf-8")
    assert measure(tmp, {"grey": grey})["grey"]["quote"] < 4.5


def test_screenshots_at_375_and_1200px(documents):
    tmp, paths = documents
    keep = os.environ.get("LINKLETTER_SCREENSHOTS")
    shots, procs = [], []
    for name in ("email-long", "page-long"):
        for width in (375, 1200):
            shot = tmp / f"{name}-{width}.png"
            procs.append(chromium([f"--window-size={width},2000", f"--screenshot={shot}", paths[name].as_uri()],
                                  tmp, f"{name}-{width}"))
            shots.append((shot, width))
    for proc in procs:
        proc.communicate(timeout=90)
    for shot, width in shots:
        assert shot.is_file(), f"no screenshot {shot.name}"
        assert png_size(shot) == (width, 2000)
        # a blank page compresses to almost nothing; text and quote blocks do not
        assert shot.stat().st_size > 20_000, f"{shot.name} looks empty"
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, Path(keep) / shot.name)
