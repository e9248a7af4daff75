"""Many bad values checked at once: the columnar core's messages for a column of junk.

A claim file repeats a few thousand values, which `cases.check_case` checks one by one (a memo
keeps the answers). A file of junk has as many distinct values as rows, and each one's message
cost about 90 us in Python (most of it `difflib`, choosing the "did you mean" hint): 2,000,000
junk values took 183 s against 1.3 s for a clean file. Here a column's bad values get their
messages from Arrow kernels, word for word those of `check_case`, for every value whose message
can be told without Python: printable ASCII (nothing for `escape` to do), whose hint, if any, is
the one chosen by prefix; a value that may have an exact or a `difflib` match, or any other value,
is left to `check_case` (`None` in `Screen.messages`). A screen's messages are of one code (its
`code`), as the per-value path's problem is. tests/batch/test_bulk_messages.py compares the two
paths value by value.

The fixed words come from the per-value paths themselves (each is asked once about SENTINEL,
and the words around it are kept; the hint's words from `cases.suggest`), so a change of
wording there changes the messages here too.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from ..core.cases import suggest
from ..core.errors import MAX_MESSAGE
from ..core.escaping import shown
from . import kernels as pc
from .row_errors import Pairs

# Below this many distinct values the per-value path is as fast and needs no screening.
BULK_MIN = 256
# Plain text: printable ASCII, or other characters that are not separators (spaces, line
# breaks) or "other" (controls, format characters such as the bidirectional overrides,
# surrogates, private use): `escape` leaves it as it is, and str.strip() takes spaces alone.
_PLAIN = r"^(?:[ -~]|[^\x00-\x7f\p{Z}\p{C}])*$"
_CUTOFF_TENTHS = 6  # difflib.get_close_matches(..., cutoff=0.6) in `cases.suggest`
_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # `dates._has_date_shape`
# A value whose message has no hint (no choice is near it or starts with it), and which a date
# message quotes as it is: the per-value paths are asked about it for their words.
SENTINEL = "\x00"


class NoTemplate(Exception):
    """The per-value path's words could not be split around the value (a change of wording
    this module does not follow): the bulk path is not used."""


def _one_problem(found: Pairs | None, what: str) -> tuple[str, str]:
    """The one (code, message) the per-value path gives SENTINEL."""
    if not found:
        raise NoTemplate(f"a NUL {what} passed the check")
    if len(found) != 1:
        raise NoTemplate(f"a NUL {what} has {len(found)} problems")
    return found[0]


def _around(text: str, part: str) -> tuple[str, str]:
    """The text before and after `part`, which occurs once in `text`."""
    before, found, after = text.partition(part)
    if not found or part in after:
        raise NoTemplate(f"cannot find {part!r} once in {text!r}")
    return before, after


class VocabularyScreen:
    """The UNKNOWN_VALUE messages of one input column for many values at once. `texts`: its
    allowed values as text, in order; `problems_of(value)`: the per-value path's problems."""

    def __init__(self, texts: list[str], problems_of: Callable[[str], Pairs | None]) -> None:
        self.texts = texts
        self.code, message = _one_problem(problems_of(SENTINEL), "value")
        self.before, self.after = _around(message, shown(SENTINEL))
        quoted = shown(texts[0])  # the hint quotes the choice as `shown` does: its edges
        self.hint_before, self.hint_after = _around(suggest(texts[0], texts), quoted)
        self.hint_before += quoted[:1]
        self.hint_after = quoted[-1:] + self.hint_after
        folded: dict[str, str] = {}  # as `suggest`'s: casefolded choice -> choice
        prefixes: dict[str, str] = {}  # a casefolded prefix of 1 to 3 characters -> first choice
        for text in texts:
            folded[text.casefold()] = text
            for k in range(1, min(3, len(text.casefold())) + 1):
                prefixes.setdefault(text.casefold()[:k], text)
        self.folded = list(folded)
        self.choice_of = folded
        self.choice_hints = pa.array([self.hint_before + folded[key] + self.hint_after
                                      for key in self.folded], pa.string())
        self.vocabulary = pa.array(texts, pa.string())
        self.folded_set = pa.array(self.folded, pa.string())
        self.prefix_keys = pa.array(list(prefixes), pa.string())
        self.prefix_hints = pa.array([self.hint_before + text + self.hint_after
                                      for text in prefixes.values()], pa.string())

    def messages(self, values: pa.Array) -> pa.Array:
        """Per value (strings outside the vocabulary, no nulls), its message as the per-value
        path words it, or null where only that path can tell: a value with a character that
        `escape` rewrites or that is not plain text (a control, a format character, a space
        other than ' '), or one that matches a choice but for letter case or spaces."""
        characters = pc.utf8_length(values)
        ascii = pc.fill_null(pc.equal(pc.binary_length(values), characters), True)
        everything_ascii = pc.all(ascii).as_py()
        plain = pc.ascii_is_printable(values)  # ASCII: printable; else, the long way
        if not everything_ascii:
            plain = pc.if_else(ascii, plain, pc.match_substring_regex(values, _PLAIN))
        plain = pc.fill_null(plain, False)
        longest = pc.max(characters).as_py() or 0
        word = values if longest <= 100 else pc.utf8_slice_codeunits(values, 0, 100)
        stripped = pc.ascii_trim(word, " ")  # `suggest` reads the first 100 characters;
        if everything_ascii:                 # str.strip(): of plain text, spaces only
            folded_word, folded = pc.ascii_lower(word), pc.ascii_lower(stripped)
        else:
            folded_word, folded = _casefold(word), _casefold(stripped)
        exact = pc.or_(pc.is_in(folded_word, value_set=self.folded_set),
                       pc.is_in(folded, value_set=self.folded_set))
        prefix = pc.index_in(pc.utf8_slice_codeunits(folded, 0, 3),
                             value_set=self.prefix_keys)
        hint = pc.fill_null(self._close_hints(folded),  # difflib's, else by prefix, else none
                            pc.fill_null(pc.take(self.prefix_hints, prefix), ""))
        quoted = pc.binary_join_element_wise("'", values, "'", "")  # `shown`; past 120
        if longest > 120:                                          # characters, cut
            long = pc.fill_null(pc.greater(characters, 120), False)
            quoted = pc.replace_with_mask(quoted, long, pc.binary_join_element_wise(
                "'", pc.utf8_slice_codeunits(pc.filter(values, long), 0, 120), "...' (",
                pc.cast(pc.filter(characters, long), pa.string()), " characters)", ""))
        text = pc.binary_join_element_wise(self.before, quoted, self.after, hint, "")
        fits = pc.less_equal(pc.utf8_length(text), MAX_MESSAGE)
        # (an empty string's hint is the per-value path's own: `cases.EMPTY_VALUE_HINT`)
        told = pc.and_(pc.and_(pc.and_(plain, pc.invert(exact)), fits),
                       pc.greater(characters, 0))
        return pc.if_else(told, text, pa.scalar(None, pa.string()))

    def _close_hints(self, folded: pa.Array) -> pa.Array:
        """Per casefolded word, the hint of `difflib`'s closest choice (null when none is close
        enough), as `suggest` gets it from `difflib.get_close_matches(word, choices, n=1,
        cutoff=0.6)`.

        A choice can be close only where its quick ratio reaches the cutoff: 2 M / (a + b) >=
        0.6, M the characters the word and the choice have in common (counted with repeats), a
        and b their lengths; it bounds the ratio from above, so no other choice can match.
        Where one choice reaches it and lies whole inside the word, the ratio is at least
        2 b / (a + b) (the choice is one matching block): when that reaches the cutoff too, it
        is the match. Any other word near a choice asks `difflib` about the choices that reach
        the cutoff (those alone could match)."""
        import difflib

        n = len(folded)
        length = pc.utf8_length(folded)
        counts = _character_counts(folded, sorted({c for choice in self.folded for c in choice}))
        capped: dict[tuple[str, int], pa.Array] = {}  # min(count, k), computed once
        reaches = []
        for choice in self.folded:
            common = None
            for c in sorted(set(choice)):
                k = choice.count(c)
                if (c, k) not in capped:
                    capped[c, k] = pc.min_element_wise(counts[c], k)
                common = capped[c, k] if common is None else pc.add(common, capped[c, k])
            reaches.append(pc.greater_equal(
                pc.multiply(common, 2 * 10),
                pc.multiply(pc.add(length, len(choice)), _CUTOFF_TENTHS)))
        close = pc.cast(reaches[0], pa.int64())
        for more in reaches[1:]:
            close = pc.add(close, pc.cast(more, pa.int64()))
        if not pc.any(pc.greater(close, 0)).as_py():
            return pa.nulls(n, pa.string())
        alone = pc.and_(pc.equal(close, 1), pc.less(length, 200))  # 200: difflib's autojunk
        which = pa.nulls(n, pa.int64())
        for i, (choice, reach) in enumerate(zip(self.folded, reaches, strict=True)):
            one = pc.and_(alone, reach)  # (disjoint: one choice reaches each)
            if not pc.any(one).as_py():
                continue
            inside = pc.and_(  # inside the word, and 2 b / (a + b) >= 0.6
                pc.fill_null(pc.match_substring(pc.filter(folded, one), choice), False),
                pc.greater_equal(len(choice) * 2 * 10, pc.multiply(
                    pc.add(pc.filter(length, one), len(choice)), _CUTOFF_TENTHS)))
            which = pc.replace_with_mask(which, one, pc.if_else(
                inside, pa.scalar(i, pa.int64()), pa.scalar(None, pa.int64())))
        hints = pc.take(self.choice_hints, which)
        ask = pc.and_(pc.greater(close, 0), pc.is_null(which))
        if pc.any(ask).as_py():
            words = pc.filter(folded, ask).to_pylist()
            rows = zip(*(pc.filter(reach, ask).to_pylist() for reach in reaches), strict=True)
            asked = []
            for word, reached in zip(words, rows, strict=True):
                found = difflib.get_close_matches(
                    word, [c for c, r in zip(self.folded, reached, strict=True) if r],
                    n=1, cutoff=_CUTOFF_TENTHS / 10)
                asked.append(self.hint_before + self.choice_of[found[0]] + self.hint_after
                             if found else None)
            hints = pc.replace_with_mask(hints, ask, pa.array(asked, pa.string()))
        return hints


