"""Is a quote in its source? Normalized matching, ellipses, and the closest passage.

Typography differs between a source and a newsletter without the words differing: German
„…“ against straight "...", soft hyphens, non-breaking spaces, line breaks inside a sentence,
en dash against hyphen, upper against lower case. :func:`normalize` removes all of that on
both sides. An ellipsis (``…``, ``...``, ``[…]``, ``[...]``) marks words left out: the parts
around it must appear in the source in that order.

When a part is missing, :func:`closest_passage` shows what the source says instead: a sliding
window of the quote's length over the source's words finds the place with the most words in
common (linear in the source's length), then difflib's ratio scores it and fits its edges.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.typography import DOUBLE, INVISIBLE, SINGLE, TRANS, normalize

_DOUBLE, _SINGLE, _INVISIBLE, _TRANS = DOUBLE, SINGLE, INVISIBLE, TRANS
# French typography spaces the inside of « » and before : ; ! ? (often a no-break space);
# other languages don't: no space there on either side.
_QUOTE_SPACE = re.compile(r" ?([\"'\u2039\u203a]) ?")
_PUNCT_SPACE = re.compile(r" ([:;!?])")
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:…|\.\s?\.\s?\.)\s*\]|\(\s*(?:…|\.\s?\.\s?\.)\s*\)|…|\.\s?\.\s?\.\.*)\s*")
# What may be trimmed from the ends of a quote part: space, quotation marks, and the
# punctuation an author adds or drops when cutting a sentence.
_TRIM = " \t\n\"'.,;:-"
_NONWORD = re.compile(r"[^\w\x01]+")


def spacing_free(normalized: str) -> str:
    """A normalized text without the spaces French typography puts inside quotation marks and
    before : ; ! ? (the search compares both sides this way; closest passages keep the spaces)."""
    return _PUNCT_SPACE.sub(r"\1", _QUOTE_SPACE.sub(r"\1", normalized))


def split_quote(quote: str) -> list[tuple[str, str]]:
    """The quote's parts between ellipses as (as written, normalized), trimmed of space,
    quotation marks and cut punctuation; empty parts dropped."""
    parts = []
    for raw in _ELLIPSIS.split(quote):
        p = normalize(raw).strip(_TRIM)
        if p:
            parts.append((" ".join(raw.split()).strip(_TRIM + _DOUBLE + _SINGLE), p))
    return parts


def split_parts(quote: str) -> list[str]:
    """The quote's normalized parts between ellipses."""
    return [norm for _raw, norm in split_quote(quote)]


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def find_part(part: str, source: str, start: int = 0) -> int:
    """Where ``part`` occurs in ``source`` at or after ``start`` without cutting a word in
    two (so "art" is not found in "start"); -1 if nowhere."""
    check_left = _is_word_char(part[0])
    check_right = _is_word_char(part[-1])
    j = source.find(part, start)
    while j >= 0:
        end = j + len(part)
        if (not check_left or j == 0 or not _is_word_char(source[j - 1])) and \
           (not check_right or end == len(source) or not _is_word_char(source[end])):
            return j
        j = source.find(part, j + 1)
    return -1


def missing_part(parts: list[str], source_norm: str) -> int | None:
    """The index of the first part not found after the previous one (earliest matches are
    taken, which is optimal for an in-order search); None when all parts are there."""
    pos = 0
    for i, part in enumerate(parts):
        j = find_part(part, source_norm, pos)
        if j < 0:
            return i
        pos = j + len(part)
    return None


@dataclass(frozen=True)
class Passage:
    text: str  # the source's own words (whitespace collapsed, soft hyphens removed)
    similarity: float  # 0..1, difflib ratio between the normalized quote part and passage


class SourceText:
    """A source's main text, prepared once for any number of quotes: normalized for the
    search, and as words with their places in the original for closest passages."""

    def __init__(self, text: str):
        self.text = text or ""
        self.normalized = normalize(self.text)
        self.searchable = spacing_free(self.normalized)
        self._words: tuple[list[str], list[tuple[int, int]]] | None = None

    def words(self) -> tuple[list[str], list[tuple[int, int]]]:
        """(keys, spans): each word's letters and digits only, case folded, and its place."""
        if self._words is None:
            matches = list(re.finditer(r"\S+", self.text))
            joined = "\x01".join(m.group() for m in matches)
            keys = _NONWORD.sub("", normalize_word_chunks(joined)).split("\x01") if matches else []
            pairs = [(k, m.span()) for k, m in zip(keys, matches) if k]
            self._words = ([k for k, _s in pairs], [s for _k, s in pairs])
        return self._words

    def find(self, quote: str) -> tuple[bool, int | None, list[str]]:
        """(verified, index of the missing part, parts)."""
        parts = split_parts(quote)
        if not parts:
            return False, 0, parts
        missing = missing_part([spacing_free(p) for p in parts], self.searchable)
        return missing is None, missing, parts


def normalize_word_chunks(joined: str) -> str:
    """:func:`normalize` without touching whitespace (the chunks carry no whitespace)."""
    return unicodedata.normalize("NFKC", joined).translate(_TRANS).casefold()


def _word_keys(text: str) -> list[str]:
    return [k for k in _NONWORD.sub("", normalize_word_chunks("\x01".join(text.split()))).split("\x01") if k]


def _best_windows(source: list[str], quote: list[str], count: int = 3) -> list[int]:
    """Start indexes of up to ``count`` non-overlapping windows of ``len(quote)`` source words
    sharing the most words with the quote (as multisets)."""
    n = min(len(quote), len(source))
    want = Counter(quote)
    have: Counter[str] = Counter()
    score = 0
    for k in source[:n]:
        if have[k] < want.get(k, 0):
            score += 1
        have[k] += 1
    scores = [score]
    for i in range(n, len(source)):
        out, inn = source[i - n], source[i]
        have[out] -= 1
        if have[out] < want.get(out, 0):
            score -= 1
        if have[inn] < want.get(inn, 0):
            score += 1
        have[inn] += 1
        scores.append(score)
    order = sorted(range(len(scores)), key=lambda s: (-scores[s], s))
    picked: list[int] = []
    for s in order:
        if scores[s] == 0 and picked:
            break
        if all(abs(s - p) >= n for p in picked):
            picked.append(s)
            if len(picked) == count:
                break
    return picked


def closest_passage(part: str, source: SourceText) -> Passage | None:
    """The passage of the source most like ``part`` (a normalized quote part), or None when
    the source has no words."""
    keys, spans = source.words()
    quote_keys = _word_keys(part)
    if not keys or not quote_keys:
        return None
    n = min(len(quote_keys), len(keys))

    def ratio(a: int, b: int) -> float:
        passage = normalize(source.text[spans[a][0]:spans[b - 1][1]])
        return SequenceMatcher(None, part, passage, autojunk=False).ratio()

    # the best of the candidate windows by difflib's ratio ...
    r, a, b = max((ratio(s, s + n), s, s + n) for s in _best_windows(keys, quote_keys))
    # ... then fit its edges: widen or shift it by one word while that makes the passage more
    # alike. Never narrower than the quote, so a changed word at an edge stays in view.
    improved = True
    while improved:
        improved = False
        for da, db in ((-1, 0), (0, 1), (-1, -1), (1, 1)):
            na, nb = a + da, b + db
            if 0 <= na < nb <= len(keys):
                nr = ratio(na, nb)
                if nr > r:
                    a, b, r, improved = na, nb, nr, True
                    break
    text = " ".join(source.text[spans[a][0]:spans[b - 1][1]].translate({ord(c): None for c in _INVISIBLE}).split())
    return Passage(text=text, similarity=round(r, 3))
