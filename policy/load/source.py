"""The source text (`source.md`) as validation reads it: the quote normalisation, where its
sentences start and end, and the facts it states about itself (the effective date, the last history
row).

The normalisation (`normalize_text`) lets a table quote the words without their Markdown: list
markers, `**`/`*` emphasis, `\\_` escapes, `[text](url)` links (the text is kept), `<sup>n</sup>`
reference marks and line breaks are dropped or made single spaces. Quotes and source are normalised
the same way, then compared as text.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime

from ..core.dates import first_of_next_month

_LIST_MARKER = re.compile(r"(?m)^\s*(?:[-*]|[0-9]+\.)\s+")
_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_REFERENCE_MARK = re.compile(r"\s*<sup>[^<]*</sup>\s*,?")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")
_INNER_START = re.compile(r"[.!?][\"')\]]? ")  # a sentence ends and the next begins in a line
_MID_SENTENCE = re.compile(r"[a-z,;(-]$")  # a line that ends like this runs on into the next one
_STATED_DATE = re.compile(r"Effective Policy Date:\**\s*([A-Z][a-z]+ [0-9]{1,2}, [0-9]{4})")
_HISTORY_ROW = re.compile(r"(?m)^([A-Z][a-z]+ [0-9]{4})\t([^\t\n]*)\t([^\n]*)$")


# The nearest-sentence look-up's bounds (SourceText.nearest_sentence)
_LOOKUPS = 25  # per source text, i.e. per validation: later quotes get no suggestion
_PIECES = 20  # sentences of a quote looked for in the source
_WORDS = 64  # distinct words of the missing sentence looked up
_POSTINGS = 200  # a word in more sentences than this tells nothing
_CANDIDATES = 8  # source sentences compared character by character with a missing quote
_COMPARED = 400  # characters of each compared (difflib's ratio is quadratic in the worst case)
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


def _split_sentences(text: str) -> list[str]:
    """A normalised quote's sentences (split after `.`, `!` or `?` and a space)."""
    pieces, start = [], 0
    for found in _INNER_START.finditer(text):
        pieces.append(text[start:found.end()].strip())
        start = found.end()
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if piece]


def normalize_text(text: str) -> str:
    """Compare quotes with the source ignoring Markdown emphasis, escapes, links, reference marks,
    list markers and line breaks (see the module's docstring)."""
    text = _LIST_MARKER.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _REFERENCE_MARK.sub(" ", text)
    text = text.replace("**", "").replace("*", "")
    text = re.sub(r"\\+_", "_", text)
    return re.sub(r"\s+", " ", text).strip()


