"""Every documented example is a test: the shell and Python examples of README.md and docs/*.md run,
and the output they show must be the output they give.

Each document's examples run in order, sharing one scratch folder (a copy of `tables/`, `schemas/`
and `CHANGELOG.md`, and `.venv` pointing at the environment running the tests, so `policy`,
`.venv/bin/policy` and `. .venv/bin/activate` all work) and, for Python, one namespace. A new
document under docs/ or a new example in one is picked up without a change here.

The kinds of fenced block (the language after the fence):
- `console`: a shell session. A line `$ COMMAND` (a trailing `\\` continues it on the next line) is
  run with bash; the lines after it, up to the next `$`, are its output (standard output and
  standard error, as a terminal shows them).
- `bash`, `sh`, `shell`: a script, run with `bash -e`; it must exit 0 (no output is shown).
- `python`, `pycon`: with `>>>` prompts, a doctest (output compared); else run as a script.
- any other language (`text`, `yaml`, ...) is not run.

Shortened output: `...` stands for any text within a line, and a line that is only `...` for any
number of lines (none included); for Python, doctest's ELLIPSIS. Say in the prose that the output
is shortened. Trailing spaces and blank lines at the end are ignored.

An HTML comment on the line before a fence (invisible on GitHub and on the site) changes that block:
- `<!-- example: skip REASON -->`: not run (say why: network, a git remote, a long install);
- `<!-- example: file NAME -->`: the block is written to NAME in the scratch folder (an input file
  that later examples read);
- `<!-- example: requires MODULE -->`: skipped when MODULE is not installed (optional extras).
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SESSION, SCRIPT, PYTHON = ("console", "shell-session"), ("bash", "sh", "shell"), ("python", "py",
                                                                                    "pycon")
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w-]*)")
_MARKER = re.compile(r"^<!--\s*example:\s*(?P<verb>skip|file|requires)\b\s*(?P<arg>.*?)\s*-->$")


@dataclass
class Block:
    document: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: tuple[str, str] | None

    @property
    def where(self) -> str:
        name = self.document.relative_to(ROOT) if self.document.is_relative_to(ROOT) \
            else self.document
        return f"{name}:{self.line}"


def blocks(document: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, each with the example marker on the line before."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body, j = [], i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        before = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = _MARKER.match(before)
        found.append(Block(document, i + 1, opening["lang"].lower(), "\n".join(body) + "\n",
                           (marker["verb"], marker["arg"]) if marker else None))
        i = j + 1
    return found


def session(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + "\n" + lines[i].removeprefix("> ")
            pairs.append((command, []))
        elif pairs:
            pairs[-1][1].append(line)
        i += 1
    return [(command, "\n".join(output)) for command, output in pairs]


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def matches(expected: str, actual: str) -> bool:
    """Whether `actual` is `expected`, reading `...` as any text (a line of only `...`: any
    number of lines)."""
    pattern = []
    for line in _normal(expected).splitlines():
        if line.strip() == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(".*?".join(re.escape(part) for part in line.split("...")) + r"\n")
    return re.fullmatch("".join(pattern), _normal(actual) + "\n" if actual.strip() else "",
                        re.DOTALL) is not None


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A policy repository to run examples in: tables, schemas, CHANGELOG.md and `.venv`."""
    for folder in ("tables", "schemas"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    (tmp_path / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps help text to the terminal width
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.setenv("FEP_POLICY_CACHE_DIR", str(tmp_path / ".cache"))
    return tmp_path


def _run_shell(command: str, cwd: Path, *, script: bool = False) -> subprocess.CompletedProcess:
    options = ["-e", "-o", "pipefail"] if script else ["-o", "pipefail"]
    return subprocess.run(["bash", *options, "-c", command], cwd=cwd, capture_output=False,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)


def _run_python(block: Block, namespace: dict) -> None:
    if ">>> " in block.text or block.text.startswith(">>>"):
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block.text, namespace, block.where, str(block.document),
                                  block.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                       | doctest.NORMALIZE_WHITESPACE)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        if runner.failures:
            pytest.fail(f"{block.where}: the Python example's output differs:\n"
                        + "".join(report), pytrace=False)
    else:
        exec(compile(block.text, block.where, "exec"), namespace)


def run_document(document: Path, scratch: Path) -> list[str]:
    """Run every example of a document in order; return what was skipped and why."""
    namespace: dict = {"__name__": "__doc_example__"}
    skipped = []
    for block in blocks(document):
        verb, arg = block.marker or ("", "")
        if verb == "file":
            (scratch / arg).write_text(block.text, encoding="utf-8")
            continue
        if block.lang not in (*SESSION, *SCRIPT, *PYTHON):
            continue
        if verb == "skip":
            assert arg, f"{block.where}: a skipped example says why (<!-- example: skip WHY -->)"
            skipped.append(f"{block.where}: {arg}")
            continue
        if verb == "requires" and importlib.util.find_spec(arg) is None:
            skipped.append(f"{block.where}: {arg} is not installed")
            continue
        if block.lang in SESSION:
            for command, expected in session(block.text):
                result = _run_shell(command, scratch)
                if not matches(expected, result.stdout):
                    pytest.fail(f"{block.where}: `$ {command}` printed\n{result.stdout}\n"
                                f"but the document shows\n{expected}\n(exit {result.returncode}"
                                "; `...` stands for text left out)", pytrace=False)
        elif block.lang in SCRIPT:
            result = _run_shell(block.text, scratch, script=True)
            if result.returncode:
                pytest.fail(f"{block.where}: the script exits {result.returncode}:\n"
                            f"{result.stdout}", pytrace=False)
        else:
            _run_python(block, namespace)
    return skipped


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_runs_as_shown(document, scratch):
    skipped = run_document(document, scratch)
    for reason in skipped:  # shown with -rA; a skip is a choice the document states
        print(f"skipped example {reason}")


# --- the runner itself ------------------------------------------------------------------------

def test_ellipsis_convention():
    assert matches("a\n...\nd", "a\nb\nc\nd")
    assert matches("a\n...\nb", "a\nb")
    assert matches("x = ...!", "x = 12!")
    assert not matches("a\nb", "a\nc")
    assert not matches("a", "a\nb")  # extra output is a difference
    assert matches("", "")


def test_a_wrong_output_fails(tmp_path, scratch):
    document = tmp_path / "wrong.md"
    document.write_text("```console\n$ policy --version\npolicy 0.0.0-not-this\n```\n")
    with pytest.raises(pytest.fail.Exception, match="policy --version"):
        run_document(document, scratch)
    document.write_text("```pycon\n>>> 1 + 1\n3\n```\n")
    with pytest.raises(pytest.fail.Exception, match="differs"):
        run_document(document, scratch)
    document.write_text("<!-- example: skip needs a remote -->\n```bash\nexit 1\n```\n"
                        "```bash\nfalse\n```\n")
    with pytest.raises(pytest.fail.Exception, match="exits 1"):
        run_document(document, scratch)


def test_files_and_sessions_share_the_scratch_folder(tmp_path, scratch):
    document = tmp_path / "files.md"
    document.write_text("<!-- example: file cases.csv -->\n```text\ncase_id,cancer_site\nA,gastric"
                        "\n```\n\n```console\n$ policy batch cases.csv --as-of 2020-01-01 \\\n"
                        "> 2>/dev/null | cut -c1-30\n{\"line\":2,\"determination\":\"inv...\n```\n")
    assert run_document(document, scratch) == []