_FIELD_BITS = 9  # a count per character; a casefolded word has at most 300 (100 folded 3 ways)
_PER_SUM = 64 // _FIELD_BITS  # counts packed into one int64


def _character_counts(strings: pa.Array, characters: list[str]) -> dict[str, pa.Array]:
    """Per character, its count in each string (int64; 0 for a null). ASCII characters are
    counted over the bytes of all the strings at once, seven at a time: each byte adds
    2 ** (9 j) for the j-th of them to a running sum, and a string's counts are the fields of
    the difference of the sums at its ends (exact: no field of one string reaches 2 ** 9, and
    wrapping around 2 ** 64 cancels out in the difference). Any other character is counted by
    `count_substring`."""
    n = len(strings)
    offsets = pa.Array.from_buffers(pa.int32(), n + 1, [None, strings.buffers()[1]],
                                    offset=strings.offset)
    first = offsets[0].as_py()
    size = offsets[n].as_py() - first
    ascii = [c for c in characters if c.isascii()]
    counts = {c: pc.fill_null(pc.cast(pc.count_substring(strings, c), pa.int64()), 0)
              for c in characters if not c.isascii()}
    if not size:
        counts.update((c, pa.repeat(pa.scalar(0, pa.int64()), n)) for c in ascii)
        return counts
    data = pa.Array.from_buffers(pa.uint8(), size, [None, strings.buffers()[2]], offset=first)
    starts = pc.subtract(offsets.slice(0, n), first)
    ends = pc.subtract(offsets.slice(1, n), first)
    zero = pa.array([0], pa.int64())
    for group in range(0, len(ascii), _PER_SUM):
        packed = ascii[group:group + _PER_SUM]
        steps = [0] * 256
        for j, c in enumerate(packed):
            steps[ord(c)] = 1 << (_FIELD_BITS * j)
        step = pc.take(pa.array([v - (1 << 64) if v >= 1 << 63 else v for v in steps],
                                pa.int64()), data)
        running = pa.concat_arrays([zero, pc.cumulative_sum(step)])  # wraps around; see above
        fields = pc.subtract(pc.take(running, ends), pc.take(running, starts))
        for j, c in enumerate(packed):
            counts[c] = pc.bit_wise_and(pc.shift_right(fields, _FIELD_BITS * j),
                                        (1 << _FIELD_BITS) - 1)
    return counts


