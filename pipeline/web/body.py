"""Reading request bodies, bounded in size and time, without spooling anything to disk.

``read_body`` counts the bytes as they come from the ASGI ``receive()``, whatever
``Content-Length`` says (a chunked body has none), and stops past the limit; it also gives
up when the whole body has not arrived within ``BODY_TIMEOUT`` seconds (a slowly dripping
body). The parsers work on those bounded bytes in memory: urlencoded forms with the
standard library, ``multipart/form-data`` (only where a client may send it: RFC 8058
one-click unsubscribe) with python-multipart's streaming parser, JSON with its nesting
bounded before ``json.loads`` could recurse.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request

BODY_TIMEOUT = 10.0
MAX_FIELDS = 20
MAX_JSON_DEPTH = 20


class BodyError(HTTPException):
    """The body cannot be used; ``status_code`` says why (400, 408, 413, 415)."""

    def __init__(self, status_code: int, reason: str):
        super().__init__(status_code, reason)
        self.reason = reason


async def read_body(request: Request, limit: int, timeout: float = BODY_TIMEOUT) -> bytes:
    """At most ``limit`` bytes of the body, read from the stream; BodyError(413) past it,
    BodyError(408) when it takes longer than ``timeout``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyError(413, "request too large")
    try:
        return await asyncio.wait_for(_read(request, limit), timeout)
    except asyncio.TimeoutError:
        raise BodyError(408, "the request body took too long") from None


async def _read(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyError(413, "request too large")
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def parse_urlencoded(body: bytes) -> dict[str, str]:
    """A urlencoded form as a dict (the first value of a name wins); BodyError(400) if broken."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise BodyError(400, "the form is not valid") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def parse_multipart(request: Request, body: bytes) -> dict[str, str]:
    """A small ``multipart/form-data`` body, parsed in memory (files are read as text fields)."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise BodyError(400, "the form is not valid")
    form: dict[str, str] = {}
    part: dict[str, object] = {}

    def on_header_field(data, start, end):
        part["field"] = part.get("field", b"") + data[start:end]

    def on_header_value(data, start, end):
        part["value"] = part.get("value", b"") + data[start:end]

    def on_header_end():
        if bytes(part.pop("field", b"")).lower() == b"content-disposition":
            part["name"] = parse_options_header(bytes(part.get("value", b"")))[1].get(b"name", b"")
        part.pop("value", None)

    def on_part_data(data, start, end):
        part["data"] = part.get("data", b"") + data[start:end]

    def on_part_end():
        if len(form) >= MAX_FIELDS:
            raise BodyError(400, "the form has too many fields")
        name = bytes(part.get("name", b"")).decode("utf-8", "replace")
        form.setdefault(name, bytes(part.get("data", b"")).decode("utf-8", "replace"))
        part.clear()

    callbacks = dict(on_header_field=on_header_field, on_header_value=on_header_value,
                     on_header_end=on_header_end, on_part_data=on_part_data, on_part_end=on_part_end)
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except BodyError:
        raise
    except Exception:  # noqa: BLE001 (python-multipart raises several kinds for a broken body)
        raise BodyError(400, "the form is not valid") from None
    return form


async def read_form(request: Request, limit: int, *, multipart: bool = False) -> dict[str, str]:
    """The bounded body as a form: urlencoded (or no body at all), and multipart where allowed."""
    body = await read_body(request, limit)
    kind = media_type(request)
    if kind == "multipart/form-data" and multipart:
        return parse_multipart(request, body)
    if kind in ("application/x-www-form-urlencoded", "") or not body:
        return parse_urlencoded(body)
    raise BodyError(415, "send the form as application/x-www-form-urlencoded")


def parse_json(body: bytes) -> object:
    """JSON from bounded bytes; nesting deeper than MAX_JSON_DEPTH is refused before parsing."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, "the body is not UTF-8") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise BodyError(400, "the JSON is nested too deeply")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise BodyError(400, "the body is not valid JSON") from None


def _depth(text: str) -> int:
    """The deepest bracket nesting outside strings (an upper bound of what json.loads recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest
