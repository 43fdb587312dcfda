"""Settings: defaults ← linkletter.toml ← LINKLETTER_* environment, errors that name key and file."""

from __future__ import annotations

import pytest

from pipeline.errors import LinkletterError
from pipeline.newsletter import init_newsletter
from pipeline.settings import SettingsError, find_root, load_settings


def test_init_writes_a_config_that_loads_with_defaults(nl_dir):
    s = load_settings(nl_dir, env={})
    assert s.title == "Weekly Reads"
    assert s.language == "en"
    assert s.base_url == "https://news.example.org"
    assert s.database_url == f"sqlite:///{nl_dir / 'linkletter.db'}"
    assert s.smtp_url == ""  # the file outbox
    assert len(s.secret_key) >= 32
    assert s.schedule.collect == "30m"
    assert s.sources == ()
    assert (nl_dir / "drafts").is_dir() and (nl_dir / "linkletter.db").is_file()


def test_init_refuses_to_overwrite(nl_dir):
    before = (nl_dir / "linkletter.toml").read_bytes()
    with pytest.raises(LinkletterError, match="already exists"):
        init_newsletter(nl_dir)
    assert (nl_dir / "linkletter.toml").read_bytes() == before


def test_two_inits_get_different_secret_keys(tmp_path):
    a = load_settings(init_newsletter(tmp_path / "a"), env={})
    b = load_settings(init_newsletter(tmp_path / "b"), env={})
    assert a.secret_key != b.secret_key


def test_environment_overrides_the_file(nl_dir):
    env = {"LINKLETTER_SMTP_URL": "smtp://relay.example.org:587", "LINKLETTER_LANGUAGE": "de",
           "LINKLETTER_BASE_URL": "https://letters.example.org/", "LINKLETTER_FEED_ITEMS": "5",
           "LINKLETTER_SOURCES": "https://a.example/feed.xml, https://b.example/atom.xml"}
    s = load_settings(nl_dir, env=env)
    assert s.smtp_url == "smtp://relay.example.org:587"
    assert s.language == "de"
    assert s.base_url == "https://letters.example.org"
    assert s.feed_items == 5
    assert [src.url for src in s.sources] == ["https://a.example/feed.xml", "https://b.example/atom.xml"]
    assert s.origin("language") == "environment variable LINKLETTER_LANGUAGE"


def _replace(nl_dir, old, new):
    p = nl_dir / "linkletter.toml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new))


def test_missing_required_key_names_key_and_file(nl_dir):
    _replace(nl_dir, 'sender = "Weekly Reads <news@example.org>"', "")
    with pytest.raises(SettingsError) as e:
        load_settings(nl_dir, env={})
    assert "'sender'" in str(e.value) and str(nl_dir / "linkletter.toml") in str(e.value)


def test_invalid_value_names_key_file_and_line(nl_dir):
    _replace(nl_dir, 'language = "en"', 'language = "fr"')
    text = (nl_dir / "linkletter.toml").read_text()
    line = text[: text.index('language = "fr"')].count("\n") + 1
    with pytest.raises(SettingsError) as e:
        load_settings(nl_dir, env={})
    assert f"linkletter.toml:{line}: setting 'language'" in str(e.value)
    assert "de, en" in str(e.value)


def test_invalid_environment_value_names_the_variable(nl_dir):
    with pytest.raises(SettingsError, match="LINKLETTER_FEED_ITEMS: setting 'feed_items' must be a whole number"):
        load_settings(nl_dir, env={"LINKLETTER_FEED_ITEMS": "many"})


@pytest.mark.parametrize("bad", ["change-me", "short"])
def test_placeholder_or_short_secret_is_refused(nl_dir, bad):
    with pytest.raises(SettingsError, match="'secret_key'"):
        load_settings(nl_dir, env={"LINKLETTER_SECRET_KEY": bad})


def test_unknown_key_is_reported_with_its_line(nl_dir):
    p = nl_dir / "linkletter.toml"
    p.write_text(p.read_text() + '\nsmtp_host = "x"\n')
    with pytest.raises(SettingsError, match=r"linkletter.toml:\d+: unknown setting 'smtp_host'"):
        load_settings(nl_dir, env={})


