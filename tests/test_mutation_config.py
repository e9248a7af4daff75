"""The mutation run's configuration (benchmarks/mutation.toml, benchmarks/mutation_equivalents.yaml;
docs/mutation.md) stays true to the code: the run itself is hours long and not part of the test
run, so a stale path or a broken list would otherwise show only when someone starts one; and
the client that judges each mutant."""

import tomllib

import yaml

from repo_paths import ROOT

CONFIG = tomllib.loads((ROOT / "benchmarks" / "mutation.toml").read_text(encoding="utf-8"))
EQUIVALENTS = yaml.safe_load(
    (ROOT / "benchmarks" / "mutation_equivalents.yaml").read_text(encoding="utf-8"))


def test_every_module_and_test_file_named_exists():
    for name, module in CONFIG["modules"].items():
        assert (ROOT / module["path"]).is_file(), name
        for test in module["tests"]:
            assert (ROOT / test.split("::")[0]).is_file(), (name, test)
    for test in CONFIG["run"]["always"] + CONFIG["run"]["last"]:
        assert (ROOT / test).is_file(), test


def test_every_equivalent_mutant_names_a_line_of_its_module_and_says_why():
    assert isinstance(EQUIVALENTS, list) and EQUIVALENTS
    for entry in EQUIVALENTS:
        assert {"module", "operator", "line", "mutant", "why"} <= set(entry), entry
        assert set(entry) <= {"module", "function", "operator", "line", "mutant", "why"}, entry
        source = (ROOT / CONFIG["modules"][entry["module"]]["path"]).read_text(encoding="utf-8")
        assert entry["line"].strip() in source, entry  # (a line read as YAML, whole)
        assert entry["mutant"] != entry["line"] and entry["why"].strip(), entry
    keys = [(e["module"], e["operator"], e["line"], e["mutant"]) for e in EQUIVALENTS]
    assert len(keys) == len(set(keys)), "an equivalent mutant listed twice"


def test_a_mutant_is_judged_by_pytest_even_when_the_test_server_is_gone(tmp_path):
    """The client cosmic-ray calls falls back to pytest runs of its own when no server answers:
    before, it exited 1, which cosmic-ray counts as a killed mutant, so a test server stopped
    mid-run (as when a run is interrupted) marked every mutant left as killed."""
    import subprocess
    import sys

    (tmp_path / "test_passes.py").write_text("def test_passes():\n    assert True\n")
    (tmp_path / "test_fails.py").write_text("def test_fails():\n    assert False\n")
    client = [sys.executable, str(ROOT / "benchmarks" / "mutation_tests.py"), "run",
              str(tmp_path / "no-server.sock")]

    def verdict(*files: str) -> int:
        return subprocess.run([*client, *files], cwd=tmp_path, capture_output=True,
                              check=False).returncode

    assert verdict("test_passes.py", "--", "test_passes.py") == 0
    assert verdict("test_passes.py", "--", "test_fails.py") == 1
