"""The numbers (issue 17): subscribers over time, per-issue send figures, where subscribers
came from, as plain dataclasses (:mod:`pipeline.stats.figures`) and server-drawn SVG charts
(:mod:`pipeline.stats.svg`); and the privacy-first click counts (:mod:`pipeline.stats.clicks`).
The desk's pages and ``linkletter stats`` are thin over these."""

from pipeline.stats.figures import (IssueFigures, LinkClicks, Origin, Week, as_json, issue_figures,
                                    subscriber_origins, subscriber_weeks)

__all__ = ["IssueFigures", "LinkClicks", "Origin", "Week", "as_json", "issue_figures", "subscriber_origins",
           "subscriber_weeks"]
