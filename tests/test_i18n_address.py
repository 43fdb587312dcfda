"""The form of address: German readers are addressed as "Sie" (``de``) or "du" (``de_du``),
as the setting ``address_form`` says; both sets of strings ship, and every area's strings
are covered (the whole merged table is read, so a new area's module is checked too)."""

from __future__ import annotations

import re
import string
from email import message_from_bytes, policy

import pytest

from pipeline.i18n import STRINGS, VARIANTS, t, translator
from pipeline.newsletter import init_newsletter, open_newsletter
from pipeline.render.email import render_issue, system_mail
from pipeline.settings import SettingsError, load_settings
from pipeline.web import create_app
from tests.test_web import LiveServer, own_page_client

# The formal pronouns, capitalized as only the formal address writes them mid-sentence.
FORMAL = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihrem|Ihren|Ihrer|Ihres)\b")
# What the informal address writes: du and its forms, or an imperative without "Sie".
INFORMAL = re.compile(r"\b([Dd]u|[Dd]ich|[Dd]ir|[Dd]ein\w*)\b")


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def _addresses_formally(text: str) -> bool:
    # "Sie" opening a sentence could be "she/they"; no shipped string uses it that way, and a
    # string that did would need a look by a person anyway.
    return bool(FORMAL.search(text))


def test_the_check_itself_tells_the_forms_apart():
    assert _addresses_formally("Bitte bestätigen Sie Ihr Abonnement")
    assert _addresses_formally("Wir senden Ihnen eine E-Mail")
    assert not _addresses_formally("Bitte bestätige dein Abonnement")
    assert not _addresses_formally("Die Ihrigen")  # not a pronoun form the list has


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_formal_german_string_has_an_informal_twin(key):
    entry = STRINGS[key]
    if _addresses_formally(entry["de"]):
        assert "de_du" in entry, f"{key}: the 'de' text says Sie/Ihr/Ihnen but there is no 'de_du' text"
    if "de_du" in entry:
        du = entry["de_du"]
        assert du.strip() and du != entry["de"], key
        assert not _addresses_formally(du), f"{key}: the 'de_du' text addresses the reader formally: {du!r}"
        assert fields(du) == fields(entry["de"]), f"{key}: 'de_du' has other placeholders than 'de'"
    assert set(entry) - set(VARIANTS) == {"de", "en"}, key


def test_the_shipped_informal_strings_say_du():
    twins = {k: v["de_du"] for k, v in STRINGS.items() if "de_du" in v}
    assert len(twins) >= 25  # the footer, the confirmation mail, the subscribe/confirm/unsubscribe pages
    assert INFORMAL.search(twins["footer.why"]) and INFORMAL.search(twins["mail.confirm.body"])


def test_lookup_picks_the_informal_text_and_falls_back_to_the_formal_language():
    assert t("de_du", "footer.why", title="W") == "Du erhältst diese E-Mail, weil du W abonniert hast."
    assert t("de", "footer.why", title="W") == "Sie erhalten diese E-Mail, weil Sie W abonniert haben."
    assert t("de_du", "issue.number", number=4) == "Ausgabe 4"  # no reader addressed: one text for both
    assert translator("de_du")("footer.unsubscribe") == "Abbestellen"
    with pytest.raises(KeyError):
        translator("en_du")


def _german(tmp_path, form: str | None):
    root = init_newsletter(tmp_path / (form or "default"), title="Wochenlese", language="de",
                           sender="Wochenlese <brief@example.org>", base_url="https://brief.example.org")
    if form is not None:
        with (root / "linkletter.toml").open("a", encoding="utf-8") as f:
            f.write(f'\naddress_form = "{form}"\n')
    return root


def test_the_setting_is_sie_by_default_and_checked(tmp_path):
    assert load_settings(_german(tmp_path, None), env={}).locale == "de"
    assert load_settings(_german(tmp_path, "du"), env={}).locale == "de_du"
    root = _german(tmp_path, "ihr")
    with pytest.raises(SettingsError, match=r"linkletter\.toml:\d+: setting 'address_form' must be one of sie, du"):
        load_settings(root, env={})
    assert load_settings(root, env={"LINKLETTER_ADDRESS_FORM": "DU"}).locale == "de_du"
    en = init_newsletter(tmp_path / "en", title="Weekly", language="en", sender="W <w@example.org>")
    assert load_settings(en, env={"LINKLETTER_ADDRESS_FORM": "du"}).locale == "en"  # German only


DRAFT = """---
issue: 1
title: "Wochenlese 1"
status: draft
---
Hallo zusammen,

diese Woche geht es ums Warten.
"""


@pytest.mark.parametrize("form, says, never", [
    ("du", "Du erhältst diese E-Mail, weil du Wochenlese abonniert hast.", "Sie erhalten"),
    ("sie", "Sie erhalten diese E-Mail, weil Sie Wochenlese abonniert haben.", "Du erhältst"),
])
def test_an_issue_mail_and_the_confirmation_mail_speak_in_the_chosen_form(tmp_path, form, says, never):
    root = _german(tmp_path, form)
    (root / "drafts" / "001-wochenlese.md").write_text(DRAFT, "utf-8")
    nl = open_newsletter(root, env={})
    try:
        issue = render_issue(nl, root / "drafts" / "001-wochenlese.md")
        confirm = system_mail(nl, "confirm", to_addr="leserin@example.org", confirm_url="https://brief.example.org/c/x")
    finally:
        nl.close()
    assert says in issue.text and says in issue.html and never not in issue.text + issue.html
    message = message_from_bytes(confirm, policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    subject = str(message["Subject"])
    if form == "du":
        assert subject == "Bitte bestätige dein Abonnement von Wochenlese"
        assert "Falls du das nicht warst" in text and "Hallo," in text and not FORMAL.search(text)
    else:
        assert subject == "Bitte bestätigen Sie Ihr Abonnement von Wochenlese"
        assert "Falls Sie das nicht waren" in text


def test_the_subscribe_pages_speak_in_the_chosen_form(tmp_path):
    nl = open_newsletter(_german(tmp_path, "du"), env={})
    try:
        with LiveServer(create_app(nl)) as server, own_page_client(server) as client:
            form = client.get("/subscribe")
            sent = client.post("/subscribe", data={"email": "leser@example.org", "website": ""})
            bad = client.post("/subscribe", data={"email": "kein-at", "website": ""})
    finally:
        nl.close()
    assert form.status_code == 200 and "Erhalte jede Ausgabe von Wochenlese per E-Mail." in form.text
    assert "Wir senden dir eine E-Mail, um deine Adresse zu bestätigen." in form.text
    assert '<html lang="de">' in form.text  # the language is German either way
    assert sent.status_code == 200 and "Bitte sieh in dein Postfach" in sent.text
    assert bad.status_code == 400 and "Bitte gib eine gültige E-Mail-Adresse ein." in bad.text
    for page in (form, sent, bad):
        visible = re.sub(r"<[^>]+>", " ", page.text)
        assert not FORMAL.search(visible), FORMAL.search(visible)
