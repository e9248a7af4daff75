"""Tables as they were at a git revision, read safely through gitpython's object API.

A revision string is untrusted: one that starts with '-' or holds a NUL or newline is refused before
git runs (it could be read as an option), the rest is resolved with `rev-parse --verify
--end-of-options`, and blobs are read through the object database after checking their mode and
size. The blobs are copied into a private temporary folder laid out like a policy repository, so the
ordinary loader and validator read them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from types import ModuleType

from .errors import DataError, PolicyIOError, Problem
from .tables import display_path
from .yaml_loader import MAX_BYTES

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REGULAR_FILE_MODES = (0o100644, 0o100755)
_SYMLINK_MODE = 0o120000
_LINK_PLACEHOLDER = "(a symbolic link at the git revision: never followed)"


def check_rev(rev: str) -> str:
    """`rev` if git may be asked about it; DataError (GIT_REV_REFUSED) if it could be read as
    an option or break a line."""
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
        raise DataError(Problem(repr(rev), 0, 0, "GIT_REV_REFUSED",
                                f"refusing git revision {rev!r}: it must not be empty, start "
                                "with '-' or hold a NUL or line break"))
    return rev


def _git() -> ModuleType:
    try:
        import git  # gitpython: imported only for --rev / --against
    except ImportError as exc:
        raise PolicyIOError(f"git is not available: {exc}".splitlines()[0]) from exc
    return git


@contextlib.contextmanager
def tables_at(rev: str, tables_dir: str, policy_id: str) -> Iterator[str]:
    """`tables/<policy>` and `schemas/` as they were at git revision `rev`, copied into a private
    temporary folder laid out like a policy repository; yields its tables folder.

    The folder is removed when the block ends, whatever happens, including an error while
    copying (an oversized blob): nothing is left behind. A symbolic link at `rev` is copied as a
    symbolic link (never followed), so validation refuses it as in the working tree (SYMLINK).
    """
    work = tempfile.mkdtemp(prefix="policy-rev-")
    try:
        copied, names = _copy_at(rev, tables_dir, policy_id, work)
        try:
            yield copied
        except DataError as exc:  # problems name the revision's files, not the deleted copy
            raise DataError([p._replace(file=_named_at_rev(p.file, names))
                             for p in exc.problems]) from None
        except PolicyIOError as exc:
            raise PolicyIOError(_named_at_rev(str(exc), names)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _named_at_rev(text: str, names: dict[str, str]) -> str:
    """`text` with each copied folder's path (as given, and as shown: relative to the current
    folder when inside it) replaced by REV:path-in-the-repository."""
    for copied, at_rev in names.items():
        for shown_as in dict.fromkeys((copied, display_path(copied))):
            text = text.replace(shown_as + os.sep, at_rev + "/")
    return text


def _copy_at(rev: str, tables_dir: str, policy_id: str,
             work: str) -> tuple[str, dict[str, str]]:
    """The copy's tables folder, and {each copied folder: REV:its path in the repository}."""
    check_rev(rev)
    git = _git()
    try:
        repo = git.Repo(tables_dir, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise PolicyIOError(f"{tables_dir}: not inside a git repository") from None
    try:
        sha = repo.git.rev_parse("--verify", "--end-of-options", f"{rev}^{{commit}}")
    except git.GitCommandError:
        shallow = repo.git.rev_parse("--is-shallow-repository") == "true"
        hint = " (this clone is shallow: fetch with fetch-depth: 0)" if shallow else ""
        raise PolicyIOError(f"unknown git revision '{rev}'{hint}") from None
    top = repo.working_tree_dir
    relative = os.path.relpath(os.path.abspath(tables_dir), top)
    if relative.startswith(".."):
        raise PolicyIOError(f"{tables_dir}: not inside the repository at {top}")
    tree = repo.commit(sha).tree
    policy_folder = f"{relative}/{policy_id}".replace(os.sep, "/")
    wanted = [(policy_folder, os.path.join(work, "tables", policy_id)),
              (os.path.normpath(os.path.join(os.path.dirname(relative), "schemas")),
               os.path.join(work, "schemas"))]
    tables = 0
    for folder, target in wanted:
        os.makedirs(target)
        try:
            subtree = tree / folder.replace(os.sep, "/")
        except KeyError:
            continue  # absent at that revision: the loader reports what is missing
        if subtree.type != "tree":
            continue  # a link or file where the folder should be: nothing to read there
        for blob in subtree.blobs:
            if not _SAFE_NAME.fullmatch(blob.name):
                continue  # odd names are never copied
            destination = os.path.join(target, blob.name)
            if blob.mode == _SYMLINK_MODE:
                os.symlink(_LINK_PLACEHOLDER, destination)  # refused as SYMLINK, never followed
            elif blob.mode not in _REGULAR_FILE_MODES:
                continue
            elif blob.size > MAX_BYTES:
                raise PolicyIOError(f"{rev}:{folder}/{blob.name}: {blob.size} bytes is over the "
                                    f"limit of {MAX_BYTES}")
            else:
                with open(destination, "wb") as out:
                    out.write(blob.data_stream.read())
            tables += folder == policy_folder and blob.name.endswith(".yaml")
    if not tables:
        raise PolicyIOError(f"git revision '{rev}' ({sha[:12]}) has no tables of policy "
                            f"'{policy_id}' (no {policy_folder}/*.yaml in its tree)")
    names = {target: f"{rev}:{folder}" for folder, target in wanted}
    return os.path.join(work, "tables"), names