def test_broken_toml_is_a_clear_error(nl_dir):
    p = nl_dir / "linkletter.toml"
    p.write_text(p.read_text() + "\ntitle = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(nl_dir, env={})


def test_sources_in_the_file_are_validated(nl_dir):
    p = nl_dir / "linkletter.toml"
    text = p.read_text().replace("sources = [\n", 'sources = [\n  { url = "https://x.example/feed", mode = "sometimes" },\n')
    p.write_text(text)
    with pytest.raises(SettingsError, match="mode must be inbox or auto"):
        load_settings(nl_dir, env={})


def test_a_source_kind_is_one_the_code_reads(nl_dir):
    p = nl_dir / "linkletter.toml"
    good = p.read_text()
    p.write_text(good.replace("sources = [\n", 'sources = [\n  { url = "https://x.example/feed", kind = "feed" },\n'))
    assert load_settings(nl_dir, env={}).sources[0].kind == "feed"
    p.write_text(good.replace("sources = [\n", 'sources = [\n  { url = "https://x.example/feed", kind = "tweets" },\n'))
    with pytest.raises(SettingsError, match="kind must be one of feed"):
        load_settings(nl_dir, env={})


def test_header_injection_in_sender_is_refused(nl_dir):
    with pytest.raises(SettingsError, match="'sender'"):
        load_settings(nl_dir, env={"LINKLETTER_SENDER": "a@example.org\r\nBcc: victim@example.org"})


def test_no_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="linkletter init"):
        load_settings(tmp_path, env={})


def test_find_root_prefers_flag_then_environment_then_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_root("/srv/x", env={"LINKLETTER_DIR": "/srv/y"}).as_posix() == "/srv/x"
    assert find_root(None, env={"LINKLETTER_DIR": "/srv/y"}).as_posix() == "/srv/y"
    assert find_root(None, env={}) == tmp_path.resolve()


def test_repr_never_shows_the_secret(nl_dir):
    s = load_settings(nl_dir, env={})
    assert s.secret_key not in repr(s)


def test_init_accepts_a_folder_whose_drafts_folder_holds_no_drafts(tmp_path):
    (tmp_path / "repo" / "drafts").mkdir(parents=True)
    (tmp_path / "repo" / "drafts" / "README.md").write_text("how to write drafts")
    assert init_newsletter(tmp_path / "repo") == (tmp_path / "repo").resolve()
    (tmp_path / "other" / "drafts").mkdir(parents=True)
    (tmp_path / "other" / "drafts" / "001-first.md").write_text("---\nissue: 1\n---\n")
    with pytest.raises(LinkletterError, match="already holds drafts"):
        init_newsletter(tmp_path / "other")
    assert not (tmp_path / "other" / "linkletter.toml").exists()


@pytest.mark.parametrize("url", ["nonsense://", "bogus:///x"])
def test_an_unknown_database_url_names_the_key(nl_dir, url):
    with pytest.raises(SettingsError, match="LINKLETTER_DATABASE_URL: setting 'database_url' must be a database URL"):
        load_settings(nl_dir, env={"LINKLETTER_DATABASE_URL": url})


def test_a_database_that_cannot_be_opened_is_a_clear_error(nl_dir):
    from pipeline.newsletter import open_newsletter

    with pytest.raises(LinkletterError, match=r"environment variable LINKLETTER_DATABASE_URL: cannot open the database "
                                              r"sqlite:////nonexistent/dir/x.db"):
        open_newsletter(nl_dir, env={"LINKLETTER_DATABASE_URL": "sqlite:////nonexistent/dir/x.db"})


@pytest.mark.parametrize("schedule, words", [
    ('{"collect": "61 * * * *"}', "valid cron expression"),
    ('{"send": "every day"}', "valid cron expression"),
    ('{"grace": "0 7 * * 1"}', "grace must be an interval"),
])
def test_invalid_schedules_are_refused_when_loading(nl_dir, schedule, words):
    with pytest.raises(SettingsError, match=words):
        load_settings(nl_dir, env={"LINKLETTER_SCHEDULE": schedule})
