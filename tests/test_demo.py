"""The README's first command runs `linkletter demo`: the whole cycle without internet access.
Here it runs as a real subprocess on free ports, and the test plays the author."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request

from pipeline.draft.format import read_draft, update_front_matter
from tests.conftest import clean_env
from tests.smtp import free_port


def test_demo_collects_drafts_sends_and_publishes(tmp_path):
    sources_port, port = free_port(), free_port()
    env = clean_env(LINKLETTER_SCHEDULE=json.dumps({"collect": "5m", "send": "1s"}))
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "demo", str(tmp_path / "demo"),
                             "--sources-port", str(sources_port), "--port", str(port)],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        while not any("Now running the main job" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "the demo exited early:\n" + "".join(lines)
            lines.append(line)
        out = "".join(lines)
        assert "Polled 2 source(s)" in out and "0 failed" in out
        draft_path = re.search(r"Draft of the next issue: (.+)", out).group(1).strip()
        text = open(draft_path, encoding="utf-8").read()
        assert "> A library is not a collection of books" in text  # from the highlights feed (auto mode)
        # the highlight without the quotation marks around all of it (they are typography, not words)
        assert "> Ein Garten im Winter ist ein Versprechen, das man nur mit Geduld lesen kann.\n" in text

        # the author writes the intro and commentary, and sets the draft ready
        text = text.replace("<!-- Intro: a few words on what this issue is about. -->", "Two quiet finds this week.")
        text = text.replace("<!-- your commentary -->", "Worth your Sunday.")
        with open(draft_path, "w", encoding="utf-8") as f:
            f.write(text)
        update_front_matter(draft_path, status="ready")

        outbox = tmp_path / "demo" / "outbox"
        deadline = time.monotonic() + 60
        while read_draft(draft_path).status != "sent":
            assert time.monotonic() < deadline, "the demo did not send the ready draft"
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.2)
        assert len(list(outbox.glob("*.eml"))) == 3  # the three demo subscribers
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.xml") as r:
                    if "Linkletter Demo #1" in r.read().decode():
                        break
            except OSError:  # the web server may still be starting while the send job runs
                pass
            assert time.monotonic() < deadline, "the feed never held the sent issue"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
