"""Benchmark: `linkletter check` on a 30-quote draft whose sources are stored (issue 7: < 1 s).

    .venv/bin/python bench/check.py

Builds a newsletter folder in a temporary directory with 30 stored sources (long German
articles of about 3,000 words each, printed with other typography than the draft: straight
quotes, soft hyphens, no-break spaces, line breaks) and a draft quoting each once: 20 quotes
verbatim, 5 shortened with an ellipsis, 5 with one word changed (so 5 closest passages are
searched). Then it times:

1. ``check_draft(nl, draft, fetch=False)``: quotes against stored text, hygiene, earlier issues
   (no network). This is the figure of the issue, printed against its 1 s budget.
2. The reference, measured in the same run: the closest passage found the obvious way,
   difflib's ratio against every window of the quote's length in the source (what the
   sliding window with word counts replaces), for two of the changed quotes, against ours
   for the same two (with their similarities, which should agree).
3. ``check_draft(nl, draft)`` with fetching on: the 30 links requested from a loopback server.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from difflib import SequenceMatcher
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.check import check_draft  # noqa: E402
from pipeline.check.quotes import SourceText, closest_passage, normalize, split_parts  # noqa: E402
from pipeline.models import Link  # noqa: E402
from pipeline.newsletter import init_newsletter, open_newsletter  # noqa: E402

WORDS = ("der die das und ist nicht ein eine Garten Winter Bibliothek Brief Leser Zeit Geduld Text "
         "langsam lesen schreiben warten Sommer Stadt Haus Fenster Licht Nacht Morgen Abend Wort Satz "
         "Buch Seite Straße Größe Wärme über für mit ohne sondern aber weil dass wenn schon noch immer "
         "nie oft heute gestern morgen vielleicht wirklich einfach schwer leicht alt neu groß klein").split()
N_SOURCES = 30
WORDS_PER_SOURCE = 3000
RUNS = 5


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops parallel connects (a 1 s SYN retry each)
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    def do_HEAD(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: N802
        self.do_HEAD()

    def log_message(self, *args):
        pass


def article(rng: random.Random) -> str:
    paragraphs = []
    left = WORDS_PER_SOURCE
    while left > 0:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            n = rng.randint(8, 22)
            words = [rng.choice(WORDS) for _ in range(n)]
            words[0] = words[0].capitalize()
            if rng.random() < 0.3:  # a quotation in straight quotes
                words[2] = '"' + words[2]
                words[5] = words[5] + '"'
            sentences.append(" ".join(words) + ".")
            left -= n
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def printed(text: str, rng: random.Random) -> str:
    """The stored text as a page prints it: soft hyphens, no-break spaces, line breaks."""
    out = []
    for word in text.split(" "):
        if len(word) > 7 and rng.random() < 0.3:
            word = word[:4] + "\u00ad" + word[4:]
        out.append(word)
        out.append("\u00a0" if rng.random() < 0.05 else "\n" if rng.random() < 0.08 else " ")
    return "".join(out[:-1])


def make_quote(text: str, rng: random.Random, kind: str) -> str:
    words = text.split()
    start = rng.randrange(0, len(words) - 40)
    chosen = words[start:start + rng.randint(15, 30)]
    if kind == "changed":
        i = len(chosen) // 2
        chosen[i] = "Wolkenkratzer"
    quote = " ".join(chosen).replace('"', "„", 1).replace('"', "“", 1)
    if kind == "ellipsis":
        quote = " ".join(chosen[:6]) + " … " + " ".join(chosen[-6:])
    return quote


def build(root: Path, base: str) -> tuple[Path, object, list[tuple[str, str]]]:
    rng = random.Random(7)
    init_newsletter(root, title="Bench", language="de", sender="Bench <b@example.org>")
    nl = open_newsletter(root, env={})
    kinds = ["plain"] * 20 + ["ellipsis"] * 5 + ["changed"] * 5
    body, changed = ["Diese Woche: dreißig Zitate.\n"], []
    with nl.session() as s:
        for i in range(N_SOURCES):
            url = f"{base}/artikel/{i}.html"
            text = article(rng)
            s.add(Link(url=url, canonical_url=url, title=f"Artikel {i}", main_text=printed(text, rng),
                       fetch_status="ok", state="picked", issue_number=30))
            quote = make_quote(text, rng, kinds[i])
            if kinds[i] == "changed":
                changed.append((quote, text))
            body.append(f"## [Artikel {i}]({url})\n\n> {quote}\n\nEin Kommentar dazu.\n")
    for n in range(1, 30):  # earlier issues, sent
        (root / "drafts" / f"{n:03d}-alt.md").write_text(
            f"---\nissue: {n}\ntitle: Ausgabe {n}\nstatus: sent\n---\n[Alt](https://example.org/alt/{n})\n", "utf-8")
    path = root / "drafts" / "030-bench.md"
    path.write_text("---\nissue: 30\ntitle: Ausgabe 30\nsubject: Dreißig Zitate\nstatus: draft\n---\n"
                    + "\n".join(body), "utf-8")
    return path, nl, changed


def naive_closest(quote: str, source: str) -> float:
    """The reference: difflib's ratio against every window of the quote's length."""
    q = normalize(quote)
    words = normalize(source).split()
    n = len(q.split())
    best = 0.0
    for i in range(0, max(1, len(words) - n + 1)):
        best = max(best, SequenceMatcher(None, q, " ".join(words[i:i + n]), autojunk=False).ratio())
    return best


def main() -> None:
    server = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        path, nl, changed = build(Path(tmp) / "news", base)
        try:
            check_draft(nl, path, fetch=False)  # warm up: imports, first connection
            times = []
            for _ in range(RUNS):
                t = time.perf_counter()
                report = check_draft(nl, path, fetch=False)
                times.append(time.perf_counter() - t)
            verdicts = [q.verdict for q in report.quotes]
            assert verdicts.count("verified") == 25 and verdicts.count("not_found") == 5, verdicts
            ours = statistics.median(times)

            sample = changed[:2]  # the reference takes seconds per quote: two quotes, both ways
            t = time.perf_counter()
            naive_best = [naive_closest(quote, text) for quote, text in sample]
            naive = time.perf_counter() - t
            t = time.perf_counter()
            fast_best = [closest_passage(split_parts(quote)[0], SourceText(text)).similarity for quote, text in sample]
            fast = time.perf_counter() - t

            t = time.perf_counter()
            online = check_draft(nl, path)
            with_links = time.perf_counter() - t
            assert all(link.status == 200 for link in online.links)
        finally:
            nl.close()
    server.shutdown()
    print(f"check of a 30-quote draft, stored sources ({N_SOURCES} x ~{WORDS_PER_SOURCE} words), median of {RUNS}: "
          f"{ours * 1000:.0f} ms = {ours / 1.0:.2f} x the 1 s budget "
          f"({verdicts.count('verified')} verified, {verdicts.count('not_found')} not found)")
    print(f"closest passage of 2 changed quotes (source text prepared from scratch): {fast * 1000:.0f} ms, "
          f"similarity {fast_best}; reference, difflib over every window: {naive * 1000:.0f} ms, similarity "
          f"{[round(x, 3) for x in naive_best]}; {naive / fast:.0f}x faster")
    print(f"the same check with its 30 links requested from a loopback server: {with_links * 1000:.0f} ms")


if __name__ == "__main__":
    main()
