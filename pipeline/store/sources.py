"""Queries on the ``sources`` table. Each function takes the session it works in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from pipeline.models import Link, Source


def source_by_url(s: Session, url: str) -> Source | None:
    # url is unique: the exact string the author gave is the identity of a feed
    return s.exec(select(Source).where(Source.url == url)).first()


def get_source(s: Session, source_id: int) -> Source | None:
    # by primary key, through the identity map
    return s.get(Source, source_id)


def all_sources(s: Session) -> list[Source]:
    # in the order they were added, so ids read in order in `sources list`
    return list(s.exec(select(Source).order_by(Source.id)))


def insert_source(s: Session, url: str, name: str, mode: str, kind: str = "feed") -> Source:
    # flushed at once so the caller has the id
    src = Source(url=url, name=name, mode=mode, kind=kind)
    s.add(src)
    s.flush()
    return src


def delete_source(s: Session, source_id: int) -> bool:
    # Links found through the source stay (they may be picked or in an issue): detach them first,
    # in one UPDATE, so the foreign key allows the DELETE.
    src = s.get(Source, source_id)
    if src is None:
        return False
    s.execute(update(Link).where(Link.source_id == source_id).values(source_id=None))
    s.delete(src)
    s.flush()
    return True


def record_poll(s: Session, source_id: int, *, at: datetime, error: str | None,
                etag: str | None = None, last_modified: str | None = None, new_validators: bool = False,
                cursor: str | None = None) -> None:
    # One UPDATE per poll, written by the collecting thread only. The validators (ETag,
    # Last-Modified) change only after a body was parsed successfully: storing them for a
    # feed that failed to parse would turn every later poll into a 304 for a body never read.
    values: dict = {"last_polled_at": at}
    if error is None:
        values["last_success_at"] = at
        if new_validators:
            values["etag"] = etag
            values["last_modified"] = last_modified
        if cursor is not None:  # a highlight service's position, advanced with the entries it found
            values["cursor"] = cursor
    else:
        values["last_error"] = error[:1000]
        values["last_error_at"] = at
    s.execute(update(Source).where(Source.id == source_id).values(**values))
