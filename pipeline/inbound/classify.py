"""What a message that came back is: read once, bounded, never trusted.

:func:`classify` parses the bytes (Python's lenient parser; any failure is a finding, not a
crash) and returns a :class:`Reading`: the addresses it came to, its findings (kind, address,
status, raw reason) and the Message-IDs of the returned original. In this order:

1. a mail loop (too many ``Received`` lines, or a report about a report): ``other``;
2. a complaint (ARF, RFC 5965 ``message/feedback-report``): ``complaint``;
3. a delivery status notification (RFC 3464 ``message/delivery-status``), read per recipient:
   ``Action: failed`` with 5.x.x is a hard bounce, with 4.x.x or a full mailbox (x.2.2, "quota")
   a soft bounce, ``Action: delayed`` a warning;
4. anything else that looks like a bounce (the many formats real MTAs write) goes through
   flufl.bounce's detectors (Mailman's): permanent failures are hard bounces, temporary ones
   warnings;
5. an auto-reply (RFC 3834 ``Auto-Submitted``, the de-facto ``X-Autoreply`` headers, out-of-office
   subjects): ``auto_reply``, never a bounce;
6. the rest: ``other`` (the intake keeps it for the author). A mail to a mailto unsubscribe
   address is recognized by the caller from :attr:`Reading.recipients`.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses

MAX_PARTS = 200  # parts of a message looked at
MAX_HEURISTIC_BYTES = 2_000_000  # larger messages get the structural reading only (bounded time)
MAX_RECEIVED = 40  # more hops than this is a loop (Postfix's hopcount_limit is 50)
MAX_FINDINGS = 50

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_FULL = re.compile(r"mailbox (is )?full|over ?quota|quota exceeded|(reached|exceeded) (disk |its |the )?quota|insufficient (system )?storage|"
                   r"exceeded (the )?storage|mailbox size limit", re.I)
_OOO = re.compile(r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|"
                  r"vacation|away from (the )?office|i am (currently )?(out|away)|urlaub|"
                  r"automatische antwort|r[ée]ponse automatique|absence)", re.I)


@dataclass(frozen=True)
class Finding:
    kind: str  # a MailEventKind value
    address: str | None
    reason: str
    status: str | None = None  # the enhanced status code (5.1.1), when the report gave one


@dataclass
class Reading:
    message_id: str = ""
    recipients: list[str] = field(default_factory=list)  # envelope/header addresses it came to
    findings: list[Finding] = field(default_factory=list)
    original_ids: list[str] = field(default_factory=list)  # Message-IDs of the returned original
    original_recipients: list[str] = field(default_factory=list)  # To of the returned original
    auto_submitted: bool = False
    sender: str = ""
    subject: str = ""
    problem: str = ""  # why the message could not be read fully (malformed, too big, a loop)


def _text(value) -> str:
    """A header as one line of text, whatever its encoding (never raises)."""
    if value is None:
        return ""
    try:
        from email.header import decode_header, make_header

        text = str(make_header(decode_header(str(value))))
    except Exception:  # malformed encoded words, unknown charsets: the raw text then
        text = str(value)
    return " ".join(text.split())[:2000]


def _payload_text(part: Message, limit: int = 200_000) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        raw = part.get_payload()
        return raw[:limit] if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data[:limit].decode(charset, "replace")
    except LookupError:  # an unknown charset name
        return data[:limit].decode("latin-1")


def _parts(msg: Message) -> list[Message]:
    out: list[Message] = []
    stack = [msg]
    while stack and len(out) < MAX_PARTS:
        part = stack.pop(0)
        out.append(part)
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, Message))
    return out


def _fields(block: str) -> dict[str, str]:
    """The header-like fields of one block of a report (continuation lines joined)."""
    out: dict[str, str] = {}
    name = None
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and name:
            out[name] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            name = key.strip().lower()
            out[name] = value.strip()
    return out


def _report_blocks(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list):  # the parser split message/delivery-status into header blocks
        return [{k.lower(): _text(v) for k, v in p.items()} for p in payload if isinstance(p, Message)]
    text = _payload_text(part)
    return [_fields(b) for b in re.split(r"\r?\n\s*\r?\n", text) if b.strip()]


def _valid(addr: str | None) -> str | None:
    """``addr`` when it is a deliverable address (normalized), else None."""
    from pipeline.subscribers.addresses import SubscriberError, normalize_email

    if not addr:
        return None
    try:
        return normalize_email(addr)
    except SubscriberError:
        return None


def _address(value: str) -> str | None:
    """The address of a Final-Recipient/Original-Recipient value (``rfc822; a@b``)."""
    _type, sep, addr = value.partition(";")
    addr = (addr if sep else value).strip().strip("<>").strip()
    return addr[:320] if "@" in addr else None


def _dsn_findings(part: Message) -> list[Finding]:
    findings = []
    for block in _report_blocks(part):
        # the address we sent to comes first: Final-Recipient may be where it was forwarded
        addr = _valid(_address(block.get("original-recipient", ""))) or _valid(_address(block.get("final-recipient", "")))
        action = block.get("action", "").strip().lower().split(" ")[0]
        if not addr or not action:
            continue
        status = block.get("status", "")
        m = _STATUS.search(status)
        code = m.group(0) if m else None
        diag = block.get("diagnostic-code", "")
        reason = " ".join(x for x in (f"Action: {action}", f"Status: {status}" if status else "", diag) if x)
        if action == "delayed":
            findings.append(Finding("delayed", addr, reason, code))
        elif action == "failed":
            soft = (code or "").startswith("4") or (code or "").startswith("5.2.2") or bool(_FULL.search(status + diag))
            findings.append(Finding("soft_bounce" if soft else "hard_bounce", addr, reason, code))
    return findings


def _flufl_findings(msg: Message) -> list[Finding]:
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(msg)
    except Exception as e:  # a detector tripping over a strange message: a finding, not a crash
        return [Finding("other", None, f"the bounce detectors failed: {type(e).__name__}")]

    def addrs(items) -> list[str]:  # flufl hands back bytes, and sometimes text that is no address
        return sorted({_valid((a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)).strip().strip("<>"))
                       for a in items} - {None})

    return ([Finding("hard_bounce", a, "a permanent failure (non-standard bounce)") for a in addrs(permanent)]
            + [Finding("delayed", a, "a temporary failure (non-standard bounce)") for a in addrs(temporary)
               if a not in addrs(permanent)])


def _is_dsn(msg: Message) -> bool:
    return msg.get_content_type() == "multipart/report" and "delivery-status" in (msg.get_param("report-type") or "").lower()


def _original(msg: Message, parts: list[Message], reading: Reading) -> None:
    """Message-IDs and recipients of the returned original (message/rfc822, text/rfc822-headers);
    a report whose returned original is a report too is a loop."""
    top = msg.get_payload() if _is_dsn(msg) else None
    for part in parts:
        ctype = part.get_content_type()
        headers: Message | None = None
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            headers = payload[0] if isinstance(payload, list) and payload else None
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers", "text/global-headers"):
            try:
                headers = email.message_from_string(_payload_text(part), policy=compat32)
            except Exception:
                headers = None
        if headers is None:
            continue
        if headers.get("Message-ID"):
            reading.original_ids.append(_text(headers.get("Message-ID")))
        reading.original_recipients += [a for _, a in getaddresses([_text(v) for v in headers.get_all("To", [])]) if a]
        if isinstance(top, list) and part in top and _is_dsn(headers):
            reading.problem = "a bounce of a bounce (a report about a report): a mail loop, ignored"


def _recipients(msg: Message, extra: list[str]) -> list[str]:
    values = list(extra)
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc"):
        values += [_text(v) for v in msg.get_all(name, [])]
    out = []
    for _, addr in getaddresses(values):
        if addr and addr.lower() not in out:
            out.append(addr.lower()[:320])
    return out[:50]


def parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=compat32)


def classify(raw: bytes, *, recipients: list[str] | None = None, truncated: bool = False) -> Reading:
    """Read one message (see the module docstring). Never raises for any input bytes."""
    reading = Reading()
    try:
        msg = parse(raw)
        reading.message_id = _text(msg.get("Message-ID"))[:300]
        reading.recipients = _recipients(msg, list(recipients or []))
        reading.sender = _text(msg.get("From"))[:300]
        reading.subject = _text(msg.get("Subject"))[:300]
        auto = _text(msg.get("Auto-Submitted")).lower()
        reading.auto_submitted = bool(auto) and not auto.startswith("no")
        if truncated:
            reading.problem = f"larger than the limit; only the first {len(raw)} bytes were kept, nothing applied"
            return reading
        if len(msg.get_all("Received", [])) > MAX_RECEIVED:
            reading.problem = f"more than {MAX_RECEIVED} Received lines: a mail loop, ignored"
            return reading
        _read_body(msg, raw, reading)
    except RecursionError:
        reading.problem = "the MIME structure is nested too deeply to read"
    except Exception as e:  # on purpose broad: no input may crash the intake; the message is kept
        reading.problem = f"the message could not be read ({type(e).__name__})"
    if reading.problem:
        reading.findings = []
    reading.findings = reading.findings[:MAX_FINDINGS]
    return reading


def _read_body(msg: Message, raw: bytes, reading: Reading) -> None:
    parts = _parts(msg)
    _original(msg, parts, reading)
    if reading.problem:
        return
    types = {p.get_content_type() for p in parts}
    if "message/feedback-report" in types or (msg.get_content_type() == "multipart/report"
                                              and "feedback-report" in (msg.get_param("report-type") or "")):
        reading.findings = _arf_findings(parts, reading)
        return
    for p in parts:
        if p.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            reading.findings += _dsn_findings(p)
    if not reading.findings and len(raw) <= MAX_HEURISTIC_BYTES:
        reading.findings = _flufl_findings(msg)
    if not reading.findings and (reading.auto_submitted or _looks_auto_reply(msg, reading.subject)):
        reading.findings = [Finding("auto_reply", None, f"auto-reply: {reading.subject[:200]}")]


def _arf_findings(parts: list[Message], reading: Reading) -> list[Finding]:
    report: dict[str, str] = {}
    for p in parts:
        if p.get_content_type() == "message/feedback-report":
            for block in _report_blocks(p):
                report.update(block)
    ftype = report.get("feedback-type", "abuse").strip().lower() or "abuse"
    addrs = [a for a in (_address(report.get("original-rcpt-to", "")),) if a] or reading.original_recipients[:1]
    kind = "other" if ftype == "not-spam" else "complaint"
    reason = f"Feedback-Type: {ftype}" + (f"; User-Agent: {report['user-agent']}" if report.get("user-agent") else "")
    return [Finding(kind, a, reason) for a in addrs] or [Finding(kind, None, reason)]


def _looks_auto_reply(msg: Message, subject: str) -> bool:
    if any(msg.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return True
    if _text(msg.get("Precedence")).lower() == "auto_reply":
        return True
    if _text(msg.get("X-Auto-Response-Suppress")) and msg.get("X-MS-Exchange-Inbox-Rules-Loop"):
        return True
    return bool(_OOO.match(subject))
