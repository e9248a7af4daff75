"""Each rule has one home in the package: a second copy is how two renderings drift apart."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "policy"


def _lines_matching(pattern: str) -> list[str]:
    found = re.compile(pattern)
    return [f"{path.relative_to(PACKAGE)}:{number}"
            for path in sorted(PACKAGE.rglob("*.py"))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if found.search(line)]


def test_booleans_are_written_as_text_in_one_place():
    assert _lines_matching(r"""["']true["'] if""") == ["core/value_text.py:19"]


def test_the_one_rendering_of_booleans():
    from policy.core.value_text import value_text

    assert [value_text(v) for v in (True, False, "T4", 1, None)] == [
        "true", "false", "T4", "1", "None"]
