"""What readers are told about the numbers (issue 17): the subscribe page's note on click
counts, shown only when ``click_counts`` is on."""

STRINGS: dict[str, dict[str, str]] = {
    'stats.clicks_note': {
        "en": 'Links in the emails go through this site, which counts how often each link was followed, '
              'in total. Nobody is identified: the links carry nothing about you, no record is kept of who '
              'clicked, and opening an email is not tracked.',
        "de": 'Links in den E-Mails führen über diese Website, die zählt, wie oft jeder Link insgesamt '
              'aufgerufen wurde. Niemand wird erkannt: Die Links enthalten nichts über Sie, es wird nicht '
              'gespeichert, wer geklickt hat, und das Öffnen einer E-Mail wird nicht erfasst.',
        "de_du": 'Links in den E-Mails führen über diese Website, die zählt, wie oft jeder Link insgesamt '
                 'aufgerufen wurde. Niemand wird erkannt: Die Links enthalten nichts über dich, es wird nicht '
                 'gespeichert, wer geklickt hat, und das Öffnen einer E-Mail wird nicht erfasst.',
    },
}
