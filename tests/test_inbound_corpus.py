"""The bounce corpus (../shared/corpus/bounces: 117 real bounces, DSNs and the non-standard
formats of many MTAs, collected by flufl.bounce, with expected.json naming each message's
permanently and temporarily failed addresses), every message through the real `linkletter
inbound` command as an MTA pipe would call it. The figure is recorded in docs/inbound.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline.models import MailEvent, Subscriber
from pipeline.newsletter import open_newsletter
from pipeline.subscribers import SubscriberError, add_subscriber, normalize_email
from tests.conftest import ROOT, run_cli

CORPUS = ROOT.parent / "shared" / "corpus" / "bounces"
# messages whose permanent failure is a full mailbox or a 4.x.x that the MTA gave up on: the
# issue's rule makes them soft bounces (suppressed after soft_bounce_limit), not hard ones
SOFT_BY_RULE = {"dsn_01.txt": "5.0.0 (recipient reached disk quota)", "dsn_02.txt": "4.4.7 (message timed out)"}
EXACT_AT_LEAST = 115  # of 117: the figure in docs/inbound.md

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared bounce corpus is not at {CORPUS}")


def _expected() -> dict[str, dict[str, list[str]]]:
    exp = json.loads((CORPUS / "expected.json").read_text())
    # bounce_01.txt and dumbass_01.txt have no entry: list traffic and a bounce naming no address
    return {p.name: exp.get(p.name, {"permanent": [], "temporary": []}) for p in sorted(CORPUS.glob("*.txt"))}


def _norm(addr: str) -> str | None:
    try:
        return normalize_email(addr)
    except SubscriberError:
        return None


def test_every_corpus_message_through_linkletter_inbound(nl_dir):
    expected = _expected()
    assert len(expected) == 117
    with open(nl_dir / "linkletter.toml", "a") as f:
        f.write("soft_bounce_limit = 100\n")  # per message: what this one report does
    nl = open_newsletter(nl_dir, env={})
    everyone = {a for e in expected.values() for a in (*e["permanent"], *e["temporary"])}
    ids = {}
    for addr in sorted(filter(None, map(_norm, everyone))):
        ids[addr] = add_subscriber(nl, addr).subscriber.id
    exact, last_event = 0, 0
    for name, exp in expected.items():
        with nl.engine.begin() as conn:  # every message meets active subscribers
            conn.execute(update(Subscriber.__table__).values(status="active"))
        proc = run_cli("--dir", str(nl_dir), "inbound", input=(CORPUS / name).read_bytes(), check=False)
        assert proc.returncode == 0, (name, proc.stdout, proc.stderr)
        with nl.session() as s:
            events = s.scalars(select(MailEvent).where(MailEvent.id > last_event)).all()
            statuses = dict(s.execute(select(Subscriber.email, Subscriber.status)).all())
        assert events, name  # every message leaves a record
        last_event = max(e.id for e in events)
        hard = {e.address for e in events if e.kind == "hard_bounce"}
        soft = {e.address for e in events if e.kind == "soft_bounce"}
        permanent = {_norm(a) for a in exp["permanent"]} - {None}
        temporary = {_norm(a) for a in exp["temporary"]} - {None}
        assert permanent <= hard | soft, (name, permanent, events)  # recognised, with its address
        assert not temporary & hard, (name, temporary & hard)  # no temporary one treated as permanent
        suppressed = {a for a, st in statuses.items() if st != "active"}
        assert suppressed <= permanent, (name, suppressed)  # nobody else suppressed, non-bounces none
        assert suppressed == hard & permanent, name  # a hard bounce suppresses at once, by its address
        if hard == permanent:
            exact += 1
        elif name in SOFT_BY_RULE:
            assert soft == permanent and not hard, (name, events)
    nl.close()
    assert exact >= EXACT_AT_LEAST, exact


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from pipeline.inbound.classify import classify  # noqa: E402

_SAMPLES = [(CORPUS / n).read_bytes() for n in ("postfix_01.txt", "dsn_03.txt", "qmail_01.txt", "yahoo_01.txt")] \
    if CORPUS.is_dir() else [b""]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SAMPLES), st.integers(0, 5000), st.binary(max_size=200), st.integers(0, 200))
def test_classify_never_raises_on_damaged_real_bounces(sample, at, junk, cut):
    """Real bounces cut, spliced with junk bytes and truncated: a reading, never an exception,
    and every address it reports is one that stood in the message."""
    data = sample[:at] + junk + sample[at + cut:]
    reading = classify(data)
    for f in reading.findings:
        assert f.address is None or f.address.split("@")[0].encode() in data.lower()
