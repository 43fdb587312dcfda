"""What readers see on the server's own pages, in German and English (``settings.language``).

Keys are grouped by page. ``text(lang, key, **values)`` fills ``{placeholders}``.
"""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "html_lang": "en",
        "subscribe.title": "Subscribe to {title}",
        "subscribe.intro": "Get every issue of {title} by email.",
        "subscribe.email": "Email address",
        "subscribe.name": "Name (optional)",
        "subscribe.honeypot": "Leave this field empty",
        "subscribe.button": "Subscribe",
        "subscribe.consent": ("I would like to receive the newsletter {title} by email. I can unsubscribe "
                              "at any time with the link in every issue."),
        "subscribe.privacy": "We will send you one email to confirm your address. Nothing happens unless you confirm.",
        "subscribe.sent.title": "Please check your inbox",
        "subscribe.sent.body": ("If the address can receive the newsletter, a confirmation email is on its way. "
                                "Open it and press the button to confirm your subscription."),
        "subscribe.invalid": "Please enter a valid email address.",
        "subscribe.invalid_name": "Please enter your name on one line, with at most 200 characters.",
        "confirm.title": "Confirm your subscription",
        "confirm.body": "Press the button to confirm that you want to receive {title}.",
        "confirm.button": "Confirm subscription",
        "confirm.done.title": "You are subscribed",
        "confirm.done.body": "Thank you! You will receive the next issue of {title}.",
        "confirm.gone.title": "This link can no longer be used",
        "confirm.gone.body": "This subscription cannot be confirmed any more. To subscribe again, use the form.",
        "confirm.expired.title": "This confirmation link has expired",
        "confirm.expired.body": "Confirmation links are valid for {days} days. Please subscribe again to get a new one.",
        "confirm.invalid.title": "This confirmation link is not valid",
        "confirm.invalid.body": "The link may have been cut off or changed. Please copy the whole link from the email.",
        "unsubscribe.title": "Unsubscribe",
        "unsubscribe.body": "Press the button to stop receiving {title}.",
        "unsubscribe.button": "Unsubscribe",
        "unsubscribe.done.title": "You are unsubscribed",
        "unsubscribe.done.body": "You will not receive {title} any more. Thank you for reading.",
        "unsubscribe.invalid.title": "This unsubscribe link is not valid",
        "unsubscribe.invalid.body": "The link may have been cut off or changed. Please copy the whole link from the email.",
        "subscribe_again": "Subscribe again",
        "back_home": "Back to {title}",
        "error.400.title": "Bad request",
        "error.400.body": "The request could not be understood.",
        "error.403.title": "Not allowed",
        "error.403.body": "You are not allowed to see this page.",
        "error.404.title": "Page not found",
        "error.404.body": "There is no page at this address.",
        "error.405.title": "Method not allowed",
        "error.405.body": "This page cannot be used this way.",
        "error.413.title": "Request too large",
        "error.413.body": "The request is too large.",
        "error.429.title": "Too many requests",
        "error.429.body": "Too many requests from your address. Please try again in an hour.",
        "error.500.title": "Something went wrong",
        "error.500.body": "The server could not answer this request. Please try again later.",
        "error.503.title": "Not available",
        "error.503.body": "This is not available right now. Please try again later.",
        "collect.saved": "Saved to {title}",
        "collect.new.title": "Save to {title}",
        "collect.page": "Page",
        "collect.selection": "Quote",
        "collect.note": "Note (optional)",
        "collect.token": "Bookmarklet token",
        "collect.token_hint": "Your browser can remember it for this site. It only saves picks.",
        "collect.button": "Save",
        "error.408.title": "Request too slow",
        "error.408.body": "The request took too long to arrive. Please try again.",
        "error.415.title": "Unsupported form",
        "error.415.body": "The form was sent in a way this page does not accept.",
    },
    "de": {
        "html_lang": "de",
        "subscribe.title": "{title} abonnieren",
        "subscribe.intro": "Erhalten Sie jede Ausgabe von {title} per E-Mail.",
        "subscribe.email": "E-Mail-Adresse",
        "subscribe.name": "Name (freiwillig)",
        "subscribe.honeypot": "Dieses Feld bitte leer lassen",
        "subscribe.button": "Abonnieren",
        "subscribe.consent": ("Ich möchte den Newsletter {title} per E-Mail erhalten. Ich kann ihn jederzeit "
                              "über den Link in jeder Ausgabe abbestellen."),
        "subscribe.privacy": ("Wir senden Ihnen eine E-Mail, um Ihre Adresse zu bestätigen. Ohne Ihre Bestätigung "
                              "geschieht nichts."),
        "subscribe.sent.title": "Bitte sehen Sie in Ihr Postfach",
        "subscribe.sent.body": ("Wenn die Adresse den Newsletter erhalten kann, ist eine Bestätigungs-E-Mail unterwegs. "
                                "Öffnen Sie sie und drücken Sie den Knopf, um Ihr Abonnement zu bestätigen."),
        "subscribe.invalid": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
        "subscribe.invalid_name": "Bitte geben Sie Ihren Namen in einer Zeile und mit höchstens 200 Zeichen ein.",
        "confirm.title": "Abonnement bestätigen",
        "confirm.body": "Drücken Sie den Knopf, um zu bestätigen, dass Sie {title} erhalten möchten.",
        "confirm.button": "Abonnement bestätigen",
        "confirm.done.title": "Ihr Abonnement ist bestätigt",
        "confirm.done.body": "Vielen Dank! Sie erhalten die nächste Ausgabe von {title}.",
        "confirm.gone.title": "Dieser Link kann nicht mehr verwendet werden",
        "confirm.gone.body": ("Dieses Abonnement kann nicht mehr bestätigt werden. Um erneut zu abonnieren, "
                              "nutzen Sie bitte das Formular."),
        "confirm.expired.title": "Dieser Bestätigungslink ist abgelaufen",
        "confirm.expired.body": ("Bestätigungslinks gelten {days} Tage. Bitte abonnieren Sie erneut, um einen neuen "
                                 "zu erhalten."),
        "confirm.invalid.title": "Dieser Bestätigungslink ist ungültig",
        "confirm.invalid.body": ("Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopieren Sie den "
                                 "vollständigen Link aus der E-Mail."),
        "unsubscribe.title": "Abbestellen",
        "unsubscribe.body": "Drücken Sie den Knopf, um {title} nicht mehr zu erhalten.",
        "unsubscribe.button": "Abbestellen",
        "unsubscribe.done.title": "Sie haben den Newsletter abbestellt",
        "unsubscribe.done.body": "Sie erhalten {title} nicht mehr. Danke fürs Lesen.",
        "unsubscribe.invalid.title": "Dieser Abmeldelink ist ungültig",
        "unsubscribe.invalid.body": ("Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopieren Sie den "
                                     "vollständigen Link aus der E-Mail."),
        "subscribe_again": "Erneut abonnieren",
        "back_home": "Zurück zu {title}",
        "error.400.title": "Ungültige Anfrage",
        "error.400.body": "Die Anfrage konnte nicht verstanden werden.",
        "error.403.title": "Nicht erlaubt",
        "error.403.body": "Sie dürfen diese Seite nicht sehen.",
        "error.404.title": "Seite nicht gefunden",
        "error.404.body": "Unter dieser Adresse gibt es keine Seite.",
        "error.405.title": "Methode nicht erlaubt",
        "error.405.body": "Diese Seite kann so nicht verwendet werden.",
        "error.413.title": "Anfrage zu groß",
        "error.413.body": "Die Anfrage ist zu groß.",
        "error.429.title": "Zu viele Anfragen",
        "error.429.body": "Zu viele Anfragen von Ihrer Adresse. Bitte versuchen Sie es in einer Stunde erneut.",
        "error.500.title": "Etwas ist schiefgegangen",
        "error.500.body": "Der Server konnte diese Anfrage nicht beantworten. Bitte versuchen Sie es später erneut.",
        "error.503.title": "Nicht verfügbar",
        "error.503.body": "Das ist gerade nicht verfügbar. Bitte versuchen Sie es später erneut.",
        "collect.saved": "Gespeichert in {title}",
        "collect.new.title": "In {title} speichern",
        "collect.page": "Seite",
        "collect.selection": "Zitat",
        "collect.note": "Notiz (freiwillig)",
        "collect.token": "Bookmarklet-Token",
        "collect.token_hint": "Ihr Browser kann es sich für diese Seite merken. Es dient nur zum Speichern.",
        "collect.button": "Speichern",
        "error.408.title": "Anfrage zu langsam",
        "error.408.body": "Die Anfrage kam zu langsam an. Bitte versuchen Sie es erneut.",
        "error.415.title": "Formular nicht unterstützt",
        "error.415.body": "Das Formular wurde in einer Form gesendet, die diese Seite nicht annimmt.",
    },
}


def text(lang: str, key: str, **values) -> str:
    """The string ``key`` in ``lang`` (English when the language is unknown), filled in."""
    table = STRINGS.get(lang, STRINGS["en"])
    return table[key].format(**values) if values else table[key]


def table(lang: str, **values) -> dict[str, str]:
    """Every string of ``lang`` with ``values`` filled in, for templates (``t['confirm.title']``)."""
    out = {}
    for key, value in STRINGS.get(lang, STRINGS["en"]).items():
        try:
            out[key] = value.format(**values)
        except KeyError:
            out[key] = value
    return out
