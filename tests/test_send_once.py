"""A send reads and parses its draft once, and fetches each cited page that was never
collected once: the check, the render, the snapshot and the send share one prepared issue
and the sources the check loaded (issue #11, item 1). A real send: loopback SMTP, a loopback
web server for the cited pages, counters around the library's own functions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sqlmodel import select
from werkzeug import Response

from pipeline.models import Issue
from pipeline.newsletter import open_newsletter
from pipeline.render import markdown
from pipeline.send.campaign import SendOptions, SendRun, send_issue
from tests.conftest import allow_fetch
from tests.smtp_behaviours import Slow, add_subscribers, server_with

PAGE = ("<html><head><title>{title}</title></head><body><article>"
        "<p>Pages that load slowly are read slowly, and that is not always bad.</p>"
        "<p>A second paragraph, so the page has a main text worth keeping.</p></article></body></html>")
FAST = SendOptions(retry_base=0.05, poll=0.05, connect_attempts=2, timeout=10)


def test_a_send_reads_and_parses_the_draft_once_and_fetches_each_source_once(nl_dir, httpserver, monkeypatch):
    allow_fetch(nl_dir, "localhost")  # the cited pages are on loopback
    requests: Counter = Counter()

    def page(request):
        requests[(request.method, request.path)] += 1
        return Response(PAGE.format(title=request.path.strip("/")), content_type="text/html; charset=utf-8")

    httpserver.expect_request("/slow").respond_with_handler(page)
    httpserver.expect_request("/other").respond_with_handler(page)
    base = httpserver.url_for("").rstrip("/")
    path = nl_dir / "drafts" / "007-slow.md"
    path.write_text("---\nissue: 7\ntitle: \"Weekly Reads #7\"\nstatus: ready\n---\nA short intro.\n\n"
                    f"[The slow web]({base}/slow) and [another page]({base}/other).\n\n"
                    "> Pages that load slowly are read slowly, and that is not always bad.\n>\n"
                    f"> — [Example]({base}/slow)\n\nMy commentary.\n", encoding="utf-8")

    parses, reads = [], []
    real_parse, real_read = markdown.parse, Path.read_bytes
    monkeypatch.setattr(markdown, "parse", lambda text: (parses.append(text), real_parse(text))[1])

    def read_bytes(self):
        if self.resolve() == path.resolve():
            reads.append(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with server_with(Slow(0)) as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        add_subscribers(nl.engine, 3)
        report = send_issue(nl, path, SendRun(options=FAST))
        assert report.sent == 3 and report.finished and len(smtp.messages) == 3
        with nl.session() as s:
            snapshot = json.loads(s.exec(select(Issue).where(Issue.number == 7)).one().snapshot)
        nl.close()

    assert len(parses) == 1  # one Markdown parse for the check, the email, the snapshot and the send
    # one read to prepare the issue, one at the end to write 'status: sent' into the file as it is then
    assert len(reads) == 2
    # each page fetched once for its text (the quoted one by the check, the other by the
    # snapshot); the link check asks each once more with HEAD, which carries no page
    assert requests[("GET", "/slow")] == 1 and requests[("GET", "/other")] == 1
    assert requests[("HEAD", "/slow")] == 1 and requests[("HEAD", "/other")] == 1
    assert [s["url"] for s in snapshot["sources"]] == [f"{base}/slow", f"{base}/other"]
    assert all("read slowly" in s["text"] for s in snapshot["sources"])
