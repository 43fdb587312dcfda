"""What the draft assembler writes for the author only (never published: HTML comments the
render drops): the insertion marker, notes, and the lines naming where new quotes belong.
The author's language; these address the author, not readers, so there is no du/Sie pair."""

STRINGS: dict[str, dict[str, str]] = {
    # ``linkletter:new-picks`` is what the assembler looks for; the rest is a hint for the author
    "picks.marker": {"en": "<!-- linkletter:new-picks (new picks are inserted above this line; move it where "
                           "they should go) -->",
                     "de": "<!-- linkletter:new-picks (neue Links werden über dieser Zeile eingefügt; "
                           "verschiebe sie dorthin, wo sie hin sollen) -->"},
    "picks.note": {"en": "note", "de": "Notiz"},
    "picks.more": {"en": "new quote for link #{id}, {title}; move it where it belongs",
                   "de": "neues Zitat zu Link #{id}, {title}; verschiebe es dorthin, wo es hingehört"},
    "picks.featured": {"en": "featured before in issue {issues}", "de": "schon in Ausgabe {issues}"},
}
