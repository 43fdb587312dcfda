"""No fetch goes where the author did not send it: a feed entry, a bookmarklet link, a redirect
or a draft link pointing at a loopback or private address is not fetched, unless the host is
one of the author's sources or on the fetch_allow list; the resolved address is what counts."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest
from pytest_httpserver import HTTPServer

from pipeline.check.links import probe_links
from pipeline.collect import add_link, add_source, collect, get_link, list_links
from pipeline.collect.destinations import Allowed, BlockedDestination, FetchPolicy, build_policy
from pipeline.newsletter import config_text, open_newsletter
from pipeline.settings import SettingsError, load_settings
from tests.conftest import allow_fetch
from tests.fixtures.collect.raw import loopback_server

INTERNAL_PAGE = "<html><head><title>Internal admin console</title></head><body><p>secret</p></body></html>"


@pytest.fixture
def internal():
    """An "internal" service on loopback that no source of the author's lives on."""
    with loopback_server() as server:
        server.expect_request("/admin").respond_with_data(INTERNAL_PAGE, content_type="text/html")
        yield server


@pytest.fixture
def source():
    """The author's source: a feed on loopback whose entries point elsewhere."""
    with loopback_server() as server:
        yield server


def _feed(links: list[str]) -> str:
    items = "".join(f"<item><title>Entry {i}</title><link>{u}</link><guid>e{i}</guid></item>" for i, u in enumerate(links))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>{items}</channel></rss>'


def _internal_hits(server: HTTPServer) -> list[str]:
    return [req.path for req, _ in server.log]


def _open(nl_dir, **env):
    return open_newsletter(nl_dir, env={"LINKLETTER_FETCH_TIMEOUT": "2", **env})


def test_feed_links_to_a_loopback_service_are_not_fetched(nl_dir, source, internal):
    admin = internal.url_for("/admin")
    by_name = admin.replace("127.0.0.1", "localhost")  # a name: its resolved address is checked
    own_page = source.url_for("/post")
    source.expect_request("/feed.xml").respond_with_data(_feed([admin, by_name, own_page]),
                                                         content_type="application/rss+xml")
    source.expect_request("/post").respond_with_data("<html><head><title>A post</title></head></html>",
                                                     content_type="text/html")
    nl = _open(nl_dir)
    try:
        add_source(nl, source.url_for("/feed.xml"), mode="auto")
        report = collect(nl)
        links = {lk.url: lk for lk in list_links(nl)}
    finally:
        nl.close()
    assert _internal_hits(internal) == []
    for url in (admin, by_name):
        assert links[url].fetch_status == "failed" and "not one of your sources" in links[url].fetch_error
        assert links[url].title == "Entry 0" or links[url].title == "Entry 1"  # the feed's, not the page's
    assert links[own_page].fetch_status == "ok" and links[own_page].title == "Entry 2"  # the source's own host
    assert report.pages_fetched == 1 and report.pages_failed == 2


def test_a_redirect_to_a_loopback_service_is_not_followed(nl_dir, source, internal):
    source.expect_request("/feed.xml").respond_with_data(_feed([source.url_for("/moved")]),
                                                         content_type="application/rss+xml")
    source.expect_request("/moved").respond_with_data("", status=302, headers={"Location": internal.url_for("/admin")})
    nl = _open(nl_dir)
    try:
        add_source(nl, source.url_for("/feed.xml"), mode="auto")
        collect(nl)
        (link,) = list_links(nl)
    finally:
        nl.close()
    assert _internal_hits(internal) == []
    assert link.fetch_status == "failed" and "fetch_allow" in link.fetch_error
    assert link.url == source.url_for("/moved")


def test_a_bookmarklet_link_to_a_private_address_waits_and_is_not_fetched(nl_dir, internal):
    nl = _open(nl_dir)
    try:
        link_id = add_link(nl, internal.url_for("/admin"), origin="bookmarklet", fetch=False)
        collect(nl)
        link = get_link(nl, link_id)
    finally:
        nl.close()
    assert _internal_hits(internal) == []
    assert link.fetch_status == "failed" and link.title is None


