"""Everything a reader sees besides the author's own text, in German and English.

``t(language, key, **kwargs)`` looks a string up and fills its ``{placeholders}``;
``format_date(language, when)`` writes a date the way readers of that language expect.
An unknown key or language is a programming error (KeyError), never a silent fallback.
"""

from __future__ import annotations

from datetime import datetime

LANGUAGES = ("de", "en")  # the languages readers can be addressed in; settings check against it

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
                             "de": "Bitte bestätigen Sie Ihr Abonnement von {title}"},
    "mail.confirm.preheader": {"en": "One click and you are subscribed.",
                               "de": "Ein Klick, und Sie sind dabei."},
    "mail.confirm.greeting": {"en": "Hello,", "de": "Guten Tag,"},
    "mail.confirm.body": {
        "en": "someone, hopefully you, asked to receive {title} at this address. "
              "Please confirm that you want it:",
        "de": "jemand, hoffentlich Sie, möchte {title} an diese Adresse erhalten. "
              "Bitte bestätigen Sie, dass Sie das möchten:",
    },
    "mail.confirm.button": {"en": "Yes, subscribe me", "de": "Ja, ich möchte es abonnieren"},
    "mail.confirm.ignore": {
        "en": "If you did not ask for this, just ignore this email: nothing happens, "
              "and you will get no further mail from us.",
        "de": "Falls Sie das nicht waren, ignorieren Sie diese E-Mail einfach: Es passiert nichts, "
              "und Sie erhalten keine weitere Post von uns.",
    },
    "mail.confirm.link_hint": {"en": "Or open this link:", "de": "Oder öffnen Sie diesen Link:"},
    "mail.why_system": {
        "en": "You receive this email because this address was entered at {url}.",
        "de": "Sie erhalten diese E-Mail, weil diese Adresse auf {url} eingetragen wurde.",
    },
}

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
}


def t(language: str, key: str, **kwargs) -> str:
    """The string ``key`` in ``language`` with its placeholders filled from ``kwargs``."""
    text = STRINGS[key][language]
    return text.format(**kwargs) if kwargs else text


def format_date(language: str, when: datetime) -> str:
    """'1 December 2026' / '1. Dezember 2026' (the date as it was where it was written)."""
    month = MONTHS[language][when.month - 1]
    if language == "de":
        return f"{when.day}. {month} {when.year}"
    return f"{when.day} {month} {when.year}"


def translator(language: str):
    """``t`` bound to one language, for templates: ``{{ t('footer.unsubscribe') }}``."""
    if language not in LANGUAGES:
        raise KeyError(language)

    def bound(key: str, **kwargs) -> str:
        return t(language, key, **kwargs)

    return bound

