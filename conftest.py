"""pytest's root configuration: it is imported before anything is collected, from tests/ or policy/
(the doctests), so no test, collection or doctest reads or writes the user's cache of compiled
tables or its secret."""

import os
import shutil
import tempfile

# Set at import, before any module is collected (some build a policy at module level, and the
# doctests in policy/ load one): the cache folder and the folder of its secret are private.
_PRIVATE = tempfile.mkdtemp(prefix="policy-tests-")
os.environ["FEP_POLICY_CACHE_DIR"] = os.path.join(_PRIVATE, "cache")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_PRIVATE, "config")

# `python -m policy` exits when imported; the doctest collector would import it
collect_ignore = ["policy/__main__.py"]


def pytest_unconfigure(config):
    shutil.rmtree(_PRIVATE, ignore_errors=True)
