"""The author hears about trouble: a scheduled send refused by the check or failed, a finished
send with more hard bounces than the threshold or any complaints, each mailed to the
``notify`` address (through a real SMTP server on loopback) in the newsletter's language,
with the reason and what to do; once, not every minute."""

from __future__ import annotations

import pytest

from pipeline.errors import LinkletterError
from pipeline.mainjob import jobs
from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.send.campaign import SendReport
from pipeline.send.notify import compose, notify_after_send, notify_author
from tests.conftest import allow_fetch
from tests.smtp import SmtpServer
from tests.smtp_behaviours import RejectSome, Recording, add_subscribers, server_with

PAGE = "<html><body><article><p>Slow pages are read slowly, and that is fine.</p><p>More.</p></article></body></html>"
AUTHOR = "author@example.org"


def _draft(path, issue: int, quote: str, base: str) -> None:
    path.write_text(f"---\nissue: {issue}\ntitle: \"Issue {issue}\"\nstatus: ready\n---\nIntro.\n\n"
                    f"[A page]({base}/page)\n\n> {quote}\n\nCommentary.\n", encoding="utf-8")


def _open(nl_dir, smtp, **env):
    allow_fetch(nl_dir, "localhost")
    return open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url, "LINKLETTER_NOTIFY": f"Ann <{AUTHOR}>",
                                        **env})


def _to_author(smtp):
    return [m for m in smtp.messages if m.rcpt_tos == [AUTHOR]]


def test_a_refused_scheduled_send_mails_the_author_the_reason_once(nl_dir, httpserver):
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    base = httpserver.url_for("").rstrip("/")
    with SmtpServer() as smtp:
        nl = _open(nl_dir, smtp)
        add_subscribers(nl.engine, 2)
        _draft(nl.settings.drafts_dir / "011-bad.md", 11, "Fast pages are read slowly, and that is fine.", base)
        job = jobs.MainJob()
        with pytest.raises(LinkletterError, match="quote not found"):
            jobs.send_due(nl, job)
        (got,) = smtp.wait_for(1)
        msg = got.message
        assert got.rcpt_tos == [AUTHOR]
        assert msg["Subject"] == "Weekly Reads: issue 11 was not sent (the check found problems)"
        text = msg.get_body(("plain",)).get_content()
        assert "drafts/011-bad.md" in text and "quote not found" in text and "--force" in text
        html = msg.get_body(("html",)).get_content()
        assert "011-bad.md:10: quote not found" in html  # file and line, as the check says it
        with pytest.raises(LinkletterError):
            jobs.send_due(nl, job)  # the same draft again: refused again, not mailed again
        assert len(_to_author(smtp)) == 1
        nl.close()


class RefuseSenderOnce(Recording):
    """Answers the ``nth`` MAIL FROM with 5xx (a provider's sending-limit policy), the others 250."""

    def __init__(self, nth: int) -> None:
        super().__init__()
        self.nth, self.seen = nth, 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        self.seen += 1
        if self.seen == self.nth:
            return "550 5.7.1 daily sending limit reached for this sender"
        envelope.mail_from = address
        return "250 OK"


def _good_draft(nl, httpserver) -> None:
    httpserver.expect_request("/page").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    _draft(nl.settings.drafts_dir / "007-good.md", 7, "Slow pages are read slowly, and that is fine.",
           httpserver.url_for("").rstrip("/"))


def test_a_failed_scheduled_send_mails_the_author_the_servers_reason(nl_dir, httpserver):
    smtp = server_with(RefuseSenderOnce(2))
    with smtp:
        nl = _open(nl_dir, smtp, LINKLETTER_SMTP_CONNECTIONS="1")
        add_subscribers(nl.engine, 3)
        _good_draft(nl, httpserver)
        with pytest.raises(LinkletterError, match="daily sending limit"):
            jobs.send_due(nl, jobs.MainJob())
        (notice,) = _to_author(smtp)
        assert notice.message["Subject"] == "Weekly Reads: the send of issue 7 failed"
        text = notice.message.get_body(("plain",)).get_content()
        assert "daily sending limit reached" in text and "stay queued" in text
        nl.close()


def test_a_send_with_too_many_hard_bounces_mails_the_author_once(nl_dir, httpserver):
    smtp = server_with(RejectSome({"reader0@example.net"}))
    with smtp:
        nl = _open(nl_dir, smtp)
        add_subscribers(nl.engine, 3)
        _good_draft(nl, httpserver)
        result = jobs.send_due(nl, jobs.MainJob())
        assert "1 bounced" in result
        (notice,) = _to_author(smtp)
        assert notice.message["Subject"] == "Weekly Reads: 1 of 3 addresses of issue 7 bounced"
        assert "33.3%" in notice.message.get_body(("plain",)).get_content()
        # the same outcome noticed again (another run, another process): no second mail
        report = SendReport(issue=7, total=3, bounced=1, finished=True)
        assert notify_after_send(nl, report) == []
        assert len(_to_author(smtp)) == 1
        nl.close()


