"""The tests never touch the user's cache of compiled tables nor its secret.

Some test modules load a policy while they are collected, and the doctest in policy/api.py loads
one too: the conftest.py at the top of the repository points the cache and the secret's folder at
a private temporary folder before anything is collected. Here pytest runs in a child process whose
home and XDG folders are fresh empty folders, with no FEP_POLICY_CACHE_DIR: it collects every test
module (importing each), runs the doctests alone (`-k "not test_"` deselects every test function),
and none of the package's files may appear in those folders.
"""

from __future__ import annotations

import os
import subprocess
import sys

from repo_paths import ROOT

PACKAGE_FOLDER = "fep-medical-policy"  # the cache's and the secret's folder (policy/cache.py)


def test_collection_and_doctests_leave_the_users_cache_and_secret_alone(tmp_path):
    user = {"HOME": tmp_path / "home", "XDG_CACHE_HOME": tmp_path / "cache-home",
            "XDG_CONFIG_HOME": tmp_path / "config-home"}
    for folder in user.values():
        folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "FEP_POLICY_CACHE_DIR"}
    env.update({name: str(folder) for name, folder in user.items()})

    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-k", "not test_"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and " error" not in run.stdout, run.stdout[-3000:]
    assert " deselected" in run.stdout, run.stdout[-3000:]  # every test module was collected

    touched = sorted(str(path.relative_to(tmp_path)) for folder in user.values()
                     for path in folder.rglob("*") if PACKAGE_FOLDER in path.parts)
    assert touched == [], touched
