"""Messages as they come back, for the intake tests. Their formats are the real ones:

- :func:`postfix_dsn`: Postfix's bounce(8) delivery status notification (multipart/report with
  the human part, message/delivery-status per RFC 3464 with Postfix's X-Postfix-* fields, and
  text/rfc822-headers), as in ../shared/corpus/bounces/postfix_*.txt and what
  tests/test_inbound_postfix.py gets from a real Postfix;
- :func:`arf_report`: an RFC 5965 feedback report (the example of RFC 5965 appendix B.1, with
  the headers of the reported message returned as text/rfc822-headers, as AOL and Yahoo do);
- :func:`auto_reply`: an RFC 3834 vacation answer (Auto-Submitted: auto-replied);
- :func:`mailto_unsubscribe`: what Apple Mail sends for its unsubscribe banner: a mail with an
  empty subject and body to the List-Unsubscribe mailto address.
"""

from __future__ import annotations


def postfix_dsn(to: str, rcpt: str, *, status: str = "5.1.1", action: str = "failed", original_headers: str = "",
                diagnostic: str | None = None, msgid: str = "<20261202011500.4ABC1C0@mx.example.net>") -> bytes:
    diagnostic = diagnostic or f"smtp; 550 {status} <{rcpt}>: Recipient address rejected: User unknown in local recipient table"
    head = original_headers or (f"Return-Path: <{to}>\nFrom: Weekly Reads <news@example.org>\nTo: {rcpt}\n"
                                "Subject: Weekly Reads #7\nMessage-ID: <unrelated@example.org>\n")
    return f"""Return-Path: <>
Delivered-To: {to}
Received: by mx.example.net (Postfix)
\tid 4ABC1C0; Wed,  2 Dec 2026 01:15:00 +0000 (UTC)
Date: Wed,  2 Dec 2026 01:15:00 +0000 (UTC)
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4ABC1C0.1764638100/mx.example.net"
Content-Transfer-Encoding: 8bit
Message-Id: {msgid}

This is a MIME-encapsulated message.

--4ABC1C0.1764638100/mx.example.net
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{rcpt}>: host mx.example.net[192.0.2.10] said: {diagnostic}

--4ABC1C0.1764638100/mx.example.net
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4ABC1C0
X-Postfix-Sender: rfc822; {to}
Arrival-Date: Wed,  2 Dec 2026 01:14:58 +0000 (UTC)

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.net
Diagnostic-Code: {diagnostic}

--4ABC1C0.1764638100/mx.example.net
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{head}
--4ABC1C0.1764638100/mx.example.net--
""".replace("\n", "\r\n").encode("utf-8")


def arf_report(to: str, original_headers: str, *, rcpt: str = "", feedback: str = "abuse") -> bytes:
    rcpt_line = f"Original-Rcpt-To: {rcpt}\r\n" if rcpt else ""
    return (f"From: <abuse@feedback.example.com>\r\nDate: Wed, 2 Dec 2026 01:20:00 +0000\r\n"
            f"Subject: FW: Weekly Reads #7\r\nTo: <{to}>\r\nMIME-Version: 1.0\r\nMessage-ID: <arf-1@feedback.example.com>\r\n"
            "Content-Type: multipart/report; report-type=feedback-report;\r\n boundary=\"part1_13d.2e68ed54_boundary\"\r\n\r\n"
            "--part1_13d.2e68ed54_boundary\r\nContent-Type: text/plain; charset=\"US-ASCII\"\r\n\r\n"
            "This is an email abuse report for an email message received from IP\r\n192.0.2.1 on Wed, 2 Dec 2026.\r\n\r\n"
            "--part1_13d.2e68ed54_boundary\r\nContent-Type: message/feedback-report\r\n\r\n"
            f"Feedback-Type: {feedback}\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n{rcpt_line}\r\n"
            "--part1_13d.2e68ed54_boundary\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            + original_headers.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n--part1_13d.2e68ed54_boundary--\r\n").encode("ascii")


def auto_reply(to: str, subject: str = "Out of office: Weekly Reads #7", msgid: str = "<ooo-1@example.net>") -> bytes:
    return (f"From: Reader One <reader1@example.net>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Auto-Submitted: auto-replied\r\nMessage-ID: {msgid}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nI am away until Monday.\r\n").encode("utf-8")


def mailto_unsubscribe(to: str, sender: str = "reader1@example.net") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: \r\nMessage-ID: <apple-unsub-1@example.net>\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n\r\n").encode("ascii")
