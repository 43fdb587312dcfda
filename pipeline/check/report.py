"""The outcome of a check: findings (errors and warnings, each with its draft line), the
verdict on every quote and the status of every link; as readable text and as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VERDICTS = ("verified", "not_found", "source_unreachable", "no_source")


@dataclass
class Finding:
    severity: str  # 'error' | 'warning'
    kind: str  # 'quote' | 'link' | 'hygiene' | 'email'
    code: str  # e.g. 'quote-not-found', 'link-dead', 'link-redirect', 'subject-long'
    line: int | None
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class QuoteResult:
    line: int
    text: str
    source_url: str | None
    verdict: str  # one of VERDICTS
    source_origin: str = "none"  # where the text came from: 'stored' | 'fetched' | 'none'
    missing_part: str | None = None  # the (normalized) part of the quote not found
    closest_passage: str | None = None  # what the source says instead
    similarity: float | None = None
    reason: str | None = None  # why there is no source text
    inline: bool = False  # a quotation in the author's prose, not a blockquote


@dataclass
class LinkResult:
    url: str
    line: int
    text: str
    checked: bool = False
    status: int | None = None
    final_url: str | None = None
    redirects: list[int] = field(default_factory=list)
    error: str | None = None
    tracking: list[str] = field(default_factory=list)
    featured_in: list[int] = field(default_factory=list)  # earlier issue numbers
    image: bool = False


@dataclass
class CheckReport:
    draft_path: Path
    issue: int
    title: str
    quotes: list[QuoteResult] = field(default_factory=list)
    links: list[LinkResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    fetched: bool = True  # False: links were not requested, sources not fetched
    # The quoted sources as loaded (URL as cited -> check.sources.Source): the send keeps
    # these in its snapshot instead of fetching them again. Not part of the report's JSON.
    sources: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed): the issue may be sent."""
        return not self.errors

    def error_messages(self) -> list[str]:
        """One line per error, ``file:line: message``: what a refused send shows."""
        return [f"{self.draft_path.name}:{f.line}: {f.message}" if f.line else f"{self.draft_path.name}: {f.message}"
                for f in self.errors]

    def to_dict(self) -> dict[str, Any]:
        return {
            "draft": str(self.draft_path),
            "issue": self.issue,
            "title": self.title,
            "ok": self.ok,
            "fetched": self.fetched,
            "summary": {"errors": len(self.errors), "warnings": len(self.warnings),
                        "quotes": {v: sum(q.verdict == v for q in self.quotes) for v in VERDICTS},
                        "links": len(self.links)},
            "errors": [asdict(f) for f in self.errors],
            "warnings": [asdict(f) for f in self.warnings],
            "quotes": [asdict(q) for q in self.quotes],
            "links": [asdict(link) for link in self.links],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=str)

    def to_text(self) -> str:
        return render_text(self)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_text(report: CheckReport) -> str:
    """Compiler-style lines (``file:line: error: message``, which editors can jump to), details
    indented below, then a summary."""
    path = report.draft_path
    try:
        path = path.relative_to(Path.cwd())
    except ValueError:
        pass
    out = [f"{path}: issue {report.issue}, {report.title or '(no title)'}"]
    counts = {v: sum(q.verdict == v for q in report.quotes) for v in VERDICTS}
    out.append(f"  quotes: {len(report.quotes)} ({counts['verified']} verified, {counts['not_found']} not found, "
               f"{counts['source_unreachable']} source unreachable, {counts['no_source']} without source)")
    if report.fetched:
        checked = [link for link in report.links if link.checked]
        dead = sum(1 for link in checked if link.error or (link.status or 0) >= 400)
        moved = sum(1 for link in checked if link.redirects)
        out.append(f"  links: {len(report.links)} ({len(checked)} requested, {dead} failing, {moved} redirected)")
    else:
        out.append(f"  links: {len(report.links)} (not requested: fetching is off)")
    findings = sorted(report.findings, key=lambda f: (f.line or 0, f.severity != "error"))
    if findings:
        out.append("")
    for f in findings:
        where = f"{path}:{f.line}" if f.line else f"{path}"
        out.append(f"{where}: {f.severity}: {f.message}")
        d = f.details
        if f.code == "quote-not-found":
            out.append(f"    quote:   {_short(d.get('quote', ''))}")
            if d.get("closest_passage"):
                out.append(f"    source:  {_short(d['closest_passage'])}  "
                           f"(similarity {round(100 * (d.get('similarity') or 0))}%)")
            else:
                out.append("    source:  (no similar passage)")
    out.append("")
    ne, nw = len(report.errors), len(report.warnings)
    verdict = "ready to send" if report.ok else "not ready to send"
    out.append(f"{ne} error{'s' * (ne != 1)}, {nw} warning{'s' * (nw != 1)}: {verdict}.")
    return "\n".join(out)
