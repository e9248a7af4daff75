"""The compiled cache can be neither raced nor forged: an entry is used only if this user's own
process wrote it from exactly the bytes it was validated from; anything else is ignored and rebuilt.
"""

import json
import marshal
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import policy.validate as checks  # (cache.py looks load_and_validate up here at each miss)
from policy import cache
from policy.api import Policy
from policy.core.policy_files import policy_files

CASE = {"cancer_site": "gastric"}
# in force: 2015-12, whose "all other oncologic" rule says not medically necessary
DAY = "2016-11-23"


@pytest.fixture
def private(tmp_path, monkeypatch):
    """A cache folder and a secret folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("FEP_POLICY_CACHE_DIR", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return folder


def _decide(tables) -> str:
    compiled = cache.compiled_policy(policy_files(str(tables)))
    return Policy(compiled).evaluate(CASE, as_of=DAY).determination


def _flip_2015_12(tables: Path) -> tuple[Path, bytes]:
    """Edit 2015-12 so that gastric cancer is investigational (a valid table, another answer)."""
    path = tables / "fep-8.01.08" / "2015-12.yaml"
    original = path.read_bytes()
    assert _flipped(original) != original
    return path, original


def _flipped(table: bytes) -> bytes:
    """The rules and the statement they cite change together (validation ties them)."""
    return (table.replace(b"then: not_medically_necessary", b"then: investigational")
            .replace(b"determination: not_medically_necessary", b"determination: investigational")
            .replace(b"is considered not medically necessary for all",
                     b"is considered investigational for all"))


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{cache.ENTRY_SUFFIX}"))


def test_an_edit_between_hashing_and_validation_cannot_poison_the_cache(tables_copy, private,
                                                                       monkeypatch):
    path, original = _flip_2015_12(tables_copy)
    edited = _flipped(original)
    # The edited table must itself be valid for the race to poison anything: check it is.
    path.write_bytes(edited)
    try:
        checks.load_and_validate(policy_files(str(tables_copy)), chain=False)
    except Exception as exc:  # pragma: no cover - the fixture edit must stay valid
        pytest.skip(f"the edit is not a valid table: {exc}")
    path.write_bytes(original)

    real = checks.load_and_validate

    def saved_meanwhile(*args, **kwargs):  # an editor saves the table right after the key is made
        path.write_bytes(edited)
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "load_and_validate", saved_meanwhile)
    first = _decide(tables_copy)
    monkeypatch.setattr(checks, "load_and_validate", real)
    path.write_bytes(original)  # the old tables are back
    assert first == _decide(tables_copy) == "not_medically_necessary"


def test_entries_are_sealed_and_the_folders_private(tables_copy, private):
    assert _decide(tables_copy) == "not_medically_necessary"
    (entry,) = _entries(private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    secret = Path(cache.secret_path())
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert private not in secret.parents  # the secret is kept outside the cache folder
    mac, _, payload = entry.read_bytes().partition(b"\n")
    assert len(mac) == 64 and marshal.loads(payload)["policy"]["id"] == "fep-8.01.08"
    assert _decide(tables_copy) == "not_medically_necessary"  # read back from the entry


def test_a_warm_call_reads_the_entry_and_validates_nothing(tables_copy, private, monkeypatch):
    """The shape check must accept what to_json writes: an entry refused every time would make
    every run validate the YAML again (it did, silently, when the compiled form gained a field)."""
    first = cache.compiled_policy(policy_files(str(tables_copy)))

    def no_validation(*args, **kwargs):
        raise AssertionError("a warm call validated the tables instead of reading its entry")

    monkeypatch.setattr(checks, "load_and_validate", no_validation)
    assert cache.compiled_policy(policy_files(str(tables_copy))) == first


def _forge(entry: Path, payload: dict, mac: bytes | None = None) -> None:
    body = marshal.dumps(payload)
    entry.write_bytes((mac or entry.read_bytes().partition(b"\n")[0]) + b"\n" + body)


def test_a_forged_entry_changes_no_determination(tables_copy, private):
    _decide(tables_copy)
    (entry,) = _entries(private)
    payload = marshal.loads(entry.read_bytes().partition(b"\n")[2])
    for revision in payload["revisions"]:  # every outcome becomes medically necessary
        revision["outcomes"] = [["medically_necessary", *o[1:]] for o in revision["outcomes"]]
    _forge(entry, payload)
    assert _decide(tables_copy) == "not_medically_necessary"
    entry.write_bytes(json.dumps(payload).encode())  # an old, unsealed JSON entry
    assert _decide(tables_copy) == "not_medically_necessary"


WRONG_SHAPES = {
    "a JSON list": b"[]",
    "truncated": None,  # the real entry cut in half
    "deep nesting": b"[" * 200_000 + b"]" * 200_000,
    "not JSON": b"\xff\xfe garbage",
    "empty": b"",
}


@pytest.mark.parametrize("shape", list(WRONG_SHAPES))
def test_a_wrong_shaped_entry_is_rebuilt(tables_copy, private, shape):
    _decide(tables_copy)
    (entry,) = _entries(private)
    body = WRONG_SHAPES[shape]
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2] if body is None else body)
    assert _decide(tables_copy) == "not_medically_necessary"
    assert _decide(tables_copy) == "not_medically_necessary"  # and the rebuilt entry is good


def test_wrong_shapes_under_a_valid_seal_are_refused_too(tables_copy, private):
    """Even an entry sealed with the right secret (our own bug, an old format) is checked."""
    _decide(tables_copy)
    (entry,) = _entries(private)
    secret = Path(cache.secret_path()).read_bytes()
    key = entry.stem
    for body in (b"[]", b'{"format": 1}', marshal.dumps([]), marshal.dumps({"format": 1}),
                 marshal.dumps(("format", 1)), entry.read_bytes().partition(b"\n")[2][:-10]):
        entry.write_bytes(cache._seal(secret, key, body) + b"\n" + body)
        assert _decide(tables_copy) == "not_medically_necessary"


def _paths(value, path=()):
    """Every (path, value) inside a marshalled entry, containers before their contents."""
    yield path, value
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, inner in items:
        yield from _paths(inner, (*path, key))


def _replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def test_an_entry_holds_each_string_once(tables_copy, private):
    """The revisions repeat most of their words; marshalled with one object per distinct string,
    each is written once (a warm run reads, seals and loads half the bytes) and reads back
    equal."""
    compiled = cache.compiled_policy(policy_files(str(tables_copy)))
    (entry,) = _entries(private)
    payload = entry.read_bytes().partition(b"\n")[2]
    assert marshal.loads(payload) == compiled.to_json()
    assert len(payload) < len(marshal.dumps(compiled.to_json())) * 0.7
    def word(letter):  # a new str object each time (a literal would be one constant)
        return "".join([letter] * 9)

    given = [[word("a"), {word("k"): word("a")}], word("k")]
    assert given[0][0] is not given[0][1][word("k")]
    shared = cache._one_copy_of_each_string(given, {})
    assert shared == given
    assert shared[0][0] is shared[0][1][word("k")] and next(iter(shared[0][1])) is shared[1]


def test_every_single_wrong_type_in_an_entry_is_refused(tables_copy):
    """The shape check is strict at every point of the entry, not only at the top: each string
    turned into a number, each list into a mapping and each mapping into a list is refused
    (checked on every point of the first two revisions and of everything around them)."""
    from policy.core.compiled import CompiledPolicy

    data = cache.compiled_policy(policy_files(str(tables_copy))).to_json()
    data["revisions"] = data["revisions"][:2]
    CompiledPolicy.from_json(data)  # the real shape passes
    wrong = {str: 12345, list: {"a": 1}, dict: ["a"]}
    checked = 0
    for path, value in _paths(data):
        if type(value) not in wrong:
            continue
        with pytest.raises(ValueError):
            CompiledPolicy.from_json(_replaced(data, path, wrong[type(value)]))
        checked += 1
    assert checked > 500


def test_a_fifo_or_a_device_at_the_entry_never_hangs(tables_copy, private):
    _decide(tables_copy)
    (entry,) = _entries(private)
    entry.unlink()
    os.mkfifo(entry)
    answers = []
    worker = threading.Thread(target=lambda: answers.append(_decide(tables_copy)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "reading a FIFO in the cache folder hung"
    assert answers == ["not_medically_necessary"]
    os.unlink(entry)
    os.symlink("/dev/zero", entry)
    assert _decide(tables_copy) == "not_medically_necessary"


def test_a_folder_others_can_write_is_not_used(tables_copy, private):
    private.mkdir(mode=0o700)
    os.chmod(private, 0o777)
    assert _decide(tables_copy) == "not_medically_necessary"
    assert _entries(private) == []  # nothing written to, nor read from, a shared folder


def test_a_secret_others_can_read_is_not_trusted(tables_copy, private):
    _decide(tables_copy)
    secret = Path(cache.secret_path())
    os.chmod(secret, 0o644)
    (entry,) = _entries(private)
    payload = marshal.loads(entry.read_bytes().partition(b"\n")[2])
    for revision in payload["revisions"]:
        revision["outcomes"] = [["medically_necessary", *o[1:]] for o in revision["outcomes"]]
    body = marshal.dumps(payload)
    entry.write_bytes(cache._seal(secret.read_bytes(), entry.stem, body) + b"\n" + body)
    assert _decide(tables_copy) == "not_medically_necessary"


def test_an_empty_setting_turns_the_cache_off(tables_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("FEP_POLICY_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert _decide(tables_copy) == "not_medically_necessary"
    assert not (tmp_path / "config").exists()  # no secret is made when nothing is cached


@pytest.fixture
def package_copy(tmp_path, monkeypatch, request):
    """A copy of this package's modules that the cache takes for its code (the key's code part is
    recomputed for it, and again after the test for the real package)."""
    package = tmp_path / "package"
    shutil.copytree(Path(cache.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__", "_data"))
    monkeypatch.setattr(cache, "_PACKAGE", str(package))
    cache._code_seen.clear()
    request.addfinalizer(cache._code_seen.clear)
    return package


def _validations(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = checks.load_and_validate

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "load_and_validate", counted)
    return calls


@pytest.mark.parametrize("edit", ["changed bytes", "same size and modification time"])
def test_an_edit_of_the_engine_code_invalidates_the_entries(tables_copy, private, package_copy,
                                                            monkeypatch, edit):
    """A compiled form built by other code is a silent wrong determination: an edit of the engine,
    even one that keeps the file's size and modification time, must make every entry a miss."""
    files = policy_files(str(tables_copy))
    validations = _validations(monkeypatch)
    first = cache.compiled_policy(files)
    assert cache.compiled_policy(files) == first and len(validations) == 1  # warm: no validation
    engine = package_copy / "core" / "compiled.py"
    before, code = engine.stat(), engine.read_bytes()
    if edit == "changed bytes":
        engine.write_bytes(code + b"\n# edited\n")
    else:  # one character swapped in place, the modification time put back
        at = code.index(b"e")  # in the docstring or a comment: still valid Python
        edited = code[:at] + b"E" + code[at + 1:]
        assert edited != code and len(edited) == len(code)
        engine.write_bytes(edited)
        os.utime(engine, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert engine.stat().st_mtime_ns == before.st_mtime_ns
    cache._code_seen.clear()  # a new process: the code is looked at afresh
    cache.compiled_policy(files)
    assert len(validations) == 2  # rebuilt, not read from the old code's entry
    assert len(_entries(private)) == 2


def test_an_edit_of_a_table_is_a_miss(tables_copy, private, monkeypatch):
    """Keyed by exactly the bytes: even a comment added to a table builds a new entry."""
    validations = _validations(monkeypatch)
    assert _decide(tables_copy) == _decide(tables_copy) == "not_medically_necessary"
    assert len(validations) == 1
    path = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    path.write_bytes(path.read_bytes() + b"\n# a comment\n")
    assert _decide(tables_copy) == "not_medically_necessary"
    assert len(validations) == 2 and len(_entries(private)) == 2


def test_a_warm_evaluate_loads_no_openssl_json_yaml_or_jsonschema(tables_copy, private):
    """hashlib and hmac load OpenSSL (milliseconds of every run); the warm path needs neither,
    nor JSON (the entry is marshalled; only --json prints JSON), nor typing (about 5 ms: the
    modules import it for mypy only, under a TYPE_CHECKING of their own), nor the YAML and schema
    libraries, which only validation uses."""
    _decide(tables_copy)  # the entry, written by this process
    script = (
        "import sys\n"
        "from policy.cli import main\n"
        f"code = main(['--tables', {str(tables_copy)!r}, 'evaluate', '--as-of', {DAY!r},"
        " 'cancer_site=gastric'])\n"
        "loaded = sorted({'_hashlib', 'hashlib', 'hmac', 'json', 'typing', 'yaml', 'jsonschema',"
        " 'pyarrow', 'jinja2'} & set(sys.modules))\n"
        "print(code, loaded)\n")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env=os.environ.copy())
    assert found.stdout.splitlines()[-1] == "0 []", found.stderr


