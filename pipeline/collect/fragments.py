"""Text fragments (``URL#:~:text=...``): a link to a passage in a page, which browsers scroll
to and highlight. The one place such links are made: the bookmarklet's selection and the
highlight services' quotes (whose context, a Hypothesis ``TextQuoteSelector``'s ``prefix`` and
``suffix``, makes the link name the right one of several equal passages).

Syntax (WICG "URL Fragment Text Directives"): ``#:~:text=[prefix-,]textStart[,textEnd][,-suffix]``;
each part percent-encoded, ``-``, ``,`` and ``&`` included. Every part is matched on word
boundaries, so a context cut in the middle of a word loses that word.
"""

from __future__ import annotations

from urllib.parse import quote

FRAGMENT_WORDS = 4  # words at each end of a long passage
CONTEXT_WORDS = 3  # words of context before and after it


def _encode(text: str) -> str:
    # Text directives must percent-encode '&', ',' and '-' (the syntax's own characters);
    # quote(safe='') encodes everything but letters, digits and '_.~-', so '-' is added.
    return quote(text, safe="").replace("-", "%2D")


def _prefix_words(prefix: str | None) -> list[str]:
    """The last words of the text before the passage, whole words only."""
    if not prefix or not prefix.strip():
        return []
    words = prefix.split()
    if not prefix[0].isspace():  # the context may start inside a word: drop that part
        words = words[1:]
    return words[-CONTEXT_WORDS:]


def _suffix_words(suffix: str | None) -> list[str]:
    """The first words of the text after the passage, whole words only."""
    if not suffix or not suffix.strip():
        return []
    words = suffix.split()
    if not suffix[-1].isspace():  # the context may end inside a word: drop that part
        words = words[:-1]
    return words[:CONTEXT_WORDS]


def text_fragment_url(url: str, selection: str, *, prefix: str | None = None, suffix: str | None = None) -> str:
    """``url`` with a text fragment that highlights ``selection``: the whole passage when it is
    short, else ``textStart,textEnd`` with its first and last words; with the words around it
    (``prefix``, ``suffix``) when they are known. An existing fragment is replaced."""
    base = url.split("#", 1)[0]
    words = selection.split()
    if not words:
        return url
    if len(words) <= 2 * FRAGMENT_WORDS:
        directive = _encode(" ".join(words))
    else:
        directive = _encode(" ".join(words[:FRAGMENT_WORDS])) + "," + _encode(" ".join(words[-FRAGMENT_WORDS:]))
    before, after = _prefix_words(prefix), _suffix_words(suffix)
    if before:
        directive = _encode(" ".join(before)) + "-," + directive
    if after:
        directive = directive + ",-" + _encode(" ".join(after))
    return f"{base}#:~:text={directive}"
