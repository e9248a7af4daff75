"""What the warm `policy evaluate` path does without the standard library's modules for: the date
check (without `datetime`), the escaper and lone surrogates (without `re`), each checked against
what it replaces; and the text output's wrapping, which never splits a rule id or a date."""

import re
from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st

from policy.core.dates import check_date
from policy.core.escaping import UNSAFE, escape, lone_surrogate
from policy.present.text import wrap


def test_a_hyphenated_word_is_not_split():
    """textwrap's default would break after a hyphen ("...-t4-not-" / "recurrent applies")."""
    text = "the rule rectal-margins-not-t4-not-recurrent applies"
    assert wrap(text, 40) == ["the rule", "rectal-margins-not-t4-not-recurrent", "applies"]
    assert wrap("as of 2016-05-03 exactly", 12) == ["as of", "2016-05-03", "exactly"]


def test_no_unsafe_character_is_printable():
    """escape() returns printable text untouched: sound only if every character it escapes is
    unprintable. Checked for every code point of the class, not a sample."""
    unsafe = re.compile(UNSAFE)
    found = [code for code in range(0x110000) if unsafe.match(chr(code))]
    assert len(found) == 32 + 33 + 2 + 5 + 4 + 2048
    assert not any(chr(code).isprintable() for code in found)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, max_codepoint=0x2070) | st.characters()))
def test_escape_matches_the_class(text):
    expected = re.sub(UNSAFE, lambda m: repr(m.group())[1:-1] if m.group() not in "\n\r\t"
                      else {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[m.group()], text)
    assert escape(text) == expected


DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@settings(max_examples=4000, deadline=None)
@given(st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789-٣१T: ")), max_size=12),
    st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 13),
              st.integers(0, 32)),
    st.dates().map(str), st.text(max_size=11)))
@example("2024-02-29")
@example("2023-02-29")
@example("1900-02-29")
@example("2000-02-29")
@example("0000-01-01")
@example("9999-12-31")
def test_a_date_is_what_the_pattern_and_the_calendar_accept(text):
    """check_date without `re` or `datetime`: YYYY-MM-DD in ASCII digits, a real day as
    date.fromisoformat has it, nothing else; a real-looking shape gets the calendar's message."""
    try:
        check_date(text)
        accepted = True
    except ValueError as exc:
        accepted = False
        assert ("not a real calendar date" in str(exc)) == bool(DATE_SHAPE.fullmatch(text))
    assert accepted == bool(DATE_SHAPE.fullmatch(text) and _real_date(text))


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.characters(codec=None) | st.sampled_from(["\ud800", "\udfff", "a"])))
def test_lone_surrogate_finds_the_first(text):
    found = re.search("[\ud800-\udfff]", text)
    assert lone_surrogate(text) == (found.start() if found else None)
