"""What every export format shares: finding columns in a header, reading a platform's times,
yes/no and status words, and turning one CSV row into the row the import inserts.

A format module (one per platform) only says which column means what (a :class:`Spec`);
:func:`row_mapper` builds from it the one function that runs for each of a million rows.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring as _encode_string  # the C function json.dumps uses for str
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from pipeline.subscribers.addresses import (CONSENT_SOURCES, MAX_TEXT, MAX_USER_AGENT, SubscriberError, clean_name,
                                            normalize_email)

# The row every format produces, in this order (the bulk insert's columns). Times are UTC text
# in the form the SQLite driver stores ('YYYY-MM-DD HH:MM:SS.ffffff'); see store.BulkInsert.
# (The order of the table's columns: the compiled INSERT then takes each row tuple as it is.)
COLUMNS = ("email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at", "consent_source",
           "consent_ip", "consent_user_agent", "consent_text", "consent_at", "attributes")
MAX_ATTRIBUTES = 8 * MAX_TEXT  # the JSON of one person's extra columns

StatusRule = Callable[[list], str]


@dataclass
class Spec:
    """Which column of one file means what (indexes into its rows), and what the import says
    it recognised. ``status`` is a status for every row or a function of the row."""

    platform: str                 # "Mailchimp"
    kind: str = ""                # "unsubscribed members"
    email: int = 0
    name: int | None = None
    first: int | None = None      # a name in two columns
    last: int | None = None
    status: str | StatusRule = "active"
    created: tuple[int, ...] = ()       # the first non-empty of these wins
    confirmed: tuple[int, ...] = ()
    unsubscribed: tuple[int, ...] = ()
    consent_at: int | None = None
    optin_ip: int | None = None
    confirm_ip: int | None = None
    consent_source: int | None = None   # Linkletter's own export only
    user_agent: int | None = None
    consent_text: int | None = None
    attributes: tuple[tuple[str, int], ...] = ()  # (key, index): kept when not empty
    json_attributes: int | None = None  # a column holding a JSON object (listmonk, Keila, our own)
    unescape: Callable[[str], str] | None = None  # our own export escapes spreadsheet formulas
    exact: bool = False  # our own export: an empty time stays empty, the consent text is the file's
    headers: list[str] = field(default_factory=list)  # the header as in the file
    ignored: tuple[int, ...] = ()

    def describe(self) -> str:
        """What the import recognised, for the command's output."""
        def names(idx) -> str:
            return ", ".join(self.headers[i] for i in idx)
        used = [f"email: {self.headers[self.email]}"]
        if self.name is not None:
            used.append(f"name: {self.headers[self.name]}")
        elif self.first is not None:
            used.append(f"name: {names([i for i in (self.first, self.last) if i is not None])}")
        consent = [*self.created, *self.confirmed, *self.unsubscribed,
                   *(i for i in (self.optin_ip, self.confirm_ip, self.consent_at) if i is not None)]
        if consent:
            used.append(f"consent: {names(consent)}")
        if self.attributes or self.json_attributes is not None:
            kept = [i for _, i in self.attributes] + ([self.json_attributes] if self.json_attributes is not None else [])
            used.append(f"kept as attributes: {names(kept)}")
        if self.ignored:
            used.append(f"ignored: {names(self.ignored)}")
        return "; ".join(used)


class Header:
    """A header row, lower-cased for lookup; remembers which columns a format used."""

    def __init__(self, header: list[str]):
        self.original = [h.strip() for h in header]
        self.cols = [h.lower() for h in self.original]
        self.used: set[int] = set()

    def __contains__(self, name: str) -> bool:
        return name in self.cols

    def find(self, *names: str) -> int | None:
        for n in names:
            if n in self.cols:
                i = self.cols.index(n)
                self.used.add(i)
                return i
        return None

    def need(self, platform: str, *names: str) -> int:
        i = self.find(*names)
        if i is None:
            raise SubscriberError(f"this {platform} export has no {names[0]!r} column (found: "
                                  f"{', '.join(self.original)})")
        return i

    def times(self, *names: str) -> tuple[int, ...]:
        return tuple(i for i in (self.find(n) for n in names) if i is not None)

    def ignore(self, *names: str) -> tuple[int, ...]:
        return tuple(i for i in (self.find(n) for n in names) if i is not None)

    def rest(self) -> tuple[tuple[str, int], ...]:
        """Every column no format rule used: kept as attributes, under its lower-cased name."""
        return tuple((c, i) for i, c in enumerate(self.cols) if i not in self.used and c)


# ------------------------------------------------------------------ values

_TRUE = frozenset(("true", "1", "yes", "y", "t"))
_FALSE = frozenset(("false", "0", "no", "n", "f", ""))


