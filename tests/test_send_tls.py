"""The send engine over STARTTLS with a login: the certificate is checked against a CA the test
makes (SSL_CERT_FILE), the password never shows, a wrong one is one clear error."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.errors import LinkletterError
from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import SendOptions, send_issue
from tests.conftest import clean_env, run_cli
from tests.smtp_behaviours import TlsRecording, add_subscribers, self_signed_cert, starttls_server, write_draft

FAST = SendOptions(retry_base=0.05, poll=0.05, connect_attempts=2, timeout=10)


def test_starttls_and_login_carry_every_message(nl_dir, tmp_path, monkeypatch):
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our test certificate, as a real CA would be
    draft = write_draft(nl_dir)
    handler = TlsRecording()
    with starttls_server(handler, cert, key, {"news@example.org": "s3cr3t/pw"}) as smtp:
        url = f"smtp+starttls://news%40example.org:s3cr3t%2Fpw@127.0.0.1:{smtp.port}"
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": url, "LINKLETTER_SMTP_CONNECTIONS": "2"})
        add_subscribers(nl.engine, 5)
        report = send_issue(nl, draft, options=FAST, force=True)
        got = Counter(r for m in smtp.messages for r in m.rcpt_tos)
    assert report.finished and report.sent == 5
    assert got == Counter({f"reader{i}@example.net": 1 for i in range(5)})
    assert set(handler.sessions) == {(True, "news@example.org")}


def test_a_wrong_password_is_one_clear_error_without_the_password(nl_dir, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={})
    add_subscribers(nl.engine, 2)
    handler = TlsRecording()
    with starttls_server(handler, cert, key, {"news@example.org": "right"}) as smtp:
        url = f"smtp+starttls://news%40example.org:wrong-pw-123@127.0.0.1:{smtp.port}"
        env = clean_env(LINKLETTER_DIR=str(nl_dir), LINKLETTER_SMTP_URL=url, SSL_CERT_FILE=str(cert))
        proc = run_cli("send", "7", "--force", env=env, check=False)
        assert smtp.messages == []
    assert proc.returncode == 1 and "refused the login: 535" in proc.stderr
    assert "wrong-pw-123" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr


def test_an_untrusted_certificate_is_refused(nl_dir, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    draft = write_draft(nl_dir)
    handler = TlsRecording()
    with starttls_server(handler, cert, key, {"u": "p"}) as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": f"smtp+starttls://u:p@127.0.0.1:{smtp.port}"})
        add_subscribers(nl.engine, 1)
        with pytest.raises(LinkletterError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            send_issue(nl, draft, options=FAST, force=True)
        assert smtp.messages == []
