"""Subscribers: who gets the newsletter, and the record of their consent.

Statuses and how they change (one place, like a state machine)::

    (new) --form/add pending--> pending --confirm--> active --unsubscribe--> unsubscribed
    (new) --add/import active------------------------^            (send stage) bounced, complained

- An address is normalized (stripped, lower-cased as a whole) and validated with
  email-validator, never with DNS; its local part must be ASCII (no SMTPUTF8 when sending). Names are one line and at most ``MAX_NAME`` characters.
- People who left are never made active again by ``add`` or ``import``: unsubscribed,
  bounced and complained rows stay as they are, and a removed address (GDPR erasure) leaves
  only a SHA-256 hash in ``suppressions`` that blocks it for good.
- The subscribe form is a person's own, explicit new consent: an *unsubscribed* address that
  subscribes again through the form goes back to pending and must confirm by mail. Bounced,
  complained and removed addresses do not: the form answers the same page and nothing
  happens, so nobody learns anything about an address they typed (no enumeration).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol, TextIO

from email_validator import EmailNotValidError, validate_email

from pipeline.errors import LinkletterError
from pipeline.models import Subscriber, utcnow
from pipeline.store import subscribers as store

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
LEFT = ("unsubscribed", "bounced", "complained")
CONSENT_SOURCES = ("form", "import", "cli")
MAX_NAME = 200
MAX_EMAIL = 254
MAX_USER_AGENT = 500
MAX_TEXT = 2000

# The columns of an export, which an import also accepts (a round trip keeps everything).
FIELDS = ("email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at",
          "consent_source", "consent_ip", "consent_user_agent", "consent_text", "consent_at")
_TIME_FIELDS = ("created_at", "confirmed_at", "unsubscribed_at", "consent_at")


class SubscriberError(LinkletterError):
    """An address, name or subscriber change that cannot be accepted; the message says why."""


# ------------------------------------------------------------------ normalizing input

# A strict subset of what email-validator accepts: a dot-atom local part of at most 64
# characters and a plain LDH domain (no '--', as in IDNA labels) with an alphabetic top-level
# domain that is not a special-use name. Addresses matching it skip the (~18 µs) validator
# call, which matters for a million-row import; everything else goes through email-validator.
# tests/test_subscribers.py checks the subset property.
_SPECIAL_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test", "internal", "alt")
_FAST_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)(?!.*@.*--)"
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
    + "".join(rf"(?<!\.{tld})" for tld in _SPECIAL_TLDS))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalize_email(text: str) -> str:
    """The stored form of an address: stripped, lower-cased as a whole, validated (no DNS).
    Raises SubscriberError with the reason."""
    addr = text.strip().lower() if isinstance(text, str) else ""
    if len(addr) <= MAX_EMAIL and _FAST_EMAIL.fullmatch(addr):
        return addr
    if not isinstance(text, str):
        raise SubscriberError("the email address is missing")
    if "\r" in text or "\n" in text:
        raise SubscriberError("the email address contains a line break")
    if not addr:
        raise SubscriberError("the email address is empty")
    if len(addr) > MAX_EMAIL:
        raise SubscriberError(f"the email address is longer than {MAX_EMAIL} characters")
    try:
        # allow_smtputf8=False: a non-ASCII local part (jörg@...) needs SMTPUTF8, which the send
        # stage does not use (most servers refuse it): better refused here than never mailed.
        # An international domain is fine: the send stage writes it in its IDNA form.
        result = validate_email(addr, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as e:
        local = addr.rpartition("@")[0]
        if local and not local.isascii():
            raise SubscriberError(f"{addr} cannot be mailed: the part before the @ holds non-ASCII characters "
                                  f"(like ö or é), which most mail servers refuse") from None
        raise SubscriberError(f"not a valid email address: {e}") from None
    return result.normalized.lower()


def _fast_valid(addr: str) -> bool:
    return len(addr) <= MAX_EMAIL and _FAST_EMAIL.fullmatch(addr) is not None


def clean_name(text: str | None) -> str:
    """A display name: one line (a line break could inject mail headers), at most MAX_NAME chars."""
    if text is None:
        return ""
    name = text.strip()
    if len(name) <= MAX_NAME and not _CONTROL.search(name):
        return name
    if "\r" in text or "\n" in text:
        raise SubscriberError("the name contains a line break")
    if len(name) > MAX_NAME:
        raise SubscriberError(f"the name is longer than {MAX_NAME} characters")
    raise SubscriberError("the name contains control characters")


def email_hash(email: str) -> str:
    """What is kept of a removed address: SHA-256 of its normalized form. Unkeyed on purpose,
    so changing the secret key never lets a removed address back in."""
    return hashlib.sha256(email.encode("utf-8")).hexdigest()


def _one_line(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.replace("\r", " ").replace("\n", " ").strip()
    return value[:limit]


# ------------------------------------------------------------------ one subscriber

@dataclass(frozen=True)
class Added:
    subscriber: Subscriber
    outcome: str  # 'added' | 'activated' | 'unchanged'


def add_subscriber(nl, email: str, *, name: str = "", status: str = "active", source: str = "cli",
                   consent_text: str | None = None) -> Added:
    """Add one subscriber by hand (active or pending). A pending address becomes active when
    added as active; people who left or were removed are refused with a SubscriberError."""
    if status not in ("active", "pending"):
        raise SubscriberError(f"status must be active or pending, got {status!r}")
    addr = normalize_email(email)
    name = clean_name(name)
    now = utcnow()
    with nl.session() as s:
        if store.is_suppressed(s, email_hash(addr)):
            raise SubscriberError(f"{addr} was removed at the person's request and is never added again")
        sub = store.get_by_email(s, addr)
        if sub is not None:
            if sub.status in LEFT:
                raise SubscriberError(f"{addr} is {sub.status}; it is not made active again "
                                      f"(only the person can subscribe again, through the form)")
            if sub.status == "pending" and status == "active":
                store.set_status(s, sub.id, "active", from_statuses=("pending",), confirmed_at=now)
                s.refresh(sub)
                return Added(sub, "activated")
            return Added(sub, "unchanged")
        sub = store.insert_one(s, dict(
            email=addr, name=name, status=status, created_at=now,
            confirmed_at=now if status == "active" else None,
            consent_source=source, consent_text=consent_text or "added with linkletter subscribers add",
            consent_at=now))
        return Added(sub, "added")


def get_subscriber(nl, subscriber_id: int) -> Subscriber | None:
    with nl.session() as s:
        return store.get_by_id(s, subscriber_id)


def find_subscriber(nl, email: str) -> Subscriber | None:
    with nl.session() as s:
        return store.get_by_email(s, normalize_email(email))


def list_subscribers(nl, status: str | None = None) -> Iterator[dict]:
    """Every subscriber as a dict of its columns, in id order, streamed (bounded memory)."""
    if status is not None and status not in STATUSES:
        raise SubscriberError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    with nl.engine.connect() as conn:
        yield from store.iter_subscribers(conn, status)


def count_subscribers(nl) -> dict[str, int]:
    """Subscribers per status, every status present (0 when none)."""
    with nl.session() as s:
        counts = store.count_by_status(s)
    return {st: counts.get(st, 0) for st in STATUSES}


def remove_subscriber(nl, email: str) -> bool:
    """GDPR erasure: delete the person's row and deliveries, keep only a hash of the address
    so it is never mailed or imported again. True if someone was removed; the hash is kept
    even when the address was unknown (the request still says: never mail this address)."""
    addr = normalize_email(email)
    with nl.session() as s:
        sub = store.get_by_email(s, addr)
        if sub is not None:
            store.delete_subscriber(s, sub.id)
        store.add_suppression(s, email_hash(addr), "removed")
    if sub is not None:  # the file outbox holds copies of the mails sent to them: those go too
        for path in nl.settings.outbox_dir.glob(f"issue-*-sub-{sub.id:08d}.eml"):
            path.unlink(missing_ok=True)
    return sub is not None


# ------------------------------------------------------------------ the web's state changes

# A pending address gets at most one confirmation mail in this time (its consent_at is when the
# last one was asked for). Long enough to stop mail bombing, short enough for a person whose
# mail got lost to try again.
CONFIRMATION_INTERVAL = timedelta(minutes=10)


def _mailed_recently(consent_at: datetime | None, now: datetime) -> bool:
    if consent_at is None:
        return False
    if consent_at.tzinfo is None:  # a driver handing back naive UTC
        consent_at = consent_at.replace(tzinfo=timezone.utc)
    return now - consent_at < CONFIRMATION_INTERVAL


# Providers that deliver a.b.c@ to abc@ (for the throttle only: addresses are stored as typed).
_DOTLESS_DOMAINS = ("gmail.com", "googlemail.com")


def mailbox_key(addr: str) -> str:
    """The mailbox a normalized address delivers to, for throttling confirmation mails:
    without a ``+tag`` (most providers deliver ``bomb+1@`` to ``bomb@``), without dots where
    the provider ignores them, ``googlemail.com`` as ``gmail.com``."""
    local, _, domain = addr.rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


class Throttle(Protocol):
    def allow(self, addr: str) -> bool: ...  # counts one confirmation mail to addr; False: none may go


@dataclass(frozen=True)
class Subscribed:
    subscriber_id: int | None
    send_confirmation: bool  # False: nothing to mail (already active, or blocked)
    outcome: str  # 'new' | 'pending-again' | 'recently-mailed' | 'resubscribed' | 'already-active' | 'blocked'
    #               | 'throttled'


def subscribe(nl, email: str, name: str = "", *, ip: str | None, user_agent: str | None,
              consent_text: str, throttle: Throttle | None = None) -> Subscribed:
    """A person asked through the form. Records consent (source 'form', IP, user agent, the
    text shown) and says whether a confirmation mail should go out: not for a pending address
    mailed less than CONFIRMATION_INTERVAL ago, and not when ``throttle`` refuses (then nothing
    is stored either: outcome 'throttled'). See the module docstring for which statuses may
    subscribe again."""
    addr = normalize_email(email)
    name = clean_name(name)
    now = utcnow()
    consent = dict(consent_source="form", consent_ip=_one_line(ip, 64),
                   consent_user_agent=_one_line(user_agent, MAX_USER_AGENT),
                   consent_text=(consent_text or "")[:MAX_TEXT], consent_at=now)
    with nl.session() as s:
        if store.is_suppressed(s, email_hash(addr)):
            return Subscribed(None, False, "blocked")
        sub = store.get_by_email(s, addr)
        if sub is None:
            if throttle is not None and not throttle.allow(addr):
                return Subscribed(None, False, "throttled")
            sub = store.insert_one(s, dict(email=addr, name=name, status="pending", created_at=now, **consent))
            return Subscribed(sub.id, True, "new")
        if sub.status == "active":
            return Subscribed(sub.id, False, "already-active")
        if sub.status in ("bounced", "complained"):
            return Subscribed(sub.id, False, "blocked")
        if sub.status == "pending" and _mailed_recently(sub.consent_at, now):
            # Someone posting the form again and again must not flood the address (the rate limit
            # is per IP only). Nothing changes, so the window runs from the last mail sent; the
            # page is the same as for every outcome (no enumeration).
            return Subscribed(sub.id, False, "recently-mailed")
        if throttle is not None and not throttle.allow(addr):
            return Subscribed(sub.id, False, "throttled")
        outcome = "pending-again" if sub.status == "pending" else "resubscribed"
        store.update_fields(s, sub.id, dict(status="pending", name=name or sub.name, **consent))
        return Subscribed(sub.id, True, outcome)


def confirm(nl, subscriber_id: int) -> str:
    """The person pressed the confirm button: pending → active.
    Returns 'confirmed', 'already-active', or 'not-pending' (unknown, left, or removed)."""
    with nl.session() as s:
        if store.set_status(s, subscriber_id, "active", from_statuses=("pending",), confirmed_at=utcnow()):
            return "confirmed"
        sub = store.get_by_id(s, subscriber_id)
        return "already-active" if sub is not None and sub.status == "active" else "not-pending"


def unsubscribe(nl, subscriber_id: int) -> str:
    """Unsubscribe (idempotent). Returns 'unsubscribed' or 'already' (also for removed people:
    they get no mail either way)."""
    with nl.session() as s:
        if store.set_status(s, subscriber_id, "unsubscribed", from_statuses=("active", "pending"),
                            unsubscribed_at=utcnow()):
            return "unsubscribed"
        return "already"


def revoke_links(nl, email: str) -> int:
    """Make every unsubscribe link mailed to ``email`` so far invalid (a leaked link, without
    rotating the secret key for everyone); the next mails carry new ones. Returns the new
    link generation; SubscriberError for an address that is not a subscriber."""
    addr = normalize_email(email)
    with nl.session() as s:
        sub = store.get_by_email(s, addr)
        if sub is None:
            raise SubscriberError(f"{addr} is not a subscriber")
        return store.raise_link_generation(s, sub.id)


def subscriber_for_unsubscribe(nl, token: str) -> int:
    """The subscriber id of an unsubscribe token that is genuine and of its subscriber's current
    link generation (TokenError otherwise). A removed person's genuine token is accepted: they
    get no mail either way, and saying so tells nothing."""
    from pipeline.tokens import TokenError, verify_unsubscribe_link

    sid, generation = verify_unsubscribe_link(nl.settings.secret_key, token)
    with nl.session() as s:
        current = store.link_generation(s, sid)
    if current is not None and current != generation:
        raise TokenError("this unsubscribe link is not valid")
    return sid


def send_confirmation(nl, subscriber_id: int) -> str | None:
    """Mail the double opt-in link to a pending subscriber. Returns where the mail went.
    Built and sent like an issue: one builder, one signer, one transport."""
    from pipeline.render.email import system_mail
    from pipeline.send.single import send_message
    from pipeline.tokens import confirm_url

    sub = get_subscriber(nl, subscriber_id)
    if sub is None or sub.status != "pending":
        return None
    data = system_mail(nl, "confirm", to_addr=sub.email, to_name=sub.name or "",
                       confirm_url=confirm_url(nl.settings, sub.id))
    return send_message(nl.settings, data, sub.email)


# ------------------------------------------------------------------ CSV import and export

@dataclass
class ImportReport:
    rows: int = 0            # data rows read
    added: int = 0           # new subscribers
    skipped: int = 0         # already present (in the table or earlier in the file)
    suppressed: int = 0      # removed addresses, never imported again
    blocked: int = 0         # present but unsubscribed/bounced/complained: left as they are
    invalid: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), the first MAX_PROBLEMS
    blocked_examples: list[str] = field(default_factory=list)

    MAX_PROBLEMS = 100

    def problem(self, line: int, reason: str) -> None:
        self.invalid += 1
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append((line, reason))


def _open_csv(path: Path) -> TextIO:
    # utf-8-sig: a BOM from spreadsheet exports is dropped; anything not UTF-8 raises.
    return open(path, encoding="utf-8-sig", errors="strict", newline="")


def _check_header(path: Path, header: list[str] | None) -> list[str]:
    if not header:
        raise SubscriberError(f"{path}: empty file; the first line must be a header such as 'email,name'")
    cols = [h.strip().lower() for h in header]
    if "email" not in cols:
        raise SubscriberError(f"{path}:1: the header has no 'email' column (found: {', '.join(cols)}); "
                              f"the first line must name the columns, e.g. 'email,name'")
    unknown = [c for c in cols if c not in FIELDS]
    if unknown:
        raise SubscriberError(f"{path}:1: unknown column(s) {', '.join(map(repr, unknown))}; "
                              f"known columns: {', '.join(FIELDS)}")
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise SubscriberError(f"{path}:1: column(s) named twice: {', '.join(dupes)}")
    return cols


def _structure_error(path: Path, line: int, fields: int, width: int) -> SubscriberError:
    what = "missing" if fields < width else "extra"
    return SubscriberError(f"{path}:{line}: {what} columns: {fields} fields, the header has {width}; "
                           f"nothing was imported")


def _first_non_utf8_line(path: Path) -> int:
    """The line of the first byte that is not UTF-8 (scanning again in binary: simple and exact)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        for line, raw in enumerate(f, 1):
            try:
                dec.decode(raw)
            except UnicodeDecodeError:
                return line
    return line


