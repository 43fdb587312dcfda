"""The demo: a newsletter folder fed by sample sources served on localhost, so the whole
cycle runs without internet access. ``linkletter demo`` drives it; the sample feeds and
pages live in ``pipeline/demo/site/`` (``{base}`` in them becomes the local server's URL).
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.errors import LinkletterError
from pipeline.settings import CONFIG_NAME

SITE = Path(__file__).resolve().parent / "site"
SOURCES_PORT = 8765
_TYPES = {".xml": "application/rss+xml; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8",
          ".html": "text/html; charset=utf-8"}


class _SampleHandler(SimpleHTTPRequestHandler):
    base = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        rel = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        path = (SITE / rel).resolve()
        if SITE not in path.parents or not path.is_file():
            self.send_error(404)
            return
        body = path.read_text("utf-8").replace("{base}", self.base).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", _TYPES.get(path.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # quiet: the demo prints its own summary
        pass


def serve_samples(port: int = SOURCES_PORT, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, str]:
    """Serve the sample feeds and pages in a background thread. Returns (server, base URL)."""
    base = f"http://{host}:{port}"
    handler = type("SampleHandler", (_SampleHandler,), {"base": base})
    try:
        server = ThreadingHTTPServer((host, port), partial(handler))
    except OSError as e:
        raise LinkletterError(f"cannot serve the demo's sample sources on {base}: {e.strerror or e} "
                              f"(is another demo running? use --sources-port)") from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="demo-sources", daemon=True).start()
    return server, base


def demo_sources_port(directory: str | Path) -> int:
    """The port of the sample sources: the one an existing demo folder was made with, else
    SOURCES_PORT when it is free, else any free port."""
    import re
    import socket

    config = Path(directory) / CONFIG_NAME
    if config.is_file():
        m = re.search(r"http://127\.0\.0\.1:(\d+)/blog\.xml", config.read_text("utf-8"))
        if m:
            return int(m.group(1))
    for port in (SOURCES_PORT, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise LinkletterError("no free port for the demo's sample sources")


def sources_config(base: str) -> str:
    return (
        "sources = [\n"
        f'  {{ url = "{base}/blog.xml", name = "The Slow Web Journal", mode = "inbox" }},\n'
        f'  {{ url = "{base}/highlights.atom", name = "My highlights", mode = "auto" }},\n'
        "]"
    )


DEMO_SUBSCRIBERS = [("ada@example.net", "Ada Lovelace"), ("jorg@example.net", "Jörg Müller"),
                    ("zoe@example.net", "Zoë Brontë")]


def prepare_demo(directory: str | Path, sources_base: str, port: int = 8080) -> tuple[Path, bool]:
    """The demo newsletter folder, created on first use with three demo subscribers and a short
    schedule (collect every 5 minutes, check for ready drafts every 20 seconds).
    Returns (folder, created)."""
    from pipeline.newsletter import open_newsletter
    from pipeline.subscribers import add_subscriber

    root = Path(directory).resolve()
    if (root / CONFIG_NAME).exists():
        return root, False
    from pipeline.newsletter import init_newsletter

    init_newsletter(root, title="Linkletter Demo", language="en",
                    sender="Linkletter Demo <demo@linkletter.invalid>", base_url=f"http://127.0.0.1:{port}",
                    author="Demo Author", sources=sources_config(sources_base))
    config = root / CONFIG_NAME
    config.write_text(config.read_text("utf-8").replace(
        'schedule = { collect = "30m", send = "1m", grace = "1h" }',
        'schedule = { collect = "5m", send = "20s", grace = "1h" }'), encoding="utf-8")
    nl = open_newsletter(root, env={})
    try:
        for email, name in DEMO_SUBSCRIBERS:
            add_subscriber(nl, email, name=name, status="active", source="cli")
    finally:
        nl.close()
    return root, True