def test_hosts_on_the_allow_list_are_fetched(nl_dir, internal):
    allow_fetch(nl_dir, f"localhost:{internal.port}", "127.0.0.1")
    nl = _open(nl_dir)
    try:
        link_id = add_link(nl, internal.url_for("/admin").replace("127.0.0.1", "localhost"))
        link = get_link(nl, link_id)
    finally:
        nl.close()
    assert link.fetch_status == "ok" and link.title == "Internal admin console"
    assert _internal_hits(internal) == ["/admin"]


def test_the_allow_list_comes_from_the_environment_too(nl_dir, internal):
    nl = _open(nl_dir, LINKLETTER_FETCH_ALLOW=f"127.0.0.1:{internal.port}")
    try:
        link = get_link(nl, add_link(nl, internal.url_for("/admin")))
    finally:
        nl.close()
    assert link.fetch_status == "ok" and link.title == "Internal admin console"


def test_the_link_check_does_not_ask_loopback_services(internal):
    url = internal.url_for("/admin")
    statuses = probe_links([url, "http://169.254.169.254/latest/meta-data/"], timeout=2, policy=FetchPolicy())
    assert statuses[url].dead and "fetch_allow" in statuses[url].error
    assert "fetch_allow" in statuses["http://169.254.169.254/latest/meta-data/"].error
    assert _internal_hits(internal) == []


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1",
                                     "224.0.0.1"])
def test_local_private_and_link_local_addresses_are_refused(address):
    with pytest.raises(BlockedDestination, match="local or private address"):
        FetchPolicy().addresses(address, 80)


def test_public_addresses_are_permitted_but_not_the_servers_own_port(nl):
    settings = dataclasses.replace(nl.settings, host="93.184.216.34", port=8080)
    policy = build_policy(settings)
    public = ipaddress.ip_address("93.184.216.34")
    assert policy.permits(public, 443) and policy.permits(ipaddress.ip_address("2606:4700::1111"), 443)
    assert not policy.permits(public, 8080)


def test_allow_entries_name_hosts_addresses_and_networks():
    policy = FetchPolicy([Allowed.parse(e) for e in ("intranet", "localhost:8080", "10.0.0.0/8", "[::1]:9000")])
    assert policy.chosen("intranet", 80) and policy.chosen("INTRANET.", 8443)
    assert policy.chosen("localhost", 8080) and not policy.chosen("localhost", 8081)
    assert policy.permits(ipaddress.ip_address("10.9.8.7"), 80)
    assert policy.permits(ipaddress.ip_address("::1"), 9000) and not policy.permits(ipaddress.ip_address("::1"), 9001)
    with pytest.raises(ValueError):
        Allowed.parse("localhost:http")


def test_fetch_allow_is_a_documented_setting(nl_dir):
    text = config_text(title="T", language="en", sender="T <t@example.org>", base_url="https://example.org",
                       author="", secret_key="x" * 40)
    assert "# fetch_allow = []" in text
    settings = load_settings(nl_dir, env={"LINKLETTER_FETCH_ALLOW": "127.0.0.1, localhost:8080"})
    assert settings.fetch_allow == ("127.0.0.1", "localhost:8080")
    with pytest.raises(SettingsError, match="LINKLETTER_FETCH_ALLOW.*fetch_allow"):
        build_policy(load_settings(nl_dir, env={"LINKLETTER_FETCH_ALLOW": "localhost:99999"}))


def test_https_goes_through_the_checked_address_with_the_hosts_name_for_tls(tmp_path):
    """The pinned connection still verifies the certificate against the URL's host name."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from pipeline.collect.fetch import Fetcher, FetchError
    from tests.smtp_behaviours import self_signed_cert

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"<html><head><title>Over TLS</title></head></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    cert, key = self_signed_cert(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    fetcher = Fetcher(timeout=2, max_bytes=100_000, policy=FetchPolicy([Allowed.parse("localhost")]))
    try:
        fetcher._session().verify = str(cert)  # trust the test's own certificate
        r = fetcher.get(f"https://localhost:{port}/")
        assert r.status == 200 and b"Over TLS" in r.body
        with pytest.raises(FetchError, match="fetch_allow"):  # the same server by address: not allowed
            fetcher.get(f"https://127.0.0.1:{port}/")
    finally:
        fetcher.close()
        server.shutdown()
        server.server_close()