def test_a_warm_evaluate_needs_no_third_party_package(tables_copy, private):
    """What a warm `policy evaluate` costs beyond the interpreter is mostly imports. argparse (with
    `re`, enum, functools, gettext and locale) is the command line's one grammar, and textwrap
    wraps the text output; datetime, bisect, pathlib, JSON and hashing are not needed (each a
    shared library or a large module), nor collections.abc (imported for type hints only:
    killed mutants imported it at run time). The run here has no site packages at all (-S: only the
    standard library and this checkout), so it also shows that a warm run needs no third-party
    package, and it lists what it imported beyond a bare interpreter."""
    _decide(tables_copy)  # the entry, written by this process
    root = str(Path(__file__).resolve().parent.parent.parent)
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"sys.path.insert(0, {root!r})\n"
        "from policy.cli import main\n"
        f"code = main(['--tables', {str(tables_copy)!r}, 'evaluate', '--as-of', {DAY!r},"
        " 'cancer_site=gastric'])\n"
        "new = set(sys.modules) - before\n"
        "loaded = sorted({'typing', 'json', 'hashlib', 'pathlib', 'datetime', 'bisect',"
        " 'collections.abc'} & new)\n"
        "print(code, loaded)\n")
    found = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True,
                           check=True, env=os.environ.copy())
    assert found.stdout.splitlines()[-1] == "0 []", found.stderr


