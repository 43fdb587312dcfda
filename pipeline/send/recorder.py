"""Group commit: one writer thread per sending process records every outcome.

Each SMTP connection must record a message as sent before it sends the next one (so a crash
repeats at most one message per connection). With a commit per message from every connection,
SQLite's writers queue on its file lock, whose busy handler *sleeps* (milliseconds) instead of
waiting for the lock: four connections then spend most of their time asleep. Here every
connection hands its write to one thread and waits for it; the thread runs whatever has
accumulated in one transaction and wakes everyone. Same guarantee, one commit for many
messages, and no lock contention inside a process (PostgreSQL gains the fewer commits too).
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable

_STOP = object()


class _Job:
    __slots__ = ("fn", "done", "result", "error", "many")

    def __init__(self, fn: Callable[[Any], Any]):
        self.fn = fn
        self.many = False
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class Recorder:
    """``write(fn)`` runs ``fn(conn)`` in the writer's transaction and returns once committed."""

    def __init__(self, engine, max_group: int = 256):
        self.engine = engine
        self.max_group = max_group
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="send-recorder", daemon=True)
        self.thread.start()

    def write(self, fn: Callable[[Any], Any]) -> Any:
        job = _Job(fn)
        return self._wait(job)

    def write_many(self, key: Callable[[Any, list], Any], item: Any) -> None:
        """Like ``write``, but the items of all waiting jobs with the same ``key`` function are
        handed to it together as one list (one executemany for a group of 'sent' marks)."""
        job = _Job(key)
        job.result = item
        job.many = True
        self._wait(job)

    def _wait(self, job: "_Job") -> Any:
        self.jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def close(self) -> None:
        self.jobs.put(_STOP)
        self.thread.join()

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while True:
                first = self.jobs.get()
                if first is _STOP:
                    return
                group, stop = [first], False
                while len(group) < self.max_group:
                    try:
                        job = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                    if job is _STOP:
                        stop = True
                        break
                    group.append(job)
                self._commit(conn, group)
                if stop:
                    return

    def _commit(self, conn, group: list[_Job]) -> None:
        try:
            many: dict[Callable, list] = {}
            for job in group:
                if job.many:
                    many.setdefault(job.fn, []).append(job.result)
                else:
                    job.result = job.fn(conn)
            for fn, items in many.items():
                fn(conn, items)
            conn.commit()
        except BaseException:  # one bad write must not take the others down: redo them one by one
            conn.rollback()
            for job in group:
                try:
                    job.result = job.fn(conn, [job.result]) if job.many else job.fn(conn)
                    conn.commit()
                except BaseException as e:  # handed to the waiting connection thread
                    conn.rollback()
                    job.error = e
        for job in group:
            job.done.set()
