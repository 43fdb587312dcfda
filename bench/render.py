"""Benchmark: render the long German fixture issue (~25 KB of Markdown, 6 sources, 10 quotes)
from its Markdown file into the email HTML, the plain text and the web page.

    python bench/render.py [--runs 200] [--mjml-js DIR]

Prints the median time of the whole job (read the file, parse, sanitize, email HTML with
inlined styles, text, page) and, measured in the same run, the references:
- mjml-python (MRML) rendering the finished issue's MJML document alone (the template with
  the body inside it, as a plain MJML pipeline would hand it over);
- with ``--mjml-js DIR`` (a folder holding node_modules/mjml, e.g. from
  ``npm install --prefix DIR mjml@4``) and ``node`` on the PATH: the reference JavaScript
  MJML renderer on that same document, warm.
Target: under 10 ms for all three outputs together.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from markupsafe import Markup  # noqa: E402
from mjml import mjml2html  # noqa: E402

from pipeline.newsletter import init_newsletter, open_newsletter  # noqa: E402
from pipeline.render import UNSUBSCRIBE_PLACEHOLDER, templates  # noqa: E402
from pipeline.render.email import CONTENT_CSS, _inliner, email_from  # noqa: E402
from pipeline.render.issue import prepare  # noqa: E402
from pipeline.render.site import page_from  # noqa: E402

DRAFT = ROOT / "tests" / "fixtures" / "render" / "drafts" / "012-langsamkeit.md"

NODE_BENCH = r"""
const mjml2html = require(process.argv[1] + '/node_modules/mjml');
const src = require('fs').readFileSync(0, 'utf8');
const runs = parseInt(process.argv[2], 10);
const level = process.argv[3];
for (let i = 0; i < 20; i++) mjml2html(src, {validationLevel: level});
const times = [];
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  mjml2html(src, {validationLevel: level});
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({median: times[Math.floor(times.length / 2)]}));
"""


def timings_ms(fn, runs: int) -> tuple[float, float]:
    """(median, fastest) of ``runs`` warm calls, in milliseconds."""
    for _ in range(10):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--mjml-js", metavar="DIR", help="folder with node_modules/mjml (the JS reference)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = init_newsletter(Path(tmp) / "n", title="Wochenlese", language="de", sender="W <w@example.de>",
                               base_url="https://lese.example.de")
        nl = open_newsletter(root, env={})

        def ours():
            prepared = prepare(nl, DRAFT)  # reads and parses the Markdown file
            email = email_from(nl, prepared)
            page = page_from(nl, prepared)
            return email, page

        email, page = ours()
        ours_ms, ours_min = timings_ms(ours, args.runs)

        # the reference input: the issue's whole MJML document, body inside
        prepared = prepare(nl, DRAFT)
        ctx = prepared.context(nl.settings)
        body = _inliner().inline_fragment(prepared.html, CONTENT_CSS)
        ctx.update(unsubscribe_url=UNSUBSCRIBE_PLACEHOLDER, content=Markup(body))
        document = templates.render(nl.settings, "email/issue.mjml", **ctx)
        mrml_ms, mrml_min = timings_ms(lambda: mjml2html(document), args.runs)
        nl.close()

    md = DRAFT.read_bytes()
    print(f"long issue: {len(md) / 1000:.1f} KB Markdown, {prepared.html.count('<blockquote')} quotes -> "
          f"email HTML {len(email.html.encode()) / 1000:.1f} KB, text {len(email.text.encode()) / 1000:.1f} KB, "
          f"page {len(page.encode()) / 1000:.1f} KB; MJML document {len(document.encode()) / 1000:.1f} KB")
    print(f"ours: file -> email HTML + text + page, median of {args.runs}: {ours_ms:.2f} ms (fastest {ours_min:.2f} ms; "
          f"target < 10 ms: {ours_ms / 10:.2f}x of the budget)")
    print(f"reference mjml-python on the MJML document alone: {mrml_ms:.2f} ms (fastest {mrml_min:.2f} ms); "
          f"ours / it = {ours_ms / mrml_ms:.1f}")
    if args.mjml_js:
        node = shutil.which("node")
        if not node or not (Path(args.mjml_js) / "node_modules" / "mjml").is_dir():
            sys.exit(f"--mjml-js: need node on the PATH and {args.mjml_js}/node_modules/mjml")
        version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
        for level, what in (("soft", "default settings (validation on)"), ("skip", "validation off")):
            out = subprocess.run([node, "-e", NODE_BENCH, str(Path(args.mjml_js).resolve()), str(args.runs), level],
                                 input=document, capture_output=True, text=True, check=True).stdout
            js_ms = json.loads(out)["median"]  # same statistic as ours
            print(f"reference JS MJML (node {version}), {what}, same document, warm median: {js_ms:.2f} ms; "
                  f"ours / it = {ours_ms / js_ms:.2f}")


if __name__ == "__main__":
    main()