def truthy(value: str, column: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise SubscriberError(f"{column} must be true or false, got {v[:20]!r}")


def status_words(index: int, column: str, table: dict[str, str]) -> StatusRule:
    """A status column with the platform's words, each mapped to one of ours. An unknown word
    refuses the row (better than guessing that someone wants mail)."""
    known = ", ".join(sorted(table))

    def rule(row: list) -> str:
        word = row[index].strip().lower()
        try:
            return table[word]
        except KeyError:
            raise SubscriberError(f"{column}: unknown status {word[:30]!r} (known: {known})") from None
    return rule


# A platform's time as UTC text in the stored form. The common case (ISO 8601 in UTC, as
# Mailchimp, Ghost, Substack and Buttondown write it) is a regular expression and a cached
# date check: datetime parsing and formatting would cost more than the insert itself.
_FAST_TIME = re.compile(r"(\d{4}-\d\d-\d\d)[ T]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,6}))?"
                        r"(?:Z|[+-]00:?00| UTC| \+0000 UTC)?")
# Go's time.Time.String() (listmonk): 2021-03-04 10:11:12.123456789 +0100 CET
_GO_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)? ([+-]\d\d)(\d\d) [A-Za-z0-9+-]{1,8}")
_DAYS: set[str] = set()    # 'YYYY-MM-DD' seen valid
_CLOCKS: set[str] = set()  # 'HH:MM:SS' seen valid
_SEPARATORS = frozenset((" ", "T"))
_UTC_SUFFIXES = frozenset(("", "Z", "+00:00", " UTC"))


def utc_text(value: str) -> str | None:
    """``value`` (an export's time) as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; None when empty.
    Raises ValueError for what is not a time."""
    if not value:
        return None
    m = _FAST_TIME.fullmatch(value)
    if m is None:
        return _slow_utc_text(value)
    day, clock, frac = m.groups()
    if day not in _DAYS:
        date.fromisoformat(day)  # ValueError for 2021-02-30
        if len(_DAYS) < 100_000:
            _DAYS.add(day)
    _CLOCKS.add(clock)  # at most 86,400
    return f"{day} {clock}.{(frac or '').ljust(6, '0')}"


def _slow_utc_text(value: str) -> str | None:
    v = value.strip()
    if not v:
        return None
    m = _GO_TIME.fullmatch(v)
    if m:
        v = f"{m[1]}{(m[2] or '')[:7]}{m[3]}:{m[4]}"
    elif v.endswith(" UTC"):
        v = v[:-4]
    if v.isdigit() and len(v) in (10, 13):  # Unix time in seconds or milliseconds (beehiiv's API)
        t = datetime.fromtimestamp(int(v) / (1000 if len(v) == 13 else 1), timezone.utc)
    else:
        t = datetime.fromisoformat(v)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


_IP = re.compile(r"[0-9A-Fa-f:.]{2,45}")
# C0 and C1 controls (ESC starts a terminal escape sequence), line breaks and the bidirectional
# overrides: what of a file's content goes into a message must not reach a terminal as such.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` for a message: each control character as ``\\xNN`` (or ``\\uNNNN``)."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 256 else f"\\u{ord(m[0]):04x}", text)


# ------------------------------------------------------------------ one row

def consent_prefix(spec: Spec, source: str) -> str:
    return f"imported from {spec.platform} ({source})" if spec.platform != "CSV" else f"imported from {source}"


