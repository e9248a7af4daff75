"""The site's page names, its shared wording, and rendering a page's template with what every
page uses."""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any

import yaml

from ...compare.changelog import change_groups
from ...core.errors import SiteError
from ..templating import render

TRY_PAGE = "try.md"
_REVISION_ID = re.compile(r"[0-9]{4}-[0-9]{2}")


def revision_page(rev_id: str) -> str:
    if not _REVISION_ID.fullmatch(rev_id):  # the schema guarantees it; a page name must be safe
        raise SiteError(f"revision id {rev_id!r} cannot name a page (YYYY-MM expected)")
    return f"revisions/{rev_id}.md"


def change_page(old_id: str, new_id: str) -> str:
    revision_page(old_id), revision_page(new_id)
    return f"changes/{old_id}-to-{new_id}.md"


def site_words() -> dict:
    """The wording every policy's site shares beside its pages' templates
    (`policy/present/templates/site/words.yml`): labels, hover text, navigation titles. Read
    afresh on each call, so no caller shares a mutable copy."""
    words = files("policy.present") / "templates" / "site" / "words.yml"
    text = words.read_text(encoding="utf-8")
    return yaml.safe_load(text)


def render_page(template: str, here: str, **context: Any) -> str:
    """`policy/present/templates/site/<template>` for the page `here` (as '\\n'.join of its
    lines)."""
    text = render(f"site/{template}", here=here, revision_page=revision_page,
                  change_page=change_page, try_page=TRY_PAGE, groups=change_groups, **context)
    return text.removesuffix("\n")
