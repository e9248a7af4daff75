"""docs/serve.md's examples, run against a real `policy serve`.

tests/test_doc_examples.py runs every documented example, but skips the ones that need a running
server (their marker names this file). Here the server is started on a free port in the same
kind of scratch folder, and each of those examples runs in order, with the address the page
shows (127.0.0.1:8080) replaced by the real one; the output must be the one shown.
"""

from __future__ import annotations

import pytest

from repo_paths import ROOT
from serve_process import Server
from test_doc_examples import SESSION, blocks, matches, scratch, session  # noqa: F401
from test_doc_examples import _run_shell as run_shell

pytest.importorskip("starlette")

PAGE = ROOT / "docs" / "serve.md"
HERE = "tests/serve/test_serve_docs.py"
SHOWN = "127.0.0.1:8080"


def test_the_page_s_server_examples_run_as_shown(scratch):  # noqa: F811
    ran = 0
    with Server("--tables", str(scratch / "tables"), "--decision-log", "decisions.jsonl",
                cwd=scratch) as server:
        address = server.url.removeprefix("http://")
        for block in blocks(PAGE):
            verb, arg = block.marker or (None, None)
            if verb == "file":
                (scratch / arg).write_text(block.text, encoding="utf-8")
                continue
            if verb != "skip" or HERE not in arg or block.lang not in SESSION:
                continue
            for command, expected in session(block.text):
                result = run_shell(command.replace(SHOWN, address), scratch)
                assert matches(expected, result.stdout), (
                    f"{block.where}: `$ {command}` printed\n{result.stdout}\nbut the page "
                    f"shows\n{expected}")
                ran += 1
    assert ran >= 8


def test_every_server_example_is_marked_for_this_file():
    """An example that calls the server but is not marked would be run by test_doc_examples
    without one, and fail; one marked skip for another reason would never run."""
    for block in blocks(PAGE):
        if block.lang in SESSION and SHOWN in block.text:
            verb, arg = block.marker or (None, None)
            assert verb == "skip" and HERE in arg, block.where
