"""CHANGELOG.md: every revision of a policy in plain words, newest first.

The changes are `policy.compare.changelog`'s; the wording is in
`policy/present/templates/changelog.md.j2` (and `decisions.md.j2`, shared with the site's timeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..compare.changelog import case_count, change_groups, revision_changes
from .conditions import condition_text, condition_words
from .templating import render

FILE_NAME = "CHANGELOG.md"


def condition_phrase(when: dict, definition: Any = None) -> str:
    """A group of cases in words: `render.condition_words` with policy.yml's labels and words,
    as the site's change pages phrase it; `render.condition_text` without a definition."""
    if definition is None:
        return condition_text(when)
    return condition_words(when, definition.inputs)


def changelog_markdown(revisions: Sequence[Any], definition: Any = None) -> str:
    """CHANGELOG.md for one policy: every revision, newest first. `definition` (policy.yml's)
    gives the inputs' labels and the policy's notice; without it fields go by their names."""
    changes = revision_changes(revisions)
    first = revisions[0]
    notice = definition.site.get("notice") if definition is not None else None
    text = render("changelog.md.j2", policy_id=first.policy_id, title=first.policy_title,
                  notice=notice, case_count=case_count(first),
                  flips=[c for c in changes if c.flips], changes=list(reversed(changes)),
                  groups=change_groups,
                  where_joint=":" if definition is not None else " where",
                  where=lambda when: condition_phrase(when, definition))
    return text.rstrip("\n") + "\n"
