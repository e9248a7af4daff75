"""`policy site --out DIR`: the site's pages as a folder of Markdown with its configuration, so
that any MkDocs-family builder renders them (`zensical build -f DIR/mkdocs.yml`, or `mkdocs
build -f DIR/mkdocs.yml`); `mkdocs build` at the top of the repository stays the published build.
"""

from __future__ import annotations

import os
from argparse import Namespace

from ..compiler import compile_policy
from ..core.errors import DataError, Problem, UsageError
from ..core.policy_files import display_path, installed_data_folder
from ..core.reading import MAX_BYTES, read_bounded
from ..load.yaml_loader import read_yaml_file
from ..present.site import build_site
from ..present.site.sources import CONFIG_NAME, check_not_shadowed, how_to_pages, site_folder
from ..writer import write_folder
from . import loading
from .output import out


def run(args: Namespace) -> int:
    if args.out is None:
        raise UsageError("site needs --out DIR, the folder to write")
    files = loading.policy_files_of(args)
    config_path = args.config
    if config_path is None:  # beside the tables/ folder: the root of the policy repository
        tables_dir = os.path.dirname(os.path.abspath(files.folder))
        if tables_dir.startswith(installed_data_folder()):
            raise UsageError("the tables are the ones installed with the package: run this in a "
                             "policy repository, or give --config FILE")
        config_path = os.path.join(os.path.dirname(tables_dir), CONFIG_NAME)
    config = read_yaml_file(config_path, display_path(config_path), what="configuration").data
    if not isinstance(config, dict):
        raise DataError(Problem(display_path(config_path), 1, 1, "WRONG_TYPE",
                                "the configuration must be a mapping"))
    docs_dir = os.path.join(os.path.dirname(os.path.abspath(config_path)),
                            str(config.get("docs_dir", "docs")))
    validated = loading.validated(args)
    site = build_site(validated, compile_policy(validated.revisions, validated.definition,
                                                validated.crosswalk))
    check_not_shadowed(site, lambda path: os.path.lexists(os.path.join(docs_dir, path)))
    written = site_folder(site, config, _hand_written(docs_dir))
    write_folder(args.out, written)
    name = display_path(args.out)
    out(f"wrote {name}: {len(site.pages)} generated pages and {len(written) - len(site.pages) - 1}"
        f" other files; build it with `zensical build -f {name}/{CONFIG_NAME}` or "
        f"`mkdocs build -f {name}/{CONFIG_NAME}`")
    return 0


def _hand_written(docs_dir: str) -> dict[str, bytes]:
    """The files of docs_dir the site shows (docs_dir path -> bytes): the how-to pages the
    navigation names, and every file that is not a page (stylesheet, script, pictures); each read
    bounded, no link followed. Other Markdown files are no pages of the site (the published build
    fails on them: they are in no navigation)."""
    pages = set(how_to_pages())
    found = {}
    for folder, subfolders, names in os.walk(docs_dir):
        subfolders[:] = sorted(d for d in subfolders if not os.path.islink(os.path.join(folder, d)))
        for name in sorted(names):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, docs_dir).replace(os.sep, "/")
            if os.path.islink(path) or not os.path.isfile(path) or (
                    name.endswith(".md") and relative not in pages):
                continue
            found[relative] = read_bounded(path, MAX_BYTES, what="page" if name.endswith(".md")
                                           else "file", display=display_path(path))
    return found