def _casefold(strings: pa.Array) -> pa.Array:
    """str.casefold() of each string: ASCII by a kernel (its lower case), the others in Python
    (casefold is not a lower case: "ß" is "ss", "\u017f" is "s")."""
    ascii = pc.fill_null(pc.equal(pc.binary_length(strings), pc.utf8_length(strings)), True)
    folded = pc.ascii_lower(strings)
    if pc.all(ascii).as_py():
        return folded
    other = pc.invert(ascii)
    return pc.replace_with_mask(folded, other, pa.array(
        [None if text is None else text.casefold()
         for text in pc.filter(strings, other).to_pylist()], pa.string()))


class DateScreen:
    """The DATE_INVALID messages of service dates that are not in the form YYYY-MM-DD, for many
    at once (the rest, real dates or not, are checked one by one). `problems_of(day)`: the
    per-day path's problems."""

    def __init__(self, problems_of: Callable[[str], Pairs | None]) -> None:
        self.code, message = _one_problem(problems_of(SENTINEL), "date")
        self.before, self.after = _around(message, SENTINEL)

    def messages(self, days: pa.Array) -> pa.Array:
        """Per day (no nulls), the message of a day not shaped YYYY-MM-DD, else null."""
        shaped = pc.match_substring_regex(days, _DATE_SHAPE)
        text = pc.binary_join_element_wise(self.before, days, self.after, "")
        return pc.if_else(shaped, pa.scalar(None, pa.string()), text)
