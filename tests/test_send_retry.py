"""Temporary failures (4xx) are retried long enough for greylisting (5 to 15 minutes), and a
delivery gives up by the time since its first attempt, not after a few fast tries."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.models import Delivery
from pipeline.newsletter import open_newsletter
from pipeline.send.campaign import SendOptions, send_issue
from pipeline.send.workers import retry_delay
from tests.smtp_behaviours import Recording, add_subscribers, server_with, write_draft


def _schedule(options: SendOptions) -> list[float]:
    """When each retry comes, in seconds after the first attempt."""
    at, times, attempts = 0.0, [], 0
    while (delay := retry_delay(options, attempts)) is not None:
        at += delay
        times.append(at)
        attempts += 1
    return times


def test_the_default_retries_outlast_greylisting_and_stop_within_the_hour():
    times = _schedule(SendOptions())
    assert times[-1] > 30 * 60 and times[-1] <= 3600  # the window is used, never exceeded
    assert any(5 * 60 <= t <= 10 * 60 for t in times) and any(15 * 60 <= t <= 20 * 60 for t in times)
    assert all(b - a <= SendOptions().retry_max for a, b in zip(times, times[1:]))


def test_the_window_not_the_attempt_count_decides_when_to_give_up():
    fast = SendOptions(retry_base=0.05, retry_max=0.4, retry_window=1.0, max_attempts=100)
    times = _schedule(fast)
    assert times[-1] <= 1.0 and times[-1] + 0.4 > 1.0  # one more wait would pass the window
    assert len(_schedule(SendOptions(retry_base=0.05, retry_max=0.4, retry_window=2.0, max_attempts=100))) > len(times)
    assert len(_schedule(SendOptions(retry_base=0.05, retry_window=3600, max_attempts=3))) == 2  # the safety cap


class AlwaysGreylist(Recording):
    def __init__(self) -> None:
        super().__init__()
        self.tries = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.tries += 1
        return "451 4.7.1 greylisted, try again later"


def test_a_delivery_that_keeps_failing_temporarily_gives_up_when_its_window_is_over(nl_dir):
    draft = write_draft(nl_dir)
    handler = AlwaysGreylist()
    # waits 0.05, 0.1, 0.2 (0.35 s in all); the next (0.4) would end past the 0.6 s window
    options = SendOptions(retry_base=0.05, retry_window=0.6, poll=0.02, connect_attempts=2, timeout=10)
    with server_with(handler) as smtp:
        nl = open_newsletter(nl_dir, env={"LINKLETTER_SMTP_URL": smtp.url})
        add_subscribers(nl.engine, 1)
        report = send_issue(nl, draft, force=True, options=options)
    with nl.engine.connect() as conn:
        (row,) = conn.execute(select(Delivery.__table__)).all()
    assert report.finished and report.failed == 1 and report.sent == 0
    assert handler.tries == 4 and row.state == "failed" and row.attempts == 4
    assert row.last_error.startswith("gave up after 4 attempts") and "451" in row.last_error
