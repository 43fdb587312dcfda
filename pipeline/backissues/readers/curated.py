"""Curated's issues as its API returns them (GET /api/v1/publications/:id/issues/:number),
one JSON object per file or a list of them: ``number``, ``title``, ``summary`` (HTML),
``url``, ``published_at``, and ``categories`` each with ``name`` and ``items``; an item of
type "Link" has ``title``, ``url``, ``description`` (HTML); a "Text" item has only the
description. Each category becomes a heading, each link item its title as a link and its
description below (blockquotes in it stay quotes)."""

from __future__ import annotations

import json

from pipeline.backissues.markdown import html_to_markdown
from pipeline.backissues.readers.common import Container, ExportError, OldIssue, parse_date
from pipeline.collect.urls import is_web_url
from pipeline.draft.blocks import escape_inline, link_destination


def _json_names(container: Container) -> list[str]:
    names = [container.path.name] if container.is_single_file else container.names()
    return [n for n in names if n.lower().endswith(".json")]


def _load(container: Container, name: str):
    try:
        return json.loads(container.read_text(name))
    except ValueError as e:
        raise ExportError(f"{container.label}: {name} is not JSON ({e})") from None


def recognises(container: Container) -> bool:
    for name in _json_names(container)[:3]:
        try:
            data = json.loads(container.read_text(name))
        except ValueError:
            continue
        first = data[0] if isinstance(data, list) and data else data
        if isinstance(first, dict) and "categories" in first and "number" in first:
            return True
    return False


def _markdown(issue: dict) -> str:
    parts = [html_to_markdown(issue.get("summary") or "")]
    for category in issue.get("categories") or []:
        if category.get("name"):
            parts.append(f"## {escape_inline(category['name'])}\n")
        for item in category.get("items") or []:
            url, heading = (item.get("url") or "").strip(), (item.get("title") or "").strip()
            if heading and is_web_url(url):
                parts.append(f"### [{escape_inline(heading)}]({link_destination(url)})\n")
            elif heading:
                parts.append(f"### {escape_inline(heading)}\n")
            parts.append(html_to_markdown(item.get("description") or ""))
    return "\n".join(p for p in parts if p.strip())


def read(container: Container, *, title: str | None = None, **_options) -> list[OldIssue]:
    out = []
    for name in _json_names(container):
        data = _load(container, name)
        for n, issue in enumerate(data if isinstance(data, list) else [data], start=1):
            where = f"{name} issue {n}"
            if not isinstance(issue, dict) or not isinstance(issue.get("number"), int):
                raise ExportError(f"{where}: not a Curated issue (no number)")
            heading = (issue.get("title") or "").strip() or f"#{issue['number']}"
            if title and title.lower() not in heading.lower():
                continue
            out.append(OldIssue(key=(issue.get("url") or "").strip() or f"curated:{issue['number']}", title=heading,
                                date=parse_date(issue.get("published_at"), where), body=_markdown(issue),
                                number=issue["number"], where=where))
    return out