class SourceText:
    """The normalised source and the offsets in it where a sentence may start.

    A sentence starts at each table cell, at a line after a heading, a bold line or a table row,
    and at any other line unless the line before it runs on (ends in a lower-case letter, comma,
    semicolon, parenthesis or hyphen: a page break inside a sentence); and after `.`, `!` or `?`
    and a space inside a line.
    """

    def __init__(self, raw: str):
        self.raw = raw
        pieces: list[str] = []
        starts: set[int] = set()
        offset = 0
        previous = None  # (its line, its last piece) of the last non-empty line
        for line in raw.splitlines():
            cells = line.split("\t")
            for cell in cells:
                piece = normalize_text(cell)
                if not piece:
                    continue
                if pieces:
                    offset += 1  # the joining space
                if (len(cells) > 1 or previous is None or "\t" in previous[0]
                        or previous[0].lstrip().startswith(("#", "**"))
                        or not _MID_SENTENCE.search(previous[1])):
                    starts.add(offset)
                starts.update(offset + m.end() for m in _INNER_START.finditer(piece))
                pieces.append(piece)
                offset += len(piece)
            if any(normalize_text(cell) for cell in cells):
                previous = (line, normalize_text(cells[-1]) or normalize_text(line))
        self.text = " ".join(pieces)
        self.sentence_starts = frozenset(starts)
        # the nearest-sentence look-up's word index, built when first asked (a SourceText
        # belongs to one validation: never shared between threads), and how often it was asked
        self._index: tuple[list[str], dict[str, list[int]]] | None = None
        self._lookups = 0

    def __contains__(self, quote: str) -> bool:
        return normalize_text(quote) in self.text

    def whole_sentences(self, quote: str) -> bool:
        """True when `quote` (normalised) is one or more whole sentences of the source: it starts
        where a sentence starts and ends with a sentence's end."""
        words = normalize_text(quote)
        if not words or not _SENTENCE_END.search(words):
            return False
        at = self.text.find(words)
        while at >= 0:
            end = at + len(words)
            if at in self.sentence_starts and (end == len(self.text) or self.text[end] == " "):
                return True
            at = self.text.find(words, at + 1)
        return False

    def sentences(self) -> list[str]:
        """The source's sentences (and table cells), normalised, in order."""
        bounds = sorted(self.sentence_starts | {0}) + [len(self.text)]
        return [piece for start, end in zip(bounds, bounds[1:], strict=False)
                if (piece := self.text[start:end].strip())]

    def nearest_sentence(self, quote: str) -> tuple[str, str] | None:
        """(the first sentence of `quote` that the source does not contain, the source's sentence
        most like it), or None when there is none to name: the source contains every sentence
        looked at, shares no telling word with it, or this source has answered `_LOOKUPS` times.

        Bounded work whatever the sizes: at most `_PIECES` sentences of the quote are looked for;
        candidates are found through an index of words (at most `_WORDS` of the quote's, each in
        at most `_POSTINGS` sentences: commoner words tell nothing); difflib compares the
        `_CANDIDATES` sentences sharing the most words, cut to `_COMPARED` characters each.
        """
        if self._lookups >= _LOOKUPS:
            return None
        self._lookups += 1
        pieces = _split_sentences(normalize_text(quote))[:_PIECES]
        missing = next((piece for piece in pieces if piece not in self.text), None)
        if missing is None:
            return None
        sentences, postings = self._word_index()
        shared: dict[int, int] = {}
        for word in sorted(_words(missing))[:_WORDS]:
            holders = postings.get(word, ())
            if len(holders) <= _POSTINGS:
                for i in holders:
                    shared[i] = shared.get(i, 0) + 1
        if not shared:
            return None
        ranked = sorted(shared, key=lambda i: (-shared[i], i))[:_CANDIDATES]
        target = missing[:_COMPARED]
        ratios = [(difflib.SequenceMatcher(None, target, sentences[i][:_COMPARED],
                                           autojunk=False).ratio(), -i) for i in ranked]
        return missing, sentences[-max(ratios)[1]]

    def nearest_words(self, quote: str) -> str:
        """What a message adds for a quote the source does not contain: the source's nearest
        sentence (to the quote's first missing sentence, when it has several), or nothing."""
        from ..core.escaping import shown

        found = self.nearest_sentence(quote)
        if found is None:
            return ""
        missing, nearest = found
        several = missing != normalize_text(quote)
        return ("; the source's nearest sentence"
                + (f" to {shown(missing, 160)}" if several else "")
                + f": {shown(nearest, 240)}")

    def _word_index(self) -> tuple[list[str], dict[str, list[int]]]:
        """The sentences, and for each word the indexes of the sentences holding it."""
        if self._index is None:
            sentences = self.sentences()
            postings: dict[str, list[int]] = {}
            for i, sentence in enumerate(sentences):
                for word in _words(sentence):
                    postings.setdefault(word, []).append(i)
            self._index = (sentences, postings)
        return self._index

    def stated_effective_date(self) -> str | None:
        """The date the source states as effective ("Effective Policy Date: October 1, 2023"),
        as YYYY-MM-DD; None when it states none."""
        found = _STATED_DATE.search(self.raw)
        if not found:
            return None
        return datetime.strptime(found.group(1), "%B %d, %Y").date().isoformat()

    def stated_date_after(self, approved: str) -> str | None:
        """The stated effective date when it can be that of a revision approved in `approved`
        (YYYY-MM): on or after the first day of the next month. A document's stated date belongs
        to its own, newest, revision; one no later than that row's approval month was left over
        from an earlier revision (the project's reading)."""
        stated = self.stated_effective_date()
        return stated if stated is not None and stated >= first_of_next_month(approved) else None

    def history_rows(self) -> list[tuple[str, str, str]]:
        """The Policy History rows (date, action, description), oldest first."""
        return [(d, a, desc.strip()) for d, a, desc in _HISTORY_ROW.findall(self.raw)]


def whole_sentences_of(quote: str, source: str | SourceText) -> bool:
    """`SourceText.whole_sentences` for a raw source text or a built one."""
    built = source if isinstance(source, SourceText) else SourceText(source)
    return built.whole_sentences(quote)
