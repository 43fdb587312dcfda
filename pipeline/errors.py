"""Errors a person can act on. The CLI prints their message and exits with status 1."""


class LinkletterError(Exception):
    """Base of every error whose message is meant for the author or operator."""


class SourceError(LinkletterError):
    """A feed or page could not be fetched or read."""


class DraftError(LinkletterError):
    """A draft cannot be parsed. The message starts with 'file:line:'."""

    def __init__(self, path, line: int | None, message: str):
        self.path, self.line, self.reason = path, line, message
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {message}")
