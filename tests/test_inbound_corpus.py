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