def test_old_entries_are_pruned_when_a_new_one_is_written(tables_copy, private):
    """Each edit of the tables (or of the package) files a new entry: without pruning the
    folder grew by one entry per edit, forever. Only this cache's own entries are removed, the
    oldest first; other files, links and the entry just written stay."""
    _decide(tables_copy)
    (first,) = _entries(private)
    stale = []
    for number in range(cache.KEEP_ENTRIES + 5):
        path = private / f"{number:064x}{cache.ENTRY_SUFFIX}"
        path.write_bytes(b"old")
        os.utime(path, (1_000_000 + number, 1_000_000 + number))
        stale.append(path)
    other = private / "notes.txt"
    other.write_text("not an entry")
    link = private / f"{'f' * 64}{cache.ENTRY_SUFFIX}"
    link.symlink_to(other)
    table = tables_copy / "fep-8.01.08" / "2015-12.yaml"
    table.write_bytes(table.read_bytes() + b"# an edit: other bytes, another key\n")
    assert _decide(tables_copy) == "not_medically_necessary"  # a miss: a new entry is written
    kept = _entries(private)
    assert len([p for p in kept if not p.is_symlink()]) == cache.KEEP_ENTRIES
    assert other.exists() and link.is_symlink() and first in kept
    assert [p for p in stale if p.exists()] == stale[-(cache.KEEP_ENTRIES - 2):]


