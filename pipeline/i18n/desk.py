"""The desk's mail to the author: the one-time login link (``linkletter desk login --mail``),
sent through ``pipeline.send.notify.notify_author``. The desk's pages themselves are in English
(templates/desk/). The author is addressed as the readers are (a ``de_du`` twin for Sie)."""

STRINGS: dict[str, dict[str, str]] = {
    'notify.desk_login.subject': {
        "en": '{title}: your login link for the desk',
        "de": '{title}: Ihr Anmeldelink für den Schreibtisch',
        "de_du": '{title}: Dein Anmeldelink für den Schreibtisch',
    },
    'notify.desk_login.body': {
        "en": 'Open this link in the browser you want to use the desk in, and press the button there. '
              'It works once, within {minutes} minutes:\n\n{url}',
        "de": 'Öffnen Sie diesen Link in dem Browser, in dem Sie den Schreibtisch nutzen möchten, und drücken '
              'Sie dort den Knopf. Er gilt einmal, {minutes} Minuten lang:\n\n{url}',
        "de_du": 'Öffne diesen Link in dem Browser, in dem du den Schreibtisch nutzen möchtest, und drücke dort '
                 'den Knopf. Er gilt einmal, {minutes} Minuten lang:\n\n{url}',
    },
    'notify.desk_login.todo': {
        "en": 'If you did not ask for it, end every desk session with `linkletter desk logout --all`.',
        "de": 'Wenn Sie ihn nicht angefordert haben, beenden Sie alle Sitzungen mit `linkletter desk logout --all`.',
        "de_du": 'Wenn du ihn nicht angefordert hast, beende alle Sitzungen mit `linkletter desk logout --all`.',
    },
}
