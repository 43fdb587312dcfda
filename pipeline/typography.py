"""Typography that does not change the words: the one normalization both the check (is a
quote in its source?) and the collect stage (is this the passage we have already?) use.

German „…“ against straight "...", soft hyphens, non-breaking spaces, line breaks inside a
sentence, en dash against hyphen, upper against lower case: :func:`normalize` removes all of
that. A leaf module (standard library only), so every stage may import it.
"""

from __future__ import annotations

import re
import unicodedata

DOUBLE = "\"„“”‟«»〝〞〟"  # after NFKC: no full-width forms left
SINGLE = "'‚‘’‛‹›′`´ʼ"
DASHES = "‐‑‒–—―−⁃﹘﹣－"
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"

TRANS = str.maketrans({**{c: '"' for c in DOUBLE}, **{c: "'" for c in SINGLE}, **{c: "-" for c in DASHES},
                       **{c: None for c in INVISIBLE}})
_DASH_RUN = re.compile(r" ?-+ ?")

# Quotation marks that open and the ones that may close them (German „…“ and ‚…‘, English
# “…” and ‘…’, guillemets both ways, straight quotes).
PAIRS = {"„": "“”\"", "‚": "‘’'", "“": "”\"", "‘": "’'", "«": "»", "»": "«", "‹": "›", "›": "‹", '"': '"“”', "'": "'’"}


def normalize(text: str) -> str:
    """The text with typography removed: compatibility forms (NBSP → space, ligatures), one
    kind of double quote, single quote/apostrophe and dash, no soft hyphens or zero-width
    characters, whitespace collapsed to one space, no space around dashes, case folded."""
    text = " ".join(unicodedata.normalize("NFKC", text).translate(TRANS).split())
    return _DASH_RUN.sub("-", text).casefold()


def without_enclosing_marks(text: str) -> str:
    """The text without quotation marks that enclose all of it (``„Ein Satz.“`` → ``Ein
    Satz.``); marks that open or close only a part (``„A“, sagte er, „B“``) stay."""
    t = text.strip()
    if len(t) < 3 or t[0] not in PAIRS or t[-1] not in PAIRS[t[0]]:
        return text
    inner = t[1:-1]
    opening, closing = t[0], PAIRS[t[0]]
    if opening in closing:  # straight quotes: an even number inside means they pair up there
        if inner.count(opening) % 2:
            return text
    elif sum(inner.count(c) for c in closing) != inner.count(opening):
        return text  # the last mark closes a later quotation, not the first one
    return inner.strip()
