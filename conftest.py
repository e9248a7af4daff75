"""pytest's root configuration: it is imported before anything is collected, from tests/ or policy/
(the doctests), so no test, collection or doctest reads or writes the user's cache of compiled
tables or its secret."""

import os
import shutil
import sys
import tempfile

# Set at import, before any module is collected (some build a policy at module level, and the
# doctests in policy/ load one): the cache folder and the folder of its secret are private.
_PRIVATE = tempfile.mkdtemp(prefix="policy-tests-")
os.environ["FEP_POLICY_CACHE_DIR"] = os.path.join(_PRIVATE, "cache")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_PRIVATE, "config")

# FEP_TESTS_WITHOUT="playwright atheris": the run does without those packages as if they were not
# installed (importing one raises ModuleNotFoundError). .ci/run installs every extra at once (one
# build of the package) and so proves that the README's test command needs the test extra alone.
for _name in os.environ.get("FEP_TESTS_WITHOUT", "").split():
    sys.modules[_name] = None  # type: ignore[assignment]

# FEP_TESTS_HYPOTHESIS=mutation (benchmarks/mutation.py, one run per mutant): a failure found is
# enough, so Hypothesis does not shrink it, and keeps no example database, so that every run of
# the same tests draws the same examples whatever ran before.
if os.environ.get("FEP_TESTS_HYPOTHESIS") == "mutation":
    from hypothesis import Phase, settings

    settings.register_profile("mutation", phases=[Phase.explicit, Phase.generate],
                              database=None, derandomize=True)
    settings.load_profile("mutation")

# `python -m policy` exits when imported; the doctest collector would import it
collect_ignore = ["policy/__main__.py"]


def pytest_unconfigure(config):
    shutil.rmtree(_PRIVATE, ignore_errors=True)