# Issue 20, item 4: with HOME unset and a user id without a passwd entry (containers started with
# --user, some CI runners), os.path.expanduser("~") is "~", and the cache and its secret landed in
# ./~/.cache and ./~/.config; with HOME empty it is "/", and they would land under /. These tests
# failed on the code before (74629ea).
_NO_PASSWD_ENTRY = (
    "import os, pwd, sys\n"
    "def no_entry(uid):\n"
    "    raise KeyError(f'getpwuid(): uid not found: {uid}')\n"
    "pwd.getpwuid = no_entry\n"
    "from policy.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n")


def _run_homeless(tmp_path, env_changes: dict, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "FEP_POLICY_CACHE_DIR")}
    env.update(env_changes)
    workdir = tmp_path / "work"
    workdir.mkdir()
    return subprocess.run([sys.executable, "-c", _NO_PASSWD_ENTRY, *argv], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120)


EVALUATE = ("evaluate", "--as-of", DAY, "cancer_site=gastric")


@pytest.mark.parametrize("env_changes", [
    {}, {"HOME": ""}, {"HOME": "relative/home"}, {"HOME": "/"},
    {"XDG_CACHE_HOME": "cache", "XDG_CONFIG_HOME": "config"},
], ids=["HOME unset, no passwd entry", "HOME empty", "HOME relative", "HOME is /",
        "XDG folders relative"])
