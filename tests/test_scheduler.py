"""The main job's scheduling (pipeline/mainjob/schedule.py) and the scheduler.py entry point: jobs are added once and keep their next run times across restarts; missed
runs coalesce within the grace time; one instance per job; schedules come from the config."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

import scheduler
from pipeline.mainjob import schedule
from pipeline.newsletter import open_newsletter
from pipeline.store.jobs import next_run_times


def _boot(nl, now: datetime | None = None):
    s = schedule.make_scheduler(nl)
    s.start(paused=True)
    schedule.install_jobs(s, nl, now=now)
    return s


def _set_next_run_while_down(nl, job_id: str, when: datetime) -> None:
    """What downtime looks like in the job store: a next run time that has passed."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    offline = schedule.make_scheduler(nl)
    store = SQLAlchemyJobStore(engine=nl.engine)
    store.start(offline, "default")
    job = store.lookup_job(job_id)
    job.next_run_time = when
    store.update_job(job)


def test_jobs_are_added_once_and_keep_their_next_run_across_restarts(nl_dir):
    nl = open_newsletter(nl_dir, env={"LINKLETTER_SCHEDULE": json.dumps({"collect": "30m", "send": "1m", "grace": "2h"})})
    try:
        started = datetime.now(timezone.utc)
        s = _boot(nl, now=started)
        collect = s.get_job("collect")
        assert collect.func_ref == "pipeline.mainjob.jobs:collect_job" and collect.args == (str(nl_dir),)
        assert (collect.coalesce, collect.max_instances, collect.misfire_grace_time) == (True, 1, 7200)
        first_next = collect.next_run_time
        assert abs(first_next - (started + timedelta(minutes=30))) < timedelta(milliseconds=1)
        s.shutdown(wait=False)

        # a restart an hour later: a replaced job would be due 30 minutes after the restart
        s = _boot(nl, now=started + timedelta(hours=1))
        assert s.get_job("collect").next_run_time == first_next
        assert sorted(j.id for j in s.get_jobs()) == ["collect", "send"]
        s.shutdown(wait=False)

        # the process was down when the collect was due: the restart keeps the missed run,
        # which APScheduler then runs once (coalesce) since it is within the grace time
        missed = datetime.now(timezone.utc) - timedelta(hours=1)
        _set_next_run_while_down(nl, "collect", missed)
        s = _boot(nl)
        assert abs(s.get_job("collect").next_run_time - missed) < timedelta(milliseconds=1)
        s.shutdown(wait=False)
    finally:
        nl.close()


def test_a_changed_schedule_in_the_config_is_applied_on_restart(nl_dir):
    nl = open_newsletter(nl_dir, env={})
    s = _boot(nl)
    assert isinstance(s.get_job("collect").trigger, IntervalTrigger)
    s.shutdown(wait=False)
    nl.close()
    nl = open_newsletter(nl_dir, env={"LINKLETTER_SCHEDULE": json.dumps({"collect": "0 7 * * 1"})})
    try:
        s = _boot(nl)
        trigger = s.get_job("collect").trigger
        assert isinstance(trigger, CronTrigger) and "day_of_week='1'" in str(trigger) and "hour='7'" in str(trigger)
        s.shutdown(wait=False)
    finally:
        nl.close()


def test_the_send_check_runs_at_every_start(nl_dir):
    nl = open_newsletter(nl_dir, env={})
    try:
        s = _boot(nl)
        s.modify_job("send", next_run_time=datetime.now(timezone.utc) + timedelta(hours=5))
        s.shutdown(wait=False)
        s = _boot(nl)
        assert s.get_job("send").next_run_time <= datetime.now(timezone.utc)
        s.shutdown(wait=False)
    finally:
        nl.close()


def test_python_scheduler_py_takes_dir_in_both_forms(tmp_path, monkeypatch):
    seen = []
    import pipeline.cli.run

    monkeypatch.setattr(pipeline.cli.run, "main", lambda args, prog_name: seen.append(args))
    scheduler.main(["--dir", "/srv/letter", "--port", "9000"])
    scheduler.main(["--port", "9000", "--dir=/srv/letter"])
    assert seen == [["--dir", "/srv/letter", "run", "--port", "9000"], ["--dir=/srv/letter", "run", "--port", "9000"]]


def test_a_job_stored_by_a_release_with_the_old_job_module_is_replaced(nl_dir):
    """Before pipeline/mainjob/, the job functions were pipeline.jobs:*; such a stored job could
    not be restored and must not break the start."""
    import pickle

    from sqlalchemy import text

    nl = open_newsletter(nl_dir, env={})
    try:
        s = _boot(nl)
        s.shutdown(wait=False)
        with nl.engine.begin() as conn:
            state = pickle.loads(conn.execute(text("SELECT job_state FROM apscheduler_jobs WHERE id='collect'")).scalar())
            state["func"] = "pipeline.jobs:collect_job"
            conn.execute(text("UPDATE apscheduler_jobs SET job_state = :s WHERE id='collect'"),
                         {"s": pickle.dumps(state)})
        s = _boot(nl)
        assert s.get_job("collect").func_ref == "pipeline.mainjob.jobs:collect_job"
        s.shutdown(wait=False)
    finally:
        nl.close()
