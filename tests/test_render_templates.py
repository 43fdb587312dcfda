"""Template lookup, shipped or overriding: an unreadable or missing template is an error that
names the file and where it was looked for, never a traceback (through the real CLI too)."""

from __future__ import annotations

import pytest

from pipeline.render import templates
from pipeline.render.templates import TemplateError
from pipeline.templates import FOLDER


def test_the_shipped_templates_are_found_in_the_package(nl):
    assert templates.template_path(nl.settings, "email/issue.mjml") == FOLDER / "email" / "issue.mjml"
    assert (FOLDER / "web" / "subscribe.html").is_file() and (FOLDER / "site" / "feed.xml").is_file()


def test_an_override_that_is_not_text_names_its_file(nl):
    own = nl.settings.templates_dir / "site"
    own.mkdir(parents=True)
    (own / "index.html").write_bytes(b"<h1>\xff\xfe broken</h1>")
    with pytest.raises(TemplateError) as e:
        templates.render(nl.settings, "site/index.html", issues=[])
    assert str(e.value).startswith(f"{own / 'index.html'}: cannot read the template 'site/index.html': not UTF-8")


def test_a_missing_template_says_where_it_was_looked_for(nl):
    with pytest.raises(TemplateError) as e:
        templates.render(nl.settings, "site/nosuch.html")
    assert str(nl.settings.templates_dir) in str(e.value) and str(FOLDER) in str(e.value)


def test_the_cli_reports_a_broken_override_without_a_traceback(nl_dir, cli):
    own = nl_dir / "templates" / "site"
    own.mkdir(parents=True)
    (own / "index.html").write_bytes(b"\xff")
    proc = cli("--dir", str(nl_dir), "build", check=False)
    assert proc.returncode == 1
    assert f"{own / 'index.html'}: cannot read the template" in proc.stderr
    assert "Traceback" not in proc.stderr