def test_no_usable_home_means_no_cache_said_once_and_the_command_works(tmp_path, env_changes):
    root_before = set(os.listdir("/"))
    result = _run_homeless(tmp_path, env_changes, *EVALUATE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("not_medically_necessary")
    assert os.listdir(tmp_path / "work") == []  # nothing written relative to the working folder
    assert set(os.listdir("/")) == root_before  # nor at the root
    assert result.stderr.splitlines() == [
        "policy: note: the compiled tables are not cached: no usable home folder (HOME is unset, "
        "empty, relative or /); set FEP_POLICY_CACHE_DIR and XDG_CONFIG_HOME to absolute folders "
        "to cache them"]


def test_a_relative_cache_folder_is_not_used(tmp_path):
    config = tmp_path / "config"
    result = _run_homeless(tmp_path, {"FEP_POLICY_CACHE_DIR": "cache",
                                      "XDG_CONFIG_HOME": str(config)}, *EVALUATE)
    assert result.returncode == 0, result.stderr
    assert os.listdir(tmp_path / "work") == []
    assert result.stderr.splitlines() == [
        "policy: note: the compiled tables are not cached: FEP_POLICY_CACHE_DIR is not an "
        "absolute folder ('cache')"]


def test_an_explicit_cache_folder_and_config_home_cache_without_a_home(tmp_path):
    folder, config = tmp_path / "cache", tmp_path / "config"
    env = {"FEP_POLICY_CACHE_DIR": str(folder), "XDG_CONFIG_HOME": str(config)}
    for _ in range(2):
        result = _run_homeless(tmp_path, env, *EVALUATE)
        assert result.returncode == 0 and result.stderr == ""
        shutil.rmtree(tmp_path / "work")
    assert len(_entries(folder)) == 1 and (config / "fep-medical-policy" / "cache-secret").is_file()


def test_the_cache_turned_off_is_said_nowhere(tmp_path):
    result = _run_homeless(tmp_path, {"FEP_POLICY_CACHE_DIR": ""}, *EVALUATE)
    assert result.returncode == 0 and result.stderr == ""


def test_the_code_in_the_key_is_all_the_code_that_builds_an_entry():
    """The key hashes the files of `cache.ENTRY_CODE` only (fewer files to look at on every
    run): every module that validating and compiling import, directly or not, must be among them,
    or an edit of it would not change the key. The writer only writes an entry's bytes."""
    import grimp

    graph = grimp.build_graph("policy")
    builders = ("policy.cache", "policy.compiler", "policy.validate")
    reached = set(builders).union(*(graph.find_upstream_modules(b) for b in builders))
    covered = tuple(f"policy.{top.removesuffix('.py')}" for top in cache.ENTRY_CODE)
    outside = sorted(m for m in reached
                     if not any(m == c or m.startswith(c + ".") for c in covered))
    assert outside == ["policy.writer"]
