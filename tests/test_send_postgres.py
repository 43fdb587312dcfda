"""Sending on PostgreSQL: two `linkletter send` processes (as on two machines), each with two
worker processes, split 10,000 deliveries through FOR UPDATE SKIP LOCKED claims, none twice.

Runs when LINKLETTER_TEST_POSTGRES_URL points to a database on a server where this user may
create databases (`.ci/run` starts a throwaway cluster); skipped with that reason otherwise.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from sqlalchemy import select

from pipeline.models import Delivery
from pipeline.newsletter import open_newsletter
from tests.conftest import clean_env, requires_postgres
from tests.smtp_behaviours import CountingSink, add_subscribers, write_draft

pytestmark = requires_postgres


def test_two_senders_with_two_workers_each_split_10000_deliveries_none_twice(nl_dir, pg_database):
    write_draft(nl_dir)
    nl = open_newsletter(nl_dir, env={"LINKLETTER_DATABASE_URL": pg_database})
    add_subscribers(nl.engine, 10_000)
    with CountingSink() as sink:
        env = clean_env(LINKLETTER_DIR=str(nl_dir), LINKLETTER_DATABASE_URL=pg_database,
                        LINKLETTER_SMTP_URL=sink.url, LINKLETTER_SMTP_CONNECTIONS="4")
        procs = [subprocess.Popen([sys.executable, "-m", "pipeline", "send", "7", "--force", "--workers", "2"], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        got = Counter(r for r, _mid in sink.received)
        message_ids = Counter(mid for _r, mid in sink.received)
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    assert len(got) == 10_000 and set(got.values()) == {1}
    assert len(message_ids) == 10_000
    sent_by = [int(out.split("this run sent ")[1].split()[0]) for out, _err in outs]
    assert sum(sent_by) == 10_000 and min(sent_by) > 0, sent_by  # both did part of the work
    with nl.engine.connect() as conn:
        states = Counter(r[0] for r in conn.execute(select(Delivery.__table__.c.state)))
    assert states == Counter({"sent": 10_000})
    nl.close()