def row_mapper(spec: Spec, source: str, now: str) -> Callable[[list], tuple]:
    """The function that makes one CSV row into the inserted row (see COLUMNS), or raises
    SubscriberError saying what is wrong with it. ``now`` is the import's time as UTC text."""
    # on purpose one long function: the closure's locals and the inlined common cases (one time
    # column, UTC times, plain attributes) are what makes a million rows fast
    h = spec.headers
    norm, clean, ip_ok, days, clocks = normalize_email, clean_name, _IP.fullmatch, _DAYS, _CLOCKS
    ie, iname, ifirst, ilast = spec.email, spec.name, spec.first, spec.last
    status, created, confirmed, unsub = spec.status, spec.created, spec.confirmed, spec.unsubscribed
    i_oip, i_cip, i_json, i_cat = spec.optin_ip, spec.confirm_ip, spec.json_attributes, spec.consent_at
    i_src, i_ua, i_text = spec.consent_source, spec.user_agent, spec.consent_text
    un, exact = spec.unescape, spec.exact
    prefix = consent_prefix(spec, source)
    const_status = status if isinstance(status, str) else None
    enc = _encode_string
    attrs = tuple((enc(k) + ":", i) for k, i in spec.attributes)  # keys encoded once
    plain_attrs = bool(attrs) and i_json is None
    i_created = created[0] if len(created) == 1 else None
    i_confirmed = confirmed[0] if len(confirmed) == 1 else None

    def utc(raw: str, i: int) -> str:
        # 'YYYY-MM-DD HH:MM:SS' (or with T, Z) whose day and clock were seen valid before: two
        # set lookups instead of a regular expression
        if raw[10:11] in _SEPARATORS and raw[:10] in days and raw[11:19] in clocks and raw[19:] in _UTC_SUFFIXES:
            return f"{raw[:10]} {raw[11:19]}.000000"
        try:
            return utc_text(raw)
        except ValueError:
            raise SubscriberError(f"{h[i]} is not a time: {raw[:40]!r}") from None

    def first_time(row: list, idx: tuple[int, ...]) -> tuple[str | None, str | None]:
        for i in idx:
            raw = row[i]
            if raw:
                return raw, utc(raw, i)
        return None, None

    def ip(row: list, i: int) -> str | None:
        v = row[i]
        if not v:
            return None
        if not ip_ok(v):
            v = v.strip()
            if not ip_ok(v):
                raise SubscriberError(f"{h[i]} is not an IP address: {v[:40]!r}")
        return v

    def map_row(row: list) -> tuple:
        # on purpose one function of straight-line code: it runs for every row of the file
        addr = norm(un(row[ie]) if un else row[ie])
        if iname is not None:
            name = clean(un(row[iname]) if un else row[iname])
        elif ifirst is not None:
            name = clean(f"{row[ifirst]} {row[ilast]}" if ilast is not None else row[ifirst])
        else:
            name = ""
        st = const_status or status(row)
        if i_created is not None:
            c_raw = row[i_created]
            c_at = utc(c_raw, i_created) if c_raw else None
        else:
            c_raw, c_at = first_time(row, created) if created else (None, None)
        if i_confirmed is not None:
            f_raw = row[i_confirmed]
            f_at = utc(f_raw, i_confirmed) if f_raw else None
        else:
            f_raw, f_at = first_time(row, confirmed) if confirmed else (None, None)
        u_at = first_time(row, unsub)[1] if unsub else None
        o_ip = ip(row, i_oip) if i_oip is not None else None
        f_ip = ip(row, i_cip) if i_cip is not None else None
        if i_text is not None and row[i_text]:
            text = un(row[i_text]) if un else row[i_text]
            if len(text) > MAX_TEXT:
                raise SubscriberError(f"{h[i_text]} is longer than {MAX_TEXT} characters")
        elif (c_raw or f_raw) and not exact:
            text = prefix
            if c_raw:
                text += f", subscribed {c_raw.strip()} from {o_ip}" if o_ip else f", subscribed {c_raw.strip()}"
            if f_raw:
                text += f", confirmed {f_raw.strip()} from {f_ip}" if f_ip else f", confirmed {f_raw.strip()}"
        else:
            text = prefix
        if plain_attrs:
            parts = [k + enc(row[i]) for k, i in attrs if row[i]]
            extra = "{" + ",".join(parts) + "}" if parts else None
            if extra is not None and len(extra) > MAX_TEXT:
                _check_sizes({k: row[i] for k, i in spec.attributes if row[i]})
        elif attrs or i_json is not None:
            extra = {k: row[i] for k, i in spec.attributes if row[i]}
            if i_json is not None and row[i_json]:
                extra = _merge_json(extra, un(row[i_json]) if un else row[i_json], h[i_json])
            extra = _check_sizes(extra) if extra else None
        else:
            extra = None
        created_at = c_at or f_at or now
        if exact:
            confirmed_at = f_at or (now if st == "active" else None)
        elif st == "pending":
            confirmed_at = None
        else:
            confirmed_at = f_at or c_at or now
        if u_at is None and st == "unsubscribed" and not exact:
            u_at = now
        consent_at = f_at or c_at or now
        src, ua = "import", None
        if i_cat is not None and row[i_cat]:
            consent_at = utc(row[i_cat], i_cat)
        if i_src is not None:
            src = (un(row[i_src]) if un else row[i_src]).strip().lower() or "import"
            if src not in CONSENT_SOURCES:
                raise SubscriberError(f"consent_source must be one of {', '.join(CONSENT_SOURCES)}, got {src[:20]!r}")
        if i_ua is not None and row[i_ua]:
            ua = un(row[i_ua]) if un else row[i_ua]
            if "\r" in ua or "\n" in ua or len(ua) > MAX_USER_AGENT:
                raise SubscriberError(f"consent_user_agent must be one line of at most {MAX_USER_AGENT} characters")
        return (addr, name, st, created_at, confirmed_at, u_at, src, f_ip or o_ip, ua, text, consent_at, extra)

    return map_row


def _check_sizes(extra: dict) -> str:
    """The attributes as JSON, or SubscriberError when a value or the whole is too long."""
    for k, v in extra.items():
        if isinstance(v, str) and len(v) > MAX_TEXT:
            raise SubscriberError(f"{k} holds more than {MAX_TEXT} characters")
    text = json.dumps(extra, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_ATTRIBUTES:
        raise SubscriberError(f"the extra columns hold more than {MAX_ATTRIBUTES} characters")
    return text


def _merge_json(extra: dict | None, text: str, column: str) -> dict | None:
    text = text.strip()
    if text in ("", "{}", "null"):
        return extra
    try:
        value = json.loads(text)
    except ValueError:
        raise SubscriberError(f"{column} is not a JSON object: {text[:40]!r}") from None
    if not isinstance(value, dict):
        raise SubscriberError(f"{column} is not a JSON object: {text[:40]!r}")
    return {**(extra or {}), **value}
