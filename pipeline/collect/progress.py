"""How a long collect shows it is alive: a progress bar on a terminal, log lines otherwise."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class Progress(Protocol):
    def add_total(self, n: int) -> None: ...
    def step(self, message: str) -> None: ...
    def close(self) -> None: ...


class LogProgress:
    """One line per finished request: '[12/40] ok https://...'."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.total = 0
        self.done = 0

    def add_total(self, n: int) -> None:
        self.total += n

    def step(self, message: str) -> None:
        self.done += 1
        print(f"[{self.done}/{self.total}] {message}", file=self.stream, flush=True)

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar whose total grows as feeds bring new pages to fetch."""

    def __init__(self, stream: TextIO | None = None):
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit="req", file=stream or sys.stderr, dynamic_ncols=True, leave=False)

    def add_total(self, n: int) -> None:
        self.bar.total += n
        self.bar.refresh()

    def step(self, message: str) -> None:
        self.bar.set_postfix_str(message[:60], refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def for_stream(stream: TextIO | None = None) -> Progress:
    """A bar when the stream is a terminal, plain lines when it is a file or a pipe."""
    stream = stream or sys.stderr
    return BarProgress(stream) if stream.isatty() else LogProgress(stream)
