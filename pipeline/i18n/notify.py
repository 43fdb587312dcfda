"""What the author reads in the mails Linkletter sends them (``notify`` setting): a scheduled send
refused or failed, many bounces or complaints after a send. Each notice is
``notify.<name>.subject``, ``.body`` (what happened) and ``.todo`` (what to do); another area may
add its own notice under its own ``notify.<name>`` keys (see pipeline/send/notify.py). The author is
addressed as the readers are (``address_form``: a ``de_du`` twin for every text that says Sie)."""

STRINGS: dict[str, dict[str, str]] = {
    'notify.footer': {
        "en": 'You get this mail because linkletter.toml says notify = {notify}. The same is in the log '
              'and in `linkletter jobs`.',
        "de": 'Sie erhalten diese Mail, weil in linkletter.toml notify = {notify} steht. Dasselbe steht im '
              'Protokoll und in `linkletter jobs`.',
        "de_du": 'Du erhältst diese Mail, weil in linkletter.toml notify = {notify} steht. Dasselbe steht im '
                 'Protokoll und in `linkletter jobs`.',
    },
    'notify.todo_heading': {
        "en": 'What to do:',
        "de": 'Was zu tun ist:',
    },
    'notify.send_refused.subject': {
        "en": '{title}: issue {issue} was not sent (the check found problems)',
        "de": '{title}: Ausgabe {issue} wurde nicht versandt (die Prüfung hat Probleme gefunden)',
    },
    'notify.send_refused.body': {
        "en": 'The scheduled send of {draft} was refused by the pre-send check:\n\n{reason}',
        "de": 'Der geplante Versand von {draft} wurde von der Prüfung vor dem Versand abgelehnt:\n\n{reason}',
    },
    'notify.send_refused.todo': {
        "en": 'Fix the draft (`linkletter check {draft}` shows the problems with file and line), or send it '
              'anyway with `linkletter send {draft} --force`. The main job tries again once the draft changes.',
        "de": 'Korrigieren Sie den Entwurf (`linkletter check {draft}` zeigt die Probleme mit Datei und Zeile) '
              'oder versenden Sie ihn trotzdem mit `linkletter send {draft} --force`. Der Hauptjob versucht es '
              'erneut, sobald sich der Entwurf ändert.',
        "de_du": 'Korrigiere den Entwurf (`linkletter check {draft}` zeigt die Probleme mit Datei und Zeile) oder '
                 'versende ihn trotzdem mit `linkletter send {draft} --force`. Der Hauptjob versucht es erneut, sobald '
                 'sich der Entwurf ändert.',
    },
    'notify.send_failed.subject': {
        "en": '{title}: the send of issue {issue} failed',
        "de": '{title}: Der Versand von Ausgabe {issue} ist fehlgeschlagen',
    },
    'notify.send_failed.body': {
        "en": 'The scheduled send of {draft} stopped with an error:\n\n{reason}',
        "de": 'Der geplante Versand von {draft} wurde mit einem Fehler abgebrochen:\n\n{reason}',
    },
    'notify.send_failed.todo': {
        "en": 'Deliveries that were not sent stay queued; nobody gets the issue twice. Fix the cause (a '
              'refused login or sender: check smtp_url and sender), then run `linkletter send {draft}` or '
              'touch the draft so the main job tries again. `linkletter send --status` shows the counts.',
        "de": 'Nicht versandte Zustellungen bleiben in der Warteschlange; niemand erhält die Ausgabe doppelt. '
              'Beheben Sie die Ursache (abgelehnte Anmeldung oder Absender: prüfen Sie smtp_url und sender) '
              'und starten Sie `linkletter send {draft}`, oder ändern Sie den Entwurf, damit der Hauptjob es '
              'erneut versucht. `linkletter send --status` zeigt die Zahlen.',
        "de_du": 'Nicht versandte Zustellungen bleiben in der Warteschlange; niemand erhält die Ausgabe doppelt. '
                 'Behebe die Ursache (abgelehnte Anmeldung oder Absender: prüfe smtp_url und sender) und starte '
                 '`linkletter send {draft}`, oder ändere den Entwurf, damit der Hauptjob es erneut versucht. '
                 '`linkletter send --status` zeigt die Zahlen.',
    },
    'notify.bounces.subject': {
        "en": '{title}: {bounced} of {total} addresses of issue {issue} bounced',
        "de": '{title}: {bounced} von {total} Adressen von Ausgabe {issue} sind unzustellbar',
    },
    'notify.bounces.body': {
        "en": '{bounced} of {total} deliveries of issue {issue} bounced for good ({percent}%, more than the '
              '{threshold}% of notify_hard_bounce_percent). Those subscribers are marked bounced and get no '
              'more issues.',
        "de": '{bounced} von {total} Zustellungen von Ausgabe {issue} sind endgültig unzustellbar ({percent} %, '
              'mehr als die {threshold} % von notify_hard_bounce_percent). Diese Abonnenten sind als '
              'unzustellbar markiert und erhalten keine weiteren Ausgaben.',
    },
    'notify.bounces.todo': {
        "en": 'Many bounces make mailbox providers distrust your mail. Check where these addresses came from '
              '(an import of old addresses?) and keep only subscribers who confirmed their address.',
        "de": 'Viele Rückläufer schaden Ihrem Ruf bei den Mailanbietern. Prüfen Sie, woher diese Adressen '
              'stammen (ein Import alter Adressen?), und behalten Sie nur Abonnenten, die ihre Adresse '
              'bestätigt haben.',
        "de_du": 'Viele Rückläufer schaden deinem Ruf bei den Mailanbietern. Prüfe, woher diese Adressen stammen '
                 '(ein Import alter Adressen?), und behalte nur Abonnenten, die ihre Adresse bestätigt haben.',
    },
    'notify.complaints.subject': {
        "en": '{title}: {complaints} spam complaint(s) about issue {issue}',
        "de": '{title}: {complaints} Spam-Beschwerde(n) zu Ausgabe {issue}',
    },
    'notify.complaints.body': {
        "en": '{complaints} reader(s) marked issue {issue} as spam (more than the {threshold} of '
              'notify_complaints). They get no more issues.',
        "de": '{complaints} Leser haben Ausgabe {issue} als Spam markiert (mehr als die {threshold} von '
              'notify_complaints). Diese Leser erhalten keine weiteren Ausgaben.',
    },
    'notify.complaints.todo': {
        "en": 'Complaints weigh more than bounces with mailbox providers. Make sure every subscriber asked for '
              'the newsletter, that the sender name is one they recognize, and that the unsubscribe link is '
              'easy to find.',
        "de": 'Beschwerden wiegen bei den Mailanbietern schwerer als Rückläufer. Stellen Sie sicher, dass jeder '
              'Abonnent den Newsletter bestellt hat, dass er den Absendernamen wiedererkennt und dass der '
              'Abmeldelink leicht zu finden ist.',
        "de_du": 'Beschwerden wiegen bei den Mailanbietern schwerer als Rückläufer. Stell sicher, dass jeder Abonnent '
                 'den Newsletter bestellt hat, dass er den Absendernamen wiedererkennt und dass der Abmeldelink leicht '
                 'zu finden ist.',
    },
}
