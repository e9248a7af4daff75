"""Tables as they were at a git revision, read safely through gitpython's object API.

A revision string is untrusted: one that starts with '-' or holds a NUL or newline is refused before
git runs (it could be read as an option), the rest is resolved with `rev-parse --verify
--end-of-options`, and blobs are read through the object database after checking their mode and
size. The blobs are copied into a private temporary folder laid out like a policy repository, so the
ordinary loader and validator read them.
"""

from __future__ import annotations

import os
import re
import tempfile

from .errors import PolicyIOError, UsageError
from .yaml_loader import MAX_BYTES

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REGULAR_FILE_MODES = (0o100644, 0o100755)


def check_rev(rev: str) -> str:
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
        raise UsageError(f"refusing git revision {rev!r}: it must not be empty, start with '-' or "
                         "hold a NUL or line break")
    return rev


def _git():
    try:
        import git  # gitpython: imported only for --rev / --against
    except ImportError as exc:
        raise PolicyIOError(f"git is not available: {exc}".splitlines()[0]) from exc
    return git


def materialize(rev: str, tables_dir: str, policy_id: str) -> tuple[str, str]:
    """Copy `tables/<policy>` and `schemas/` at `rev` into a temporary folder.

    Returns (temporary tables folder, commit sha). The caller removes the folder's parent.
    """
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
    work = tempfile.mkdtemp(prefix="policy-rev-")
    wanted = [(f"{relative}/{policy_id}", os.path.join(work, "tables", policy_id)),
              (os.path.normpath(os.path.join(os.path.dirname(relative), "schemas")),
               os.path.join(work, "schemas"))]
    for folder, target in wanted:
        os.makedirs(target)
        try:
            subtree = tree / folder.replace(os.sep, "/")
        except KeyError:
            continue  # absent at that revision: the loader reports what is missing
        for blob in subtree.blobs:
            if not _SAFE_NAME.fullmatch(blob.name) or blob.mode not in _REGULAR_FILE_MODES:
                continue  # symlinks, submodules and odd names are never followed
            if blob.size > MAX_BYTES:
                raise PolicyIOError(f"{rev}:{folder}/{blob.name}: {blob.size} bytes is over the "
                                    f"limit of {MAX_BYTES}")
            with open(os.path.join(target, blob.name), "wb") as out:
                out.write(blob.data_stream.read())
    return os.path.join(work, "tables"), sha
