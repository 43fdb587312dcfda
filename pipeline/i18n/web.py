"""What readers see on the server's own pages (subscribe, confirm, unsubscribe, errors, the
bookmarklet's answer), grouped by page."""

STRINGS: dict[str, dict[str, str]] = {
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
        "de_du": 'Erhalte jede Ausgabe von {title} per E-Mail.',
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
        "de_du": 'Wir senden dir eine E-Mail, um deine Adresse zu bestätigen. Ohne deine Bestätigung geschieht nichts.',
    },
    'subscribe.sent.title': {
        "en": 'Please check your inbox',
        "de": 'Bitte sehen Sie in Ihr Postfach',
        "de_du": 'Bitte sieh in dein Postfach',
    },
    'subscribe.sent.body': {
        "en": 'If the address can receive the newsletter, a confirmation email is on its way. Open it and press the button to confirm your subscription.',
        "de": 'Wenn die Adresse den Newsletter erhalten kann, ist eine Bestätigungs-E-Mail unterwegs. Öffnen Sie sie und drücken Sie den Knopf, um Ihr Abonnement zu bestätigen.',
        "de_du": 'Wenn die Adresse den Newsletter erhalten kann, ist eine Bestätigungs-E-Mail unterwegs. Öffne sie und drücke den Knopf, um dein Abonnement zu bestätigen.',
    },
    'subscribe.invalid': {
        "en": 'Please enter a valid email address.',
        "de": 'Bitte geben Sie eine gültige E-Mail-Adresse ein.',
        "de_du": 'Bitte gib eine gültige E-Mail-Adresse ein.',
    },
    'subscribe.invalid_name': {
        "en": 'Please enter your name on one line, with at most 200 characters.',
        "de": 'Bitte geben Sie Ihren Namen in einer Zeile und mit höchstens 200 Zeichen ein.',
        "de_du": 'Bitte gib deinen Namen in einer Zeile und mit höchstens 200 Zeichen ein.',
    },
    'confirm.title': {
        "en": 'Confirm your subscription',
        "de": 'Abonnement bestätigen',
    },
    'confirm.body': {
        "en": 'Press the button to confirm that you want to receive {title}.',
        "de": 'Drücken Sie den Knopf, um zu bestätigen, dass Sie {title} erhalten möchten.',
        "de_du": 'Drücke den Knopf, um zu bestätigen, dass du {title} erhalten möchtest.',
    },
    'confirm.button': {
        "en": 'Confirm subscription',
        "de": 'Abonnement bestätigen',
    },
    'confirm.done.title': {
        "en": 'You are subscribed',
        "de": 'Ihr Abonnement ist bestätigt',
        "de_du": 'Dein Abonnement ist bestätigt',
    },
    'confirm.done.body': {
        "en": 'Thank you! You will receive the next issue of {title}.',
        "de": 'Vielen Dank! Sie erhalten die nächste Ausgabe von {title}.',
        "de_du": 'Vielen Dank! Du erhältst die nächste Ausgabe von {title}.',
    },
    'confirm.gone.title': {
        "en": 'This link can no longer be used',
        "de": 'Dieser Link kann nicht mehr verwendet werden',
    },
    'confirm.gone.body': {
        "en": 'This subscription cannot be confirmed any more. To subscribe again, use the form.',
        "de": 'Dieses Abonnement kann nicht mehr bestätigt werden. Um erneut zu abonnieren, nutzen Sie bitte das Formular.',
        "de_du": 'Dieses Abonnement kann nicht mehr bestätigt werden. Um erneut zu abonnieren, nutze bitte das Formular.',
    },
    'confirm.expired.title': {
        "en": 'This confirmation link has expired',
        "de": 'Dieser Bestätigungslink ist abgelaufen',
    },
    'confirm.expired.body': {
        "en": 'Confirmation links are valid for {days} days. Please subscribe again to get a new one.',
        "de": 'Bestätigungslinks gelten {days} Tage. Bitte abonnieren Sie erneut, um einen neuen zu erhalten.',
        "de_du": 'Bestätigungslinks gelten {days} Tage. Bitte abonniere erneut, um einen neuen zu erhalten.',
    },
    'confirm.invalid.title': {
        "en": 'This confirmation link is not valid',
        "de": 'Dieser Bestätigungslink ist ungültig',
    },
    'confirm.invalid.body': {
        "en": 'The link may have been cut off or changed. Please copy the whole link from the email.',
        "de": 'Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopieren Sie den vollständigen Link aus der E-Mail.',
        "de_du": 'Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopiere den vollständigen Link aus der E-Mail.',
    },
    'unsubscribe.title': {
        "en": 'Unsubscribe',
        "de": 'Abbestellen',
    },
    'unsubscribe.body': {
        "en": 'Press the button to stop receiving {title}.',
        "de": 'Drücken Sie den Knopf, um {title} nicht mehr zu erhalten.',
        "de_du": 'Drücke den Knopf, um {title} nicht mehr zu erhalten.',
    },
    'unsubscribe.button': {
        "en": 'Unsubscribe',
        "de": 'Abbestellen',
    },
    'unsubscribe.done.title': {
        "en": 'You are unsubscribed',
        "de": 'Sie haben den Newsletter abbestellt',
        "de_du": 'Du hast den Newsletter abbestellt',
    },
    'unsubscribe.done.body': {
        "en": 'You will not receive {title} any more. Thank you for reading.',
        "de": 'Sie erhalten {title} nicht mehr. Danke fürs Lesen.',
        "de_du": 'Du erhältst {title} nicht mehr. Danke fürs Lesen.',
    },
    'unsubscribe.invalid.title': {
        "en": 'This unsubscribe link is not valid',
        "de": 'Dieser Abmeldelink ist ungültig',
    },
    'unsubscribe.invalid.body': {
        "en": 'The link may have been cut off or changed. Please copy the whole link from the email.',
        "de": 'Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopieren Sie den vollständigen Link aus der E-Mail.',
        "de_du": 'Der Link wurde vielleicht abgeschnitten oder verändert. Bitte kopiere den vollständigen Link aus der E-Mail.',
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
        "de_du": 'Du darfst diese Seite nicht sehen.',
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
        "de_du": 'Zu viele Anfragen von deiner Adresse. Bitte versuche es in einer Stunde erneut.',
    },
    'error.500.title': {
        "en": 'Something went wrong',
        "de": 'Etwas ist schiefgegangen',
    },
    'error.500.body': {
        "en": 'The server could not answer this request. Please try again later.',
        "de": 'Der Server konnte diese Anfrage nicht beantworten. Bitte versuchen Sie es später erneut.',
        "de_du": 'Der Server konnte diese Anfrage nicht beantworten. Bitte versuche es später erneut.',
    },
    'error.503.title': {
        "en": 'Not available',
        "de": 'Nicht verfügbar',
    },
    'error.503.body': {
        "en": 'This is not available right now. Please try again later.',
        "de": 'Das ist gerade nicht verfügbar. Bitte versuchen Sie es später erneut.',
        "de_du": 'Das ist gerade nicht verfügbar. Bitte versuche es später erneut.',
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
        "de_du": 'Dein Browser kann es sich für diese Seite merken. Es dient nur zum Speichern.',
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
        "de_du": 'Die Anfrage kam zu langsam an. Bitte versuche es erneut.',
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
