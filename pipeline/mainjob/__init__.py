"""The main job (`linkletter run`, `python -m scheduler`): what is left running on a server.

- ``jobs.py``: the scheduled work (collect and assemble, send due drafts, build) and the state
  one main-job process owns (:class:`~pipeline.mainjob.jobs.MainJob`);
- ``schedule.py``: APScheduler wiring, jobs kept in the newsletter's database;
- ``server.py``: the scheduler and the web server in one process, with clean SIGTERM.

The top-level ``scheduler.py`` is only an entry point onto ``linkletter run``; nothing in the
package imports it."""
