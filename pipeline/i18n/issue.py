"""What readers see in an issue (email, page, plain text, feeds), the site, system mails,
and the new draft's scaffold the author sees. ``de`` addresses readers as "Sie", ``de_du`` as
"du" (see :mod:`pipeline.i18n`)."""

STRINGS: dict[str, dict[str, str]] = {
    # a new draft and its blocks (what the author sees in drafts/)
    "draft.title": {"en": "{title} #{number}", "de": "{title}, Ausgabe {number}"},
    "draft.intro": {"en": "<!-- Intro: a few words on what this issue is about. -->",
                    "de": "<!-- Einleitung: ein paar Worte dazu, worum es in dieser Ausgabe geht. -->"},
    "draft.commentary": {"en": "<!-- your commentary -->", "de": "<!-- dein Kommentar -->"},
    "draft.dash": {"en": " — ", "de": " – "},
    "draft.slug": {"en": "issue", "de": "ausgabe"},
    # the issue: email, page, plain text
    "issue.number": {"en": "Issue {number}", "de": "Ausgabe {number}"},
    "issue.published": {"en": "Published {date}", "de": "Erschienen am {date}"},
    "footer.why": {
        "en": "You are receiving this email because you subscribed to {title}.",
        "de": "Sie erhalten diese E-Mail, weil Sie {title} abonniert haben.",
        "de_du": "Du erhältst diese E-Mail, weil du {title} abonniert hast.",
    },
    "footer.view_in_browser": {"en": "View in browser", "de": "Im Browser ansehen"},
    "footer.unsubscribe": {"en": "Unsubscribe", "de": "Abbestellen"},
    "text.links": {"en": "Links", "de": "Links"},
    "text.notes": {"en": "Notes", "de": "Anmerkungen"},
    "text.image": {"en": "Image", "de": "Bild"},
    # the site
    "site.archive": {"en": "Archive", "de": "Archiv"},
    "site.archived_copy": {"en": "archived copy", "de": "archivierte Kopie"},
    "site.archived_copy_title": {
        "en": "This page as the Web Archive kept it when the issue went out",
        "de": "Diese Seite, wie das Web Archive sie beim Versand der Ausgabe bewahrt hat",
    },
    "site.all_issues": {"en": "All issues", "de": "Alle Ausgaben"},
    "site.no_issues": {"en": "No issues have been published yet.", "de": "Bisher ist keine Ausgabe erschienen."},
    "site.subscribe": {"en": "Subscribe", "de": "Abonnieren"},
    "site.subscribe_invite": {
        "en": "Get the next issue by email.",
        "de": "Die nächste Ausgabe per E-Mail erhalten.",
    },
    "site.feeds": {"en": "Feeds", "de": "Feeds"},
    "site.rss": {"en": "RSS feed", "de": "RSS-Feed"},
    "site.atom": {"en": "Atom feed", "de": "Atom-Feed"},
    "site.back": {"en": "Back to the archive", "de": "Zurück zum Archiv"},
    "site.description": {"en": "The archive of {title}.", "de": "Das Archiv von {title}."},
    # system mails
    "mail.confirm.subject": {"en": "Please confirm your subscription to {title}",
                             "de": "Bitte bestätigen Sie Ihr Abonnement von {title}",
                             "de_du": "Bitte bestätige dein Abonnement von {title}"},
    "mail.confirm.preheader": {"en": "One click and you are subscribed.",
                               "de": "Ein Klick, und Sie sind dabei.", "de_du": "Ein Klick, und du bist dabei."},
    "mail.confirm.greeting": {"en": "Hello,", "de": "Guten Tag,", "de_du": "Hallo,"},
    "mail.confirm.body": {
        "en": "someone, hopefully you, asked to receive {title} at this address. "
              "Please confirm that you want it:",
        "de": "jemand, hoffentlich Sie, möchte {title} an diese Adresse erhalten. "
              "Bitte bestätigen Sie, dass Sie das möchten:",
        "de_du": "jemand, hoffentlich du, möchte {title} an diese Adresse erhalten. "
                 "Bitte bestätige, dass du das möchtest:",
    },
    "mail.confirm.button": {"en": "Yes, subscribe me", "de": "Ja, ich möchte es abonnieren"},
    "mail.confirm.ignore": {
        "en": "If you did not ask for this, just ignore this email: nothing happens, "
              "and you will get no further mail from us.",
        "de": "Falls Sie das nicht waren, ignorieren Sie diese E-Mail einfach: Es passiert nichts, "
              "und Sie erhalten keine weitere Post von uns.",
        "de_du": "Falls du das nicht warst, ignoriere diese E-Mail einfach: Es passiert nichts, "
                 "und du erhältst keine weitere Post von uns.",
    },
    "mail.confirm.link_hint": {"en": "Or open this link:", "de": "Oder öffnen Sie diesen Link:",
                                "de_du": "Oder öffne diesen Link:"},
    "mail.why_system": {
        "en": "You receive this email because this address was entered at {url}.",
        "de": "Sie erhalten diese E-Mail, weil diese Adresse auf {url} eingetragen wurde.",
        "de_du": "Du erhältst diese E-Mail, weil diese Adresse auf {url} eingetragen wurde.",
    },
}
