"""A hostile draft is refused with its file and line before any parser or native renderer
sees it (issue #12, item 11): a YAML alias bomb, oversized front matter, quotes nested a
thousand or fifty thousand deep, twenty thousand unclosed <b>, a run of emphasis marks.
The command line answers with a draft error (no traceback, no crash), the web preview with
a 422 naming the file and line, and the server goes on serving."""

from __future__ import annotations

import httpx
import pytest

from pipeline.draft.bounds import MAX_NESTING
from pipeline.draft.format import parse_draft, read_draft
from pipeline.errors import DraftError
from pipeline.render import markdown
from pipeline.web.app import create_app
from tests.conftest import clean_env, run_cli
from tests.test_web import LiveServer, _open

HEAD = "---\nissue: 9\ntitle: Hostile\nstatus: draft\n---\nAn intro.\n\n"  # the body starts on line 6
BOMB = ("---\nissue: 9\ntitle: Bomb\n"
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\nBody\n")

HOSTILE = {
    "quotes-1000": (HEAD + ">" * 1000 + " deep\n", 8, "nested more than"),
    "quotes-50000": (HEAD + ">" * 50000 + " deep\n", 8, "nested more than"),
    "bold-20000": (HEAD + "Text " + "<b>" * 20000 + "end\n", 8, "HTML elements are nested"),
    "emphasis": (HEAD + "*" * 5000 + "x" + "*" * 5000 + "\n", 8, "in a row"),
    "list-indent": (HEAD + "".join("  " * i + "- item\n" for i in range(300)), 8 + 4 * MAX_NESTING // 2, "nested"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_deep_nesting_is_a_draft_error_with_its_line(tmp_path, name):
    text, line, reason = HOSTILE[name]
    path = tmp_path / "009-hostile.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DraftError) as e:
        read_draft(path)
    assert e.value.path == path and reason in str(e.value)
    if name != "list-indent":
        assert e.value.line == line
    else:  # the first line past the limit, somewhere down the list
        assert 8 < e.value.line < 8 + 300


def test_markdown_parse_refuses_deep_nesting_itself():
    with pytest.raises(markdown.TooDeep) as e:
        markdown.parse("ok\n\n" + ">" * 2000 + " x\n")
    assert e.value.line == 3


def test_nesting_a_newsletter_writes_is_fine(tmp_path):
    body = "> a quote\n> > quoted inside\n> - a list in it\n>   - nested\n\n<div><table><tr><td><b>x</b></td></tr></table></div>\n"
    draft = parse_draft(HEAD + body + "*" * 40 + "\n\n---\n\n***\n", tmp_path / "009-ok.md")
    assert "<blockquote>" in markdown.render_html(draft.body)


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    path = tmp_path / "009-bomb.md"
    path.write_text(BOMB, encoding="utf-8")
    with pytest.raises(DraftError) as e:
        read_draft(path)
    assert e.value.line == 5 and "aliases" in str(e.value)


def test_oversized_front_matter_is_refused(tmp_path):
    path = tmp_path / "009-big.md"
    path.write_text("---\nissue: 9\ntitle: Big\n" + "# padding\n" * 5000 + "---\nBody\n", encoding="utf-8")
    with pytest.raises(DraftError) as e:
        read_draft(path)
    assert "front matter is" in str(e.value) and e.value.line == 2


@pytest.mark.parametrize("name", ["quotes-50000", "bold-20000"])
def test_the_command_line_answers_with_the_file_and_line(nl_dir, name):
    text, line, _reason = HOSTILE[name]
    (nl_dir / "drafts" / "009-hostile.md").write_text(text, encoding="utf-8")
    for command in (["render", "9"], ["check", "--no-fetch", "9"]):
        proc = run_cli("--dir", str(nl_dir), *command, env=clean_env(), check=False)
        assert proc.returncode == 1, (command, proc.returncode, proc.stderr)
        assert f"009-hostile.md:{line}:" in proc.stderr and "Traceback" not in proc.stderr


def test_the_preview_answers_422_and_the_server_lives_on(nl_dir):
    text, line, _reason = HOSTILE["bold-20000"]
    (nl_dir / "drafts" / "009-hostile.md").write_text(text, encoding="utf-8")
    nl = _open(nl_dir)
    try:
        with LiveServer(create_app(nl)) as server, httpx.Client(base_url=server.url, timeout=30) as client:
            for url in ("/preview/9/email", "/preview/9"):
                r = client.get(url)
                assert r.status_code == 422 and f"009-hostile.md:{line}:" in r.text
            assert client.get("/").status_code < 500  # still serving
    finally:
        nl.close()
