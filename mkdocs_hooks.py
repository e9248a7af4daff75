"""MkDocs hook: the site's pages generated from the tables; the site replaced only on success.

Tables: the folder named by $FEP_POLICY_TABLES, else the `tables/` folder beside mkdocs.yml (or in
its nearest parent: the commands' own lookup), validated like `policy validate`; a table that fails
validation stops the build with its problems. $FEP_POLICY_ID picks a policy when there are several.

Pages: `policy.present.site.build_site` returns them as Markdown; they are handed to MkDocs as
generated files, so nothing generated is written under docs/. The navigation is built here: the
generated pages, then the hand-written how-to pages named in
`policy/present/templates/site/words.yml` (with the titles of both) that exist in docs/. Any other
page in docs/ is left out of the navigation, which `validation.nav.omitted_files: warn` turns into a
failed strict build, as is a broken link or anchor.

Swap (`mkdocs build` only): MkDocs writes into a fresh folder beside `site_dir`; the strict check
runs after `on_post_build` and a failure reaches `on_build_error`, so `on_shutdown` (after the
strict check) renames the new folder into place only when the build finished and nothing failed,
and otherwise deletes it: a failed build leaves the previous site as it was. `mkdocs serve` and
`gh-deploy` build in place, as usual.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.structure.files import File, Files

from policy.compiler import compile_policy
from policy.core.errors import PolicyError
from policy.core.policy_files import find_tables_dir, policy_files
from policy.present.site import build_site
from policy.present.site.sources import check_not_shadowed, navigation
from policy.validate import load_and_validate

log = logging.getLogger("mkdocs.hooks.policy")

_state: dict[str, Any] = {}


def on_startup(command: str, dirty: bool) -> None:
    _state.clear()
    _state["command"] = command


def _tables_dir(config: MkDocsConfig) -> str:
    explicit = os.environ.get("FEP_POLICY_TABLES") or None
    return find_tables_dir(explicit, cwd=os.path.dirname(os.path.abspath(config.config_file_path)))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    try:
        files = policy_files(_tables_dir(config), os.environ.get("FEP_POLICY_ID") or None)
        _state["tables"] = files.folder
        validated = load_and_validate(files)
        site = build_site(validated, compile_policy(validated.revisions, validated.definition,
                                                    validated.crosswalk))
        # a hand-written file would silently shadow a generated page
        check_not_shadowed(site, lambda page: os.path.lexists(os.path.join(config.docs_dir, page)))
    except PolicyError as exc:
        raise PluginError(f"policy tables: {exc}") from None
    _state["pages"] = site.pages
    config.nav = navigation(site, lambda page: os.path.isfile(os.path.join(config.docs_dir, page)))
    if _state.get("command") == "build":
        target = os.path.abspath(config.site_dir)
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        _state["target"] = target
        _state["building"] = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}-build-",
                                              dir=parent)
        config.site_dir = _state["building"]
    return config


def on_serve(server: LiveReloadServer, config: MkDocsConfig,
             builder: Any) -> LiveReloadServer:
    server.watch(_state["tables"])  # `mkdocs serve` rebuilds when a table changes
    return server


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, markdown in _state["pages"].items():
        files.append(File.generated(config, path, content=markdown))
    return files


# A link within the site to a page's folder ("matrix/", "../", "./"), with its query and anchor:
# opened from file://, a folder shows its listing, not its index.html.
_FOLDER_LINK = re.compile(r'(href=")((?:\.\./|\./)*(?:[^"#?:/]+/)*|\.\.?(?=[?#"]))([?#][^"]*)?"')


def _as_folder(path: str) -> str:
    return f"{path}/" if path in (".", "..") else path


def on_post_page(output: str, page: Any, config: MkDocsConfig) -> str:
    """Each link to a page's folder names its index.html, so that the built folder works from
    file:// as from a server (which serves a folder's index.html for it); the pages' addresses
    stay as they are (`try/`)."""
    return _FOLDER_LINK.sub(
        lambda m: f'{m.group(1)}{_as_folder(m.group(2))}index.html{m.group(3) or ""}"'
        if m.group(2) or (m.group(3) or "").startswith("?") else m.group(0), output)


def on_post_build(config: MkDocsConfig) -> None:
    _state["built"] = True


def on_build_error(error: Exception) -> None:
    _state["failed"] = True


def on_shutdown() -> None:
    building, target = _state.get("building"), _state.get("target")
    if not building or not target:
        return
    if _state.get("built") and not _state.get("failed"):
        previous = f"{building}.previous"
        if os.path.exists(target):
            os.rename(target, previous)
        os.rename(building, target)
        shutil.rmtree(previous, ignore_errors=True)
        log.info(f"Site replaced: {target}")
    else:
        shutil.rmtree(building, ignore_errors=True)
        if os.path.exists(target):
            log.info(f"Build failed: the previous site in {target} is unchanged")
