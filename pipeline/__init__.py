"""Linkletter: a publishing pipeline for link-roundup newsletters (collect, draft, render,
send and serve). The README's Layout section maps the stages to the folders here."""

__version__ = "0.1.0"  # the one place the version is written; pyproject.toml reads it