def test_bounces_under_the_threshold_and_no_complaints_mail_nobody(nl_dir):
    with SmtpServer() as smtp:
        nl = _open(nl_dir, smtp, LINKLETTER_NOTIFY_HARD_BOUNCE_PERCENT="50")
        assert notify_after_send(nl, SendReport(issue=3, total=10, bounced=5, finished=True)) == []
        assert notify_after_send(nl, SendReport(issue=3, total=10, bounced=6, finished=True)) == ["bounces"]
        assert notify_after_send(nl, SendReport(issue=3, total=10, finished=True), complaints=1) == ["complaints"]
        assert [m.message["Subject"] for m in smtp.wait_for(2)] == [
            "Weekly Reads: 6 of 10 addresses of issue 3 bounced", "Weekly Reads: 1 spam complaint(s) about issue 3"]
        nl.close()


def test_without_a_notify_address_nothing_is_mailed(nl):
    assert notify_author(nl, "notify.send_failed", issue=1, draft="drafts/x.md", reason="r") is None
    assert notify_after_send(nl, SendReport(issue=1, total=1, bounced=1, finished=True)) == []
    assert not nl.settings.outbox_dir.exists() or not list(nl.settings.outbox_dir.iterdir())


def test_a_german_newsletter_tells_its_author_in_german(tmp_path):
    root = init_newsletter(tmp_path / "de", title="Wochenlese", language="de", sender="Wochenlese <n@example.org>")
    nl = open_newsletter(root, env={"LINKLETTER_NOTIFY": AUTHOR})
    where = notify_author(nl, "notify.send_failed", issue=4, draft="drafts/004-x.md", reason="535 login refused")
    import email
    import email.policy

    msg = email.message_from_bytes(open(where, "rb").read(), policy=email.policy.default)
    assert msg["Subject"] == "Wochenlese: Der Versand von Ausgabe 4 ist fehlgeschlagen"
    assert "Was zu tun ist:" in msg.get_body(("plain",)).get_content()
    nl.close()


def test_facts_from_outside_cannot_break_the_subject_or_the_page(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_NOTIFY": AUTHOR})
    subject, text, page = compose(nl, "notify.bounces", issue="7\r\nBcc: evil@example.net", bounced="<b>1</b>",
                                  total=2, percent=50, threshold=2)
    assert "\r" not in subject and "\n" not in subject and "Bcc: evil" in subject  # inert text on one line
    assert "<b>1</b>" not in page and "&lt;b&gt;1&lt;/b&gt;" in page
    where = notify_author(nl, "notify.bounces", issue="7\r\nBcc: evil@example.net", bounced=1, total=2, percent=50,
                          threshold=2)
    head = open(where, "rb").read().split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head
    nl.close()


def test_a_complaint_that_comes_in_after_the_send_is_told_by_the_next_run_once(nl_dir, httpserver):
    from pipeline.inbound import InboundEvent, record_event
    from pipeline.send.message import message_id

    with SmtpServer() as smtp:
        nl = _open(nl_dir, smtp)
        sids = add_subscribers(nl.engine, 3)
        _good_draft(nl, httpserver)
        jobs.send_due(nl, jobs.MainJob())
        assert _to_author(smtp) == []  # a clean send: nothing to tell
        ours = message_id(nl.settings.secret_key, 7, sids[1], "example.org").decode()
        record_event(nl, InboundEvent(kind="complaint", source="webhook:generic", event_key="c1", message_id=ours))
        assert jobs.send_due(nl, jobs.MainJob()) == "nothing due"
        (notice,) = _to_author(smtp)
        assert notice.message["Subject"] == "Weekly Reads: 1 spam complaint(s) about issue 7"
        jobs.send_due(nl, jobs.MainJob())
        assert len(_to_author(smtp)) == 1
        nl.close()


def test_a_german_du_newsletter_tells_its_author_with_du(tmp_path):
    import email
    import email.policy

    root = init_newsletter(tmp_path / "du", title="Wochenlese", language="de", sender="Wochenlese <n@example.org>")
    nl = open_newsletter(root, env={"LINKLETTER_NOTIFY": AUTHOR, "LINKLETTER_ADDRESS_FORM": "du"})
    where = notify_author(nl, "notify.send_failed", issue=4, draft="drafts/004-x.md", reason="535 login refused")
    text = email.message_from_bytes(open(where, "rb").read(), policy=email.policy.default).get_body(("plain",)).get_content()
    assert "Behebe die Ursache" in text and "Du erhältst diese Mail" in text and "Sie " not in text
    nl.close()
