"""The site as a folder of Markdown that any MkDocs-family builder renders as it is.

The published build is `mkdocs build`, whose hook (`mkdocs_hooks.py`) hands the generated pages to
MkDocs in memory. A builder without MkDocs' hooks (Zensical, say) needs them as files: `policy
site --out DIR` writes `DIR/docs/` (the generated pages, the hand-written how-to pages and the
assets) and `DIR/mkdocs.yml` (the project's configuration with the navigation filled in and the
hook left out, since the pages are already there). Both builds render the same Markdown; CI
compares their titles and tables page by page (`tools/compare_site_builds.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import yaml

from ...core.errors import SiteError
from . import Site, site_words

CONFIG_NAME = "mkdocs.yml"
DOCS = "docs"


def navigation(site: Site, how_to_exists: Callable[[str], bool]) -> list[dict[str, object]]:
    """The whole navigation: the generated pages, then the hand-written how-to pages named in
    `words.yml` that exist (`how_to_exists(page)`), under their heading."""
    titles = site_words()["nav"]
    how_to = [{page["title"]: page["page"]} for page in titles["how_to_pages"]
              if how_to_exists(page["page"])]
    return site.nav + ([{titles["how_to"]: how_to}] if how_to else [])


def how_to_pages() -> list[str]:
    """The hand-written pages the navigation may name (docs/ paths)."""
    return [page["page"] for page in site_words()["nav"]["how_to_pages"]]


def builder_config(config: Mapping[str, Any], nav: list[dict[str, object]]) -> dict[str, Any]:
    """The project's MkDocs configuration for the written folder: its pages under `docs/`, the
    site under `site/`, the navigation given, and no hooks (the pages they would generate are
    written already)."""
    written = {key: value for key, value in config.items() if key != "hooks"}
    written.update(docs_dir=DOCS, site_dir="site", nav=nav)
    return written


def check_not_shadowed(site: Site, exists: Callable[[str], bool]) -> None:
    """Raises SiteError when a hand-written file has a generated page's path (`exists(path)`,
    a docs/ path): it would shadow the page, silently."""
    for path in sorted(site.pages):
        if exists(path):
            raise SiteError(f"{DOCS}/{path} is generated from the tables; remove the file")


def site_folder(site: Site, config: Mapping[str, Any], hand_written: Mapping[str, bytes]
                ) -> dict[str, bytes]:
    """Every file of the folder (relative path -> bytes): the generated pages and the
    hand-written files (how-to pages and assets, by their docs/ path) under `docs/`, and the
    configuration. A hand-written file may not have a generated page's path (the hook refuses
    that build too): it would shadow the page."""
    check_not_shadowed(site, lambda path: path in hand_written)
    files = {f"{DOCS}/{path}": data for path, data in hand_written.items()}
    files.update({f"{DOCS}/{path}": text.encode("utf-8") for path, text in site.pages.items()})
    nav = navigation(site, lambda page: page in hand_written)
    files[CONFIG_NAME] = yaml.safe_dump(builder_config(config, nav), sort_keys=False,
                                        allow_unicode=True).encode("utf-8")
    return files