def _parse_time(value: str, column: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise SubscriberError(f"{column} is not an ISO 8601 time: {value[:40]!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def import_csv(nl, path: str | os.PathLike, *, status: str = "active", batch_size: int = 5000,
               progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import subscribers from a CSV file with a header row (``email,name`` and optionally any
    other export column). Streams the file: memory stays bounded for any number of rows.

    All rows go in one transaction. A broken file (not UTF-8, a row with missing or extra
    fields) is an error and the transaction is rolled back: nothing is written. An invalid
    row is reported with its line and reason and skipped; an address already present (or
    twice in the file) is merged: the first one stays unchanged. Removed addresses are
    skipped; people who left keep their status."""
    if status not in STATUSES:
        raise SubscriberError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    path = Path(path)
    if not path.is_file():
        raise SubscriberError(f"{path}: no such file")
    try:
        f = _open_csv(path)
    except OSError as e:
        raise SubscriberError(f"{path}: cannot read the file: {e.strerror}") from None
    with f:
        reader = csv.reader(f)
        try:
            cols = _check_header(path, next(reader, None))
            return _import_rows(nl, path, reader, cols, status, batch_size, progress)
        except UnicodeDecodeError as e:
            raise SubscriberError(f"{path}:{_first_non_utf8_line(path)}: the file is not UTF-8 ({e.reason}); "
                                  f"save it as UTF-8 and import again. Nothing was imported.") from None
        except csv.Error as e:
            raise SubscriberError(f"{path}:{reader.line_num}: not a valid CSV file: {e}; "
                                  f"nothing was imported") from None


def _import_rows(nl, path: Path, reader, cols: list[str], status: str, batch_size: int,
                 progress: Callable[[int], None] | None) -> ImportReport:
    report = ImportReport()
    now = utcnow()
    consent_text = f"imported from {path.name}"[:MAX_TEXT]
    idx = {c: i for i, c in enumerate(cols)}
    i_email, i_name, width = idx["email"], idx.get("name"), len(cols)
    simple = set(cols) <= {"email", "name"}
    if simple:
        # Same for every row: bound once in the statement, not per row.
        columns: tuple[str, ...] = ("email", "name")
        constants = dict(status=status, created_at=now, confirmed_at=now if status == "active" else None,
                         consent_source="import", consent_text=consent_text, consent_at=now)
    else:
        columns, constants = ("email", "name", "status", *_TIME_FIELDS, "consent_source", "consent_ip",
                              "consent_user_agent", "consent_text"), {}

    with nl.engine.begin() as conn, store.bulk_cache(conn):  # an exception anywhere rolls every row back
        suppressed = store.suppression_hashes(conn)
        inserter = store.BulkInsert(conn, columns, constants)
        batch: list[tuple] = []
        rows = 0
        norm, clean, append = normalize_email, clean_name, batch.append  # locals: this loop runs a million times
        for row in reader:
            if len(row) != width:
                if not row:  # a blank line
                    continue
                raise _structure_error(path, reader.line_num, len(row), width)
            rows += 1
            try:
                addr = norm(csv_unescape(row[i_email]))
                if suppressed and email_hash(addr) in suppressed:
                    report.suppressed += 1
                    continue
                name = clean(csv_unescape(row[i_name])) if i_name is not None else ""
                append((addr, name) if simple else _full_row(row, idx, addr, name, status, now, consent_text))
            except SubscriberError as e:
                report.problem(reader.line_num, str(e))
                continue
            if len(batch) >= batch_size:
                _flush(conn, inserter, batch, report)
                if progress:
                    progress(rows)
        _flush(conn, inserter, batch, report)
        report.rows = rows
        if progress:
            progress(rows)
    return report


def _full_row(row: list[str], idx: dict[str, int], addr: str, name: str, default_status: str,
              now: datetime, consent_text: str) -> tuple:
    def get(col: str) -> str:
        return csv_unescape(row[idx[col]]).strip() if col in idx else ""

    st = get("status").lower() or default_status
    if st not in STATUSES:
        raise SubscriberError(f"status must be one of {', '.join(STATUSES)}, got {st[:20]!r}")
    src = get("consent_source").lower() or "import"
    if src not in CONSENT_SOURCES:
        raise SubscriberError(f"consent_source must be one of {', '.join(CONSENT_SOURCES)}, got {src[:20]!r}")
    times = {c: _parse_time(get(c), c) for c in _TIME_FIELDS}
    for col, limit in (("consent_ip", 64), ("consent_user_agent", MAX_USER_AGENT)):
        if "\r" in get(col) or "\n" in get(col) or len(get(col)) > limit:
            raise SubscriberError(f"{col} must be one line of at most {limit} characters")
    if len(get("consent_text")) > MAX_TEXT:
        raise SubscriberError(f"consent_text is longer than {MAX_TEXT} characters")
    return (addr, name, st, times["created_at"] or now,
            times["confirmed_at"] or (now if st == "active" else None), times["unsubscribed_at"],
            times["consent_at"] or now, src, get("consent_ip") or None, get("consent_user_agent") or None,
            get("consent_text") or consent_text)


def _flush(conn, inserter, batch: list[tuple], report: ImportReport) -> None:
    if not batch:
        return
    inserted = inserter.run(batch)
    report.added += inserted
    if inserted < len(batch):
        blocked = store.blocked_among(conn, (r[0] for r in batch))
        report.blocked += len(blocked)
        report.skipped += len(batch) - inserted - len(blocked)
        for email, st in blocked:
            if len(report.blocked_examples) < 20:
                report.blocked_examples.append(f"{email} ({st})")
    batch.clear()


def export_csv(nl, out: TextIO, status: str | None = None) -> int:
    """Write every subscriber (or those of one status) as CSV with every field; returns the count.
    Cells a spreadsheet would evaluate as a formula are escaped (see :func:`csv_escape`)."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS)
    n = 0
    for r in list_subscribers(nl, status):
        w.writerow([csv_escape(_csv_value(r[c])) for c in FIELDS])
        n += 1
    return n


def export_csv_file(nl, path: str | os.PathLike, status: str | None = None) -> int:
    """:func:`export_csv` into the file ``path``, created owner-only (0600): it holds personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        return export_csv(nl, out, status)


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); "'" is escaped too, so that unescaping gives back every value exactly.
_FORMULA_START = "=+-@\t\r'"


def csv_escape(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would evaluate it (shown as text then)."""
    return "'" + value if value[:1] and value[0] in _FORMULA_START else value


def csv_unescape(value: str) -> str:
    """The value :func:`csv_escape` was given (an import reads what an export wrote)."""
    return value[1:] if value[:1] == "'" and value[1:2] and value[1] in _FORMULA_START else value


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return (v if v.tzinfo else v.replace(tzinfo=timezone.utc)).isoformat()
    return str(v)