# ---------------------------------------------------------------- the server's own pages
# (subscribe, confirm, unsubscribe, errors, the bookmarklet's answer), grouped by page
WEB_STRINGS: dict[str, dict[str, str]] = {
    'html_lang': {
        "en": 'en',
        "de": 'de',
    },
    'subscribe.title': {
        "en": 'Subscribe to {title}',
        "de": '{title} abonnieren',
    },
    'subscribe.intro': {
        "en": 'Get every issue of {title} by email.',
        "de": 'Erhalten Sie jede Ausgabe von {title} per E-Mail.',
    },
    'subscribe.email': {
        "en": 'Email address',
        "de": 'E-Mail-Adresse',
    },
    'subscribe.name': {
        "en": 'Name (optional)',
        "de": 'Name (freiwillig)',
    },
    'subscribe.honeypot': {
        "en": 'Leave this field empty',
        "de": 'Dieses Feld bitte leer lassen',
    },
    'subscribe.button': {
        "en": 'Subscribe',
        "de": 'Abonnieren',
    },
    'subscribe.consent': {
        "en": 'I would like to receive the newsletter {title} by email. I can unsubscribe at any time with the link in every issue.',
        "de": 'Ich möchte den Newsletter {title} per E-Mail erhalten. Ich kann ihn jederzeit über den Link in jeder Ausgabe abbestellen.',
    },
    'subscribe.privacy': {
        "en": 'We will send you one email to confirm your address. Nothing happens unless you confirm.',
        "de": 'Wir senden Ihnen eine E-Mail, um Ihre Adresse zu bestätigen. Ohne Ihre Bestätigung geschieht nichts.',
    },
    'subscribe.sent.title': {
        "en": 'Please check your inbox',
        "de": 'Bitte sehen Sie in Ihr Postfach',
    },
    'subscribe.sent.body': {
        "en": 'If the address can receive the newsletter, a confirmation email is on its way. Open it and press the button to confirm your subscription.',
        "de": 'Wenn die Adresse den Newsletter erhalten kann, ist eine Bestätigungs-E-Mail unterwegs. Öffnen Sie sie und drücken Sie den Knopf, um Ihr Abonnement zu bestätigen.',
    },
    'subscribe.invalid': {
        "en": 'Please enter a valid email address.',
        "de": 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
    },
    'subscribe.invalid_name': {
        "en": 'Please enter your name on one line, with at most 200 characters.',
        "de": 'Bitte geben Sie Ihren Namen in einer Zeile und mit höchstens 200 Zeichen ein.',
    },
    'confirm.title': {
        "en": 'Confirm your subscription',
        "de": 'Abonnement bestätigen',
    },
    'confirm.body': {
        "en": 'Press the button to confirm that you want to receive {title}.',
        "de": 'Drücken Sie den Knopf, um zu bestätigen, dass Sie {title} erhalten möchten.',
    },
    'confirm.button': {
        "en": 'Confirm subscription',
        "de": 'Abonnement bestätigen',
    },
    'confirm.done.title': {
        "en": 'You are subscribed',
        "de": 'Ihr Abonnement ist bestätigt',
    },
    'confirm.done.body': {
        "en": 'Thank you! You will receive the next issue of {title}.',
        "de": 'Vielen Dank! Sie erhalten die nächste Ausgabe von {title}.',
    },
    'confirm.gone.title': {
        "en": 'This link can no longer be used',
        "de": 'Dieser Link kann nicht mehr verwendet werden',
    },
    'confirm.gone.body': {
        "en": 'This subscription cannot be confirmed any more. To subscribe again, use the form.',
        "de": 'Dieses Abonnement kann nicht mehr bestätigt werden. Um erneut zu abonnieren, nutzen Sie bitte das Formular.',
    },
    'confirm.expired.title': {
        "en": 'This confirmation link has expired',
        "de": 'Dieser Bestätigungslink ist abgelaufen',
    },
    'confirm.expired.body': {
        "en": 'Confirmation links are valid for {days} days. Please subscribe again to get a new one.',
        "de": 'Bestätigungslinks gelten {days} Tage. Bitte abonnieren Sie erneut, um einen neuen zu erhalten.',
    },
    'confirm.invalid.title': {
        "en": 'This confirmation link is not valid',
        "de": 'Dieser Bestätigungslink ist ungültig',
    },
    'confirm.invalid.body': {
        "en": 'The link may have been cut off or changed. Please copy the whole link from the email.',
        "de": 'Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopieren Sie den vollständigen Link aus der E-Mail.',
    },
    'unsubscribe.title': {
        "en": 'Unsubscribe',
        "de": 'Abbestellen',
    },
    'unsubscribe.body': {
        "en": 'Press the button to stop receiving {title}.',
        "de": 'Drücken Sie den Knopf, um {title} nicht mehr zu erhalten.',
    },
    'unsubscribe.button': {
        "en": 'Unsubscribe',
        "de": 'Abbestellen',
    },
    'unsubscribe.done.title': {
        "en": 'You are unsubscribed',
        "de": 'Sie haben den Newsletter abbestellt',
    },
    'unsubscribe.done.body': {
        "en": 'You will not receive {title} any more. Thank you for reading.',
        "de": 'Sie erhalten {title} nicht mehr. Danke fürs Lesen.',
    },
    'unsubscribe.invalid.title': {
        "en": 'This unsubscribe link is not valid',
        "de": 'Dieser Abmeldelink ist ungültig',
    },
    'unsubscribe.invalid.body': {
        "en": 'The link may have been cut off or changed. Please copy the whole link from the email.',
        "de": 'Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopieren Sie den vollständigen Link aus der E-Mail.',
    },
    'subscribe_again': {
        "en": 'Subscribe again',
        "de": 'Erneut abonnieren',
    },
    'back_home': {
        "en": 'Back to {title}',
        "de": 'Zurück zu {title}',
    },
    'error.400.title': {
        "en": 'Bad request',
        "de": 'Ungültige Anfrage',
    },
    'error.400.body': {
        "en": 'The request could not be understood.',
        "de": 'Die Anfrage konnte nicht verstanden werden.',
    },
    'error.403.title': {
        "en": 'Not allowed',
        "de": 'Nicht erlaubt',
    },
    'error.403.body': {
        "en": 'You are not allowed to see this page.',
        "de": 'Sie dürfen diese Seite nicht sehen.',
    },
    'error.404.title': {
        "en": 'Page not found',
        "de": 'Seite nicht gefunden',
    },
    'error.404.body': {
        "en": 'There is no page at this address.',
        "de": 'Unter dieser Adresse gibt es keine Seite.',
    },
    'error.405.title': {
        "en": 'Method not allowed',
        "de": 'Methode nicht erlaubt',
    },
    'error.405.body': {
        "en": 'This page cannot be used this way.',
        "de": 'Diese Seite kann so nicht verwendet werden.',
    },
    'error.413.title': {
        "en": 'Request too large',
        "de": 'Anfrage zu groß',
    },
    'error.413.body': {
        "en": 'The request is too large.',
        "de": 'Die Anfrage ist zu groß.',
    },
    'error.429.title': {
        "en": 'Too many requests',
        "de": 'Zu viele Anfragen',
    },
    'error.429.body': {
        "en": 'Too many requests from your address. Please try again in an hour.',
        "de": 'Zu viele Anfragen von Ihrer Adresse. Bitte versuchen Sie es in einer Stunde erneut.',
    },
    'error.500.title': {
        "en": 'Something went wrong',
        "de": 'Etwas ist schiefgegangen',
    },
    'error.500.body': {
        "en": 'The server could not answer this request. Please try again later.',
        "de": 'Der Server konnte diese Anfrage nicht beantworten. Bitte versuchen Sie es später erneut.',
    },
    'error.503.title': {
        "en": 'Not available',
        "de": 'Nicht verfügbar',
    },
    'error.503.body': {
        "en": 'This is not available right now. Please try again later.',
        "de": 'Das ist gerade nicht verfügbar. Bitte versuchen Sie es später erneut.',
    },
    'collect.saved': {
        "en": 'Saved to {title}',
        "de": 'Gespeichert in {title}',
    },
    'collect.new.title': {
        "en": 'Save to {title}',
        "de": 'In {title} speichern',
    },
    'collect.page': {
        "en": 'Page',
        "de": 'Seite',
    },
    'collect.selection': {
        "en": 'Quote',
        "de": 'Zitat',
    },
    'collect.note': {
        "en": 'Note (optional)',
        "de": 'Notiz (freiwillig)',
    },
    'collect.token': {
        "en": 'Bookmarklet token',
        "de": 'Bookmarklet-Token',
    },
    'collect.token_hint': {
        "en": 'Your browser can remember it for this site. It only saves picks.',
        "de": 'Ihr Browser kann es sich für diese Seite merken. Es dient nur zum Speichern.',
    },
    'collect.button': {
        "en": 'Save',
        "de": 'Speichern',
    },
    'error.408.title': {
        "en": 'Request too slow',
        "de": 'Anfrage zu langsam',
    },
    'error.408.body': {
        "en": 'The request took too long to arrive. Please try again.',
        "de": 'Die Anfrage kam zu langsam an. Bitte versuchen Sie es erneut.',
    },
    'error.415.title': {
        "en": 'Unsupported form',
        "de": 'Formular nicht unterstützt',
    },
    'error.415.body': {
        "en": 'The form was sent in a way this page does not accept.',
        "de": 'Das Formular wurde in einer Form gesendet, die diese Seite nicht annimmt.',
    },
}
STRINGS.update(WEB_STRINGS)
